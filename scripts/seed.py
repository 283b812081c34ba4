"""Demo data for the local stack (scripts/local_stack.py calls `seed_demo()` unless SEED=0).

What `make run` seeds is chosen by the SEED environment variable:

- unset (default): the small, quick demo — a few applications in the screening queue and a few
  call-center inquiries on today's log, one of them escalated to the prefecture (fictional people and
  numbers);
- `SEED=year`: a believable FY2025 program year at the seed's scale (scripts/seed_year.py: ~1,500 stores,
  ten months of usage and approved rounds, ~12,000 inquiries, the sessions) — not yet quick: 24 min at
  1,500 stores, 9 min at 300, on the shared 2-core machine (moto answers each call in milliseconds and
  the services make ~19 calls per store, 3 per paid store at approval, ~5 per inquiry);
  `SEED_YEAR_STORES=N` scales it down (or up);
- `SEED=0`: nothing (local_stack.py does not call this module).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.applications import service
from chalicelib.auth.roles import Principal, Role
from chalicelib.deps import Deps, get_deps
from chalicelib.inquiries import service as inquiries

DEMO = [
    ("青葉珈琲店", "アオバコーヒーテン", "individual", "041017", "980-0811", "仙台市青葉区一番町1-1-1",
     "022-000-0001", "demo-aoba@example.com", "飲食", "コーヒー・軽食", "0125", "100", "ｱｵﾊﾞ ﾀﾛｳ"),
    ("株式会社石巻鮮魚", "イシノマキセンギョ", "corporation", "042021", "986-0000", "石巻市中央1-2-3",
     "0225-00-0002", "demo-fish@example.com", "小売", "鮮魚・水産加工品", "0125", "100", "株式会社イシノマキセンギヨ"),
    ("なるこ温泉宿", "ナルコオンセンヤド", "corporation", "042153", "989-6800", "大崎市鳴子温泉字湯元1",
     "0229-00-0003", "demo-onsen@example.com", "宿泊", "宿泊・日帰り入浴", "0125", "100", "ﾕ)ﾅﾙｺｵﾝｾﾝ"),
]


#: (minutes ago, channel, caller type, category, summary, answer, status, handling minutes, fictional callback)
#: status "escalate": logged as pending, then escalated ("cannot resolve") with the reason in `answer`.
DEMO_INQUIRIES = [
    (170, "phone", "resident", "points_use", "ポイントが使える店舗の探し方を知りたい。",
     "公式サイトの店舗検索と、店頭の「みやぎポイント」ステッカーを案内した。", "resolved", 6, None),
    (140, "phone", "store", "store_payment", "先月分の精算の振込日を知りたい。",
     "精算の締め日と振込予定日を案内した。", "resolved", 4, None),
    (110, "email", "resident", "app", "アプリでデジタル身分証の登録が途中で止まる。折り返しを希望。",
     "", "pending", 8, ("デモ 花子", "022-000-0000")),
    (80, "phone", "municipality", "eligibility", "地元の商品券の購入にポイントを使えるか、住民から問い合わせがあった。",
     "換金性の高いものに当たるか県の判断が必要（デモ）。", "escalate", 12, None),
    (50, "web", "other", "sessions", "店舗向け相談会の次回の日程を知りたい。",
     "相談会の日程ページを案内した。", "resolved", 3, None),
]
DEMO_AGENT = Principal("agent", frozenset({Role.AGENT}))


def seed_demo_inquiries(deps: Deps, now: datetime) -> list[str]:
    """A few inquiries on today's log, one escalated: in the call center's hours when `now` is (the demo clock's
    10:00), never before midnight otherwise, so the agent's screen shows them."""
    hours = deps.settings.call_center
    opening = now.replace(hour=hours.call_center_open.hour, minute=hours.call_center_open.minute, second=0,
                          microsecond=0)
    midnight = opening if now >= opening else now.replace(hour=0, minute=0, second=0, microsecond=0)
    ids = []
    for i, row in enumerate(DEMO_INQUIRIES):
        (ago, channel, caller_type, category, summary, answer, status, minutes, caller) = row
        received = max(midnight, now - timedelta(minutes=ago))
        logged = min(now, received + timedelta(minutes=5))
        inquiry_id, _ = inquiries.log_inquiry(deps, DEMO_AGENT, {
            "received_at": received.isoformat(timespec="seconds"), "channel": channel, "caller_type": caller_type,
            "category": category, "summary": summary, "answer": "" if status == "escalate" else answer,
            "status": "pending" if status == "escalate" else status, "handling_minutes": minutes,
            "caller_name": caller[0] if caller else None, "caller_phone": caller[1] if caller else None,
            "client_token": f"demo-inquiry-{i:04d}",
        }, logged)
        if status == "escalate":
            inquiries.escalate(deps, DEMO_AGENT, inquiry_id, {"reason": answer}, logged)
        ids.append(inquiry_id)
    return ids


def seed_demo() -> list[str]:
    """The seed SEED asks for (see the module docstring); the demo's application ids."""
    choice = os.environ.get("SEED", "").strip().lower()
    if choice == "year":
        from scripts.seed_year import seed_year

        seed_year()
        return []
    return seed_small_demo()


def seed_small_demo() -> list[str]:
    deps = get_deps()
    today = clock.stage_now(is_local=True)  # the demo clock when the stack runs one
    now = today - timedelta(hours=3)
    ids = []
    for i, row in enumerate(DEMO):
        (name, kana, entity, muni, postal, addr, phone, email, cat, goods, bank, branch, holder) = row
        app_id, _ = service.submit(deps, {
            "store_name": name, "store_name_kana": kana, "entity_type": entity, "representative": "宮城 太郎",
            "postal_code": postal, "municipality_code": muni, "address": addr, "phone": phone, "email": email,
            "business_category": cat, "goods": goods,
            "declarations": {"no_antisocial": True, "not_adult_business": True, "no_excluded_goods": True,
                             "accepts_terms": True},
            "bank": {"bank_code": bank, "branch_code": branch, "account_type": "1",
                     "account_number": f"{1234560 + i:07d}", "holder_kana": holder},
            "client_token": f"demo-seed-{i:04d}",
        }, now + timedelta(minutes=i))
        ids.append(app_id)
    seed_demo_inquiries(deps, today)
    return ids
