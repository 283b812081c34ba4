"""The year seed (issue 15 point 2), scaled down: `python -m scripts.seed_year` against a running local stack,
then what a newcomer would see, read back through the app's HTTP API: stores across the areas in each
status, applications returned, rejected and waiting, ten approved rounds with their transfer files whose
money reconciles, inquiries with escalations, the daily and monthly reports mailed, the sessions held with
surveys. Run twice: the second run creates nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from urllib.parse import urlparse

import pytest

from chalicelib.settlement.zengin_reader import parse_transfer_file
from scripts import seed_year
from tests.e2e.conftest import ROOT, Stack

pytestmark = pytest.mark.e2e

STORES = 60


def _seed(stack: Stack) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_PORT": str(urlparse(stack.aws).port), "APP_PORT": str(urlparse(stack.base).port),
           "SEED_YEAR_STORES": str(STORES)}
    return subprocess.run([sys.executable, "-m", "scripts.seed_year"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)


def _all(stack: Stack, path: str, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        status, page = stack.request("GET", path + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert status == 200 and isinstance(page, dict), page
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


@pytest.fixture(scope="module")
def seeded(own_stack: Stack) -> tuple[Stack, str, str]:
    first = _seed(own_stack)
    assert first.returncode == 0, first.stderr[-3000:]
    second = _seed(own_stack)
    assert second.returncode == 0, second.stderr[-3000:]
    return own_stack, first.stdout, second.stdout


def test_progress_lines_not_a_flood_and_a_second_run_creates_nothing(seeded: tuple[Stack, str, str]) -> None:
    _, first, second = seeded
    assert 5 < len(first.splitlines()) < 60, first
    assert "done in" in first
    for phase in ("settlement", "inquiries", "sessions"):
        assert f"{phase}: already seeded" in second, second
    stack = seeded[0]
    stores = _all(stack, "/stores?status=active&limit=200", "screener")
    queue = _all(stack, "/applications?status=submitted&limit=200", "screener")
    assert len(queue) == max(2, STORES // 100)  # the waiting ones, not submitted again
    assert len({s["store_id"] for s in stores}) == len(stores)


def test_stores_across_the_areas_in_each_status(seeded: tuple[Stack, str, str]) -> None:
    stack = seeded[0]
    plan = seed_year.plan(STORES)
    expected = {d: sum(1 for s in plan.stores if s.decision == d) for d in ("approve", "return", "reject", "wait")}
    by_status = {status: _all(stack, f"/stores?status={status}&limit=200", "screener")
                 for status in ("active", "suspended", "withdrawn")}
    assert by_status["suspended"] and by_status["withdrawn"] and by_status["active"]
    assert sum(len(v) for v in by_status.values()) == expected["approve"]
    areas = {s["municipality_name"] for v in by_status.values() for s in v}
    # At this scale an area may have only one application, and it may be one of the rejected ones.
    assert len(areas) >= 36, sorted(areas)
    assert len({s.body["municipality_code"] for s in plan.stores}) == 39
    for status, decision in (("returned", "return"), ("rejected", "reject"), ("submitted", "wait")):
        listed = _all(stack, f"/applications?status={status}&limit=200", "screener")
        assert len(listed) == expected[decision] >= 1, status


def test_ten_approved_rounds_with_files_and_money_that_reconciles(seeded: tuple[Stack, str, str]) -> None:
    stack = seeded[0]
    status, imports = stack.request("GET", "/usage-imports", token="accountant")
    assert status == 200 and isinstance(imports, dict)
    points: dict[str, int] = {}
    for item in imports["items"]:
        assert item["status"] == "committed", item
        _, report = stack.request("GET", f"/usage-imports/{item['import_id']}", token="accountant")
        assert isinstance(report, dict)
        for month, value in (report.get("points_by_month") or {}).items():
            points[month] = points.get(month, 0) + int(value)
    previous_held = 0
    returned = 0
    for month in seed_year.MONTHS:
        status, r = stack.request("GET", f"/settlements/{month}", token="accountant")
        assert status == 200 and isinstance(r, dict), r
        assert r["status"] == "approved" and r["drafted_by"] == "accountant" and r["approved_by"] == "accountant2"
        # Every yen of the month's usage, adjustments and carries is either paid or held.
        assert r["total_amount"] + r["held_total"] == r["usage_total"] + r["adjustments_total"] + r["carried_in_total"]
        assert r["usage_total"] == points[month], month
        assert r["fee_base"] == r["usage_total"] + r["late_usage_total"] and 0 < r["fee"] < r["fee_base"]
        assert r["carried_in_total"] == previous_held, month  # what was held comes back the next round
        previous_held = r["held_total"]
        assert any(h["store_id"] == seed_year.UNKNOWN_STORE for h in r["held"])
        status, data = stack.request_bytes("GET", f"/settlements/{month}/transfer-file", token="accountant")
        assert status == 200
        parsed = parse_transfer_file(data)
        assert parsed.trailer_total == r["total_amount"] == sum(x.amount for x in parsed.records)
        assert len(parsed.records) == r["stores_paid"]
        returned += r["adjustments_total"] > 0
    assert returned >= 2  # the transfers the bank sent back, paid again the next round
    _, mail = stack.request("GET", "/mail", token="admin")
    assert isinstance(mail, dict)
    reports = [m for m in mail["items"] if "精算報告" in m["subject"]]
    assert len(reports) == len(seed_year.MONTHS)


def test_inquiries_with_escalations_daily_and_monthly_reports(seeded: tuple[Stack, str, str]) -> None:
    stack = seeded[0]
    escalated = _all(stack, "/inquiries?status=escalated&limit=200", "agent")
    assert escalated
    day = _all(stack, "/inquiries?date=2025-06-16&limit=200", "agent")
    assert day and all(i["received_at"].startswith("2025-06-16") for i in day)
    _, mail = stack.request("GET", "/mail", token="admin")
    assert isinstance(mail, dict)
    subjects = [m["subject"] for m in mail["items"]]
    daily = [s for s in subjects if "日次報告" in s]
    monthly = [s for s in subjects if "月次集計" in s]
    assert len(daily) > 200 and len(monthly) >= 10, (len(daily), len(monthly))


def test_sessions_held_with_surveys(seeded: tuple[Stack, str, str]) -> None:
    stack = seeded[0]
    status, sessions = stack.request("GET", "/sessions/list?from=2025-05-01&to=2026-02-28", token="coordinator")
    assert status == 200 and isinstance(sessions, list)
    assert len(sessions) == 46
    assert all(s["status"] == "held" for s in sessions)
    assert len({s["area_code"] for s in sessions}) == 39
