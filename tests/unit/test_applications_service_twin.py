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


def queue_counts(deps: Any, *, flagged: bool = False) -> dict[str, int]:
    rows = service.list_queue(deps, SCREENER, "submitted", 50, None, flagged=flagged)["items"]
    return {r["application_id"]: r["duplicate_count"] for r in rows}


def test_every_member_of_a_duplicate_group_shows_how_many_others_share_something(deps: Any) -> None:
    body = application_body()
    for name in ("一号店", "二号店", "三号店"):
        service.submit(deps, {**body, "store_name": name}, NOW)
    service.submit(deps, application_body(phone=body["phone"]), NOW)  # shares only the phone
    service.submit(deps, application_body(), NOW)  # shares nothing
    # The first one included; applications, not kinds (AP000001 shares three kinds with AP000002).
    assert queue_counts(deps) == {"AP000001": 3, "AP000002": 3, "AP000003": 3, "AP000004": 3, "AP000005": 0}
    assert list(queue_counts(deps, flagged=True)) == ["AP000001", "AP000002", "AP000003", "AP000004"]
    assert deps.application_repository.get("AP000004")["duplicate_refs"] == {
        "application#AP000001", "application#AP000002", "application#AP000003"}


def test_a_store_approved_from_an_application_counts_as_that_application(deps: Any) -> None:
    body = application_body()
    first, _ = service.submit(deps, body, NOW)
    service.decide(deps, SCREENER, first, approve_body(), NOW)
    second, _ = service.submit(deps, {**body, "store_name": "二号店"}, NOW)
    assert queue_counts(deps) == {second: 1}
    assert deps.application_repository.get(first)["duplicate_refs"] == {f"application#{second}"}


def test_the_queue_reads_the_stored_counts_and_linking_again_repairs_a_missed_link(deps: Any) -> None:
    body = application_body()
    service.submit(deps, body, NOW)
    service.submit(deps, {**body, "store_name": "二号店"}, NOW)
    # A run that stopped after its commit, before linking the group: AP000001 lost its link.
    del deps.application_repository.rows["AP000001"]["duplicate_refs"]
    deps.application_repository.rows["AP000001"]["duplicates"] = []

    def no_lookups(pk: str) -> list[str]:
        raise AssertionError("the queue reads no fingerprints")

    real_refs, deps.keys.refs = deps.keys.refs, no_lookups
    assert queue_counts(deps) == {"AP000001": 0, "AP000002": 1}
    deps.keys.refs = real_refs
    first = deps.application_repository.get("AP000001")
    assert service.link_duplicates(deps, "AP000001", first["data"]) == {"application#AP000002"}
    service.link_duplicates(deps, "AP000001", first["data"])  # idempotent
    assert queue_counts(deps) == {"AP000001": 1, "AP000002": 1}


def test_an_application_stored_before_groups_were_kept_counts_distinct_others() -> None:
    from chalicelib.applications import views

    item = {"duplicates": [{"kind": k, "ref": "application#AP000001"} for k in ("phone", "email", "bank")]
            + [{"kind": "phone", "ref": "store#MP000009"}]}
    assert views.duplicate_count(item) == 2
    assert views.duplicate_count({**item, "duplicate_refs": {"application#AP000001"}}) == 1


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


def test_a_failure_linking_the_group_does_not_fail_the_stored_submission(deps: Any) -> None:
    body = application_body()
    service.submit(deps, body, NOW)

    def broken(application_id: str, refs: set[str]) -> None:
        raise ConnectionError("DynamoDB is down")

    deps.application_repository.add_duplicate_refs = broken
    second, created = service.submit(deps, {**body, "store_name": "二号店"}, NOW)
    assert created and deps.application_repository.get(second)["status"] == "submitted"
    assert [m["mail_id"] for m in written(deps, "outbox")][-1] == f"staff-new-application#{second}#r1"
