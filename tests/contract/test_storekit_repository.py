"""The store kit repository against DynamoDB (moto) and against its in-memory twin: the same tests."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.stores.kit_repository import DynamoStoreKitRepository, InMemoryStoreKitRepository, StoreKitRepository


@pytest.fixture
def repo(kind: str, real_deps: Any) -> StoreKitRepository:
    if kind == "dynamo":
        return DynamoStoreKitRepository(real_deps.settings.tables.storekit_table)
    return InMemoryStoreKitRepository()


def record(store_id: str, version: int = 1, **extra: Any) -> dict[str, Any]:
    return {"store_id": store_id, "version": version, "batch_id": "HB000001", **extra}


def save(repo: StoreKitRepository, item: dict[str, Any], expected: int | None) -> None:
    tx = repo.new_tx()
    repo.save(tx, item, expected)
    tx.commit()


def test_a_record_is_created_once_and_read_back(repo: StoreKitRepository) -> None:
    assert repo.get("MP000001") is None
    save(repo, record("MP000001", handoffs=[{"batch_id": "HB000001", "at": "2025-06-02T10:00:00+09:00"}]), None)
    got = repo.get("MP000001")
    assert got == record("MP000001", handoffs=[{"batch_id": "HB000001", "at": "2025-06-02T10:00:00+09:00"}])
    with pytest.raises(Conflict):
        save(repo, record("MP000001"), None)


def test_a_write_needs_the_version_it_read_and_leaving_an_attribute_out_removes_it(repo: StoreKitRepository) -> None:
    save(repo, record("MP000001", password_ciphertext="v1:abc"), None)
    with pytest.raises(Conflict):
        save(repo, record("MP000001", version=3), 2)
    save(repo, record("MP000001", version=2, credentials_issued_by="screener"), 1)
    got = repo.get("MP000001")
    assert got is not None and "password_ciphertext" not in got and got["version"] == 2
    with pytest.raises(Conflict):
        save(repo, record("MP000001", version=2), 1)  # stale: someone else wrote version 2 first
    with pytest.raises(Conflict):
        save(repo, record("MP000002", version=2), 1)  # missing


def test_by_ids_leaves_out_unknown_stores_and_batches(repo: StoreKitRepository) -> None:
    save(repo, record("MP000001"), None)
    save(repo, record("MP000002"), None)
    tx = repo.new_tx()
    repo.save_batch(tx, {"batch_id": "HB000001", "created_at": "2025-06-02T10:00:00+09:00", "created_by": "s",
                         "version": 1, "stores": [{"store_id": "MP000001", "request_type": "new"}]}, None)
    tx.commit()
    found = repo.by_ids(["MP000001", "MP000002", "MP000003", "batch#HB000001"])
    assert sorted(found) == ["MP000001", "MP000002"]
    assert found["MP000002"]["store_id"] == "MP000002"
    assert repo.by_ids([]) == {}


def test_batches_are_listed_newest_first_and_updated_by_version(repo: StoreKitRepository) -> None:
    for n, at in ((1, "2025-06-02T10:00:00+09:00"), (2, "2025-06-09T10:00:00+09:00")):
        tx = repo.new_tx()
        repo.save_batch(tx, {"batch_id": f"HB00000{n}", "created_at": at, "created_by": "screener",
                             "status": "building", "version": 1,
                             "stores": [{"store_id": "MP000001", "request_type": "new"}]}, None)
        tx.commit()
    save(repo, record("MP000001"), None)  # store records are not batches
    assert [b["batch_id"] for b in repo.batches()] == ["HB000002", "HB000001"]
    assert repo.batches(limit=1)[0]["batch_id"] == "HB000002"
    tx = repo.new_tx()
    repo.save_batch(tx, {**(repo.get_batch("HB000001") or {}), "status": "complete", "version": 2}, 1)
    tx.commit()
    got = repo.get_batch("HB000001")
    assert got is not None and got["status"] == "complete" and got["stores"][0]["store_id"] == "MP000001"
    assert "kind" not in got and "pk" not in got
    assert repo.get_batch("HB000009") is None
    tx = repo.new_tx()
    repo.save_batch(tx, {**got, "version": 3}, 1)
    with pytest.raises(Conflict):
        tx.commit()


def test_a_transaction_writes_all_or_nothing(repo: StoreKitRepository) -> None:
    save(repo, record("MP000001"), None)
    tx = repo.new_tx()
    repo.save(tx, record("MP000002"), None)
    repo.save(tx, record("MP000001", version=5), 4)  # stale
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("MP000002") is None
    assert (repo.get("MP000001") or {})["version"] == 1
