"""The sessions repository's contract: DynamoDB (on the contract suite's moto server) and the in-memory
twin answer the same way, so unit tests on the twin say something about production."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from chalicelib.clock import JST
from chalicelib.errors import Conflict
from chalicelib.sessions.model import Session, SurveyAnswer
from chalicelib.sessions.repository import (
    DynamoSessionRepository,
    InMemorySessionRepository,
    ManualVersion,
    SessionRepository,
    months_between,
)


@pytest.fixture
def repo(kind: str, request: pytest.FixtureRequest) -> SessionRepository:
    if kind == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return DynamoSessionRepository(real.settings.tables.sessions_table)
    return InMemorySessionRepository()


def session(n: int, day: str, hour: int = 10, **overrides: Any) -> Session:
    starts = datetime.fromisoformat(f"{day}T{hour:02d}:00:00+09:00")
    values: dict[str, Any] = {
        "session_id": f"SS{n:06d}", "area_code": "042021", "venue": f"石巻市民センター{n}", "address": "石巻市日和が丘1-1",
        "starts_at": starts, "ends_at": starts.replace(hour=hour + 2), "capacity": 30,
        "announce_on": date.fromisoformat(day).replace(day=1), "partner": "石巻市役所", "staff": ("alice", "bob"),
        "notes": "駐車場あり", "created_at": "2025-04-01T09:00:00+09:00", "created_by": "coordinator",
    }
    values.update(overrides)
    return Session(**values)


def answer(session_id: str, answer_id: str, **overrides: Any) -> SurveyAnswer:
    values: dict[str, Any] = {
        "session_id": session_id, "age_band": "70s", "purposes": ("install", "mynumber"), "could_do": ("installed",),
        "satisfaction": 4, "needs": "文字を大きく", "source": "staff", "answer_id": answer_id,
        "received_at": datetime(2025, 6, 10, 12, 0, tzinfo=JST),
    }
    values.update(overrides)
    return SurveyAnswer(**values)


def given(repo: SessionRepository, *sessions: Session) -> None:
    tx = repo.new_tx()
    for s in sessions:
        repo.create(tx, s)
    tx.commit()


def test_a_created_session_reads_back_and_an_unknown_one_is_none(repo: SessionRepository) -> None:
    given(repo, session(1, "2025-06-10"))
    assert repo.get("SS000001") == session(1, "2025-06-10")
    assert repo.get("SS000001").starts_at.tzinfo is not None  # type: ignore[union-attr]
    assert repo.get("SS999999") is None
    assert repo.get("") is None


def test_a_session_with_no_optional_fields_reads_back(repo: SessionRepository) -> None:
    bare = session(1, "2025-06-10", partner="", staff=(), notes="", created_at="", created_by="")
    given(repo, bare)
    assert repo.get("SS000001") == bare


def test_a_session_id_is_created_once(repo: SessionRepository) -> None:
    given(repo, session(1, "2025-06-10"))
    tx = repo.new_tx()
    repo.create(tx, session(1, "2025-07-10", venue="二重"))
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("SS000001").venue == "石巻市民センター1"  # type: ignore[union-attr]
    assert [s.session_id for s in repo.list_month("2025-07")] == []


def test_an_update_is_conditional_on_the_version_and_bumps_it(repo: SessionRepository) -> None:
    given(repo, session(1, "2025-06-10"))
    tx = repo.new_tx()
    repo.update(tx, replace(session(1, "2025-06-10"), venue="新会場"), 1)
    tx.commit()
    stored = repo.get("SS000001")
    assert stored is not None and stored.venue == "新会場" and stored.version == 2
    stale = repo.new_tx()
    repo.update(stale, replace(session(1, "2025-06-10"), venue="古い画面から"), 1)
    with pytest.raises(Conflict):
        stale.commit("stale")
    assert repo.get("SS000001").venue == "新会場"  # type: ignore[union-attr]


def test_an_update_of_a_missing_session_is_a_conflict(repo: SessionRepository) -> None:
    tx = repo.new_tx()
    repo.update(tx, session(9, "2025-06-10"), 1)
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("SS000009") is None


def test_a_month_lists_its_sessions_by_start_and_moves_with_an_edit(repo: SessionRepository) -> None:
    given(repo, session(1, "2025-06-20"), session(2, "2025-06-03", hour=13), session(3, "2025-06-03", hour=9),
          session(4, "2025-07-01"))
    assert [s.session_id for s in repo.list_month("2025-06")] == ["SS000003", "SS000002", "SS000001"]
    assert [s.session_id for s in repo.list_month("2025-07")] == ["SS000004"]
    assert repo.list_month("2025-08") == []
    tx = repo.new_tx()
    moved = session(1, "2025-08-05")
    repo.update(tx, moved, 1)
    tx.commit()
    assert [s.session_id for s in repo.list_month("2025-06")] == ["SS000003", "SS000002"]
    assert [s.session_id for s in repo.list_month("2025-08")] == ["SS000001"]
    assert [s.session_id for s in repo.list_all()] == ["SS000003", "SS000002", "SS000004", "SS000001"]


def test_between_is_inclusive_by_jst_day_across_months(repo: SessionRepository) -> None:
    given(repo, session(1, "2025-05-31", hour=9), session(2, "2025-06-01", hour=9), session(3, "2025-06-30", hour=18),
          session(4, "2025-07-01", hour=9), session(5, "2026-02-28", hour=9))
    assert [s.session_id for s in repo.list_between(date(2025, 6, 1), date(2025, 6, 30))] == ["SS000002", "SS000003"]
    assert [s.session_id for s in repo.list_between(date(2025, 5, 31), date(2025, 7, 1))] == [
        "SS000001", "SS000002", "SS000003", "SS000004"]
    assert repo.list_between(date(2025, 7, 2), date(2025, 7, 1)) == []
    assert [s.session_id for s in repo.list_all()] == ["SS000001", "SS000002", "SS000003", "SS000004", "SS000005"]


def test_several_sessions_of_one_month_can_be_created_in_one_transaction(repo: SessionRepository) -> None:
    given(repo, *[session(i, f"2025-09-{i:02d}") for i in range(1, 6)])
    assert len(repo.list_month("2025-09")) == 5
    assert len(repo.list_all()) == 5


def test_survey_answers_read_back_per_session_and_per_month(repo: SessionRepository) -> None:
    june, july = session(1, "2025-06-10"), session(2, "2025-07-02")
    given(repo, june, july)
    tx = repo.new_tx()
    repo.add_survey(tx, june, answer("SS000001", "SV000002", needs=""))
    repo.add_survey(tx, june, answer("SS000001", "SV000001", source="public", received_at=None))
    repo.add_survey(tx, july, answer("SS000002", "SV000003", purposes=("other",), could_do=()))
    tx.commit()
    assert [a.answer_id for a in repo.surveys_for("SS000001")] == ["SV000001", "SV000002"]
    assert repo.surveys_for("SS000001")[0] == answer("SS000001", "SV000001", source="public", received_at=None)
    assert repo.surveys_for("SS000002") == [answer("SS000002", "SV000003", purposes=("other",), could_do=())]
    assert repo.surveys_for("SS000009") == []
    assert [a.answer_id for a in repo.surveys_for_month("2025-06")] == ["SV000001", "SV000002"]
    assert [a.answer_id for a in repo.surveys_for_month("2025-07")] == ["SV000003"]
    assert repo.surveys_for_month("2025-08") == []
    # Answers are not sessions: the month's session list and the season hold sessions only.
    assert [s.session_id for s in repo.list_month("2025-06")] == ["SS000001"]
    assert len(repo.list_all()) == 2


def test_an_answer_id_is_stored_once(repo: SessionRepository) -> None:
    june = session(1, "2025-06-10")
    given(repo, june)
    for satisfaction in (5, 1):
        tx = repo.new_tx()
        repo.add_survey(tx, june, answer("SS000001", "SV000001", satisfaction=satisfaction))
        if satisfaction == 1:
            with pytest.raises(Conflict):
                tx.commit()
        else:
            tx.commit()
    assert [a.satisfaction for a in repo.surveys_for("SS000001")] == [5]


def test_proposals_are_written_once_then_only_at_their_version(repo: SessionRepository) -> None:
    assert repo.get_proposals("2025-06") is None
    tx = repo.new_tx()
    repo.put_proposals(tx, "2025-06", "会場を増やす", "coordinator", "2025-07-01T10:00:00+09:00", 0)
    tx.commit()
    first = repo.get_proposals("2025-06")
    assert first is not None and (first.text, first.by, first.version) == ("会場を増やす", "coordinator", 1)
    again = repo.new_tx()
    repo.put_proposals(again, "2025-06", "別の人が最初から", "other", "2025-07-01T10:01:00+09:00", 0)
    with pytest.raises(Conflict):
        again.commit()
    tx = repo.new_tx()
    repo.put_proposals(tx, "2025-06", "会場を増やす。土曜開催も", "coordinator", "2025-07-01T11:00:00+09:00", 1)
    tx.commit()
    stale = repo.new_tx()
    repo.put_proposals(stale, "2025-06", "古い版から", "other", "2025-07-01T11:01:00+09:00", 1)
    with pytest.raises(Conflict):
        stale.commit()
    latest = repo.get_proposals("2025-06")
    assert latest is not None and (latest.text, latest.version) == ("会場を増やす。土曜開催も", 2)
    assert repo.get_proposals("2025-07") is None


def test_manual_versions_list_newest_first_and_a_version_is_taken_once(repo: SessionRepository) -> None:
    assert repo.latest_manual() is None and repo.list_manuals() == []
    for v in (1, 2, 3):
        tx = repo.new_tx()
        repo.add_manual(tx, ManualVersion(v, f"sessions/manuals/v{v}.pdf", 1000 * v, "coordinator",
                                          f"2025-05-0{v}T10:00:00+09:00", f"manual{v}.pdf"))
        tx.commit()
    assert repo.latest_manual() == ManualVersion(3, "sessions/manuals/v3.pdf", 3000, "coordinator",
                                                 "2025-05-03T10:00:00+09:00", "manual3.pdf")
    assert [m.version for m in repo.list_manuals()] == [3, 2, 1]
    tx = repo.new_tx()
    repo.add_manual(tx, ManualVersion(3, "sessions/manuals/v3.pdf", 1, "other", "2025-05-04T10:00:00+09:00"))
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.latest_manual().size == 3000  # type: ignore[union-attr]


def test_a_transaction_writes_all_or_nothing(repo: SessionRepository) -> None:
    given(repo, session(1, "2025-06-10"))
    tx = repo.new_tx()
    repo.create(tx, session(2, "2025-10-10"))
    repo.add_survey(tx, session(1, "2025-06-10"), answer("SS000001", "SV000001"))
    repo.update(tx, session(1, "2025-06-10"), 7)  # stale: the whole transaction fails
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("SS000002") is None
    assert repo.surveys_for("SS000001") == []
    assert repo.list_month("2025-10") == []


def test_audit_entries_join_the_same_transaction(repo: SessionRepository, kind: str,
                                                 request: pytest.FixtureRequest) -> None:
    from chalicelib.audit.log import SYSTEM, entry

    audit: Any
    if kind == "dynamo":
        audit = request.getfixturevalue("deps").audit
    else:
        from tests.fakes import Audit

        audit = Audit()
    tx = repo.new_tx()
    repo.create(tx, session(1, "2025-06-10"))
    audit.add_to(tx, entry(SYSTEM, "session.create", "session#SS000001", datetime(2025, 5, 1, tzinfo=JST)))
    tx.commit()
    assert repo.get("SS000001") is not None
    if kind == "dynamo":
        assert [e["action"] for e in audit.by_subject("session#SS000001")] == ["session.create"]
    else:
        assert [e["action"] for e in repo.tables["audit"]] == ["session.create"]  # type: ignore[attr-defined]


def test_months_between_is_inclusive() -> None:
    assert months_between(date(2025, 5, 31), date(2026, 2, 1)) == [
        "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between(date(2025, 6, 1), date(2025, 5, 31)) == []
