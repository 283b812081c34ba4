"""The store kit register in a real browser (Chromium) against the real local stack: a handoff batch, the
provider's answer uploaded with its line-numbered report, the kit and the letter downloaded from the
register (the kit's page 1 QR code decodes to the payload), a second letter refused with a re-issue
offer, a shipment recorded; the prefecture sees the register without the work buttons.

Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import GENERATED, application_body, approve_body

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, accept_dialogs=True, accept_downloads=True)


def _make_store(stack: Stack) -> str:
    status, created = stack.request("POST", "/applications", application_body(client_token=uuid.uuid4().hex))
    assert status == 201, created
    status, decided = stack.request("POST", f"/applications/{created['application_id']}/decision", approve_body(),
                                    token="screener")
    assert status == 200, decided
    return str(decided["store_id"])


def _login_as(page: Any, stack: Stack, user: str, landing: str) -> None:
    page.goto(f"{stack.base}/console/login?as={user}")
    page.wait_for_url(re.compile(landing))
    playwright_expect()(page.locator("#who")).to_contain_text(user)


def test_the_register_hands_off_imports_the_answer_and_prints_the_kit(page: Any, stack: Stack,
                                                                      tmp_path: Path) -> None:
    expect = playwright_expect()
    store = _make_store(stack)
    _login_as(page, stack, "screener", r"/console$")
    page.goto(f"{stack.base}/console/kit-register")
    expect(page.locator("h1")).to_contain_text("店舗キット")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("店舗キット")
    page.click("#new-batch")
    expect(page.locator("#flash")).to_contain_text("を作成しました")
    batch_id = re.search(r"HB\d{6}", page.locator("#flash").inner_text()).group(0)  # type: ignore[union-attr]
    expect(page.locator("#batches")).to_contain_text(batch_id)

    payload = f"https://pay.miyapo.example/s/{store}?k={uuid.uuid4().hex[:8]}"
    password = f"Init#Pass-{uuid.uuid4().hex[:6]}"
    GENERATED.add(password)  # tests/zz_last: never in any line of the stack's log
    answer = tmp_path / "answer.csv"
    answer.write_text("store_id,login_id,initial_password,qr_payload\r\n"
                      f"{store},login-{store},{password},{payload}\r\n"
                      "MP999999,login-x,Passw0rd!,https://pay.example/x\r\n", encoding="utf-8")
    page.set_input_files("#answer-file", str(answer))
    page.click("#upload-answer")
    expect(page.locator("#answer-rejected")).to_contain_text("3行目: 店舗IDが見つかりません")
    expect(page.locator("#flash")).to_contain_text("2行中 1行を受け付け")

    page.goto(f"{stack.base}/console/kit-register?batch={batch_id}")
    row = page.locator(f"tr[data-store={store}]")
    expect(row).to_contain_text("印刷できます")
    with page.expect_download() as kit_download:
        row.locator("button.print-kit").click()
    pdf = Path(kit_download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    pypdf = pytest.importorskip("pypdf")
    (image,) = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    try:
        import zxingcpp
    except ImportError:
        pass
    else:
        assert [r.text for r in zxingcpp.read_barcodes(image.image)] == [payload]

    with page.expect_download() as letter_download:
        row.locator("button.print-letter").click()
    assert Path(letter_download.value.path()).read_bytes().startswith(b"%PDF")
    row = page.locator(f"tr[data-store={store}]")
    expect(row).to_contain_text("発行済み")
    row.locator("button.print-letter").click()
    expect(page.locator("#flash")).to_contain_text("発行済み")
    expect(page.locator("#offer-reissue")).to_be_visible()

    with page.expect_download() as batch_kits:
        page.locator(f"button.batch-kits[data-batch={batch_id}]").click()
    assert Path(batch_kits.value.path()).read_bytes().startswith(b"%PDF")

    row.locator("input[name=tracking_number]").fill("1234-5678-9012")
    row.locator("button.ship").click()
    expect(page.locator("#flash")).to_contain_text("発送済みにしました")
    expect(page.locator(f"tr[data-store={store}]")).to_contain_text("1234-5678-9012")
    screenshot(page, "console-kit-register.png")

    status, register = stack.request("GET", f"/stores/kit-register?batch={batch_id}", token="prefecture")
    assert status == 200
    mine = next(r for r in register["items"] if r["store_id"] == store)  # type: ignore[index]
    assert mine["credentials"]["state"] == "issued" and mine["kit"]["state"] == "shipped"


def test_the_prefecture_reads_the_register_without_work_buttons(page: Any, stack: Stack) -> None:
    expect = playwright_expect()
    _login_as(page, stack, "prefecture", r"/console/overview$")  # its first landing; a goto before it races
    page.goto(f"{stack.base}/console/kit-register")
    expect(page.locator("#handoff-h")).to_be_visible()
    expect(page.locator("#new-batch")).to_have_count(0)
    expect(page.locator("#upload-answer")).to_have_count(0)
    expect(page.locator("button.print-letter")).to_have_count(0)
