"""Mail goes out exactly once: queued with the change, sent after it, retried by the sweep."""

from __future__ import annotations

import dataclasses

from chalicelib.applications import service
from chalicelib.clock import now_jst
from chalicelib.jobs import registry
from tests.factories import application_body


class BrokenSes:
    def send(self, mail):
        raise ConnectionError("SES is down")


def test_a_failed_send_stays_pending_and_the_sweep_sends_it_once(api, deps):
    broken = dataclasses.replace(deps, sender=BrokenSes())
    body = application_body()
    app_id, created = service.submit(broken, body, now_jst())
    assert created
    assert api.mail() == []
    assert len(deps.outbox.pending_ids()) == 2

    code, report = api.call("POST", "/jobs/mail-sweep", {}, as_="admin")
    assert code == 200, report
    assert report["sent"] == 2 and report["failed"] == 0
    assert sorted(m["destinations"]["ToAddresses"][0] for m in api.mail()) == sorted([body["email"],
                                                                                     "staff@example.jp"])
    # running it again sends nothing more
    again = registry.run("mail-sweep", now_jst(), deps)
    assert again["pending"] == 0 and again["sent"] == 0
    assert len(api.mail()) == 2
    assert deps.outbox.get(f"application-received#{app_id}#r1")["state"] == "sent"


def test_unknown_job_is_404_and_bad_now_is_422(api):
    assert api.call("POST", "/jobs/nope", {}, as_="admin")[0] == 404
    assert api.call("POST", "/jobs/mail-sweep", {"now": "soon"}, as_="admin")[0] == 422
    assert api.call("POST", "/jobs/mail-sweep", {"later": 1}, as_="admin")[0] == 422
    code, report = api.call("POST", "/jobs/mail-sweep", {"now": "2025-06-02T09:00:00+09:00"}, as_="admin")
    assert code == 200 and report["now"] == "2025-06-02T09:00:00+09:00"


def test_the_scheduled_function_runs_the_same_job(api):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as client:
        result = client.lambda_.invoke("mail_sweep", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert result.payload["job"] == "mail-sweep"
