"""Rounds in the program's month order, returns after the transfer date, and four eyes that a return
cannot deadlock (QA B #1–#3, QA A F1), on the in-memory twins.

- A month outside the program's settlement period is refused (after the last month only while
  something is still owed).
- The first round is the earliest month with committed usage; every later round follows the approved
  round of the month before; once a later round is approved, an earlier month is closed: it can be
  neither drafted nor approved, and its usage imported then is late usage paid by the next round.
- A draft approved after the rounds before it changed is drafted again first.
- A return is recorded on or after the round's transfer date, never before.
- A held line pays nothing: whoever shaped it does not shape its round, but does shape the round that
  pays the carried amount (and cannot approve that one). When that leaves no one to approve, a line is
  put off to the next round (deferred) and the round is approved; the next round pays it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from chalicelib.audit.log import Actor
from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.settlement import jobs, service, views
from chalicelib.stores.repository import BankChange
from tests.unit.test_settlement_fee_base import (
    ALICE,
    BANK,
    BOB,
    CAROL,
    JST,
    add_store,
    day_after,
    draft_and_approve,
    import_usage,
    make_deps,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def lines(deps: Any, month: str) -> dict[str, dict[str, Any]]:
    return {x["store_id"]: x for x in views.lines_view(deps, month)}


@pytest.fixture
def deps() -> Any:
    deps = make_deps()
    for s in ("MP000001", "MP000002"):
        add_store(deps, s)
    return deps


# --- the program's period ----------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["2024-03", "2025-03", "2025-04"])
def test_a_month_before_the_program_is_refused_with_the_period(deps, month):
    import_usage(deps, "IMP000001", [(month, "MP000001", 1_000)], at("2025-11-14T10:00"))
    with pytest.raises(InvalidInput, match="精算期間の前") as refused:
        service.draft(deps, month, Actor.of(ALICE), at("2025-11-14T10:00"))
    assert "2025-05" in refused.value.fields["month"]
    assert views.get_round(deps, month) is None


def test_after_the_last_month_a_round_is_drafted_only_while_something_is_owed() -> None:
    deps = make_deps(SETTLEMENT_FIRST_MONTH="2025-05", SETTLEMENT_LAST_MONTH="2025-06")
    add_store(deps, "MP000001")
    add_store(deps, "MP000002", status="suspended")
    import_usage(deps, "IMP000001", [("2025-05", "MP000001", 1_000)], at("2025-06-01T09:00"))
    draft_and_approve(deps, "2025-05", day_after("2025-05"))
    import_usage(deps, "IMP000002", [("2025-06", "MP000002", 700)], at("2025-07-01T09:00"))
    june = draft_and_approve(deps, "2025-06", day_after("2025-06"))
    assert june["held_total"] == 700  # the suspended store's June usage: owed after the program's last month
    july = draft_and_approve(deps, "2025-07", day_after("2025-07"))
    assert july["carried_in_total"] == 700  # it still reaches a round
    # Nothing is owed after July (its line is still held: owed in August), then nothing at all.
    deps.store_repository.rows["MP000002"]["status"] = "active"
    august = draft_and_approve(deps, "2025-08", day_after("2025-08"))
    assert (august["carried_in_total"], august["total_amount"], august["held_total"]) == (700, 700, 0)
    with pytest.raises(InvalidInput, match="精算期間の後") as refused:
        service.draft(deps, "2025-09", Actor.of(ALICE), day_after("2025-09"))
    assert "2025-06" in refused.value.fields["month"]


def test_a_round_approved_before_the_program_under_the_old_rule_blocks_nothing(deps):
    tx = deps.settlements.transaction()  # QA A F1: 2024-03 drafted and approved before this rule existed
    deps.settlements.save_draft_in(tx, {"month": "2024-03", "status": "approved", "version": 1, "drafted_by": "alice",
                                        "shaped_by": ["alice"], "imports": [], "adjustment_keys": []}, None)
    tx.commit()
    import_usage(deps, "IMP000001", [("2025-05", "MP000001", 1_000)], at("2025-06-01T09:00"))
    assert draft_and_approve(deps, "2025-05", day_after("2025-05"))["total_amount"] == 1_000


# --- the first round and the order ----------------------------------------------------------------------


def test_the_first_round_is_the_earliest_month_with_usage(deps):
    import_usage(deps, "IMP000001", [("2025-05", "MP000001", 1_000), ("2025-06", "MP000001", 5_000)],
                 at("2025-07-01T09:00"))
    with pytest.raises(Conflict, match="2025-05 の利用実績") as refused:
        service.draft(deps, "2025-06", Actor.of(ALICE), day_after("2025-06"))
    assert refused.value.fields == {"month": "2025-05"}
    assert draft_and_approve(deps, "2025-05", day_after("2025-06"))["total_amount"] == 1_000
    assert draft_and_approve(deps, "2025-06", day_after("2025-06"))["total_amount"] == 5_000


def test_without_earlier_usage_a_later_month_may_be_the_first_round(deps):
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 5_000)], at("2025-07-01T09:00"))
    assert draft_and_approve(deps, "2025-06", day_after("2025-06"))["status"] == "approved"


def test_once_a_later_round_is_approved_an_earlier_month_is_closed_and_its_usage_reaches_the_next_round(deps):
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 5_000)], at("2025-07-01T09:00"))
    draft_and_approve(deps, "2025-06", day_after("2025-06"))
    for month in ("2025-05", "2025-06"):
        assert deps.settlements.frozen_months([month]) == {month}
    with pytest.raises(Conflict, match="2025-06 の精算が既に承認されている"):
        service.draft(deps, "2025-05", Actor.of(ALICE), at("2025-07-03T10:00"))
    assert views.get_round(deps, "2025-05") is None
    # May's usage imported now is late usage: an adjustment the next round pays (nothing is stranded).
    import_usage(deps, "IMP000002", [("2025-05", "MP000002", 2_000), ("2025-07", "MP000001", 100)],
                 at("2025-08-01T09:00"))
    july = draft_and_approve(deps, "2025-07", day_after("2025-07"))
    assert (july["late_usage_total"], july["total_amount"]) == (2_000, 2_100)
    assert lines(deps, "2025-07")["MP000002"]["paid"] == 2_000


def test_a_hold_of_each_round_reaches_the_next_one(deps):
    deps.store_repository.rows["MP000002"]["status"] = "suspended"
    import_usage(deps, "IMP000001", [("2025-05", "MP000001", 1_000), ("2025-05", "MP000002", 2_000)],
                 at("2025-06-01T09:00"))
    may = draft_and_approve(deps, "2025-05", day_after("2025-05"))
    assert may["held_total"] == 2_000
    deps.store_repository.rows["MP000002"]["status"] = "active"
    import_usage(deps, "IMP000002", [("2025-06", "MP000002", 100)], at("2025-07-01T09:00"))
    june = draft_and_approve(deps, "2025-06", day_after("2025-06"))
    assert (june["carried_in_total"], lines(deps, "2025-06")["MP000002"]["paid"]) == (2_000, 2_100)


def test_a_first_draft_is_drafted_again_before_approval_once_earlier_usage_arrives(deps):
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 5_000)], at("2025-07-01T09:00"))
    service.draft(deps, "2025-06", Actor.of(ALICE), day_after("2025-06"))
    # May's usage comes in while June is only a draft: May is not closed, it is usage of May.
    import_usage(deps, "IMP000002", [("2025-05", "MP000002", 2_000)], at("2025-07-02T11:00"))
    assert deps.settlements.frozen_months(["2025-05"]) == set()
    with pytest.raises(Conflict, match="2025-05 の利用実績"):
        service.approve(deps, "2025-06", BOB, at("2025-07-02T12:00"))
    assert views.get_round(deps, "2025-06")["status"] == "draft"
    # May can be settled (June is only a draft); then June is drafted again after it, and approved.
    assert draft_and_approve(deps, "2025-05", at("2025-07-02T13:00"))["total_amount"] == 2_000
    with pytest.raises(Conflict, match="下書きを作り直して"):
        service.approve(deps, "2025-06", BOB, at("2025-07-02T14:00"))
    june = draft_and_approve(deps, "2025-06", at("2025-07-02T15:00"))
    assert (june["status"], june["total_amount"]) == ("approved", 5_000)


def test_two_first_drafts_at_once_are_approved_in_month_order(deps):
    # June drafted as the first round while May had nothing, then May drafted too (June is only a draft).
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 5_000)], at("2025-07-01T09:00"))
    service.draft(deps, "2025-06", Actor.of(ALICE), day_after("2025-06"))
    service.draft(deps, "2025-05", Actor.of(ALICE), day_after("2025-06"))
    with pytest.raises(Conflict, match="2025-05）の精算が未承認"):
        service.approve(deps, "2025-06", BOB, day_after("2025-06"))
    draft_and_approve(deps, "2025-05", day_after("2025-06"))
    with pytest.raises(Conflict, match="下書きを作り直して"):  # drafted before May: without May's carry
        service.approve(deps, "2025-06", BOB, day_after("2025-06"))
    assert draft_and_approve(deps, "2025-06", day_after("2025-06"))["status"] == "approved"


def test_an_earlier_draft_left_from_before_the_rule_cannot_be_approved_after_a_later_round(deps):
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 5_000)], at("2025-07-01T09:00"))
    draft_and_approve(deps, "2025-06", day_after("2025-06"))
    tx = deps.settlements.transaction()  # a May draft written before this rule existed
    deps.settlements.save_draft_in(tx, {"month": "2025-05", "status": "draft", "version": 1, "drafted_by": "alice",
                                        "shaped_by": ["alice"], "imports": [], "adjustment_keys": [],
                                        "approval_deadline": "2025-06-17"}, None)
    tx.commit()
    with pytest.raises(Conflict, match="2025-06 の精算が既に承認されている"):
        service.approve(deps, "2025-05", BOB, at("2025-07-03T10:00"))
    assert views.get_round(deps, "2025-05")["status"] == "draft"


def test_the_sweep_does_not_draft_a_month_it_may_not(deps):
    import_usage(deps, "IMP000001", [("2025-05", "MP000001", 1_000), ("2025-06", "MP000001", 5_000)],
                 at("2025-07-01T09:00"))
    result = jobs.settlement_sweep(deps, at("2025-07-02T06:00"))
    assert result["month"] == "2025-06"
    assert result["actions"] == [next(a for a in result["actions"] if a.startswith("not drafted: 2025-05 の利用実績"))]
    assert views.get_round(deps, "2025-06") is None


# --- returns ---------------------------------------------------------------------------------------------


def test_a_return_is_refused_before_the_transfer_date_and_recorded_on_it(deps):
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 5_000)], at("2025-07-01T09:00"))
    june = draft_and_approve(deps, "2025-06", day_after("2025-06"))
    assert june["transfer_date"] == "2025-07-18"
    body = {"store_id": "MP000001", "reason": "振込不能"}
    with pytest.raises(Conflict, match="2025-07-18") as refused:
        service.record_return(deps, "2025-06", body, CAROL, at("2025-07-17T17:00"))
    assert refused.value.fields == {"transfer_date": "2025-07-18"}
    assert service.list_adjustments(deps) == [] and "transfer_returned" not in deps.store_repository.rows["MP000001"]
    assert service.record_return(deps, "2025-06", body, CAROL, at("2025-07-18T15:00"))["amount"] == 5_000


def test_a_return_s_reason_is_free_text_without_controls(deps):
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 5_000)], at("2025-07-01T09:00"))
    draft_and_approve(deps, "2025-06", day_after("2025-06"))
    for bad in ("振込不能\u202e", "振込\x00不能"):
        with pytest.raises(InvalidInput) as refused:
            service.record_return(deps, "2025-06", {"store_id": "MP000001", "reason": bad}, CAROL,
                                  at("2025-07-18T15:00"))
        assert refused.value.fields["reason"].startswith("タブや表示されない文字")
    assert service.list_adjustments(deps) == []


# --- four eyes with a return --------------------------------------------------------------------------


def fix_bank(deps: Any, store_id: str, changed_by: str, confirmed_by: str) -> None:
    repo = deps.store_repository
    repo.rows[store_id].setdefault("version", 1)  # add_store writes the row without one
    tx = repo.new_tx()
    repo.change_bank(tx, store_id, repo.rows[store_id].get("version"),
                     BankChange("BC1", {**BANK, "account_number": "7654321"}, changed_by, "2025-08-26T10:00:00+09:00"))
    tx.commit()
    tx = repo.new_tx()
    repo.confirm_bank(tx, store_id, repo.rows[store_id].get("version"), "BC1", confirmed_by, "2025-08-26T11:00:00+09:00")
    tx.commit()


def test_a_held_return_does_not_shape_its_round_and_shapes_the_round_that_repays_it(deps):
    for month in ("2025-06", "2025-07"):
        import_usage(deps, f"IMP-{month}", [(month, "MP000001", 5_000), (month, "MP000002", 300)],
                     day_after(month, 1))
        draft_and_approve(deps, month, day_after(month))  # alice drafts, bob approves
    # bob, the usual approver, records a return of July's transfer (paid 2025-08-20).
    service.record_return(deps, "2025-07", {"store_id": "MP000001", "reason": "口座なし"}, BOB, at("2025-08-25T10:00"))
    import_usage(deps, "IMP-2025-08", [("2025-08", "MP000002", 400)], day_after("2025-08", 1))
    august = service.draft(deps, "2025-08", Actor.of(ALICE), day_after("2025-08"))
    held = {x["store_id"]: x for x in views.round_lines(deps, views.get_round(deps, "2025-08"))}["MP000001"]
    assert (held["status"], held["reason"], held["carried_out"]) == ("hold", "transfer_returned", 5_000)
    assert "bob" in held["shaped_by"]  # kept with the held amount …
    assert "bob" not in august["shaped_by"]  # … but the re-payment pays nothing in August
    assert service.approve(deps, "2025-08", BOB, day_after("2025-08"))["status"] == "approved"

    # The bank data is fixed (the store's new account, confirmed by a second person): September pays.
    fix_bank(deps, "MP000001", "store", "carol")
    import_usage(deps, "IMP-2025-09", [("2025-09", "MP000002", 500)], day_after("2025-09", 1))
    september = service.draft(deps, "2025-09", Actor.of(ALICE), day_after("2025-09"))
    assert lines(deps, "2025-09")["MP000001"]["paid"] == 5_000
    assert {"alice", "bob", "carol"} <= set(september["shaped_by"])
    # whoever shaped what is paid never approves it
    for person in (ALICE, BOB, CAROL):
        with pytest.raises(Forbidden):
            service.approve(deps, "2025-09", person, day_after("2025-09"))
    assert views.get_round(deps, "2025-09")["status"] == "draft"


def test_with_two_accountants_a_repayment_both_shaped_is_deferred_and_paid_the_next_round(deps):
    import_usage(deps, "IMP-2025-06", [("2025-06", "MP000001", 5_000), ("2025-06", "MP000002", 300)],
                 day_after("2025-06", 1))
    draft_and_approve(deps, "2025-06", day_after("2025-06"))
    # bob records the return; the bank data is fixed (the store's change, confirmed by carol of the
    # screening desk); alice's July export is in: alice and bob both shaped July's payment to MP000001.
    service.record_return(deps, "2025-06", {"store_id": "MP000001", "reason": "口座なし"}, BOB, at("2025-07-22T10:00"))
    fix_bank(deps, "MP000001", "store", "carol")
    import_usage(deps, "IMP-2025-07", [("2025-07", "MP000002", 400)], day_after("2025-07", 1))
    july = service.draft(deps, "2025-07", Actor.of(ALICE), day_after("2025-07"))
    assert lines(deps, "2025-07")["MP000001"]["paid"] == 5_000 and "bob" in july["shaped_by"]
    for person in (ALICE, BOB):
        with pytest.raises(Forbidden):
            service.approve(deps, "2025-07", person, day_after("2025-07"))
    # The way out: the line is put off to August (by anyone: holding moves no money) and July drafted again.
    with pytest.raises(InvalidInput):
        service.defer_line(deps, "2025-07", "MP000002", {}, BOB, day_after("2025-07"))  # a reason is due
    service.defer_line(deps, "2025-07", "MP000001", {"reason": "承認者が返却を記録したため"}, BOB, day_after("2025-07"))
    july = service.draft(deps, "2025-07", Actor.of(ALICE), day_after("2025-07"))
    assert {h["store_id"]: h["reason"] for h in july["held"]} == {"MP000001": "deferred"}
    assert july["shaped_by"] == ["alice", "dave"]  # the drafter and the uploader: bob may approve
    assert service.approve(deps, "2025-07", BOB, day_after("2025-07"))["status"] == "approved"
    # August: bob, who shaped the re-payment, uploads and drafts; alice approves and it is paid.
    deps.usage.register_import({"import_id": "IMP-2025-08", "kind": "usage", "status": "committed",
                                "uploaded_by": "bob", "created_at": day_after("2025-08", 1).isoformat()})
    deps.usage.put_totals([{"month": "2025-08", "key": "MP000002#IMP-2025-08", "store_id": "MP000002",
                            "import_id": "IMP-2025-08", "points": 500, "rows": 1}])
    august = service.draft(deps, "2025-08", Actor.of(BOB), day_after("2025-08"))
    assert set(august["shaped_by"]) == {"bob", "carol"}
    with pytest.raises(Forbidden):
        service.approve(deps, "2025-08", BOB, day_after("2025-08"))
    approved = service.approve(deps, "2025-08", ALICE, day_after("2025-08"))
    assert (approved["status"], lines(deps, "2025-08")["MP000001"]["paid"]) == ("approved", 5_000)
