"""The public form and the staff console in a real browser (Chromium), against the real local stack.

Needs Chromium (`apt-get install chromium fonts-noto-cjk`). Locally the tests skip when it is missing;
in CI (`CI=true`) a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DECLARATIONS = ("no_antisocial", "not_adult_business", "no_excluded_goods", "accepts_terms")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser)


def _unique_email(tag: str) -> str:
    return f"e2e-{tag}-{uuid.uuid4().hex[:10]}@example.com"


def _login_as(page: Any, stack: Stack, user: str) -> None:
    page.goto(f"{stack.base}/console/login?as={user}")
    page.wait_for_url(re.compile(r"/console(\?.*)?$"))
    playwright_expect()(page.locator("#who")).to_contain_text(user)


def _fill_form(page: Any, email: str, holder: str) -> None:
    page.fill("#f-store_name", "ブラウザ試験商店")
    page.fill("#f-store_name_kana", "ブラウザシケンショウテン")
    page.check("#f-entity_type-individual")
    page.fill("#f-representative", "宮城 太郎")
    page.fill("#f-business_category", "小売")
    page.fill("#f-goods", "野菜・果物の販売")
    # Full-width digits and hyphen, as a Japanese IME types them: the form folds them.
    page.fill("#f-postal_code", "９８０－８５７０")
    page.select_option("#f-municipality_code", "041017")
    page.fill("#f-address", "本町3-8-1")
    page.fill("#f-phone", "022-211-2111")
    page.fill("#f-email", email)
    page.fill("#f-bank-bank_code", "0125")
    playwright_expect()(page.locator("#f-bank-bank_code-name")).to_contain_text("七十七")
    page.fill("#f-bank-branch_code", "100")
    playwright_expect()(page.locator("#f-bank-branch_code-name")).to_contain_text("本店営業部")
    page.select_option("#f-bank-account_type", "1")
    page.fill("#f-bank-account_number", "1234567")
    page.fill("#f-bank-holder_kana", holder)
    for name in DECLARATIONS:
        page.check(f"#f-declarations-{name}")


def _api_application(email: str, account_number: str) -> dict[str, Any]:
    return {
        "store_name": "差し戻し試験食堂", "store_name_kana": "サシモドシシケンショクドウ", "entity_type": "corporation",
        "representative": "代表取締役 宮城 花子", "postal_code": "980-0811", "municipality_code": "041017",
        "address": "一番町1-2-3", "phone": "022-000-9876", "email": email, "business_category": "飲食",
        "goods": "定食", "declarations": dict.fromkeys(DECLARATIONS, True),
        "bank": {"bank_code": "0125", "branch_code": "100", "account_type": "1",
                 "account_number": account_number, "holder_kana": "カ）サシモドシシケン"},
        "client_token": uuid.uuid4().hex,
    }


def test_apply_in_browser_then_approve_in_console(page: Any, stack: Stack) -> None:
    expect = playwright_expect()
    email = _unique_email("apply")
    page.goto(f"{stack.base}/apply")
    expect(page.locator("h1")).to_contain_text("参加店舗")
    _fill_form(page, email, holder="宮城太郎")

    # A holder name in kanji passes the browser's checks and is refused by the server, next to the field.
    page.click("#submit-btn")
    holder_error = page.locator("#f-bank-holder_kana-err")
    expect(holder_error).to_contain_text("カナ")
    expect(page.locator("#f-bank-holder_kana")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary-list a[href='#f-bank-holder_kana']")).to_be_visible()
    expect(page.locator("#f-postal_code")).to_have_value("980-8570")
    expect(page.locator("#submit-btn")).to_be_enabled()
    screenshot(page, "apply-form.png")

    page.fill("#f-bank-holder_kana", "ミヤギ タロウ")
    expect(holder_error).to_be_empty()
    page.click("#submit-btn")
    # The review step: what will be sent, read-only, confirmed before sending.
    expect(page.locator("#review")).to_be_visible()
    page.click("#review-send")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#done-id")).to_have_text(re.compile(r"^AP\d{6}$"))
    application_id = page.inner_text("#done-id").strip()
    screenshot(page, "apply-done.png")

    status, stored = stack.request("GET", f"/applications/{application_id}", token="screener")
    assert status == 200, stored
    assert stored["status"] == "submitted" and stored["postal_code"] == "980-8570"
    assert stored["bank"]["holder_kana"] == "ﾐﾔｷﾞ ﾀﾛｳ"

    # The screener finds it in the queue, checks every item and approves.
    _login_as(page, stack, "screener")
    page.locator("#queue a", has_text=application_id).click()
    page.wait_for_url(re.compile(rf"/console/applications/{application_id}$"))
    expect(page.locator("h1")).to_contain_text("ブラウザ試験商店")
    expect(page.locator("#account-number")).to_have_text("****567")
    page.click("#reveal")
    expect(page.locator("#account-number")).to_have_text("1234567")
    boxes = page.locator("input[data-check]")
    assert boxes.count() == 5
    for i in range(boxes.count()):
        boxes.nth(i).check()
    screenshot(page, "console-application.png")
    page.click("button[data-decision=approve]")
    flash = page.locator("#flash")
    expect(flash).to_contain_text(re.compile(r"MP\d{6}"))
    match = re.search(r"MP\d{6}", flash.inner_text())
    assert match
    store_id = match.group(0)
    expect(page.locator("#history")).to_contain_text("承認")

    status, store = stack.request("GET", f"/stores/{store_id}", token="screener")
    assert status == 200, store
    assert store["application_id"] == application_id and store["status"] == "active"

    status, audit = stack.request("GET", f"/audit?subject=application%23{application_id}", token="admin")
    assert status == 200
    assert {"application.approve", "application.view_bank_account"} <= {e["action"] for e in audit["items"]}


def test_return_for_correction_and_resubmit_from_the_mail_link(page: Any, stack: Stack) -> None:
    expect = playwright_expect()
    email = _unique_email("return")
    status, created = stack.request("POST", "/applications", body=_api_application(email, "7654321"))
    assert status == 201, created
    application_id = created["application_id"]

    _login_as(page, stack, "screener")
    page.goto(f"{stack.base}/console/applications/{application_id}")
    # A return needs a reason: the server's field error shows next to the textarea.
    page.click("button[data-decision=return]")
    expect(page.locator("#reason-err")).not_to_be_empty()
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    reason = "店舗の住所に建物名を追記してください。"
    page.fill("#reason", reason)
    page.click("button[data-decision=return]")
    expect(page.locator("#flash")).to_contain_text("差し戻しました")

    status, mail = stack.request("GET", "/mail", token="admin")
    assert status == 200
    returned = [m for m in mail["items"] if email in m["destinations"].get("ToAddresses", [])
                and "修正" in m["subject"]]
    assert returned, mail
    # The token is in the link's fragment: never sent to the server, so in no access log.
    match = re.search(r"https?://\S+/apply/correct#t=[A-Za-z0-9._-]+", returned[0]["body"])
    assert match, returned[0]["body"]
    link = match.group(0)
    sent_paths: list[str] = []
    page.on("request", lambda request: sent_paths.append(request.url))

    page.goto(link)
    expect(page.locator("#resubmit-banner")).to_be_visible()
    # The page keeps the token in this tab's sessionStorage, out of the address bar and history.
    assert "#t=" not in page.url and page.url.endswith("/apply/correct")
    expect(page.locator("#resubmit-reason")).to_have_text(reason)
    expect(page.locator("#f-store_name")).to_have_value("差し戻し試験食堂")
    expect(page.locator("#f-bank-account_number")).to_have_value("")
    expect(page.locator("#resubmit-masked")).to_have_text("****321")
    page.fill("#f-address", "一番町1-2-3 みやぎビル2階")
    page.click("#submit-btn")
    expect(page.locator("#f-bank-account_number-err")).to_contain_text("口座番号")
    page.fill("#f-bank-account_number", "7654321")
    page.click("#submit-btn")
    page.click("#review-send")
    expect(page.locator("#done-id")).to_have_text(application_id)
    expect(page.locator("#done-revision")).to_contain_text("第2版")
    token = link.split("#t=", 1)[1]
    assert sent_paths and not [url for url in sent_paths if token in url]

    # The same link cannot be used twice.
    page.goto(link)
    expect(page.locator("#link-problem")).to_be_visible()
    expect(page.locator("#link-problem-title")).to_contain_text("使用済み")
    # Past its expiry (the local stage's clock header), the link says so rather than "used".
    page.context.set_extra_http_headers({"X-Miyapo-Now": "2099-01-01T09:00:00+09:00"})
    page.goto(link)
    expect(page.locator("#link-problem-title")).to_contain_text("有効期限")
    page.context.set_extra_http_headers({})

    # Back in the screener's queue, as revision 2.
    page.goto(f"{stack.base}/console?status=submitted")
    row = page.locator(f"tr[data-application='{application_id}']")
    expect(row).to_contain_text("第2版")
    expect(row).to_contain_text("審査待ち")

    status, detail = stack.request("GET", f"/applications/{application_id}", token="screener")
    assert status == 200
    assert detail["status"] == "submitted" and detail["revision"] == 2
    assert detail["address"] == "一番町1-2-3 みやぎビル2階"
