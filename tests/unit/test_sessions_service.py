"""The consultation sessions' service on the in-memory twin (no AWS): every write audited in its own
transaction, lost updates refused, cancelled sessions kept, attendance on the day, surveys masked,
the public survey's window and honeypot, the manual's versions and the public listing."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.auth.roles import Principal, Role
from chalicelib.clock import JST
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.sessions import service
from chalicelib.sessions.repository import InMemorySessionRepository
from tests.fakes import Audit, Counters, make_settings

PLANNING = datetime(2025, 5, 1, 9, 0, tzinfo=JST)
DAY = datetime(2025, 6, 14, 13, 0, tzinfo=JST)
ALICE = Principal("alice", frozenset({Role.COORDINATOR}))
BOB = Principal("bob", frozenset({Role.ADMIN}))


class Documents:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.files[key] = body

    def get(self, key: str) -> bytes | None:
        return self.files.get(key)


class Keys(Counters):
    """Counters, and the keys claimed in the twin's transactions (client tokens)."""

    def __init__(self, repo: InMemorySessionRepository) -> None:
        super().__init__()
        self.repo = repo

    def get(self, pk: str, sk: str = "-") -> dict[str, Any] | None:
        return next((k for k in self.repo.tables.get("keys", []) if (k["pk"], k["sk"]) == (pk, sk)), None)


@pytest.fixture
def deps() -> Any:
    repo = InMemorySessionRepository()
    return SimpleNamespace(settings=make_settings(), session_repository=repo, keys=Keys(repo), audit=Audit(),
                           documents=Documents())


def audit(deps: Any) -> list[tuple[str, str, str]]:
    return [(e["action"], e["subject"], e["user"]) for e in deps.session_repository.tables.get("audit", [])]


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "area_code": "042021", "venue": "石巻市中央公民館", "address": "石巻市日和が丘1-1-1",
        "starts_at": "2025-06-14T10:00:00+09:00", "ends_at": "2025-06-14T12:00:00+09:00", "capacity": 30,
        "announce_on": "2025-05-17", "staff": ["alice"],
    }
    values.update(overrides)
    return values


SURVEY = {"age_band": "70s", "purposes": ["install"], "could_do": ["installed"], "satisfaction": 4,
          "needs": "孫に電話 080-1111-2222 で聞きます"}


def plan(deps: Any, **overrides: Any) -> str:
    return str(service.plan(deps, body(**overrides), ALICE, PLANNING)["session_id"])


def test_planning_numbers_sessions_and_audits_each(deps: Any) -> None:
    first = service.plan(deps, body(), ALICE, PLANNING)
    assert first["session_id"] == "SS000001" and first["status"] == "scheduled" and first["created_by"] == "alice"
    assert plan(deps, area_code="041017") == "SS000002"
    stored = deps.session_repository.get("SS000001")
    assert stored.starts_at == datetime(2025, 6, 14, 10, tzinfo=JST) and stored.staff == ("alice",)
    assert audit(deps) == [("session.create", "session#SS000001", "alice"), ("session.create", "session#SS000002", "alice")]


def test_an_invalid_plan_stores_nothing_and_takes_no_number(deps: Any) -> None:
    with pytest.raises(InvalidInput):
        service.plan(deps, body(capacity=0), ALICE, PLANNING)
    assert deps.session_repository.list_all() == [] and deps.keys.numbers == {} and audit(deps) == []


def test_the_second_of_two_edits_from_the_same_version_is_refused(deps: Any) -> None:
    sid = plan(deps)
    changed = service.edit(deps, sid, {"venue": "新会場", "version": 1}, ALICE, PLANNING)
    assert changed["venue"] == "新会場" and changed["version"] == 2
    with pytest.raises(Conflict):
        service.edit(deps, sid, {"capacity": 50, "version": 1}, BOB, PLANNING)
    stored = deps.session_repository.get(sid)
    assert (stored.venue, stored.capacity, stored.version, stored.updated_by) == ("新会場", 30, 2, "alice")
    assert [a[0] for a in audit(deps)] == ["session.create", "session.edit"]
    edit_entry = deps.session_repository.tables["audit"][1]
    assert edit_entry["before"]["venue"] == "石巻市中央公民館" and edit_entry["after"]["venue"] == "新会場"


def test_a_race_between_read_and_write_is_a_conflict_at_commit(deps: Any) -> None:
    sid = plan(deps)
    repo = deps.session_repository
    real_get = repo.get

    def get_then_someone_else_edits(session_id: str) -> Any:
        found = real_get(session_id)
        repo.get = real_get
        service.edit(deps, sid, {"venue": "割り込み", "version": 1}, BOB, PLANNING)
        return found

    repo.get = get_then_someone_else_edits
    with pytest.raises(Conflict):
        service.cancel(deps, sid, {"reason": "会場都合"}, ALICE, PLANNING)
    assert repo.get(sid).status == "scheduled" and repo.get(sid).venue == "割り込み"


def test_cancelling_keeps_the_record_and_cannot_happen_twice(deps: Any) -> None:
    sid = plan(deps)
    answer = service.cancel(deps, sid, {"reason": "台風接近のため"}, ALICE, PLANNING)
    assert (answer["status"], answer["cancel_reason"], answer["editable"]) == ("cancelled", "台風接近のため", False)
    with pytest.raises(Conflict) as caught:
        service.cancel(deps, sid, {"reason": "もう一度"}, BOB, PLANNING)
    assert caught.value.message == "この相談会は既に中止になっています"
    with pytest.raises(Conflict):
        service.edit(deps, sid, {"venue": "x", "version": 2}, ALICE, PLANNING)
    with pytest.raises(Conflict):
        service.record_attendance(deps, sid, {"attendees": 1, "manuals": 1}, ALICE, DAY)
    assert deps.session_repository.get(sid).cancel_reason == "台風接近のため"
    with pytest.raises(NotFound):
        service.cancel(deps, "SS999999", {"reason": "x"}, ALICE, PLANNING)


def test_attendance_is_recorded_from_the_day_and_can_be_corrected(deps: Any) -> None:
    sid = plan(deps)
    with pytest.raises(Conflict):
        service.record_attendance(deps, sid, {"attendees": 9, "manuals": 9}, ALICE, DAY - timedelta(days=1))
    held = service.record_attendance(deps, sid, {"attendees": 9, "manuals": 7}, ALICE, DAY)
    assert (held["status"], held["attendees"], held["manuals"]) == ("held", 9, 7)
    fixed = service.record_attendance(deps, sid, {"attendees": 11, "manuals": 7, "version": 2}, BOB,
                                      DAY + timedelta(days=2))
    assert fixed["attendees"] == 11 and fixed["version"] == 3
    with pytest.raises(Conflict):
        service.record_attendance(deps, sid, {"attendees": 12, "manuals": 7, "version": 2}, BOB, DAY)
    with pytest.raises(Conflict):
        service.cancel(deps, sid, {"reason": "x"}, ALICE, DAY)
    assert [a[0] for a in audit(deps)] == ["session.create", "session.attendance", "session.attendance"]


def test_staff_survey_entry_masks_contacts_and_refuses_unknown_cancelled_and_early(deps: Any) -> None:
    sid = plan(deps)
    answer = service.add_survey(deps, sid, SURVEY, ALICE, DAY)
    assert answer["answer_id"] == "SV000001" and answer["needs"] == "孫に電話 ［電話番号］ で聞きます"
    stored = deps.session_repository.surveys_for(sid)
    assert [(a.source, a.needs) for a in stored] == [("staff", "孫に電話 ［電話番号］ で聞きます")]
    assert deps.session_repository.surveys_for_month("2025-06") == stored
    with pytest.raises(NotFound):
        service.add_survey(deps, "SS999999", SURVEY, ALICE, DAY)
    with pytest.raises(NotFound):
        service.add_survey(deps, "nonsense", SURVEY, ALICE, DAY)
    with pytest.raises(Conflict):
        service.add_survey(deps, sid, SURVEY, ALICE, PLANNING)
    other = plan(deps, area_code="041017")
    service.cancel(deps, other, {"reason": "中止"}, ALICE, PLANNING)
    with pytest.raises(Conflict):
        service.add_survey(deps, other, SURVEY, ALICE, DAY)
    assert ("session.survey_staff", f"session#{sid}", "alice") in audit(deps)


def test_the_public_survey_window_and_the_honeypot(deps: Any) -> None:
    sid = plan(deps)
    with pytest.raises(Conflict):
        service.add_public_survey(deps, sid, SURVEY, DAY - timedelta(days=1))
    assert service.add_public_survey(deps, sid, SURVEY, DAY)["received"] is True
    quiet = service.add_public_survey(deps, sid, {**SURVEY, "website": "http://bot.example"}, DAY)
    assert quiet["received"] is True
    with pytest.raises(Conflict):
        service.add_public_survey(deps, sid, SURVEY, DAY + timedelta(days=31))
    answers = deps.session_repository.surveys_for(sid)
    assert [a.source for a in answers] == ["public"]
    assert ("session.survey_public", f"session#{sid}", "public") in audit(deps)
    with pytest.raises(NotFound):
        service.add_public_survey(deps, "SS000404", SURVEY, DAY)


def test_a_double_submitted_form_is_stored_once(deps: Any) -> None:
    sid = plan(deps)
    first = service.add_survey(deps, sid, {**SURVEY, "client_token": "form-0001"}, ALICE, DAY)
    again = service.add_survey(deps, sid, {**SURVEY, "client_token": "form-0001"}, ALICE, DAY)
    other = service.add_survey(deps, sid, {**SURVEY, "client_token": "form-0002"}, ALICE, DAY)
    assert first["answer_id"] == again["answer_id"] == "SV000001" and other["answer_id"] == "SV000002"
    service.add_public_survey(deps, sid, {**SURVEY, "client_token": "phone-abcdef"}, DAY)
    service.add_public_survey(deps, sid, {**SURVEY, "client_token": "phone-abcdef"}, DAY)
    assert [a.answer_id for a in deps.session_repository.surveys_for(sid)] == ["SV000001", "SV000002", "SV000003"]
    with pytest.raises(InvalidInput):
        service.add_survey(deps, sid, {**SURVEY, "client_token": "bad token!"}, ALICE, DAY)


def test_the_public_survey_takes_no_more_answers_than_capacity_then_attendance(deps: Any) -> None:
    sid = plan(deps, capacity=3)
    service.add_survey(deps, sid, SURVEY, ALICE, DAY)
    service.add_public_survey(deps, sid, SURVEY, DAY)
    service.add_public_survey(deps, sid, SURVEY, DAY)
    with pytest.raises(Conflict) as caught:
        service.add_public_survey(deps, sid, SURVEY, DAY)
    assert caught.value.message == "この相談会のアンケートは受付数の上限に達しました。ご協力ありがとうございました"
    assert "session_id" in caught.value.fields
    # Staff's paper entry is never refused by the bound; the detail shows the excess.
    assert service.add_survey(deps, sid, SURVEY, ALICE, DAY)["answer_id"] == "SV000004"
    over = service.detail(deps, sid, DAY)
    assert (over["survey_summary"]["count"], over["survey_limit"], over["survey_over_limit"]) == (4, 3, True)
    # Once attendance is recorded, it is the bound (here above the capacity: walk-ins).
    service.record_attendance(deps, sid, {"attendees": 5, "manuals": 5}, ALICE, DAY)
    assert service.add_public_survey(deps, sid, SURVEY, DAY)["received"] is True
    with pytest.raises(Conflict):
        service.add_public_survey(deps, sid, SURVEY, DAY)
    answers = deps.session_repository.surveys_for(sid)
    assert [a.source for a in answers] == ["staff", "public", "public", "staff", "public"]
    held = service.detail(deps, sid, DAY)
    assert (held["survey_limit"], held["survey_over_limit"]) == (5, False)


def test_two_public_answers_at_once_cannot_both_take_the_last_place(deps: Any) -> None:
    sid = plan(deps, capacity=2)
    service.add_public_survey(deps, sid, SURVEY, DAY)
    repo = deps.session_repository
    real_surveys_for = repo.surveys_for

    def count_then_another_answer_lands(session_id: str) -> Any:
        # Both submitters counted one answer; the other one commits first.
        seen = real_surveys_for(session_id)
        repo.surveys_for = real_surveys_for
        service.add_public_survey(deps, sid, SURVEY, DAY)
        return seen

    repo.surveys_for = count_then_another_answer_lands
    with pytest.raises(Conflict) as caught:
        service.add_public_survey(deps, sid, SURVEY, DAY)
    assert caught.value.message.startswith("この相談会のアンケートは受付数の上限")
    assert len(repo.surveys_for(sid)) == 2
    assert [a[0] for a in audit(deps)].count("session.survey_public") == 2


def test_a_paper_entry_racing_a_public_answer_is_stored_in_the_next_place(deps: Any) -> None:
    sid = plan(deps, capacity=1)
    repo = deps.session_repository
    real_surveys_for = repo.surveys_for

    def count_then_a_public_answer_lands(session_id: str) -> Any:
        seen = real_surveys_for(session_id)
        repo.surveys_for = real_surveys_for
        service.add_public_survey(deps, sid, SURVEY, DAY)
        return seen

    repo.surveys_for = count_then_a_public_answer_lands
    staff = service.add_survey(deps, sid, SURVEY, ALICE, DAY)
    assert [(a.answer_id, a.source) for a in repo.surveys_for(sid)] == [("SV000001", "public"), ("SV000002", "staff")]
    assert staff["answer_id"] == "SV000002"
    slots = sorted(k["pk"] for k in repo.tables["keys"] if k["pk"].startswith("survey-slot#"))
    assert slots == [f"survey-slot#{sid}#1", f"survey-slot#{sid}#2"]


def test_the_manual_is_versioned_and_the_latest_is_served(deps: Any) -> None:
    with pytest.raises(NotFound):
        service.latest_manual(deps)
    for bad in (b"", b"hello", b"%PDF" + b"x" * service.MAX_MANUAL_BYTES):
        with pytest.raises(InvalidInput):
            service.upload_manual(deps, bad, "m.pdf", ALICE, PLANNING)
    first = service.upload_manual(deps, b"%PDF-1.7 v1", "手引き.pdf", ALICE, PLANNING)
    second = service.upload_manual(deps, b"%PDF-1.7 v2", "手引き.pdf", BOB, PLANNING)
    assert (first["version"], second["version"]) == (1, 2)
    assert service.latest_manual(deps) == b"%PDF-1.7 v2"
    assert set(deps.documents.files) == {"sessions/manuals/v1.pdf", "sessions/manuals/v2.pdf"}
    assert [m["version"] for m in service.list_manuals(deps)] == [2, 1]
    assert ("session.manual_upload", "session-manual#v2", "bob") in audit(deps)


def test_the_public_listing_shows_announced_sessions_until_their_day(deps: Any) -> None:
    ishinomaki = plan(deps)
    sendai = plan(deps, area_code="041017", venue="青葉区中央市民センター", announce_on="2025-05-10",
                  starts_at="2025-06-07T10:00:00+09:00", ends_at="2025-06-07T12:00:00+09:00")
    plan(deps, area_code="042064", announce_on="2025-08-01", starts_at="2025-09-06T10:00:00+09:00",
         ends_at="2025-09-06T12:00:00+09:00")
    service.cancel(deps, sendai, {"reason": "会場都合"}, ALICE, PLANNING)
    before = service.public_listing(deps, datetime(2025, 5, 9, tzinfo=JST))
    assert before["regions"] == []
    listing = service.public_listing(deps, datetime(2025, 5, 20, tzinfo=JST))
    assert [r["region"] for r in listing["regions"]] == ["仙台", "石巻"]
    rows = {s["session_id"]: s for r in listing["regions"] for a in r["areas"] for s in a["sessions"]}
    assert set(rows) == {ishinomaki, sendai}
    assert rows[sendai]["cancelled"] is True and rows[sendai]["flyer_url"] is None
    assert rows[ishinomaki]["date_label"] == "2025年6月14日（土）" and rows[ishinomaki]["time_label"] == "10:00〜12:00"
    assert listing["phone"] and "マイナンバーカード" in listing["what_to_bring"] and listing["manual"] is False
    on_the_day = service.public_sessions(deps, datetime(2025, 6, 14, 15, tzinfo=JST))
    assert [s.session_id for s in on_the_day] == [ishinomaki]
    assert service.public_sessions(deps, datetime(2025, 6, 15, tzinfo=JST)) == []


def test_flyers_and_the_survey_page_are_for_announced_sessions_only(deps: Any) -> None:
    sid = plan(deps)
    with pytest.raises(NotFound):
        service.announced_session(deps, sid, datetime(2025, 5, 16, tzinfo=JST))
    session, area = service.announced_session(deps, sid, datetime(2025, 5, 17, tzinfo=JST))
    assert session.session_id == sid and area.name == "石巻市"
    assert service.survey_heading(deps, sid, DAY) == "6月14日（土） 石巻市中央公民館"


def test_list_and_coverage(deps: Any) -> None:
    plan(deps)
    plan(deps, area_code="041017", starts_at="2025-07-05T10:00:00+09:00", ends_at="2025-07-05T12:00:00+09:00",
         announce_on="2025-06-01")
    assert [r["session_id"] for r in service.list_sessions(
        deps, datetime(2025, 6, 1).date(), datetime(2025, 6, 30).date())] == ["SS000001"]
    with pytest.raises(InvalidInput):
        service.list_sessions(deps, datetime(2025, 7, 1).date(), datetime(2025, 6, 1).date())
    with pytest.raises(InvalidInput):
        service.list_sessions(deps, datetime(2025, 1, 1).date(), datetime(2026, 6, 1).date())
    board = service.coverage_board(deps, PLANNING)
    assert len(board["missing"]) == 37 and board["total"] == 2
