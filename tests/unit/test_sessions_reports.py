"""The monthly session report: figures, the acceptance JSON, the CSV (BOM, totals reconcile) and the XLSX
(native charts, numbers as numbers, dates as dates)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from chalicelib.mail.templates import store_mail_footer
from chalicelib.sessions import mails, report_files
from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, Session, SurveyAnswer
from chalicelib.sessions.reports import build_report, jp_when
from chalicelib.settings import CallCenterSettings

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2025, 7, 1, 8, 50, tzinfo=JST)


def session(n: int, day: int, area: str = "041017", month: int = 6, **kw: object) -> Session:
    base = Session(
        session_id=f"SS{n:06d}", area_code=area, venue=f"会場{n}", address="仙台市青葉区本町3-8-1",
        starts_at=datetime(2025, month, day, 10, 0, tzinfo=JST), ends_at=datetime(2025, month, day, 12, 0, tzinfo=JST),
        capacity=30, announce_on=date(2025, month - 1, 1), partner="仙台市",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def answer(session_id: str, age: str, sat: int, purposes: tuple[str, ...] = ("install",),
           could: tuple[str, ...] = ("installed",), needs: str = "") -> SurveyAnswer:
    return SurveyAnswer(session_id, age, purposes, could, sat, needs)


def sample() -> tuple[list[Session], list[SurveyAnswer]]:
    sessions = [
        session(1, 7, status="held", attendees=20, manuals=18),
        session(2, 14, area="042021", status="held", attendees=12, manuals=12),  # 石巻市
        session(3, 21, area="042153", status="cancelled", cancel_reason="台風"),
        session(4, 28, area="042030"),  # scheduled, attendance not recorded
        session(5, 3, month=7, status="held", attendees=99, manuals=99),  # another month: ignored
    ]
    surveys = [
        answer("SS000001", "70s", 5, ("install", "mynumber"), ("installed", "registered"), "文字を大きくしてほしい"),
        answer("SS000001", "70s", 4),
        answer("SS000001", "60s", 3, could=("none",)),
        answer("SS000002", "80plus", 5, ("points",), ("used_points",), "  "),
        answer("SS000005", "30s", 1),  # July's session: not in June's report
    ]
    return sessions, surveys


def test_the_month_figures_and_the_acceptance_json():
    sessions, surveys = sample()
    report = build_report("2025-06", sessions, surveys, proposals="高齢者向けの回を増やす", proposals_version=2)
    data = report.to_json()
    assert {k: data[k] for k in ("month", "sessions_held", "attendees", "surveys")} == {
        "month": "2025-06", "sessions_held": 2, "attendees": 32, "surveys": 4}
    assert list(data["by_age_band"]) == list(AGE_BANDS)  # every band, codes as keys, in order
    assert data["by_age_band"] == {"under30": 0, "30s": 0, "40s": 0, "50s": 0, "60s": 1, "70s": 2, "80plus": 1}
    assert data["satisfaction"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 2}
    assert data["satisfaction_average"] == "4.25" and data["survey_rate_percent"] == "12.5"
    assert data["purposes"] == {"install": 3, "mynumber": 1, "points": 1, "services": 0, "other": 0}
    assert data["could_do"]["installed"] == 2 and set(data["could_do"]) == set(COULD_DO)
    assert (data["sessions"], data["sessions_cancelled"], data["sessions_scheduled"], data["manuals"]) == (4, 1, 1, 30)
    assert data["labels"]["age_band"]["80plus"] == "80歳以上" and data["labels"]["purposes"] == PURPOSES
    assert [n["text"] for n in data["needs"]] == ["文字を大きくしてほしい"]  # blank answers are not needs
    assert data["proposals"] == "高齢者向けの回を増やす" and data["proposals_version"] == 2
    assert [line["session_id"] for line in data["session_lines"]] == ["SS000001", "SS000002", "SS000003", "SS000004"]
    assert data["session_lines"][2]["status_label"] == "中止" and data["session_lines"][2]["attendees"] is None
    regions = {r["region"]: r for r in data["by_region"]}
    assert regions["仙台"]["attendees"] == 20 and regions["仙台"]["surveys"] == 3
    assert sum(r["attendees"] for r in data["by_region"]) == data["attendees"]
    assert sum(r["sessions"] for r in data["by_region"]) == data["sessions"]
    assert {r["region"] for r in data["by_region"] if r["sessions"]} == {"仙台", "石巻", "大崎"}
    assert all(r["attendees"] == 0 for r in data["by_region"] if not r["sessions"])
    # JSON-safe without floats: counts are ints, averages strings.
    assert "." not in json.dumps({k: v for k, v in data.items() if isinstance(v, int | float)})
    assert not any(isinstance(v, float) for v in data.values())


def test_an_empty_month_has_every_key_with_zeros():
    data = build_report("2025-09", [], []).to_json()
    assert data["sessions_held"] == data["attendees"] == data["surveys"] == 0
    assert data["by_age_band"] == dict.fromkeys(AGE_BANDS, 0)
    assert data["satisfaction"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    assert data["satisfaction_average"] is None and data["survey_rate_percent"] is None


def test_the_csv_has_a_bom_a_line_per_session_and_totals_that_are_the_sums():
    sessions, surveys = sample()
    report = build_report("2025-06", sessions, surveys)
    data = report_files.csv_file(report)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    lines, total = rows[:-1], rows[-1]
    assert [r["相談会番号"] for r in lines] == ["SS000001", "SS000002", "SS000003", "SS000004"]
    assert total["相談会番号"] == "合計"
    assert lines[0]["開催日"] == "2025-06-07" and lines[0]["曜日"] == "土" and lines[0]["開始"] == "10:00"
    for column in ("参加者数", "マニュアル配布数", "アンケート回答数", "年代:70代", "満足度:5", "来場目的:アプリのインストール",
                   "できたこと:まだできない"):
        assert sum(int(r[column]) for r in lines) == int(total[column]), column
    assert int(total["参加者数"]) == 32 and int(total["アンケート回答数"]) == 4 and total["満足度（平均）"] == "4.25"
    assert sum(int(v) for k, v in total.items() if k.startswith("年代:")) == 4
    assert lines[2]["状態"] == "中止" and lines[2]["参加者数"] == "0"


def test_the_xlsx_has_a_sheet_per_section_native_charts_numbers_and_dates():
    sessions, surveys = sample()
    report = build_report("2025-06", sessions, surveys, proposals="一行目\n二行目")
    book = load_workbook(io.BytesIO(report_files.xlsx_file(report, NOW)))
    assert book.sheetnames == ["概要", "会場別", "地域別", "年代", "満足度", "来場目的", "できたこと", "ご要望", "改善提案"]
    for name in ("地域別", "年代", "満足度", "来場目的", "できたこと"):
        assert len(book[name]._charts) == 1, name  # openpyxl keeps the charts it reads back
    per_session = list(book["会場別"].iter_rows(values_only=True))
    assert per_session[0][:3] == ("相談会番号", "開催日", "曜日")
    first = book["会場別"]["B2"]
    assert isinstance(first.value, datetime) and first.value.date() == date(2025, 6, 7)
    assert first.number_format == "yyyy/mm/dd"
    assert book["会場別"]["D2"].value == time(10, 0)
    assert per_session[-1][0] == "合計" and per_session[-1][10] == 32 and isinstance(per_session[-1][10], int)
    ages = list(book["年代"].iter_rows(values_only=True))
    assert [r[0] for r in ages[1:8]] == list(AGE_BANDS.values())
    assert [r[1] for r in ages[1:8]] == [0, 0, 0, 0, 1, 2, 1] and ages[-1][:2] == ("合計", 4)
    satisfaction = list(book["満足度"].iter_rows(values_only=True))
    assert satisfaction[-1][:2] == ("平均", 4.25)  # a number, formatted
    assert book["満足度"].cell(row=len(satisfaction), column=2).number_format == "0.00"
    assert [r[0] for r in book["改善提案"].iter_rows(values_only=True)] == ["改善提案", "一行目", "二行目"]
    assert list(book["ご要望"].iter_rows(values_only=True))[1][1:] == ("SS000001", "仙台市青葉区", "文字を大きくしてほしい")
    summary = dict(book["概要"].iter_rows(min_row=2, values_only=True))
    assert summary["参加者数"] == 32 and summary["開催済み"] == 2


def test_text_from_people_is_never_a_formula_in_the_files():
    sessions, _ = sample()
    report = build_report("2025-06", [replace(sessions[0], venue="=HYPERLINK(\"x\")")],
                          [answer("SS000001", "70s", 5, needs="@SUM(1)")])
    assert b"'=HYPERLINK" in report_files.csv_file(report)
    book = load_workbook(io.BytesIO(report_files.xlsx_file(report, NOW)))
    assert book["会場別"]["H2"].value.startswith("'=")
    assert book["ご要望"]["D2"].value == "'@SUM(1)"


def test_the_report_mail_and_the_store_mail_read_well():
    sessions, surveys = sample()
    report = build_report("2025-06", sessions, surveys, proposals="")
    subject, body = mails.monthly_report(report, ["s3://b/prefecture/monthly-sessions/2025-06.xlsx"])
    assert subject == "【みやぎポイント】相談会 月次報告（2025年6月）"
    assert "参加者数: 32人" in body and "満足度（5段階の平均）: 4.25" in body and "（未記入）" in body
    assert "出席が未記録の相談会が 1件" in body and "2025-06.xlsx" in body
    assert "文字を大きく" not in body  # free text stays in the files
    assert jp_when(sessions[0]) == "2025年6月7日（土）10:00〜12:00"
    from chalicelib.kernel.areas import find_area

    area = find_area("041017")
    assert area is not None
    subject, body = mails.store_announcement({"store_name": "テスト商店"}, sessions[0], area,
                                             flyer_url="https://x/sessions/SS000001/flyer.pdf",
                                             page_url="https://x/sessions",
                                             call_center=CallCenterSettings(call_center_phone="0120-390-390"))
    assert subject == "【みやぎポイント】仙台市青葉区でアプリ相談会を開催します（2025年6月7日（土））"
    assert "https://x/sessions/SS000001/flyer.pdf" in body and "0120-390-390" in body
    assert body.endswith(store_mail_footer(CallCenterSettings(call_center_phone="0120-390-390")))


def test_averages_are_decimals_half_up():
    sessions, _ = sample()
    report = build_report("2025-06", sessions[:1], [answer("SS000001", "70s", s) for s in (5, 4, 4)])
    assert report.figures.satisfaction_average == Decimal("4.33")
