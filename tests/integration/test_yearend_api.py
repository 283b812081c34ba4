"""The year-end pack over HTTP on moto (issue 12 point 9): a small year — two settlement rounds through the
settlement service, inquiries over two months with an escalation, sessions with surveys — its monthly
reports delivered by their own jobs, then `POST /jobs/year-end-pack`. Every figure of the pack is
reconciled with the files the prefecture was already sent (the statements, the daily and monthly inquiry
reports, the session reports), the index with the stored bytes, and the delivery happens once."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from chalicelib.sessions.model import Session, SurveyAnswer
from tests.integration.inquiry_support import log, mail_to, run_job
from tests.integration.test_settlement_api import JULY_2, csv_of, june_usage, make_stores, upload

JST = ZoneInfo("Asia/Tokyo")
BUCKET = "miyapo-local-documents"
PREFECTURE = "prefecture@example.jp"
AUG_4 = {"X-Miyapo-Now": "2025-08-04T10:00:00+09:00"}
PACK_NOW = "2025-08-12T09:00:00+09:00"
PREFIX = "prefecture/year-end/2025/"


def s3(key: str) -> bytes:
    from chalicelib.adapters import aws

    return aws.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def opened(key: str) -> bytes:
    """The file's content as the app reads it (a sealed object opened with the stage's field key)."""
    from chalicelib.adapters.files import FileStore

    body = FileStore(BUCKET).get(key)
    assert body is not None, key
    return body


def keys(prefix: str) -> list[str]:
    from chalicelib.adapters.files import FileStore

    return FileStore(BUCKET).keys(prefix)


def table(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV for Excel: UTF-8 with BOM"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", ""), "CSV lines end in CRLF"
    rows = list(csv.reader(io.StringIO(text)))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def num(value: str) -> int:
    return int(value.replace(",", "")) if value else 0


def july_usage(stores: list[str]) -> list[tuple]:
    a, b, _ = stores
    return [
        ("T1001", "2025-07-01 10:00:00", a, "店A", 2500, "利用"),
        ("T1002", "2025-07-10 11:00:00", b, "店B", 4200, "利用"),
        ("T1003", "2025-07-31 20:00:00", b, "店B", 300, "利用"),
    ]


def seed_sessions(deps: Any) -> None:
    repo = deps.session_repository
    june = Session("SS000001", "041017", "アエル 5階", "仙台市青葉区中央1-3-1",
                   datetime(2025, 6, 14, 10, tzinfo=JST), datetime(2025, 6, 14, 12, tzinfo=JST), 30,
                   date(2025, 5, 20), status="held", attendees=18, manuals=15)
    july = Session("SS000002", "042021", "石巻市役所 1階", "石巻市穀町14-1",
                   datetime(2025, 7, 12, 13, tzinfo=JST), datetime(2025, 7, 12, 15, tzinfo=JST), 40,
                   date(2025, 6, 20), status="held", attendees=25, manuals=20)
    cancelled = Session("SS000003", "042056", "塩竈市公民館", "塩竈市旭町1-1",
                        datetime(2025, 7, 26, 10, tzinfo=JST), datetime(2025, 7, 26, 12, tzinfo=JST), 20,
                        date(2025, 7, 1), status="cancelled")
    tx = repo.new_tx()
    for s in (june, july, cancelled):
        repo.create(tx, s)
    answers = [(june, "70s", 5), (june, "80plus", 4), (july, "60s", 3), (july, "70s", 5), (july, "70s", 4)]
    for n, (session, age, sat) in enumerate(answers, start=1):
        repo.add_survey(tx, session, SurveyAnswer(session.session_id, age, ("install",), ("installed",), sat,
                                                  "090-1234-5678 に電話がほしい" if n == 1 else "",
                                                  answer_id=f"SV{n:06d}"))
    tx.commit()


@pytest.fixture
def year(api, deps) -> dict[str, Any]:
    """Two approved rounds, inquiries in June and July (one escalated), three sessions; the monthly reports
    delivered by their jobs."""
    stores = make_stores(api, 3)
    upload(api, csv_of(june_usage(stores)))
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 200
    code, answer = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200, answer
    upload(api, csv_of(july_usage(stores)))
    assert api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)[0] == 200
    code, answer = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 200, answer

    log(api, "2025-06-06T16:00:00+09:00", caller_type="store", category="store_payment")
    log(api, "2025-06-07T09:30:00+09:00")
    hard = log(api, "2025-06-07T13:00:00+09:00", category="store_payment", status="pending", answer="")
    assert api.call("POST", f"/inquiries/{hard}/escalate", {"reason": "判断が必要"}, as_="agent",
                    headers={"X-Miyapo-Now": "2025-06-07T13:10:00+09:00"})[0] == 200
    log(api, "2025-06-30T17:00:00+09:00", channel="email", category="sessions")
    log(api, "2025-07-01T10:00:00+09:00")
    log(api, "2025-07-15T11:00:00+09:00", category="app")
    seed_sessions(deps)

    run_job(api, "daily-report", "2025-08-04T08:30:00+09:00")
    run_job(api, "monthly-inquiry-report", "2025-08-04T08:40:00+09:00")
    run_job(api, "session-report", "2025-08-04T08:50:00+09:00")
    return {"stores": stores, "escalated": hard}


def run_pack(api, as_: str = "admin") -> tuple[int, Any]:
    return api.call("POST", "/jobs/year-end-pack", {"now": PACK_NOW}, as_=as_)


def test_the_pack_reconciles_with_every_monthly_file_already_sent(api, year):
    code, answer = run_pack(api)
    assert code == 200, answer
    assert answer["fiscal_year"] == 2025 and answer["version"] == 1 and answer["created"] is True
    assert answer["final"] is False  # built in August: an interim pack until the year is over
    index = answer["index"]
    stored = sorted(keys(PREFIX))
    assert stored == sorted(answer["files"]) and f"{PREFIX}index.json" in stored and f"{PREFIX}index.csv" in stored
    by_name = {f["name"]: f for f in index["files"]}

    # The index: the SHA-256 and size of each stored file; index.json is the answer's index.
    for f in index["files"]:
        body = s3(f["key"])
        assert (len(body), hashlib.sha256(body).hexdigest()) == (f["size"], f["sha256"]), f["name"]
    assert json.loads(s3(f"{PREFIX}index.json")) == index
    assert {r["ファイル名"]: r["SHA-256"] for r in table(s3(f"{PREFIX}index.csv"))} == \
        {f["name"]: f["sha256"] for f in index["files"]}

    # Rounds: each round's figures equal its statement (sent monthly) and its stored files' hashes.
    rounds = table(s3(by_name["fy2025-rounds.csv"]["key"]))
    assert [r["対象月（利用月）"] for r in rounds] == ["2025-06", "2025-07", "合計"]
    statement_totals = []
    for month, row in zip(("2025-06", "2025-07"), rounds, strict=False):
        code, round_ = api.call("GET", f"/settlements/{month}", as_="prefecture")
        assert code == 200
        lines = table(s3(f"prefecture/settlements/{month}/statement-{month}.csv"))
        paid_column = next(k for k in lines[0] if "支払額" in k)
        statement_totals.append(num(lines[-1][paid_column]))
        assert num(row["支払額合計（円）"]) == round_["total_amount"] == statement_totals[-1]
        assert num(row["手数料（円）"]) == round_["fee"] and num(row["支払店舗数"]) == round_["stores_paid"]
        assert num(row["手数料の基礎（原資、円）"]) == round_["fee_base"]
        assert num(row["保留額（円）"]) == sum(h["amount"] for h in round_["held"])
        assert row["精算概要ファイルとの照合"] == "一致"
    assert num(rounds[-1]["支払額合計（円）"]) == sum(statement_totals) == index["totals"]["paid_total"]
    hashes = table(s3(by_name["fy2025-round-files.csv"]["key"]))
    assert len(hashes) == 8  # transfer file, statement CSV and XLSX, summary: per round
    for h in hashes:
        # The hash of the content (a transfer file is stored sealed: adapters/files.py `SEALED`).
        assert h["SHA-256"] == hashlib.sha256(opened(h["保存場所（文書バケット内）"])).hexdigest()
    held = table(s3(by_name["fy2025-held.csv"]["key"]))
    assert ("MP999999", 700) in {(h["店舗ID"], num(h["保留額（円）"])) for h in held}

    # Inquiries: every day's count equals the daily reports sent; each month's the monthly report's.
    sent_daily: dict[str, int] = {}
    for key in keys("prefecture/daily-inquiries/"):
        if key.endswith(".csv"):
            for row in table(s3(key))[:-1]:
                sent_daily[row["日付"]] = sent_daily.get(row["日付"], 0) + num(row["受付件数"])
    daily = {r["日付"]: num(r["受付件数"]) for r in table(s3(by_name["fy2025-inquiries-daily.csv"]["key"]))}
    total = daily.pop("合計")
    # The pack covers the finished months (April to July here); the daily reports went on into August.
    assert all(d >= "2025-08-01" and n == 0 for d, n in sent_daily.items() if d not in daily)
    sent_daily = {d: n for d, n in sent_daily.items() if d in daily}
    assert {d: n for d, n in daily.items() if d in sent_daily} == sent_daily
    assert sum(daily.values()) == total == sum(sent_daily.values()) == 6
    assert all(n == 0 for d, n in daily.items() if d not in sent_daily)  # days before the first report: none
    monthly = {r["対象月"]: r for r in table(s3(by_name["fy2025-inquiries-monthly.csv"]["key"]))}
    for month in ("2025-06", "2025-07"):
        sent = table(s3(f"prefecture/monthly-inquiries/{month}.csv"))
        sent_total = next(num(r["値"]) for r in sent if r["項目"] == "受付件数")
        assert num(monthly[month]["受付件数"]) == num(monthly[month]["月報で報告した件数"]) == sent_total
        assert monthly[month]["照合"] == "一致"
    assert num(monthly["合計"]["受付件数"]) == 6 == index["totals"]["inquiries"]
    escalations = table(s3(by_name["fy2025-escalations.csv"]["key"]))
    assert [e["問合せ番号"] for e in escalations] == [year["escalated"]]

    # Sessions: attendees and surveys equal the monthly session reports sent.
    sent_attendees = sent_surveys = 0
    for month in ("2025-06", "2025-07"):
        last = table(s3(f"prefecture/monthly-sessions/{month}.csv"))[-1]
        sent_attendees += num(last["参加者数"])
        sent_surveys += num(last["アンケート回答数"])
    sessions = table(s3(by_name["fy2025-sessions.csv"]["key"]))
    assert num(sessions[-1]["参加者数"]) == sent_attendees == 43 == index["totals"]["attendees"]
    assert num(sessions[-1]["アンケート回答数"]) == sent_surveys == 5
    per_month = table(s3(by_name["fy2025-sessions-monthly.csv"]["key"]))
    assert [r["照合"] for r in per_month[:-1]] == ["一致", "一致"]

    # The funds ledger equals GET /funds/ledger.
    code, book = api.call("GET", "/funds/ledger", as_="prefecture")
    ledger = table(s3(by_name["fy2025-funds-ledger.csv"]["key"]))
    assert [num(r["原資（手数料の基礎、円）"]) for r in ledger[:-1]] == [m["fee_base"] for m in book["months"]]
    assert num(ledger[-1]["請求額（原資＋手数料、円）"]) == index["totals"]["claim"]


def test_the_summary_workbook_and_the_pdf(api, year):
    code, answer = run_pack(api)
    assert code == 200, answer
    by_name = {f["name"]: f for f in answer["index"]["files"]}
    wb = load_workbook(io.BytesIO(s3(by_name["fy2025-summary.xlsx"]["key"])))
    assert wb.sheetnames == ["概要", "精算", "精算ファイル", "保留", "原資台帳", "問い合わせ月別", "問い合わせ日別",
                             "エスカレーション", "相談会", "相談会月別", "アンケート"]
    sheet = wb["精算"]
    assert sheet.freeze_panes == "A3" and sheet["A2"].font.bold
    paid = sheet.cell(row=5, column=6)  # heading, header, two rounds, the total
    assert sheet.cell(row=5, column=1).value == "合計"
    assert isinstance(paid.value, int) and paid.number_format == "#,##0"
    assert paid.value == answer["index"]["totals"]["paid_total"]
    assert sheet.cell(row=3, column=1).number_format == 'yyyy"年"m"月"'
    pdf = s3(by_name["fy2025-report.pdf"]["key"])
    assert pdf.startswith(b"%PDF") and b"HeiseiKakuGo-W5" in pdf
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4


def test_the_pack_is_delivered_once_and_a_rerun_answers_the_same_index(api, year):
    code, first = run_pack(api)
    assert code == 200, first
    mails = mail_to(api, PREFECTURE, "完了報告データ")
    assert len(mails) == 1
    body = mails[0]["body"]
    assert "令和7年度" in body and first["index"]["files"][0]["sha256"] in body
    code, again = api.call("POST", "/jobs/year-end-pack", {"now": "2025-08-20T09:00:00+09:00"}, as_="accountant")
    assert code == 200, again
    assert again["created"] is False and again["index"] == first["index"] and again["files"] == first["files"]
    assert len(mail_to(api, PREFECTURE, "完了報告データ")) == 1
    code, files = api.call("GET", "/reports/files", as_="prefecture")
    assert code == 200
    assert {f["name"] for f in files if f["kind"] == "year-end"} >= {"index.csv", "index.json", "fy2025-report.pdf"}


def test_no_personal_data_in_the_pack(api, year, deps):
    code, answer = run_pack(api)
    assert code == 200, answer
    store = deps.store_repository.get(year["stores"][0])
    secrets = {"090-1234-5678", "判断が必要", "宮城 次郎テスト", str(store.get("email")),
               str(store["bank"]["account_number"]), str(store.get("phone"))}
    for key in answer["files"]:
        body = s3(key)
        if key.endswith((".csv", ".json")):
            text = body.decode("utf-8-sig")
            assert not [s for s in secrets if s and s in text], key


@pytest.mark.parametrize("role", ["agent", "screener", "coordinator", "prefecture"])
def test_only_admins_and_accountants_run_the_pack(api, role):
    assert run_pack(api, as_=role)[0] == 403
