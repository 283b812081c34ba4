"""The program's three calendars: bank business days, prefecture office hours, call-center hours.

Pure functions over dates and timezone-aware datetimes; every business date and time is Asia/Tokyo
(docs/SPEC.md §5.1). The rules are in docs/reference/calendars-and-rules.md:

- bank business days: not Saturday/Sunday, not a national holiday, not 31 Dec – 3 Jan
  (銀行法 第15条, 銀行法施行令 第5条);
- prefecture office days: not Saturday/Sunday, not a national holiday, not 29 Dec – 3 Jan
  (行政機関の休日に関する法律, followed by the prefecture's ordinance); office hours 09:00–17:00;
- call-center days: every day including weekends, except national holidays and 29 Dec – 3 Jan,
  within the configured service period; hours 09:00–17:30.

Functions that take a calendar *date* refuse a `datetime`: a UTC datetime's date can be the wrong
business day, so callers convert with `to_jst(dt).date()` first.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "FIRST_SUPPORTED_DAY",
    "JST",
    "LAST_SUPPORTED_DAY",
    "CallCenterHours",
    "OfficeHours",
    "bank_business_days_before",
    "days_covered_by_report",
    "is_bank_business_day",
    "is_call_center_day",
    "is_call_center_open",
    "is_national_holiday",
    "is_office_day",
    "is_office_hours",
    "month_of",
    "month_range",
    "next_bank_business_day",
    "next_office_day",
    "next_office_opening",
    "parse_day",
    "parse_month",
    "payment_date",
    "previous_bank_business_day",
    "previous_office_day",
    "report_delivery_day",
    "to_jst",
]

JST = ZoneInfo("Asia/Tokyo")



@functools.cache
def _holidays() -> Any:
    """A private instance: jpholiday's module-level functions share a global registry that any import can
    extend with `jpholiday.register(...)`; our calendars must only ever see the statutory holidays.
    Imported on first use (~7 ms), not at every cold start: most requests never consult a calendar."""
    import jpholiday

    return jpholiday.JPHoliday()

# Real closures last about ten days at most (year-end next to a weekend, Golden Week); the bound turns a
# broken rule or a misconfigured period into an error instead of an endless loop.
_MAX_SEARCH_DAYS = 366

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

#: The dates accepted from outside (headers, bodies, paths, query strings). Far wider than any program
#: year, narrow enough that the arithmetic done on them (a timezone shift, the next month's payment date,
#: a bank day before or after) never leaves what `datetime` can hold.
FIRST_SUPPORTED_DAY = date(2000, 1, 1)
LAST_SUPPORTED_DAY = date(2100, 12, 31)

type Month = str | tuple[int, int]


# --- helpers ---------------------------------------------------------------------------------------


def _as_date(d: date) -> date:
    if isinstance(d, datetime):
        raise TypeError("expected a date, got a datetime: convert with to_jst(dt).date() first")
    if not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")
    return d


def to_jst(dt: datetime) -> datetime:
    """`dt` as Asia/Tokyo; a naive datetime is refused because its instant is unknown (docs/SPEC.md §5.1)."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no timezone; pass a timezone-aware datetime")
    return dt.astimezone(JST)


def _search(d: date, step: int, inclusive: bool, accept: Callable[[date], bool]) -> date:
    current = d if inclusive else d + timedelta(days=step)
    for _ in range(_MAX_SEARCH_DAYS):
        if accept(current):
            return current
        current += timedelta(days=step)
    raise RuntimeError(f"no matching day within {_MAX_SEARCH_DAYS} days of {d.isoformat()}")


def _in_bank_year_end(d: date) -> bool:
    # 銀行法施行令 第5条: banks close 31 Dec – 3 Jan.
    return (d.month == 12 and d.day == 31) or (d.month == 1 and d.day <= 3)


def _in_office_year_end(d: date) -> bool:
    # 行政機関の休日に関する法律 第1条: government offices close 29 Dec – 3 Jan; the call center follows it.
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def _is_weekend(d: date) -> bool:
    return d.weekday() >= 5


# --- national holidays -----------------------------------------------------------------------------


def is_national_holiday(d: date) -> bool:
    """国民の祝日, 振替休日 and 国民の休日 (jpholiday); NOT the year-end closures, which are not holidays."""
    return bool(_holidays().is_holiday(_as_date(d)))


# --- bank calendar ---------------------------------------------------------------------------------


def is_bank_business_day(d: date) -> bool:
    d = _as_date(d)
    return not (_is_weekend(d) or _in_bank_year_end(d) or is_national_holiday(d))


def previous_bank_business_day(d: date, inclusive: bool = True) -> date:
    """The latest bank business day on or before `d` (strictly before when `inclusive` is False)."""
    return _search(_as_date(d), -1, inclusive, is_bank_business_day)


def next_bank_business_day(d: date, inclusive: bool = True) -> date:
    """The earliest bank business day on or after `d` (strictly after when `inclusive` is False)."""
    return _search(_as_date(d), 1, inclusive, is_bank_business_day)


def bank_business_days_before(d: date, n: int) -> date:
    """The date `n` bank business days before `d`, `d` itself not counted (n=0 gives `d`).

    E.g. the approval deadline for the bank's lead time (docs/SPEC.md §4.4, default 3 days before payment).
    """
    d = _as_date(d)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be zero or positive, got {n}")
    current = d
    for _ in range(n):
        current = previous_bank_business_day(current, inclusive=False)
    return current


# --- months ----------------------------------------------------------------------------------------


def _check_year(year: int, shown: object) -> None:
    if not FIRST_SUPPORTED_DAY.year <= year <= LAST_SUPPORTED_DAY.year:
        raise ValueError(f"invalid month {shown!r}: year must be "
                         f"{FIRST_SUPPORTED_DAY.year}–{LAST_SUPPORTED_DAY.year}")


def parse_month(s: str) -> tuple[int, int]:
    """'YYYY-MM' (ASCII digits, zero-padded month, a supported year) → (year, month)."""
    if not isinstance(s, str):
        raise TypeError(f"month must be a 'YYYY-MM' string, got {type(s).__name__}")
    match = _MONTH_RE.fullmatch(s)
    if match is None:
        raise ValueError(f"invalid month {s!r}: expected 'YYYY-MM', e.g. '2025-06'")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"invalid month {s!r}: month must be 01–12")
    _check_year(year, s)
    return year, month


def parse_day(s: str) -> date:
    """'YYYY-MM-DD' (ASCII digits, a real day within the supported range) → date."""
    if not isinstance(s, str):
        raise TypeError(f"day must be a 'YYYY-MM-DD' string, got {type(s).__name__}")
    if _DAY_RE.fullmatch(s) is None:
        raise ValueError(f"invalid day {s!r}: expected 'YYYY-MM-DD', e.g. '2025-06-07'")
    try:
        day = date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"invalid day {s!r}: no such day") from None
    if not FIRST_SUPPORTED_DAY <= day <= LAST_SUPPORTED_DAY:
        raise ValueError(f"invalid day {s!r}: must be {FIRST_SUPPORTED_DAY}–{LAST_SUPPORTED_DAY}")
    return day


def _coerce_month(month: Month) -> tuple[int, int]:
    if isinstance(month, str):
        return parse_month(month)
    if isinstance(month, tuple) and len(month) == 2:
        year, mon = month
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (year, mon)):
            if not 1 <= mon <= 12:
                raise ValueError(f"invalid month {month!r}: month must be 1–12")
            _check_year(year, month)
            return year, mon
    raise TypeError(f"month must be 'YYYY-MM' or a (year, month) tuple of ints, got {month!r}")


def month_of(dt: datetime | date) -> str:
    """The 'YYYY-MM' month of an instant in JST (docs/SPEC.md §5.1); a plain date is already a business date."""
    d = to_jst(dt).date() if isinstance(dt, datetime) else _as_date(dt)
    return f"{d.year:04d}-{d.month:02d}"


def month_range(month: Month) -> tuple[date, date]:
    """First and last day of the month."""
    year, mon = _coerce_month(month)
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def payment_date(usage_month: Month, day: int = 20) -> date:
    """When the usage of `usage_month` is paid to stores.

    docs/SPEC.md §2: paid in the following month no later than the `day`th; when that is not a bank business day,
    on the preceding bank business day (never the following one: "no later than").
    """
    year, mon = _coerce_month(usage_month)
    if isinstance(day, bool) or not isinstance(day, int):
        raise TypeError(f"day must be an int, got {type(day).__name__}")
    pay_year, pay_month = (year + 1, 1) if mon == 12 else (year, mon + 1)
    if pay_year > 9999:
        raise ValueError(f"usage month {year:04d}-{mon:02d} is out of range")
    last = calendar.monthrange(pay_year, pay_month)[1]
    if not 1 <= day <= last:
        raise ValueError(f"day {day} does not exist in {pay_year:04d}-{pay_month:02d} (1–{last})")
    return previous_bank_business_day(date(pay_year, pay_month, day))


# --- prefecture office calendar --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """The prefecture's office hours (docs/SPEC.md §2: weekdays 09:00–17:00); start inclusive, end exclusive."""

    start: time = time(9, 0)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("office hours are JST wall-clock times: give naive times")
        if not self.start < self.end:
            raise ValueError(f"office hours start {self.start} must be before end {self.end}")


def is_office_day(d: date) -> bool:
    d = _as_date(d)
    return not (_is_weekend(d) or _in_office_year_end(d) or is_national_holiday(d))


def next_office_day(d: date, inclusive: bool = False) -> date:
    """The earliest office day after `d` (on or after it when `inclusive`)."""
    return _search(_as_date(d), 1, inclusive, is_office_day)


def previous_office_day(d: date, inclusive: bool = False) -> date:
    """The latest office day before `d` (on or before it when `inclusive`)."""
    return _search(_as_date(d), -1, inclusive, is_office_day)


def is_office_hours(dt: datetime, hours: OfficeHours | None = None) -> bool:
    hours = hours or OfficeHours()
    local = to_jst(dt)
    return is_office_day(local.date()) and hours.start <= local.time() < hours.end


def next_office_opening(dt: datetime, hours: OfficeHours | None = None) -> datetime:
    """The first instant at or after `dt` when the prefecture's office is open, in JST.

    Escalations outside office hours go to the prefecture "first thing the next business day" (docs/SPEC.md §2).
    """
    hours = hours or OfficeHours()
    local = to_jst(dt)
    if is_office_hours(local, hours):
        return local
    today = local.date()
    if is_office_day(today) and local.time() < hours.start:
        opening_day = today
    else:
        opening_day = next_office_day(today)
    return datetime.combine(opening_day, hours.start, tzinfo=JST)


# --- call center -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallCenterHours:
    """Call-center configuration (docs/SPEC.md §2): 09:00 inclusive – 17:30 exclusive, within the service period.

    `service_start` / `service_end` are inclusive; None leaves that side unbounded. The dates change each
    program year, so they are configuration, never code.
    """

    open: time = time(9, 0)
    close: time = time(17, 30)
    service_start: date | None = None
    service_end: date | None = None

    def __post_init__(self) -> None:
        if self.open.tzinfo is not None or self.close.tzinfo is not None:
            raise ValueError("call-center hours are JST wall-clock times: give naive times")
        if not self.open < self.close:
            raise ValueError(f"call-center open {self.open} must be before close {self.close}")
        for bound in (self.service_start, self.service_end):
            if bound is not None:
                _as_date(bound)
        if (
            self.service_start is not None
            and self.service_end is not None
            and self.service_start > self.service_end
        ):
            raise ValueError(f"service_start {self.service_start} is after service_end {self.service_end}")


def is_call_center_day(d: date, hours: CallCenterHours | None = None) -> bool:
    hours = hours or CallCenterHours()
    d = _as_date(d)
    if hours.service_start is not None and d < hours.service_start:
        return False
    if hours.service_end is not None and d > hours.service_end:
        return False
    # Open on weekends too; closed on national holidays and the 29 Dec – 3 Jan closure (docs/SPEC.md §2).
    return not (_in_office_year_end(d) or is_national_holiday(d))


def is_call_center_open(dt: datetime, hours: CallCenterHours | None = None) -> bool:
    hours = hours or CallCenterHours()
    local = to_jst(dt)
    return is_call_center_day(local.date(), hours) and hours.open <= local.time() < hours.close


# --- daily call-center report ----------------------------------------------------------------------


def report_delivery_day(x: date) -> date:
    """The day the daily report for day `x` is delivered: the next prefecture business day (docs/SPEC.md §2, §4.5)."""
    return next_office_day(x)


def days_covered_by_report(delivery_day: date) -> list[date]:
    """Every day whose report is delivered on `delivery_day`, oldest first; [] if it is not an office day.

    Exactly the days X with report_delivery_day(X) == delivery_day: from the previous office day up to the
    day before delivery. A Monday covers Friday–Sunday; the first office day after the year-end closure
    covers the last working day of December and every closed day after it.
    """
    delivery_day = _as_date(delivery_day)
    if not is_office_day(delivery_day):
        return []
    first = previous_office_day(delivery_day)
    return [first + timedelta(days=i) for i in range((delivery_day - first).days)]
