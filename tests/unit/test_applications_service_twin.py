"""Screening rules on the in-memory twins (no AWS): a submission lands with its keys, mails and audit
entry; an approval creates the store through the stores port in the same transaction; a decision on a
revision someone else already decided is refused; a return opens one resubmission."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.adapters.keys import KeyStore
from chalicelib.applications import service
from chalicelib.applications.repository import InMemoryApplicationRepository
from chalicelib.audit.log import AuditLog
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, NotFound
from chalicelib.kernel.signed_links import make_resubmit_token
from chalicelib.mail.outbox import Outbox
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.factories import application_body, approve_body
from tests.fakes import make_settings

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=JST)
SECRET = "unit-test-secret-of-thirty-two-bytes!"
SCREENER = Principal("alice", frozenset({Role.SCREENER}))


class Keys(KeyStore):
    """Counters and client tokens in memory; fingerprints land in the twin's committed `keys` table."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__("keys")
        self.tables = tables
        self.numbers: dict[str, int] = {}

    def next_number(self, counter: str) -> int:
        self.numbers[counter] = self.numbers.get(counter, 0) + 1
        return self.numbers[counter]

    def get(self, pk: str, sk: str = "-") -> dict[str, Any] | None:
        return next((k for k in self.tables.get("keys", []) if (k["pk"], k["sk"]) == (pk, sk)), None)

    def refs(self, pk: str) -> list[str]:
        return [k["sk"] for k in self.tables.get("keys", []) if k["pk"] == pk]


class Mails(Outbox):
    def __init__(self) -> None:
        super().__init__("outbox")
        self.delivered: list[str] = []

    def deliver(self, mail_ids: list[str], sender: Any, now: datetime) -> dict[str, int]:
        self.delivered += mail_ids
        return {"sent": len(mail_ids), "failed": 0, "skipped": 0}


@pytest.fixture
def deps() -> Any:
    stores = InMemoryStoreRepository()
    # One set of committed tables: an approval's store and the application change share a transaction.
    applications = InMemoryApplicationRepository(tables=stores.tables)
    settings = make_settings(APP_SECRET=SECRET)
    return SimpleNamespace(settings=settings, application_repository=applications, store_repository=stores,
                           keys=Keys(stores.tables), audit=AuditLog("audit"), outbox=Mails(), sender=None)


def written(deps: Any, table: str) -> list[dict[str, Any]]:
    return list(deps.store_repository.tables.get(table, []))


def test_a_submission_lands_with_its_fingerprints_mails_and_audit_entry(deps: Any) -> None:
    application_id, created = service.submit(deps, application_body(client_token="tok-123456"), NOW)
    assert (application_id, created) == ("AP000001", True)
    item = deps.application_repository.get(application_id)
    assert (item["status"], item["revision"], item["duplicates"]) == ("submitted", 1, [])
    assert [m["mail_id"] for m in written(deps, "outbox")] == ["application-received#AP000001#r1",
                                                                "staff-new-application#AP000001#r1"]
    assert deps.outbox.delivered == [m["mail_id"] for m in written(deps, "outbox")]
    assert [a["action"] for a in written(deps, "audit")] == ["application.submit"]
    assert sorted(k["sk"] for k in written(deps, "keys")) == ["-"] + ["application#AP000001"] * 3


def test_the_same_contact_data_is_flagged_as_a_duplicate(deps: Any) -> None:
    body = application_body()
    service.submit(deps, body, NOW)
    second, _ = service.submit(deps, {**body, "store_name": "別の店"}, NOW)
    kinds = sorted(d["kind"] for d in deps.application_repository.get(second)["duplicates"])
    assert kinds == ["bank", "email", "phone"]


def test_an_approval_creates_the_store_in_the_same_transaction(deps: Any) -> None:
    application_id, _ = service.submit(deps, application_body(), NOW)
    answer = service.decide(deps, SCREENER, application_id, approve_body(), NOW)
    assert answer == {"application_id": application_id, "status": "approved", "store_id": "MP000001"}
    store = deps.store_repository.get("MP000001")
    assert (store["status"], store["application_id"], store["version"]) == ("active", application_id, 1)
    item = deps.application_repository.get(application_id)
    assert (item["status"], item["store_id"]) == ("approved", "MP000001")
    assert [d["action"] for d in item["decisions"]] == ["approve"]
    assert "store#MP000001" in [k["sk"] for k in written(deps, "keys")]


def test_a_decision_someone_else_made_first_is_refused_and_writes_nothing(deps: Any) -> None:
    application_id, _ = service.submit(deps, application_body(), NOW)
    seen = deps.application_repository.get(application_id)
    service.decide(deps, SCREENER, application_id, {"decision": "reject", "reason": "対象外"}, NOW)
    original_get = deps.application_repository.get
    deps.application_repository.get = lambda _id: seen  # the second screener read it before the first decided
    with pytest.raises(Conflict):
        service.decide(deps, SCREENER, application_id, approve_body(), NOW)
    deps.application_repository.get = original_get
    assert deps.store_repository.get("MP000001") is None
    assert deps.application_repository.get(application_id)["status"] == "rejected"
    with pytest.raises(NotFound):
        service.decide(deps, SCREENER, "AP999999", approve_body(), NOW)


def test_a_return_opens_one_resubmission(deps: Any) -> None:
    body = application_body()
    application_id, _ = service.submit(deps, body, NOW)
    service.decide(deps, SCREENER, application_id, {"decision": "return", "reason": "住所を確認してください"}, NOW)
    assert deps.application_repository.get(application_id)["return_round"] == 1
    token = make_resubmit_token(SECRET, application_id, 1, NOW, 14)
    later = NOW + timedelta(days=1)
    answer = service.resubmit(deps, token, {**body, "address": "仙台市青葉区本町3-8-2"}, later)
    assert answer == {"application_id": application_id, "status": "submitted", "revision": 2}
    item = deps.application_repository.get(application_id)
    assert (item["data"]["address"], item["submitted_at"]) == ("仙台市青葉区本町3-8-2", later.isoformat())
    with pytest.raises(Conflict):
        service.resubmit(deps, token, body, later)
