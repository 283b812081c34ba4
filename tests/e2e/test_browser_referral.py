"""Referring an application to the prefecture in a real browser (issue 11, point 6; spec 7(1)ニ①②): the
screener refers with a question, the prefecture finds it under 県への照会 and records its judgement, the
screener completes against it with a reason. And a 第2版's changes against 第1版 highlighted (point 8).

Needs Chromium; skips locally without it, fails in CI.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import remember

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DECLARATIONS = ("no_antisocial", "not_adult_business", "no_excluded_goods", "accepts_terms")
CHECKS = ("antisocial", "adult_business", "in_prefecture", "excluded_goods", "other")
QUESTION = "店内で酒類の量り売りをしています。本事業の趣旨に照らして対象としてよいか、ご判断ください。"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def screener(browser: Any) -> Iterator[Any]:
    yield from open_page(browser)


@pytest.fixture
def prefecture(browser: Any) -> Iterator[Any]:
    yield from open_page(browser)


def _login_as(page: Any, stack: Stack, user: str) -> None:
    page.goto(f"{stack.base}/console/login?as={user}")
    # The prefecture's first landing goes on to the overview: wait until it settles, or the next goto races it.
    page.wait_for_url(re.compile(r"/console/overview$" if user == "prefecture" else r"/console(\?.*)?$"))
    playwright_expect()(page.locator("#who")).to_contain_text(user)


def _application(email: str, account_number: str) -> dict[str, Any]:
    return {
        "store_name": "照会試験酒店", "store_name_kana": "ショウカイシケンサケテン", "entity_type": "corporation",
        "representative": "代表取締役 照会 太郎", "postal_code": "980-0811", "municipality_code": "041017",
        "address": "一番町4-5-6", "phone": "022-000-4321", "email": email, "business_category": "酒類小売",
        "goods": "酒類・食料品", "declarations": dict.fromkeys(DECLARATIONS, True),
        "bank": {"bank_code": "0125", "branch_code": "100", "account_type": "1",
                 "account_number": account_number, "holder_kana": "カ）シヨウカイシケン"},
        "client_token": uuid.uuid4().hex,
    }


def _submit(stack: Stack, account_number: str) -> tuple[str, dict[str, Any]]:
    body = _application(f"e2e-refer-{uuid.uuid4().hex[:10]}@example.com", account_number)
    remember(body)  # checked against every log line of the suite (tests/zz_last)
    status, created = stack.request("POST", "/applications", body=body)
    assert status == 201 and isinstance(created, dict), created
    return created["application_id"], body


def _mails(stack: Stack) -> list[dict[str, Any]]:
    status, mail = stack.request("GET", "/mail", token="admin")
    assert status == 200 and isinstance(mail, dict)
    return list(mail["items"])


def test_refer_judge_as_the_prefecture_and_complete(screener: Any, prefecture: Any, stack: Stack) -> None:
    expect = playwright_expect()
    application_id, _ = _submit(stack, "2345678")

    # The screener cannot decide the "other" item alone and refers it; a question is required.
    _login_as(screener, stack, "screener")
    screener.goto(f"{stack.base}/console/applications/{application_id}")
    expect(screener.locator("#refer-box")).to_be_visible()
    screener.click("button[data-decision=refer]")
    expect(screener.locator("#question-err")).to_contain_text("照会事項")
    expect(screener.locator("#question")).to_have_attribute("aria-invalid", "true")
    screener.fill("#question", QUESTION)
    screener.click("button[data-decision=refer]")
    expect(screener.locator("#flash")).to_contain_text("県に照会しました")
    expect(screener.locator("h1")).to_contain_text("県に照会中")
    expect(screener.locator("#decide-note")).to_contain_text("県に照会中")
    expect(screener.locator("#referrals .referral-judgement")).to_have_count(0)
    expect(screener.locator("#referrals")).to_contain_text("回答待ち")

    referred = [m for m in _mails(stack) if application_id in m["subject"] and "県のご判断" in m["subject"]]
    assert len(referred) == 1 and referred[0]["destinations"]["ToAddresses"] == ["prefecture@example.jp"]
    assert QUESTION in referred[0]["body"] and "照会 太郎" not in referred[0]["body"]

    # The prefecture's 審査キュー opens on 県への照会 (after its sign-in landing on the overview); it records its
    # judgement there, and a reject needs a reason.
    _login_as(prefecture, stack, "prefecture")
    prefecture.goto(f"{stack.base}/console")
    expect(prefecture.locator("h1")).to_have_text("県への照会")
    expect(prefecture.locator("#referred-intro")).to_contain_text("県の判断を記録してください")
    row = prefecture.locator(f"tr[data-application='{application_id}']")
    expect(row).to_contain_text("県に照会中")
    row.locator("a").first.click()
    prefecture.wait_for_url(re.compile(rf"/console/applications/{application_id}$"))
    expect(prefecture.locator("#referrals .referral-question")).to_have_text(QUESTION)
    expect(prefecture.locator("button[data-decision]")).to_have_count(0)  # no screening buttons for the prefecture
    prefecture.click("#judge-submit")
    expect(prefecture.locator("#judge-decision-err")).not_to_be_empty()
    prefecture.check("#judge-reject")
    prefecture.click("#judge-submit")
    expect(prefecture.locator("#judge-reason-err")).to_contain_text("理由")
    prefecture.fill("#judge-reason", "量り売りの酒類は対象として差し支えないが、商品券の販売が主であれば不承認とすべき。")
    prefecture.click("#judge-submit")
    expect(prefecture.locator("#flash")).to_contain_text("県の判断を記録しました")
    expect(prefecture.locator("#referrals .referral-judgement")).to_have_text("不承認とすべき")
    expect(prefecture.locator("#judge")).to_have_count(0)
    screenshot(prefecture, "console-referral-judged.png")

    judged = [m for m in _mails(stack) if application_id in m["subject"] and "県の判断" in m["subject"]]
    assert len(judged) == 1 and judged[0]["destinations"]["ToAddresses"] == ["staff@example.jp"]

    # Back in the screener's queue, marked; completing against the judgement needs a reason.
    screener.goto(f"{stack.base}/console")
    expect(screener.locator("#judged-waiting")).to_contain_text("県の判断が記録された申込")
    screener.click("#judged-waiting a")
    screener.wait_for_url(re.compile(r"/console\?status=judged$"))
    row = screener.locator(f"tr[data-application='{application_id}']")
    expect(row.locator("[data-judgement=reject]")).to_contain_text("不承認とすべき")
    row.locator("a").first.click()
    screener.wait_for_url(re.compile(rf"/console/applications/{application_id}$"))
    expect(screener.locator("#judgement-banner")).to_contain_text("不承認とすべき")
    for key in CHECKS:
        screener.check(f"#check-{key}")
    screener.click("button[data-decision=approve]")
    expect(screener.locator("#reason-err")).to_contain_text("県の判断")
    screener.fill("#reason", "商品券の取扱いがないことを店舗に電話で確認し、県担当者と協議のうえ承認。")
    screener.click("button[data-decision=approve]")
    expect(screener.locator("#flash")).to_contain_text("承認しました")
    expect(screener.locator("h1")).to_contain_text("承認済み")
    history = screener.locator("#history")
    expect(history.locator("tr[data-action=refer]")).to_contain_text(QUESTION)
    expect(history.locator("tr[data-action=prefecture_judgement]")).to_contain_text("不承認とすべき")
    expect(history.locator("tr[data-action=approve]")).to_contain_text("県の判断と異なる")
    screenshot(screener, "console-referral-completed.png")

    status, detail = stack.request("GET", f"/applications/{application_id}", token="screener")
    assert status == 200 and isinstance(detail, dict)
    assert detail["status"] == "approved" and detail["referrals"][0]["judgement"]["decision"] == "reject"


def test_a_second_version_highlights_what_changed(screener: Any, stack: Stack) -> None:
    expect = playwright_expect()
    application_id, body = _submit(stack, "3456789")
    status, answer = stack.request("POST", f"/applications/{application_id}/decision", token="screener",
                                   body={"decision": "return", "reason": "住所に建物名を追記してください。"})
    assert status == 200, answer
    mail = [m for m in _mails(stack) if body["email"] in m["destinations"].get("ToAddresses", [])
            and "修正" in m["subject"]]
    link = re.search(r"https?://\S+/apply/correct#t=[A-Za-z0-9._-]+", mail[0]["body"])
    assert link, mail
    token = parse_qs(urlparse(link.group(0)).fragment)["t"][0]
    fixed = {k: v for k, v in body.items() if k != "client_token"}
    fixed["address"] = "一番町4-5-6 照会ビル3階"
    fixed["bank"] = {**body["bank"], "account_number": "3456000"}
    status, answer = stack.request("POST", "/resubmission", body=fixed, headers={"X-Correction-Token": token})
    assert status == 200 and isinstance(answer, dict) and answer["revision"] == 2, answer

    _login_as(screener, stack, "screener")
    screener.goto(f"{stack.base}/console/applications/{application_id}")
    expect(screener.locator("#changes-h")).to_have_text("第2版の変更点（第1版との比較）")
    rows = screener.locator("#changes-table tbody tr")
    expect(rows).to_have_count(2)
    address = screener.locator("#changes-table tr[data-field=address]")
    expect(address.locator("del")).to_have_text("一番町4-5-6")
    expect(address.locator("ins")).to_have_text("一番町4-5-6 照会ビル3階")
    account = screener.locator("#changes-table tr[data-field='bank.account_number']")
    expect(account.locator("del")).to_have_text("****789")
    expect(account.locator("ins")).to_have_text("****000")
    # The field itself is highlighted where it stands, old value struck through.
    inline = screener.locator("[data-changed=address]")
    expect(inline.locator("del")).to_have_text("一番町4-5-6")
    expect(inline.locator("ins")).to_have_text("一番町4-5-6 照会ビル3階")
    assert screener.locator("[data-changed=address] del").evaluate(
        "el => getComputedStyle(el).textDecorationLine") == "line-through"
    expect(screener.locator("[data-changed=store_name]")).to_have_count(0)
    bank = screener.locator("#bank-changes [data-changed='bank.account_number']")
    expect(bank.locator("del")).to_have_text("****789")
    expect(bank.locator("ins")).to_have_text("****000")
    assert "3456000" not in screener.content() and "3456789" not in screener.content()
    screenshot(screener, "console-application-changes.png")
