"""Factories for test data. The personal data here is fictional and distinctive, so the log check
(tests/zz_last) can prove none of it ever reaches a log line."""

from __future__ import annotations

import copy
import itertools
from typing import Any

_seq = itertools.count(1)

#: Every personal datum the factories use; none may appear in any log output.
PERSONAL_DATA = [
    "山田 花子テスト", "090-4821-7736", "09048217736", "hanako.testyamada@example.com",
    "7654321", "ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ ハナコ", "022-391-5518", "0223915518",
    # call-center callers (tests/*/test_inquiries_*.py)
    "宮城 次郎テスト", "080-5512-3390", "08055123390", "仙台 三枝テスト", "022-774-0192", "0227740192",
]


def application_body(**overrides: Any) -> dict[str, Any]:
    """A valid application; each call gets distinct contact data unless told otherwise."""
    n = next(_seq)
    body: dict[str, Any] = {
        "store_name": f"テスト商店{n}",
        "store_name_kana": "テストショウテン",
        "entity_type": "individual",
        "representative": "山田 花子テスト",
        "postal_code": "980-8570",
        "municipality_code": "041017",
        "address": "仙台市青葉区本町3-8-1",
        "phone": f"022-391-{5500 + n % 4000:04d}",
        "email": f"shop{n}@example.com",
        "business_category": "小売",
        "goods": "日用品・食料品",
        "declarations": {"no_antisocial": True, "not_adult_business": True, "no_excluded_goods": True,
                         "accepts_terms": True},
        "bank": {"bank_code": "0125", "branch_code": "100", "account_type": "1",
                 "account_number": f"{(1000000 + n * 7919) % 10_000_000:07d}", "holder_kana": "ヤマダ ハナコ"},
    }
    for key, value in overrides.items():
        if key == "bank" or key == "declarations":
            merged = copy.deepcopy(body[key])
            merged.update(value)
            body[key] = merged
        else:
            body[key] = value
    remember(body)
    return body


#: Personal data the factories handed out during this run (checked against every log line).
GENERATED: set[str] = set(PERSONAL_DATA)


def remember(body: dict[str, Any]) -> None:
    for key in ("representative", "phone", "email"):
        if isinstance(body.get(key), str) and len(body[key]) >= 6:
            GENERATED.add(body[key])
    bank = body.get("bank")
    if isinstance(bank, dict):
        for key in ("account_number", "holder_kana"):
            if isinstance(bank.get(key), str) and len(bank[key]) >= 6:
                GENERATED.add(bank[key])


def approve_body() -> dict[str, Any]:
    return {"decision": "approve", "checks": {"antisocial": True, "adult_business": True, "in_prefecture": True,
                                              "excluded_goods": True, "other": True}}
