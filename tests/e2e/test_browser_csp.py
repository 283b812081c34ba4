"""The pages work under their Content-Security-Policy in a real browser (Chromium), and the browser
reports no violation: every inline <script>/<style> carries the response's nonce, no inline handler
or style attribute is left, and what the scripts build goes through addEventListener / the CSSOM.

Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Runs before the page's own scripts (injected by the DevTools protocol, which CSP does not govern).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " " + (e.sample || ""));
}, true);
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def watched(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A tab that records CSP violations (DOM events and console reports); none may occur."""
    tabs = open_page(browser)
    page = next(tabs)
    reports: list[str] = []

    def on_console(msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Refused to" in msg.text:
            reports.append(msg.text)

    page.on("console", on_console)
    page.add_init_script(WATCH)
    try:
        yield page, reports
        seen = reports + page.evaluate("window.__cspViolations || []")
    finally:
        next(tabs, None)  # closes the tab (and fails on JavaScript errors)
    assert not seen, f"CSP violations: {seen}"


def _no_violation_yet(page: Any, reports: list[str]) -> None:
    assert page.evaluate("window.__cspViolations") == [] and reports == []


def _csp_nonce(response: Any) -> str:
    csp = response.headers["content-security-policy"]
    return re.search(r"script-src 'self' 'nonce-([^']+)'", csp).group(1)


def test_the_application_form_works_under_its_csp(watched: tuple[Any, list[str]], stack: Stack) -> None:
    page, reports = watched
    expect = playwright_expect()
    response = page.goto(f"{stack.base}/apply")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    nonce = _csp_nonce(response)
    # The browser hides nonce attributes from the DOM (nonce hiding) but the property holds it.
    assert page.evaluate("Array.from(document.scripts).map(function (s) { return s.nonce; })") == [nonce]
    # The stylesheet applied (nonce on <style>), the classes that replaced style attributes too.
    assert page.evaluate("getComputedStyle(document.querySelector('.req.req-inline')).marginLeft") == "0px"
    assert page.evaluate("getComputedStyle(document.querySelector('#f-bank-account_type')).maxWidth") != "none"
    # The script runs: areas grouped into regions, the bank lookup fetches, validation shows.
    expect(page.locator("#f-municipality_code optgroup").first).to_be_attached()
    page.fill("#f-bank-bank_code", "0125")
    expect(page.locator("#f-bank-bank_code-name")).to_contain_text("七十七")
    page.click("#submit-btn")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary-list a").first).to_be_visible()
    _no_violation_yet(page, reports)


def test_the_correction_page_without_its_token_says_so(watched: tuple[Any, list[str]], stack: Stack) -> None:
    page, _ = watched
    expect = playwright_expect()
    page.goto(f"{stack.base}/apply/correct")
    expect(page.locator("#link-problem")).to_be_visible()
    expect(page.locator("#link-problem-title")).to_contain_text("正しくありません")
    expect(page.locator("#link-new")).to_have_attribute("href", "/apply")


def test_the_console_login_and_pages_work_under_their_csp(watched: tuple[Any, list[str]], stack: Stack) -> None:
    page, reports = watched
    expect = playwright_expect()
    response = page.goto(f"{stack.base}/console/login")
    assert response.headers["referrer-policy"] == "no-referrer"
    # Built by the page script with a `style` (applied through the CSSOM, which CSP allows).
    hint = page.locator("#sign-in-hint")
    expect(hint).to_contain_text("デモ利用者を選ぶ画面")
    assert hint.evaluate("e => getComputedStyle(e).marginTop") == "10px"
    expect(page.locator("#demo")).to_be_visible()  # the local demo users came from the API
    page.goto(f"{stack.base}/console/login?as=screener")
    page.wait_for_url(re.compile(r"/console(\?.*)?$"))
    expect(page.locator("#who")).to_contain_text("screener")
    expect(page.locator("#logout")).to_be_visible()
    _no_violation_yet(page, reports)
    page.goto(f"{stack.base}/console/login?as=agent")
    page.wait_for_url(re.compile(r"/console(\?.*)?$"))
    expect(page.locator("#who")).to_contain_text("agent")
    page.goto(f"{stack.base}/console/inquiries")
    expect(page.locator("#who")).to_contain_text("agent")
    expect(page.locator("#f-received")).not_to_have_value("")
