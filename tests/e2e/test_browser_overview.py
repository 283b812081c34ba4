"""The prefecture's overview (issue 12 point 1) in a real browser (Chromium) against the local stack: the
prefecture signs in, lands on the overview, sees the server-drawn charts, opens a chart's numbers, then
the funds ledger and the report library. Screenshot at 1366×768: .local/screenshots/overview.png.
Skipped locally without Chromium, a failure in CI (tests/e2e/browser_support.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import SCREENSHOTS, launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import application_body, approve_body

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

NOW = "2025-08-05T10:00:00+09:00"
CHARTS = ("usage", "cumulative", "stores-status", "stores-area", "inquiries-daily", "inquiries-monthly",
          "inquiries-category", "escalations", "sessions-area")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


AREAS = {"041017": "仙台市青葉区", "041033": "仙台市若林区", "042021": "石巻市", "042056": "気仙沼市",
         "042153": "大崎市", "042064": "白石市"}
HEADER = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"


def _stores(stack: Stack) -> list[str]:
    ids = []
    for i, (code, name) in enumerate(list(AREAS.items()) * 2):
        # Approved before June: June's usage of a store approved later is held as usage before its approval.
        before_june = {"X-Miyapo-Now": "2025-05-20T10:00:00+09:00"}
        status, answer = stack.request("POST", "/applications", application_body(
            municipality_code=code, address=f"{name}中央{i + 1}-2-3"), headers=before_june)
        assert status == 201, answer
        status, decided = stack.request("POST", f"/applications/{answer['application_id']}/decision", approve_body(),
                                        token="screener", headers=before_june)
        assert status == 200, decided
        ids.append(decided["store_id"])
    return ids


def _settle(stack: Stack, stores: list[str], month: str, now: str, approve: bool) -> None:
    rows = "".join(f"T{month}{i:04d},{month}-15 10:00:00,{sid},店,{(i + 1) * (61_728 if month == "2025-06" else 83_001)},利用\n" for i, sid in enumerate(stores))
    status, answer = stack.request_bytes("POST", "/usage-imports", (HEADER + rows).encode(), token="accountant",
                                         headers={"Content-Type": "text/csv", "X-Miyapo-Now": now})
    assert status == 201, answer
    status, answer = stack.request("POST", f"/settlements/{month}/draft", {}, token="accountant",
                                   headers={"X-Miyapo-Now": now})
    assert status == 200, answer
    if approve:
        status, answer = stack.request("POST", f"/settlements/{month}/approve", {}, token="accountant2",
                                       headers={"X-Miyapo-Now": now})
        assert status == 200, answer


def _log_calls(stack: Stack) -> None:
    for day, category in (("2025-08-01", "points_use"), ("2025-08-01", "app"), ("2025-08-03", "store_payment"),
                          ("2025-08-04", "points_use"), ("2025-08-04", "points_use"), ("2025-08-05", "sessions")):
        status, answer = stack.request("POST", "/inquiries", {
            "received_at": f"{day}T10:00:00+09:00", "channel": "phone", "caller_type": "resident",
            "category": category, "summary": "使えるお店を知りたい", "answer": "一覧を案内した", "status": "resolved",
        }, token="agent", headers={"X-Miyapo-Now": NOW})
        assert status == 201, answer


def test_the_prefecture_lands_on_the_overview_and_reads_its_charts_and_numbers(browser: Any, own_stack: Stack) -> None:
    expect = playwright_expect()
    stack = own_stack
    stores = _stores(stack)
    _settle(stack, stores, "2025-06", "2025-07-02T10:00:00+09:00", approve=True)
    _settle(stack, stores[:8], "2025-07", "2025-08-04T10:00:00+09:00", approve=False)
    _log_calls(stack)
    for tab in open_page(browser, width=1366):
        tab.set_viewport_size({"width": 1366, "height": 768})
        tab.goto(f"{stack.base}/console/login")
        tab.evaluate("now => sessionStorage.setItem('miyapo_now', now)", NOW)
        tab.goto(f"{stack.base}/console/login?as=prefecture&next=/console")
        tab.wait_for_url(re.compile(r"/console/overview$"))
        expect(tab.locator("h1")).to_have_text("概況")
        expect(tab.locator("#nav a[aria-current=page]")).to_have_text("概況")
        for name in CHARTS:
            img = tab.locator(f"#chart-{name} img.chart-img")
            expect(img).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        # every image has loaded and is drawn (not broken): natural width of the SVG's viewBox
        widths = tab.eval_on_selector_all("img.chart-img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
        assert widths == [640] * len(CHARTS)
        expect(tab.locator("#overview-stats")).to_contain_text("累計のポイント利用")
        expect(tab.locator("#overview-stats")).to_contain_text("443,750,000")
        expect(tab.locator("#overview-stats")).to_contain_text("12 店")
        # no horizontal scrolling at 1366 wide
        assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        tab.screenshot(path=str(SCREENSHOTS / "overview.png"))  # the first screen, 1366×768
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

        daily = tab.locator("#chart-inquiries-daily details")
        daily.locator("summary").click()
        table = tab.locator("#inquiries-daily-table")
        expect(table).to_be_visible()
        expect(table.locator("tbody tr")).to_have_count(31)
        expect(table.locator("tbody tr", has_text="2025-08-01")).to_contain_text("2")
        tab.locator("#chart-stores-area details summary").click()
        expect(tab.locator("#stores-area-table tbody tr")).to_have_count(39)
        screenshot(tab, "overview-full.png")

        tab.locator("a", has_text="報告ファイル一覧").click()
        tab.wait_for_url(re.compile(r"/console/reports$"))
        expect(tab.locator("h1")).to_have_text("県への報告ファイル")
        expect(tab.locator("#report-files tbody tr[data-kind=settlements]")).to_have_count(3)
        tab.goto(f"{stack.base}/console/funds")
        expect(tab.locator("h1")).to_have_text("ポイント原資の台帳")
        expect(tab.locator("#ledger-table tbody tr")).to_have_count(2)
        screenshot(tab, "overview-funds.png")
        # 審査キュー is still the queue once landed
        tab.locator("#nav a", has_text="審査キュー").click()
        tab.wait_for_url(re.compile(r"/console$"))
        expect(tab.locator("h1")).not_to_have_text("概況")


def test_the_audit_log_reads_in_japanese_with_fields_and_finds_a_store_by_name(browser: Any, own_stack: Stack) -> None:
    """Issue 12 point 10 (the audit log part); runs after the test above, on the same stack."""
    expect = playwright_expect()
    for tab in open_page(browser, width=1366):
        tab.goto(f"{own_stack.base}/console/login")
        tab.evaluate("now => sessionStorage.setItem('miyapo_now', now)", NOW)
        tab.goto(f"{own_stack.base}/console/login?as=admin&next=/console/audit")
        tab.wait_for_url(re.compile(r"/console/audit$"))
        tab.fill("#audit-q", "テスト商店")
        tab.locator("form[role=search] button[type=submit]").click()
        tab.wait_for_url(re.compile(r"/console/audit\?"))
        rows = tab.locator("#audit tbody tr[data-action='application.approve']")
        expect(rows.first).to_be_visible()
        expect(rows.first.locator("td.audit-action")).to_have_text("申込の承認")
        expect(tab.locator("#audit .detail-json")).to_have_count(0)
        # the sign-ins of the day, by actor, with their details as fields
        tab.goto(f"{own_stack.base}/console/audit?date=2025-08-05&actor=prefecture")
        expect(tab.locator("#audit-count")).to_contain_text("担当者 prefecture")
        screenshot(tab, "audit-readable.png")
