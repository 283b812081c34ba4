"""The current time, always timezone-aware Asia/Tokyo.

Services never read the clock: they get `now` as an argument. Where `now` comes from (issue 15, point 1):

1. In the local stage a request may pin the clock with `X-Miyapo-Now` (demos, training, tests; the console
   sends sessionStorage's `miyapo_now` as that header).
2. Otherwise the local stack's demo clock, when one runs: `make run` starts it inside the configured program
   year (`default_demo_start`, or `DEMO_NOW=2025-10-15T10:00+09:00`), and it moves on with real time from
   there, so a newcomer meets an open call center and a settlement round that is due, whatever the real date.
   `DEMO_NOW=off` runs the local stack on the real clock.
3. Otherwise the real clock.

Every other stage ignores both the header and the demo clock: they are honoured only when the settings say
`is_local` (the local stage with AWS on this machine), and only scripts/local_stack.py ever starts a demo clock.
"""

from __future__ import annotations

import threading
import time as monotonic_time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import FIRST_SUPPORTED_DAY, LAST_SUPPORTED_DAY

if TYPE_CHECKING:
    from chalicelib.settings import Settings

JST = ZoneInfo("Asia/Tokyo")
FIRST_SUPPORTED = datetime.combine(FIRST_SUPPORTED_DAY, time.min, JST)
LAST_SUPPORTED = datetime.combine(LAST_SUPPORTED_DAY, time.max, JST)


def now_jst() -> datetime:
    return datetime.now(JST)


def parse_aware(value: str, field: str = "now") -> datetime:
    """An ISO 8601 time with an offset, as JST; InvalidInput (422) for anything else.

    Times outside the supported range (JST 2000-01-01 – 2100-12-31) are refused before any arithmetic:
    `0001-01-01T00:00:00+09:00` is a valid ISO string that overflows when moved to JST.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("日時の形式が正しくありません", {field: "ISO 8601 形式（例: 2025-06-02T10:00:00+09:00）で指定してください"}) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput("日時にタイムゾーンがありません", {field: "タイムゾーン付き（例: +09:00）で指定してください"})
    # Comparing aware datetimes never overflows (it works on the offsets, not on shifted values).
    if not FIRST_SUPPORTED <= parsed <= LAST_SUPPORTED:
        raise InvalidInput("日時が対応範囲外です", {
            field: f"{FIRST_SUPPORTED_DAY.isoformat()} から {LAST_SUPPORTED_DAY.isoformat()} までの日時で指定してください"})
    return parsed.astimezone(JST)


def request_now(headers: Mapping[str, str] | None, is_local: bool) -> datetime:
    """`now` for a request: in the local stage the request's pin (`X-Miyapo-Now`), else the demo clock when
    one runs; the real clock otherwise, and always in every other stage."""
    if is_local and headers:
        pinned = headers.get("x-miyapo-now") or headers.get("X-Miyapo-Now")
        if pinned:
            return parse_aware(pinned, "X-Miyapo-Now")
    return stage_now(is_local)


def stage_now(is_local: bool) -> datetime:
    """`now` for the local stack's own work (its schedules, its seed): the demo clock when one runs in the
    local stage, the real clock otherwise."""
    demo = _DEMO.clock
    if is_local and demo is not None:
        return demo.now()
    return now_jst()


# --- the local stack's demo clock ---------------------------------------------------------------------

#: `DEMO_NOW` values that mean "the real clock".
DEMO_OFF = frozenset({"off", "real", "0", "false", "no"})
#: The demo day's time of day: the call center and the prefecture's office are both open.
DEMO_TIME = time(10, 0)


_WEEKDAYS = "月火水木金土日"


def day_label(when: datetime) -> str:
    """How the banners show a time: 2025年11月14日(金) 10:00 (JST)."""
    local = when.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日({_WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def outside_program_year(when: datetime, settings: Settings) -> str | None:
    """What a newcomer should know when `when` is outside the call center's service period (the program
    year), in Japanese; None inside it. Outside it every new inquiry is 時間外 and no daily report is due."""
    cc = settings.call_center
    day = when.astimezone(JST).date()
    if cc.call_center_service_start <= day <= cc.call_center_service_end:
        return None
    return (f"{day.year}年{day.month}月{day.day}日は事業年度（コールセンター開設期間 "
            f"{cc.call_center_service_start:%Y-%m-%d}〜{cc.call_center_service_end:%Y-%m-%d}）の外です。"
            "新しい問い合わせはすべて時間外になり、日次報告は届きません。")


class DemoClockError(ValueError):
    """A `DEMO_NOW` the local stack cannot run on; the message says what to write instead."""


@dataclass(frozen=True)
class DemoClock:
    """A clock that reads `start` when it is started and moves on with real (monotonic) time from there."""

    start: datetime
    started_at: float = field(default_factory=monotonic_time.monotonic)
    #: How the start was chosen ("DEMO_NOW" or "default"), for the banners.
    origin: str = "default"

    def now(self) -> datetime:
        elapsed = max(0.0, monotonic_time.monotonic() - self.started_at)
        return (self.start + timedelta(seconds=elapsed)).astimezone(JST)


@dataclass
class _Installed:
    clock: DemoClock | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_DEMO = _Installed()


def start_demo_clock(demo: DemoClock | None) -> DemoClock | None:
    """Run this process on `demo` (None: the real clock). Only the local stack calls this, once at start."""
    with _DEMO.lock:
        _DEMO.clock = demo
    return demo


def demo_clock() -> DemoClock | None:
    """The demo clock this process runs, if any (honoured only in the local stage: `stage_now`)."""
    return _DEMO.clock


def default_demo_start(settings: Settings) -> datetime:
    """The default demo day, derived from the configured program year, at 10:00 JST.

    The last prefecture office day before the approval deadline of the settlement round in the middle of the
    program's settlement months (FY2025: the October 2025 round is paid on Thu 20 Nov, to be approved by Mon
    17 Nov, so Fri 14 Nov 2025): five months of usage are in and paid, the month's round is due, points are
    in use, the session season is under way with sessions behind and ahead, and at 10:00 the call center
    and the prefecture's office are open (a new inquiry is not 時間外; the daily report for the day before is
    due). Stepped back to an earlier office day if the call center is closed that day (a holiday in another
    year's calendar).
    """
    from chalicelib.kernel import calendars

    program, settlement = settings.program, settings.settlement
    months = _months(program.settlement_first_month, program.settlement_last_month)
    middle = months[len(months) // 2]
    deadline = calendars.bank_business_days_before(
        calendars.payment_date(middle, settlement.payment_day), settlement.approval_lead_days)
    hours = calendars.CallCenterHours(
        open=settings.call_center.call_center_open, close=settings.call_center.call_center_close,
        service_start=settings.call_center.call_center_service_start,
        service_end=settings.call_center.call_center_service_end)
    day = calendars.previous_office_day(deadline)
    for _ in range(31):
        if calendars.is_call_center_day(day, hours):
            break
        day = calendars.previous_office_day(day)
    else:  # a call center closed for a month before the deadline: keep the office day found first
        day = calendars.previous_office_day(deadline)
    return datetime.combine(day, DEMO_TIME, JST)


def _has_offset(text: str) -> bool:
    clock_part = text.split("T", 1)[1]
    return clock_part.endswith("Z") or "+" in clock_part or "-" in clock_part


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def demo_clock_from_env(value: str | None, settings: Settings) -> DemoClock | None:
    """The demo clock `DEMO_NOW=value` asks for: unset or empty → the default demo day, `off` → None (the
    real clock), an ISO 8601 time → that time (JST when it has no offset; a day alone → 10:00 JST). None outside the local stage, whatever the
    value: a cloud stage never runs on a demo clock. A value that is none of these raises DemoClockError
    (the local stack refuses to start with it)."""
    if not settings.is_local:
        return None
    given = text = (value or "").strip()
    if text.lower() in DEMO_OFF:
        return None
    if not text:
        return DemoClock(default_demo_start(settings), origin="default")
    # Business times are JST: a day alone starts at DEMO_TIME, a time without an offset is JST.
    if len(text) == 10:
        text += "T" + DEMO_TIME.isoformat(timespec="minutes")
    if "T" in text and not _has_offset(text):
        text += "+09:00"
    try:
        start = parse_aware(text, "DEMO_NOW")
    except InvalidInput as exc:
        hint = "; ".join(exc.fields.values()) or exc.message
        raise DemoClockError(
            f"DEMO_NOW={given!r} is not a time the demo clock can start at ({exc.message}: {hint}). "
            "Write a day or an ISO 8601 time (JST unless it has an offset), e.g. DEMO_NOW=2025-10-15 or "
            "DEMO_NOW=2025-10-15T10:00+09:00, or DEMO_NOW=off for the real clock.") from None
    return DemoClock(start, origin="DEMO_NOW")
