"""Store rules on the in-memory twin (no AWS): a bank change waits for a second person or the
store, the changer cannot confirm their own change, the store's link confirms or disputes it, and
status changes take only the known statuses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.mail.outbox import Outbox
from chalicelib.stores import bank_links, service
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.fakes import Audit, Counters, make_settings
from tests.staff_support import trained

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=JST)
SECRET = "unit-test-secret-of-thirty-two-bytes!"
ALICE = Principal("alice", frozenset({Role.ACCOUNTANT}))
BOB = Principal("bob", frozenset({Role.SCREENER}))
NEW_BANK = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "7654321",
            "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"}




class Mails(Outbox):
    def __init__(self) -> None:
        super().__init__("outbox")
        self.delivered: list[str] = []

    def deliver(self, mail_ids: list[str], sender: Any, now: datetime) -> dict[str, int]:
        self.delivered += mail_ids
        return {"sent": len(mail_ids), "failed": 0, "skipped": 0}


@pytest.fixture
def deps() -> Any:
    settings = make_settings(APP_SECRET=SECRET)
    repo = InMemoryStoreRepository()
    tx = repo.new_tx()
    repo.create(tx, {
        "store_id": "MP000001", "status": "active", "store_name": "テスト商店", "email": "shop@example.com",
        "version": 1, "bank_verified": True, "transfer_returned": "2025-05",
        "bank": {"bank_code": "0125", "bank_name": "七十七", "branch_code": "100", "branch_name": "本店",
                 "account_type": "1", "account_number": "1234567", "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"},
    })
    tx.commit()
    return SimpleNamespace(settings=settings, store_repository=repo, keys=Counters(), audit=Audit(),
                           outbox=Mails(), sender=None, staff_repository=trained(NOW, ALICE))


def written(deps: Any, table: str) -> list[dict[str, Any]]:
    """What other ports put in the committed transactions."""
    return list(deps.store_repository.tables.get(table, []))


def changed(deps: Any) -> dict[str, Any]:
    return service.change_bank_account(deps, "MP000001", dict(NEW_BANK), ALICE, NOW)


def test_a_bank_change_leaves_the_store_unverified_until_confirmed(deps: Any) -> None:
    answer = changed(deps)
    store = deps.store_repository.get("MP000001")
    assert answer["bank_verified"] is False and answer["released_hold"] is True
    assert answer["change_id"] == store["bank_change_id"] == "BC000001"
    assert (store["bank_verified"], store["bank_changed_by"], store["bank"]["account_number"]) == (
        False, "alice", "7654321")
    assert "transfer_returned" not in store
    # In the same transaction: the audit entry, the account's fingerprint and the store's e-mail.
    assert [a["action"] for a in written(deps, "audit")] == ["store.change_bank_account"]
    assert [m["to"] for m in written(deps, "outbox")] == ["shop@example.com"]
    assert len(written(deps, "keys")) == 1
    assert deps.outbox.delivered == ["bank-change#MP000001#BC000001"]


def test_bad_bank_data_changes_nothing(deps: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.change_bank_account(deps, "MP000001", {**NEW_BANK, "bank_code": "9999"}, ALICE, NOW)
    assert set(refused.value.fields) == {"bank_code"}
    assert deps.store_repository.get("MP000001")["bank_verified"] is True


def test_an_unknown_store_is_not_found(deps: Any) -> None:
    with pytest.raises(NotFound):
        service.change_bank_account(deps, "MP999999", dict(NEW_BANK), ALICE, NOW)


def test_the_changer_cannot_confirm_their_own_change_a_second_person_can(deps: Any) -> None:
    changed(deps)
    with pytest.raises(Forbidden):
        service.confirm_bank_change(deps, "MP000001", {}, ALICE, NOW)
    assert deps.store_repository.get("MP000001")["bank_verified"] is False
    answer = service.confirm_bank_change(deps, "MP000001", {"change_id": "BC000001"}, BOB, NOW)
    assert answer == {"store_id": "MP000001", "change_id": "BC000001", "bank_verified": True, "confirmed_by": "bob"}
    assert deps.store_repository.get("MP000001")["bank_confirmed_by"] == "bob"
    with pytest.raises(Conflict):
        service.confirm_bank_change(deps, "MP000001", {}, BOB, NOW)


def test_a_replaced_change_cannot_be_confirmed(deps: Any) -> None:
    changed(deps)
    changed(deps)
    with pytest.raises(Conflict):
        service.confirm_bank_change(deps, "MP000001", {"change_id": "BC000001"}, BOB, NOW)


def link(change_id: str = "BC000001") -> str:
    return bank_links.make_token(SECRET, "MP000001", change_id, NOW, 14)


def test_the_store_confirms_its_change_from_the_link(deps: Any) -> None:
    changed(deps)
    assert service.bank_change_by_link(deps, {"token": link()}, NOW)["state"] == "pending"
    assert service.bank_change_by_link(deps, {"token": link(), "answer": "confirm"}, NOW)["state"] == "confirmed"
    store = deps.store_repository.get("MP000001")
    assert (store["bank_verified"], store["bank_confirmed_by"]) == (True, "store")
    assert service.bank_change_by_link(deps, {"token": link()}, NOW)["state"] == "confirmed"
    with pytest.raises(Conflict):
        service.bank_change_by_link(deps, {"token": link(), "answer": "dispute"}, NOW)


def test_the_store_disputes_its_change_from_the_link(deps: Any) -> None:
    changed(deps)
    answer = service.bank_change_by_link(deps, {"token": link(), "answer": "dispute"}, NOW)
    assert answer["state"] == "disputed" and answer["account_number_masked"] != "7654321"
    store = deps.store_repository.get("MP000001")
    assert (store["bank_verified"], store["bank_change_disputed"]) == (False, NOW.isoformat())
    assert [m["to"] for m in written(deps, "outbox")][-1] == "staff@example.com"
    assert [a["action"] for a in written(deps, "audit")][-1] == "store.dispute_bank_account"


def test_a_link_to_a_replaced_change_is_superseded(deps: Any) -> None:
    changed(deps)
    changed(deps)
    assert service.bank_change_by_link(deps, {"token": link("BC000001")}, NOW)["state"] == "superseded"
    with pytest.raises(Conflict):
        service.bank_change_by_link(deps, {"token": link("BC000001"), "answer": "confirm"}, NOW)


@pytest.mark.parametrize("status, label", [("active", "利用中"), ("suspended", "利用停止"), ("withdrawn", "退会")])
def test_each_status_and_its_label(deps: Any, status: str, label: str) -> None:
    answer = service.change_status(deps, "MP000001", {"status": status, "reason": " 理由 "}, BOB, NOW)
    assert answer == {"store_id": "MP000001", "status": status, "status_label": label}
    store = deps.store_repository.get("MP000001")
    assert (store["status"], store["status_reason"], store["version"]) == (status, "理由", 2)


@pytest.mark.parametrize("body, fields", [
    ({"status": "closed", "reason": "x"}, {"status"}),
    ({"status": "active", "reason": "  "}, {"reason"}),
    ({"status": "active", "reason": "x" * 501}, {"reason"}),
    ({"status": "active", "reason": "x", "extra": 1}, {"extra"}),
    ({}, {"status", "reason"}),
    ({"status": "suspended", "reason": "\u202e止停"}, {"reason"}),  # a bidi control, shown and mailed as it is
    ({"status": "suspended", "reason": "理由\t詳細"}, {"reason"}),
])
def test_a_bad_status_change_is_refused_with_every_field(deps: Any, body: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.change_status(deps, "MP000001", body, BOB, NOW)
    assert set(refused.value.fields) == fields
    assert deps.store_repository.get("MP000001")["version"] == 1


def test_revealing_the_account_number_is_audited(deps: Any) -> None:
    answer = service.reveal_bank_account(deps, ALICE, "MP000001", NOW)
    assert answer == {"store_id": "MP000001", "account_number": "1234567", "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"}
    assert [(a["action"], a["user"]) for a in deps.audit.appended] == [("store.view_bank_account", "alice")]
    with pytest.raises(NotFound):
        service.reveal_bank_account(deps, ALICE, "MP999999", NOW)


def test_search_finds_a_store_by_id_name_or_kana_and_refuses_an_empty_query(deps: Any) -> None:
    repo = deps.store_repository
    tx = repo.new_tx()
    repo.create(tx, {"store_id": "MP000002", "status": "suspended", "store_name": "さくら青果店",
                     "store_name_kana": "サクラセイカテン", "municipality_name": "仙台市青葉区",
                     "business_category": "小売", "version": 1})
    tx.commit()
    deps.store_repository.rows["MP000001"].update({"store_name_kana": "テストショウテン", "municipality_name": "仙台市青葉区",
                                                   "business_category": "小売"})
    def ids(q: str, status: str | None = None) -> list[str]:
        return [r["store_id"] for r in service.search(deps, q, status, 50)["items"]]
    assert ids("mp000002") == ["MP000002"] and ids("MP000002", "active") == []
    assert ids("青果") == ["MP000002"] and ids("さくらせいか") == ["MP000002"] and ids("ｻｸﾗ") == ["MP000002"]
    assert ids("テスト") == ["MP000001"] and ids("てすと", "active") == ["MP000001"]
    assert ids("青果", "active") == []
    with pytest.raises(InvalidInput):
        service.search(deps, "  ", None, 50)


def test_a_status_reason_keeps_its_line_breaks_as_line_feeds(deps: Any) -> None:
    service.change_status(deps, "MP000001", {"status": "suspended", "reason": "申込内容と異なる\r\n確認中"}, BOB, NOW)
    assert deps.store_repository.get("MP000001")["status_reason"] == "申込内容と異なる\n確認中"
