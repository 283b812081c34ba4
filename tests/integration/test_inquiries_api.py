"""The inquiry log through the API: logging, lists and filters, masking and audit, corrections, bad input."""

from __future__ import annotations

import pytest

from tests.factories import application_body, approve_body
from tests.integration.inquiry_support import CALLER_NAME, CALLER_PHONE, at, inquiry_body, log

SAT_EVENING = "2025-06-07T18:40:00+09:00"


def approved_store(api) -> str:
    code, answer = api.call("POST", "/applications", application_body())
    assert code == 201, answer
    code, decided = api.call("POST", f"/applications/{answer['application_id']}/decision", approve_body(),
                             as_="screener")
    assert code == 200, decided
    return decided["store_id"]


def test_categories_are_the_configured_list(api):
    code, categories = api.call("GET", "/inquiries/categories", as_="prefecture")
    assert code == 200
    assert all(set(c) == {"code", "label"} for c in categories) and len(categories) >= 5
    assert {"code": "other", "label": "その他"} in categories
    code, options = api.call("GET", "/inquiries/options", as_="agent")
    assert code == 200 and options["categories"] == categories
    assert [c["code"] for c in options["channels"]] == ["phone", "email", "web", "other"]
    assert options["call_center"] == {"open": "09:00", "close": "17:30", "service_start": "2025-04-01",
                                      "service_end": "2026-03-25"}


def test_an_agent_logs_calls_and_finds_them_by_day_category_status_and_store(api):
    store_id = approved_store(api)
    first = log(api, "2025-06-07T10:00:00+09:00", category="store_payment", caller_type="store", store_id=store_id)
    second = log(api, "2025-06-07T11:30:00+09:00", status="pending", answer="")
    log(api, "2025-06-08T10:00:00+09:00", category="store_payment")
    assert first == "IQ000001" and second == "IQ000002"

    code, day = api.call("GET", "/inquiries?date=2025-06-07", as_="coordinator")
    assert code == 200
    assert [i["inquiry_id"] for i in day["items"]] == ["IQ000002", "IQ000001"]  # newest first
    assert day["items"][1]["category_label"] == "精算・振込" and day["items"][1]["store_id"] == store_id

    def ids(query: str) -> list[str]:
        code, answer = api.call("GET", f"/inquiries?{query}", as_="agent")
        assert code == 200, answer
        return [i["inquiry_id"] for i in answer["items"]]

    assert ids("date=2025-06-07&category=store_payment") == ["IQ000001"]
    assert ids("date=2025-06-07&status=pending") == ["IQ000002"]
    assert ids(f"store_id={store_id}") == ["IQ000001"]
    assert ids("status=pending") == ["IQ000002"]
    assert ids("status=resolved&category=store_payment") == ["IQ000003", "IQ000001"]
    assert ids("date=2025-06-09") == []
    # Without a date the list is today's (the pinned clock's).
    code, today = api.call("GET", "/inquiries", as_="agent", headers=at("2025-06-08T12:00:00+09:00"))
    assert today["date"] == "2025-06-08" and [i["inquiry_id"] for i in today["items"]] == ["IQ000003"]


def test_paging_through_a_day(api):
    for minute in range(5):
        log(api, f"2025-06-07T10:0{minute}:00+09:00")
    code, page = api.call("GET", "/inquiries?date=2025-06-07&limit=2", as_="agent")
    seen = [i["inquiry_id"] for i in page["items"]]
    while page["next_cursor"]:
        code, page = api.call("GET", f"/inquiries?date=2025-06-07&limit=2&cursor={page['next_cursor']}", as_="agent")
        assert code == 200
        seen += [i["inquiry_id"] for i in page["items"]]
    assert seen == ["IQ000005", "IQ000004", "IQ000003", "IQ000002", "IQ000001"]


def test_outside_hours_inquiries_are_accepted_and_flagged(api):
    inside = log(api, "2025-06-07T17:29:00+09:00")
    after_close = log(api, "2025-06-07T17:30:00+09:00", channel="email")
    holiday = log(api, "2025-07-21T11:00:00+09:00", channel="web")
    code, detail = api.call("GET", f"/inquiries/{inside}", as_="agent")
    assert detail["outside_hours"] is False
    for inquiry_id in (after_close, holiday):
        code, detail = api.call("GET", f"/inquiries/{inquiry_id}", as_="agent")
        assert code == 200 and detail["outside_hours"] is True


def test_caller_data_is_masked_for_readers_and_every_view_is_audited(api):
    inquiry_id = log(api, "2025-06-07T10:00:00+09:00", caller_name=CALLER_NAME, caller_phone=CALLER_PHONE,
                     status="pending", answer="")
    code, row = api.call("GET", "/inquiries?date=2025-06-07", as_="agent")
    assert CALLER_NAME not in str(row) and CALLER_PHONE not in str(row) and row["items"][0]["has_caller"] is True

    code, full = api.call("GET", f"/inquiries/{inquiry_id}", as_="agent")
    assert (full["caller_name"], full["caller_phone"], full["caller_masked"]) == (CALLER_NAME, CALLER_PHONE, False)
    for role in ("prefecture", "coordinator"):
        code, masked = api.call("GET", f"/inquiries/{inquiry_id}", as_=role)
        assert code == 200 and masked["caller_masked"] is True
        assert CALLER_NAME not in str(masked) and "5512" not in str(masked)
        assert masked["caller_phone"].endswith("3390") and masked["caller_name"].startswith("宮")

    code, audit = api.call("GET", f"/audit?subject=inquiry%23{inquiry_id}", as_="admin")
    views = [e for e in audit["items"] if e["action"] == "inquiry.view"]
    assert sorted(e["role"] for e in views) == ["agent", "coordinator", "prefecture"]
    assert {tuple(e["detail"]["fields"]) for e in views} == {
        ("caller_name", "caller_phone"), ("caller_name_masked", "caller_phone_masked")}
    assert [e["action"] for e in audit["items"]].count("inquiry.create") == 1
    assert CALLER_NAME not in str(audit) and CALLER_PHONE not in str(audit)


def test_the_store_id_must_be_a_registered_store(api):
    code, answer = api.call("POST", "/inquiries", inquiry_body("2025-06-07T10:00:00+09:00", store_id="MP999999"),
                            as_="agent", headers=at(SAT_EVENING))
    assert code == 422 and answer["error"]["fields"] == {"store_id": "この店舗IDは登録されていません"}
    store_id = approved_store(api)
    code, answer = api.call("POST", "/inquiries", inquiry_body("2025-06-07T10:00:00+09:00",
                                                               store_id=store_id.replace("MP", "ｍｐ")),
                            as_="agent", headers=at(SAT_EVENING))
    assert code == 201, answer


@pytest.mark.parametrize("body,field", [
    ({"channel": "fax"}, "channel"),
    ({"category": "nope"}, "category"),
    ({"received_at": "明日"}, "received_at"),
    ({"received_at": "2025-06-08T10:00:00+09:00"}, "received_at"),  # in the future
    ({"status": "resolved", "answer": ""}, "answer"),
    ({"handling_minutes": 9999}, "handling_minutes"),
    ({"caller_phone": "abc"}, "caller_phone"),
    ({"summary": None}, "summary"),
    ({"extra": 1}, "extra"),
])
def test_bad_input_is_422_with_a_japanese_message(api, body, field):
    code, answer = api.call("POST", "/inquiries", {**inquiry_body("2025-06-07T10:00:00+09:00"), **body},
                            as_="agent", headers=at(SAT_EVENING))
    assert code == 422, answer
    assert field in answer["error"]["fields"]
    assert answer["error"]["message"] and not answer["error"]["message"].isascii()


@pytest.mark.parametrize("method,path,raw", [
    ("POST", "/inquiries", "not json"),
    ("POST", "/inquiries", "[1, 2]"),
    ("POST", "/inquiries/IQ000001/escalate", "{"),
    ("GET", "/inquiries?date=2025-13-01", None),
    ("GET", "/inquiries?status=open", None),
    ("GET", "/inquiries?category=zzz", None),
    ("GET", "/inquiries?store_id=12", None),
    ("GET", "/inquiries?limit=0", None),
    ("GET", "/inquiries?cursor=%%%", None),
    ("GET", "/inquiries/monthly/2025-13", None),
    ("GET", "/inquiries/monthly/2025-06/file?format=pdf", None),
])
def test_malformed_requests_are_4xx_never_500(api, method, path, raw):
    code, answer = api.call(method, path, as_="agent", raw=raw, headers=at(SAT_EVENING))
    assert 400 <= code < 500, (code, answer)
    assert answer["error"]["message"]


def test_unknown_inquiry_is_404(api):
    for method, path, body in (("GET", "/inquiries/IQ999999", None), ("POST", "/inquiries/IQ999999/close", {}),
                               ("POST", "/inquiries/nonsense!/escalate", {"reason": "x"}),
                               ("PATCH", "/inquiries/IQ999999", {"version": 1, "summary": "x"})):
        code, answer = api.call(method, path, body, as_="agent")
        assert code == 404, (path, answer)
        assert answer["error"]["message"] == "問い合わせが見つかりません"


def test_a_double_submit_with_the_same_token_logs_once(api):
    body = inquiry_body("2025-06-07T10:00:00+09:00", client_token="form-0001-abcdef")
    first = api.call("POST", "/inquiries", body, as_="agent", headers=at(SAT_EVENING))
    again = api.call("POST", "/inquiries", body, as_="agent", headers=at(SAT_EVENING))
    assert first == (201, {"inquiry_id": "IQ000001"}) and again == (200, {"inquiry_id": "IQ000001"})
    changed = api.call("POST", "/inquiries", {**body, "summary": "別の内容"}, as_="agent", headers=at(SAT_EVENING))
    assert changed[0] == 409
    code, day = api.call("GET", "/inquiries?date=2025-06-07", as_="agent")
    assert code == 200 and len(day["items"]) == 1


def test_corrections_need_the_current_version_and_are_audited_without_personal_data(api):
    inquiry_id = log(api, "2025-06-07T10:00:00+09:00", status="pending", answer="")
    code, answer = api.call("PATCH", f"/inquiries/{inquiry_id}", {"version": 1, "category": "other",
                                                                   "caller_phone": CALLER_PHONE},
                            as_="agent", headers=at(SAT_EVENING))
    assert code == 200 and answer == {"inquiry_id": inquiry_id, "version": 2, "status": "pending"}
    stale = api.call("PATCH", f"/inquiries/{inquiry_id}", {"version": 1, "summary": "古い画面から"}, as_="agent")
    assert stale[0] == 409
    # Resolving needs an answer; a received_at change moves it to its day.
    assert api.call("PATCH", f"/inquiries/{inquiry_id}", {"version": 2, "status": "resolved"}, as_="agent")[0] == 422
    code, answer = api.call("PATCH", f"/inquiries/{inquiry_id}", {
        "version": 2, "status": "resolved", "answer": "案内済み", "received_at": "2025-06-06T16:00"},
        as_="agent", headers=at(SAT_EVENING))
    assert code == 200 and answer["status"] == "resolved"
    code, moved = api.call("GET", "/inquiries?date=2025-06-06", as_="agent")
    assert [i["inquiry_id"] for i in moved["items"]] == [inquiry_id]
    code, detail = api.call("GET", f"/inquiries/{inquiry_id}", as_="agent")
    assert detail["caller_phone"] == CALLER_PHONE and detail["category"] == "other"
    assert detail["closed_by"] == "agent" and detail["outside_hours"] is False

    code, audit = api.call("GET", f"/audit?subject=inquiry%23{inquiry_id}", as_="admin")
    updates = [e for e in audit["items"] if e["action"] == "inquiry.update"]
    assert len(updates) == 2
    first = next(e for e in updates if "category" in e["after"])
    assert first["before"] == {"caller_phone": "(なし)", "category": "points_use"}
    assert first["after"] == {"caller_phone": "(記録あり)", "category": "other"}
    assert CALLER_PHONE not in str(audit)


def test_the_agent_screen_is_served_without_data(api):
    code, page = api.call("GET", "/console/inquiries")
    assert code == 200
    assert "問い合わせ受付" in page and "miyapo.console.token" in page
    response = api.client.http.get("/console/inquiries")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Type"].startswith("text/html")
