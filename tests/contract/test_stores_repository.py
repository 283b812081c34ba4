"""The store repository's contract: DynamoDB (on the local stack's moto) and the in-memory twin
answer the same way, so unit tests on the twin say something about production.

The DynamoDB side runs on the integration suite's moto server (`fresh_aws` via tests/contract/conftest.py,
`deps` from tests/aws_fixtures.py). The last tests cover what settlement and usage ask of the
store master (their ports `StoreLedger` and `StoreDirectory`), including a return marked in the same
transaction as settlement's own writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict, InvalidInput
from chalicelib.settlement.repository import InMemorySettlementStore, SettlementStore, settlement_store
from chalicelib.stores.repository import BankChange, InMemoryStoreRepository, StoreRepository

SECRET = "contract-test-secret-of-thirty-two-bytes"
STALE = "stale"


@pytest.fixture(params=["dynamo", "memory"])
def repo(request: pytest.FixtureRequest) -> StoreRepository:
    if request.param == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return real.store_repository
    return InMemoryStoreRepository()


@pytest.fixture(params=["dynamo", "memory"])
def with_settlement(request: pytest.FixtureRequest) -> tuple[StoreRepository, SettlementStore]:
    """The store repository and settlement's store, whose transactions the stores' marks join."""
    if request.param == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return real.store_repository, settlement_store(real)
    stores = InMemoryStoreRepository()
    return stores, InMemorySettlementStore(tables=stores.tables)


def store_item(store_id: str, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "store_id": store_id, "status": "active", "store_name": f"店舗{store_id}", "store_name_kana": "テンポ",
        "municipality_code": "041017", "municipality_name": "仙台市青葉区", "business_category": "小売",
        "email": f"{store_id.lower()}@example.com", "goods": "日用品", "version": 1, "bank_verified": True,
        "bank": {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "1234567",
                 "holder_kana": "ヤマダ ハナコ"},
        "created_at": "2025-06-01T09:00:00+09:00", "updated_at": "2025-06-01T09:00:00+09:00",
    }
    item.update(overrides)
    return item


def given(repo: StoreRepository, *stores: dict[str, Any]) -> None:
    tx = repo.new_tx()
    for store in stores:
        repo.create(tx, store)
    tx.commit()


NEW_BANK = {"bank_code": "0001", "bank_name": "みずほ", "branch_code": "001", "branch_name": "東京営業部",
            "account_type": "1", "account_number": "7654321", "holder_kana": "ヤマダ タロウ"}


def change(repo: StoreRepository, store_id: str, version: int, change_id: str = "BC000001") -> None:
    tx = repo.new_tx()
    repo.change_bank(tx, store_id, version, BankChange(change_id, NEW_BANK, "alice", "2025-06-02T10:00:00+09:00"))
    tx.commit(STALE)


def test_a_created_store_reads_back_and_an_unknown_one_is_none(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"))
    assert repo.get("MP000001") == store_item("MP000001")
    assert repo.get("MP999999") is None
    assert repo.get("") is None


def test_a_store_id_is_created_once(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"))
    tx = repo.new_tx()
    repo.create(tx, store_item("MP000001", store_name="二重"))
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("MP000001")["store_name"] == "店舗MP000001"  # type: ignore[index]


def test_list_pages_walk_one_status_in_store_id_order(repo: StoreRepository) -> None:
    given(repo, *[store_item(f"MP00000{i}") for i in (5, 1, 3, 2, 4)],
          store_item("MP000006", status="suspended"), store_item("MP000007", status="suspended"))
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        items, cursor = repo.list_page("active", 2, cursor, secret=SECRET)
        seen += [s["store_id"] for s in items]
        assert len(items) <= 2
        if cursor is None:
            break
    assert seen == [f"MP00000{i}" for i in range(1, 6)]
    items, cursor = repo.list_page("suspended", 50, None, secret=SECRET)
    assert [s["store_id"] for s in items] == ["MP000006", "MP000007"] and cursor is None
    assert repo.list_page("withdrawn", 50, None, secret=SECRET) == ([], None)


def test_a_cursor_is_only_good_for_its_own_list(repo: StoreRepository) -> None:
    given(repo, *[store_item(f"MP00000{i}") for i in range(1, 4)], store_item("MP000009", status="suspended"))
    _, cursor = repo.list_page("active", 1, None, secret=SECRET)
    assert cursor
    for status, token in (("suspended", cursor), ("active", cursor[:-2] + "xx"), ("active", "garbage")):
        with pytest.raises(InvalidInput) as refused:
            repo.list_page(status, 1, token, secret=SECRET)
        assert set(refused.value.fields) == {"cursor"}


def test_a_bank_change_is_unverified_and_clears_what_the_old_account_carried(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001", transfer_returned="2025-05", bank_confirmed_by="bob",
                           bank_confirmed_at="2025-05-01T00:00:00+09:00", bank_change_disputed="x"))
    change(repo, "MP000001", 1)
    store = repo.get("MP000001")
    assert store is not None
    assert store["bank"] == NEW_BANK
    assert (store["bank_verified"], store["bank_changed_pending"], store["bank_change_id"]) == (False, True, "BC000001")
    assert (store["bank_changed_by"], store["bank_changed_at"], store["version"]) == (
        "alice", "2025-06-02T10:00:00+09:00", 2)
    assert store["updated_at"] == "2025-06-02T10:00:00+09:00"
    for gone in ("transfer_returned", "bank_confirmed_by", "bank_confirmed_at", "bank_change_disputed"):
        assert gone not in store


@pytest.mark.parametrize("store_id, version", [("MP000001", 2), ("MP999999", 1)])
def test_a_change_of_a_stale_or_missing_store_is_a_conflict(repo: StoreRepository, store_id: str,
                                                              version: int) -> None:
    given(repo, store_item("MP000001"))
    with pytest.raises(Conflict) as conflict:
        change(repo, store_id, version)
    assert conflict.value.message == STALE
    assert repo.get("MP000001") == store_item("MP000001")
    assert repo.get("MP999999") is None


def test_confirming_the_pending_change(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"))
    change(repo, "MP000001", 1)
    tx = repo.new_tx()
    repo.mark_disputed(tx, "MP000001", "BC000001", "2025-06-02T11:00:00+09:00")
    tx.commit()
    for change_id, version in (("BC000002", 2), ("BC000001", 1)):
        tx = repo.new_tx()
        repo.confirm_bank(tx, "MP000001", version, change_id, "bob", "2025-06-03T09:00:00+09:00")
        with pytest.raises(Conflict):
            tx.commit()
    tx = repo.new_tx()
    repo.confirm_bank(tx, "MP000001", 2, "BC000001", "bob", "2025-06-03T09:00:00+09:00")
    tx.commit()
    store = repo.get("MP000001")
    assert store is not None
    assert (store["bank_verified"], store["bank_confirmed_by"], store["bank_confirmed_at"], store["version"]) == (
        True, "bob", "2025-06-03T09:00:00+09:00", 3)
    assert "bank_change_disputed" not in store


def test_a_dispute_flags_the_named_change_only(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"))
    change(repo, "MP000001", 1)
    for store_id, change_id in (("MP000001", "BC000000"), ("MP999999", "BC000001")):
        tx = repo.new_tx()
        repo.mark_disputed(tx, store_id, change_id, "2025-06-02T11:00:00+09:00")
        with pytest.raises(Conflict):
            tx.commit()
    tx = repo.new_tx()
    repo.mark_disputed(tx, "MP000001", "BC000001", "2025-06-02T11:00:00+09:00")
    tx.commit()
    store = repo.get("MP000001")
    assert store is not None
    # A dispute is not a change of the store: the version staff read stays good.
    assert (store["bank_change_disputed"], store["bank_verified"], store["version"]) == (
        "2025-06-02T11:00:00+09:00", False, 2)


def test_a_status_change_and_a_stale_one(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"))
    tx = repo.new_tx()
    repo.change_status(tx, "MP000001", 1, "suspended", "休業", "2025-06-04T09:00:00+09:00")
    tx.commit()
    store = repo.get("MP000001")
    assert store is not None
    assert (store["status"], store["status_reason"], store["version"], store["updated_at"]) == (
        "suspended", "休業", 2, "2025-06-04T09:00:00+09:00")
    assert [s["store_id"] for s in repo.list_page("suspended", 10, None, secret=SECRET)[0]] == ["MP000001"]
    tx = repo.new_tx()
    repo.change_status(tx, "MP000001", 1, "active", "再開", "2025-06-05T09:00:00+09:00")
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("MP000001")["status"] == "suspended"  # type: ignore[index]


def test_a_transaction_writes_all_or_nothing(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"), store_item("MP000002"))
    tx = repo.new_tx()
    repo.change_status(tx, "MP000001", 1, "suspended", "休業", "2025-06-04T09:00:00+09:00")
    repo.change_status(tx, "MP000002", 7, "suspended", "休業", "2025-06-04T09:00:00+09:00")
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("MP000001") == store_item("MP000001")
    assert repo.get("MP000002") == store_item("MP000002")


def test_stores_by_id_are_the_known_ones_only(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"), store_item("MP000002", status="suspended"))
    found = repo.by_ids(["MP000002", "MP000001", "MP000009", "MP000001"])
    assert found == {"MP000001": store_item("MP000001"), "MP000002": store_item("MP000002", status="suspended")}
    assert repo.by_ids([]) == {} and repo.by_ids(iter(["MP000009"])) == {}
    found["MP000001"]["bank"]["account_number"] = "0000000"  # what the caller holds is its own copy
    assert repo.get("MP000001") == store_item("MP000001")


def test_a_paid_store_keeps_its_first_paid_month_and_a_pending_bank_change_is_paid_out(
        repo: StoreRepository) -> None:
    given(repo, store_item("MP000001", bank_changed_pending=True), store_item("MP000002"))
    repo.mark_paid(repo.by_ids(["MP000001"])["MP000001"], "2025-06")
    repo.mark_paid(repo.by_ids(["MP000001"])["MP000001"], "2025-07")
    repo.mark_paid(repo.by_ids(["MP000002"])["MP000002"], "2025-07")
    one, two = repo.get("MP000001"), repo.get("MP000002")
    assert one is not None and two is not None
    assert (one["first_paid_month"], one["last_paid_month"]) == ("2025-06", "2025-07")
    assert (one["bank_changed_pending"], one["bank_change_paid_month"]) == (False, "2025-06")
    assert (two["first_paid_month"], two["last_paid_month"]) == ("2025-07", "2025-07")
    assert "bank_changed_pending" not in two and "bank_change_paid_month" not in two
    # A mark of what happened to the money is not a change staff made: the version they read stays good.
    assert (one["version"], two["version"], one["updated_at"]) == (1, 1, store_item("MP000001")["updated_at"])


def test_a_returned_transfer_is_marked_when_the_transaction_commits(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001"))
    tx = repo.new_tx()
    repo.mark_transfer_returned_in(tx, "MP000001", "2025-06", "2025-07-03T10:00:00+09:00")
    assert "transfer_returned" not in repo.get("MP000001")  # type: ignore[operator]
    tx.commit()
    store = repo.get("MP000001")
    assert store is not None
    assert (store["transfer_returned"], store["updated_at"], store["version"]) == (
        "2025-06", "2025-07-03T10:00:00+09:00", 1)


def test_a_return_is_marked_in_settlements_transaction_all_or_nothing(
        with_settlement: tuple[StoreRepository, SettlementStore]) -> None:
    stores, settlements = with_settlement
    given(stores, store_item("MP000001"))
    return_item = {"store_id": "MP000001", "amount": 900, "reason": "口座なし"}

    tx = settlements.transaction()
    settlements.add_return_in(tx, "2025-06", "MP000001", return_item)
    stores.mark_transfer_returned_in(tx, "MP000001", "2025-06", "2025-07-03T10:00:00+09:00")
    tx.commit()
    assert stores.get("MP000001")["transfer_returned"] == "2025-06"  # type: ignore[index]

    tx = settlements.transaction()  # the same return again: refused, and the store's mark with it
    settlements.add_return_in(tx, "2025-06", "MP000001", return_item)
    stores.mark_transfer_returned_in(tx, "MP000001", "2025-07", "2025-08-03T10:00:00+09:00")
    with pytest.raises(Conflict):
        tx.commit()
    store = stores.get("MP000001")
    assert store is not None
    assert (store["transfer_returned"], store["updated_at"]) == ("2025-06", "2025-07-03T10:00:00+09:00")


AT = "2025-07-01T10:00:00+09:00"
LOG: dict[str, Any] = {"request_id": "CR000001", "at": AT, "fields": ["phone"], "entered_by": "agent",
       "approved_by": "screener"}


def test_approved_changes_apply_at_the_version_read_and_keep_a_change_log(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001", phone="0223915518"))
    tx = repo.new_tx()
    repo.apply_changes_in(tx, "MP000001", 1, {"phone": "0223774410", "address": "仙台市青葉区一番町1-1"}, LOG)
    tx.commit()
    store = repo.get("MP000001")
    assert store is not None
    assert (store["phone"], store["address"], store["version"], store["updated_at"]) == (
        "0223774410", "仙台市青葉区一番町1-1", 2, LOG["at"])
    assert store["change_log"] == [LOG]
    second = {**LOG, "request_id": "CR000002", "fields": ["store_name"]}
    tx = repo.new_tx()
    repo.apply_changes_in(tx, "MP000001", 2, {"store_name": "新店名"}, second)
    tx.commit()
    assert [e["request_id"] for e in repo.get("MP000001")["change_log"]] == ["CR000001", "CR000002"]  # type: ignore[index]
    for stale_version, store_id in ((2, "MP000001"), (1, "MP999999")):
        tx = repo.new_tx()
        repo.apply_changes_in(tx, store_id, stale_version, {"store_name": "x"}, LOG)
        with pytest.raises(Conflict):
            tx.commit()
    assert repo.get("MP000001")["store_name"] == "新店名"  # type: ignore[index]


def test_a_bank_change_through_a_request_is_pending_for_the_next_file_and_verified_by_the_approver(
        repo: StoreRepository) -> None:
    given(repo, store_item("MP000001", transfer_returned="2025-06", bank_change_disputed="x"))
    bank = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "7654321",
            "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"}
    tx = repo.new_tx()
    repo.apply_changes_in(tx, "MP000001", 1, {}, {**LOG, "fields": ["bank"]},
                          BankChange("BC000009", bank, "agent", AT), confirmed_by="screener")
    tx.commit()
    store = repo.get("MP000001")
    assert store is not None
    assert store["bank"] == bank
    assert (store["bank_verified"], store["bank_changed_pending"], store["bank_change_id"], store["bank_changed_by"],
            store["bank_confirmed_by"]) == (True, True, "BC000009", "agent", "screener")
    assert "transfer_returned" not in store and "bank_change_disputed" not in store
    # Without a confirming person it stays unverified, as a staff bank change does.
    tx = repo.new_tx()
    repo.apply_changes_in(tx, "MP000001", 2, {}, LOG, BankChange("BC000010", bank, "agent", AT))
    tx.commit()
    store = repo.get("MP000001")
    assert store is not None and store["bank_verified"] is False and "bank_confirmed_by" not in store


def test_a_name_search_reads_one_status_by_name_or_kana(repo: StoreRepository) -> None:
    given(repo, store_item("MP000001", store_name="さくら青果店", store_name_kana="サクラセイカテン"),
          store_item("MP000002", store_name="もみじ商店", store_name_kana="モミジショウテン"),
          store_item("MP000003", store_name="さくら書店", store_name_kana="サクラショテン", status="suspended"))
    assert [s["store_id"] for s in repo.search_names("active", "青果", "", 10)] == ["MP000001"]
    assert [s["store_id"] for s in repo.search_names("active", "さくら", "サクラ", 10)] == ["MP000001"]
    assert [s["store_id"] for s in repo.search_names("active", "zz", "ショウテン", 10)] == ["MP000002"]
    assert [s["store_id"] for s in repo.search_names("suspended", "さくら", "", 10)] == ["MP000003"]
    assert repo.search_names("active", "なし", "ナシ", 10) == []
