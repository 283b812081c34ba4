"""The year-end pack's pure parts: which fiscal year, the rows and their totals, the files (CSV with BOM and
CRLF, an Excel-ready workbook, an A4 Japanese PDF), the same bytes for the same data, and the index."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from chalicelib.inquiries.config import DEFAULT_CATEGORIES
from chalicelib.inquiries.reports import summarize_month
from chalicelib.kernel.sheets import check_totals
from chalicelib.overview import ledger
from chalicelib.sessions.model import Session, SurveyAnswer
from chalicelib.sessions.reports import build_report
from chalicelib.yearend import figures, model, pack

JST = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(("today", "year"), [
    (date(2026, 4, 2), 2025), (date(2026, 4, 30), 2025), (date(2026, 5, 1), 2026), (date(2026, 5, 2), 2026), (date(2026, 3, 31), 2025),
    (date(2025, 4, 30), 2024), (date(2026, 1, 15), 2025), (date(2025, 12, 1), 2025),
])
def test_the_year_is_the_one_containing_today_minus_one_month(today, year):
    assert model.pack_year(today) == year


def test_the_year_months_and_label():
    assert model.year_months(2025)[0] == "2025-04" and model.year_months(2025)[-1] == "2026-03"
    assert len(model.year_months(2025)) == 12
    assert model.fiscal_label(2025) == "令和7年度" and model.fiscal_label(2026) == "令和8年度"
    assert pack.prefix_of(2025, 1) == "prefecture/year-end/2025/"
    assert pack.prefix_of(2025, 2) == "prefecture/year-end/2025/v2/"


def _round(month: str, paid: int, usage: int, fee: int, held: int, **extra) -> dict:
    return {"month": month, "status": "approved", "version": 1, "payment_date": "2025-07-18",
            "transfer_date": "2025-07-18", "stores_paid": 2, "paid_total": paid, "usage_total": usage,
            "fee_base": usage, "fee": fee, "fee_rate": "0.005", "held_total": held, "stores_held": 1 if held else 0,
            "adjustments_total": 0, "carried_in_total": 0, "transfer_cost": 440, **extra}


def _inquiry(when: str, category: str = "points_use", escalated: bool = False) -> dict:
    item = {"inquiry_id": f"IQ{when[:10]}", "received_at": when, "category": category, "channel": "phone",
            "caller_type": "resident", "status": "resolved"}
    if escalated:
        item["escalation"] = {"at": when}
    return item


def year_data() -> model.YearData:
    r1 = _round("2025-06", 6300, 7000, 35, 700)
    r2 = _round("2025-07", 7000, 7000, 35, 0)
    del r2["fee_base"]  # a round drafted before the fee base existed: its usage is the base
    rounds = (model.RoundData(r1, (model.StoredFile("summary", "prefecture/settlements/2025-06/summary-2025-06.json",
                                                  10, "ab" * 32),),
                             ({"store_id": "MP999999", "amount": 700, "reason": "unknown_store"},), True),
              model.RoundData(r2, (), (), None))
    june = [date(2025, 6, d) for d in range(1, 31)]
    july = [date(2025, 7, d) for d in range(1, 32)]
    months = (
        summarize_month("2025-06", [_inquiry("2025-06-03T10:00:00+09:00"),
                                    _inquiry("2025-06-03T11:00:00+09:00", "app", escalated=True)],
                        DEFAULT_CATEGORIES, 1000, june),
        summarize_month("2025-07", [_inquiry("2025-07-09T10:00:00+09:00")], DEFAULT_CATEGORIES, 1000, july),
    )
    held = Session("SS000001", "041017", "アエル 5階", "仙台市青葉区中央1-3-1",
                   datetime(2025, 6, 14, 10, tzinfo=JST), datetime(2025, 6, 14, 12, tzinfo=JST), 30,
                   date(2025, 5, 20), status="held", attendees=18, manuals=15)
    answers = [SurveyAnswer("SS000001", "70s", ("install",), ("installed",), 5, "", answer_id="SV000001"),
               SurveyAnswer("SS000001", "80plus", ("install",), ("installed",), 4, "", answer_id="SV000002")]
    report = build_report("2025-06", [held], answers)
    return model.YearData(
        fiscal_year=2025, as_of=datetime(2026, 4, 2, 9, 30, tzinfo=JST), rounds=rounds,
        ledger=ledger.build([r1, r2], 443_750_000), inquiry_months=months, categories=DEFAULT_CATEGORIES,
        inquiry_reported={"2025-06": 2, "2025-07": None}, escalations=({"inquiry_id": "IQ1", "category": "app",
                                                                         "status": "escalated"},),
        session_reports=(report,), session_reported={"2025-06": {"attendees": 18, "surveys": 2}},
        forecast_monthly=1000, forecast_total=12000,
    )


def test_totals_are_the_sums_of_the_rounds_months_and_sessions():
    t = figures.totals(year_data())
    assert (t["rounds"], t["paid_total"], t["fee_base"], t["fee"], t["held_total"]) == (2, 13300, 14000, 70, 700)
    assert t["claim"] == 14000 + 70
    assert t["inquiries"] == t["inquiries_daily_sum"] == 3 and t["escalations"] == 1
    assert (t["sessions_held"], t["attendees"], t["surveys"]) == (1, 18, 2)
    assert all(isinstance(t[k], int) for k in ("paid_total", "fee", "claim", "fee_base"))


def test_every_section_total_row_equals_its_lines():
    for section in figures.sections(year_data()):
        if section.sums:
            check_totals(section.rows, section.sums)  # raises on a mismatch


def test_reported_figures_are_shown_beside_the_counts_with_the_check():
    data = year_data()
    monthly = figures.monthly_inquiry_rows(data)
    assert monthly[1][1:4] == [2, 2, "一致"] and monthly[2][1:4] == [1, None, "未報告"]
    rounds = figures.round_rows(data)
    assert rounds[1][-1] == "一致" and rounds[2][-1] == "—"
    assert rounds[2][7] == 7000  # fee base falls back to the month's usage
    assert figures.session_month_rows(data)[1][-1] == "一致"
    mismatch = model.YearData(**{**data.__dict__, "inquiry_reported": {"2025-06": 3}})
    assert figures.monthly_inquiry_rows(mismatch)[1][3] == "不一致"


def test_daily_rows_run_the_month_and_year_totals():
    rows = figures.daily_rows(year_data())
    june_3 = next(r for r in rows if r[0] == date(2025, 6, 3))
    assert june_3[1:] == ["火", 2, 2, 2]
    july_9 = next(r for r in rows if r[0] == date(2025, 7, 9))
    assert july_9[2:] == [1, 1, 3]
    assert rows[-1][:3] == ["合計", "", 3] and len(rows) == 1 + 30 + 31 + 1


def test_surveys_add_up_over_the_year():
    rows = figures.survey_rows(year_data())
    assert ["年代", "70代", 1, Decimal("50.0")] in [[r[0], r[1], r[2], r[3]] for r in rows]
    assert rows[-1] == ["満足度", "平均（5段階）", Decimal("4.50"), None]


def test_the_files_csv_xlsx_pdf_and_the_same_bytes_for_the_same_data():
    data = year_data()
    files = pack.build_files(data)
    names = [f.name for f in files]
    assert names[-2:] == ["fy2025-summary.xlsx", "fy2025-report.pdf"] and len(set(names)) == len(names)
    for f in files:
        if f.name.endswith(".csv"):
            assert f.body.startswith(b"\xef\xbb\xbf") and b"\r\n" in f.body
            assert b"\n" not in f.body.replace(b"\r\n", b"")
    again = pack.build_files(model.YearData(**{**data.__dict__, "as_of": data.as_of + timedelta(hours=3)}))
    assert [f.body for f in files] == [f.body for f in again]  # same day, same data: same bytes
    wb = load_workbook(io.BytesIO(files[-2].body))
    assert "精算" in wb.sheetnames and wb["精算"].freeze_panes == "A3"
    assert str(wb["精算"].page_setup.paperSize) == str(wb["精算"].PAPERSIZE_A4)
    assert wb["精算"].cell(row=3, column=6).value == 6300
    pdf = files[-1].body
    assert pdf.startswith(b"%PDF") and b"HeiseiKakuGo-W5" in pdf and b"595.2756 841.8898" in pdf


def test_the_index_states_each_files_size_and_sha256():
    data = year_data()
    files = pack.build_files(data)
    index = pack.index_of(data, files, 1)
    assert [f["name"] for f in index["files"]] == [f.name for f in files]
    for entry, f in zip(index["files"], files, strict=True):
        assert entry["size"] == len(f.body) and entry["sha256"] == hashlib.sha256(f.body).hexdigest()
        assert entry["key"] == "prefecture/year-end/2025/" + f.name
    as_json, as_csv = pack.index_files(index)
    assert json.loads(as_json.body) == index
    rows = list(csv.reader(io.StringIO(as_csv.body.decode("utf-8-sig"))))
    assert rows[0][-1] == "SHA-256" and [r[0] for r in rows[1:]] == [f.name for f in files]


def test_no_personal_data_columns():
    headers = " ".join(str(c) for s in figures.sections(year_data()) for c in s.rows[0])
    headers = headers.replace("受付方法:メール", "").replace("受付方法:電話", "")  # how an inquiry came in
    headers = headers.replace("分類:苦情・要望", "")  # a category's name, counted
    for word in ("口座", "電話", "メール", "氏名", "住所", "要望"):
        assert word not in headers
