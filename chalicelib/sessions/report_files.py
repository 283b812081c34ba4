"""The monthly session report as files for the prefecture: CSV (UTF-8 BOM) and XLSX with native charts.

The CSV is one table, a line per session and a total line (the totals are the sums of the lines),
with every distribution as columns. The XLSX holds the same figures a section per sheet (概要, 会場別,
地域別, 年代, 満足度, 来場目的, できたこと, ご要望, 改善提案), bar charts Excel draws itself, numbers as
numbers, dates as dates. Both are written by the shared helpers of chalicelib/kernel/sheets.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.kernel.calendars import to_jst
from chalicelib.kernel.sheets import Cell, Month, Percent, add_sheet, new_workbook, to_csv, workbook_bytes
from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, SATISFACTION_LEVELS, STATUS_LABELS
from chalicelib.sessions.reports import WEEKDAYS, Figures, SessionLine, SessionReport, percent

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

Rows = list[list[Cell]]


def _share(part: int, whole: int) -> Percent | None:
    """A percentage for the files: the same number, shown as `60.0%` in XLSX."""
    value = percent(part, whole)
    return None if value is None else Percent(value)


def _labels(codes: dict[str, int], labels: dict[str, str]) -> list[str]:
    return [labels.get(code, code) for code in codes]


def _distribution(f: Figures) -> list[Cell]:
    return [*f.by_age_band.values(), *f.satisfaction.values(), *f.purposes.values(), *f.could_do.values()]


def session_rows(report: SessionReport) -> Rows:
    """会場別: a line per session of the month and the total line."""
    f = report.figures
    header: list[Cell] = ["相談会番号", "開催日", "曜日", "開始", "終了", "地域", "市区町村", "会場", "状態", "定員",
                          "参加者数", "マニュアル配布数", "アンケート回答数", "満足度（平均）"]
    header += [f"年代:{label}" for label in _labels(f.by_age_band, AGE_BANDS)]
    header += [f"満足度:{level}" for level in f.satisfaction]
    header += [f"来場目的:{label}" for label in _labels(f.purposes, PURPOSES)]
    header += [f"できたこと:{label}" for label in _labels(f.could_do, COULD_DO)]
    rows: Rows = [header]
    for line in report.lines:
        s = line.session
        start, end = to_jst(s.starts_at), to_jst(s.ends_at)
        rows.append([
            s.session_id, line.day, WEEKDAYS[line.day.weekday()], start.time().replace(tzinfo=None),
            end.time().replace(tzinfo=None), line.area.region, line.area.name, s.venue,
            STATUS_LABELS.get(s.status, s.status), s.capacity,
            line.attendees, line.manuals, line.figures.surveys, line.figures.satisfaction_average,
            *_line_distribution(line, f),
        ])
    rows.append(["合計", None, "", None, None, "", "", "", f"開催 {report.sessions_held}件", None,
                 report.attendees, report.manuals, f.surveys, f.satisfaction_average, *_distribution(f)])
    return rows


def _line_distribution(line: SessionLine, total: Figures) -> list[Cell]:
    # A line has the month's columns (a code only some session's answers hold still gets its 0).
    g = line.figures
    cells: list[Cell] = [g.by_age_band.get(c, 0) for c in total.by_age_band]
    cells += [g.satisfaction.get(c, 0) for c in total.satisfaction]
    cells += [g.purposes.get(c, 0) for c in total.purposes]
    cells += [g.could_do.get(c, 0) for c in total.could_do]
    return cells


def summary_rows(report: SessionReport, generated_at: datetime) -> Rows:
    f = report.figures
    return [
        ["項目", "値"],
        ["対象月", Month.of(report.month)],  # a date (the 1st) shown 2025年6月, as in every monthly file
        ["相談会の数（中止を含む）", len(report.lines)],
        ["開催済み", report.sessions_held],
        ["出席未記録（予定のまま）", report.sessions_scheduled],
        ["中止", report.sessions_cancelled],
        ["参加者数", report.attendees],
        ["マニュアル配布数", report.manuals],
        ["アンケート回答数", f.surveys],
        ["回答率（%）", _share(f.surveys, report.attendees)],
        ["満足度（平均、5段階）", f.satisfaction_average],
        ["ご要望（自由記述）の件数", len(report.needs)],
        ["作成日時", to_jst(generated_at).replace(tzinfo=None)],
    ]


def region_rows(report: SessionReport) -> Rows:
    rows: Rows = [["地域", "開催地域数", "相談会の数", "開催済み", "参加者数", "マニュアル配布数", "アンケート回答数",
                   "満足度（平均）"]]
    for r in report.regions:
        rows.append([r.region, r.areas, r.sessions, r.sessions_held, r.attendees, r.manuals, r.figures.surveys,
                     r.figures.satisfaction_average])
    rows.append(["合計", sum(r.areas for r in report.regions), len(report.lines), report.sessions_held,
                 report.attendees, report.manuals, report.figures.surveys, report.figures.satisfaction_average])
    return rows


def _count_rows(title: str, counts: dict[str, int], labels: dict[str, str], whole: int) -> Rows:
    rows: Rows = [[title, "件数", "割合（%）"]]
    rows += [[labels.get(code, code), n, _share(n, whole)] for code, n in counts.items()]
    return rows


def age_rows(report: SessionReport) -> Rows:
    f = report.figures
    return [*_count_rows("年代", f.by_age_band, AGE_BANDS, f.surveys), ["合計", f.surveys, _share(f.surveys, f.surveys)]]


def satisfaction_rows(report: SessionReport) -> Rows:
    f = report.figures
    labels = {str(n): f"{n}" for n in SATISFACTION_LEVELS}
    labels.update({"1": "1（不満）", "5": "5（満足）"})
    return [*_count_rows("満足度", f.satisfaction, labels, f.surveys),
            ["合計", f.surveys, _share(f.surveys, f.surveys)], ["平均", f.satisfaction_average, None]]


def purpose_rows(report: SessionReport) -> Rows:
    # Several answers per form: shares are of the forms, so they may add up to more than 100%.
    return _count_rows("来場目的（複数回答）", report.figures.purposes, PURPOSES, report.figures.surveys)


def could_do_rows(report: SessionReport) -> Rows:
    return _count_rows("できたこと（複数回答）", report.figures.could_do, COULD_DO, report.figures.surveys)


def needs_rows(report: SessionReport) -> Rows:
    rows: Rows = [["開催日", "相談会番号", "市区町村", "ご要望（自由記述・連絡先はマスク済み）"]]
    rows += [[n.day, n.session_id, n.area_name, n.text] for n in report.needs]
    return rows


def proposal_rows(report: SessionReport) -> Rows:
    rows: Rows = [["改善提案"]]
    text = report.proposals.strip()
    rows += [[line] for line in text.splitlines()] if text else [["（未記入）"]]
    return rows


def _bar_chart(sheet: Worksheet, title: str, n: int, anchor: str, *, horizontal: bool = False,
               column: int = 2) -> None:
    """A bar chart of `column` (counts; its header names the series) by column A (labels), rows 2..n+1."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.y_axis.title = "件数"
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=n + 1))
    chart.width, chart.height = 18, 9
    sheet.add_chart(chart, anchor)


def csv_file(report: SessionReport) -> bytes:
    return to_csv(session_rows(report))


def xlsx_file(report: SessionReport, generated_at: datetime) -> bytes:
    f = report.figures
    workbook = new_workbook(generated_at)
    add_sheet(workbook, "概要", summary_rows(report, generated_at))
    # Total rows are values checked against their lines by the writer (参加者数 onwards; 満足度 is an average).
    sessions = session_rows(report)
    add_sheet(workbook, "会場別", sessions, sum_columns=(10, 11, 12, *range(14, len(sessions[0]))))
    regions = add_sheet(workbook, "地域別", region_rows(report), sum_columns=range(1, 7))
    _bar_chart(regions, "地域別の参加者数", len(report.regions), "J2", column=5)
    charts: Sequence[tuple[str, Rows, str, int, bool]] = (
        ("年代", age_rows(report), "年代別の回答数", len(f.by_age_band), False),
        ("満足度", satisfaction_rows(report), "満足度（5段階）", len(f.satisfaction), False),
        ("来場目的", purpose_rows(report), "来場目的（複数回答）", len(f.purposes), True),
        ("できたこと", could_do_rows(report), "相談会でできたこと（複数回答）", len(f.could_do), True),
    )
    for title, rows, chart_title, n, horizontal in charts:
        _bar_chart(add_sheet(workbook, title, rows), chart_title, n, "E2", horizontal=horizontal)
    add_sheet(workbook, "ご要望", needs_rows(report))
    add_sheet(workbook, "改善提案", proposal_rows(report))
    return workbook_bytes(workbook)


def files(report: SessionReport, generated_at: datetime) -> tuple[bytes, bytes]:
    """(CSV, XLSX) of the report."""
    return csv_file(report), xlsx_file(report, generated_at)
