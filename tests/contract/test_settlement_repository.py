"""SettlementStore contract: DynamoSettlementStore (moto) and InMemorySettlementStore, same tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.audit.log import SYSTEM, AuditLog, entry
from chalicelib.errors import Conflict
from chalicelib.settlement.repository import is_late_usage

NOW = datetime(2025, 7, 2, 1, 0, tzinfo=UTC)


def round_item(month: str, version: int = 1, **extra: Any) -> dict[str, Any]:
    return {"month": month, "status": "draft", "version": version, "payment_date": f"{month}-25",
            "approval_deadline": f"{month}-20", "drafted_by": "accountant", "adjustment_keys": [], **extra}


def draft(repo: Any, month: str, version: int = 1, replaces: int | None = None, **extra: Any) -> None:
    tx = repo.transaction()
    repo.save_draft_in(tx, round_item(month, version, **extra), replaces)
    tx.commit()


def adjustment(repo: Any, key: str, store_id: str = "MP000001", amount: int = 500) -> None:
    tx = repo.transaction()
    repo.add_adjustment_in(tx, key, {"adjustment_id": key, "store_id": store_id, "amount": amount,
                                     "reason": "r", "created_by": "accountant", "state": "open"})
    tx.commit()


def strip(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")} if item else item


def test_a_round_is_drafted_once_and_replaced_only_from_its_version(settlements):
    Given_no_round = settlements.get_round("2025-06")
    assert Given_no_round is None
    draft(settlements, "2025-06")
    assert strip(settlements.get_round("2025-06")) == round_item("2025-06")
    with pytest.raises(Conflict):
        draft(settlements, "2025-06")  # a second first draft
    with pytest.raises(Conflict):
        draft(settlements, "2025-06", 3, replaces=2)  # not the version it replaces
    draft(settlements, "2025-06", 2, replaces=1)
    assert settlements.get_round("2025-06")["version"] == 2


def test_the_latest_round_before_a_month_comes_from_the_index(settlements):
    assert settlements.latest_round_before("2025-07") is None
    draft(settlements, "2025-04")
    draft(settlements, "2025-06")
    assert settlements.latest_round_before("2025-07") == "2025-06"
    assert settlements.latest_round_before("2025-06") == "2025-04"
    assert settlements.latest_round_before("2025-04") is None


def test_lines_are_read_for_one_version_in_store_order(settlements):
    settlements.put_lines("2025-06", 1, [{"store_id": "MP000002", "paid": 1}, {"store_id": "MP000001", "paid": 2}])
    settlements.put_lines("2025-06", 2, [{"store_id": "MP000001", "paid": 3, "note": None}])
    v1 = settlements.round_lines("2025-06", 1)
    assert [(x["store_id"], x["paid"]) for x in v1] == [("MP000001", 2), ("MP000002", 1)]
    v2 = settlements.round_lines("2025-06", 2)
    assert [strip(x) for x in v2] == [{"store_id": "MP000001", "paid": 3}]  # None is "not set"
    assert settlements.round_lines("2025-05", 1) == []


def test_held_lines_are_kept_apart_per_version_and_never_counted_as_lines(settlements):
    settlements.put_lines("2025-06", 1, [{"store_id": "MP000003", "paid": 0, "carried_out": 7, "status": "hold"},
                                         {"store_id": "MP000001", "paid": 5, "carried_out": 0, "status": "pay"},
                                         {"store_id": "MP000002", "paid": 0, "carried_out": 9, "status": "hold"}])
    settlements.put_lines("2025-06", 2, [{"store_id": "MP000001", "paid": 5, "carried_out": 0, "status": "pay"}])
    assert [(x["store_id"], x["carried_out"]) for x in settlements.held_lines("2025-06", 1)] == [
        ("MP000002", 9), ("MP000003", 7)]
    assert settlements.held_lines("2025-06", 2) == []
    assert [x["store_id"] for x in settlements.round_lines("2025-06", 1)] == ["MP000001", "MP000002", "MP000003"]


def test_lines_are_paged_in_store_order_within_one_version(settlements):
    settlements.put_lines("2025-06", 1, [{"store_id": f"MP00000{n}", "paid": n} for n in (3, 1, 2)])
    settlements.put_lines("2025-06", 2, [{"store_id": "MP000009", "paid": 9}])
    first, more = settlements.lines_page("2025-06", 1, 2, None)
    assert ([x["store_id"] for x in first], more) == (["MP000001", "MP000002"], True)
    rest, more = settlements.lines_page("2025-06", 1, 2, "MP000002")
    assert ([(x["store_id"], x["paid"]) for x in rest], more) == ([("MP000003", 3)], False)
    exact, more = settlements.lines_page("2025-06", 1, 3, None)
    assert (len(exact), more) == (3, False)


def test_approval_claims_adjustments_all_or_nothing(settlements):
    draft(settlements, "2025-06")
    adjustment(settlements, "manual#ADJ000001")
    adjustment(settlements, "manual#ADJ000002")
    tx = settlements.transaction()
    settlements.claim_adjustments_in(tx, "2025-05", ["manual#ADJ000002"])
    tx.commit()  # settled by another round already
    tx = settlements.transaction()
    settlements.start_approval_in(tx, "2025-06", 1, {"approved_by": "accountant2", "late": False})
    settlements.claim_adjustments_in(tx, "2025-06", ["manual#ADJ000001", "manual#ADJ000002"])
    with pytest.raises(Conflict):
        tx.commit()
    assert settlements.get_round("2025-06")["status"] == "draft"
    assert [a["sk"] for a in settlements.open_adjustments()] == ["manual#ADJ000001"]
    tx = settlements.transaction()
    settlements.start_approval_in(tx, "2025-06", 1, {"approved_by": "accountant2", "late": False})
    settlements.claim_adjustments_in(tx, "2025-06", ["manual#ADJ000001"])
    tx.commit()
    item = settlements.get_round("2025-06")
    assert (item["status"], item["approved_by"], item["late"]) == ("approving", "accountant2", False)
    assert settlements.open_adjustments() == []
    settled = {a["sk"]: a.get("settled_in") for a in settlements.adjustments()}
    assert settled == {"manual#ADJ000001": "2025-06", "manual#ADJ000002": "2025-05"}


def test_a_stale_version_cannot_start_approval(settlements):
    draft(settlements, "2025-06")
    draft(settlements, "2025-06", 2, replaces=1)
    tx = settlements.transaction()
    settlements.start_approval_in(tx, "2025-06", 1, {"approved_by": "a"})
    with pytest.raises(Conflict):
        tx.commit()


def test_reopen_goes_back_to_draft_and_frees_its_claims_until_files_are_verified(settlements):
    draft(settlements, "2025-06")
    adjustment(settlements, "manual#ADJ000001")
    tx = settlements.transaction()
    settlements.start_approval_in(tx, "2025-06", 1, {"approved_by": "a", "approved_at": "t", "transfer_date": "d",
                                                     "late": True})
    settlements.claim_adjustments_in(tx, "2025-06", ["manual#ADJ000001"])
    tx.commit()
    settlements.record_release_error("2025-06", "x" * 3000)
    assert len(settlements.get_round("2025-06")["release_error"]) == 2000
    tx = settlements.transaction()
    settlements.reopen_in(tx, "2025-06", "2025-07-02T10:00:00+09:00")
    settlements.release_claims_in(tx, "2025-06", ["manual#ADJ000001"])
    tx.commit()
    item = settlements.get_round("2025-06")
    assert item["status"] == "draft" and item["reopened_at"] == "2025-07-02T10:00:00+09:00"
    assert not {"approved_by", "approved_at", "transfer_date", "late"} & set(item)
    assert [a["sk"] for a in settlements.open_adjustments()] == ["manual#ADJ000001"]
    assert "settled_in" not in settlements.open_adjustments()[0]
    # once the files are verified, it cannot go back
    tx = settlements.transaction()
    settlements.start_approval_in(tx, "2025-06", 1, {"approved_by": "a"})
    tx.commit()
    assert settlements.mark_files_verified("2025-06", {"summary": "s.json"}, "t")
    tx = settlements.transaction()
    settlements.reopen_in(tx, "2025-06", "later")
    with pytest.raises(Conflict):
        tx.commit()


def test_approval_writes_the_round_and_the_notices_marker_together(settlements):
    draft(settlements, "2025-06")
    assert not settlements.mark_files_verified("2025-06", {"a": "b"}, "t")  # still a draft
    tx = settlements.transaction()
    settlements.approve_in(tx, "2025-06", {"a": "b"}, "t")
    with pytest.raises(Conflict):
        tx.commit()
    assert settlements.notices_pending() == [] and not settlements.has_notices_pending("2025-06")
    tx = settlements.transaction()
    settlements.start_approval_in(tx, "2025-06", 1, {"approved_by": "a"})
    tx.commit()
    settlements.record_release_error("2025-06", "failed once")
    tx = settlements.transaction()
    settlements.approve_in(tx, "2025-06", {"summary": "s.json"}, "t")
    tx.commit()
    item = settlements.get_round("2025-06")
    assert (item["status"], item["files"], item["released_at"]) == ("approved", {"summary": "s.json"}, "t")
    assert "release_error" not in item
    # Settled: the approved month and every month before it (rounds go in order; 2025-05 has no round).
    assert settlements.frozen_months(["2025-05", "2025-06", "2025-07"]) == {"2025-05", "2025-06"}
    assert settlements.notices_pending() == ["2025-06"] and settlements.has_notices_pending("2025-06")
    settlements.clear_notices_pending("2025-06")
    assert settlements.notices_pending() == []


def test_an_audit_entry_already_written_cancels_the_whole_transaction(settlements, kind, real_deps):
    audit = real_deps.audit if kind == "dynamo" else AuditLog("audit")
    record = entry(SYSTEM, "settlement.draft", "settlement#2025-06", NOW)
    tx = settlements.transaction()
    audit.add_to(tx, record)
    tx.commit()
    tx = settlements.transaction()
    settlements.save_draft_in(tx, round_item("2025-06"), None)
    audit.add_to(tx, record)
    with pytest.raises(Conflict):
        tx.commit()
    assert settlements.get_round("2025-06") is None and settlements.latest_round_before("2025-07") is None


def test_adjustments_returns_and_late_usage(settlements):
    adjustment(settlements, "manual#ADJ000001")
    with pytest.raises(Conflict):
        adjustment(settlements, "manual#ADJ000001")
    tx = settlements.transaction()
    settlements.add_return_in(tx, "2025-06", "MP000001", {"store_id": "MP000001", "amount": 900})
    tx.commit()
    tx = settlements.transaction()
    settlements.add_return_in(tx, "2025-06", "MP000001", {"store_id": "MP000001", "amount": 900})
    with pytest.raises(Conflict):
        tx.commit()
    settlements.add_late_usage("IMP000003", [("2025-05", "MP000002", 700), ("2025-05", "MP000003", 0)], NOW)
    open_ = {a["sk"]: (a["store_id"], a["amount"]) for a in settlements.open_adjustments()}
    assert open_ == {"manual#ADJ000001": ("MP000001", 500), "late#IMP000003#2025-05#MP000002": ("MP000002", 700)}
    late = next(a for a in settlements.adjustments() if a["sk"].startswith("late#"))
    assert late["adjustment_id"] == "late-IMP000003-2025-05-MP000002" and late["created_by"] == "system"
    # it names its import (counted once that import is committed; its uploader shaped the round) and is
    # told apart from returns and manual adjustments: only late usage enters a round's fee base
    assert (late["import_id"], late["usage_month"]) == ("IMP000003", "2025-05")
    assert [a["sk"] for a in settlements.open_adjustments() if is_late_usage(a)] == ["late#IMP000003#2025-05#MP000002"]


def test_ceiling_confirmations_are_per_month(settlements):
    tx = settlements.transaction()
    settlements.confirm_ceiling_in(tx, "2025-06", "MP000001", {"store_id": "MP000001", "amount": 1_500_000})
    tx.commit()
    tx = settlements.transaction()  # a later confirmation replaces the earlier one
    settlements.confirm_ceiling_in(tx, "2025-06", "MP000001", {"store_id": "MP000001", "amount": 1_600_000})
    tx.commit()
    assert settlements.ceiling_confirmations("2025-06") == {"MP000001": 1_600_000}
    assert settlements.ceiling_confirmations("2025-07") == {}


def test_the_settled_months_are_those_up_to_the_latest_approving_or_approved_round(settlements):
    draft(settlements, "2025-06")
    draft(settlements, "2025-07")
    assert settlements.months_with_rounds() == ["2025-06", "2025-07"]
    assert settlements.frozen_months(["2025-05", "2025-06", "2025-07"]) == set()  # drafts settle nothing
    tx = settlements.transaction()
    settlements.start_approval_in(tx, "2025-06", 1, {"approved_by": "a"})
    tx.commit()
    assert settlements.frozen_months(["2025-04", "2025-06", "2025-07", "2025-08"]) == {"2025-04", "2025-06"}
    assert settlements.frozen_months([]) == set()
