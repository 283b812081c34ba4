"""SettlementStore.store_rounds (what the call center reads of one store), on moto and on the twin."""

from __future__ import annotations

from typing import Any

from tests.contract.test_settlement_repository import draft


def strip(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")} if item else item


def test_a_stores_rounds_newest_first_with_its_line_of_the_current_version_and_its_return(settlements):
    assert settlements.store_rounds("MP000001") == []
    draft(settlements, "2025-06")
    draft(settlements, "2025-07")
    draft(settlements, "2025-07", 2, replaces=1)
    settlements.put_lines("2025-06", 1, [{"store_id": "MP000001", "paid": 900, "status": "pay"},
                                         {"store_id": "MP000002", "paid": 5, "status": "pay"}])
    settlements.put_lines("2025-07", 1, [{"store_id": "MP000001", "paid": 1, "status": "pay"}])
    settlements.put_lines("2025-07", 2, [{"store_id": "MP000001", "paid": 0, "carried_out": 300, "status": "hold",
                                          "reason": "bank_unverified"}])
    tx = settlements.transaction()
    settlements.add_return_in(tx, "2025-06", "MP000001", {"store_id": "MP000001", "amount": 900, "reason": "r"})
    tx.commit()

    rounds = settlements.store_rounds("MP000001")
    assert [r["round"]["month"] for r in rounds] == ["2025-07", "2025-06"]
    assert strip(rounds[0]["line"]) == {"store_id": "MP000001", "paid": 0, "carried_out": 300, "status": "hold",
                                        "reason": "bank_unverified"}
    assert rounds[0]["returned"] is None
    assert strip(rounds[1]["line"]) == {"store_id": "MP000001", "paid": 900, "status": "pay"}
    assert strip(rounds[1]["returned"]) == {"store_id": "MP000001", "amount": 900, "reason": "r"}
    # A store a round does not pay still sees the round, without a line.
    assert [(r["round"]["month"], r["line"]) for r in settlements.store_rounds("MP000009")] == [
        ("2025-07", None), ("2025-06", None)]
