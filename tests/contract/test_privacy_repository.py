"""The disposal runs' repository against DynamoDB (moto) and its twin."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.privacy.disposal_repository import (
    DisposalRepository,
    DynamoDisposalRepository,
    InMemoryDisposalRepository,
)


@pytest.fixture(params=["dynamo", "memory"])
def repo(request: pytest.FixtureRequest) -> DisposalRepository:
    if request.param == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return DynamoDisposalRepository(real.settings.tables.privacy_table)
    return InMemoryDisposalRepository()


def _run(run_id: str = "DR000001") -> dict[str, Any]:
    return {"run_id": run_id, "state": "dry_run", "dry_run_by": "admin", "dry_run_at": "2026-03-31T10:00:00+09:00",
            "counts": {"stores": 3, "outbox": 0}, "kept": {"audit_log": 7}, "exceptions": ""}


def test_a_run_reads_back_as_written(repo: DisposalRepository) -> None:
    repo.create(_run())
    assert repo.get("DR000001") == _run()
    assert repo.get("DR000002") is None


def test_a_run_id_is_recorded_once(repo: DisposalRepository) -> None:
    repo.create(_run())
    with pytest.raises(Conflict):
        repo.create(_run())


def test_a_run_is_executed_once_and_keeps_what_it_was(repo: DisposalRepository) -> None:
    repo.create(_run())
    executed = {"by": "admin2", "at": "2026-03-31T11:00:00+09:00", "mail_id": "m", "removed_now": {"stores": 3}}
    repo.mark_executed("DR000001", executed)
    run = repo.get("DR000001")
    assert run is not None and run["state"] == "executed" and run["executed"] == executed
    assert run["counts"] == {"stores": 3, "outbox": 0}
    with pytest.raises(Conflict):
        repo.mark_executed("DR000001", executed)


def test_a_missing_run_cannot_be_executed(repo: DisposalRepository) -> None:
    with pytest.raises(Conflict):
        repo.mark_executed("DR000009", {"by": "admin2"})
