"""Consultation sessions through the API (Chalice's test client on moto): planning with field messages,
the list, edits and their conflicts, cancelling, attendance, surveys (staff and public), the manual, the
coverage board, the public page and the roles."""

from __future__ import annotations

import json
from typing import Any

import pytest

PLANNING = {"X-Miyapo-Now": "2025-05-01T09:00:00+09:00"}


def at(now: str) -> dict[str, str]:
    return {"X-Miyapo-Now": now}


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "area_code": "042021", "venue": "石巻市中央公民館", "address": "石巻市日和が丘1-1-1",
        "starts_at": "2025-06-14T10:00:00+09:00", "ends_at": "2025-06-14T12:00:00+09:00", "capacity": 30,
        "announce_on": "2025-05-17", "partner": "石巻市役所 市民協働推進課", "notes": "駐車場あり",
    }
    values.update(overrides)
    return values


def plan(api, as_: str = "coordinator", **overrides: Any) -> str:
    code, answer = api.call("POST", "/sessions", body(**overrides), as_=as_, headers=PLANNING)
    assert code == 201, answer
    return str(answer["session_id"])


SURVEY = {"age_band": "70s", "purposes": ["install", "mynumber"], "could_do": ["installed"], "satisfaction": 5,
          "needs": "文字を大きくしてほしい"}


def test_a_coordinator_plans_a_session_and_it_is_listed(api):
    first = plan(api)
    second = plan(api, as_="admin", area_code="041017", venue="青葉区中央市民センター", address="仙台市青葉区一番町1",
                  starts_at="2025-07-05T13:30:00+09:00", ends_at="2025-07-05T15:30:00+09:00", announce_on="2025-06-01")
    assert (first, second) == ("SS000001", "SS000002")
    code, rows = api.call("GET", "/sessions/list?from=2025-06-01&to=2025-06-30", as_="prefecture")
    assert code == 200
    assert [(r["session_id"], r["area_code"], r["starts_at"], r["status"], r["attendees"]) for r in rows] == [
        ("SS000001", "042021", "2025-06-14T10:00:00+09:00", "scheduled", None)]
    assert rows[0]["area_name"] == "石巻市" and rows[0]["venue"] == "石巻市中央公民館"
    code, rows = api.call("GET", "/sessions/list", as_="coordinator")
    assert code == 200 and [r["session_id"] for r in rows] == ["SS000001", "SS000002"]
    assert [r["session_id"] for r in api.call("GET", "/sessions/list?from=2025-07-01", as_="admin")[1]] == ["SS000002"]
    assert [r["session_id"] for r in api.call("GET", "/sessions/list?to=2025-06-30", as_="admin")[1]] == ["SS000001"]
    assert api.call("GET", "/sessions/list?from=2027-01-01", as_="admin") == (200, [])
    code, detail = api.call("GET", "/sessions/SS000002", as_="prefecture", headers=PLANNING)
    assert code == 200 and detail["venue"] == "青葉区中央市民センター" and detail["region"] == "仙台"
    assert detail["created_by"] == "admin" and detail["version"] == 1 and detail["surveys"] == []


def test_invalid_plans_get_japanese_field_messages(api):
    code, answer = api.call("POST", "/sessions", body(
        area_code="041009", venue="", starts_at="2025-06-14 10:00", ends_at="2025-06-14T09:00:00+09:00",
        capacity=0, announce_on="2025-06-10", notes="x" * 1001), as_="coordinator", headers=PLANNING)
    assert code == 422, answer
    fields = answer["error"]["fields"]
    assert fields["area_code"] == "仙台市の場合は区を選んでください"
    assert "会場名" in fields["venue"] and "定員" in fields["capacity"] and "1000文字" in fields["notes"]
    assert "タイムゾーン" in fields["starts_at"]
    code, answer = api.call("POST", "/sessions", body(
        starts_at="2026-03-02T10:00:00+09:00", ends_at="2026-03-02T12:00:00+09:00"), as_="coordinator")
    assert code == 422 and "実施期間" in answer["error"]["fields"]["starts_at"]
    code, answer = api.call("POST", "/sessions", body(announce_on="2025-06-01"), as_="coordinator")
    assert code == 422 and "21日前" in answer["error"]["fields"]["announce_on"]
    code, answer = api.call("POST", "/sessions", body(ends_at="2025-06-15T12:00:00+09:00"), as_="coordinator")
    assert code == 422 and "同じ日" in answer["error"]["fields"]["ends_at"]
    code, answer = api.call("POST", "/sessions", body(area_code="999999", capacity="30"), as_="coordinator")
    assert code == 422 and set(answer["error"]["fields"]) == {"area_code", "capacity"}
    code, answer = api.call("GET", "/sessions/list?from=2025-13-01", as_="coordinator")
    assert code == 422 and "from" in answer["error"]["fields"]
    code, answer = api.call("GET", "/sessions/list?from=2025-07-01&to=2025-06-01", as_="coordinator")
    assert code == 422 and "to" in answer["error"]["fields"]


def test_two_coordinators_edit_the_same_session_and_the_second_gets_409(api):
    sid = plan(api)
    code, first = api.call("PUT", f"/sessions/{sid}", {"venue": "石巻市役所 会議室", "version": 1}, as_="coordinator")
    assert code == 200 and first["venue"] == "石巻市役所 会議室" and first["version"] == 2
    code, second = api.call("PUT", f"/sessions/{sid}", {"capacity": 40, "version": 1}, as_="admin")
    assert code == 409 and "再読み込み" in second["error"]["message"]
    code, detail = api.call("GET", f"/sessions/{sid}", as_="coordinator")
    assert (detail["venue"], detail["capacity"], detail["version"]) == ("石巻市役所 会議室", 30, 2)
    code, answer = api.call("PUT", f"/sessions/{sid}", {"capacity": 40}, as_="admin")
    assert code == 422 and "version" in answer["error"]["fields"]
    code, answer = api.call("PUT", f"/sessions/{sid}", {"starts_at": "2025-06-14T13:00:00+09:00", "version": 2},
                            as_="admin")
    assert code == 422 and "ends_at" in answer["error"]["fields"]  # the stored end is now before the new start
    code, moved = api.call("PUT", f"/sessions/{sid}", {"starts_at": "2025-07-19T10:00:00+09:00",
                                                        "ends_at": "2025-07-19T11:30:00+09:00", "version": 2},
                           as_="admin")
    assert code == 200 and moved["version"] == 3
    assert api.call("GET", "/sessions/list?from=2025-06-01&to=2025-06-30", as_="admin")[1] == []


def test_a_cancelled_session_keeps_its_reason_and_cannot_be_cancelled_or_edited_again(api):
    sid = plan(api)
    code, answer = api.call("POST", f"/sessions/{sid}/cancel", {"reason": " "}, as_="coordinator")
    assert code == 422 and "中止の理由" in answer["error"]["fields"]["reason"]
    code, cancelled = api.call("POST", f"/sessions/{sid}/cancel", {"reason": "会場の改修工事のため"}, as_="coordinator")
    assert code == 200 and cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "会場の改修工事のため"
    code, again = api.call("POST", f"/sessions/{sid}/cancel", {"reason": "二度目"}, as_="admin")
    assert code == 409 and "既に中止" in again["error"]["message"]
    code, edit = api.call("PUT", f"/sessions/{sid}", {"venue": "別会場", "version": 2}, as_="admin")
    assert code == 409 and "中止の相談会は変更できません" == edit["error"]["message"]
    code, survey = api.call("POST", f"/sessions/{sid}/surveys", SURVEY, as_="coordinator",
                            headers=at("2025-06-14T12:00:00+09:00"))
    assert code == 409 and survey["error"]["message"] == "中止した相談会のアンケートは登録できません"
    code, cov = api.call("GET", "/sessions/coverage", as_="prefecture")
    assert code == 200 and "042021" in cov["missing"]


def test_attendance_is_recorded_on_or_after_the_day_and_may_be_corrected(api):
    sid = plan(api)
    code, early = api.call("POST", f"/sessions/{sid}/attendance", {"attendees": 12, "manuals": 10},
                           as_="coordinator", headers=at("2025-06-13T18:00:00+09:00"))
    assert code == 409 and "開催日より前" in early["error"]["message"]
    code, held = api.call("POST", f"/sessions/{sid}/attendance", {"attendees": 12, "manuals": 10},
                          as_="coordinator", headers=at("2025-06-14T12:30:00+09:00"))
    assert code == 200 and (held["status"], held["attendees"], held["manuals"]) == ("held", 12, 10)
    code, fixed = api.call("POST", f"/sessions/{sid}/attendance", {"attendees": 13, "manuals": 10},
                           as_="admin", headers=at("2025-06-16T09:00:00+09:00"))
    assert code == 200 and fixed["attendees"] == 13
    code, bad = api.call("POST", f"/sessions/{sid}/attendance", {"attendees": -1, "manuals": "x"},
                         as_="admin", headers=at("2025-06-16T09:00:00+09:00"))
    assert code == 422 and set(bad["error"]["fields"]) == {"attendees", "manuals"}
    code, rows = api.call("GET", "/sessions/list?from=2025-06-14&to=2025-06-14", as_="prefecture")
    assert rows[0]["attendees"] == 13 and rows[0]["status"] == "held"
    code, edit = api.call("PUT", f"/sessions/{sid}", {"venue": "別会場", "version": 3}, as_="admin")
    assert code == 409 and "開催済み" in edit["error"]["message"]
    code, cov = api.call("GET", "/sessions/coverage", as_="coordinator", headers=at("2025-06-20T09:00:00+09:00"))
    row = next(a for a in cov["areas"] if a["code"] == "042021")
    assert (row["held"], row["scheduled"], row["state"]) == (1, 0, "held")


def test_staff_survey_entry_masks_phones_and_mails_and_the_detail_shows_the_answers(api):
    sid = plan(api)
    day = at("2025-06-14T13:00:00+09:00")
    needs = "連絡は090-1234-5678か taro@example.com へ"
    code, answer = api.call("POST", f"/sessions/{sid}/surveys", {**SURVEY, "needs": needs}, as_="coordinator",
                            headers=day)
    assert code == 201 and answer["answer_id"] == "SV000001"
    assert "090" not in answer["needs"] and "example.com" not in answer["needs"]
    code, bad = api.call("POST", f"/sessions/{sid}/surveys", {**SURVEY, "age_band": "90s", "purposes": [],
                                                               "satisfaction": 6}, as_="coordinator", headers=day)
    assert code == 422 and set(bad["error"]["fields"]) == {"age_band", "purposes", "satisfaction"}
    code, unknown = api.call("POST", "/sessions/SS999999/surveys", SURVEY, as_="coordinator", headers=day)
    assert code == 404 and unknown["error"]["message"] == "相談会が見つかりません"
    code, detail = api.call("GET", f"/sessions/{sid}", as_="prefecture", headers=day)
    assert code == 200 and detail["survey_summary"]["count"] == 1
    assert detail["surveys"][0]["needs"] == "連絡は［電話番号］か ［メールアドレス］ へ"


def test_the_public_survey_takes_answers_in_its_window_and_a_bot_gets_a_quiet_success(api):
    sid = plan(api)
    code, early = api.call("POST", f"/sessions/{sid}/survey", SURVEY, headers=at("2025-06-13T10:00:00+09:00"))
    assert code == 409 and early["error"]["message"] == "この相談会のアンケートは受け付けていません"
    code, ok = api.call("POST", f"/sessions/{sid}/survey", SURVEY, headers=at("2025-06-14T12:10:00+09:00"))
    assert code == 201 and ok["received"] is True
    code, bot = api.call("POST", f"/sessions/{sid}/survey", {**SURVEY, "website": "http://spam.example"},
                         headers=at("2025-06-14T12:11:00+09:00"))
    assert code == 201 and bot == ok
    code, late = api.call("POST", f"/sessions/{sid}/survey", SURVEY, headers=at("2025-07-20T10:00:00+09:00"))
    assert code == 409 and late == early
    code, detail = api.call("GET", f"/sessions/{sid}", as_="coordinator")
    assert [s["source"] for s in detail["surveys"]] == ["public"]
    for _ in range(2):  # a double submit of one form (same client token) is stored once
        code, _answer = api.call("POST", f"/sessions/{sid}/survey", {**SURVEY, "client_token": "phone-form-1"},
                                 headers=at("2025-06-14T12:12:00+09:00"))
        assert code == 201
    code, detail = api.call("GET", f"/sessions/{sid}", as_="coordinator")
    assert len(detail["surveys"]) == 2
    code, page = api.call("GET", f"/sessions/{sid}/survey", headers=at("2025-06-14T12:00:00+09:00"))
    assert code == 200 and "石巻市中央公民館" in page
    assert api.call("GET", f"/sessions/{sid}/survey", headers=at("2025-05-10T12:00:00+09:00"))[0] == 404
    assert api.call("POST", "/sessions/SS999999/survey", SURVEY)[0] == 404


def test_the_public_survey_stops_at_the_sessions_capacity_and_paper_entry_goes_on(api):
    sid = plan(api, capacity=2)
    day = at("2025-06-14T12:10:00+09:00")
    codes = [api.call("POST", f"/sessions/{sid}/survey", SURVEY, headers=day)[0] for _ in range(3)]
    assert codes == [201, 201, 409]
    code, full = api.call("POST", f"/sessions/{sid}/survey", SURVEY, headers=day)
    assert code == 409 and full["error"]["message"] == "この相談会のアンケートは受付数の上限に達しました。ご協力ありがとうございました"
    assert full["error"]["fields"]["session_id"] == "この相談会の回答数は参加者の人数に達しています"
    code, paper = api.call("POST", f"/sessions/{sid}/surveys", SURVEY, as_="coordinator", headers=day)
    assert code == 201, paper
    code, detail = api.call("GET", f"/sessions/{sid}", as_="coordinator", headers=day)
    assert (detail["survey_summary"]["count"], detail["survey_limit"], detail["survey_over_limit"]) == (3, 2, True)


def test_roles_prefecture_reads_only_agent_nothing_anonymous_401(api):
    sid = plan(api)
    assert api.call("POST", "/sessions", body(), as_="prefecture")[0] == 403
    assert api.call("POST", f"/sessions/{sid}/cancel", {"reason": "x"}, as_="prefecture")[0] == 403
    assert api.call("PUT", f"/sessions/{sid}", {"venue": "x", "version": 1}, as_="prefecture")[0] == 403
    for path in ("/sessions/list", "/sessions/coverage", f"/sessions/{sid}"):
        assert api.call("GET", path, as_="agent")[0] == 403
        assert api.call("GET", path)[0] == 401
        assert api.call("GET", path, as_="prefecture")[0] == 200
    assert api.call("POST", "/sessions", body())[0] == 401
    assert api.call("POST", f"/sessions/{sid}/attendance", {"attendees": 1, "manuals": 1}, as_="accountant")[0] == 403


def test_literal_paths_and_session_paths_live_side_by_side(api):
    sid = plan(api)
    assert api.call("GET", "/sessions/list", as_="coordinator")[0] == 200
    assert api.call("GET", "/sessions/coverage", as_="coordinator")[0] == 200
    assert api.call("GET", "/sessions/manuals", as_="coordinator")[1] == []
    assert api.call("GET", "/sessions/manual.pdf")[0] == 404
    assert api.call("GET", "/sessions/public.json")[0] == 200
    assert api.call("GET", f"/sessions/{sid}", as_="coordinator")[1]["session_id"] == sid
    code, missing = api.call("GET", "/sessions/SS999999", as_="coordinator")
    assert code == 404 and missing["error"]["message"] == "相談会が見つかりません"
    assert api.call("GET", "/sessions/list2", as_="coordinator")[0] == 404


def test_the_coverage_board_lists_the_39_areas_and_the_missing_ones(api):
    plan(api)
    plan(api, area_code="041017", starts_at="2025-07-05T13:30:00+09:00", ends_at="2025-07-05T15:30:00+09:00",
         announce_on="2025-06-01")
    code, cov = api.call("GET", "/sessions/coverage", as_="coordinator", headers=PLANNING)
    assert code == 200
    assert len(cov["areas"]) == 39 and len(cov["missing"]) == 37
    assert "042021" not in cov["missing"] and "041017" not in cov["missing"] and "041009" not in cov["missing"]
    row = next(a for a in cov["areas"] if a["code"] == "042021")
    assert {k: row[k] for k in ("code", "name", "region", "scheduled", "held")} == {
        "code": "042021", "name": "石巻市", "region": "石巻", "scheduled": 1, "held": 0}
    assert row["next_date"] == "2025-06-14" and row["state"] == "scheduled"
    assert cov["grid"]["months"][0] == "2025-05" and len(cov["grid"]["months"]) == 10


def test_the_public_page_shows_announced_sessions_only_and_marks_cancelled_ones(api):
    sid = plan(api)
    other = plan(api, area_code="044211", venue="柴田町船岡公民館", address="柴田町船岡1",
                 starts_at="2025-06-21T10:00:00+09:00", ends_at="2025-06-21T12:00:00+09:00", announce_on="2025-05-24")
    code, page = api.call("GET", "/sessions", headers=at("2025-05-16T12:00:00+09:00"))
    assert code == 200 and "石巻市中央公民館" not in page
    code, page = api.call("GET", "/sessions", headers=at("2025-05-25T12:00:00+09:00"))
    assert "石巻市中央公民館" in page and "柴田町船岡公民館" in page
    api.call("POST", f"/sessions/{other}/cancel", {"reason": "台風のため"}, as_="coordinator")
    code, listing = api.call("GET", "/sessions/public.json", headers=at("2025-05-25T12:00:00+09:00"))
    assert code == 200
    rows = [s for r in listing["regions"] for a in r["areas"] for s in a["sessions"]]
    assert {s["session_id"]: s["cancelled"] for s in rows} == {sid: False, other: True}
    assert "staff" not in rows[0] and "notes" not in rows[0]
    assert api.call("GET", f"/sessions/{sid}/flyer.pdf", headers=at("2025-05-16T12:00:00+09:00"))[0] == 404
    assert api.call("GET", f"/sessions/{other}/flyer.pdf", headers=at("2025-05-25T12:00:00+09:00"))[0] == 404


def test_the_flyer_of_an_announced_session_is_a_pdf(api):
    pytest.importorskip("chalicelib.sessions.flyer")
    sid = plan(api)
    resp = api.client.http.get(f"/sessions/{sid}/flyer.pdf", headers={"Accept": "*/*", **at("2025-05-20T09:00:00+09:00")})
    assert resp.status_code == 200, resp.body[:300]
    assert resp.headers["Content-Type"] == "application/pdf" and resp.body.startswith(b"%PDF")


def test_the_manual_is_uploaded_in_versions_and_the_latest_is_public(api):
    def upload(data: bytes, as_: str = "coordinator") -> tuple[int, Any]:
        resp = api.client.http.post("/sessions/manuals?filename=manual.pdf", body=data, headers={
            "Content-Type": "application/pdf", "Authorization": f"Bearer {api.tokens[as_]}"})
        return resp.status_code, json.loads(resp.body)

    code, answer = upload(b"not a pdf")
    assert code == 422 and "PDF" in answer["error"]["message"]
    assert upload(b"%PDF-1.4 one", as_="prefecture")[0] == 403
    code, first = upload(b"%PDF-1.4 one")
    assert code == 201 and first["version"] == 1
    code, second = upload(b"%PDF-1.4 two")
    assert code == 201 and second["version"] == 2
    resp = api.client.http.get("/sessions/manual.pdf", headers={"Accept": "*/*"})
    assert resp.status_code == 200 and resp.body == b"%PDF-1.4 two"
    assert [m["version"] for m in api.call("GET", "/sessions/manuals", as_="prefecture")[1]] == [2, 1]


@pytest.mark.parametrize(("url", "route"), [
    ("/sessions", "/sessions"), ("/sessions/list?from=2025-06-01", "/sessions/list"),
    ("/sessions/coverage", "/sessions/coverage"), ("/sessions/manuals", "/sessions/manuals"),
    ("/sessions/manual.pdf", "/sessions/manual.pdf"), ("/sessions/public.json", "/sessions/public.json"),
    ("/sessions/SS000001", "/sessions/{session_id}"), ("/sessions/SS000001/flyer.pdf", "/sessions/{session_id}/flyer.pdf"),
    ("/sessions/SS000001/survey", "/sessions/{session_id}/survey"),
])
def test_the_local_server_matches_literal_segments_before_the_session_id(url: str, route: str) -> None:
    # `chalice local` (the local stack's server) routes with this matcher; API Gateway prefers literals too.
    from chalice.local import RouteMatcher

    from app import app

    assert RouteMatcher(list(app.routes)).match_route(url).route == route


def test_the_seed_plans_every_area_without_crowding_a_month_or_region() -> None:
    from datetime import date

    from chalicelib.sessions.coverage import coverage
    from chalicelib.sessions.model import Session
    from chalicelib.sessions.rules import check_session
    from chalicelib.settings import SessionSettings
    from scripts.seed_sessions import plan_season

    sessions = []
    for n, planned in enumerate(plan_season(), start=1):
        checked, _ = check_session(planned.body(), SessionSettings())
        sessions.append(Session(f"SS{n:06d}", checked.area_code, checked.venue, checked.address, checked.starts_at,
                                checked.ends_at, checked.capacity, checked.announce_on))
    board = coverage(sessions, date(2025, 4, 1), SessionSettings())
    assert len(sessions) >= 39 and board.missing == () and board.crowding == ()
    assert len({(s.area_code, s.starts_at.date()) for s in sessions}) == len(sessions)


def test_each_field_of_a_valid_session_body_with_a_bad_value_never_gets_a_5xx(api):
    # The route fuzz (test_fuzz_all_routes.py) has no session in its world; here each write meets a real one.
    from tests.integration.test_fuzz_all_routes import BAD_BODIES, BAD_VALUES, call

    sid = plan(api)
    day = {"X-Miyapo-Now": "2025-06-14T12:00:00+09:00"}
    valid = {
        "/sessions": body(staff=["alice"]),
        f"/sessions/{sid}": {**body(), "version": 1},
        f"/sessions/{sid}/attendance": {"attendees": 3, "manuals": 2, "version": 1},
        f"/sessions/{sid}/surveys": SURVEY,
        f"/sessions/{sid}/survey": {**SURVEY, "website": ""},
        f"/sessions/{sid}/cancel": {"reason": "台風", "version": 1},
    }
    failures: list[str] = []
    for path, base in valid.items():
        method = "PUT" if path == f"/sessions/{sid}" else "POST"
        role = "anonymous" if path.endswith("/survey") else "coordinator"
        requests = [json.dumps({**base, field: value}).encode() for field in base for value in BAD_VALUES]
        for raw in requests + BAD_BODIES:
            code, answer = call(api, method, path, role, raw=raw, headers=day)
            if code >= 500 or (code >= 400 and not answer["error"]["message"]):
                failures.append(f"{method} {path}: {raw[:80]!r} -> {code} {answer!r:.200}")
    assert failures == [], "\n".join(failures)
