"""The applications repository's contract: DynamoDB (on the contract suite's moto server) and the
in-memory twin answer the same way, so unit tests on the twin say something about production."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.applications.repository import (
    ApplicationRepository,
    DecisionRecord,
    InMemoryApplicationRepository,
    Resubmission,
)
from chalicelib.errors import Conflict, InvalidInput

SECRET = "contract-test-secret-of-thirty-two-bytes"
AT = "2025-06-02T10:00:00+09:00"


@pytest.fixture(params=["dynamo", "memory"])
def repo(request: pytest.FixtureRequest) -> ApplicationRepository:
    if request.param == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return real.application_repository
    return InMemoryApplicationRepository()


def application(n: int, submitted_at: str = AT, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "application_id": f"AP{n:06d}", "status": "submitted", "submitted_at": submitted_at,
        "received_at": submitted_at, "updated_at": submitted_at, "revision": 1, "return_round": 0,
        "data": {"store_name": f"店舗{n}", "email": f"shop{n}@example.com", "building": None},
        "warnings": [], "duplicates": [], "decisions": [],
    }
    item.update(overrides)
    return item


def given(repo: ApplicationRepository, *items: dict[str, Any]) -> None:
    tx = repo.new_tx()
    for item in items:
        repo.create(tx, item)
    tx.commit()


def decision(new_status: str, action: str, **extra: Any) -> DecisionRecord:
    record = {"action": action, "user": "alice", "role": "審査担当", "at": AT, "checks": {"other": True},
              "reason": ""}
    return DecisionRecord(new_status, record, {"other": True, "antisocial": None}, AT, **extra)


def test_a_created_application_reads_back_and_an_unknown_one_is_none(repo: ApplicationRepository) -> None:
    given(repo, application(1))
    assert repo.get("AP000001") == application(1)
    assert repo.get("AP999999") is None
    assert repo.get("") is None


def test_an_application_id_is_created_once(repo: ApplicationRepository) -> None:
    given(repo, application(1))
    tx = repo.new_tx()
    repo.create(tx, application(1, status="approved"))
    repo.create(tx, application(2))
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("AP000001")["status"] == "submitted"  # type: ignore[index]
    assert repo.get("AP000002") is None


def test_the_queue_pages_one_status_oldest_submission_first(repo: ApplicationRepository) -> None:
    given(repo, *[application(n, f"2025-06-0{n}T10:00:00+09:00") for n in (3, 1, 5, 2, 4)],
          application(6, "2025-06-01T09:00:00+09:00", status="returned"))
    seen: list[list[str]] = []
    cursor = None
    for _ in range(10):
        items, cursor = repo.list_page("submitted", 2, cursor, secret=SECRET)
        seen.append([i["application_id"] for i in items])
        if cursor is None:
            break
    assert seen == [["AP000001", "AP000002"], ["AP000003", "AP000004"], ["AP000005"]]
    items, cursor = repo.list_page("returned", 5, None, secret=SECRET)
    assert [i["application_id"] for i in items] == ["AP000006"] and cursor is None
    _, first = repo.list_page("submitted", 1, None, secret=SECRET)
    with pytest.raises(InvalidInput):
        repo.list_page("returned", 1, first, secret=SECRET)
    with pytest.raises(InvalidInput):
        repo.list_page("submitted", 1, first, secret="another-secret-of-thirty-two-bytes!!")


def test_a_decision_lands_on_the_revision_and_status_the_screener_saw(repo: ApplicationRepository) -> None:
    given(repo, application(1), application(2))
    tx = repo.new_tx()
    repo.record_decision(tx, "AP000001", "submitted", 1, decision("approved", "approve", store_id="MP000001"))
    repo.record_decision(tx, "AP000002", "submitted", 1, decision("returned", "return", return_round=1))
    tx.commit()
    approved = repo.get("AP000001")
    assert approved is not None
    assert (approved["status"], approved["store_id"], approved["updated_at"]) == ("approved", "MP000001", AT)
    assert approved["decisions"] == [decision("approved", "approve").record]
    assert approved["checks"] == {"other": True, "antisocial": None}
    assert approved["return_round"] == 0
    returned = repo.get("AP000002")
    assert returned is not None and (returned["status"], returned["return_round"]) == ("returned", 1)
    assert "store_id" not in returned

    for status, revision in (("submitted", 1), ("approved", 2), ("approved", 1)):
        late = repo.new_tx()
        repo.record_decision(late, "AP000001", status, revision, decision("rejected", "reject"))
        if (status, revision) == ("approved", 1):
            late.commit()  # the status and revision it saw still hold
            continue
        with pytest.raises(Conflict):
            late.commit()
    assert [d["action"] for d in repo.get("AP000001")["decisions"]] == ["approve", "reject"]  # type: ignore[index]
    missing = repo.new_tx()
    repo.record_decision(missing, "AP999999", "submitted", 1, decision("rejected", "reject"))
    with pytest.raises(Conflict):
        missing.commit()


def resubmission(revision: int = 2) -> Resubmission:
    return Resubmission("resubmitted", revision, {"store_name": "訂正後", "email": "new@example.com"},
                        ["postal_code_outside_miyagi"], [{"kind": "phone", "ref": "store#MP000009"}],
                        "2025-06-05T09:00:00+09:00")


def test_a_returned_application_is_resubmitted_once_per_round(repo: ApplicationRepository) -> None:
    given(repo, application(1, status="returned", return_round=1), application(2))
    tx = repo.new_tx()
    repo.resubmit(tx, "AP000001", "returned", 1, 1, resubmission())
    tx.commit()
    got = repo.get("AP000001")
    assert got is not None
    assert (got["status"], got["revision"], got["return_round"]) == ("resubmitted", 2, 1)
    assert got["data"] == {"store_name": "訂正後", "email": "new@example.com"}
    assert (got["warnings"], got["duplicates"]) == (["postal_code_outside_miyagi"],
                                                    [{"kind": "phone", "ref": "store#MP000009"}])
    assert got["submitted_at"] == got["updated_at"] == "2025-06-05T09:00:00+09:00"
    assert got["received_at"] == AT

    for app_id, status, revision, round_no in (("AP000001", "returned", 1, 1), ("AP000001", "resubmitted", 2, 2),
                                               ("AP000002", "returned", 1, 0), ("AP999999", "returned", 1, 1)):
        again = repo.new_tx()
        repo.resubmit(again, app_id, status, revision, round_no, resubmission(revision + 1))
        with pytest.raises(Conflict):
            again.commit()
    assert repo.get("AP000001")["revision"] == 2  # type: ignore[index]
    assert repo.get("AP000002")["status"] == "submitted"  # type: ignore[index]


def test_duplicate_refs_are_added_as_a_set_and_shown_in_the_queue(repo: ApplicationRepository) -> None:
    given(repo, application(1), application(2))
    repo.add_duplicate_refs("AP000001", {"application#AP000002"})
    repo.add_duplicate_refs("AP000001", {"application#AP000002", "store#MP000003"})
    repo.add_duplicate_refs("AP000001", set())
    repo.add_duplicate_refs("AP999999", {"application#AP000001"})  # gone (disposed of): left alone
    assert repo.get("AP000001")["duplicate_refs"] == {"application#AP000002", "store#MP000003"}  # type: ignore[index]
    assert "duplicate_refs" not in repo.get("AP000002")  # type: ignore[operator]
    assert repo.get("AP999999") is None
    items, _ = repo.list_page("submitted", 10, None, secret=SECRET)
    assert [set(i.get("duplicate_refs", ())) for i in items] == [{"application#AP000002", "store#MP000003"}, set()]
