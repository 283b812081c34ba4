"""The daily report reaches the prefecture on its next office day (Monday covers the weekend, the first day
after the year-end covers the closure), as CSV (BOM) + XLSX in S3 and an e-mail; once; missed mornings are
caught up. The monthly summary likewise."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime

from openpyxl import load_workbook

from chalicelib.jobs import registry
from tests.integration.inquiry_support import at, inquiry_body, log, mail_to, run_job

PREFECTURE = "prefecture@example.jp"
BUCKET = "miyapo-local-documents"


class BrokenSes:
    def send(self, mail):
        raise ConnectionError("SES is down")


def s3_object(key: str) -> bytes:
    from chalicelib.adapters import aws

    return aws.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def csv_rows(key: str) -> list[list[str]]:
    data = s3_object(key)
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def by_header(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def log_weekend(api) -> int:
    """Friday 1, Saturday 3 (one after hours, one escalated), Sunday 2: six inquiries."""
    log(api, "2025-06-06T16:00:00+09:00", caller_type="store", category="store_payment")
    log(api, "2025-06-07T09:30:00+09:00")
    hard = log(api, "2025-06-07T13:00:00+09:00", caller_type="store", category="store_payment", status="pending",
               answer="")
    log(api, "2025-06-07T17:45:00+09:00", channel="email", caller_type="municipality", category="sessions")
    code, _ = api.call("POST", f"/inquiries/{hard}/escalate", {"reason": "判断が必要"}, as_="agent",
                       headers=at("2025-06-07T18:40:00+09:00"))
    assert code == 200
    log(api, "2025-06-08T10:00:00+09:00")
    log(api, "2025-06-08T11:00:00+09:00", category="other", caller_type="other", status="pending", answer="")
    return 6


def test_the_weekend_report_arrives_on_monday_with_the_right_counts(api):
    logged = log_weekend(api)
    # Nothing is delivered over the weekend: the prefecture's next office day is Monday.
    for now in ("2025-06-07T08:30:00+09:00", "2025-06-08T08:30:00+09:00"):
        assert run_job(api, "daily-report", now)["delivered"] == []

    report = run_job(api, "daily-report", "2025-06-09T08:30:00+09:00")
    assert report["delivered"] == ["2025-06-09"]
    assert report["files"] == ["prefecture/daily-inquiries/2025-06-09.csv",
                               "prefecture/daily-inquiries/2025-06-09.xlsx"]
    rows = by_header(csv_rows("prefecture/daily-inquiries/2025-06-09.csv"))
    assert [r["日付"] for r in rows] == ["2025-06-06", "2025-06-07", "2025-06-08", "合計"]
    assert [r["曜日"] for r in rows[:3]] == ["金", "土", "日"]
    assert [int(r["受付件数"]) for r in rows] == [1, 3, 2, logged]
    assert [int(r["うち受付時間外"]) for r in rows] == [0, 1, 0, 1]
    assert [int(r["県へのエスカレーション"]) for r in rows] == [0, 1, 0, 1]
    assert [int(r["未完了"]) for r in rows] == [0, 1, 1, 2]
    total = rows[-1]
    assert int(total["分類:精算・振込"]) == 2 and int(total["分類:相談会"]) == 1 and int(total["分類:その他"]) == 1
    assert int(total["分類:ポイントの利用・利用できる店舗"]) == 2
    assert (int(total["問合せ者:店舗"]), int(total["問合せ者:県民"]), int(total["問合せ者:市町村"]),
            int(total["問合せ者:その他"])) == (2, 2, 1, 1)
    assert sum(int(v) for k, v in total.items() if k.startswith("分類:")) == logged
    assert [int(r["月累計"]) for r in rows] == [1, 4, 6, 6]
    assert [int(r["年度累計"]) for r in rows] == [1, 4, 6, 6]
    assert total["月間見込み"] == "1000" and total["年間見込み"] == "12000"
    assert total["月間見込みに対する割合(%)"] == "0.6" and total["年間見込みに対する割合(%)"] == "0.1"

    book = load_workbook(io.BytesIO(s3_object("prefecture/daily-inquiries/2025-06-09.xlsx")))
    assert book.sheetnames == ["日次報告", "未完了一覧"]
    sheet = list(book["日次報告"].iter_rows(values_only=True))
    assert sheet[0][7].startswith("分類:") and sheet[-1][0] == "合計" and sheet[-1][3] == logged
    assert [r[0] for r in list(book["未完了一覧"].iter_rows(values_only=True))[1:]] == ["IQ000003", "IQ000006"]

    mails = mail_to(api, PREFECTURE, "日次報告")
    assert len(mails) == 1
    assert mails[0]["subject"] == "【みやぎポイント】コールセンター日次報告（2025年6月9日（月））"
    assert "対象期間: 2025年6月6日（金）〜2025年6月8日（日）" in mails[0]["body"]
    assert "prefecture/daily-inquiries/2025-06-09.xlsx" in mails[0]["body"]

    # Idempotent: the same morning again, or later that day, delivers nothing.
    for now in ("2025-06-09T08:30:00+09:00", "2025-06-09T15:00:00+09:00"):
        again = run_job(api, "daily-report", now)
        assert again["delivered"] == [] and again["sent"] == 0
    assert len(mail_to(api, PREFECTURE, "日次報告")) == 1

    # Tuesday's covers Monday (no calls): a zero line, running totals carried.
    log_monday = run_job(api, "daily-report", "2025-06-10T08:30:00+09:00")
    assert log_monday["delivered"] == ["2025-06-10"]
    tuesday = by_header(csv_rows("prefecture/daily-inquiries/2025-06-10.csv"))
    assert [(r["日付"], r["受付件数"], r["月累計"], r["年度累計"]) for r in tuesday] == [
        ("2025-06-09", "0", "6", "6"), ("合計", "0", "6", "6")]


def test_a_missed_morning_is_caught_up_on_the_next_run(api):
    log(api, "2025-06-09T10:00:00+09:00")
    log(api, "2025-06-10T10:00:00+09:00")
    log(api, "2025-06-10T11:00:00+09:00")
    # No run on Tuesday or Wednesday; Thursday's run delivers all three reports, oldest first.
    report = run_job(api, "daily-report", "2025-06-12T08:30:00+09:00")
    assert report["delivered"] == ["2025-06-10", "2025-06-11", "2025-06-12"]
    assert [by_header(csv_rows(f"prefecture/daily-inquiries/{d}.csv"))[0]["受付件数"]
            for d in report["delivered"]] == ["1", "2", "0"]
    assert len(mail_to(api, PREFECTURE, "日次報告")) == 3
    assert run_job(api, "daily-report", "2025-06-12T09:00:00+09:00")["delivered"] == []


def test_the_first_day_after_the_year_end_covers_the_whole_closure(api):
    log(api, "2025-12-26T10:00:00+09:00")
    log(api, "2025-12-27T10:00:00+09:00")  # Saturday: the call center is open
    log(api, "2025-12-30T10:00:00+09:00", channel="email")  # closed: a mail read by the one agent on duty
    for now in ("2025-12-29T08:30:00+09:00", "2026-01-02T08:30:00+09:00", "2026-01-04T08:30:00+09:00"):
        assert run_job(api, "daily-report", now)["delivered"] == []
    report = run_job(api, "daily-report", "2026-01-05T08:30:00+09:00")
    assert report["delivered"] == ["2026-01-05"]
    rows = by_header(csv_rows("prefecture/daily-inquiries/2026-01-05.csv"))
    assert [r["日付"] for r in rows[:-1]] == ["2025-12-26", "2025-12-27", "2025-12-28", "2025-12-29", "2025-12-30",
                                             "2025-12-31", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]
    assert [r["コールセンター"] for r in rows[:-1]] == ["営業"] * 3 + ["休業"] * 6 + ["営業"]
    assert rows[-1]["受付件数"] == "3" and rows[4]["うち受付時間外"] == "1"
    assert [r["月累計"] for r in rows[:-1]][-1] == "0"  # January so far
    assert rows[-1]["年度累計"] == "3"


def test_a_failed_report_mail_is_retried_and_files_are_not_rewritten(api, deps):
    log(api, "2025-06-09T10:00:00+09:00")
    broken = dataclasses.replace(deps, sender=BrokenSes())
    first = registry.run("daily-report", datetime.fromisoformat("2025-06-10T08:30:00+09:00"), broken)
    assert first["delivered"] == ["2025-06-10"] and first["failed"] == 1
    assert api.mail() == []
    again = run_job(api, "daily-report", "2025-06-10T08:45:00+09:00")
    assert again["delivered"] == [] and (again["retried"], again["sent"]) == (1, 1)
    assert len(mail_to(api, PREFECTURE, "日次報告")) == 1
    from chalicelib.adapters import aws

    versions = aws.client("s3").list_object_versions(Bucket=BUCKET, Prefix="prefecture/daily-inquiries/")
    assert len(versions["Versions"]) == 2  # one CSV, one XLSX: the retry did not write them again


def test_a_report_run_that_lost_the_race_delivers_nothing_and_is_not_skipped(api, deps, monkeypatch):
    from chalicelib.inquiries.repository import ReportMarks

    log(api, "2025-06-09T10:00:00+09:00")
    now = datetime.fromisoformat("2025-06-10T08:30:00+09:00")
    assert registry.run("daily-report", now, deps)["delivered"] == ["2025-06-10"]
    # A concurrent run that checked before the first one claimed the delivery: its claim fails.
    monkeypatch.setattr(ReportMarks, "delivered", lambda self, kind, key: None)
    monkeypatch.setattr(ReportMarks, "day", lambda self, name: None if name == "last" else
                        datetime.fromisoformat("2025-06-09T00:00:00+09:00").date())
    late = registry.run("daily-report", now, deps)
    assert late["delivered"] == [] and late["sent"] == 0
    assert len(mail_to(api, PREFECTURE, "日次報告")) == 1


def test_totals_equal_the_inquiries_logged_and_the_monthly_summary_agrees(api):
    logged = log_weekend(api)
    log(api, "2025-06-10T10:00:00+09:00", handling_minutes=4)
    log(api, "2025-06-11T10:00:00+09:00", handling_minutes=8, channel="web")
    logged += 2
    run_job(api, "daily-report", "2025-06-12T08:30:00+09:00")
    delivered = ["2025-06-09", "2025-06-10", "2025-06-11", "2025-06-12"]
    day_totals = [int(by_header(csv_rows(f"prefecture/daily-inquiries/{d}.csv"))[-1]["受付件数"]) for d in delivered]
    assert sum(day_totals) == logged
    last = by_header(csv_rows("prefecture/daily-inquiries/2025-06-12.csv"))[-1]
    assert int(last["月累計"]) == int(last["年度累計"]) == logged

    code, summary = api.call("GET", "/inquiries/monthly/2025-06", as_="prefecture")
    assert code == 200
    assert summary["total"] == logged == sum(c["count"] for c in summary["by_category"])
    assert sum(c["count"] for c in summary["by_channel"]) == logged
    assert {c["code"]: c["count"] for c in summary["by_channel"]} == {"phone": 6, "email": 1, "web": 1, "other": 0}
    assert summary["escalated"] == 1 and summary["escalation_rate_percent"] == 12.5
    assert summary["average_handling_minutes"] == 6.0 and summary["timed_inquiries"] == 2
    assert sum(d["count"] for d in summary["per_day"]) == logged


def test_the_monthly_summary_is_delivered_once_after_the_month(api):
    log(api, "2025-06-27T10:00:00+09:00")
    log(api, "2025-06-28T10:00:00+09:00", category="other")
    assert run_job(api, "monthly-inquiry-report", "2025-06-30T08:40:00+09:00")["delivered"] == []
    report = run_job(api, "monthly-inquiry-report", "2025-07-01T08:40:00+09:00")
    assert report["delivered"] == ["2025-06"] and report["sent"] == 2
    rows = csv_rows("prefecture/monthly-inquiries/2025-06.csv")
    assert rows[0] == ["区分", "項目", "値", "割合(%)"] and rows[1] == ["合計", "受付件数", "2", "100.0"]
    book = load_workbook(io.BytesIO(s3_object("prefecture/monthly-inquiries/2025-06.xlsx")))
    assert book.sheetnames == ["月次集計", "日別件数"]
    assert len(mail_to(api, PREFECTURE, "月次集計")) == 1 and len(mail_to(api, "staff@example.jp", "月次集計")) == 1
    assert run_job(api, "monthly-inquiry-report", "2025-07-02T08:40:00+09:00")["delivered"] == []


def test_the_monthly_files_download_and_the_export_is_audited(api):
    log(api, "2025-06-27T10:00:00+09:00")
    response = api.client.http.get("/inquiries/monthly/2025-06/file?format=csv", headers={
        "Authorization": f"Bearer {api.tokens['prefecture']}", "Accept": "application/octet-stream"})
    assert response.status_code == 200
    assert response.body.startswith(b"\xef\xbb\xbf")
    assert 'filename="inquiries-2025-06.csv"' in response.headers["Content-Disposition"]
    response = api.client.http.get("/inquiries/monthly/2025-06/file?format=xlsx", headers={
        "Authorization": f"Bearer {api.tokens['admin']}", "Accept": "application/octet-stream"})
    book = load_workbook(io.BytesIO(response.body))
    assert list(book["月次集計"].iter_rows(values_only=True))[1][:3] == ("合計", "受付件数", 1)
    code, audit = api.call("GET", "/audit?subject=inquiry-report%23monthly%232025-06", as_="admin")
    assert code == 200
    assert sorted(e["detail"]["format"] for e in audit["items"] if e["action"] == "inquiry.monthly_export") == [
        "csv", "xlsx"]


def delivered_rows(delivered: list[str]) -> list[dict[str, str]]:
    """Every row the prefecture received in these reports, without their 合計 rows."""
    return [r for d in delivered for r in by_header(csv_rows(f"prefecture/daily-inquiries/{d}.csv"))
            if r["日付"] != "合計"]


def test_an_inquiry_logged_late_for_a_reported_day_is_a_correction_in_the_next_report(api):
    for received in ("2025-11-18T10:00:00+09:00", "2025-11-18T11:00:00+09:00", "2025-11-18T12:00:00+09:00",
                     "2025-11-22T10:00:00+09:00"):
        log(api, received)
    first = run_job(api, "daily-report", "2025-11-25T08:30:00+09:00")["delivered"]
    assert first == ["2025-11-19", "2025-11-20", "2025-11-21", "2025-11-25"]  # 11-24 is a substitute holiday
    # Logged on 11-25 for days already reported.
    late_logged = {"X-Miyapo-Now": "2025-11-25T15:00:00+09:00"}
    for received in ("2025-11-18T15:00:00+09:00", "2025-11-24T10:00:00+09:00"):
        code, answer = api.call("POST", "/inquiries", inquiry_body(received, category="other"), as_="agent",
                                headers=late_logged)
        assert code == 201, answer
    assert run_job(api, "daily-report", "2025-11-26T08:30:00+09:00")["delivered"] == ["2025-11-26"]
    rows = by_header(csv_rows("prefecture/daily-inquiries/2025-11-26.csv"))
    assert [(r["日付"], r["コールセンター"], r["受付件数"], r["分類:その他"], r["月累計"], r["年度累計"])
            for r in rows] == [
        ("2025-11-18", "訂正（前回報告分からの増減）", "1", "1", "5", "5"),
        ("2025-11-24", "訂正（前回報告分からの増減）", "1", "1", "6", "6"),
        ("2025-11-25", "営業", "0", "0", "6", "6"),
        ("合計", "", "2", "2", "6", "6")]
    # Everything delivered adds up to the running totals, and to what was logged.
    every = delivered_rows([*first, "2025-11-26"])
    assert sum(int(r["受付件数"]) for r in every) == 6 == int(rows[-1]["月累計"]) == int(rows[-1]["年度累計"])
    body = mail_to(api, PREFECTURE, "2025年11月26日")[0]["body"]
    assert "2025年11月18日（火）: 受付 3件 → 4件（+1件）" in body and "2025年11月24日（月）: 受付 0件 → 1件（+1件）" in body
    assert "対象期間: 2025年11月25日（火）" in body and "月累計: 6件" in body
    # Corrected once: the next report has none.
    run_job(api, "daily-report", "2025-11-27T08:30:00+09:00")
    assert [r["日付"] for r in by_header(csv_rows("prefecture/daily-inquiries/2025-11-27.csv"))] == [
        "2025-11-26", "合計"]


def test_an_inquiry_moved_to_another_day_or_category_is_restated(api):
    moved = log(api, "2025-06-10T10:00:00+09:00")
    log(api, "2025-06-11T10:00:00+09:00")
    run_job(api, "daily-report", "2025-06-12T08:30:00+09:00")
    code, answer = api.call("PATCH", f"/inquiries/{moved}",
                            {"version": 1, "received_at": "2025-06-11T09:30:00+09:00", "category": "other"},
                            as_="agent", headers={"X-Miyapo-Now": "2025-06-12T10:00:00+09:00"})
    assert code == 200, answer
    run_job(api, "daily-report", "2025-06-13T08:30:00+09:00")
    rows = by_header(csv_rows("prefecture/daily-inquiries/2025-06-13.csv"))
    assert [(r["日付"], r["受付件数"], r["分類:ポイントの利用・利用できる店舗"], r["分類:その他"], r["年度累計"])
            for r in rows] == [
        ("2025-06-10", "-1", "-1", "0", "1"), ("2025-06-11", "1", "0", "1", "2"),
        ("2025-06-12", "0", "0", "0", "2"), ("合計", "0", "-1", "1", "2")]
    every = delivered_rows(["2025-06-11", "2025-06-12", "2025-06-13"])
    assert sum(int(r["受付件数"]) for r in every) == 2
    assert sum(int(r["分類:その他"]) for r in every) == 1
    run_job(api, "daily-report", "2025-06-14T08:30:00+09:00")  # Saturday: none; Monday's has no correction
    run_job(api, "daily-report", "2025-06-16T08:30:00+09:00")
    assert [r["日付"] for r in by_header(csv_rows("prefecture/daily-inquiries/2025-06-16.csv"))] == [
        "2025-06-13", "2025-06-14", "2025-06-15", "合計"]
