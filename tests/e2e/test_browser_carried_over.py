"""Carried-over stores in a real browser (Chromium) against the real local stack: a screener uploads the
prefecture's list (CP932), reads the preview (new, and a rejected row with its line and reason), confirms;
the store opens the link from its mail, confirms this year's pledges and becomes active.

Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import GENERATED

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HEADER = ("昨年度店舗番号,店舗名,店舗名カナ,代表者名,郵便番号,地域コード,住所,電話番号,メールアドレス,"
          "金融機関コード,支店コード,預金種目,口座番号,口座名義カナ")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, accept_dialogs=True)


def _login_as(page: Any, stack: Stack, user: str, landing: str) -> None:
    page.goto(f"{stack.base}/console/login?as={user}")
    page.wait_for_url(re.compile(landing))
    playwright_expect()(page.locator("#who")).to_contain_text(user)


def test_a_screener_imports_the_list_and_the_store_confirms_from_its_mail(page: Any, stack: Stack,
                                                                           tmp_path: Path) -> None:
    expect = playwright_expect()
    n = random.randint(100000, 999999)
    previous, email = f"MP{n:06d}", f"carried{n}@example.com"
    phone, account, rep = f"022-39{n % 10}-{n % 10000:04d}", f"{n % 10_000_000:07d}", "継続 四郎ブラウザ"
    GENERATED.update({email, phone, phone.replace("-", ""), account, rep})  # tests/zz_last checks the stack's log
    good = (f"{previous},ブラウザ継続商店{n},ブラウザケイゾクショウテン,{rep},980-8570,041017,仙台市青葉区本町3-8-1,"
            f"{phone},{email},0125,100,普通,{account},ケイゾク シロウ")
    bad = f"MP{n + 1:06d},取込不可の店,トリコミフカ,代表,980-8570,041017,仙台市,022-111-2222,x@example.com,9999,100,1,1234567,ア"
    listing = tmp_path / "carried.csv"
    listing.write_bytes(("\r\n".join([HEADER, good, bad]) + "\r\n").encode("cp932"))

    _login_as(page, stack, "screener", r"/console$")
    page.goto(f"{stack.base}/console/carried-over")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("継続店舗")
    page.set_input_files("#carried-file", str(listing))
    page.click("#upload-carried")
    expect(page.locator("#carried-counts")).to_contain_text("全 2 行: 新規 1、一致あり 0、取込不可 1")
    expect(page.locator("#carried-counts")).to_contain_text("cp932")
    expect(page.locator("#carried-rejected")).to_contain_text("3行目: 金融機関コード")
    expect(page.locator("#carried-preview tr[data-line='2']")).to_contain_text("新規")
    screenshot(page, "console-carried-over-preview.png")
    page.click("#confirm-carried")
    expect(page.locator("#flash")).to_contain_text("1店舗を「継続確認待ち」で登録し")
    store_id = page.locator("#carried-stores a").first.inner_text()
    assert re.fullmatch(r"MP\d{6}", store_id)
    expect(page.locator("#confirm-carried")).to_have_count(0)
    status, store = stack.request("GET", f"/stores/{store_id}", token="screener")
    assert status == 200 and store["status"] == "awaiting_reconfirmation"  # type: ignore[index]

    status, mail = stack.request("GET", "/mail", token="admin")
    assert status == 200
    body = next(m["body"] for m in mail["items"] if store_id in m["subject"] and "参加継続" in m["subject"])  # type: ignore[index]
    link = re.search(r"https?://\S+/store-reconfirm#t=\S+", body)
    assert link, body
    page.goto(f"{stack.base}/store-reconfirm{link.group(0).split('/store-reconfirm', 1)[1]}")
    expect(page.locator("#store-id")).to_have_text(store_id)
    expect(page.locator("#previous-id")).to_have_text(previous)
    page.click("#confirm")
    expect(page.locator("#err-declarations\\.accepts_terms")).to_contain_text("同意が必要です")
    for box in page.locator("#declarations input[type=checkbox]").all():
        box.check()
    page.click("#confirm")
    expect(page.locator("#result")).to_contain_text("確認が済みました")
    screenshot(page, "store-reconfirmed.png")
    status, store = stack.request("GET", f"/stores/{store_id}", token="screener")
    assert status == 200 and store["status"] == "active" and store["reconfirmed_at"]  # type: ignore[index]
