"""Call-center rules: status changes, when an escalation notice goes out, which days a report covers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib.errors import Conflict
from chalicelib.inquiries import rules
from chalicelib.inquiries.config import DEFAULT_CATEGORIES, parse_categories
from chalicelib.inquiries.rules import Action
from chalicelib.kernel.calendars import JST, CallCenterHours, OfficeHours

SERVICE = (date(2025, 4, 1), date(2026, 3, 25))
HOURS = CallCenterHours(service_start=SERVICE[0], service_end=SERVICE[1])


def d(s: str) -> date:
    return date.fromisoformat(s)


def jst(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=JST)


# --- status changes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status,action,expected", [
    ("pending", Action.ESCALATE, "escalated"),
    ("pending", Action.CLOSE, "resolved"),
    ("resolved", Action.REOPEN, "pending"),
])
def test_allowed_changes(status, action, expected):
    assert rules.next_status({"status": status}, action) == expected


@pytest.mark.parametrize("status,action", [
    ("escalated", Action.ESCALATE), ("resolved", Action.ESCALATE), ("resolved", Action.CLOSE),
    ("pending", Action.REOPEN), ("escalated", Action.REOPEN),
])
def test_refused_changes_say_why_in_japanese(status, action):
    with pytest.raises(Conflict) as exc:
        rules.next_status({"status": status}, action)
    assert "問い合わせ" in exc.value.message or "県" in exc.value.message


def test_an_escalation_closes_only_after_the_prefecture_answered():
    with pytest.raises(Conflict, match="県の回答"):
        rules.next_status({"status": "escalated", "escalation": {"at": "x"}}, Action.CLOSE)
    answered = {"status": "escalated", "escalation": {"at": "x"}, "prefecture_answer": {"answer": "可"}}
    assert rules.next_status(answered, Action.CLOSE) == "resolved"


def test_a_once_escalated_inquiry_is_not_reopened():
    with pytest.raises(Conflict):
        rules.next_status({"status": "resolved", "escalation": {"at": "x"}}, Action.REOPEN)


# --- escalation notices: at once in office hours, else at the next opening --------------------------------


@pytest.mark.parametrize("now,immediate,due", [
    ("2025-06-09T10:00", True, "2025-06-09T10:00"),  # Monday morning
    ("2025-06-09T09:00", True, "2025-06-09T09:00"),  # the opening itself
    ("2025-06-09T08:59", False, "2025-06-09T09:00"),  # before the opening: same day 09:00
    ("2025-06-09T17:00", False, "2025-06-10T09:00"),  # the closing: next day
    ("2025-06-06T17:30", False, "2025-06-09T09:00"),  # Friday evening → Monday
    ("2025-06-07T18:40", False, "2025-06-09T09:00"),  # Saturday evening → Monday
    ("2025-06-08T11:00", False, "2025-06-09T09:00"),  # Sunday (the call center is open, the prefecture not)
    ("2025-07-21T10:00", False, "2025-07-22T09:00"),  # 海の日
    ("2025-05-03T10:00", False, "2025-05-07T09:00"),  # Golden Week incl. 振替休日 05-06
    ("2025-11-24T10:00", False, "2025-11-25T09:00"),  # 振替休日
    ("2025-12-26T18:00", False, "2026-01-05T09:00"),  # last office day of the year, after hours
    ("2025-12-29T10:00", False, "2026-01-05T09:00"),  # year-end closure
])
def test_notice_time(now, immediate, due):
    assert rules.notice_time(jst(now), OfficeHours()) == (immediate, jst(due))


def test_notice_time_follows_configured_hours_and_converts_utc():
    assert rules.notice_time(jst("2025-06-09T08:45"), OfficeHours(start=jst("2025-06-09T08:30").time())) == (
        True, jst("2025-06-09T08:45"))
    utc = datetime.fromisoformat("2025-06-09T00:00:00+00:00")  # 09:00 JST
    assert rules.notice_time(utc, OfficeHours()) == (True, jst("2025-06-09T09:00"))


# --- outside the call center's hours: accepted and flagged ------------------------------------------------


@pytest.mark.parametrize("at,outside", [
    ("2025-06-07T10:00", False),  # Saturday: open
    ("2025-06-08T17:29", False),  # Sunday, last minute
    ("2025-06-08T17:30", True),  # closed
    ("2025-06-09T08:59", True),
    ("2025-07-21T10:00", True),  # national holiday
    ("2025-12-29T10:00", True),  # year-end
    ("2026-01-03T10:00", True),
    ("2026-01-04T10:00", False),  # Sunday after the closure: open
    ("2025-03-31T10:00", True),  # before the service period
    ("2026-03-26T10:00", True),  # after it
])
def test_outside_hours(at, outside):
    assert rules.outside_hours(jst(at), HOURS) is outside


# --- which days a report covers ------------------------------------------------------------------------


@pytest.mark.parametrize("delivery,days", [
    ("2025-06-10", ["2025-06-09"]),  # Tuesday: Monday
    ("2025-06-09", ["2025-06-06", "2025-06-07", "2025-06-08"]),  # Monday: Friday–Sunday
    ("2025-07-22", ["2025-07-18", "2025-07-19", "2025-07-20", "2025-07-21"]),  # after 海の日
    ("2026-01-05", [f"2025-12-{n}" for n in range(26, 32)] + [f"2026-01-0{n}" for n in range(1, 5)]),
    ("2025-04-02", ["2025-04-01"]),  # the first day of the service
    ("2025-04-01", []),  # the day before the service is not reported
    ("2026-03-26", ["2026-03-25"]),  # the last day of the service
    ("2026-03-27", []),  # after it: nothing
    ("2025-06-07", []),  # Saturday: no delivery
])
def test_days_in_report(delivery, days):
    assert rules.days_in_report(d(delivery), *SERVICE) == [d(x) for x in days]


@pytest.mark.parametrize("first,last_done,today,due", [
    ("2025-06-09", None, "2025-06-08", []),  # not yet
    ("2025-06-09", None, "2025-06-09", ["2025-06-09"]),
    ("2025-06-09", "2025-06-09", "2025-06-09", []),  # done today
    ("2025-06-09", "2025-06-09", "2025-06-12", ["2025-06-10", "2025-06-11", "2025-06-12"]),  # missed mornings
    ("2025-06-09", "2025-06-13", "2025-06-15", []),  # weekend: nothing due
    ("2025-12-26", "2025-12-26", "2026-01-05", ["2026-01-05"]),  # the closure is one delivery
    ("2025-06-09", "2025-06-01", "2025-06-09", ["2025-06-09"]),  # a watermark before the first day is ignored
])
def test_delivery_days_due(first, last_done, today, due):
    assert rules.delivery_days_due(d(first), d(last_done) if last_done else None, d(today)) == [d(x) for x in due]


def test_months_between_and_monthly_due():
    assert rules.months_between(d("2025-11-15"), d("2026-02-01")) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert rules.months_between(d("2025-06-30"), d("2025-06-01")) == []
    assert not rules.monthly_report_due(d("2025-05-31"), d("2025-06-01"))  # Sunday
    assert rules.monthly_report_due(d("2025-05-31"), d("2025-06-02"))  # Monday, first office day
    assert not rules.monthly_report_due(d("2025-12-31"), d("2026-01-04"))
    assert rules.monthly_report_due(d("2025-12-31"), d("2026-01-05"))


# --- categories are configuration ----------------------------------------------------------------------


def test_default_categories_have_unique_codes_and_japanese_labels():
    codes = [c.code for c in DEFAULT_CATEGORIES]
    assert len(codes) == len(set(codes)) and "other" in codes
    assert all(c.label for c in DEFAULT_CATEGORIES)


def test_parse_categories():
    assert [c.code for c in parse_categories('[{"code": "a1", "label": "一般"}, {"code": "b", "label": "他"}]')] == [
        "a1", "b"]


@pytest.mark.parametrize("raw", [
    "not json", "[]", "{}", '[{"code": "A", "label": "x"}]', '[{"code": "a", "label": " "}]',
    '[{"code": "a", "label": "x"}, {"code": "a", "label": "y"}]', '[{"code": "a"}]',
])
def test_bad_category_configuration_fails_loudly(raw):
    with pytest.raises(ValueError, match="INQUIRY_CATEGORIES"):
        parse_categories(raw)


# --- hours, service period and forecast come from the settings ----------------------------------------


def _settings(**extra: str):
    from chalicelib.adapters.resources import environment_for
    from chalicelib.settings import load_settings

    env = environment_for("test") | {
        "STAGE": "test", "MAIL_FROM": "noreply@example.jp", "STAFF_MAILBOX": "staff@example.jp",
        "PREFECTURE_MAILBOX": "prefecture@example.jp", "PUBLIC_BASE_URL": "https://example.jp",
        "APP_SECRET": "s", "JWKS_SOURCE": "/dev/null", "JWT_ISSUER": "test", **extra}
    return load_settings(env)


def test_call_center_configuration_defaults_to_the_program_year():
    from chalicelib.inquiries.config import call_center_hours, categories, office_hours

    settings = _settings()
    assert call_center_hours(settings) == HOURS
    assert office_hours(settings) == OfficeHours()
    assert (settings.call_center.inquiry_forecast_monthly, settings.call_center.inquiry_forecast_total) == (1000, 12000)
    assert categories(settings) == DEFAULT_CATEGORIES


def test_next_years_dates_and_categories_are_configuration():
    from chalicelib.inquiries.config import call_center_hours, categories

    settings = _settings(CALL_CENTER_SERVICE_START="2026-04-01", CALL_CENTER_SERVICE_END="2027-03-25",
                         CALL_CENTER_CLOSE="18:00", INQUIRY_FORECAST_MONTHLY="800",
                         INQUIRY_CATEGORIES='[{"code": "general", "label": "一般"}]')
    hours = call_center_hours(settings)
    assert (hours.service_start, hours.service_end) == (date(2026, 4, 1), date(2027, 3, 25))
    assert rules.outside_hours(jst("2026-06-06T17:45"), hours) is False
    assert settings.call_center.inquiry_forecast_monthly == 800
    assert [c.code for c in categories(settings)] == ["general"]
