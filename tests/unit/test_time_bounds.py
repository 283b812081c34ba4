"""Dates, months and times from outside are refused cleanly when they cannot be handled: the supported
range is 2000-01-01 – 2100-12-31 (JST), and nothing outside it ever reaches date arithmetic."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib import clock
from chalicelib.errors import InvalidInput
from chalicelib.kernel import calendars as cal

RANGE_HINT = "2000-01-01 から 2100-12-31 までの日時で指定してください"


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-06-02T10:00:00+09:00", datetime(2025, 6, 2, 10, 0, tzinfo=clock.JST)),
    ("2025-06-02T01:00:00Z", datetime(2025, 6, 2, 10, 0, tzinfo=clock.JST)),
    ("2000-01-01T00:00:00+09:00", datetime(2000, 1, 1, tzinfo=clock.JST)),
    ("1999-12-31T15:00:00+00:00", datetime(2000, 1, 1, tzinfo=clock.JST)),
    ("2100-12-31T23:59:59+09:00", datetime(2100, 12, 31, 23, 59, 59, tzinfo=clock.JST)),
])
def test_parse_aware_inside_the_range(value, expected):
    parsed = clock.parse_aware(value)
    assert parsed == expected and parsed.tzinfo == clock.JST


@pytest.mark.parametrize("value", [
    "0001-01-01T00:00:00+09:00",  # astimezone(JST) would overflow below datetime.min
    "9999-12-31T23:59:59-12:00",  # ... and above datetime.max
    "1999-12-31T14:59:59+00:00",  # one second before 2000-01-01 JST
    "2100-12-31T15:00:00+00:00",  # 2101-01-01 00:00 JST
    "1970-01-01T00:00:00+00:00",
])
def test_parse_aware_outside_the_range_is_a_field_error(value):
    with pytest.raises(InvalidInput) as caught:
        clock.parse_aware(value, "X-Miyapo-Now")
    assert caught.value.fields == {"X-Miyapo-Now": RANGE_HINT}
    assert caught.value.message == "日時が対応範囲外です"


@pytest.mark.parametrize("value", ["garbage", "2025-06-02T10:00:00+25:00", "", None, ["2025-06-02T10:00:00+09:00"]])
def test_parse_aware_refuses_what_is_not_an_aware_time(value):
    with pytest.raises(InvalidInput) as caught:
        clock.parse_aware(value)
    assert set(caught.value.fields) == {"now"}


def test_parse_aware_refuses_a_naive_time():
    with pytest.raises(InvalidInput, match="タイムゾーン"):
        clock.parse_aware("2025-06-02T10:00:00")


def test_the_pinned_clock_header_is_checked_the_same_way():
    with pytest.raises(InvalidInput) as caught:
        clock.request_now({"x-miyapo-now": "0001-01-01T00:00:00+09:00"}, is_local=True)
    assert caught.value.fields == {"X-Miyapo-Now": RANGE_HINT}
    # Elsewhere the header is ignored, whatever it says.
    assert clock.request_now({"x-miyapo-now": "0001-01-01T00:00:00+09:00"}, is_local=False).year >= 2025


@pytest.mark.parametrize(("month", "expected"), [("2000-01", (2000, 1)), ("2025-06", (2025, 6)), ("2100-12", (2100, 12))])
def test_parse_month_inside_the_range(month, expected):
    assert cal.parse_month(month) == expected


@pytest.mark.parametrize("month", ["9999-12", "1999-12", "2101-01", "0001-01", "0000-05"])
def test_parse_month_outside_the_range(month):
    with pytest.raises(ValueError, match=r"invalid month .*year must be 2000–2100"):
        cal.parse_month(month)


@pytest.mark.parametrize("month", [(9999, 12), (1999, 12), (0, 5)])
def test_month_tuples_are_held_to_the_same_range(month):
    with pytest.raises(ValueError, match="year must be 2000–2100"):
        cal.month_range(month)


def test_the_last_supported_month_still_has_a_payment_date():
    assert cal.payment_date("2100-12") == date(2101, 1, 20)


@pytest.mark.parametrize(("day", "expected"), [
    ("2025-06-07", date(2025, 6, 7)), ("2000-01-01", date(2000, 1, 1)), ("2100-12-31", date(2100, 12, 31)),
])
def test_parse_day_inside_the_range(day, expected):
    assert cal.parse_day(day) == expected


@pytest.mark.parametrize(("day", "reason"), [
    ("9999-12-31", "must be 2000-01-01–2100-12-31"), ("0001-01-01", "must be"), ("1999-12-31", "must be"),
    ("2025-02-30", "no such day"), ("20250607", "expected 'YYYY-MM-DD'"), ("２０２５-０６-０７", "expected"),
    ("2025-06-07T00:00", "expected"), ("", "expected"), (" 2025-06-07", "expected"),
])
def test_parse_day_refuses_bad_or_out_of_range_days(day, reason):
    with pytest.raises(ValueError, match=reason):
        cal.parse_day(day)


def test_parse_day_refuses_other_types():
    with pytest.raises(TypeError):
        cal.parse_day(date(2025, 6, 7))  # type: ignore[arg-type]
