"""Bank, prefecture-office and call-center calendars (reference/calendars-and-rules.md, SPEC §2, §5.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.kernel import calendars as cal
from chalicelib.kernel.calendars import JST, CallCenterHours, OfficeHours


def d(s: str) -> date:
    return date.fromisoformat(s)


def jst(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=JST)


# --- the acceptance check: every day of FY2025 against a hand-written holiday list ---------------------

# Written out by hand from the Cabinet Office list, deliberately NOT from jpholiday.
FY2025_HOLIDAYS = frozenset(
    d(s)
    for s in (
        "2025-04-29",  # 昭和の日
        "2025-05-03",  # 憲法記念日 (Sat)
        "2025-05-04",  # みどりの日 (Sun)
        "2025-05-05",  # こどもの日
        "2025-05-06",  # 振替休日 (for 05-04)
        "2025-07-21",  # 海の日
        "2025-08-11",  # 山の日
        "2025-09-15",  # 敬老の日
        "2025-09-23",  # 秋分の日
        "2025-10-13",  # スポーツの日
        "2025-11-03",  # 文化の日
        "2025-11-23",  # 勤労感謝の日 (Sun)
        "2025-11-24",  # 振替休日
        "2026-01-01",  # 元日
        "2026-01-12",  # 成人の日
        "2026-02-11",  # 建国記念の日
        "2026-02-23",  # 天皇誕生日
        "2026-03-20",  # 春分の日
    )
)
FY2025_DAYS = [d("2025-04-01") + timedelta(days=i) for i in range(365)]


def _weekend(day: date) -> bool:
    return day.weekday() >= 5


def _expected_bank(day: date) -> bool:
    year_end = (day.month, day.day) in {(12, 31), (1, 1), (1, 2), (1, 3)}
    return not (_weekend(day) or day in FY2025_HOLIDAYS or year_end)


def _office_year_end(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def _expected_office(day: date) -> bool:
    return not (_weekend(day) or day in FY2025_HOLIDAYS or _office_year_end(day))


def _expected_call_center(day: date) -> bool:
    return not (day in FY2025_HOLIDAYS or _office_year_end(day))


def test_fy2025_table_covers_the_whole_year() -> None:
    assert FY2025_DAYS[0] == d("2025-04-01")
    assert FY2025_DAYS[-1] == d("2026-03-31")
    # Counts worked out by hand: 104 weekend days, 15 holidays on weekdays; year-end adds 12-31 and 01-02
    # for banks (01-01 is a holiday, 01-03 a Saturday) and 12-29, 12-30 too for offices; the call center
    # loses the 18 holidays plus 12-29, 12-30, 12-31, 01-02, 01-03.
    assert sum(map(_expected_bank, FY2025_DAYS)) == 244
    assert sum(map(_expected_office, FY2025_DAYS)) == 242
    assert sum(map(_expected_call_center, FY2025_DAYS)) == 342


@pytest.mark.parametrize(
    ("name", "actual", "expected"),
    [
        ("national holiday", cal.is_national_holiday, FY2025_HOLIDAYS.__contains__),
        ("bank business day", cal.is_bank_business_day, _expected_bank),
        ("office day", cal.is_office_day, _expected_office),
        ("call-center day", cal.is_call_center_day, _expected_call_center),
    ],
)
def test_every_day_of_fy2025(name: str, actual, expected) -> None:
    mismatches = [
        (day.isoformat(), actual(day), expected(day)) for day in FY2025_DAYS if actual(day) != expected(day)
    ]
    assert mismatches == [], f"{name}: (day, got, expected)"


# --- payment dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage_month", "expected"),
    [
        # reference/calendars-and-rules.md, verbatim
        ("2025-05", "2025-06-20"),
        ("2025-06", "2025-07-18"),  # 20th Sunday, 21st 海の日
        ("2025-07", "2025-08-20"),
        ("2025-08", "2025-09-19"),  # 20th Saturday
        ("2025-09", "2025-10-20"),
        ("2025-10", "2025-11-20"),
        ("2025-11", "2025-12-19"),  # 20th Saturday
        ("2025-12", "2026-01-20"),
        ("2026-01", "2026-02-20"),
        ("2026-02", "2026-03-19"),  # 20th 春分の日
        # other years, reasoned by hand
        ("2024-12", "2025-01-20"),  # Monday; 成人の日 2025 is 01-13
        ("2025-04", "2025-05-20"),  # Tuesday, after Golden Week
        ("2026-12", "2027-01-20"),  # Wednesday (2027-01-01 is a Friday); 成人の日 2027 is 01-11
        ("2026-06", "2026-07-17"),  # 2026-07-20 is 海の日 on a Monday → Sun, Sat → Friday 17th
        ("2027-08", "2027-09-17"),  # 2027-09-20 is 敬老の日 on a Monday → Friday 17th
        ("2027-02", "2027-03-19"),  # 20th Saturday (春分の日 is Sun 21st, substitute Mon 22nd)
    ],
)
def test_payment_date(usage_month: str, expected: str) -> None:
    assert cal.payment_date(usage_month) == d(expected)


def test_payment_date_accepts_a_tuple() -> None:
    assert cal.payment_date((2025, 6)) == d("2025-07-18")


@pytest.mark.parametrize(
    ("usage_month", "day", "expected"),
    [
        ("2025-11", 31, "2025-12-30"),  # 31 Dec is a bank holiday; 30 Dec (Tue) is not
        ("2025-12", 3, "2025-12-30"),  # 3 Jan Sat, 1–2 Jan and 31 Dec closed
        ("2025-12", 5, "2026-01-05"),
        ("2026-01", 28, "2026-02-27"),  # 28 Feb 2026 is a Saturday
        ("2025-05", 1, "2025-05-30"),  # 1 June 2025 is a Sunday: back into May
    ],
)
def test_payment_date_other_days(usage_month: str, day: int, expected: str) -> None:
    assert cal.payment_date(usage_month, day=day) == d(expected)


@pytest.mark.parametrize(
    "bad",
    [
        "2025-13",
        "2025-00",
        "2025-5",
        "25-05",
        "2025/05",
        "2025-05-01",
        "",
        " 2025-05",
        "2025-05 ",
        "２０２５-０５",
        "0000-05",
    ],
)
def test_payment_date_rejects_bad_month(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid month"):
        cal.payment_date(bad)


@pytest.mark.parametrize("bad", [202505, None, (2025,), (2025, "05"), [2025, 5], (2025, True)])
def test_payment_date_rejects_wrong_types(bad) -> None:
    with pytest.raises(TypeError):
        cal.payment_date(bad)


@pytest.mark.parametrize(("bad", "exc"), [((2025, 13), ValueError), ((0, 5), ValueError)])
def test_payment_date_rejects_bad_tuple(bad, exc) -> None:
    with pytest.raises(exc):
        cal.payment_date(bad)


@pytest.mark.parametrize("day", [0, 32, 29])  # Feb 2026 has 28 days
def test_payment_date_rejects_day_outside_the_month(day: int) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        cal.payment_date("2026-01", day=day)


# --- bank business days ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "day", "inclusive", "expected"),
    [
        (cal.previous_bank_business_day, "2025-06-20", True, "2025-06-20"),
        (cal.previous_bank_business_day, "2025-06-20", False, "2025-06-19"),
        (cal.previous_bank_business_day, "2026-01-03", True, "2025-12-30"),
        (cal.previous_bank_business_day, "2025-12-29", True, "2025-12-29"),  # banks open; offices closed
        (cal.next_bank_business_day, "2025-12-31", True, "2026-01-05"),
        (cal.next_bank_business_day, "2025-05-03", True, "2025-05-07"),
        (cal.next_bank_business_day, "2025-06-20", False, "2025-06-23"),
        (cal.next_bank_business_day, "2025-06-20", True, "2025-06-20"),
    ],
)
def test_bank_neighbours(func, day: str, inclusive: bool, expected: str) -> None:
    assert func(d(day), inclusive=inclusive) == d(expected)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2025-06-20", 3, "2025-06-17"),
        ("2025-07-18", 3, "2025-07-15"),
        ("2026-01-20", 3, "2026-01-15"),  # 01-19, then over the weekend to 01-16, 01-15
        ("2026-01-06", 3, "2025-12-29"),  # 01-05, then 12-30, 12-29: banks work those, offices do not
        ("2025-05-07", 1, "2025-05-02"),  # Golden Week
        ("2025-06-21", 1, "2025-06-20"),  # from a Saturday
        ("2025-06-20", 0, "2025-06-20"),
    ],
)
def test_bank_business_days_before(day: str, n: int, expected: str) -> None:
    assert cal.bank_business_days_before(d(day), n) == d(expected)


def test_bank_business_days_before_rejects_negative() -> None:
    with pytest.raises(ValueError):
        cal.bank_business_days_before(d("2025-06-20"), -1)


def test_date_functions_refuse_datetimes() -> None:
    # A UTC datetime's date can be the wrong business day: callers must convert to JST first.
    with pytest.raises(TypeError, match="to_jst"):
        cal.is_bank_business_day(datetime(2025, 6, 20, 23, 0, tzinfo=UTC))


def test_is_national_holiday_ignores_globally_registered_checkers() -> None:
    import jpholiday

    class CompanyHoliday(jpholiday.OriginalHolidayCheckerInterface):
        def is_holiday(self, date: date) -> bool:
            return date == d("2025-06-18")

        def holiday_name(self, date: date) -> str:
            return "company"

    jpholiday.register(CompanyHoliday())
    try:
        assert jpholiday.is_holiday(d("2025-06-18"))
        assert not cal.is_national_holiday(d("2025-06-18"))
        assert cal.is_bank_business_day(d("2025-06-18"))
    finally:
        jpholiday.unregister(CompanyHoliday())


# --- prefecture office hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "open_now", "next_opening"),
    [
        ("2025-06-06T16:59:59+09:00", True, "2025-06-06T16:59:59+09:00"),  # Friday, still open
        ("2025-06-06T17:00:00+09:00", False, "2025-06-09T09:00:00+09:00"),  # Friday close → Monday
        ("2025-06-09T09:00:00+09:00", True, "2025-06-09T09:00:00+09:00"),  # opening is inclusive
        ("2025-06-09T08:59:59+09:00", False, "2025-06-09T09:00:00+09:00"),  # early on an office day → today
        ("2025-06-07T20:00:00+09:00", False, "2025-06-09T09:00:00+09:00"),  # Saturday evening → Monday
        ("2025-06-08T08:00:00+09:00", False, "2025-06-09T09:00:00+09:00"),  # Sunday morning → Monday
        ("2025-12-26T18:00:00+09:00", False, "2026-01-05T09:00:00+09:00"),  # last day before year-end
        ("2025-12-29T10:00:00+09:00", False, "2026-01-05T09:00:00+09:00"),  # year-end closure (a Monday)
        ("2025-07-21T10:00:00+09:00", False, "2025-07-22T09:00:00+09:00"),  # 海の日 Monday → Tuesday
        ("2025-05-02T17:30:00+09:00", False, "2025-05-07T09:00:00+09:00"),  # Golden Week
        ("2026-03-19T23:59:59+09:00", False, "2026-03-23T09:00:00+09:00"),  # 春分の日 Friday → Monday
        # Other offsets are converted: 00:30Z = 09:30 JST Monday; 08:00Z = 17:00 JST; Friday 23:59Z = Sat JST
        ("2025-06-09T00:30:00+00:00", True, "2025-06-09T09:30:00+09:00"),
        ("2025-06-09T08:00:00+00:00", False, "2025-06-10T09:00:00+09:00"),
        ("2025-06-06T23:59:00+00:00", False, "2025-06-09T09:00:00+09:00"),
        ("2025-06-08T18:59:00-05:00", False, "2025-06-09T09:00:00+09:00"),  # 08:59 JST Monday
        ("2025-06-08T19:00:00-05:00", True, "2025-06-09T09:00:00+09:00"),  # 09:00 JST Monday
    ],
)
def test_office_hours(at: str, open_now: bool, next_opening: str) -> None:
    instant = datetime.fromisoformat(at)
    assert cal.is_office_hours(instant) is open_now
    opening = cal.next_office_opening(instant)
    assert opening == datetime.fromisoformat(next_opening)
    assert opening.tzinfo == JST
    assert opening >= instant


def test_office_hours_with_zoneinfo_other_than_jst() -> None:
    new_york = datetime(2025, 6, 8, 20, 0, tzinfo=ZoneInfo("America/New_York"))  # 09:00 JST Monday
    assert cal.is_office_hours(new_york)


def test_custom_office_hours() -> None:
    hours = OfficeHours(start=time(8, 30), end=time(17, 15))
    assert cal.is_office_hours(jst("2025-06-09T08:30"), hours)
    assert cal.is_office_hours(jst("2025-06-09T17:14"), hours)
    assert not cal.is_office_hours(jst("2025-06-09T17:15"), hours)
    assert cal.next_office_opening(jst("2025-06-09T08:00"), hours) == jst("2025-06-09T08:30")


def test_office_hours_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        OfficeHours(start=time(17, 0), end=time(9, 0))


@pytest.mark.parametrize(
    "func", [cal.is_office_hours, cal.next_office_opening, cal.is_call_center_open, cal.month_of, cal.to_jst]
)
def test_naive_datetimes_are_refused(func) -> None:
    with pytest.raises(ValueError, match="naive"):
        func(datetime(2025, 6, 9, 10, 0))


@pytest.mark.parametrize(
    ("day", "inclusive", "expected"),
    [
        ("2025-12-26", False, "2026-01-05"),
        ("2025-12-26", True, "2025-12-26"),
        ("2025-06-06", False, "2025-06-09"),
        ("2025-07-19", True, "2025-07-22"),
        ("2025-05-02", False, "2025-05-07"),
    ],
)
def test_next_office_day(day: str, inclusive: bool, expected: str) -> None:
    assert cal.next_office_day(d(day), inclusive=inclusive) == d(expected)


# --- call center -----------------------------------------------------------------------------------------

FY2025_CALL_CENTER = CallCenterHours(service_start=d("2025-04-01"), service_end=d("2026-03-25"))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2025-06-09T09:00:00", True),  # opening is inclusive
        ("2025-06-09T08:59:59", False),
        ("2025-06-09T17:29:59", True),
        ("2025-06-09T17:30:00", False),  # closing is exclusive
        ("2025-06-07T09:00:00", True),  # Saturday
        ("2025-06-08T17:00:00", True),  # Sunday
        ("2025-07-21T12:00:00", False),  # 海の日
        ("2025-05-06T12:00:00", False),  # 振替休日
        ("2025-12-28T12:00:00", True),  # Sunday before the closure
        ("2025-12-29T12:00:00", False),
        ("2025-12-31T12:00:00", False),
        ("2026-01-01T12:00:00", False),
        ("2026-01-03T12:00:00", False),
        ("2026-01-04T12:00:00", True),  # Sunday after the closure; offices reopen only on the 5th
    ],
)
def test_call_center_open(at: str, expected: bool) -> None:
    assert cal.is_call_center_open(jst(at)) is expected


def test_call_center_converts_to_jst() -> None:
    assert cal.is_call_center_open(datetime(2025, 6, 9, 0, 0, tzinfo=UTC))  # 09:00 JST
    assert not cal.is_call_center_open(datetime(2025, 6, 9, 8, 30, tzinfo=UTC))  # 17:30 JST


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-03-31", False),  # before the service period
        ("2025-04-01", True),  # first day (a Tuesday)
        ("2026-03-25", True),  # last day
        ("2026-03-26", False),
    ],
)
def test_call_center_service_period(day: str, expected: bool) -> None:
    assert cal.is_call_center_day(d(day), FY2025_CALL_CENTER) is expected
    assert cal.is_call_center_open(jst(f"{day}T10:00"), FY2025_CALL_CENTER) is expected
    # unbounded by default
    assert cal.is_call_center_day(d(day))


def test_call_center_configuration_is_validated() -> None:
    with pytest.raises(ValueError):
        CallCenterHours(open=time(18, 0), close=time(9, 0))
    with pytest.raises(ValueError):
        CallCenterHours(service_start=d("2026-03-25"), service_end=d("2025-04-01"))


# --- daily report coverage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivery", "first", "last"),
    [
        ("2025-06-09", "2025-06-06", "2025-06-08"),  # Monday: Friday, Saturday, Sunday
        ("2025-06-11", "2025-06-10", "2025-06-10"),  # ordinary Wednesday
        ("2026-01-05", "2025-12-26", "2026-01-04"),  # after the year-end closure
        ("2025-07-22", "2025-07-18", "2025-07-21"),  # Tuesday after 海の日 Monday
        ("2025-05-07", "2025-05-02", "2025-05-06"),  # after Golden Week
        ("2026-03-23", "2026-03-19", "2026-03-22"),  # Monday after 春分の日 Friday
    ],
)
def test_days_covered_by_report(delivery: str, first: str, last: str) -> None:
    covered = cal.days_covered_by_report(d(delivery))
    expected = [d(first) + timedelta(days=i) for i in range((d(last) - d(first)).days + 1)]
    assert covered == expected
    assert all(cal.report_delivery_day(x) == d(delivery) for x in covered)


@pytest.mark.parametrize("day", ["2025-06-07", "2025-07-21", "2025-12-29", "2026-01-02"])
def test_no_report_is_delivered_on_a_closed_day(day: str) -> None:
    assert cal.days_covered_by_report(d(day)) == []


def test_report_coverage_partitions_the_year() -> None:
    # Every day is reported exactly once, on its delivery day.
    delivered: list[date] = []
    for day in FY2025_DAYS:
        covered = cal.days_covered_by_report(day)
        assert all(cal.report_delivery_day(x) == day for x in covered)
        delivered.extend(covered)
    # The first days of April are delivered for the days before them (end of March 2025).
    in_year = [x for x in delivered if x >= FY2025_DAYS[0]]
    last_delivery = FY2025_DAYS[-1]  # 2026-03-31 is a Tuesday office day: its report covers the 30th
    assert in_year == [x for x in FY2025_DAYS if x < last_delivery]


# --- months ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2025, 5, 31, 15, 0, tzinfo=UTC), "2025-06"),  # 00:00 JST on 1 June
        (datetime(2025, 5, 31, 14, 59, 59, tzinfo=UTC), "2025-05"),
        (datetime(2025, 12, 31, 23, 59, tzinfo=JST), "2025-12"),
        (d("2026-02-28"), "2026-02"),
    ],
)
def test_month_of(at, expected: str) -> None:
    assert cal.month_of(at) == expected


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2026-02", "2026-02-01", "2026-02-28"),
        ("2025-12", "2025-12-01", "2025-12-31"),
        ((2025, 4), "2025-04-01", "2025-04-30"),
    ],
)
def test_month_range(month, first: str, last: str) -> None:
    assert cal.month_range(month) == (d(first), d(last))


def test_parse_month() -> None:
    assert cal.parse_month("2025-06") == (2025, 6)
    with pytest.raises(ValueError, match="expected 'YYYY-MM'"):
        cal.parse_month("June 2025")
