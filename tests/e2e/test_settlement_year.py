"""A whole program year of settlement on the real local stack, over HTTP, with the clock pinned:
10 rounds (usage 2025-05 … 2026-02), each imported with duplicates, cancellations and unknown
stores, drafted, approved by a second accountant, its bank file downloaded and checked."""

from __future__ import annotations

import json
import random

import pytest

from chalicelib.kernel.calendars import payment_date
from chalicelib.settlement.zengin_reader import parse_transfer_file
from tests.factories import application_body, approve_body

pytestmark = pytest.mark.e2e

MONTHS = ["2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01",
          "2026-02"]
EXPECTED_PAYMENT = ["2025-06-20", "2025-07-18", "2025-08-20", "2025-09-19", "2025-10-20", "2025-11-20",
                    "2025-12-19", "2026-01-20", "2026-02-20", "2026-03-19"]


def _next_month_day(month: str, day: int) -> str:
    y, m = map(int, month.split("-"))
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y}-{m:02d}-{day:02d}T10:00:00+09:00"


def _day(month: str, day: int) -> str:
    """A day of the month on which points could be used: May's usage starts on the 28th (2025-05-28)."""
    return f"{month}-{ {10: 28, 15: 29, 20: 30}[day] if month == '2025-05' else day:02d}"


def test_a_whole_year_of_rounds(own_stack):
    stack = own_stack
    rng = random.Random(20250401)
    stores = []
    # The stores are approved before points can be used (usage dated before a store's approval is held).
    may_20 = {"X-Miyapo-Now": "2025-05-20T10:00:00+09:00"}
    for _ in range(5):
        _, answer = stack.request("POST", "/applications", application_body(), headers=may_20)
        _, decided = stack.request("POST", f"/applications/{answer['application_id']}/decision", approve_body(),
                                   token="screener", headers=may_20)
        stores.append(decided["store_id"])
    paid_by_store = dict.fromkeys(stores, 0)
    used_by_store = dict.fromkeys(stores, 0)
    txn = 0
    previous_rows: list[str] = []
    for month, expected_pay in zip(MONTHS, EXPECTED_PAYMENT, strict=True):
        assert payment_date(month).isoformat() == expected_pay
        rows = []
        for store in stores:
            for _ in range(rng.randint(1, 4)):
                txn += 1
                points = rng.randint(100, 5000)
                rows.append(f"Y{txn:07d},{_day(month, 15)} 12:00:00,{store},店,{points},利用")
                used_by_store[store] += points
            if rng.random() < 0.4:
                txn += 1
                rows.append(f"Y{txn:07d},{_day(month, 20)} 12:00:00,{store},店,50,取消")
                used_by_store[store] -= 50
        rows.append(f"Y{txn + 1:07d},{_day(month, 10)} 10:00:00,MP999999,未登録店,123,利用")
        txn += 1
        # each export overlaps the previous one: those rows must count as duplicates
        text = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n" + "\n".join(previous_rows + rows) + "\n"
        previous_rows = rows[-3:]
        status, body = stack.request_bytes("POST", "/usage-imports", text.encode("cp932"), token="accountant",
                                           headers={"Content-Type": "text/csv"})
        assert status == 201, body
        import_id = json.loads(body)["import_id"]
        _, report = stack.request("GET", f"/usage-imports/{import_id}", token="accountant")
        assert report["status"] == "committed"
        assert report["duplicates"] == (0 if month == MONTHS[0] else 3)
        assert [u["store_id"] for u in report["unknown_stores"]] == ["MP999999"]

        now = {"X-Miyapo-Now": _next_month_day(month, 5)}
        status, draft = stack.request("POST", f"/settlements/{month}/draft", {}, token="accountant", headers=now)
        assert status == 200, draft
        assert draft["payment_date"] == expected_pay
        status, _ = stack.request("POST", f"/settlements/{month}/approve", {}, token="accountant", headers=now)
        assert status == 403
        status, approved = stack.request("POST", f"/settlements/{month}/approve", {}, token="accountant2",
                                         headers=now)
        assert status == 200 and approved["status"] == "approved", approved
        status, data = stack.request_bytes("GET", f"/settlements/{month}/transfer-file", token="accountant")
        assert status == 200
        assert len(data) % 122 == 0 and all(data[i + 120:i + 122] == b"\r\n" for i in range(0, len(data), 122))
        parsed = parse_transfer_file(data)
        assert parsed.header.transfer_date == expected_pay[5:7] + expected_pay[8:10]
        assert parsed.trailer_total == approved["total_amount"] == sum(r.amount for r in parsed.records)
        for record in parsed.records:
            paid_by_store[f"MP{record.customer_code1[-6:]}"] += record.amount
        held_unknown = {h["store_id"]: h["amount"] for h in approved["held"]}
        assert held_unknown["MP999999"] == 123 * (MONTHS.index(month) + 1)  # carried forward, never lost

    assert paid_by_store == used_by_store
    status, mail = stack.request("GET", "/mail", token="admin")
    prefecture = [m for m in mail["items"] if m["destinations"]["ToAddresses"][0] == "prefecture@example.jp"
                  and "精算報告" in m["subject"]]
    assert len(prefecture) == 10
