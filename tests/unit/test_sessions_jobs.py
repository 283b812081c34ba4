"""The sessions' sweeps on the in-memory twins: the monthly report reaches the prefecture once (reruns, a
lost race, a missed morning caught up), the coverage warning at most once a day and only with something
to say, and each announced session reaches every active store of its area in exactly one mail."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.audit.log import InMemoryAuditLog
from chalicelib.mail.delivery import InMemoryMarks
from chalicelib.mail.outbox import InMemoryOutbox, Mail
from chalicelib.sessions import reporting
from chalicelib.sessions.model import Session, SurveyAnswer
from chalicelib.sessions.repository import InMemorySessionRepository
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.fakes import make_settings

JST = ZoneInfo("Asia/Tokyo")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


class Files:
    bucket = "documents"

    def __init__(self) -> None:
        self.objects: dict[str, list[bytes]] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects.setdefault(key, []).append(body)


class Sender:
    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.ids = itertools.count(1)

    def send(self, mail: Mail) -> str:
        self.sent.append(mail)
        return f"msg-{next(self.ids)}"


@pytest.fixture
def deps() -> Any:
    return SimpleNamespace(
        settings=make_settings(), session_repository=InMemorySessionRepository(),
        store_repository=InMemoryStoreRepository(), outbox=InMemoryOutbox(), audit=InMemoryAuditLog(),
        sender=Sender(), session_marks=InMemoryMarks(), documents=Files(),
    )


def plan(deps: Any, n: int, start: str, area: str = "041017", **kw: Any) -> Session:
    starts = at(start)
    session = Session(
        session_id=f"SS{n:06d}", area_code=area, venue=f"会場{n}", address="住所", starts_at=starts,
        ends_at=starts.replace(hour=starts.hour + 2), capacity=30, **{"announce_on": date(2025, 5, 1), **kw},
    )
    repo = deps.session_repository
    tx = repo.new_tx()
    repo.create(tx, session)
    tx.commit()
    return session


def survey(deps: Any, session: Session, n: int, satisfaction: int = 5) -> None:
    repo = deps.session_repository
    tx = repo.new_tx()
    repo.add_survey(tx, session, SurveyAnswer(session.session_id, "70s", ("install",), ("installed",), satisfaction,
                                              answer_id=f"SV{n:06d}"))
    tx.commit()


def store(deps: Any, n: int, area: str, status: str = "active", email: str | None = None) -> None:
    repo = deps.store_repository
    tx = repo.new_tx()
    repo.create(tx, {"store_id": f"MP{n:06d}", "status": status, "store_name": f"テスト商店{n}",
                     "municipality_code": area, "email": email or f"shop{n}@example.com", "version": 1})
    tx.commit()


def sent_to(deps: Any, to: str) -> list[Mail]:
    return [m for m in deps.sender.sent if m.to == to]


# --- the monthly report ----------------------------------------------------------------------------


def test_the_report_is_delivered_on_the_first_office_day_after_the_month_once(deps):
    june = plan(deps, 1, "2025-06-14T10:00", status="held", attendees=20, manuals=18)
    plan(deps, 2, "2025-06-28T13:00", area="042021")
    survey(deps, june, 1, 5)
    survey(deps, june, 2, 4)
    # 30 June is still June; 1 July 2025 is a Tuesday, the prefecture's first office day of July.
    assert reporting.report_sweep(deps, at("2025-06-30T08:50"))["delivered"] == []
    result = reporting.report_sweep(deps, at("2025-07-01T08:50"))
    assert result["delivered"] == ["2025-06"] and result["sent"] == 2
    assert result["files"] == ["prefecture/monthly-sessions/2025-06.csv", "prefecture/monthly-sessions/2025-06.xlsx"]
    assert set(deps.documents.objects) == set(result["files"])
    [mail] = sent_to(deps, "pref@example.com")
    assert mail.subject == "【みやぎポイント】相談会 月次報告（2025年6月）" and "参加者数: 20人" in mail.body
    assert len(sent_to(deps, "staff@example.com")) == 1
    assert [e["action"] for e in deps.audit.entries] == ["session.monthly_report"]
    # Reruns, the same morning or later, deliver nothing and write no file again.
    for now in ("2025-07-01T08:50", "2025-07-01T15:00", "2025-07-02T08:50", "2025-08-01T08:50"):
        again = reporting.report_sweep(deps, at(now))
        assert again["delivered"] == [] and again["sent"] == 0
    assert len(deps.sender.sent) == 2 and all(len(v) == 1 for v in deps.documents.objects.values())


def test_a_month_ending_before_a_holiday_weekend_waits_for_the_office(deps):
    plan(deps, 1, "2025-08-20T10:00")
    # August 2025 ends on a Sunday; 1 September is Monday, the first office day.
    assert reporting.report_sweep(deps, at("2025-08-31T08:50"))["delivered"] == []
    assert reporting.report_sweep(deps, at("2025-09-01T08:50"))["delivered"] == ["2025-08"]
    plan(deps, 2, "2025-12-10T10:00")
    # December: the prefecture is closed 29 Dec – 3 Jan, then 4–5 Jan 2026 is a weekend.
    for now in ("2026-01-01T08:50", "2026-01-02T08:50", "2026-01-04T08:50"):
        assert reporting.report_sweep(deps, at(now))["delivered"] == []
    assert reporting.report_sweep(deps, at("2026-01-05T08:50"))["delivered"] == ["2025-12"]


def test_missed_mornings_are_caught_up_oldest_first_and_empty_months_are_skipped(deps):
    plan(deps, 1, "2025-05-20T10:00")
    plan(deps, 2, "2025-07-03T10:00", status="cancelled", cancel_reason="台風")  # all cancelled: still reported
    # No session in June. Nothing ran until 4 August.
    result = reporting.report_sweep(deps, at("2025-08-04T08:50"))
    assert result["delivered"] == ["2025-05", "2025-07"]
    assert len(sent_to(deps, "pref@example.com")) == 2
    assert reporting.report_sweep(deps, at("2025-08-05T08:50"))["delivered"] == []


def test_months_outside_the_session_period_are_not_reported(deps):
    plan(deps, 1, "2025-04-20T10:00")  # before the period (May 2025 – Feb 2026)
    plan(deps, 2, "2026-03-05T10:00")  # after it
    assert reporting.report_sweep(deps, at("2026-04-01T08:50"))["delivered"] == []
    assert deps.sender.sent == []


def test_a_run_that_lost_the_race_delivers_nothing_and_the_winner_delivers_once(deps, monkeypatch):
    plan(deps, 1, "2025-06-14T10:00")
    now = at("2025-07-01T08:50")
    assert reporting.report_sweep(deps, now)["delivered"] == ["2025-06"]
    # A concurrent run that checked before the first one claimed: its claim fails at commit.
    monkeypatch.setattr(InMemoryMarks, "delivered", lambda self, key: None)
    late = reporting.report_sweep(deps, now)
    assert late["delivered"] == [] and late["sent"] == 0
    assert len(sent_to(deps, "pref@example.com")) == 1
    assert [e["action"] for e in deps.audit.entries] == ["session.monthly_report"]


def test_a_failed_report_mail_is_retried_by_the_next_run(deps):
    plan(deps, 1, "2025-06-14T10:00")

    class Broken:
        def send(self, mail: Mail) -> str:
            raise ConnectionError("SES is down")

    working = deps.sender
    deps.sender = Broken()
    first = reporting.report_sweep(deps, at("2025-07-01T08:50"))
    assert first["delivered"] == ["2025-06"] and first["failed"] == 2
    deps.sender = working
    again = reporting.report_sweep(deps, at("2025-07-01T09:00"))
    assert again["delivered"] == [] and (again["retried"], again["sent"]) == (2, 2)
    assert len(sent_to(deps, "pref@example.com")) == 1


# --- coverage warnings -----------------------------------------------------------------------------


def test_no_warning_while_the_period_is_far_from_its_end_and_nothing_is_crowded(deps):
    plan(deps, 1, "2025-06-14T10:00")
    result = reporting.coverage_warning_sweep(deps, at("2025-06-02T08:55"))
    assert result["missing"] == [] and result["sent_today"] is False
    assert deps.sender.sent == [] and deps.session_marks.claims == {}


def test_areas_without_sessions_are_warned_about_once_a_day_as_the_period_runs_out(deps):
    plan(deps, 1, "2025-06-14T10:00")  # 仙台市青葉区 has one; the other 38 areas have none
    first = reporting.coverage_warning_sweep(deps, at("2025-12-01T08:55"))  # 89 days before 28 Feb
    assert first["sent_today"] is True and len(first["missing"]) == 38 and "041017" not in first["missing"]
    [mail] = sent_to(deps, "staff@example.com")
    assert "相談会の予定がない地域（38地域）" in mail.body and "石巻市" in mail.body
    assert "あと 89日" in mail.body and "/console/sessions" in mail.body
    again = reporting.coverage_warning_sweep(deps, at("2025-12-01T15:00"))
    assert again["sent_today"] is True and again["sent"] == 0
    assert len(deps.sender.sent) == 1
    assert reporting.coverage_warning_sweep(deps, at("2025-12-02T08:55"))["sent_today"] is True
    assert len(deps.sender.sent) == 2  # the next day, one more


# --- announcements to stores -----------------------------------------------------------------------


def test_an_announced_session_reaches_each_active_store_of_its_area_exactly_once(deps):
    session = plan(deps, 1, "2025-06-14T10:00", announce_on=date(2025, 5, 20))
    store(deps, 1, "041017")
    store(deps, 2, "041017")
    store(deps, 3, "041017", status="suspended")
    store(deps, 4, "042021")  # another area
    assert reporting.announcement_sweep(deps, at("2025-05-19T09:05"))["announced"] == []  # not yet announced
    result = reporting.announcement_sweep(deps, at("2025-05-20T09:05"))
    assert result["announced"] == ["SS000001"] and result["queued"] == 2 and result["sent"] == 2
    assert sorted(m.to for m in deps.sender.sent) == ["shop1@example.com", "shop2@example.com"]
    mail = deps.sender.sent[0]
    assert mail.subject.startswith("【みやぎポイント】仙台市青葉区でアプリ相談会を開催します")
    assert "https://ops.example/sessions/SS000001/flyer.pdf" in mail.body
    assert "https://ops.example/sessions" in mail.body
    for now in ("2025-05-20T09:05", "2025-05-21T09:05"):
        again = reporting.announcement_sweep(deps, at(now))
        assert again["announced"] == [] and again["queued"] == 0
    assert len(deps.sender.sent) == 2
    assert deps.session_marks.delivered(f"announced#{session.session_id}")["stores"] == 2


def test_a_run_cut_off_midway_queues_the_rest_and_nothing_twice(deps, monkeypatch):
    plan(deps, 1, "2025-06-14T10:00", announce_on=date(2025, 5, 20))
    for n in (1, 2, 3):
        store(deps, n, "041017")
    # The first run queued store 1's mail, then died before marking the session announced.
    first_only = reporting._active_stores_by_area

    def one_store(deps_: Any, areas: set[str]) -> dict[str, list[dict[str, Any]]]:
        return {a: s[:1] for a, s in first_only(deps_, areas).items()}

    monkeypatch.setattr(reporting, "_active_stores_by_area", one_store)
    monkeypatch.setattr(InMemoryMarks, "claim_in", lambda *a: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError):
        reporting.announcement_sweep(deps, at("2025-05-20T09:05"))
    monkeypatch.undo()
    result = reporting.announcement_sweep(deps, at("2025-05-20T09:10"))
    assert result["announced"] == ["SS000001"] and result["queued"] == 2  # stores 2 and 3; store 1's was queued
    assert len(deps.outbox.mails) == 3


def test_cancelled_past_and_unannounced_sessions_are_not_announced(deps):
    plan(deps, 1, "2025-06-14T10:00", announce_on=date(2025, 5, 20), status="cancelled", cancel_reason="会場の都合")
    plan(deps, 2, "2025-05-20T10:00", announce_on=date(2025, 5, 1))  # began before this run
    plan(deps, 3, "2025-07-14T10:00", announce_on=date(2025, 6, 20))  # announced later
    store(deps, 1, "041017")
    result = reporting.announcement_sweep(deps, at("2025-05-20T11:00"))
    assert result["announced"] == [] and deps.sender.sent == []


def test_a_session_without_stores_in_its_area_is_marked_and_sends_nothing(deps):
    plan(deps, 1, "2025-06-14T10:00", area="043010", announce_on=date(2025, 5, 20))
    store(deps, 1, "041017")
    result = reporting.announcement_sweep(deps, at("2025-05-20T09:05"))
    assert result["announced"] == ["SS000001"] and result["queued"] == 0 and deps.sender.sent == []


def test_announcements_follow_session_edits_only_by_id(deps):
    session = plan(deps, 1, "2025-06-14T10:00", announce_on=date(2025, 5, 20))
    store(deps, 1, "041017")
    reporting.announcement_sweep(deps, at("2025-05-20T09:05"))
    moved = replace(session, venue="別会場")
    repo = deps.session_repository
    tx = repo.new_tx()
    repo.update(tx, moved, session.version)
    tx.commit()
    assert reporting.announcement_sweep(deps, at("2025-05-21T09:05"))["queued"] == 0


def test_crowding_alone_is_worth_a_mail_and_names_the_month(deps):
    for n in range(1, 11):  # ten sessions, all in June: a crowded month long before the period's end
        plan(deps, n, f"2025-06-{n + 1:02d}T10:00")
    result = reporting.coverage_warning_sweep(deps, at("2025-06-02T08:55"))
    assert result["missing"] == [] and result["sent_today"] is True
    assert any("2025年6月" in text or "6月" in text for text in result["crowding"])
    [mail] = sent_to(deps, "staff@example.com")
    assert "時期・地域の偏り" in mail.body and "相談会の予定がない地域" not in mail.body
