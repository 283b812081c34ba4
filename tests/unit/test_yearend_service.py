"""The year-end pack's delivery on the in-memory twins: built from the rounds, inquiries and sessions of the
fiscal year only; delivered once (a rerun and a lost race answer the claimed index and queue nothing); a
failure midway leaves nothing claimed and the next run completes it; `force` builds a new version in its
own folder; the fiscal year is checked."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.audit.log import InMemoryAuditLog
from chalicelib.errors import InvalidInput
from chalicelib.inquiries.repository import InMemoryInquiryRepository, InMemoryReportMarks
from chalicelib.mail.delivery import InMemoryMarks as SessionMarks
from chalicelib.mail.outbox import InMemoryOutbox, Mail
from chalicelib.sessions.model import Session, SurveyAnswer
from chalicelib.sessions.repository import InMemorySessionRepository
from chalicelib.settlement.repository import InMemorySettlementStore
from chalicelib.yearend import service
from chalicelib.yearend.service import InMemoryMarks
from tests.fakes import make_settings

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 4, 6, 9, 0, tzinfo=JST)


class Files:
    bucket = "documents"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail_on: str | None = None

    def put(self, key: str, body: bytes, content_type: str) -> None:
        if self.fail_on and key.endswith(self.fail_on):
            raise ConnectionError("S3 is down")
        self.objects[key] = bytes(body)

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)


class Sender:
    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.ids = itertools.count(1)

    def send(self, mail: Mail) -> str:
        self.sent.append(mail)
        return f"msg-{next(self.ids)}"


def _approved_round(deps: Any, month: str, paid: int, usage: int) -> None:
    store: InMemorySettlementStore = deps.settlements
    files = {"statement_csv": f"prefecture/settlements/{month}/statement-{month}.csv",
             "summary": f"prefecture/settlements/{month}/summary-{month}.json"}
    deps.documents.put(files["statement_csv"], f"\ufeff明細,{paid}\r\n".encode(), "text/csv")
    deps.documents.put(files["summary"], json.dumps({"paid_total": paid, "stores_paid": 1, "held_total": 0,
                                                     "fee": usage * 5 // 1000, "usage_total": usage}).encode(),
                       "application/json")
    store.put_lines(month, 1, [{"store_id": "MP000001", "usage": usage, "paid": paid, "carried_out": 0,
                                "status": "pay", "reason": None}])
    item = {"month": month, "status": "draft", "version": 1, "payment_date": f"{month}-18", "stores_paid": 1,
            "paid_total": paid, "usage_total": usage, "fee_base": usage, "fee": usage * 5 // 1000,
            "fee_rate": "0.005", "held_total": 0, "stores_held": 0, "adjustments_total": 0, "carried_in_total": 0}
    tx = store.transaction()
    store.save_draft_in(tx, item, None)
    tx.commit()
    tx = store.transaction()
    store.start_approval_in(tx, month, 1, {"approved_by": "accountant2"})
    tx.commit()
    tx = store.transaction()
    store.approve_in(tx, month, files, f"{month}-10T10:00:00+09:00")
    tx.commit()


def _inquiry(deps: Any, inquiry_id: str, received_at: str) -> None:
    repo = deps.inquiry_repository
    tx = repo.new_tx()
    repo.put_in(tx, {"inquiry_id": inquiry_id, "received_at": received_at, "month": received_at[:7],
                     "category": "points_use", "channel": "phone", "caller_type": "resident", "status": "resolved"})
    tx.commit()


@pytest.fixture
def deps() -> Any:
    d = SimpleNamespace(
        settings=make_settings(), settlements=InMemorySettlementStore(), documents=Files(),
        inquiry_repository=InMemoryInquiryRepository(), inquiry_marks=InMemoryReportMarks(),
        session_repository=InMemorySessionRepository(), session_marks=SessionMarks(), yearend_marks=InMemoryMarks(),
        outbox=InMemoryOutbox(), audit=InMemoryAuditLog(), sender=Sender(),
    )
    _approved_round(d, "2025-03", 999, 999)  # the previous year: not in the pack
    _approved_round(d, "2025-06", 6300, 7000)
    _approved_round(d, "2026-02", 1000, 1000)
    _inquiry(d, "IQ000001", "2025-06-03T10:00:00+09:00")
    _inquiry(d, "IQ000002", "2025-06-04T10:00:00+09:00")
    _inquiry(d, "IQ000003", "2026-03-10T10:00:00+09:00")
    repo = d.session_repository
    session = Session("SS000001", "041017", "アエル 5階", "仙台市青葉区中央1-3-1",
                      datetime(2025, 6, 14, 10, tzinfo=JST), datetime(2025, 6, 14, 12, tzinfo=JST), 30,
                      date(2025, 5, 20), status="held", attendees=18, manuals=15)
    tx = repo.new_tx()
    repo.create(tx, session)
    repo.add_survey(tx, session, SurveyAnswer("SS000001", "70s", ("install",), ("installed",), 5, "",
                                              answer_id="SV000001"))
    tx.commit()
    return d


def test_the_pack_holds_the_fiscal_year_only_and_is_delivered(deps):
    answer = service.year_end_pack(deps, NOW)
    assert (answer["fiscal_year"], answer["version"], answer["created"]) == (2025, 1, True)
    t = answer["index"]["totals"]
    assert (t["rounds"], t["paid_total"], t["fee_base"]) == (2, 7300, 8000)
    assert (t["inquiries"], t["attendees"], t["surveys"]) == (3, 18, 1)
    for f in answer["index"]["files"]:
        body = deps.documents.objects[f["key"]]
        assert hashlib.sha256(body).hexdigest() == f["sha256"] and len(body) == f["size"]
    assert all(k.startswith("prefecture/year-end/2025/") for k in answer["files"])
    assert [m.mail_id for m in deps.sender.sent] == ["year-end-pack#2025#v1#prefecture"]
    assert deps.sender.sent[0].to == deps.settings.mail.prefecture_mailbox
    assert [e["action"] for e in deps.audit.entries] == ["yearend.pack"]


def test_a_rerun_answers_the_same_index_and_sends_nothing(deps):
    first = service.year_end_pack(deps, NOW)
    objects = dict(deps.documents.objects)
    again = service.year_end_pack(deps, datetime(2026, 4, 20, 9, tzinfo=JST))
    assert again["created"] is False and again["index"] == first["index"] and again["files"] == first["files"]
    assert deps.documents.objects == objects
    assert len(deps.sender.sent) == 1 and len(deps.audit.entries) == 1


def test_a_failure_midway_claims_nothing_and_the_next_run_completes(deps):
    deps.documents.fail_on = "report.pdf"
    with pytest.raises(ConnectionError):
        service.year_end_pack(deps, NOW)
    assert deps.yearend_marks.claims == {} and deps.sender.sent == [] and deps.audit.entries == []
    deps.documents.fail_on = None
    answer = service.year_end_pack(deps, NOW)
    assert answer["created"] is True and len(deps.sender.sent) == 1


def test_a_run_that_loses_the_claim_answers_the_winners_index_and_sends_nothing(deps):
    marks: InMemoryMarks = deps.yearend_marks
    winner = {"index": {"fiscal_year": 2025, "version": 1, "prefix": "prefecture/year-end/2025/", "files": []},
              "mail_id": "year-end-pack#2025#v1#prefecture", "at": "2026-04-06T08:59:59+09:00"}
    real_claim = marks.claim_in

    def racing_claim(tx: Any, year: int, version: int, attrs: dict[str, Any]) -> None:
        marks.claims[(year, version)] = winner  # a concurrent run committed first
        real_claim(tx, year, version, attrs)

    marks.claim_in = racing_claim  # type: ignore[method-assign]
    answer = service.year_end_pack(deps, NOW)
    assert answer["created"] is False and answer["index"] == winner["index"]
    assert deps.sender.sent == [] and deps.outbox.pending_ids() == [] and deps.audit.entries == []


def test_force_builds_a_new_version_in_its_own_folder(deps):
    first = service.year_end_pack(deps, NOW)
    _inquiry(deps, "IQ000004", "2025-07-01T10:00:00+09:00")
    second = service.year_end_pack(deps, datetime(2026, 4, 20, 9, tzinfo=JST), force=True)
    assert (second["version"], second["created"]) == (2, True)
    assert all(k.startswith("prefecture/year-end/2025/v2/") for k in second["files"])
    assert second["index"]["totals"]["inquiries"] == first["index"]["totals"]["inquiries"] + 1
    assert [m.mail_id for m in deps.sender.sent] == ["year-end-pack#2025#v1#prefecture",
                                                     "year-end-pack#2025#v2#prefecture"]
    assert "第2版" in deps.sender.sent[1].subject
    assert service.year_end_pack(deps, NOW)["version"] == 2  # a plain rerun answers the latest


def test_an_explicit_year_and_a_bad_one(deps):
    answer = service.year_end_pack(deps, NOW, year=2024)
    assert answer["index"]["totals"]["rounds"] == 1 and answer["index"]["totals"]["paid_total"] == 999
    for bad in ("2025", True, 1999, 2025.0):
        with pytest.raises(InvalidInput):
            service.year_end_pack(deps, NOW, year=bad)  # type: ignore[arg-type]


def test_the_job_is_registered_for_admins_and_accountants():
    from chalicelib.auth.roles import Role
    from chalicelib.jobs import registry

    assert "year-end-pack" in registry.names()
    assert registry.JOB_ROLES["year-end-pack"] == frozenset({Role.ADMIN, Role.ACCOUNTANT})


def test_a_pack_built_mid_year_is_interim_and_the_first_run_after_the_year_builds_the_final(deps):
    august = datetime(2025, 8, 12, 9, tzinfo=JST)
    interim = service.year_end_pack(deps, august)
    assert (interim["fiscal_year"], interim["version"], interim["final"]) == (2025, 1, False)
    assert interim["index"]["totals"]["rounds"] == 2  # what exists so far: June, and February already drafted
    assert "中間集計" in deps.sender.sent[0].subject
    assert service.year_end_pack(deps, datetime(2026, 3, 31, 23, tzinfo=JST))["created"] is False
    final = service.year_end_pack(deps, NOW)
    assert (final["version"], final["final"], final["created"]) == (2, True, True)
    assert all(k.startswith("prefecture/year-end/2025/v2/") for k in final["files"])
    assert "中間集計" not in deps.sender.sent[1].subject
    again = service.year_end_pack(deps, datetime(2026, 4, 28, 9, tzinfo=JST))
    assert (again["version"], again["created"]) == (2, False) and len(deps.sender.sent) == 2
