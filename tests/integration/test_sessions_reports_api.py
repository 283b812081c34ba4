"""The session report over HTTP on moto: the month's JSON (prefecture reads, agent refused), the CSV/XLSX
downloads, the coordinator's proposals (stale version → 409), and the monthly report job delivering to the
prefecture's S3 prefix and mailbox exactly once; the announcement job mailing each store of the area once."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from chalicelib.sessions.model import Session, SurveyAnswer
from tests.integration.inquiry_support import mail_to, run_job

JST = ZoneInfo("Asia/Tokyo")
BUCKET = "miyapo-local-documents"
PREFECTURE = "prefecture@example.jp"


def seed(deps: Any) -> None:
    repo = deps.session_repository
    held = Session("SS000001", "041017", "アエル 5階", "仙台市青葉区中央1-3-1",
                   datetime(2025, 6, 14, 10, tzinfo=JST), datetime(2025, 6, 14, 12, tzinfo=JST), 30,
                   date(2025, 5, 20), partner="青葉区役所", status="held", attendees=18, manuals=15)
    planned = Session("SS000002", "042021", "石巻市役所 1階", "石巻市穀町14-1",
                      datetime(2025, 6, 28, 13, tzinfo=JST), datetime(2025, 6, 28, 15, tzinfo=JST), 40,
                      date(2025, 6, 1))
    tx = repo.new_tx()
    repo.create(tx, held)
    repo.create(tx, planned)
    for n, (age, sat) in enumerate((("70s", 5), ("70s", 4), ("80plus", 5)), start=1):
        repo.add_survey(tx, held, SurveyAnswer("SS000001", age, ("install",), ("installed",), sat,
                                               "字を大きく" if n == 1 else "", answer_id=f"SV{n:06d}"))
    tx.commit()


def download(api: Any, path: str, as_: str) -> Any:
    return api.client.http.get(path, headers={"Authorization": f"Bearer {api.tokens[as_]}", "Accept": "*/*"})


def test_the_month_report_is_read_by_the_prefecture_and_refused_to_an_agent(api, deps):
    seed(deps)
    code, report = api.call("GET", "/sessions/report?month=2025-06", as_="prefecture")
    assert code == 200, report
    assert {k: report[k] for k in ("month", "sessions_held", "attendees", "surveys")} == {
        "month": "2025-06", "sessions_held": 1, "attendees": 18, "surveys": 3}
    assert report["by_age_band"] == {"under30": 0, "30s": 0, "40s": 0, "50s": 0, "60s": 0, "70s": 2, "80plus": 1}
    assert report["satisfaction"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 2}
    assert report["satisfaction_average"] == "4.67" and report["delivered_at"] is None
    assert report["needs"] == [{"session_id": "SS000001", "area_name": "仙台市青葉区", "date": "2025-06-14",
                                "text": "字を大きく"}]
    for role in ("agent", "screener", "accountant"):
        assert api.call("GET", "/sessions/report?month=2025-06", as_=role)[0] == 403
    assert api.call("GET", "/sessions/report?month=2025-06")[0] == 401


def test_a_bad_month_is_a_field_message(api):
    for query in ("", "?month=2025-13", "?month=202506", "?month=２０２５-０６"):
        code, answer = api.call("GET", f"/sessions/report{query}", as_="coordinator")
        assert code == 422, query
        assert "YYYY-MM" in answer["error"]["fields"]["month"]
    code, answer = api.call("GET", "/sessions/report/file?month=2025-06&format=pdf", as_="coordinator")
    assert code == 422 and "csv" in answer["error"]["fields"]["format"]


def test_the_files_download_as_csv_with_bom_and_xlsx_with_charts(api, deps):
    seed(deps)
    response = download(api, "/sessions/report/file?month=2025-06&format=csv", "coordinator")
    assert response.status_code == 200
    assert response.body.startswith(b"\xef\xbb\xbf")
    disposition = response.headers["Content-Disposition"]
    assert 'filename="session-report-2025-06.csv"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "相談会月次報告_2025年6月.csv"
    rows = list(csv.DictReader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert [r["相談会番号"] for r in rows] == ["SS000001", "SS000002", "合計"] and rows[-1]["参加者数"] == "18"
    xlsx = download(api, "/sessions/report/file?month=2025-06&format=xlsx", "prefecture")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.body))
    assert "年代" in book.sheetnames and len(book["年代"]._charts) == 1
    entries = deps.audit.by_subject("session-report#2025-06")
    assert sorted(e["detail"]["format"] for e in entries if e["action"] == "session.report_export") == ["csv", "xlsx"]


def test_the_coordinator_writes_the_proposals_and_a_stale_version_is_a_conflict(api, deps):
    seed(deps)
    path = "/sessions/report/2025-06/proposals"
    code, saved = api.call("PUT", path, {"text": "高齢者の多い地区で回数を増やす"}, as_="coordinator")
    assert code == 200 and saved["version"] == 1
    assert api.call("PUT", path, {"text": "上書き"}, as_="admin")[0] == 409  # no version: the writer read none
    assert api.call("PUT", path, {"text": "上書き", "version": 0}, as_="admin")[0] == 409
    code, saved = api.call("PUT", path, {"text": "改訂版", "version": 1}, as_="admin")
    assert code == 200 and saved["version"] == 2
    assert api.call("PUT", path, {"text": "x"}, as_="prefecture")[0] == 403
    code, answer = api.call("PUT", path, {"text": "x" * 4001, "version": 2, "extra": 1}, as_="coordinator")
    assert code == 422 and set(answer["error"]["fields"]) == {"text", "extra"}
    report = api.call("GET", "/sessions/report?month=2025-06", as_="prefecture")[1]
    assert (report["proposals"], report["proposals_version"]) == ("改訂版", 2)


def test_the_report_job_delivers_to_the_prefecture_once(api, deps):
    seed(deps)
    api.call("PUT", "/sessions/report/2025-06/proposals", {"text": "会場を増やす"}, as_="coordinator")
    assert api.call("POST", "/jobs/session-report", {"now": "2025-07-01T08:50:00+09:00"}, as_="agent")[0] == 403
    assert run_job(api, "session-report", "2025-06-30T08:50:00+09:00")["delivered"] == []
    result = run_job(api, "session-report", "2025-07-01T08:50:00+09:00")
    assert result["delivered"] == ["2025-06"] and result["sent"] == 2
    from chalicelib.adapters import aws

    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="prefecture/monthly-sessions/")["Contents"]]
    assert sorted(keys) == ["prefecture/monthly-sessions/2025-06.csv", "prefecture/monthly-sessions/2025-06.xlsx"]
    [mail] = mail_to(api, PREFECTURE, "相談会 月次報告")
    assert "会場を増やす" in mail["body"] and "prefecture/monthly-sessions/2025-06.xlsx" in mail["body"]
    for now in ("2025-07-01T08:50:00+09:00", "2025-07-02T08:50:00+09:00"):
        again = run_job(api, "session-report", now)
        assert again["delivered"] == [] and again["sent"] == 0
    assert len(mail_to(api, PREFECTURE, "相談会 月次報告")) == 1
    assert api.call("GET", "/sessions/report?month=2025-06", as_="prefecture")[1]["delivered_at"].startswith(
        "2025-07-01T08:50")


def test_the_announcement_job_mails_each_active_store_of_the_area_once(api, deps):
    seed(deps)
    repo = deps.store_repository
    tx = repo.new_tx()
    for n, (area, status) in enumerate((("041017", "active"), ("041017", "withdrawn"), ("042021", "active")),
                                       start=1):
        repo.create(tx, {"store_id": f"MP{n:06d}", "status": status, "store_name": f"テスト商店{n}",
                         "municipality_code": area, "email": f"shop{n}@example.com", "version": 1})
    tx.commit()
    result = run_job(api, "session-announcements", "2025-05-20T09:05:00+09:00")
    assert result["announced"] == ["SS000001"] and result["sent"] == 1
    assert [m["destinations"]["ToAddresses"] for m in api.mail()] == [["shop1@example.com"]]
    assert run_job(api, "session-announcements", "2025-05-21T09:05:00+09:00")["announced"] == []
    june = run_job(api, "session-announcements", "2025-06-01T09:05:00+09:00")
    assert june["announced"] == ["SS000002"] and june["sent"] == 1
    assert len(mail_to(api, "shop3@example.com", "石巻市でアプリ相談会")) == 1
    assert len(api.mail()) == 2


def test_the_coverage_warning_job_mails_staff_at_most_once_a_day(api, deps):
    seed(deps)
    assert api.call("POST", "/jobs/session-coverage-warnings", {"now": "2025-12-01T08:55:00+09:00"},
                    as_="prefecture")[0] == 403
    first = run_job(api, "session-coverage-warnings", "2025-12-01T08:55:00+09:00")
    assert first["sent_today"] is True and len(first["missing"]) == 37 and first["sent"] == 1
    again = run_job(api, "session-coverage-warnings", "2025-12-01T16:00:00+09:00")
    assert again["sent_today"] is True and again["sent"] == 0
    staff = deps.settings.mail.staff_mailbox
    [mail] = mail_to(api, staff, "相談会の計画")
    assert "相談会の予定がない地域（37地域）" in mail["body"]
    assert run_job(api, "session-coverage-warnings", "2025-06-02T08:55:00+09:00")["missing"] == []  # far from the end
