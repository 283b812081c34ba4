"""The call center's Saturday evening in a real browser (Chromium) against the real local stack: an agent
logs two calls with the keyboard only, one of them "cannot resolve"; the prefecture hears of it at its
Monday opening (once), and Monday's daily report covers the weekend with those counts.

Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI. Runs on a
stack of its own (`own_stack`): the escalation and daily-report sweeps are once-only, and the counts
must be exactly this test's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SAT_EVENING = "2025-06-07T18:40:00+09:00"
MONDAY_OPENING = "2025-06-09T09:00:00+09:00"
MONDAY_REPORT = "2025-06-09T08:30:00+09:00"
PREFECTURE = "prefecture@example.jp"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, width=1366)


def _job(stack: Stack, name: str, now: str) -> dict[str, Any]:
    status, report = stack.request("POST", f"/jobs/{name}", {"now": now}, token="admin")
    assert status == 200, report
    return report


def _mail_to(stack: Stack, address: str, subject_part: str) -> list[dict[str, Any]]:
    status, mail = stack.request("GET", "/mail", token="admin")
    assert status == 200, mail
    return [m for m in mail["items"]
            if m["destinations"].get("ToAddresses") == [address] and subject_part in m["subject"]]


def _choose_category(page: Any, code: str) -> None:
    """On the focused (closed) select, from "選んでください": arrow keys move the choice (Windows, Linux)."""
    codes = page.locator("#f-category option").evaluate_all("options => options.map(o => o.value)")
    for _ in range(codes.index(code)):
        page.keyboard.press("ArrowDown")
    playwright_expect()(page.locator("#f-category")).to_have_value(code)


def test_saturday_evening_keyboard_logging_escalation_and_monday_report(page: Any, own_stack: Stack) -> None:
    expect = playwright_expect()
    stack = own_stack
    keys = page.keyboard

    # Pin the clock (the screens send sessionStorage's miyapo_now as X-Miyapo-Now), then log in as agent:
    # the console's menu leads to the call center's screen.
    page.goto(f"{stack.base}/console/login")
    page.evaluate("now => sessionStorage.setItem('miyapo_now', now)", SAT_EVENING)
    page.goto(f"{stack.base}/console/login?as=agent")
    # an agent lands on the inquiry log
    page.wait_for_url(re.compile(r"/console/inquiries$"))
    page.goto(f"{stack.base}/console/stores")
    expect(page.locator("#who")).to_contain_text("agent")
    page.locator("#nav a", has_text="問い合わせ").click()
    page.wait_for_url(re.compile(r"/console/inquiries$"))
    expect(page.locator("#who")).to_contain_text("agent")
    expect(page.locator("#pinned-clock")).to_contain_text("06/07 18:40")
    expect(page.locator("#console-link")).to_have_attribute("href", "/console")
    expect(page.locator("#f-received")).to_have_value("2025-06-07T18:40")
    expect(page.locator("#list-caption")).to_have_text("2025-06-07 の受付：0件")

    # 1) A resident's question, answered on the phone: keyboard only.
    keys.press("Alt+n")
    expect(page.locator("#f-channel input[value=phone]")).to_be_focused()
    keys.press("Tab")
    expect(page.locator("#f-caller_type input[value=resident]")).to_be_focused()
    keys.press("Tab")
    expect(page.locator("#f-category")).to_be_focused()
    _choose_category(page, "points_use")
    keys.press("Tab")
    expect(page.locator("#f-store")).to_be_focused()
    keys.press("Tab")
    expect(page.locator("#f-summary")).to_be_focused()
    keys.type("ポイントが使える店舗の探し方を知りたい")
    keys.press("Tab")
    expect(page.locator("#f-answer")).to_be_focused()
    keys.type("公式サイトの店舗検索を案内した")
    keys.press("Control+Enter")
    flash = page.locator("#flash")
    expect(flash).to_have_text("IQ000001 を登録しました。")
    expect(page.locator("#list-caption")).to_have_text("2025-06-07 の受付：1件")
    # The form is ready for the next call, focus on its first choice.
    expect(page.locator("#f-summary")).to_have_value("")
    expect(page.locator("#f-channel input[value=phone]")).to_be_focused()

    # 2) A municipality's question the center cannot resolve: "解決できない" (escalate), keyboard only.
    keys.press("Tab")
    keys.press("ArrowRight")  # 県民 → 市町村
    expect(page.locator("#f-caller_type input[value=municipality]")).to_be_checked()
    keys.press("Tab")
    _choose_category(page, "eligibility")
    keys.press("Tab")
    keys.press("Tab")
    keys.type("地元の商品券の購入にポイントを使えるか")
    keys.press("Tab")
    keys.press("Tab")
    expect(page.locator("#f-status input[value=resolved]")).to_be_focused()
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    expect(page.locator("#f-status input[value=escalate]")).to_be_checked()
    expect(page.locator("#f-reason")).to_be_focused()
    keys.type("換金性の高いものに当たるか県の判断が必要")
    keys.press("Control+Enter")
    expect(flash).to_contain_text("IQ000002 を登録しました。")
    expect(flash).to_contain_text("県へは 06/09 09:00 に通知します（県の業務時間外）")
    expect(page.locator("#list-caption")).to_have_text("2025-06-07 の受付：2件")
    escalated = page.locator("#rows tr[data-id=IQ000002]")
    expect(escalated).to_contain_text("県へエスカレーション")
    expect(escalated).to_contain_text("県へ通知待ち")
    expect(escalated).to_contain_text("時間外")
    expect(page.locator("#rows tr[data-id=IQ000001]")).to_contain_text("解決")

    # The detail, from the keyboard too: the notice waits for the prefecture's opening.
    escalated.focus()
    keys.press("Enter")
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("県の業務開始（06/09 09:00）に通知予定")
    expect(detail).to_contain_text("換金性の高いものに当たるか県の判断が必要")
    screenshot(page, "console-inquiries.png")
    keys.press("Escape")
    expect(detail).to_be_hidden()

    status, logged = stack.request("GET", "/inquiries?date=2025-06-07", token="agent")
    assert status == 200, logged
    assert {(i["inquiry_id"], i["category"], i["caller_type"], i["status"], i["outside_hours"])
            for i in logged["items"]} == {("IQ000001", "points_use", "resident", "resolved", True),
                                          ("IQ000002", "eligibility", "municipality", "escalated", True)}
    assert all(i["received_at"] == SAT_EVENING for i in logged["items"])

    # Over the weekend the prefecture hears nothing; at its Monday opening, exactly once.
    assert _mail_to(stack, PREFECTURE, "対応依頼") == []
    sweep = _job(stack, "escalation-sweep", MONDAY_OPENING)
    assert (sweep["due"], sweep["queued"], sweep["sent"]) == (1, 1, 1), sweep
    notices = _mail_to(stack, PREFECTURE, "対応依頼")
    assert len(notices) == 1 and "IQ000002" in notices[0]["subject"]
    assert "2025年6月7日（土） 18:40" in notices[0]["body"]
    assert "換金性の高いものに当たるか県の判断が必要" in notices[0]["body"]
    assert _job(stack, "escalation-sweep", MONDAY_OPENING)["sent"] == 0
    assert len(_mail_to(stack, PREFECTURE, "対応依頼")) == 1

    # Monday's daily report covers Friday to Sunday: the two Saturday calls, one escalated and still open.
    report = _job(stack, "daily-report", MONDAY_REPORT)
    assert report["delivered"] == ["2025-06-09"], report
    daily = _mail_to(stack, PREFECTURE, "日次報告")
    assert len(daily) == 1
    body = daily[0]["body"]
    assert "対象期間: 2025年6月6日（金）〜2025年6月8日（日）" in body
    assert "2025年6月6日（金）: 受付 0件" in body
    assert ("2025年6月7日（土）: 受付 2件（うち受付時間外 2件）、県へのエスカレーション 1件、未完了 1件"
            in body)
    assert "2025年6月8日（日）: 受付 0件" in body
    assert "ポイントの利用・利用できる店舗: 1件" in body and "対象者・対象外の商品: 1件" in body
    assert "県民: 1件" in body and "市町村: 1件" in body
    assert "未完了の問い合わせ（報告作成時点、全期間）: 1件（うち県へエスカレーション中 1件、県の回答待ち 1件）" in body
    assert _job(stack, "daily-report", MONDAY_REPORT)["delivered"] == []
