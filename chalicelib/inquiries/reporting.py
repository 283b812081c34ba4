"""Reports to the prefecture: the daily inquiry report and the monthly summary (docs/SPEC.md §4.5, §4.7).

Both are idempotent sweeps. A delivery is claimed in the keys table in the same transaction as its
e-mail and audit entry, after its files are in S3 (same key on a re-run: the bucket keeps versions),
so a run that fails midway leaves nothing claimed and the next run completes it; a run that finds
it claimed does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.inquiries import mails, reports, rules
from chalicelib.inquiries.config import DAILY_PREFIX, MONTHLY_PREFIX, call_center_hours, categories
from chalicelib.inquiries.repository import InquiryPorts, commit_or_yield, ports, stamp
from chalicelib.kernel.calendars import is_call_center_day, month_range, to_jst
from chalicelib.mail.delivery import send_with_earlier
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger

DAILY_MAIL = "inquiry-daily-report#"
MONTHLY_MAIL = "inquiry-monthly-report#"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- daily report --------------------------------------------------------------------------------------


#: At most this many earlier days are corrected by one report (a transaction holds at most 100 writes);
#: the rest follow in the next report, and each report's running totals count only what it has stated.
MAX_CORRECTIONS = 60


def _months_before(p: InquiryPorts, first: date, service_start: date) -> dict[str, int]:
    """Per month, the inquiries received from the start of the service period to the day before `first`."""
    last = first - timedelta(days=1)
    per_month: dict[str, int] = {}
    if last >= service_start:
        for month in rules.months_between(service_start, last):
            lo, hi = month_range(month)
            per_month[month] = p.inquiries.count_between(month, max(lo, service_start), min(hi, last))
    return per_month


@dataclass(frozen=True)
class _Found:
    """What `_corrections` found: the corrections (with each day as it stands now), per month what the
    reports stated in all, and the edit marks seen (month → mark) to record as checked."""

    corrections: list[tuple[reports.DayLine, reports.DayLine]]
    stated: dict[str, int]
    checked: dict[str, str]


def _corrections(p: InquiryPorts, per_month: dict[str, int], first: date, hours: Any) -> _Found:
    """Every earlier day whose figures differ from what the reports stated for it: inquiries logged late
    for a day already reported (or for a day before the first report), or edited since (moved to another
    day, another category or caller type).

    A month is read day by day only when its count differs from the sum of what was stated for it or an
    inquiry of it was edited since the last check, so a report normally costs one small query per month."""
    found = _Found([], dict(per_month), {})
    for month, count in per_month.items():
        marks = p.marks.reported(month)
        stated = {day: f for day, f in marks.items() if len(day) == 10 and day < first.isoformat()}
        found.stated[month] = sum(int(f.get("total", 0)) for f in stated.values())
        edit = str((marks.get(f"{month}~edit") or {}).get("edit", ""))
        edited = edit != str((marks.get(f"{month}~checked") or {}).get("edit", ""))
        if count == found.stated[month] and not edited:
            continue
        if edited:
            found.checked[month] = edit
        by_day: dict[str, list[dict[str, Any]]] = {}
        for item in p.inquiries.month_items(month):
            if item["received_at"][:10] < first.isoformat():
                by_day.setdefault(item["received_at"][:10], []).append(item)
        for day in sorted(set(by_day) | set(stated)):
            d = date.fromisoformat(day)
            now = reports.count_day(d, by_day.get(day, []), is_call_center_day(d, hours))
            line = reports.correction_line(now, stated.get(day))
            if line is not None:
                found.corrections.append((line, now))
    return found


def build_daily_report(deps: Deps, p: InquiryPorts, delivery_day: date,
                       days: list[date]) -> tuple[reports.DailyReport, dict[str, str]]:
    """The report of `days`, led by the corrections of earlier days: the rows of every report delivered so
    far add up to its running totals (docs/SPEC.md §4.5). Also the months' edit marks it has taken in."""
    settings = deps.settings
    hours = call_center_hours(settings)
    lines = [reports.count_day(d, p.inquiries.day_items(d), is_call_center_day(d, hours)) for d in days]
    per_month = _months_before(p, days[0], settings.call_center.call_center_service_start)
    found = _corrections(p, per_month, days[0], hours)
    kept = found.corrections[:MAX_CORRECTIONS]
    stated = found.stated
    # The running totals start from what the reports have stated; the kept corrections bring them up to
    # date (the rest, if any, follow in the next report).
    stated.setdefault(days[0].isoformat()[:7], 0)
    return reports.DailyReport(
        delivery_day=delivery_day,
        lines=reports.with_running_totals([c for c, _ in kept] + lines, sum(stated.values()), stated),
        categories=categories(settings),
        forecast_month=settings.call_center.inquiry_forecast_monthly,
        forecast_total=settings.call_center.inquiry_forecast_total,
        open_items=tuple(reports.open_item_row(i) for i in p.inquiries.open_items()),
        restated=tuple(now for _, now in kept),
    ), ({} if len(found.corrections) > MAX_CORRECTIONS else found.checked)


def _deliver_daily(deps: Deps, p: InquiryPorts, delivery_day: date, days: list[date], now: datetime) -> Mail | None:
    report, checked = build_daily_report(deps, p, delivery_day, days)
    csv_bytes, xlsx_bytes = reports.daily_files(report, now)
    base = f"{DAILY_PREFIX}{delivery_day.isoformat()}"
    p.files.put(f"{base}.csv", csv_bytes, CSV)
    p.files.put(f"{base}.xlsx", xlsx_bytes, XLSX)
    files = [f"s3://{p.files.bucket}/{base}.csv", f"s3://{p.files.bucket}/{base}.xlsx"]
    subject, body = mails.daily_report(report, files)
    mail = Mail(f"{DAILY_MAIL}{delivery_day.isoformat()}", deps.settings.mail.prefecture_mailbox, subject, body,
                "inquiry-daily-report")
    corrected = [line.day.isoformat() for line in report.corrections]
    tx = p.inquiries.new_tx()  # the marks, what was stated per day, the mails and the audit entry: all or none
    p.marks.claim_in(tx, "daily", delivery_day.isoformat(), {
        "days": [d.isoformat() for d in days], "total": report.total, "files": [f"{base}.csv", f"{base}.xlsx"],
        "corrected": corrected, "at": stamp(now)})
    for line in (*report.days, *report.restated):
        p.marks.put_reported_in(tx, line.day.isoformat(), {**reports.stated_figures(line),
                                                           "report": delivery_day.isoformat()})
    for month, edit in checked.items():
        p.marks.put_reported_in(tx, f"{month}~checked", {"edit": edit, "report": delivery_day.isoformat()})
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(SYSTEM, "inquiry.daily_report", f"inquiry-report#daily#{delivery_day}", now,
                                detail={"days": [d.isoformat() for d in days], "total": report.total,
                                        "corrected": corrected, "files": [f"{base}.csv", f"{base}.xlsx"]}))
    if not commit_or_yield(tx):
        return None  # a concurrent run delivered it, or is racing us: the next run checks again
    logger.info("daily inquiry report delivered", extra={"delivery_day": delivery_day.isoformat(),
                                                        "days": len(days), "total": report.total,
                                                        "corrected": len(corrected)})
    return mail


def daily_report_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """Deliver every daily report that is due and not yet delivered (a missed morning is caught up).

    Reports begin with the first day an inquiry was logged for; from then on every prefecture office
    day gets one, covering the days since the previous office day (docs/SPEC.md §4.5), zeros included.
    """
    settings = deps.settings
    p = ports(deps)
    today = to_jst(now).date()
    first_day = p.marks.day("from")
    if first_day is None:
        return {"delivered": [], "files": [], **send_with_earlier(deps, DAILY_MAIL, [], now)}
    delivered: list[str] = []
    mail_ids: list[str] = []
    for delivery_day in rules.delivery_days_due(rules.first_delivery_day(first_day), p.marks.day("last"), today):
        days = rules.days_in_report(delivery_day, settings.call_center.call_center_service_start,
                                    settings.call_center.call_center_service_end)
        if days and not p.marks.delivered("daily", delivery_day.isoformat()):
            mail = _deliver_daily(deps, p, delivery_day, days, now)
            if not mail:
                break  # lost a race: the watermark stays, so the next run looks at this day again
            delivered.append(delivery_day.isoformat())
            mail_ids.append(mail.mail_id)
        p.marks.advance_last(delivery_day)
    files = [f"{DAILY_PREFIX}{d}.{ext}" for d in delivered for ext in ("csv", "xlsx")]
    return {"delivered": delivered, "files": files, **send_with_earlier(deps, DAILY_MAIL, mail_ids, now)}


# --- monthly summary -----------------------------------------------------------------------------------


def monthly_summary(deps: Deps, month: str) -> reports.MonthlySummary:
    first, last = month_range(month)
    items = ports(deps).inquiries.month_items(month)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return reports.summarize_month(month, items, categories(deps.settings), deps.settings.call_center.inquiry_forecast_monthly,
                                   days)


def monthly_file(deps: Deps, principal: Principal, month: str, fmt: str, now: datetime) -> bytes:
    """The month's summary as CSV or XLSX for download; the export is audited."""
    csv_bytes, xlsx_bytes = reports.monthly_files(monthly_summary(deps, month), now)
    deps.audit.append(entry(Actor.of(principal), "inquiry.monthly_export", f"inquiry-report#monthly#{month}", now,
                            detail={"format": fmt}))
    return csv_bytes if fmt == "csv" else xlsx_bytes


def _deliver_monthly(deps: Deps, p: InquiryPorts, month: str, now: datetime) -> list[Mail]:
    summary = monthly_summary(deps, month)
    csv_bytes, xlsx_bytes = reports.monthly_files(summary, now)
    base = f"{MONTHLY_PREFIX}{month}"
    p.files.put(f"{base}.csv", csv_bytes, CSV)
    p.files.put(f"{base}.xlsx", xlsx_bytes, XLSX)
    subject, body = mails.monthly_summary(summary, [f"s3://{p.files.bucket}/{base}.csv",
                                                    f"s3://{p.files.bucket}/{base}.xlsx"])
    # The operator writes its monthly report to the prefecture from the same figures.
    sent = [Mail(f"{MONTHLY_MAIL}{month}#prefecture", deps.settings.mail.prefecture_mailbox, subject, body,
                 "inquiry-monthly-report"),
            Mail(f"{MONTHLY_MAIL}{month}#staff", deps.settings.mail.staff_mailbox, subject, body, "inquiry-monthly-report")]
    tx = p.inquiries.new_tx()
    p.marks.claim_in(tx, "monthly", month, {"total": summary.total, "files": [f"{base}.csv", f"{base}.xlsx"],
                                            "at": stamp(now)})
    for mail in sent:
        deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(SYSTEM, "inquiry.monthly_report", f"inquiry-report#monthly#{month}", now,
                                detail={"total": summary.total, "files": [f"{base}.csv", f"{base}.xlsx"]}))
    if not commit_or_yield(tx):
        return []
    logger.info("monthly inquiry summary delivered", extra={"month": month, "total": summary.total})
    return sent


def monthly_report_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """Deliver each finished month's summary once, from the prefecture's first office day after it."""
    settings = deps.settings
    p = ports(deps)
    today = to_jst(now).date()
    first_day = p.marks.day("from")
    delivered: list[str] = []
    mail_ids: list[str] = []
    if first_day is not None:
        start = max(first_day, settings.call_center.call_center_service_start)
        for month in rules.months_between(start, min(today, settings.call_center.call_center_service_end)):
            if not rules.monthly_report_due(month_range(month)[1], today):
                continue
            if p.marks.delivered("monthly", month):
                continue
            sent = _deliver_monthly(deps, p, month, now)
            if sent:
                delivered.append(month)
                mail_ids += [m.mail_id for m in sent]
    files = [f"{MONTHLY_PREFIX}{m}.{ext}" for m in delivered for ext in ("csv", "xlsx")]
    return {"delivered": delivered, "files": files, **send_with_earlier(deps, MONTHLY_MAIL, mail_ids, now)}
