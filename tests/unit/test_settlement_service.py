"""Settlement rules on the in-memory twins (no AWS): what a draft pays and holds, the per-store
ceiling and its second person, rounds in month order, four eyes, and adjustments claimed once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.audit.log import Actor
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.settlement import service, views
from chalicelib.settlement.repository import InMemorySettlementStore
from chalicelib.stores.repository import InMemoryStoreRepository
from chalicelib.usage.repository import InMemoryUsageStore
from tests.fakes import Audit, Counters, make_settings

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 7, 2, 10, 0, tzinfo=JST)
SECRET = "unit-test-secret-of-thirty-two-bytes!"
ALICE = Principal("alice", frozenset({Role.ACCOUNTANT}))
BOB = Principal("bob", frozenset({Role.ACCOUNTANT}))
CAROL = Principal("carol", frozenset({Role.ACCOUNTANT}))
BANK = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "1234567",
        "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"}




@pytest.fixture
def deps() -> Any:
    settings = make_settings(APP_SECRET=SECRET)
    stores = InMemoryStoreRepository()
    # One set of committed tables: a return's store mark and settlement's writes share a transaction.
    settlements = InMemorySettlementStore(tables=stores.tables)
    return SimpleNamespace(settings=settings, settlements=settlements, usage=InMemoryUsageStore(), audit=Audit(),
                           keys=Counters(), store_repository=stores)


def store(deps: Any, store_id: str, **extra: Any) -> None:
    tx = deps.store_repository.new_tx()
    deps.store_repository.create(tx, {"store_id": store_id, "status": "active", "bank_verified": True,
                                      "bank": dict(BANK), "email": f"{store_id}@example.com", **extra})
    tx.commit()


def usage(deps: Any, import_id: str, points: dict[str, int], *, by: str = "alice", month: str = "2025-06",
          status: str = "committed") -> None:
    deps.usage.register_import({"import_id": import_id, "kind": "usage", "status": status, "uploaded_by": by,
                                "created_at": NOW.isoformat()})
    deps.usage.put_totals([{"month": month, "key": f"{sid}#{import_id}", "store_id": sid, "import_id": import_id,
                            "points": p, "rows": 1} for sid, p in points.items()])


def held(view: dict[str, Any]) -> dict[str, str]:
    return {h["store_id"]: h["reason"] for h in view["held"]}


def test_a_draft_pays_stores_that_can_be_paid_and_holds_each_other_one_with_its_reason(deps):
    store(deps, "MP000001")
    store(deps, "MP000002", bank_verified=False)
    store(deps, "MP000003", status="suspended")
    usage(deps, "IMP000001", {"MP000001": 1000, "MP000002": 2000, "MP000003": 3000, "MP000404": 400})
    usage(deps, "IMP000002", {"MP000001": 99_999}, status="staged")  # not committed: not counted

    view = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)

    assert (view["status"], view["version"], view["stores_paid"], view["total_amount"]) == ("draft", 1, 1, 1000)
    assert held(view) == {"MP000002": "bank_unverified", "MP000003": "store_suspended",
                          "MP000404": "unknown_store"}
    assert view["imports"] == ["IMP000001"] and view["shaped_by"] == ["alice"]
    assert [e["action"] for e in deps.settlements.tables["audit"]] == ["settlement.draft"]


def test_the_summary_reads_the_held_lines_only_and_agrees_with_every_line(deps):
    store(deps, "MP000001")
    store(deps, "MP000002", bank_verified=False)
    store(deps, "MP000003")
    usage(deps, "IMP000001", {"MP000001": 1000, "MP000002": 2000, "MP000003": 3000, "MP000404": 400})
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    item = views.get_round(deps, "2025-06")
    assert item is not None and item["held_indexed"] is True
    every_line = views.round_lines(deps, item)
    deps.settlements.round_lines = None  # the summary must not read every line

    summary = views.get_view(deps, "2025-06")

    # Invariant: the totals kept on the round item are the lines' sums, and the held part is theirs.
    assert summary == views.view(deps, item, every_line)
    assert summary["total_amount"] == sum(int(x["paid"]) for x in every_line) == 4000
    assert summary["held_total"] == sum(int(x["carried_out"]) for x in every_line) == 2400
    assert summary["stores_paid"] == sum(1 for x in every_line if x["status"] == "pay") == 2
    assert held(summary) == {"MP000002": "bank_unverified", "MP000404": "unknown_store"}


def test_a_cursor_of_an_earlier_draft_is_refused_rather_than_mixing_two_drafts(deps):
    for n in (1, 2, 3):
        store(deps, f"MP00000{n}")
    usage(deps, "IMP000001", {"MP000001": 100, "MP000002": 200, "MP000003": 300})
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    first = views.lines_page(deps, "2025-06", 2, None)
    assert [x["store_id"] for x in first["items"]] == ["MP000001", "MP000002"]
    assert first["next_cursor"] == "v1.MP000002"
    rest = views.lines_page(deps, "2025-06", 2, first["next_cursor"])
    assert ([x["store_id"] for x in rest["items"]], rest["next_cursor"]) == (["MP000003"], None)

    service.draft(deps, "2025-06", Actor.of(ALICE), NOW + timedelta(minutes=5))

    with pytest.raises(Conflict):
        views.lines_page(deps, "2025-06", 2, first["next_cursor"])
    with pytest.raises(InvalidInput):
        views.lines_page(deps, "2025-06", 2, "v2.MP-0001")


def test_a_round_drafted_before_held_lines_were_kept_apart_still_shows_them(deps):
    store(deps, "MP000001", bank_verified=False)
    usage(deps, "IMP000001", {"MP000001": 1000})
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    # As an older draft left it: no flag, no held copies.
    deps.settlements.items[("round#2025-06", "round")].pop("held_indexed")
    deps.settlements.items.pop(("round#2025-06", "held#v1#MP000001"))

    assert held(views.get_view(deps, "2025-06")) == {"MP000001": "bank_unverified"}


def test_above_the_ceiling_is_held_until_a_second_person_confirms_the_exact_amount(deps):
    store(deps, "MP000001")
    usage(deps, "IMP000001", {"MP000001": 5_000_000})
    service.add_adjustment(deps, {"store_id": "MP000001", "amount": 200_000, "reason": "追加"}, CAROL, NOW)
    view = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    assert held(view) == {"MP000001": "over_ceiling"} and view["stores_paid"] == 0

    body = {"store_id": "MP000001", "amount": 5_200_000, "reason": "年度末の大口利用を確認"}
    with pytest.raises(Forbidden):  # carol entered this store's adjustment
        service.confirm_over_ceiling(deps, "2025-06", body, CAROL, NOW)
    with pytest.raises(InvalidInput):
        service.confirm_over_ceiling(deps, "2025-06", {**body, "amount": 5_000_000}, BOB, NOW)
    service.confirm_over_ceiling(deps, "2025-06", body, BOB, NOW)

    again = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    assert (again["version"], again["held"], again["total_amount"]) == (2, [], 5_200_000)
    assert [x["status"] for x in views.lines_view(deps, "2025-06")] == ["pay"]


def test_rounds_go_in_month_order(deps):
    store(deps, "MP000001")
    usage(deps, "IMP000001", {"MP000001": 1000}, month="2025-05")
    with pytest.raises(Conflict, match="まだ終わっていません"):
        service.draft(deps, "2025-07", Actor.of(ALICE), NOW)
    service.draft(deps, "2025-05", Actor.of(ALICE), NOW)
    later = NOW + timedelta(days=62)  # 2025-09-02: June and July have ended
    with pytest.raises(Conflict, match="2025-06 の精算がありません"):
        service.draft(deps, "2025-07", Actor.of(ALICE), later)
    with pytest.raises(Conflict, match="未承認"):
        service.draft(deps, "2025-06", Actor.of(ALICE), later)


def test_the_drafter_and_whoever_shaped_the_round_cannot_approve(deps):
    store(deps, "MP000001")
    usage(deps, "IMP000001", {"MP000001": 1000}, by="carol")
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    with pytest.raises(Forbidden, match="下書きを作成した担当者"):
        service.approve(deps, "2025-06", ALICE, NOW)
    with pytest.raises(Forbidden, match="関わった担当者"):
        service.approve(deps, "2025-06", CAROL, NOW)
    assert views.get_round(deps, "2025-06")["status"] == "draft"


def test_an_adjustment_settled_elsewhere_stops_the_approval_and_changes_nothing(deps):
    store(deps, "MP000001")
    usage(deps, "IMP000001", {"MP000001": 1000})
    adjustment = service.add_adjustment(deps, {"store_id": "MP000001", "amount": 500, "reason": "r"}, ALICE, NOW)
    view = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    assert view["total_amount"] == 1500
    # meanwhile another round claimed it
    tx = deps.settlements.transaction()
    deps.settlements.claim_adjustments_in(tx, "2099-01", [f"manual#{adjustment['adjustment_id']}"])
    tx.commit()

    with pytest.raises(Conflict, match="他の担当者が承認処理中"):
        service.approve(deps, "2025-06", BOB, NOW)

    assert views.get_round(deps, "2025-06")["status"] == "draft"
    assert deps.audit.appended == []


def test_usage_committed_after_the_draft_stops_the_approval(deps):
    store(deps, "MP000001")
    usage(deps, "IMP000001", {"MP000001": 1000})
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    usage(deps, "IMP000002", {"MP000001": 10})
    with pytest.raises(Conflict, match="利用実績が取り込まれました"):
        service.approve(deps, "2025-06", BOB, NOW)


def test_a_store_changed_since_the_draft_stops_the_approval(deps):
    store(deps, "MP000001")
    usage(deps, "IMP000001", {"MP000001": 1000})
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    deps.store_repository.rows["MP000001"]["bank"]["account_number"] = "7654321"
    with pytest.raises(Conflict, match="口座情報や状態が変わった店舗"):
        service.approve(deps, "2025-06", BOB, NOW)
