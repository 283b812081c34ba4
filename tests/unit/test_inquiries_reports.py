"""The daily report and the monthly summary: figures, rows, and the bytes of the CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from chalicelib.inquiries import mails, reports
from chalicelib.inquiries.config import Category
from chalicelib.kernel.calendars import JST

CATS = (Category("payment", "精算・振込"), Category("other", "その他"))
GENERATED = datetime(2025, 6, 9, 8, 30, tzinfo=JST)


def inquiry(n: int, received_at: str, category: str = "payment", caller_type: str = "store", status: str = "resolved",
            **extra):
    return {"inquiry_id": f"IQ{n:06d}", "received_at": received_at, "category": category, "caller_type": caller_type,
            "channel": extra.pop("channel", "phone"), "status": status, **extra}


FRI = [inquiry(1, "2025-06-06T10:00:00+09:00")]
SAT = [
    inquiry(2, "2025-06-07T09:05:00+09:00", "other", "resident", handling_minutes=5),
    inquiry(3, "2025-06-07T13:00:00+09:00", "payment", "store", "pending", handling_minutes=10),
    inquiry(4, "2025-06-07T18:30:00+09:00", "payment", "municipality", "escalated", outside_hours=True,
            escalation={"at": "2025-06-07T18:40:00+09:00"}),
]
SUN: list[dict] = []


def weekend_report() -> reports.DailyReport:
    lines = [reports.count_day(date(2025, 6, 6), FRI, True), reports.count_day(date(2025, 6, 7), SAT, True),
             reports.count_day(date(2025, 6, 8), SUN, True)]
    return reports.DailyReport(
        delivery_day=date(2025, 6, 9),
        lines=reports.with_running_totals(lines, year_before=120, month_before={"2025-06": 20}),
        categories=CATS, forecast_month=1000, forecast_total=12000,
        open_items=tuple(reports.open_item_row(i) for i in SAT if i["status"] != "resolved"),
    )


def test_count_day():
    line = reports.count_day(date(2025, 6, 7), SAT, True)
    assert (line.total, line.outside_hours, line.escalated, line.open_items) == (3, 1, 1, 2)
    assert line.by_category == {"other": 1, "payment": 2}
    assert line.by_caller == {"resident": 1, "store": 1, "municipality": 1}


def test_running_totals_restart_with_each_month():
    lines = [reports.count_day(date(2025, 5, 30), FRI, True), reports.count_day(date(2025, 5, 31), SAT, True),
             reports.count_day(date(2025, 6, 1), FRI, True)]
    done = reports.with_running_totals(lines, year_before=100, month_before={"2025-05": 40})
    assert [(x.month_to_date, x.year_to_date) for x in done] == [(41, 101), (44, 104), (1, 105)]


@pytest.mark.parametrize("part,whole,expected", [
    (1, 1000, Decimal("0.1")), (5, 12000, Decimal("0.0")), (6, 12000, Decimal("0.1")),  # 0.05 rounds half up
    (1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")), (1000, 1000, Decimal("100.0")), (3, 0, None),
])
def test_percent(part, whole, expected):
    assert reports.percent(part, whole) == expected


def test_daily_rows_are_exactly_the_table_the_prefecture_gets():
    rows = reports.daily_rows(weekend_report())
    assert rows == [
        ["日付", "曜日", "コールセンター", "受付件数", "うち受付時間外", "県へのエスカレーション", "未完了",
         "分類:精算・振込", "分類:その他", "問合せ者:店舗", "問合せ者:県民", "問合せ者:市町村", "問合せ者:その他",
         "月累計", "月間見込み", "月間見込みに対する割合(%)", "年度累計", "年間見込み", "年間見込みに対する割合(%)"],
        [date(2025, 6, 6), "金", "営業", 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 21, 1000, Decimal("2.1"), 121, 12000, Decimal("1.0")],
        [date(2025, 6, 7), "土", "営業", 3, 1, 1, 2, 2, 1, 1, 1, 1, 0, 24, 1000, Decimal("2.4"), 124, 12000, Decimal("1.0")],
        [date(2025, 6, 8), "日", "営業", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 1000, Decimal("2.4"), 124, 12000, Decimal("1.0")],
        ["合計", "", "", 4, 1, 1, 2, 3, 1, 2, 1, 1, 0, 24, 1000, Decimal("2.4"), 124, 12000, Decimal("1.0")],
    ]


def test_totals_reconcile_with_lines():
    rows = reports.daily_rows(weekend_report())
    header, body, total = rows[0], rows[1:-1], rows[-1]
    first_cat, first_caller = header.index("分類:精算・振込"), header.index("問合せ者:店舗")
    for row in [*body, total]:
        assert sum(row[first_cat:first_caller]) == row[3]  # categories add up to the day's count
        assert sum(row[first_caller:first_caller + 4]) == row[3]  # and so do caller types
    assert total[3] == sum(r[3] for r in body) == len(FRI + SAT + SUN)


def test_closed_days_and_retired_categories_are_shown():
    report = reports.DailyReport(
        delivery_day=date(2026, 1, 5),
        lines=reports.with_running_totals([
            reports.count_day(date(2025, 12, 28), [inquiry(9, "2025-12-28T10:00:00+09:00", "retired")], True),
            reports.count_day(date(2025, 12, 29), [], False),
        ], 0, {}),
        categories=CATS, forecast_month=1000, forecast_total=12000)
    rows = reports.daily_rows(report)
    assert rows[0][7:10] == ["分類:精算・振込", "分類:その他", "分類:retired"]
    assert [r[2] for r in rows[1:3]] == ["営業", "休業"]


def test_csv_is_utf8_with_bom_and_crlf():
    data = reports.to_csv([["日付", "受付件数", "割合"], ["2025-06-07", 3, Decimal("2.4")], ["合計", 3, None]])
    assert data == "\ufeff日付,受付件数,割合\r\n2025-06-07,3,2.4\r\n合計,3,\r\n".encode()
    assert data.startswith(b"\xef\xbb\xbf")


def test_text_that_would_run_as_a_formula_is_neutralised():
    data = reports.to_csv([["=HYPERLINK(\"x\")", "-1", -1, "@a", "+b"]])
    assert data.decode("utf-8-sig") == "\"'=HYPERLINK(\"\"x\"\")\",'-1,-1,'@a,'+b\r\n"


def test_daily_files_open_in_excel_with_the_same_table():
    report = weekend_report()
    csv_bytes, xlsx_bytes = reports.daily_files(report, GENERATED)
    parsed = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    expected = [["" if c is None else str(c) for c in row] for row in reports.daily_rows(report)]
    assert parsed == expected

    book = load_workbook(io.BytesIO(xlsx_bytes))
    assert book.sheetnames == ["日次報告", "未完了一覧"]
    sheet = list(book["日次報告"].iter_rows(values_only=True))
    assert list(sheet[0]) == expected[0]
    assert [list(r[:7]) for r in sheet[1:]] == [
        [datetime(2025, 6, 6), "金", "営業", 1, 0, 0, 0], [datetime(2025, 6, 7), "土", "営業", 3, 1, 1, 2],
        [datetime(2025, 6, 8), "日", "営業", 0, 0, 0, 0], ["合計", None, None, 4, 1, 1, 2]]
    assert sheet[-1][-1] == pytest.approx(0.01)  # 1.0 % as a number formatted 0.0%
    assert book["日次報告"].freeze_panes == "A2"
    open_rows = [list(r) for r in book["未完了一覧"].iter_rows(values_only=True)]
    assert open_rows == [
        ["問合せ番号", "受付日時", "分類", "問合せ者", "状態", "エスカレーション日時", "県の回答"],
        ["IQ000003", datetime(2025, 6, 7, 13, 0), "精算・振込", "店舗", "対応中", None, None],
        ["IQ000004", datetime(2025, 6, 7, 18, 30), "精算・振込", "市町村", "県へエスカレーション",
         datetime(2025, 6, 7, 18, 40), "回答待ち"],
    ]
    assert book.properties.creator == "miyapo-ops"


def test_monthly_summary():
    items = FRI + SAT + [inquiry(5, "2025-06-20T10:00:00+09:00", "other", "other", channel="email",
                                 handling_minutes=6)]
    days = [date(2025, 6, d) for d in range(1, 31)]
    summary = reports.summarize_month("2025-06", items, CATS, 1000, days)
    assert summary.total == 5
    assert summary.by_category == (("payment", "精算・振込", 3), ("other", "その他", 2))
    assert summary.by_channel == (("phone", "電話", 4), ("email", "メール", 1), ("web", "Webフォーム", 0),
                                  ("other", "その他", 0))
    assert [n for _, _, n in summary.by_caller] == [2, 1, 1, 1]
    assert summary.escalated == 1 and summary.escalation_rate == Decimal("20.0")
    assert summary.timed == 3 and summary.average_minutes == Decimal("7.0")
    assert sum(n for _, n in summary.per_day) == 5 and len(summary.per_day) == 30
    rows = reports.monthly_rows(summary)
    assert rows[:4] == [["区分", "項目", "値", "割合(%)"], ["合計", "受付件数", 5, Decimal("100.0")],
                        ["分類", "精算・振込", 3, Decimal("60.0")], ["分類", "その他", 2, Decimal("40.0")]]
    assert ["エスカレーション", "県へのエスカレーション件数", 1, Decimal("20.0")] in rows
    assert ["対応時間", "平均対応時間（分）", Decimal("7.0"), None] in rows
    assert ["見込み", "月間見込み件数", 1000, Decimal("0.5")] in rows
    as_json = summary.as_dict()
    assert as_json["escalation_rate_percent"] == 20.0 and as_json["average_handling_minutes"] == 7.0
    csv_bytes, xlsx_bytes = reports.monthly_files(summary, GENERATED)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    book = load_workbook(io.BytesIO(xlsx_bytes))
    assert book.sheetnames == ["月次集計", "日別件数"]
    per_day = list(book["日別件数"].iter_rows(values_only=True))
    assert per_day[-1] == ("合計", None, 5)


def test_an_empty_month_has_no_rates():
    summary = reports.summarize_month("2025-04", [], CATS, 1000, [date(2025, 4, 1)])
    assert summary.escalation_rate is None and summary.average_minutes is None
    assert reports.to_csv(reports.monthly_rows(summary)).decode("utf-8-sig").splitlines()[1] == "合計,受付件数,0,"


def test_the_daily_mail_summarises_the_report():
    subject, body = mails.daily_report(weekend_report(), ["s3://bucket/prefecture/daily-inquiries/2025-06-09.csv"])
    assert subject == "【みやぎポイント】コールセンター日次報告（2025年6月9日（月））"
    assert "対象期間: 2025年6月6日（金）〜2025年6月8日（日）" in body
    assert "2025年6月7日（土）: 受付 3件（うち受付時間外 1件）、県へのエスカレーション 1件、未完了 2件" in body
    assert "月累計: 24件 / 月間見込み 1,000件（2.4%）" in body
    assert "年度累計: 124件 / 年間見込み 12,000件（1.0%）" in body
    assert "未完了の問い合わせ（報告作成時点、全期間）: 2件（うち県へエスカレーション中 1件、県の回答待ち 1件）" in body
    assert "s3://bucket/prefecture/daily-inquiries/2025-06-09.csv" in body


def test_a_correction_is_the_change_since_a_day_was_stated():
    now = reports.count_day(date(2025, 6, 7), SAT, True)
    stated = reports.stated_figures(reports.count_day(date(2025, 6, 7), SAT[:1], True))
    line = reports.correction_line(now, stated)
    assert line is not None and line.correction and line.reported_total == 1
    assert (line.total, line.outside_hours, line.escalated, line.open_items) == (2, 1, 0, 0)
    assert line.by_category == {"payment": 2} and line.by_caller == {"store": 1, "municipality": 1}
    assert reports.correction_line(now, reports.stated_figures(now)) is None
    never_stated = reports.correction_line(reports.count_day(date(2025, 6, 1), FRI, True), None)
    assert never_stated is not None and (never_stated.total, never_stated.reported_total) == (1, 0)
    # An inquiry moved away: a negative change, the category it left included.
    gone = reports.correction_line(reports.count_day(date(2025, 6, 6), [], True),
                                   reports.stated_figures(reports.count_day(date(2025, 6, 6), FRI, True)))
    assert gone is not None and (gone.total, gone.by_category, gone.by_caller) == (-1, {"payment": -1}, {"store": -1})


def test_corrections_lead_the_report_and_every_row_adds_up_to_the_running_totals():
    stated = reports.stated_figures(reports.count_day(date(2025, 6, 6), [], True))
    late = reports.correction_line(reports.count_day(date(2025, 6, 6), FRI, True), stated)
    assert late is not None
    days = [reports.count_day(date(2025, 6, 7), SAT, True), reports.count_day(date(2025, 6, 8), SUN, True)]
    report = reports.DailyReport(
        delivery_day=date(2025, 6, 9), lines=reports.with_running_totals([*days, late], 120, {"2025-06": 20}),
        categories=CATS, forecast_month=1000, forecast_total=12000)
    rows = reports.daily_rows(report)
    assert [(r[0], r[2], r[3], r[13], r[16]) for r in rows[1:]] == [
        (date(2025, 6, 6), "訂正（前回報告分からの増減）", 1, 21, 121),
        (date(2025, 6, 7), "営業", 3, 24, 124), (date(2025, 6, 8), "営業", 0, 24, 124), ("合計", "", 4, 24, 124)]
    assert (report.first_day, report.last_day, report.total) == (date(2025, 6, 7), date(2025, 6, 8), 4)
    _, body = mails.daily_report(report, [])
    assert "対象期間: 2025年6月7日（土）〜2025年6月8日（日）" in body
    assert "2025年6月6日（金）: 受付 0件 → 1件（+1件）" in body and "分類別（対象期間の合計と訂正）" in body
    book = load_workbook(io.BytesIO(reports.daily_files(report, GENERATED)[1]))
    assert [r[3] for r in book["日次報告"].iter_rows(values_only=True)][1:] == [1, 3, 0, 4]
