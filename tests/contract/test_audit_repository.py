"""The audit log's contract: AuditLog (DynamoDB, on the contract suite's moto server) and its in-memory
twin answer the same way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.audit.log import SYSTEM, Actor, AuditLog, AuditTrail, InMemoryAuditLog, entry
from chalicelib.errors import Conflict

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=JST)
ALICE = Actor("alice", "審査担当")


@pytest.fixture
def audit(kind: str, request: pytest.FixtureRequest) -> AuditTrail:
    if kind == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return AuditLog(real.settings.tables.audit_table)
    return InMemoryAuditLog()


def test_entries_staged_with_a_change_land_when_it_commits(audit: AuditTrail, new_tx: Any) -> None:
    first = entry(ALICE, "store.bank_change", "store#MP000001", NOW, before={"bank": "(記録あり)"},
                  after={"bank": "(変更)"})
    second = entry(SYSTEM, "store.mail", "store#MP000001", NOW + timedelta(seconds=1), detail={"n": 1})
    tx = new_tx()
    audit.add_to(tx, first)
    audit.add_to(tx, second)
    assert audit.by_day("2025-06-02") == []
    tx.commit()
    got = audit.by_day("2025-06-02")
    assert [e["entry_id"] for e in got] == [second["entry_id"], first["entry_id"]]
    # A transaction's put leaves unset (None) values out.
    assert got[1] == {k: v for k, v in first.items() if v is not None}
    assert "before" not in got[0] and got[0]["detail"] == {"n": 1}


def test_an_entry_id_is_written_once(audit: AuditTrail, new_tx: Any) -> None:
    item = entry(ALICE, "store.view", "store#MP000001", NOW)
    audit.append(item)
    with pytest.raises(Conflict):
        audit.append({**item, "action": "store.other"})
    tx = new_tx()
    audit.add_to(tx, {**item, "action": "store.other"})
    with pytest.raises(Conflict):
        tx.commit()
    [got] = audit.by_day("2025-06-02")
    assert got["action"] == "store.view"
    # PutItem keeps an unset value (stored as NULL).
    assert got == item and got["before"] is None


def test_entries_read_by_day_and_by_subject_newest_first_up_to_a_limit(audit: AuditTrail) -> None:
    made = [entry(ALICE, "application.view", f"application#AP00000{i % 2}", NOW + timedelta(minutes=i))
            for i in range(5)]
    made.append(entry(ALICE, "application.view", "application#AP000000", NOW + timedelta(days=1)))
    for item in made:
        audit.append(item)
    ids = [e["entry_id"] for e in made]
    assert [e["entry_id"] for e in audit.by_day("2025-06-02")] == ids[4::-1]
    assert [e["entry_id"] for e in audit.by_day("2025-06-02", limit=2)] == [ids[4], ids[3]]
    assert [e["entry_id"] for e in audit.by_day("2025-06-03")] == [ids[5]]
    assert audit.by_day("2025-06-04") == []
    assert [e["entry_id"] for e in audit.by_subject("application#AP000000")] == [ids[5], ids[4], ids[2], ids[0]]
    assert [e["entry_id"] for e in audit.by_subject("application#AP000001", limit=1)] == [ids[3]]
    assert audit.by_subject("application#AP999999") == []
