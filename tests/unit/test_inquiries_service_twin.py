"""Call-center rules on the in-memory twins (no AWS): logging an inquiry with its audit entry and report
mark, lost updates refused, an escalation out of office hours queued and sent once by the sweep, and a
prefecture answer that comes first cancels the queued notice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.audit.log import AuditLog
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, NotFound
from chalicelib.inquiries import service
from chalicelib.inquiries.repository import InMemoryInquiryRepository, InMemoryReportMarks, InquiryPorts
from chalicelib.mail.outbox import Outbox
from tests.fakes import Counters, make_settings

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=JST)  # a Monday, within the prefecture's office hours
EVENING = datetime(2025, 6, 2, 20, 0, tzinfo=JST)
AGENT = Principal("agent1", frozenset({Role.AGENT}))
PREFECTURE = Principal("pref1", frozenset({Role.PREFECTURE}))
SECRET = "unit-test-secret-of-thirty-two-bytes!"



class Mails(Outbox):
    def __init__(self) -> None:
        super().__init__("outbox")
        self.delivered: list[str] = []

    def pending_ids(self, limit: int = 100) -> list[str]:
        return []

    def deliver(self, mail_ids: list[str], sender: Any, now: datetime) -> dict[str, int]:
        self.delivered += mail_ids
        return {"sent": len(mail_ids), "failed": 0, "skipped": 0}


@pytest.fixture
def twin(monkeypatch: pytest.MonkeyPatch) -> Any:
    repo = InMemoryInquiryRepository(SECRET)
    marks = InMemoryReportMarks()
    settings = make_settings(APP_SECRET=SECRET)
    deps = SimpleNamespace(settings=settings, keys=Counters(), audit=AuditLog("audit"), outbox=Mails(),
                           sender=None, stores=None)
    monkeypatch.setattr(service, "ports", lambda _deps: InquiryPorts(repo, marks, None))  # type: ignore[arg-type]
    return SimpleNamespace(deps=deps, repo=repo, marks=marks)


def log(twin: Any, received_at: str = "2025-06-02T09:30:00", **fields: Any) -> str:
    raw = {"received_at": received_at, "channel": "phone", "caller_type": "resident", "category": "points_use",
           "summary": "使える店舗を知りたい", "status": "pending", "caller_name": "山田", **fields}
    inquiry_id, created = service.log_inquiry(twin.deps, AGENT, raw, NOW)
    assert created
    return inquiry_id


def test_a_logged_inquiry_is_stored_with_its_audit_entry_and_report_mark(twin: Any) -> None:
    inquiry_id = log(twin, received_at="2025-06-01T22:00:00")
    item = twin.repo.get(inquiry_id)
    assert inquiry_id == "IQ000001"
    assert (item["status"], item["month"], item["outside_hours"], item["version"]) == ("pending", "2025-06", True, 1)
    assert item["caller"] == {"name": "山田"}
    [audit] = twin.repo.tables["audit"]
    assert (audit["action"], audit["subject"], audit["after"]["caller_recorded"]) == (
        "inquiry.create", "inquiry#IQ000001", True)
    assert twin.marks.day("from") == datetime(2025, 6, 1).date()


def test_a_correction_on_a_stale_version_is_refused_and_writes_nothing(twin: Any) -> None:
    inquiry_id = log(twin)
    assert service.update_inquiry(twin.deps, AGENT, inquiry_id, {"version": 1, "summary": "訂正"}, NOW)["version"] == 2
    with pytest.raises(Conflict):
        service.update_inquiry(twin.deps, AGENT, inquiry_id, {"version": 1, "summary": "古い画面から"}, NOW)
    assert twin.repo.get(inquiry_id)["summary"] == "訂正"
    assert [a["action"] for a in twin.repo.tables["audit"]] == ["inquiry.create", "inquiry.update"]
    with pytest.raises(NotFound):
        service.close(twin.deps, AGENT, "IQ999999", {"answer": "x"}, NOW)


def test_an_evening_escalation_is_queued_and_the_sweep_sends_it_once(twin: Any) -> None:
    inquiry_id = log(twin)
    answer = service.escalate(twin.deps, AGENT, inquiry_id, {"reason": "県の判断が必要"}, EVENING)
    assert answer["notice"]["immediate"] is False and answer["status"] == "escalated"
    assert "outbox" not in twin.repo.tables
    assert service.send_due_escalations(twin.deps, EVENING)["due"] == 0

    opening = datetime.fromisoformat(answer["notice"]["due"])
    first = service.send_due_escalations(twin.deps, opening)
    assert (first["due"], first["queued"]) == (1, 1)
    assert [m["mail_id"] for m in twin.repo.tables["outbox"]] == [f"inquiry-escalation#{inquiry_id}"]
    assert twin.deps.outbox.delivered == [f"inquiry-escalation#{inquiry_id}"]
    item = twin.repo.get(inquiry_id)
    assert "notice_state" not in item and item["escalation"]["notice_queued_at"] == opening.isoformat()
    again = service.send_due_escalations(twin.deps, opening + timedelta(minutes=5))
    assert (again["due"], again["queued"]) == (0, 0)
    assert len(twin.repo.tables["outbox"]) == 1


def test_a_prefecture_answer_before_the_notice_cancels_it(twin: Any) -> None:
    inquiry_id = log(twin)
    service.escalate(twin.deps, AGENT, inquiry_id, {"reason": "県の判断が必要"}, EVENING)
    service.record_prefecture_answer(twin.deps, PREFECTURE, inquiry_id, {"answer": "対象です"},
                                     EVENING + timedelta(hours=1))
    item = twin.repo.get(inquiry_id)
    assert item["escalation"]["notice_skipped"] == "answered_before_notice"
    assert service.send_due_escalations(twin.deps, EVENING + timedelta(days=1))["due"] == 0
    assert [m["mail_id"] for m in twin.repo.tables["outbox"]] == [f"inquiry-prefecture-answer#{inquiry_id}"]
    with pytest.raises(Conflict):
        service.record_prefecture_answer(twin.deps, PREFECTURE, inquiry_id, {"answer": "二度目"},
                                         EVENING + timedelta(hours=2))
    closed = service.close(twin.deps, AGENT, inquiry_id, {}, EVENING + timedelta(days=1))
    assert closed["status"] == "resolved"
    assert twin.repo.get(inquiry_id)["answer"] == "対象です"
