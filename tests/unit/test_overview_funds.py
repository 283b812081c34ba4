"""The funds ledger, claim sheet, alerts and report library on the twins (no AWS): the ledger is the
rounds' own figures to the yen, thresholds are told once each, and only the prefecture's files are served."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.audit.log import Actor, InMemoryAuditLog
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.mail.outbox import InMemoryOutbox, Mail
from chalicelib.overview import ledger, library, service
from chalicelib.overview.sources import InMemoryDeliveredFiles
from chalicelib.settlement import service as settlement
from chalicelib.settlement.repository import InMemorySettlementStore
from chalicelib.stores.repository import InMemoryStoreRepository
from chalicelib.usage.repository import InMemoryUsageStore
from tests.fakes import Counters, make_settings, with_setting

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 7, 2, 10, 0, tzinfo=JST)
ALICE = Principal("alice", frozenset({Role.ACCOUNTANT}))
PREF = Principal("pref", frozenset({Role.PREFECTURE}))
BANK = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "1234567",
        "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"}


class Sender:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> str:
        self.sent.append(mail)
        return f"msg-{len(self.sent)}"


@pytest.fixture
def deps() -> Any:
    stores = InMemoryStoreRepository()
    return SimpleNamespace(settings=make_settings(), settlements=InMemorySettlementStore(tables=stores.tables),
                           usage=InMemoryUsageStore(), audit=InMemoryAuditLog(), keys=Counters(),
                           store_repository=stores, outbox=InMemoryOutbox(), sender=Sender(),
                           delivered_files=InMemoryDeliveredFiles())


def add_store(deps: Any, store_id: str, **extra: Any) -> None:
    tx = deps.store_repository.new_tx()
    deps.store_repository.create(tx, {"store_id": store_id, "status": "active", "bank_verified": True,
                                      "bank": dict(BANK), "email": f"{store_id}@example.com", **extra})
    tx.commit()


def add_usage(deps: Any, import_id: str, points: dict[str, int], month: str) -> None:
    deps.usage.register_import({"import_id": import_id, "kind": "usage", "status": "committed", "uploaded_by": "carol",
                                "created_at": NOW.isoformat()})
    deps.usage.put_totals([{"month": month, "key": f"{sid}#{import_id}", "store_id": sid, "import_id": import_id,
                            "points": p, "rows": 1} for sid, p in points.items()])


def round_item(month: str, usage: int, fee: int, paid: int, held: int, **extra: Any) -> dict[str, Any]:
    return {"month": month, "status": "approved", "usage_total": usage, "fee": fee, "paid_total": paid,
            "held_total": held, "carried_in_total": 0, "adjustments_total": 0, "payment_date": f"{month}-20", **extra}


def test_the_ledger_is_the_drafted_rounds_figures_to_the_yen(deps):
    add_store(deps, "MP000001")
    add_store(deps, "MP000002", bank_verified=False)
    add_usage(deps, "IMP000001", {"MP000001": 1_234_567, "MP000002": 89_001, "MP000404": 7}, "2025-06")
    view = settlement.draft(deps, "2025-06", Actor.of(ALICE), NOW)

    book = service.funds_ledger(deps)

    [june] = book["months"]
    held = sum(h["amount"] for h in view["held"])
    assert (june["usage"], june["fee"], june["paid"], june["held"]) == \
        (view["usage_total"], view["fee"], view["total_amount"], held)
    assert june["fee_base"] == view.get("fee_base", view["usage_total"]) == 1_234_567 + 89_001 + 7
    assert june["claim"] == june["fee_base"] + june["fee"]
    assert june["paid"] + june["held"] == june["usage"] + june["adjustments"] + june["carried"]
    assert book["used_points"] == june["fee_base"] and book["planned_points"] == 443_750_000
    assert all(type(june[k]) is int for k in ("usage", "fee", "fee_base", "paid", "held", "carried", "claim"))


def test_cumulative_share_and_fee_base_over_months():
    rounds = [round_item("2025-07", 200_000_000, 1_000_000, 199_000_000, 1_000_000, fee_base=200_000_500,
                         transfer_cost=4_400),
              round_item("2025-06", 150_000_000, 750_000, 150_000_000, 0)]  # no fee_base: the usage is its base
    book = ledger.build(rounds, 443_750_000)
    assert [m["month"] for m in book["months"]] == ["2025-06", "2025-07"]
    assert [m["fee_base"] for m in book["months"]] == [150_000_000, 200_000_500]
    assert [m["cumulative"] for m in book["months"]] == [150_000_000, 350_000_500]
    assert book["used_points"] == 350_000_500 and book["remaining_points"] == 93_749_500
    assert [m["share_of_plan"] for m in book["months"]] == ["33.80", "78.87"]
    assert book["totals"]["claim"] == 150_750_000 + 201_000_500
    assert book["months"][0]["transfer_cost"] is None and book["totals"]["transfer_cost"] == 4_400
    assert book["reached"] == []


@pytest.mark.parametrize("used, reached", [(354_999_999, []), (355_000_000, [80]), (399_375_000, [80, 90]),
                                           (443_749_999, [80, 90]), (443_750_000, [80, 90, 100]),
                                           (500_000_000, [80, 90, 100])])
def test_thresholds_are_exact_in_integers(used, reached):
    assert ledger.crossed(used, 443_750_000) == reached


def test_share_is_rounded_down():
    assert ledger.share(1, 3) == "33.33" and ledger.share(2, 3) == "66.66" and ledger.share(0, 0) == "0.00"


def test_each_threshold_is_mailed_once_to_staff_and_the_prefecture(deps):
    add_store(deps, "MP000001")
    add_usage(deps, "IMP000001", {"MP000001": 850}, "2025-06")
    settlement.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    deps.settings = with_setting(deps.settings, "settlement.planned_points", 1_000)

    first = service.funds_alerts(deps, NOW)
    assert first["reached"] == [80]
    assert sorted(first["queued"]) == ["funds-alert#2025#80#prefecture", "funds-alert#2025#80#staff"]
    assert sorted(m.to for m in deps.sender.sent) == ["pref@example.com", "staff@example.com"]
    assert "80%" in deps.sender.sent[0].subject and "850" in deps.sender.sent[0].body

    again = service.funds_alerts(deps, NOW + timedelta(days=1))
    assert again["queued"] == [] and len(deps.sender.sent) == 2

    deps.settings = with_setting(deps.settings, "settlement.planned_points", 850)  # now at 100%
    third = service.funds_alerts(deps, NOW + timedelta(days=2))
    assert sorted(third["queued"]) == ["funds-alert#2025#100#prefecture", "funds-alert#2025#100#staff",
                                       "funds-alert#2025#90#prefecture", "funds-alert#2025#90#staff"]
    assert [e["action"] for e in deps.audit.by_day("2025-07-04")] == ["funds.alert"]


def test_below_the_first_threshold_nothing_is_sent(deps):
    assert service.funds_alerts(deps, NOW) == {"used_points": 0, "share_of_plan": "0.00", "queued": []}
    assert deps.sender.sent == []


def test_the_claim_sheet_states_funds_fee_and_total(deps):
    add_store(deps, "MP000001")
    add_usage(deps, "IMP000001", {"MP000001": 1_000_000}, "2025-06")
    settlement.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    name, data, kind = service.claim_sheet(deps, "2025-06", "csv", PREF, NOW)
    assert name == "claim-2025-06.csv" and kind == "text/csv" and data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "ポイント原資" in text and "1000000" in text and "1005000" in text and "0.5%" in text
    assert "\r\n" in text
    name, data, _ = service.claim_sheet(deps, "2025-06", "xlsx", PREF, NOW)
    assert data[:2] == b"PK"
    assert [e["action"] for e in deps.audit.by_subject("funds#2025-06")] == ["funds.claim_download"] * 2
    with pytest.raises(NotFound):
        service.claim_sheet(deps, "2025-07", "csv", PREF, NOW)
    with pytest.raises(InvalidInput):
        service.claim_sheet(deps, "2025-13", "csv", PREF, NOW)


def test_the_library_lists_the_prefectures_files_by_month_and_serves_only_them(deps):
    files = deps.delivered_files
    at = datetime(2025, 7, 3, 8, 30, tzinfo=JST)
    for key in ("prefecture/daily-inquiries/2025-07-03.csv", "prefecture/monthly-inquiries/2025-06.xlsx",
                "prefecture/settlements/2025-06/statement-2025-06.csv",
                "prefecture/settlements/2025-06/summary-2025-06.json",
                "prefecture/monthly-sessions/2025-06.csv", "transfer/2025-06.txt", "usage/x.csv"):
        files.put(key, b"data", at)
    june = service.report_files(deps, "2025-06")
    assert {f["key"] for f in june} == {"prefecture/monthly-inquiries/2025-06.xlsx",
                                        "prefecture/settlements/2025-06/statement-2025-06.csv",
                                        "prefecture/settlements/2025-06/summary-2025-06.json",
                                        "prefecture/monthly-sessions/2025-06.csv"}
    statement = next(f for f in june if f["name"] == "statement-2025-06.csv")
    assert statement["title"] == "精算明細書 2025-06" and statement["kind"] == "settlements"
    assert statement["delivered_at"] == "2025-07-03T08:30:00+09:00"
    assert statement["download"] == "reports/files/download?key=prefecture/settlements/2025-06/statement-2025-06.csv"
    assert len(service.report_files(deps, None)) == 5

    name, data, kind = service.download_file(deps, statement["key"], PREF, NOW)
    assert (name, data, kind) == ("statement-2025-06.csv", b"data", "text/csv")
    assert [e["action"] for e in deps.audit.by_subject(f"report#{statement['key']}")] == ["report.download"]
    with pytest.raises(NotFound):
        service.download_file(deps, "prefecture/settlements/2025-05/none.csv", PREF, NOW)


@pytest.mark.parametrize("key", ["transfer/2025-06.txt", "prefecture/../transfer/2025-06.txt", "../prefecture/a",
                                 "prefecture/./a.csv", "prefecture//a.csv", "/prefecture/a.csv", "prefecture/",
                                 "prefecture/a b.csv", "prefecture/%2e%2e/a", "prefecture\\..\\a", "", None,
                                 "prefecture/" + "a" * 600])
def test_keys_outside_the_prefix_or_with_tricks_are_refused(key):
    with pytest.raises(InvalidInput):
        library.check_key(key)


def test_plain_keys_under_the_prefix_pass():
    assert library.check_key("prefecture/settlements/2025-06/statement-2025-06.csv")
