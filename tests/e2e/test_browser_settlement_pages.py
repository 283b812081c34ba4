"""The settlement screen reads a round's lines a page at a time (issue 14 point 2): a round of more lines than
one page shows the first 50, 「もっと見る」 adds the next ones, and the totals row is the round's own totals
(every line), not the sum of the rows shown.

Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

MONTH = "2025-09"
OCTOBER_2 = "2025-10-02T10:00:00+09:00"
STORES = 57  # more than one page of 50


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, accept_dialogs=True)


def _drafted_round(stack: Stack) -> dict[str, Any]:
    """A round of STORES lines: usage of stores the master does not know, each held as unknown_store."""
    run = uuid.uuid4().hex[:8]
    rows = ["取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分"]
    rows += [f"P{run}{i:04d},{MONTH}-{1 + i % 28:02d} 12:00:00,MP97{i:04d},未登録店,{100 + i},利用"
             for i in range(STORES)]
    status, imported = stack.request_bytes("POST", "/usage-imports", ("\r\n".join(rows) + "\r\n").encode("utf-8"),
                                           token="accountant", headers={"Content-Type": "text/csv"})
    assert status == 201, imported
    status, round_ = stack.request("POST", f"/settlements/{MONTH}/draft", {}, token="accountant",
                                   headers={"X-Miyapo-Now": OCTOBER_2})
    assert status == 200, round_
    status, round_ = stack.request("GET", f"/settlements/{MONTH}", token="accountant")
    assert status == 200 and isinstance(round_, dict), round_
    return round_


def test_the_lines_are_read_a_page_at_a_time_and_the_totals_are_the_round_s(page: Any, own_stack: Stack) -> None:
    expect = playwright_expect()
    stack = own_stack
    round_ = _drafted_round(stack)
    count = round_["stores_paid"] + len(round_["held"])
    assert count == STORES and round_["usage_total"] == sum(100 + i for i in range(STORES)), round_

    # Signed in straight onto the round's page (waiting for "/console/" alone matches the login page itself).
    target = f"/console/settlements?month={MONTH}"
    page.goto(f"{stack.base}/console/login?as=accountant&next={quote(target, safe='')}")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    expect(page.locator("#who")).to_contain_text("accountant")
    expect(page.locator("h1")).to_contain_text("2025年9月分")
    rows = page.locator("#lines tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#lines-h")).to_contain_text(f"{STORES}店舗")
    expect(page.locator("#lines-shown")).to_contain_text(f"{STORES}店舗中 50店舗")
    # The totals row: the round's totals over every line, while only 50 rows are on the screen.
    foot = page.locator("#lines tfoot tr td")
    expect(foot.nth(0)).to_have_text(f"{round_['usage_total']:,}")
    expect(foot.nth(4)).to_have_text(f"{round_['held_total']:,}")
    expect(page.locator("#lines tr[data-store='MP970000']")).to_contain_text("店舗マスタにありません")
    expect(page.locator(f"#lines tr[data-store='MP97{STORES - 1:04d}']")).to_have_count(0)

    page.click("#more-lines")
    expect(rows).to_have_count(STORES)
    expect(page.locator(f"#lines tr[data-store='MP97{STORES - 1:04d}']")).to_contain_text("店舗が登録されていません")
    expect(page.locator("#lines-shown")).to_contain_text(f"{STORES}店舗中 {STORES}店舗")
    expect(page.locator("#more-lines")).to_be_hidden()
    # In store order, each store once.
    shown = page.locator("#lines tbody tr").evaluate_all("rows => rows.map(r => r.dataset.store)")
    assert shown == [f"MP97{i:04d}" for i in range(STORES)]
