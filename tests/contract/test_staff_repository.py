"""The staff repository's contract: DynamoDB (moto) and the in-memory twin answer the same way."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.staff.repository import DynamoStaffRepository, InMemoryStaffRepository, StaffRepository


@pytest.fixture(params=["dynamo", "memory"])
def repo(request: pytest.FixtureRequest) -> StaffRepository:
    if request.param == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return DynamoStaffRepository(real.settings.tables.staff_table)
    return InMemoryStaffRepository()


def record(user: str, year: int, rid: str) -> dict[str, Any]:
    return {"user": user, "fiscal_year": year, "record_id": rid, "completed_on": f"{year}-05-01",
            "course": "個人情報保護研修", "recorded_by": "admin", "recorded_at": f"{year}-05-02T09:00:00+09:00"}


def test_users_are_created_once_and_changed_at_their_version(repo: StaffRepository) -> None:
    tx = repo.new_tx()
    repo.create_user(tx, {"user": "tanaka", "email": "t@example.jp", "role": "agent", "status": "active"})
    tx.commit()
    again = repo.new_tx()
    repo.create_user(again, {"user": "tanaka", "email": "x@example.jp", "role": "admin", "status": "active"})
    with pytest.raises(Conflict):
        again.commit()
    tx = repo.new_tx()
    repo.update_user(tx, "tanaka", 1, {"role": "screener", "updated_at": "2026-10-01T10:00:00+09:00"})
    tx.commit()
    found = repo.get_user("tanaka")
    assert found is not None and found["role"] == "screener" and found["version"] == 2 and found["email"] == "t@example.jp"
    stale = repo.new_tx()
    repo.update_user(stale, "tanaka", 1, {"role": "admin"})
    with pytest.raises(Conflict):
        stale.commit()
    missing = repo.new_tx()
    repo.update_user(missing, "nobody", 1, {"role": "admin"})
    with pytest.raises(Conflict):
        missing.commit()
    assert [u["user"] for u in repo.users()] == ["tanaka"]
    assert repo.get_user("nobody") is None


def test_training_is_found_by_user_and_fiscal_year(repo: StaffRepository) -> None:
    tx = repo.new_tx()
    repo.add_training(tx, record("yamada", 2026, "TR000001"))
    repo.add_training(tx, record("yamada2", 2025, "TR000002"))
    tx.commit()
    assert repo.has_training("yamada", 2026) and not repo.has_training("yamada", 2025)
    assert not repo.has_training("yama", 2026)  # a prefix of another user's name is not that user
    assert repo.has_training("yamada2", 2025) and not repo.has_training("yamada2", 2026)
    mine = [r for r in repo.training_of_year(2026) if r["user"].startswith("yama")]  # the local stack seeds demo users
    assert [(r["user"], r["course"]) for r in mine] == [("yamada", "個人情報保護研修")]
    dup = repo.new_tx()
    repo.add_training(dup, record("yamada", 2026, "TR000001"))
    with pytest.raises(Conflict):
        dup.commit()


def test_a_transaction_writes_all_or_nothing(repo: StaffRepository) -> None:
    tx = repo.new_tx()
    repo.create_user(tx, {"user": "sato", "email": "s@example.jp", "role": "agent", "status": "active"})
    tx.commit()
    tx = repo.new_tx()
    repo.add_training(tx, record("sato", 2026, "TR000009"))
    repo.create_user(tx, {"user": "sato", "email": "s@example.jp", "role": "agent", "status": "active"})
    with pytest.raises(Conflict):
        tx.commit()
    assert not repo.has_training("sato", 2026)
