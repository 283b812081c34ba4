"""The carried-over stores' repository against DynamoDB (moto) and against its in-memory twin: the same tests."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.stores.carried_over_repository import (
    AWAITING,
    ROWS_PER_CHUNK,
    CarriedOverRepository,
    DynamoCarriedOverRepository,
    InMemoryCarriedOverRepository,
)
from chalicelib.stores.repository import StoreRepository

AT = "2025-05-12T10:00:00+09:00"


@pytest.fixture
def repos(kind: str, real_deps: Any) -> tuple[CarriedOverRepository, StoreRepository]:
    if kind == "dynamo":
        tables = real_deps.settings.tables
        return DynamoCarriedOverRepository(tables.storeimports_table, tables.stores_table), real_deps.store_repository
    twin = InMemoryCarriedOverRepository()
    return twin, twin.stores


def record(import_id: str = "SI000001", digest: str = "d1") -> dict[str, Any]:
    return {"import_id": import_id, "digest": digest, "version": 1, "state": "previewed", "created_at": AT,
            "created_by": "screener1", "counts": {"rows": 2, "new": 1, "matched": 0, "rejected": 1}}


def rows(n: int) -> list[dict[str, Any]]:
    return [{"line": i + 2, "kind": "new", "fields": {"store_name": f"店{i}"}} for i in range(n)]


def create(repo: CarriedOverRepository, rec: dict[str, Any], found: list[dict[str, Any]]) -> None:
    tx = repo.new_tx()
    repo.create(tx, rec, found)
    tx.commit()


def test_an_import_is_read_back_with_its_rows_in_order_across_chunks(repos: Any) -> None:
    repo, _ = repos
    assert repo.get("SI000001") is None
    assert repo.by_digest("d1") is None
    many = rows(ROWS_PER_CHUNK + 3)
    create(repo, record(), many)
    got = repo.get("SI000001")
    assert got is not None
    assert got["rows"] == many
    assert got["state"] == "previewed" and got["version"] == 1 and got["counts"]["rows"] == 2
    assert repo.by_digest("d1") == "SI000001"


def test_an_empty_import_reads_back_without_rows(repos: Any) -> None:
    repo, _ = repos
    create(repo, record(), [])
    got = repo.get("SI000001")
    assert got is not None and got["rows"] == []


def test_a_taken_id_or_digest_is_a_conflict_and_nothing_is_written(repos: Any) -> None:
    repo, _ = repos
    create(repo, record(), rows(1))
    with pytest.raises(Conflict):
        create(repo, record("SI000002", "d1"), rows(1))
    assert repo.get("SI000002") is None
    with pytest.raises(Conflict):
        create(repo, record("SI000001", "d2"), rows(1))
    assert repo.by_digest("d2") is None


def test_confirming_needs_the_version_read_and_happens_once(repos: Any) -> None:
    repo, _ = repos
    create(repo, record(), rows(1))
    tx = repo.new_tx()
    repo.mark_confirmed(tx, "SI000001", 2, ["MP000001"], "screener1", AT)
    with pytest.raises(Conflict):
        tx.commit()
    tx = repo.new_tx()
    repo.mark_confirmed(tx, "SI000001", 1, ["MP000001"], "screener1", AT)
    tx.commit()
    got = repo.get("SI000001")
    assert got is not None
    assert (got["state"], got["stores"], got["confirmed_by"], got["version"]) == ("confirmed", ["MP000001"],
                                                                                  "screener1", 2)
    tx = repo.new_tx()
    repo.mark_confirmed(tx, "SI000001", 2, ["MP000002"], "screener1", AT)
    with pytest.raises(Conflict):
        tx.commit()


def store(store_id: str, status: str = AWAITING) -> dict[str, Any]:
    return {"store_id": store_id, "status": status, "store_name": "店", "version": 1, "phone": "0222111111",
            "email": "old@example.jp"}


def test_a_store_awaiting_reconfirmation_becomes_active_once(repos: Any) -> None:
    repo, stores = repos
    tx = stores.new_tx()
    stores.create(tx, store("MP000001"))
    stores.create(tx, store("MP000002", "active"))
    tx.commit()
    changes = {"email": "new@example.jp", "declarations": {"no_antisocial": True}}
    tx = repo.new_tx()
    repo.reconfirm_store(tx, "MP000001", 1, changes, AT)
    tx.commit()
    got = stores.get("MP000001")
    assert got is not None
    assert (got["status"], got["email"], got["declarations"], got["reconfirmed_at"], got["version"]) == (
        "active", "new@example.jp", {"no_antisocial": True}, AT, 2)
    for store_id, version in (("MP000001", 2), ("MP000002", 1), ("MP000009", 1)):
        tx = repo.new_tx()
        repo.reconfirm_store(tx, store_id, version, {}, AT)
        with pytest.raises(Conflict):
            tx.commit()


def test_an_import_and_a_store_write_commit_together_or_not_at_all(repos: Any) -> None:
    repo, stores = repos
    create(repo, record(), rows(1))
    tx = repo.new_tx()
    stores.create(tx, store("MP000001"))
    repo.mark_confirmed(tx, "SI000001", 5, ["MP000001"], "screener1", AT)
    with pytest.raises(Conflict):
        tx.commit()
    assert stores.get("MP000001") is None
