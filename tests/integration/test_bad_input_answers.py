"""The bad inputs that used to answer 500 or drop the connection: each now gets a 4xx in the error shape,
with a Japanese message and the field to blame."""

from __future__ import annotations

import pytest

from tests.factories import application_body, approve_body
from tests.integration.inquiry_support import inquiry_body, log

JULY_2 = {"X-Miyapo-Now": "2025-07-02T10:00:00+09:00"}


def assert_field_error(answer, status: int, code: int, field: str) -> None:
    assert code == status, answer
    assert answer["error"]["message"], answer
    assert field in answer["error"]["fields"], answer
    assert answer["error"]["fields"][field], answer


# --- a. page cursors ---------------------------------------------------------------------------------------

FORGED = [
    "eyJhIjoiYiJ9",  # {"a":"b"}, the old unsigned form
    "eyJhcHBsaWNhdGlvbl9pZCI6IkFQMDAwMDAxIiwic3RhdHVzIjoic3VibWl0dGVkIn0",  # a real-looking key, unsigned
    "eyJhIjoiYiJ9.c2lnbmF0dXJl", "%%%", "A" * 3000,
]


@pytest.mark.parametrize("cursor", FORGED)
@pytest.mark.parametrize(("path", "role"), [("/applications", "screener"), ("/stores", "screener"),
                                            ("/inquiries", "agent")])
def test_a_crafted_cursor_is_a_field_error(api, path, role, cursor):
    api.call("POST", "/applications", application_body())  # something to page through
    code, answer = api.call("GET", f"{path}?cursor={cursor}", as_=role)
    assert_field_error(answer, 422, code, "cursor")


def test_cursors_page_through_and_only_fit_their_own_list(api):
    for _ in range(3):
        code, submitted = api.call("POST", "/applications", application_body())
        assert code == 201
        code, _ = api.call("POST", f"/applications/{submitted['application_id']}/decision", approve_body(),
                           as_="screener")
        assert code == 200
        api.call("POST", "/applications", application_body())
    code, first = api.call("GET", "/stores?limit=2", as_="screener")
    assert code == 200 and len(first["items"]) == 2 and first["next_cursor"]
    code, second = api.call("GET", f"/stores?limit=2&cursor={first['next_cursor']}", as_="screener")
    assert code == 200, second
    seen = [s["store_id"] for s in first["items"] + second["items"]]
    assert len(seen) == len(set(seen)) == 3

    # The same cursor handed to another list (another status, another table) is refused, not obeyed.
    code, answer = api.call("GET", f"/stores?status=suspended&cursor={first['next_cursor']}", as_="screener")
    assert_field_error(answer, 422, code, "cursor")
    code, answer = api.call("GET", f"/applications?cursor={first['next_cursor']}", as_="screener")
    assert_field_error(answer, 422, code, "cursor")

    code, page = api.call("GET", "/applications?status=approved&limit=2", as_="screener")
    assert code == 200 and page["next_cursor"]
    code, rest = api.call("GET", f"/applications?status=approved&limit=2&cursor={page['next_cursor']}",
                          as_="screener")
    assert code == 200 and len(rest["items"]) == 1


def test_inquiry_cursors_are_bound_to_their_day(api):
    for minute in range(3):
        log(api, f"2025-07-02T09:0{minute}:00+09:00")
    code, page = api.call("GET", "/inquiries?date=2025-07-02&limit=2", as_="agent", headers=JULY_2)
    assert code == 200 and page["next_cursor"]
    code, rest = api.call("GET", f"/inquiries?date=2025-07-02&limit=2&cursor={page['next_cursor']}", as_="agent",
                          headers=JULY_2)
    assert code == 200 and len(rest["items"]) == 1
    code, answer = api.call("GET", f"/inquiries?date=2025-07-01&cursor={page['next_cursor']}", as_="agent",
                            headers=JULY_2)
    assert_field_error(answer, 422, code, "cursor")


# --- b. lone surrogates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "field"), [
    ('{"\\udfff": 1}', "_body"),
    ('{"bank": {"\\ud800": "1"}}', "bank"),
    ('{"store_name": "\\udfff"}', "store_name"),
])
def test_a_lone_surrogate_in_a_key_or_value_is_a_clean_400(api, raw, field):
    for path in ("/applications", "/api/applications"):
        code, answer = api.call("POST", path, raw=raw)
        assert_field_error(answer, 400, code, field)
        assert answer["error"]["code"] == "malformed_request"


def test_a_lone_surrogate_in_a_staff_body_is_a_clean_400(api):
    code, answer = api.call("POST", "/inquiries", raw='{"summary": "ok", "\\udfff": "x"}', as_="agent")
    assert_field_error(answer, 400, code, "_body")


# --- c. dates, months and times out of range --------------------------------------------------------------


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00", "1999-12-31T00:00:00+09:00"])
@pytest.mark.parametrize(("method", "path", "role"), [("GET", "/health", None), ("GET", "/applications", "screener"),
                                                      ("POST", "/applications", None)])
def test_a_pinned_clock_out_of_range_is_a_field_error(api, now, method, path, role):
    body = application_body() if method == "POST" else None
    code, answer = api.call(method, path, body, as_=role, headers={"X-Miyapo-Now": now})
    assert_field_error(answer, 422, code, "X-Miyapo-Now")


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2101-01"])
def test_a_month_out_of_range_is_a_field_error(api, month):
    code, answer = api.call("POST", f"/settlements/{month}/draft", {}, as_="accountant", headers=JULY_2)
    assert_field_error(answer, 422, code, "month")
    code, answer = api.call("GET", f"/settlements/{month}", as_="accountant", headers=JULY_2)
    assert_field_error(answer, 422, code, "month")
    code, answer = api.call("GET", f"/inquiries/monthly/{month}", as_="coordinator")
    assert_field_error(answer, 422, code, "month")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2025-02-30", "20250607"])
def test_a_day_out_of_range_in_the_query_is_a_field_error(api, day):
    code, answer = api.call("GET", f"/inquiries?date={day}", as_="agent")
    assert_field_error(answer, 422, code, "date")


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00"])
def test_an_inquiry_received_at_an_impossible_time_is_a_field_error(api, received_at):
    code, answer = api.call("POST", "/inquiries", inquiry_body(received_at), as_="agent", headers=JULY_2)
    assert_field_error(answer, 422, code, "received_at")
    inquiry_id = log(api, "2025-07-02T09:00:00+09:00")
    code, answer = api.call("PATCH", f"/inquiries/{inquiry_id}", {"version": 1, "received_at": received_at},
                            as_="agent", headers=JULY_2)
    assert_field_error(answer, 422, code, "received_at")
