"""The local stack's demo clock (issue 15, point 1): where `now` comes from.

A request's `X-Miyapo-Now` wins in the local stage; otherwise the demo clock when the local stack runs one;
otherwise the real clock. Outside the local stage neither the header nor a demo clock (nor `DEMO_NOW`) is
ever honoured. `DEMO_NOW` is parsed once at the local stack's start: unset → the default demo day derived
from the program year, `off` → the real clock, a day or a time → that, anything else → refused with a
message that says what to write.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.clock import JST, DemoClock, DemoClockError
from chalicelib.kernel import calendars as cal
from tests.fakes import make_settings, with_setting

LOCAL = {"STAGE": "local", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "JWKS_SOURCE": "/tmp/jwks.json"}
PINNED = "2025-06-02T10:00:00+09:00"


@pytest.fixture
def local():
    return make_settings(**LOCAL)


@pytest.fixture
def demo_running() -> Iterator[DemoClock]:
    """A demo clock started at 2025-11-14 10:00 for the test; the process's clock is restored after it."""
    before = clock.demo_clock()
    demo = clock.start_demo_clock(DemoClock(datetime(2025, 11, 14, 10, 0, tzinfo=JST)))
    assert demo is not None
    try:
        yield demo
    finally:
        clock.start_demo_clock(before)


@pytest.fixture
def no_demo() -> Iterator[None]:
    before = clock.demo_clock()
    clock.start_demo_clock(None)
    try:
        yield
    finally:
        clock.start_demo_clock(before)


# --- resolution: header > demo clock > real clock ------------------------------------------------------


def test_in_the_local_stage_the_header_wins_over_the_demo_clock(demo_running):
    assert clock.request_now({"x-miyapo-now": PINNED}, is_local=True) == datetime(2025, 6, 2, 10, 0, tzinfo=JST)


def test_in_the_local_stage_without_a_header_the_demo_clock_answers(demo_running):
    now = clock.request_now({}, is_local=True)
    assert demo_running.start <= now < demo_running.start + timedelta(minutes=1)
    assert clock.request_now(None, is_local=True).date() == date(2025, 11, 14)


def test_without_a_demo_clock_the_local_stage_reads_the_real_clock(no_demo):
    before = datetime.now(JST)
    now = clock.request_now({}, is_local=True)
    assert before <= now <= datetime.now(JST)


def test_outside_the_local_stage_neither_the_header_nor_a_demo_clock_counts(demo_running):
    before = datetime.now(JST)
    for headers in ({}, {"X-Miyapo-Now": PINNED}, None):
        now = clock.request_now(headers, is_local=False)
        assert before <= now <= datetime.now(JST)
    assert before <= clock.stage_now(is_local=False) <= datetime.now(JST)


def test_the_stack_s_own_work_follows_the_demo_clock(demo_running):
    assert clock.stage_now(is_local=True).date() == date(2025, 11, 14)


def test_the_demo_clock_moves_on_with_real_time():
    start = datetime(2025, 11, 14, 10, 0, tzinfo=JST)
    # Started an hour ago (on the monotonic clock): it reads an hour past its start.
    demo = DemoClock(start, started_at=time.monotonic() - 3600)
    assert start + timedelta(minutes=59) < demo.now() < start + timedelta(minutes=61)
    assert demo.now().tzinfo == JST
    fresh = DemoClock(start)
    first = fresh.now()
    assert start <= first < start + timedelta(seconds=5) and fresh.now() >= first


# --- DEMO_NOW ----------------------------------------------------------------------------------------


def test_unset_or_empty_demo_now_starts_the_default_day(local):
    for value in (None, "", "  "):
        demo = clock.demo_clock_from_env(value, local)
        assert demo is not None and demo.origin == "default"
        assert demo.start == datetime(2025, 11, 14, 10, 0, tzinfo=JST)


@pytest.mark.parametrize("value", ["off", "OFF", "real", "0"])
def test_demo_now_off_runs_on_the_real_clock(local, value):
    assert clock.demo_clock_from_env(value, local) is None


@pytest.mark.parametrize(("value", "start"), [
    ("2025-10-15T10:00+09:00", datetime(2025, 10, 15, 10, 0, tzinfo=JST)),
    ("2025-10-15T01:00:00Z", datetime(2025, 10, 15, 10, 0, tzinfo=JST)),
    ("2025-10-15T14:30", datetime(2025, 10, 15, 14, 30, tzinfo=JST)),  # no offset: JST
    ("2025-10-15", datetime(2025, 10, 15, 10, 0, tzinfo=JST)),  # a day alone: 10:00 JST
])
def test_demo_now_sets_the_start(local, value, start):
    demo = clock.demo_clock_from_env(value, local)
    assert demo is not None and demo.origin == "DEMO_NOW" and demo.start == start


@pytest.mark.parametrize("value", ["tomorrow", "2025-10-1", "2025-13-01T10:00+09:00", "1999-12-31",
                                   "2025-10-15T25:00+09:00", "on"])
def test_a_bad_demo_now_is_refused_with_what_to_write(local, value):
    with pytest.raises(DemoClockError) as caught:
        clock.demo_clock_from_env(value, local)
    message = str(caught.value)
    assert f"DEMO_NOW={value!r}" in message
    assert "DEMO_NOW=2025-10-15T10:00+09:00" in message and "DEMO_NOW=off" in message


@pytest.mark.parametrize("stage_env", [
    {"STAGE": "prod"},
    {"STAGE": "dev"},
    # A stage labelled local that points at real AWS is not the local stack either.
    {"STAGE": "local", "AWS_ENDPOINT_URL": "https://dynamodb.ap-northeast-1.amazonaws.com"},
])
@pytest.mark.parametrize("value", ["", "2025-10-15T10:00+09:00", "garbage"])
def test_demo_now_is_ignored_outside_the_local_stage(stage_env, value):
    settings = make_settings(**stage_env)
    assert not settings.is_local
    assert clock.demo_clock_from_env(value, settings) is None


# --- the default demo day ----------------------------------------------------------------------------


def test_the_default_day_is_a_working_day_of_the_program_year(local):
    start = clock.default_demo_start(local)
    day = start.date()
    cc = local.call_center
    hours = cal.CallCenterHours(open=cc.call_center_open, close=cc.call_center_close,
                                service_start=cc.call_center_service_start, service_end=cc.call_center_service_end)
    assert cal.is_call_center_open(start, hours)  # a new inquiry is not 時間外
    assert cal.is_office_hours(start)  # escalations go out at once; the daily report is due
    assert local.program.points_usable_start <= day <= local.program.points_usable_end
    assert local.sessions.session_period_start <= day <= local.sessions.session_period_end
    # The middle settlement round (2025-10) is due: approvable that day, its deadline the next office day.
    deadline = cal.bank_business_days_before(cal.payment_date("2025-10", local.settlement.payment_day),
                                             local.settlement.approval_lead_days)
    assert day < deadline and cal.next_office_day(day) == deadline == date(2025, 11, 17)
    assert start == datetime(2025, 11, 14, 10, 0, tzinfo=JST)


def test_the_default_day_follows_the_configured_program_year(local):
    next_year = local.model_copy(update={
        "program": local.program.model_copy(update={
            "points_usable_start": date(2026, 5, 27), "points_usable_end": date(2027, 2, 28),
            "settlement_first_month": "2026-05", "settlement_last_month": "2027-02"}),
        "call_center": local.call_center.model_copy(update={
            "call_center_service_start": date(2026, 4, 1), "call_center_service_end": date(2027, 3, 25)}),
    })
    start = clock.default_demo_start(next_year)
    # October 2026's round: paid Fri 20 Nov 2026, approved by Tue 17 Nov; the office day before is Mon 16 Nov.
    assert start == datetime(2026, 11, 16, 10, 0, tzinfo=JST)


def test_the_default_day_moves_with_the_payment_rules(local):
    later = with_setting(local, "settlement.approval_lead_days", 0)
    # Approved on the payment day itself (Thu 20 Nov 2025): the office day before is Wed 19 Nov.
    assert clock.default_demo_start(later) == datetime(2025, 11, 19, 10, 0, tzinfo=JST)


# --- outside the program year ------------------------------------------------------------------------


@pytest.mark.parametrize(("when", "outside"), [
    (datetime(2025, 4, 1, 0, 0, tzinfo=JST), False),
    (datetime(2025, 11, 14, 10, 0, tzinfo=JST), False),
    (datetime(2026, 3, 25, 23, 59, tzinfo=JST), False),
    (datetime(2026, 3, 26, 0, 0, tzinfo=JST), True),
    (datetime(2026, 11, 30, 10, 0, tzinfo=JST), True),  # the "today"
    (datetime(2025, 3, 31, 23, 59, tzinfo=JST), True),
])
def test_a_day_outside_the_program_year_gets_a_note_that_says_why_nothing_works(local, when, outside):
    note = clock.outside_program_year(when, local)
    if not outside:
        assert note is None
    else:
        assert note is not None
        assert f"{when.year}年{when.month}月{when.day}日" in note and "2025-04-01〜2026-03-25" in note
        assert "時間外" in note and "日次報告" in note
