"""Help when a store calls, in a real browser (Chromium) against the local stack (issue 11 points 2 and 5):
an agent finds a store by its name on the call-center screen, sees its payments (a paid June round) with the
bank account masked, prefills the inquiry form for the store and enters a change request; a screener
approves it from the console's store list, and the store holds the new address.

Runs on a stack of its own (`own_stack`): it drafts and approves the June round.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import application_body, approve_body

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

JULY_2 = {"X-Miyapo-Now": "2025-07-02T10:00:00+09:00"}
NEW_ADDRESS = "仙台市青葉区一番町4-4-4"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


def call(stack: Stack, method: str, path: str, body: object | None = None, token: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """The stack's answer, as JSON of any shape (the tests look into it)."""
    return stack.request(method, path, body, token=token, headers=headers)


def _paid_store(stack: Stack) -> tuple[str, str]:
    name = f"ひかり文具店{uuid.uuid4().hex[:4]}"
    # Approved before June: June's usage of a store approved later is held as usage before its approval.
    before_june = {"X-Miyapo-Now": "2025-05-20T10:00:00+09:00"}
    status, created = call(stack, "POST", "/applications", application_body(
        store_name=name, store_name_kana="ヒカリブングテン", client_token=uuid.uuid4().hex), headers=before_june)
    assert status == 201, created
    status, decided = call(stack, "POST", f"/applications/{created['application_id']}/decision", approve_body(),
                                    token="screener", headers=before_june)
    assert status == 200, decided
    store_id = str(decided["store_id"])
    csv = ("取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"
           f"B{uuid.uuid4().hex[:8]},2025-06-10 10:00:00,{store_id},{name},1500,利用\n").encode()
    status, answer = stack.request_bytes("POST", "/usage-imports", csv, token="accountant",
                                         headers={"Content-Type": "text/csv"})
    assert status == 201, answer
    status, drafted = call(stack, "POST", "/settlements/2025-06/draft", {}, token="accountant", headers=JULY_2)
    assert status == 200, drafted
    status, approved = call(stack, "POST", "/settlements/2025-06/approve", {}, token="accountant2", headers=JULY_2)
    assert status == 200, approved
    return store_id, name


def _login_as(page: Any, stack: Stack, user: str, landing: str) -> None:
    page.goto(f"{stack.base}/console/login?as={user}")
    page.wait_for_url(re.compile(landing))
    playwright_expect()(page.locator("#who")).to_contain_text(user)


def test_an_agent_looks_up_a_store_sees_payments_and_starts_a_change_a_screener_approves(
        browser: Any, own_stack: Stack) -> None:
    expect = playwright_expect()
    stack = own_stack
    store_id, name = _paid_store(stack)

    for page in open_page(browser, width=1366):
        _login_as(page, stack, "agent", r"/console/inquiries$")
        page.fill("#help-q", name)
        page.locator("#help-search button[type=submit]").click()
        panel = page.locator("#store-panel")
        expect(panel).to_contain_text(store_id)
        payments = page.locator("#help-payments")
        expect(payments).to_contain_text("2025年6月分")
        expect(payments).to_contain_text("1,500円")
        expect(payments).to_contain_text("支払済み")
        expect(payments).to_contain_text("2025/07/18")
        expect(panel).to_contain_text("****")  # the account number, masked for an agent
        # the inquiry form, prefilled for a call from this store
        page.locator("#help-log").click()
        expect(page.locator("#f-store")).to_have_value(store_id)
        expect(page.locator('#f-caller_type input[value="store"]')).to_be_checked()
        expect(page.locator("#store-name")).to_contain_text(name)
        # a change request: a bad postal code first (the application's message), then the address
        page.locator("#help-change").click()
        page.select_option("#cr-field", "postal_code")
        page.fill("#cr-value", "12")
        page.fill("#cr-reason", "電話で移転の連絡")
        page.locator("#cr-send").click()
        expect(page.locator("#change-request-form .problem")).to_contain_text("郵便番号は7桁")
        page.select_option("#cr-field", "address")
        page.fill("#cr-value", NEW_ADDRESS)
        page.locator("#cr-send").click()
        expect(page.locator("#flash")).to_contain_text("変更申請 CR")
        expect(page.locator("#help-requests")).to_contain_text("住所")
        screenshot(page, "store-help-agent.png")

    for page in open_page(browser, width=1366, accept_dialogs=True):
        _login_as(page, stack, "screener", r"/console$")
        page.goto(f"{stack.base}/console/stores")
        page.fill("#store-id", name)  # the store list's search: by name
        page.locator("#store-id").press("Enter")
        expect(page.locator("#stores")).to_contain_text(store_id)
        card = page.locator("#change-requests article.change-request", has_text=store_id)
        expect(card).to_contain_text(NEW_ADDRESS)
        card.locator("button[data-action=approve]").click()
        expect(page.locator("#flash")).to_contain_text("承認し、店舗に反映しました")
        screenshot(page, "store-help-screener.png")

    status, store = call(stack, "GET", f"/stores/{store_id}", token="screener")
    assert status == 200 and isinstance(store, dict) and store["address"] == NEW_ADDRESS


def test_the_store_asks_for_a_change_through_its_mailed_link(browser: Any, own_stack: Stack) -> None:
    expect = playwright_expect()
    stack = own_stack
    status, created = call(stack, "POST", "/applications", application_body(client_token=uuid.uuid4().hex))
    assert status == 201, created
    status, decided = call(stack, "POST", f"/applications/{created['application_id']}/decision", approve_body(),
                                    token="screener")
    assert status == 200, decided
    store_id = decided["store_id"]
    status, sent = call(stack, "POST", f"/stores/{store_id}/change-link", token="agent")
    assert status == 200, sent
    status, mail = call(stack, "GET", "/mail", token="admin")
    assert status == 200 and isinstance(mail, dict)
    body = next(m["body"] for m in mail["items"] if "登録内容の変更のお手続き" in m["subject"] and store_id in m["subject"])
    link = body.split("http", 1)[1].split()[0]
    fragment = link.split("#", 1)[1]

    for page in open_page(browser):
        page.goto(f"{stack.base}/store-change#{fragment}")
        expect(page.locator("#store-id")).to_have_text(store_id)
        assert "#t=" not in page.url  # the token leaves the address bar
        page.check("#use-phone")
        page.fill("#f-phone", "12")
        page.fill("#reason", "電話番号が変わりました")
        page.locator("#change-form button[type=submit]").click()
        expect(page.locator("#err-phone")).to_contain_text("電話番号")
        page.fill("#f-phone", "022-377-9911")
        page.locator("#change-form button[type=submit]").click()
        expect(page.locator("#result")).to_contain_text("受付番号 CR")

    status, listed = call(stack, "GET", f"/stores/{store_id}/change-requests", token="screener")
    assert status == 200 and isinstance(listed, dict)
    assert listed["items"][0]["source"] == "store" and listed["items"][0]["status"] == "open"
