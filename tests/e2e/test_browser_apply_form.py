"""The application form as a shop owner finishes it (issue 11 point 8), in Chromium against the local stack:
kana mistakes shown while typing (the server's rule and message), banks and branches found by name, the draft
kept across a reload without the account number, a warning before leaving, the review step, the call center
and the terms.

Needs Chromium (`apt-get install chromium fonts-noto-cjk`); skipped locally without it, required in CI.
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
DRAFT_KEY = "miyapo.apply-draft"
PHONE = "0120-390-390"  # settings.call_center.call_center_phone in the local stack (the default)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser)


def _draft(page: Any) -> str | None:
    value = page.evaluate(f"localStorage.getItem({DRAFT_KEY!r})")
    return value if isinstance(value, str) else None


def test_a_shop_owner_fills_in_reloads_reviews_and_sends(page: Any, stack: Stack) -> None:
    expect = playwright_expect()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    email = f"e2e-form-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(f"{stack.base}/apply")

    # The call center and the terms are on the form; the pledges come from Python through labels.js.
    expect(page.locator("#lead")).to_contain_text(PHONE)
    expect(page.locator("#terms-link")).to_have_attribute("href", "terms")
    expect(page.locator("#decl-no_excluded_goods")).to_contain_text("ビール券、図書券、官製はがき")
    expect(page.locator("#excluded-rules")).to_contain_text("①に規定する店舗の営業に係る支払い")

    # Kana mistakes show while typing, before any submit, in the server's words.
    page.fill("#f-store_name_kana", "アオバ☆コーヒー")
    expect(page.locator("#f-store_name_kana-err")).to_contain_text("『☆』はフリガナに使えません")
    page.fill("#f-bank-holder_kana", "宮城太郎")
    holder_error = page.locator("#f-bank-holder_kana-err")
    expect(holder_error).to_have_text("『宮』は使えません。カナで入力してください")
    expect(page.locator("#f-bank-holder_kana")).to_have_attribute("aria-invalid", "true")
    page.fill("#f-bank-holder_kana", "みやぎ たろう")
    expect(holder_error).to_be_empty()
    expect(page.locator("#f-bank-holder_kana-preview")).to_contain_text("ﾐﾔｷﾞ ﾀﾛｳ")
    page.fill("#f-store_name_kana", "あおばこーひーてん")
    expect(page.locator("#f-store_name_kana-err")).to_be_empty()
    expect(page.locator("#f-store_name_kana-preview")).to_contain_text("アオバコーヒーテン")

    # The bank by its name in hiragana, the branch by its name: the codes are filled in.
    page.fill("#bank-search", "しちじゅうしち")
    page.locator("#bank-results button", has_text="七十七（0125）").click()
    expect(page.locator("#f-bank-bank_code")).to_have_value("0125")
    expect(page.locator("#f-bank-bank_code-name")).to_contain_text("七十七")
    page.fill("#branch-search", "本店")
    page.locator("#branch-results button", has_text="本店営業部（100）").click()
    expect(page.locator("#f-bank-branch_code")).to_have_value("100")
    expect(page.locator("#f-bank-branch_code-name")).to_contain_text("本店営業部")

    page.fill("#f-store_name", "青葉珈琲店（ブラウザ）")
    page.check("#f-entity_type-individual")
    page.fill("#f-representative", "宮城 太郎")
    page.fill("#f-business_category", "飲食")
    page.fill("#f-goods", "コーヒー、軽食")
    page.fill("#f-postal_code", "980-8570")
    page.select_option("#f-municipality_code", "041017")
    page.fill("#f-address", "本町3-8-1")
    page.fill("#f-phone", "022-211-2112")
    page.fill("#f-email", email)
    page.select_option("#f-bank-account_type", "1")
    page.fill("#f-bank-account_number", "7654321")
    page.click("#f-goods")  # a real click: the browser only warns about pages the person has used

    # A reload warns first, then finds the draft: everything but the account number.
    page.reload()
    assert "beforeunload" in dialogs
    expect(page.locator("#draft-notice")).to_be_visible()
    expect(page.locator("#f-store_name")).to_have_value("青葉珈琲店（ブラウザ）")
    expect(page.locator("#f-email")).to_have_value(email)
    expect(page.locator("#f-bank-bank_code")).to_have_value("0125")
    expect(page.locator("#f-bank-bank_code-name")).to_contain_text("七十七")
    expect(page.locator("#f-bank-holder_kana")).to_have_value("みやぎ たろう")
    expect(page.locator("#f-entity_type-individual")).to_be_checked()
    expect(page.locator("#f-bank-account_number")).to_have_value("")
    draft = _draft(page)
    assert draft and "7654321" not in draft and email in draft
    screenshot(page, "apply-draft-restored.png")

    # The account number again, the pledges, then the review step; back once, then send.
    page.fill("#f-bank-account_number", "7654321")
    for name in DECLARATIONS:
        page.check(f"#f-declarations-{name}")
    page.click("#submit-btn")
    review = page.locator("#review")
    expect(review).to_be_visible()
    expect(page.locator("#apply-form")).to_be_hidden()
    for shown in ("青葉珈琲店（ブラウザ）", "七十七（0125）", "本店営業部（100）", "7654321",
                  "みやぎ たろう（登録される表記: ﾐﾔｷﾞ ﾀﾛｳ）", "（登録される表記: アオバコーヒーテン）",
                  "普通", "同意する: "):
        expect(page.locator("#review-list")).to_contain_text(shown)
    screenshot(page, "apply-review.png")
    page.click("#review-back")
    expect(page.locator("#apply-form")).to_be_visible()
    expect(page.locator("#f-bank-account_number")).to_have_value("7654321")
    page.click("#submit-btn")
    page.click("#review-send")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#done-id")).to_have_text(re.compile(r"^AP\d{6}$"))
    expect(page.locator("#done-contact")).to_contain_text(PHONE)
    assert _draft(page) is None

    status, stored = stack.request("GET", f"/applications/{page.inner_text('#done-id').strip()}", token="screener")
    assert status == 200, stored
    assert stored["bank"]["holder_kana"] == "ﾐﾔｷﾞ ﾀﾛｳ" and stored["store_name_kana"] == "アオバコーヒーテン"

    # Sent: leaving is silent, and a new form starts empty.
    before = len(dialogs)
    page.goto(f"{stack.base}/apply")
    assert len(dialogs) == before
    expect(page.locator("#draft-notice")).to_be_hidden()
    expect(page.locator("#f-store_name")).to_have_value("")


def test_the_terms_page_is_plain_and_carries_the_specifications_words(page: Any, stack: Stack) -> None:
    expect = playwright_expect()
    page.goto(f"{stack.base}/apply")
    with page.context.expect_page() as opened:
        page.click("#terms-link")
    terms = opened.value
    terms.wait_for_load_state()
    assert terms.url.endswith("/terms")
    expect(terms.locator("h1")).to_contain_text("参加規約")
    expect(terms.locator("main")).to_contain_text("ビール券、図書券、官製はがき、印紙、プリペイドカード等の換金性の高いもの")
    expect(terms.locator("main")).to_contain_text(PHONE)
    screenshot(terms, "terms.png")
