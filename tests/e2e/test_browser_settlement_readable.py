"""Issue 12 point 10 in a real browser (Chromium) against a local stack of its own: the settlement screen is
readable — store names beside the ids, hold reasons in Japanese, the fee's base, rate and rounding and the
operator's transfer cost — and the accountant who drafted the round sees why they cannot approve it (the
button disabled, the reason beside it) while a second accountant sees it enabled and approves.

A stack of its own (`own_stack`): June 2025 must be the next round to draft, whatever else ran before.
Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.settlement.rounds import HOLD_REASONS
from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import application_body, approve_body

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

JULY_2 = "2025-07-02T10:00:00+09:00"
MAY_20 = "2025-05-20T10:00:00+09:00"
AUG_4 = "2025-08-04T10:00:00+09:00"
UNKNOWN = "MP999997"
SELF_INVOLVED = "この精算回の作成・修正に関わったため承認できません。別の経理担当者が承認します"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, accept_dialogs=True)


@pytest.fixture
def prompting_page(browser: Any) -> Iterator[Any]:
    """A tab whose dialogs the test answers itself (a prompt's text)."""
    yield from open_page(browser)


def _store(stack: Stack, name: str) -> str:
    """A store approved before June (usage dated before a store's approval is held, not paid)."""
    before_june = {"X-Miyapo-Now": MAY_20}
    status, created = stack.request("POST", "/applications", application_body(store_name=name,
                                                                              client_token=uuid.uuid4().hex),
                                    headers=before_june)
    assert status == 201 and isinstance(created, dict), created
    status, decided = stack.request("POST", f"/applications/{created['application_id']}/decision", approve_body(),
                                    token="screener", headers=before_june)
    assert status == 200 and isinstance(decided, dict), decided
    return str(decided["store_id"])


def _drafted_june(stack: Stack) -> tuple[str, str, dict[str, Any]]:
    """Two named stores and one the master does not know, June's usage, the round drafted by `accountant`."""
    a, b = sorted([_store(stack, "読みやすさ試験商店"), _store(stack, "みやぎ読みやすさ食堂")])
    run = uuid.uuid4().hex[:8]
    rows = ["取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分",
            f"R{run}-1,2025-06-03 10:00:00,{a},x,1500,利用",
            f"R{run}-2,2025-06-10 12:30:00,{b},x,3100,利用",
            f"R{run}-3,2025-06-12 09:00:00,{UNKNOWN},謎の店,700,利用"]
    status, imported = stack.request_bytes("POST", "/usage-imports", ("\r\n".join(rows) + "\r\n").encode("utf-8"),
                                           token="accountant", headers={"Content-Type": "text/csv"})
    assert status == 201, imported
    status, round_ = stack.request("POST", "/settlements/2025-06/draft", {}, token="accountant",
                                   headers={"X-Miyapo-Now": JULY_2})
    assert status == 200, round_
    status, round_ = stack.request("GET", "/settlements/2025-06", token="accountant")
    assert status == 200 and isinstance(round_, dict), round_
    return a, b, round_


def _open_june(page: Any, stack: Stack, user: str, month: str = "2025-06", now: str = JULY_2) -> None:
    page.goto(f"{stack.base}/console/login")
    page.evaluate("now => sessionStorage.setItem('miyapo_now', now)", now)
    # Signed in straight onto the round's page: waiting for "/console/" alone would match the login page
    # itself, and a goto then raced the sign-in's own navigation (seen once as a flaky failure).
    target = f"/console/settlements?month={month}"
    page.goto(f"{stack.base}/console/login?as={user}&next={quote(target, safe='')}")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    playwright_expect()(page.locator("#who")).to_contain_text(user)
    playwright_expect()(page.locator("h1")).to_contain_text(f"{month[:4]}年{int(month[5:])}月分")


def test_the_settlement_screen_names_stores_shows_the_fee_and_who_may_approve(page: Any, own_stack: Stack) -> None:
    expect = playwright_expect()
    a, b, round_ = _drafted_june(own_stack)
    assert round_["fee_base"] == 1500 + 3100 + 700 and round_["drafted_by"] == "accountant"
    assert round_["transfer_cost"] is not None and round_["stores_paid"] == 2, round_

    # The drafter: names beside the ids, the fee and the operator's cost, the approval disabled with the reason.
    _open_june(page, own_stack, "accountant")
    expect(page.locator(f"#lines tr[data-store='{a}']")).to_contain_text("読みやすさ試験商店")
    expect(page.locator(f"#lines tr[data-store='{a}']")).to_contain_text("仙台市青葉区")
    expect(page.locator(f"#lines tr[data-store='{b}']")).to_contain_text("みやぎ読みやすさ食堂")
    expect(page.locator(f"#lines tr[data-store='{UNKNOWN}']")).to_contain_text("店舗マスタにありません")
    # Hold reasons in Japanese (the labels Python decides), in the holds and in the lines.
    expect(page.locator(f"#held tr[data-store='{UNKNOWN}']")).to_contain_text("店舗が登録されていません")
    expect(page.locator(f"#lines tr[data-store='{UNKNOWN}'] .hold-reason")).to_have_text("店舗が登録されていません")
    expect(page.locator("#fee-base")).to_have_text("5,300円")
    expect(page.locator("#fee-rate")).to_have_text("0.5%")
    expect(page.locator("#fee-rounding")).to_have_text("円未満切り捨て")
    expect(page.locator("#fee")).to_have_text(f"{round_['fee']:,}円")
    expect(page.locator("#transfer-cost")).to_have_text(f"{round_['transfer_cost']:,}円")
    expect(page.locator("#fee-card")).to_contain_text("振込手数料（事務局負担）")
    expect(page.locator("#approve")).to_be_disabled()
    expect(page.locator("#self-drafted")).to_have_text(SELF_INVOLVED)
    expect(page.locator("#approve")).to_have_attribute("aria-describedby", "self-drafted")
    expect(page.locator("#approve-problem")).to_have_count(0)
    page.locator("#round-actions").scroll_into_view_if_needed()
    screenshot(page, "settlement-readable.png")

    # The prefecture reads the same names (store names are not masked for it) and has no approval to give.
    _open_june(page, own_stack, "prefecture")
    expect(page.locator(f"#lines tr[data-store='{b}']")).to_contain_text("みやぎ読みやすさ食堂")
    expect(page.locator("#round-actions")).to_have_count(0)

    # A second accountant: the button is live, no reason shown, and approving works.
    _open_june(page, own_stack, "accountant2")
    expect(page.locator(f"#lines tr[data-store='{a}']")).to_contain_text("読みやすさ試験商店")
    expect(page.locator("#approve")).to_be_enabled()
    expect(page.locator("#self-drafted")).to_have_count(0)
    expect(page.locator("#system-drafted")).to_have_count(0)
    page.click("#approve")
    expect(page.locator("#flash")).to_contain_text("承認しました")
    expect(page.locator("h1")).to_contain_text("承認済み")
    # After approval the return form offers the paid stores by name.
    expect(page.locator("#paid-stores option[value='" + a + "']")).to_have_attribute(
        "label", re.compile("読みやすさ試験商店"))
    screenshot(page, "settlement-readable-approved.png")


def test_a_hold_for_usage_before_the_store_was_approved_is_cleared_from_the_screen(prompting_page: Any,
                                                                                  own_stack: Stack) -> None:
    """Usage dated before a store's approval is held with its reason in Japanese; an accountant clears it with a
    reason from the holds table, and the re-drafted round pays it; then puts it off to the next round."""
    if "usage_before_active" not in HOLD_REASONS:
        pytest.skip("the usage_before_active hold is not in this tree yet")
    expect = playwright_expect()
    # July follows June: June is approved by the test above (approving again is a no-op).
    status, june = own_stack.request("POST", "/settlements/2025-06/approve", {}, token="accountant2",
                                     headers={"X-Miyapo-Now": JULY_2})
    assert status == 200 and isinstance(june, dict) and june["status"] == "approved", june
    late = {"X-Miyapo-Now": "2025-07-10T10:00:00+09:00"}
    status, created = own_stack.request("POST", "/applications", application_body(
        store_name="承認前利用試験商店", client_token=uuid.uuid4().hex), headers=late)
    assert status == 201 and isinstance(created, dict), created
    status, decided = own_stack.request("POST", f"/applications/{created['application_id']}/decision",
                                        approve_body(), token="screener", headers=late)
    assert status == 200 and isinstance(decided, dict), decided
    store = str(decided["store_id"])
    rows = ["取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分", f"L{uuid.uuid4().hex[:8]},2025-07-03 10:00:00,{store},x,900,利用"]
    status, imported = own_stack.request_bytes("POST", "/usage-imports", ("\r\n".join(rows) + "\r\n").encode("utf-8"),
                                               token="accountant", headers={"Content-Type": "text/csv"})
    assert status == 201, imported
    status, july = own_stack.request("POST", "/settlements/2025-07/draft", {}, token="accountant",
                                     headers={"X-Miyapo-Now": AUG_4})
    assert status == 200 and isinstance(july, dict), july

    page = prompting_page
    _open_june(page, own_stack, "accountant", month="2025-07", now=AUG_4)
    held = page.locator(f"#held tr[data-store='{store}']")
    expect(held).to_contain_text("承認前利用試験商店")
    expect(held).to_contain_text(HOLD_REASONS["usage_before_active"])
    page.on("dialog", lambda dialog: dialog.accept("店舗に確認し、承認日前の試験利用ではなく実際の取引でした"))
    page.click(f"button[data-clear='{store}']")
    expect(page.locator("#flash")).to_contain_text("保留（900円）を解除しました")
    page.click("#redraft")
    expect(page.locator("#flash")).to_contain_text("下書きを作成しました")
    expect(page.locator(f"#lines tr[data-store='{store}']")).to_contain_text("支払")
    expect(page.locator(f"#held tr[data-store='{store}']")).to_have_count(0)
    # A paid line of the draft can be put off to the next round from the lines table (the four-eyes way out):
    # with a reason, and the re-drafted round holds it.
    page.click(f"button[data-defer='{store}']")
    expect(page.locator("#flash")).to_contain_text(f"{store} の支払（900円）を次回に回します")
    page.click("#redraft")
    expect(page.locator("#flash")).to_contain_text("下書きを作成しました")
    expect(page.locator(f"#held tr[data-store='{store}']")).to_contain_text(HOLD_REASONS["deferred"])
    expect(page.locator(f"button[data-defer='{store}']")).to_have_count(0)
