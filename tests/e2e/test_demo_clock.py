"""The local stack's demo clock (issue 15, point 1) on the real stack: started as `make run` starts it (no
DEMO_NOW), it runs inside the configured program year — a new inquiry during call-center hours is not 時間外
and `daily-report` delivers without anyone choosing a `now` — while a request's X-Miyapo-Now still wins.
A DEMO_NOW the stack cannot read stops the start with what to write instead.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.e2e.conftest import ROOT, STACK_LOG, Stack, start_stack
from tests.s3_form import post_form

pytestmark = pytest.mark.e2e

#: The default demo day of the FY2025 settings (chalicelib/clock.py default_demo_start).
DEMO_START = datetime.fromisoformat("2025-11-14T10:00:00+09:00")


@pytest.fixture(scope="module")
def demo_stack() -> Iterator[Stack]:
    """A stack of the module's own on the default demo clock (DEMO_NOW unset, as `make run`)."""
    yield from start_stack(STACK_LOG.with_name("test-stack-demo-clock.log"), demo_now="")


def _stack_now(stack: Stack) -> datetime:
    status, body = stack.request("GET", "/health")
    assert status == 200 and isinstance(body, dict), body
    return datetime.fromisoformat(body["now"])


def test_the_stack_runs_on_the_default_demo_day_and_says_so(demo_stack: Stack) -> None:
    now = _stack_now(demo_stack)
    # Started at 10:00 on the demo day and moving on with real time (the stack is a few seconds old).
    assert DEMO_START <= now < DEMO_START + timedelta(minutes=10), now
    assert _stack_now(demo_stack) >= now
    banner = demo_stack.log_path.read_text(encoding="utf-8", errors="replace")
    assert "デモの日時 (demo clock):       2025年11月14日(金) 10:00" in banner
    assert "DEMO_NOW=2025-10-15T10:00+09:00 make run" in banner and "DEMO_NOW=off make run" in banner


def test_a_request_s_pin_still_wins_over_the_demo_clock(demo_stack: Stack) -> None:
    status, body = demo_stack.request("GET", "/health", headers={"X-Miyapo-Now": "2025-06-02T10:00:00+09:00"})
    assert status == 200 and isinstance(body, dict) and body["now"] == "2025-06-02T10:00:00+09:00"


def test_a_new_inquiry_in_call_center_hours_is_not_outside_hours(demo_stack: Stack) -> None:
    received = _stack_now(demo_stack).isoformat(timespec="minutes")
    status, created = demo_stack.request("POST", "/inquiries", {
        "received_at": received, "channel": "phone", "caller_type": "resident", "category": "points_use",
        "summary": "ポイントが使える店舗を知りたい", "answer": "店舗検索の方法を案内", "status": "resolved",
    }, token="agent")
    assert status == 201 and isinstance(created, dict), created
    status, item = demo_stack.request("GET", f"/inquiries/{created['inquiry_id']}", token="agent")
    assert status == 200 and isinstance(item, dict), item
    assert item["outside_hours"] is False, item
    assert item["received_at"].startswith("2025-11-14T10:"), item


def test_daily_report_delivers_on_the_demo_clock_without_a_chosen_now(demo_stack: Stack) -> None:
    # An inquiry of the day before (logged late, as a callback noted on paper): Friday's report covers Thursday.
    status, created = demo_stack.request("POST", "/inquiries", {
        "received_at": "2025-11-13T15:00+09:00", "channel": "email", "caller_type": "store",
        "category": "store_payment", "summary": "振込日を知りたい", "answer": "振込予定日を案内",
        "status": "resolved",
    }, token="agent")
    assert status == 201, created
    status, report = demo_stack.request("POST", "/jobs/daily-report", token="agent")
    assert status == 200 and isinstance(report, dict), report
    assert report["now"].startswith("2025-11-14T10:"), report
    assert report["delivered"] == ["2025-11-14"], report
    assert report["files"] and all("2025-11-14" in f for f in report["files"]), report
    # Idempotent: run again on the same clock, nothing is delivered twice.
    status, again = demo_stack.request("POST", "/jobs/daily-report", token="agent")
    assert status == 200 and isinstance(again, dict) and again["delivered"] == [], again


def test_an_upload_is_imported_by_the_local_event_pump_on_the_demo_clock(demo_stack: Stack) -> None:
    """The local stand-in for S3 → EventBridge (scripts/local_events.py) imports at the stack's clock."""
    tag = uuid.uuid4().hex[:8].upper()
    # October 2025 usage of stores nobody registered: the file touches no round.
    data = ("取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n" + "".join(
        f"D{tag}{i:05d},2025-10-{1 + i % 28:02d} 09:30:00,MP97{i:04d},未登録店,{100 + i},利用\n"
        for i in range(20))).encode("utf-8")
    status, grant = demo_stack.request("POST", "/usage-imports/uploads",
                                       {"filename": "usage-2025-10.csv", "size": len(data)}, token="accountant")
    assert status == 201 and isinstance(grant, dict), grant
    status, _headers, body = post_form(grant, data, origin=demo_stack.base)
    assert status == 204, body
    deadline = time.monotonic() + 30
    while True:
        status, report = demo_stack.request("GET", f"/usage-imports/{grant['import_id']}", token="accountant")
        assert status == 200 and isinstance(report, dict), report
        if report["status"] in ("committed", "rejected") or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert report["status"] == "committed", report
    assert report["created_at"].startswith("2025-11-14T10:"), report  # the upload's request
    assert report["finished_at"].startswith("2025-11-14T10:"), report  # the pump's import


def test_a_day_outside_the_program_year_is_named_as_such() -> None:
    """A stack whose day is outside the program year (DEMO_NOW=off in late 2026, as in the issue; here DEMO_NOW
    names such a day, to be independent of the real date): the banner and the pages say why every inquiry is
    時間外 and no daily report comes."""
    for stack in start_stack(STACK_LOG.with_name("test-stack-demo-clock-outside.log"), demo_now="2026-11-30"):
        banner = stack.log_path.read_text(encoding="utf-8", errors="replace")
        assert "デモの日時 (demo clock):       2026年11月30日(月) 10:00" in banner
        assert "注意 (outside the program year): 2026年11月30日は事業年度" in banner
        assert "時間外" in banner
        status, page = stack.request("GET", "/console")
        assert status == 200 and isinstance(page, str)
        meta = re.search(r'<meta name="miyapo-clock" content="([^"]*)">', page)
        assert meta, page[:500]
        stated = json.loads(html.unescape(meta.group(1)))
        assert stated["source"] == "demo" and "事業年度（コールセンター開設期間 2025-04-01〜2026-03-25）の外" in stated["note"]


@pytest.mark.parametrize("value", ["tomorrow", "2025-10-15T10:00+25:00"])
def test_a_demo_now_the_stack_cannot_read_stops_the_start_with_what_to_write(value: str) -> None:
    env = {**os.environ, "DEMO_NOW": value, "AWS_PORT": "1", "APP_PORT": "1", "SEED": "0"}
    run = subprocess.run([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert f"DEMO_NOW={value!r}" in run.stderr and "DEMO_NOW=off" in run.stderr, run.stderr
    assert "READY" not in run.stdout and "starting the local AWS" not in run.stdout
