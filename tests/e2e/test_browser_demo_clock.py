"""The demo clock's banner and control (issue 15, point 1) in a real browser (Chromium) against a local stack
started as `make run` starts it (no DEMO_NOW: the program year's default demo day, Fri 2025-11-14 10:00 JST).

The banner above the console's pages says which day it is and how to change it; its control pins this tab's
clock (the same sessionStorage pin the X-Miyapo-Now header carries), and the screens follow: the call
center's 受付日時 and day list, the settlement screen's month. The pin can be lifted back to the demo clock
or set to the real time.

Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from chalicelib.clock import JST
from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import STACK_LOG, Stack, start_stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def demo_stack() -> Iterator[Stack]:
    yield from start_stack(STACK_LOG.with_name("test-stack-browser-demo-clock.log"), demo_now="")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, width=1366)


def _sign_in(page: Any, stack: Stack, user: str, lands_on: str) -> None:
    page.goto(f"{stack.base}/console/login?as={user}")
    page.wait_for_url(re.compile(lands_on))


def _pin(page: Any, value: str) -> None:
    """Type a time into the banner's control and press 設定 (the page reloads with it)."""
    page.fill("#demo-clock-input", value)
    with page.expect_navigation():
        page.click("#demo-clock-set")


def test_the_banner_says_the_demo_day_and_the_call_center_screen_follows_the_control(page: Any,
                                                                                      demo_stack: Stack) -> None:
    expect = playwright_expect()
    _sign_in(page, demo_stack, "agent", r"/console/inquiries$")
    banner = page.locator("#demo-clock")
    expect(banner).to_contain_text("デモの日時: 2025年11月14日(金) 10:0")
    expect(banner).to_contain_text("2025年11月14日(金) 10:00 から実時間で進みます")
    expect(banner).to_contain_text("DEMO_NOW=2025-10-15T10:00+09:00 make run")
    expect(banner).to_contain_text("DEMO_NOW=off")
    # The form and the day's list follow the stack's demo clock, not the machine's date.
    expect(page.locator("#f-received")).to_have_value(re.compile(r"^2025-11-14T10:0\d$"))
    expect(page.locator("#list-caption")).to_contain_text("2025-11-14 の受付")
    expect(page.locator("#demo-clock-stack")).to_have_count(0)  # nothing pinned yet
    screenshot(page, "demo-clock-inquiries.png")

    # The control pins this tab: a Wednesday afternoon in October.
    _pin(page, "2025-10-15T14:00")
    expect(page.locator("#demo-clock-day")).to_have_text("2025年10月15日(水) 14:00")
    expect(banner).to_contain_text("この画面の日時（固定）")
    expect(page.locator("#pinned-clock")).to_contain_text("10/15 14:00")
    expect(page.locator("#f-received")).to_have_value("2025-10-15T14:00")
    expect(page.locator("#list-caption")).to_contain_text("2025-10-15 の受付")
    assert page.evaluate("sessionStorage.getItem('miyapo_now')") == "2025-10-15T14:00:00+09:00"

    # An inquiry logged now is stored at the pinned time by the server (the header went with it).
    page.fill("#f-summary", "ポイントの有効期限を知りたい")
    page.fill("#f-answer", "有効期限を案内した")
    page.select_option("#f-category", index=1)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#flash")).to_contain_text("を登録しました")
    expect(page.locator("#list-caption")).to_contain_text("2025-10-15 の受付：1件")
    status, listed = demo_stack.request("GET", "/inquiries?date=2025-10-15", token="agent")
    assert status == 200 and isinstance(listed, dict), listed
    assert [item["received_at"][:16] for item in listed["items"]] == ["2025-10-15T14:00"], listed

    # Lifting the pin goes back to the stack's demo clock.
    with page.expect_navigation():
        page.click("#demo-clock-stack")
    expect(page.locator("#demo-clock-day")).to_contain_text("2025年11月14日(金) 10:0")
    expect(page.locator("#f-received")).to_have_value(re.compile(r"^2025-11-14T10:0\d$"))
    expect(page.locator("#pinned-clock")).to_have_count(0)


def test_the_settlement_screen_opens_on_the_month_the_clock_says(page: Any, demo_stack: Stack) -> None:
    expect = playwright_expect()
    page.goto(f"{demo_stack.base}/console/login?as=accountant&next=%2Fconsole%2Fsettlements")
    page.wait_for_url(re.compile(r"/console/settlements$"))
    heading = page.locator("h1")
    # On the demo day (14 November 2025) the month to settle is October 2025.
    expect(heading).to_contain_text("精算 2025年10月分")
    expect(page.locator("#month")).to_have_value("2025-10")

    _pin(page, "2025-07-02T10:00")
    expect(heading).to_contain_text("精算 2025年6月分")

    # 実時間に戻す: this tab on the real clock, while the stack stays on its demo clock.
    with page.expect_navigation():
        page.click("#demo-clock-real")
    real = datetime.now(JST)
    previous = f"{real.year}-{real.month - 1:02d}" if real.month > 1 else f"{real.year - 1}-12"
    expect(page.locator("#month")).to_have_value(previous)
    expect(page.locator("#demo-clock")).to_contain_text("このタブだけ実時間です")
    expect(page.locator("#demo-clock-day")).to_contain_text(f"{real.year}年{real.month}月{real.day}日")
    status, health = demo_stack.request("GET", "/health")
    assert status == 200 and isinstance(health, dict) and health["now"].startswith("2025-11-14T10:"), health

    with page.expect_navigation():
        page.click("#demo-clock-stack")
    expect(heading).to_contain_text("精算 2025年10月分")
    screenshot(page, "demo-clock-settlements.png")


def test_the_control_refuses_an_empty_time(page: Any, demo_stack: Stack) -> None:
    expect = playwright_expect()
    _sign_in(page, demo_stack, "agent", r"/console/inquiries$")
    page.fill("#demo-clock-input", "")
    page.click("#demo-clock-set")
    expect(page.locator("#demo-clock-problem")).to_have_text("日付と時刻を入力してください")
    assert page.evaluate("sessionStorage.getItem('miyapo_now')") is None
    expect(page.locator("#demo-clock-day")).to_contain_text("2025年11月14日(金)")
