"""Escalations reach the prefecture at once in its office hours, otherwise at 09:00 on its next office day;
never twice, and never lost when a send fails."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from chalicelib.inquiries import service
from chalicelib.jobs import registry
from tests.integration.inquiry_support import at, log, mail_to, run_job

PREFECTURE = "prefecture@example.jp"
STAFF = "staff@example.jp"


class BrokenSes:
    def send(self, mail):
        raise ConnectionError("SES is down")


def escalate(api, inquiry_id: str, now: str, reason: str = "ポイント付与の対象か県の判断が必要"):
    code, answer = api.call("POST", f"/inquiries/{inquiry_id}/escalate", {"reason": reason}, as_="agent",
                            headers=at(now))
    assert code == 200, answer
    return answer


def test_a_saturday_evening_escalation_goes_out_at_nine_on_monday_once(api):
    # Given an agent's Saturday: a few calls, one they cannot resolve, escalated in the evening
    log(api, "2025-06-07T10:00:00+09:00")
    log(api, "2025-06-07T14:00:00+09:00", caller_type="store", category="store_payment")
    hard = log(api, "2025-06-07T17:10:00+09:00", status="pending", answer="", category="eligibility")
    answer = escalate(api, hard, "2025-06-07T18:40:00+09:00")
    assert answer["status"] == "escalated"
    assert answer["notice"] == {"immediate": False, "due": "2025-06-09T09:00:00+09:00", "sent": None}
    assert api.mail() == []

    # When the sweep runs over the weekend and just before the opening: nothing
    for now in ("2025-06-07T18:45:00+09:00", "2025-06-08T12:00:00+09:00", "2025-06-09T08:59:00+09:00"):
        assert run_job(api, "escalation-sweep", now)["sent"] == 0
    assert api.mail() == []
    code, row = api.call("GET", "/inquiries?date=2025-06-07&status=escalated", as_="agent")
    assert row["items"][0]["notice_waiting"] is True

    # Then at 09:00 on Monday exactly one notice goes to the prefecture
    report = run_job(api, "escalation-sweep", "2025-06-09T09:00:00+09:00")
    assert (report["due"], report["queued"], report["sent"]) == (1, 1, 1)
    sent = mail_to(api, PREFECTURE)
    assert len(sent) == 1 and hard in sent[0]["subject"]
    body = sent[0]["body"]
    assert "対象者・対象外の商品" in body and "ポイント付与の対象か県の判断が必要" in body
    assert "2025年6月7日（土） 17:10" in body

    # And running it again (or late) sends nothing more
    for now in ("2025-06-09T09:00:00+09:00", "2025-06-09T09:15:00+09:00", "2025-06-10T09:00:00+09:00"):
        again = run_job(api, "escalation-sweep", now)
        assert (again["due"], again["sent"]) == (0, 0)
    assert len(api.mail()) == 1
    code, detail = api.call("GET", f"/inquiries/{hard}", as_="prefecture")
    assert code == 200
    assert detail["escalation"]["notice_queued_at"] == "2025-06-09T09:00:00+09:00"
    assert detail["notice_waiting"] is False


def test_inside_office_hours_the_prefecture_is_told_at_once(api):
    inquiry_id = log(api, "2025-06-10T10:00:00+09:00", status="pending", answer="")
    answer = escalate(api, inquiry_id, "2025-06-10T10:20:00+09:00")
    assert answer["notice"] == {"immediate": True, "due": "2025-06-10T10:20:00+09:00", "sent": True}
    assert len(mail_to(api, PREFECTURE, inquiry_id)) == 1
    assert run_job(api, "escalation-sweep", "2025-06-10T10:30:00+09:00")["sent"] == 0
    assert len(api.mail()) == 1
    # Escalating twice is refused and sends nothing.
    code, again = api.call("POST", f"/inquiries/{inquiry_id}/escalate", {"reason": "再送"}, as_="agent")
    assert code == 409 and "既に" in again["error"]["message"]
    assert len(api.mail()) == 1


def test_a_failed_immediate_notice_is_retried_by_the_escalation_sweep(api, deps):
    inquiry_id = log(api, "2025-06-10T10:00:00+09:00", status="pending", answer="")
    broken = dataclasses.replace(deps, sender=BrokenSes())
    from chalicelib.auth.roles import Principal, Role

    agent = Principal("agent", frozenset({Role.AGENT}))
    answer = service.escalate(broken, agent, inquiry_id, {"reason": "県の判断が必要"},
                              datetime.fromisoformat("2025-06-10T10:20:00+09:00"))
    assert answer["notice"]["sent"] is False
    assert api.mail() == []
    assert deps.outbox.get(f"inquiry-escalation#{inquiry_id}")["state"] == "pending"

    report = run_job(api, "escalation-sweep", "2025-06-10T10:30:00+09:00")
    assert (report["retried"], report["sent"]) == (1, 1)
    assert len(mail_to(api, PREFECTURE, inquiry_id)) == 1
    assert run_job(api, "escalation-sweep", "2025-06-10T10:45:00+09:00")["sent"] == 0
    assert len(api.mail()) == 1


def test_a_queued_notice_whose_send_fails_is_sent_by_the_next_run(api, deps):
    inquiry_id = log(api, "2025-06-07T11:00:00+09:00", status="pending", answer="")
    escalate(api, inquiry_id, "2025-06-07T11:05:00+09:00")
    broken = dataclasses.replace(deps, sender=BrokenSes())
    failed = registry.run("escalation-sweep", datetime.fromisoformat("2025-06-09T09:00:00+09:00"), broken)
    assert (failed["queued"], failed["sent"], failed["failed"]) == (1, 0, 1)
    assert api.mail() == []
    # Nothing is lost: the next run (or the mail sweep) sends it, once.
    report = run_job(api, "escalation-sweep", "2025-06-09T09:15:00+09:00")
    assert (report["due"], report["retried"], report["sent"]) == (0, 1, 1)
    assert len(mail_to(api, PREFECTURE, inquiry_id)) == 1
    assert run_job(api, "mail-sweep", "2025-06-09T09:20:00+09:00")["sent"] == 0


def test_a_sweep_that_lost_the_race_sends_nothing(api, deps, monkeypatch):
    # Two runs see the same due notice; the one that commits second finds it taken and does nothing.
    # (Simulated with a stale read: moto, unlike DynamoDB, does not make conditional writes atomic
    # across threads, so a threaded race would test the emulator rather than this code.)
    from chalicelib.inquiries.repository import InquiryTable

    inquiry_id = log(api, "2025-06-07T11:00:00+09:00", status="pending", answer="")
    escalate(api, inquiry_id, "2025-06-07T11:05:00+09:00")
    now = datetime.fromisoformat("2025-06-09T09:00:00+09:00")
    seen_by_the_other_run = InquiryTable(deps.settings.tables.inquiries_table).due_notices(now)
    first = registry.run("escalation-sweep", now, deps)
    monkeypatch.setattr(InquiryTable, "due_notices", lambda self, now: seen_by_the_other_run)
    second = registry.run("escalation-sweep", now, deps)
    assert (first["queued"], first["sent"]) == (1, 1)
    assert (second["due"], second["queued"], second["sent"]) == (1, 0, 0)
    assert len(mail_to(api, PREFECTURE, inquiry_id)) == 1


def test_the_prefecture_answers_and_the_agent_closes(api):
    inquiry_id = log(api, "2025-06-10T10:00:00+09:00", status="pending", answer="")
    escalate(api, inquiry_id, "2025-06-10T10:20:00+09:00")
    # Closing before the prefecture answered is refused.
    code, refused = api.call("POST", f"/inquiries/{inquiry_id}/close", {"answer": "案内"}, as_="agent")
    assert code == 409 and "県の回答" in refused["error"]["message"]
    # The prefecture records its answer (read-only otherwise): the call center is told.
    code, answer = api.call("POST", f"/inquiries/{inquiry_id}/prefecture-answer", {"answer": "対象外です"},
                            as_="prefecture", headers=at("2025-06-10T14:00:00+09:00"))
    assert code == 200 and answer["status"] == "escalated"
    assert len(mail_to(api, STAFF, inquiry_id)) == 1
    code, twice = api.call("POST", f"/inquiries/{inquiry_id}/prefecture-answer", {"answer": "再回答"},
                           as_="prefecture")
    assert code == 409 and "既に" in twice["error"]["message"]
    code, closed = api.call("POST", f"/inquiries/{inquiry_id}/close", {}, as_="agent",
                            headers=at("2025-06-10T15:00:00+09:00"))
    assert code == 200 and closed["status"] == "resolved"
    code, detail = api.call("GET", f"/inquiries/{inquiry_id}", as_="agent")
    assert detail["answer"] == "対象外です"  # the prefecture's answer, passed on
    assert detail["prefecture_answer"]["by"] == "prefecture"
    assert detail["closed_at"] == "2025-06-10T15:00:00+09:00"
    code, audit = api.call("GET", f"/audit?subject=inquiry%23{inquiry_id}", as_="admin")
    actions = [e["action"] for e in audit["items"]]
    for action in ("inquiry.create", "inquiry.escalate", "inquiry.prefecture_answer", "inquiry.close"):
        assert action in actions


def test_an_answer_taken_by_phone_before_the_opening_cancels_the_queued_notice(api):
    inquiry_id = log(api, "2025-06-07T11:00:00+09:00", status="pending", answer="")
    escalate(api, inquiry_id, "2025-06-07T11:05:00+09:00")
    code, _ = api.call("POST", f"/inquiries/{inquiry_id}/prefecture-answer", {"answer": "県担当から電話で回答"},
                       as_="agent", headers=at("2025-06-07T15:00:00+09:00"))
    assert code == 200
    assert run_job(api, "escalation-sweep", "2025-06-09T09:00:00+09:00")["due"] == 0
    assert api.mail() == []  # an agent's entry tells nobody; the prefecture already knows
    code, detail = api.call("GET", f"/inquiries/{inquiry_id}", as_="agent")
    assert detail["escalation"]["notice_skipped"] == "answered_before_notice"


def test_only_pending_inquiries_escalate_and_only_escalations_get_answers(api):
    resolved = log(api, "2025-06-10T10:00:00+09:00")
    code, answer = api.call("POST", f"/inquiries/{resolved}/escalate", {"reason": "x"}, as_="agent")
    assert code == 409 and "対応中" in answer["error"]["message"]
    code, answer = api.call("POST", f"/inquiries/{resolved}/prefecture-answer", {"answer": "x"}, as_="prefecture")
    assert code == 409
    code, answer = api.call("POST", f"/inquiries/{resolved}/escalate", {"reason": ""}, as_="agent")
    assert code == 422 and answer["error"]["fields"]["reason"] == "エスカレーションの理由を入力してください"
