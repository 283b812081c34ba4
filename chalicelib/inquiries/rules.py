"""The call center's rules as pure functions: status changes, when an escalation notice goes out,
which days a daily report covers. No AWS; table-tested in tests/unit/test_inquiries_rules.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.errors import Conflict
from chalicelib.kernel.calendars import (
    CallCenterHours,
    OfficeHours,
    days_covered_by_report,
    is_call_center_open,
    next_office_day,
    next_office_opening,
    report_delivery_day,
    to_jst,
)


class Action(StrEnum):
    ESCALATE = "escalate"  # the center cannot resolve it: the prefecture is told
    CLOSE = "close"  # resolved (for an escalation: after the prefecture answered)
    REOPEN = "reopen"  # a resolved inquiry needs more work (only if it was never escalated)


TRANSITIONS: dict[tuple[str, Action], str] = {
    ("pending", Action.ESCALATE): "escalated",
    ("pending", Action.CLOSE): "resolved",
    ("escalated", Action.CLOSE): "resolved",
    ("resolved", Action.REOPEN): "pending",
}

REFUSALS: dict[tuple[str, Action], str] = {
    ("escalated", Action.ESCALATE): "この問い合わせは既に県へエスカレーションしています",
    ("resolved", Action.ESCALATE): "解決済みの問い合わせはエスカレーションできません。状態を「対応中」に戻してから操作してください",
    ("resolved", Action.CLOSE): "この問い合わせは既に解決済みです",
    ("pending", Action.REOPEN): "この問い合わせは対応中です",
    ("escalated", Action.REOPEN): "エスカレーション中の問い合わせは、県の回答を記録してから解決にしてください",
}


def next_status(item: dict[str, Any], action: Action) -> str:
    """The status after `action`, or Conflict (409) with the reason in Japanese."""
    current = item["status"]
    new = TRANSITIONS.get((current, action))
    if new is None:
        raise Conflict(REFUSALS.get((current, action), "この操作は現在の状態ではできません"))
    if action is Action.CLOSE and current == "escalated" and not item.get("prefecture_answer"):
        raise Conflict("県の回答を記録してから解決にしてください")
    if action is Action.REOPEN and item.get("escalation"):
        raise Conflict("県へエスカレーションした問い合わせは対応中に戻せません")
    return new


def outside_hours(received_at: datetime, hours: CallCenterHours) -> bool:
    """Logged outside the call center's open hours (a callback, a mail read next morning): flagged, not refused."""
    return not is_call_center_open(received_at, hours)


def notice_time(now: datetime, hours: OfficeHours) -> tuple[bool, datetime]:
    """(send at once?, when the notice is due).

    docs/SPEC.md §2: within the prefecture's office hours at once; otherwise first thing (the opening) on
    its next office day.
    """
    opening = next_office_opening(now, hours)
    return opening == to_jst(now), opening


def days_in_report(delivery_day: date, service_start: date, service_end: date) -> list[date]:
    """The days a report delivered on `delivery_day` covers, limited to the call center's service period."""
    return [d for d in days_covered_by_report(delivery_day) if service_start <= d <= service_end]


def first_delivery_day(received_day: date) -> date:
    """The delivery day of the report that covers `received_day`."""
    return report_delivery_day(received_day)


def delivery_days_due(first: date, last_done: date | None, today: date) -> list[date]:
    """Every prefecture office day from `first` (or after `last_done`) up to and including `today`.

    A missed morning is caught up: the report of every such day not yet delivered is due now.
    """
    start = next_office_day(last_done) if last_done and last_done >= first else next_office_day(first, inclusive=True)
    due: list[date] = []
    day = start
    while day <= today:
        due.append(day)
        day = next_office_day(day)
    return due


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(first: date, last: date) -> list[str]:
    """'YYYY-MM' of every month from `first`'s to `last`'s, inclusive."""
    months: list[str] = []
    if first > last:
        return months
    current = month_start(first)
    while current <= last:
        months.append(f"{current.year:04d}-{current.month:02d}")
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def monthly_report_due(month_end: date, today: date) -> bool:
    """A month's summary is due from the prefecture's first office day after the month ended."""
    return today >= next_office_day(month_end)
