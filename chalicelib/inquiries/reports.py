"""The daily inquiry report and the monthly summary: pure functions from inquiries to figures to bytes.

Files carry counts only (never a caller's name, phone or the free-text summary). CSV is UTF-8 with
a BOM and CRLF so Excel opens it with the Japanese intact; the XLSX beside it holds the same table
(plus the list of open items). Every total reconciles with its lines (docs/SPEC.md §5.2).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.inquiries.config import CALLER_TYPES, CHANNELS, OPEN_STATUSES, STATUSES, Category
from chalicelib.kernel.sheets import Cell, Percent, Sheet, to_csv, to_xlsx

WEEKDAYS = "月火水木金土日"
Rows = list[list[Cell]]


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, one decimal, half up; None when there is nothing to compare with."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _share(value: Decimal | None) -> Percent | None:
    """A percentage for the files: the same number, shown as `60.0%` in XLSX."""
    return None if value is None else Percent(value)


def _when(value: Any) -> datetime | str | None:
    """A stored timestamp (ISO 8601 with its offset) as a datetime for the files; anything else as it is."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)


def average(values: Sequence[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def _columns(categories: Sequence[Category], seen: Iterable[str]) -> list[Category]:
    """The configured categories, then any code found in the data that is no longer configured."""
    known = {c.code for c in categories}
    extra = sorted(set(seen) - known)
    return list(categories) + [Category(code, code) for code in extra]


# --- daily report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayLine:
    day: date
    #: the call center was open that day (weekends yes; holidays and 29 Dec – 3 Jan no)
    open_day: bool
    total: int
    outside_hours: int
    escalated: int
    open_items: int
    by_category: dict[str, int]
    by_caller: dict[str, int]
    month_to_date: int = 0
    year_to_date: int = 0
    #: a correction of a day an earlier report already stated (inquiries logged late for it, or moved to or
    #: from it): the counts are the changes since then, and `reported_total` what was stated before
    correction: bool = False
    reported_total: int = 0


@dataclass(frozen=True)
class DailyReport:
    delivery_day: date
    lines: tuple[DayLine, ...]
    categories: tuple[Category, ...]
    forecast_month: int
    forecast_total: int
    #: every inquiry still open when the report was built (any day): ids and codes only
    open_items: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    #: the corrected days as they stand now (what this report states for them from now on)
    restated: tuple[DayLine, ...] = field(default_factory=tuple)

    @property
    def days(self) -> tuple[DayLine, ...]:
        """The lines of the days this report covers (without the corrections of earlier days)."""
        return tuple(line for line in self.lines if not line.correction)

    @property
    def corrections(self) -> tuple[DayLine, ...]:
        return tuple(line for line in self.lines if line.correction)

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.days[-1].day

    @property
    def total(self) -> int:
        """The 合計 row's count: the covered days' inquiries plus the corrections' changes."""
        return sum(line.total for line in self.lines)

    def columns(self) -> list[Category]:
        return _columns(self.categories, (c for line in self.lines for c in line.by_category))


def count_day(day: date, items: Sequence[dict[str, Any]], open_day: bool) -> DayLine:
    """One day's counts from the inquiries received that day (running totals are added later)."""
    return DayLine(
        day=day,
        open_day=open_day,
        total=len(items),
        outside_hours=sum(1 for i in items if i.get("outside_hours")),
        escalated=sum(1 for i in items if i.get("escalation")),
        open_items=sum(1 for i in items if i["status"] in OPEN_STATUSES),
        by_category=dict(Counter(i["category"] for i in items)),
        by_caller=dict(Counter(i["caller_type"] for i in items)),
    )


def stated_figures(line: DayLine) -> dict[str, Any]:
    """What a report states for a day (kept to find later changes): the counts that do not change with time.
    Open items and escalations do change as inquiries are worked on; they are reported as of each report."""
    return {"total": line.total, "outside_hours": line.outside_hours, "by_category": dict(line.by_category),
            "by_caller": dict(line.by_caller)}


def _delta(now: dict[str, int], before: dict[str, Any]) -> dict[str, int]:
    keys = sorted(set(now) | set(before))
    return {k: now.get(k, 0) - int(before.get(k, 0)) for k in keys if now.get(k, 0) != int(before.get(k, 0))}


def correction_line(line: DayLine, stated: dict[str, Any] | None) -> DayLine | None:
    """The change of a day since a report stated `stated` for it (None: never stated, i.e. zero), or None
    when nothing changed."""
    stated = stated or {}
    by_category = _delta(line.by_category, stated.get("by_category") or {})
    by_caller = _delta(line.by_caller, stated.get("by_caller") or {})
    total = line.total - int(stated.get("total", 0))
    outside = line.outside_hours - int(stated.get("outside_hours", 0))
    if not (total or outside or by_category or by_caller):
        return None
    return DayLine(day=line.day, open_day=line.open_day, total=total, outside_hours=outside, escalated=0,
                   open_items=0, by_category=by_category, by_caller=by_caller, correction=True,
                   reported_total=int(stated.get("total", 0)))


def with_running_totals(lines: Sequence[DayLine], year_before: int,
                        month_before: dict[str, int]) -> tuple[DayLine, ...]:
    """Month-to-date and year-to-date after each day.

    `year_before`: inquiries from the start of the service period up to the day before the first line;
    `month_before`: per 'YYYY-MM', that month's inquiries before the first line. Corrections of earlier days
    come first (by day), so each row's totals are the previous row's plus its count.
    """
    year = year_before
    months = dict(month_before)
    out: list[DayLine] = []
    for line in sorted(lines, key=lambda x: (not x.correction, x.day)):
        month = line.day.isoformat()[:7]
        year += line.total
        months[month] = months.get(month, 0) + line.total
        out.append(replace(line, month_to_date=months[month], year_to_date=year))
    return tuple(out)


def open_item_row(item: dict[str, Any]) -> dict[str, Any]:
    escalation = item.get("escalation") or {}
    return {
        "inquiry_id": item["inquiry_id"], "received_at": item["received_at"], "category": item["category"],
        "caller_type": item["caller_type"], "status": item["status"], "escalated_at": escalation.get("at"),
        "prefecture_answered": bool(item.get("prefecture_answer")),
    }


def daily_rows(report: DailyReport) -> Rows:
    columns = report.columns()
    header: list[Cell] = ["日付", "曜日", "コールセンター", "受付件数", "うち受付時間外", "県へのエスカレーション", "未完了"]
    header += [f"分類:{c.label}" for c in columns]
    header += [f"問合せ者:{label}" for label in CALLER_TYPES.values()]
    header += ["月累計", "月間見込み", "月間見込みに対する割合(%)", "年度累計", "年間見込み", "年間見込みに対する割合(%)"]

    def counts(line: DayLine) -> list[Cell]:
        cells: list[Cell] = [line.total, line.outside_hours, line.escalated, line.open_items]
        cells += [line.by_category.get(c.code, 0) for c in columns]
        cells += [line.by_caller.get(code, 0) for code in CALLER_TYPES]
        return cells

    def running(line: DayLine) -> list[Cell]:
        return [line.month_to_date, report.forecast_month, _share(percent(line.month_to_date, report.forecast_month)),
                line.year_to_date, report.forecast_total, _share(percent(line.year_to_date, report.forecast_total))]

    rows: Rows = [header]
    for line in report.lines:
        state = "訂正（前回報告分からの増減）" if line.correction else "営業" if line.open_day else "休業"
        rows.append([line.day, weekday(line.day), state, *counts(line), *running(line)])
    sums = [sum(values) for values in zip(*(counts(line) for line in report.lines), strict=True)]
    # The total row: the period's sums, and the running totals as of its last day.
    rows.append(["合計", "", "", *sums, *running(report.lines[-1])])
    return rows


def open_item_rows(report: DailyReport) -> Rows:
    labels = {c.code: c.label for c in report.columns()}
    rows: Rows = [["問合せ番号", "受付日時", "分類", "問合せ者", "状態", "エスカレーション日時", "県の回答"]]
    for item in report.open_items:
        rows.append([item["inquiry_id"], _when(item["received_at"]), labels.get(item["category"], item["category"]),
                     CALLER_TYPES.get(item["caller_type"], item["caller_type"]),
                     STATUSES.get(item["status"], item["status"]), _when(item.get("escalated_at")),
                     ("回答済み" if item["prefecture_answered"] else "回答待ち") if item.get("escalated_at") else ""])
    return rows


# --- monthly summary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlySummary:
    month: str
    total: int
    by_category: tuple[tuple[str, str, int], ...]
    by_channel: tuple[tuple[str, str, int], ...]
    by_caller: tuple[tuple[str, str, int], ...]
    escalated: int
    outside_hours: int
    open_items: int
    timed: int
    average_minutes: Decimal | None
    forecast: int
    per_day: tuple[tuple[date, int], ...]

    @property
    def escalation_rate(self) -> Decimal | None:
        return percent(self.escalated, self.total)

    def as_dict(self) -> dict[str, Any]:
        def breakdown(rows: tuple[tuple[str, str, int], ...]) -> list[dict[str, Any]]:
            return [{"code": c, "label": label, "count": n, "percent": _num(percent(n, self.total))}
                    for c, label, n in rows]

        return {
            "month": self.month, "total": self.total, "forecast": self.forecast,
            "forecast_percent": _num(percent(self.total, self.forecast)),
            "by_category": breakdown(self.by_category), "by_channel": breakdown(self.by_channel),
            "by_caller_type": breakdown(self.by_caller),
            "escalated": self.escalated, "escalation_rate_percent": _num(self.escalation_rate),
            "outside_hours": self.outside_hours, "open_items": self.open_items,
            "average_handling_minutes": _num(self.average_minutes), "timed_inquiries": self.timed,
            "per_day": [{"date": d.isoformat(), "count": n} for d, n in self.per_day],
        }


def _num(value: Decimal | None) -> float | None:
    # JSON answers carry the one-decimal figure as a number; files keep the Decimal.
    return float(value) if value is not None else None


def summarize_month(month: str, items: Sequence[dict[str, Any]], categories: Sequence[Category],
                    forecast: int, days: Sequence[date]) -> MonthlySummary:
    by_category = Counter(i["category"] for i in items)
    by_channel = Counter(i["channel"] for i in items)
    by_caller = Counter(i["caller_type"] for i in items)
    per_day = Counter(i["received_at"][:10] for i in items)
    minutes = [int(i["handling_minutes"]) for i in items if i.get("handling_minutes") is not None]
    return MonthlySummary(
        month=month,
        total=len(items),
        by_category=tuple((c.code, c.label, by_category.get(c.code, 0)) for c in _columns(categories, by_category)),
        by_channel=tuple((code, label, by_channel.get(code, 0)) for code, label in CHANNELS.items()),
        by_caller=tuple((code, label, by_caller.get(code, 0)) for code, label in CALLER_TYPES.items()),
        escalated=sum(1 for i in items if i.get("escalation")),
        outside_hours=sum(1 for i in items if i.get("outside_hours")),
        open_items=sum(1 for i in items if i["status"] in OPEN_STATUSES),
        timed=len(minutes),
        average_minutes=average(minutes),
        forecast=forecast,
        per_day=tuple((d, per_day.get(d.isoformat(), 0)) for d in days),
    )


def monthly_rows(summary: MonthlySummary) -> Rows:
    rows: Rows = [["区分", "項目", "値", "割合(%)"],
                  ["合計", "受付件数", summary.total, _share(percent(summary.total, summary.total))]]
    for section, breakdown in (("分類", summary.by_category), ("受付方法", summary.by_channel),
                               ("問合せ者", summary.by_caller)):
        rows += [[section, label, n, _share(percent(n, summary.total))] for _, label, n in breakdown]
    rows += [
        ["エスカレーション", "県へのエスカレーション件数", summary.escalated, _share(summary.escalation_rate)],
        ["受付時間外", "受付時間外の件数", summary.outside_hours, _share(percent(summary.outside_hours, summary.total))],
        ["未完了", "集計時点で未完了の件数", summary.open_items, _share(percent(summary.open_items, summary.total))],
        ["対応時間", "平均対応時間（分）", summary.average_minutes, None],
        ["対応時間", "対応時間の記録がある件数", summary.timed, _share(percent(summary.timed, summary.total))],
        ["見込み", "月間見込み件数", summary.forecast, _share(percent(summary.total, summary.forecast))],
    ]
    return rows


def per_day_rows(summary: MonthlySummary) -> Rows:
    rows: Rows = [["日付", "曜日", "受付件数"]]
    rows += [[d, weekday(d), n] for d, n in summary.per_day]
    rows.append(["合計", "", sum(n for _, n in summary.per_day)])
    return rows


# --- bytes ---------------------------------------------------------------------------------------------
# CSV (UTF-8 with BOM) and XLSX are written by the shared helpers of chalicelib/kernel/sheets.py.


# In XLSX the total rows are values checked against their lines (sum_columns), not formulas.


def daily_files(report: DailyReport, generated_at: datetime) -> tuple[bytes, bytes]:
    rows = daily_rows(report)
    # 受付件数 … the last 問合せ者 column are the period's sums; the running totals after them are not.
    counted = range(3, len(rows[0]) - 6)
    return to_csv(rows), to_xlsx([Sheet("日次報告", rows, sum_columns=counted),
                                  ("未完了一覧", open_item_rows(report))], generated_at)


def monthly_files(summary: MonthlySummary, generated_at: datetime) -> tuple[bytes, bytes]:
    rows = monthly_rows(summary)
    return to_csv(rows), to_xlsx([("月次集計", rows), Sheet("日別件数", per_day_rows(summary), sum_columns=(2,))],
                                 generated_at)
