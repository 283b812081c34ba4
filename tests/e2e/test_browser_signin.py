"""Staff sign in like staff, in Chromium against the real local stack: the console's own sign-in code
(authorization code + PKCE through the local stand-in for Cognito's hosted login), not a shortcut.

- a deep link (the escalation mail's `/console/inquiries?id=…`) opened while signed out goes through
  the hosted login's page and lands back on that very link;
- a second tab is signed in already; logout in one tab shows the login in every tab (and ends the
  hosted login's session through its /logout);
- an idle session ends in every tab, activity in any tab keeps it; an expired token ends it;
- the return path never leaves the console; a callback this tab did not start is refused;
- no token ever appears in a URL.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.observability import JWT_SHAPE
from tests.e2e.browser_support import TIMEOUT_MS, launch_browser, playwright_expect
from tests.e2e.conftest import Stack
from tests.integration.inquiry_support import inquiry_body

pytestmark = pytest.mark.e2e

AUTHORIZE = re.compile(r"/dev/oauth2/authorize\?")
SESSION_KEY = "miyapo.console.token"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


class Tabs:
    """One browser profile (shared localStorage) with as many tabs as a test opens."""

    def __init__(self, browser: Any) -> None:
        self.ctx = browser.new_context(locale="ja-JP", viewport={"width": 1100, "height": 900})
        self.ctx.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.ctx.on("request", lambda request: self.urls.append(request.url))

    def open(self) -> Any:
        tab = self.ctx.new_page()
        tab.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return tab


@pytest.fixture
def tabs(browser: Any) -> Iterator[Tabs]:
    t = Tabs(browser)
    try:
        yield t
    finally:
        t.ctx.close()
    assert not t.errors, f"JavaScript errors on the page: {t.errors}"
    assert not [u for u in t.urls if JWT_SHAPE.search(u)], "a token went into a URL"


def _logged_inquiry(stack: Stack) -> str:
    status, answer = stack.request("POST", "/inquiries", inquiry_body("2025-07-02T09:30:00+09:00"), token="agent",
                                   headers={"X-Miyapo-Now": "2025-07-02T09:35:00+09:00"})
    assert status == 201, answer
    return str(answer["inquiry_id"])


def _session(tab: Any) -> Any:
    return tab.evaluate("key => localStorage.getItem(key)", SESSION_KEY)


def test_a_deep_link_signs_in_once_for_every_tab_and_logout_ends_it_everywhere(tabs: Tabs, stack: Stack) -> None:
    expect = playwright_expect()
    inquiry_id = _logged_inquiry(stack)
    deep = f"{stack.base}/console/inquiries?id={inquiry_id}"

    # Signed out, the link from the mail leads to the hosted login (here its local stand-in) ...
    first = tabs.open()
    first.goto(deep)
    first.wait_for_url(AUTHORIZE)
    request = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(first.url).query))
    assert request["response_type"] == "code" and request["code_challenge_method"] == "S256"
    assert len(request["code_challenge"]) == 43 and request["state"]
    assert request["redirect_uri"] == f"{stack.base}/console/login"
    expect(first.locator("h1")).to_have_text("ログイン")
    expect(first.locator("main")).to_contain_text("デモ利用者を選んでください")
    # ... and, once signed in, back to the very page it asked for.
    first.locator("button[data-user=agent]").click()
    first.wait_for_url(deep)
    expect(first.locator("#who")).to_contain_text("agent")
    expect(first.locator("#detail-body")).to_contain_text(inquiry_id)
    assert any(u.endswith("/auth/token") for u in tabs.urls)  # the code was redeemed by the console's API

    # A second tab is signed in already: no second trip to the hosted login.
    sign_ins = sum(1 for u in tabs.urls if AUTHORIZE.search(u))
    second = tabs.open()
    second.goto(f"{stack.base}/console/stores")
    expect(second.locator("#who")).to_contain_text("agent")
    assert sum(1 for u in tabs.urls if AUTHORIZE.search(u)) == sign_ins

    # Logout in the second tab: it goes through the hosted login's /logout, and the first tab shows the login.
    second.locator("#logout").click()
    expect(second.locator("#ended")).to_have_text("ログアウトしました。")
    assert second.url == f"{stack.base}/console/login"
    assert any("/dev/logout?" in u for u in tabs.urls)
    first.wait_for_url(re.compile(r"/console/login\?ended=logout"))
    expect(first.locator("#ended")).to_have_text("ログアウトしました。")
    assert _session(first) is None

    # Signing in again in the second tab brings the first back to where it was.
    second.goto(f"{stack.base}/console/login?as=agent")
    second.wait_for_url(re.compile(r"/console/inquiries$"))
    first.wait_for_url(deep)
    expect(first.locator("#detail-body")).to_contain_text(inquiry_id)

    # Logout from the agent screen ends it everywhere, too; the deep link then asks to sign in again.
    first.locator("#logout").click()
    expect(first.locator("#ended")).to_have_text("ログアウトしました。")
    second.wait_for_url(re.compile(r"/console/login\?ended=logout"))
    first.goto(deep)
    first.wait_for_url(AUTHORIZE)


def test_an_idle_session_ends_in_every_tab_while_activity_in_any_tab_keeps_it(tabs: Tabs, stack: Stack) -> None:
    expect = playwright_expect()
    page = tabs.open()
    # A short idle limit for the test (honoured by the local stage only; the default is AUTH_IDLE_MINUTES).
    page.goto(f"{stack.base}/console/login")
    page.evaluate("() => localStorage.setItem('miyapo_idle_seconds', '4')")
    page.goto(f"{stack.base}/console/login?as=screener")
    page.wait_for_url(re.compile(r"/console$"))
    expect(page.locator("#who")).to_contain_text("screener")
    other = tabs.open()
    other.goto(f"{stack.base}/console/stores")
    expect(other.locator("#who")).to_contain_text("screener")

    # Typing in one tab for longer than the limit keeps both tabs signed in.
    for _ in range(8):
        page.keyboard.press("Shift")
        page.wait_for_timeout(750)
    assert other.url == f"{stack.base}/console/stores" and _session(other) is not None

    # Then nobody touches anything: both tabs end on the login page, saying why.
    for tab in (page, other):
        expect(tab.locator("#ended")).to_have_text("操作がない状態が続いたため、ログアウトしました。", timeout=20_000)
    assert _session(page) is None
    assert any("/dev/logout?" in u for u in tabs.urls)  # the hosted login's session ends too


def test_an_expired_token_ends_the_session(tabs: Tabs, stack: Stack) -> None:
    expect = playwright_expect()
    page = tabs.open()
    # The prefecture lands on the overview (/console, then /console/overview): wait for where it settles.
    page.goto(f"{stack.base}/console/login?as=prefecture")
    page.wait_for_url(re.compile(r"/console/overview$"))
    expect(page.locator("#who")).to_contain_text("prefecture")
    page.evaluate("""key => {
      const s = JSON.parse(localStorage.getItem(key));
      s.exp = Date.now() - 1000;
      localStorage.setItem(key, JSON.stringify(s));
    }""", SESSION_KEY)
    page.wait_for_url(re.compile(r"/console/login\?ended=expired"))
    expect(page.locator("#ended")).to_contain_text("有効期限が切れました")
    assert _session(page) is None


def test_the_return_path_never_leaves_the_console(tabs: Tabs, stack: Stack) -> None:
    page = tabs.open()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example/x", "/console/../apply",
                   "javascript:alert(1)", "/console/login?as=screener", "/%2F%2Fevil.example"):
        page.goto(f"{stack.base}/console/login?as=admin&next={urllib.parse.quote(target, safe='')}")
        page.wait_for_url(re.compile(r"/console(\?.*)?$"))
        assert page.url == f"{stack.base}/console", (target, page.url)
    page.goto(f"{stack.base}/console/login?as=admin&next={urllib.parse.quote('/console/audit?date=2025-07-01')}")
    page.wait_for_url(f"{stack.base}/console/audit?date=2025-07-01")


def test_a_callback_this_tab_did_not_start_or_a_cancelled_sign_in_signs_nobody_in(tabs: Tabs, stack: Stack) -> None:
    expect = playwright_expect()
    page = tabs.open()
    page.goto(f"{stack.base}/console/login?next=/console/stores")
    page.wait_for_url(AUTHORIZE)
    # Someone else's state (another nonce, another return path): the code comes back but is not redeemed.
    parts = urllib.parse.urlsplit(page.url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["state"] = "forged-nonce.L2NvbnNvbGUvYXVkaXQ"
    page.goto(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
    page.locator("button[data-user=admin]").click()
    expect(page.locator("#login-error")).to_contain_text("ログインの確認に失敗しました")
    assert page.url == f"{stack.base}/console/login"  # the code left the address bar
    assert _session(page) is None
    assert not any(u.endswith("/auth/token") for u in tabs.urls)

    # Cancel on the hosted login's page.
    page.locator("#sign-in").click()
    page.wait_for_url(AUTHORIZE)
    page.locator("#cancel").click()
    expect(page.locator("#login-error")).to_have_text("ログインを取り消しました。")
    assert _session(page) is None
