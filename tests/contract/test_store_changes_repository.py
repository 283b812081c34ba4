"""The change-request repository's contract: DynamoDB (moto) and the in-memory twin answer the same way,
and a request decided in the same transaction as the store's update goes with it, or not at all."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.stores.change_repository import InMemoryStoreChangeRepository, StoreChangeRepository
from chalicelib.stores.repository import InMemoryStoreRepository, StoreRepository
from tests.contract.test_stores_repository import given, store_item


@pytest.fixture(params=["dynamo", "memory"])
def repos(request: pytest.FixtureRequest) -> tuple[StoreChangeRepository, StoreRepository]:
    if request.param == "dynamo":
        from chalicelib.stores.change_repository import store_change_repository

        real: Any = request.getfixturevalue("deps")
        return store_change_repository(real), real.store_repository
    stores = InMemoryStoreRepository()
    return InMemoryStoreChangeRepository(tables=stores.tables), stores


def request_item(request_id: str, store_id: str = "MP000001", at: str = "2025-07-01T10:00:00+09:00") -> dict[str, Any]:
    return {"request_id": request_id, "store_id": store_id, "store_name": "店", "changes": {"phone": "0223774410"},
            "before": {"phone": "0223915518"}, "reason": "電話で申し出", "source": "staff", "entered_by": "agent",
            "created_at": at, "store_version": 1, "warnings": [],
            "history": [{"at": at, "action": "entered", "by": "agent"}]}


def create(repo: StoreChangeRepository, item: dict[str, Any]) -> None:
    tx = repo.new_tx()
    repo.create_in(tx, item)
    tx.commit()


def test_a_request_is_created_once_open_and_reads_back(repos) -> None:
    repo, _ = repos
    assert repo.get("CR000001") is None
    create(repo, request_item("CR000001"))
    assert repo.get("CR000001") == {**request_item("CR000001"), "status": "open"}
    with pytest.raises(Conflict):
        create(repo, request_item("CR000001"))


def test_lists_by_store_newest_first_and_by_status_oldest_first(repos) -> None:
    repo, _ = repos
    create(repo, request_item("CR000001", at="2025-07-01T10:00:00+09:00"))
    create(repo, request_item("CR000002", at="2025-07-02T10:00:00+09:00"))
    create(repo, request_item("CR000003", "MP000002", at="2025-07-03T10:00:00+09:00"))
    assert [r["request_id"] for r in repo.list_by_store("MP000001")] == ["CR000002", "CR000001"]
    assert [r["request_id"] for r in repo.list_by_status("open")] == ["CR000001", "CR000002", "CR000003"]
    assert repo.list_by_status("approved") == []
    assert repo.list_by_store("MP000009") == []


def test_deciding_is_once_and_adds_to_the_history(repos) -> None:
    repo, _ = repos
    create(repo, request_item("CR000001"))
    entry = {"at": "2025-07-02T10:00:00+09:00", "action": "rejected", "by": "screener", "reason": "確認不可"}
    tx = repo.new_tx()
    repo.decide_in(tx, "CR000001", "rejected", {"decided_by": "screener", "decision_reason": "確認不可"}, entry)
    tx.commit()
    item = repo.get("CR000001")
    assert item is not None
    assert (item["status"], item["decided_by"], item["decision_reason"]) == ("rejected", "screener", "確認不可")
    assert [h["action"] for h in item["history"]] == ["entered", "rejected"]
    assert [r["request_id"] for r in repo.list_by_status("rejected")] == ["CR000001"]
    for request_id in ("CR000001", "CR999999"):  # decided already; never entered
        tx = repo.new_tx()
        repo.decide_in(tx, request_id, "approved", {"decided_by": "screener2"}, entry)
        with pytest.raises(Conflict):
            tx.commit()
    assert repo.get("CR000001")["status"] == "rejected"


def test_the_decision_and_the_stores_update_commit_together_or_not_at_all(repos) -> None:
    repo, stores = repos
    given(stores, store_item("MP000001", phone="0223915518"))
    create(repo, request_item("CR000001"))
    log = {"request_id": "CR000001", "at": "2025-07-02T10:00:00+09:00", "fields": ["phone"]}
    tx = stores.new_tx()
    stores.apply_changes_in(tx, "MP000001", 5, {"phone": "0223774410"}, log)  # stale version
    repo.decide_in(tx, "CR000001", "approved", {"decided_by": "screener"}, {"action": "approved"})
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("CR000001")["status"] == "open"
    tx = stores.new_tx()
    stores.apply_changes_in(tx, "MP000001", 1, {"phone": "0223774410"}, log)
    repo.decide_in(tx, "CR000001", "approved", {"decided_by": "screener"}, {"action": "approved"})
    tx.commit()
    assert repo.get("CR000001")["status"] == "approved"
    assert stores.get("MP000001")["phone"] == "0223774410"
