"""The accountant's month in a real browser (Chromium) against the real local stack: import the usage
export, draft the round with the clock pinned, four-eyes approval, download the bank transfer file.

Same Chromium handling as test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settlement.zengin_reader import parse_transfer_file
from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import application_body, approve_body

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

JULY_2 = "2025-07-02T10:00:00+09:00"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, accept_dialogs=True, accept_downloads=True)


def _make_store(stack: Stack) -> str:
    """A store approved before June 2025 (usage dated before a store's approval is held, not paid)."""
    before_june = {"X-Miyapo-Now": "2025-05-20T10:00:00+09:00"}
    status, created = stack.request("POST", "/applications", application_body(client_token=uuid.uuid4().hex),
                                    headers=before_june)
    assert status == 201, created
    status, decided = stack.request("POST", f"/applications/{created['application_id']}/decision", approve_body(),
                                    token="screener", headers=before_june)
    assert status == 200, decided
    return str(decided["store_id"])


def _pin_clock(page: Any, stack: Stack, now: str) -> None:
    """The console sends sessionStorage's miyapo_now as X-Miyapo-Now (honoured by the local stage only)."""
    page.goto(f"{stack.base}/console/login")
    page.evaluate("now => sessionStorage.setItem('miyapo_now', now)", now)


def _login_as(page: Any, stack: Stack, user: str, landing: str) -> None:
    page.goto(f"{stack.base}/console/login?as={user}")
    page.wait_for_url(re.compile(landing))
    playwright_expect()(page.locator("#who")).to_contain_text(user)


def _usage_csv(path: Path, a: str, b: str) -> Path:
    run = uuid.uuid4().hex[:8]
    rows = [
        "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分",
        f"E{run}-1,2025-06-03 10:00:00,{a},精算試験商店A,1500,利用",
        f"E{run}-2,2025-06-10 12:30:00,{a},精算試験商店A,500,利用",
        f"E{run}-3,2025-06-15 09:15:00,{b},精算試験商店B,3000,利用",
        f"E{run}-4,2025-06-16 18:00:00,{b},精算試験商店B,400,取消",
        f"E{run}-1,2025-06-03 10:00:00,{a},精算試験商店A,1500,利用",  # the same transaction twice
        f"E{run}-5,2025-06-20 11:00:00,{b},精算試験商店B,abc,利用",  # line 7: not a number
    ]
    # What Excel on a Japanese PC writes: CP932 with CRLF. The console must send these bytes untouched.
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp932"))
    return path


def test_import_draft_four_eyes_approval_and_transfer_file(page: Any, stack: Stack, tmp_path: Path) -> None:
    expect = playwright_expect()
    a, b = sorted([_make_store(stack), _make_store(stack)])
    csv_path = _usage_csv(tmp_path / "usage-2025-06.csv", a, b)

    _pin_clock(page, stack, JULY_2)
    _login_as(page, stack, "accountant", r"/console/settlements$")
    expect(page.locator("#pinned-clock")).to_contain_text("2025/07/02 10:00")

    # 利用実績: upload, then the report.
    page.locator("#nav a", has_text="利用実績").click()
    page.wait_for_url(re.compile(r"/console/usage"))
    page.set_input_files("#usage-file", str(csv_path))
    page.click("#upload")
    expect(page.locator("#flash")).to_contain_text("取り込みました")
    expect(page.locator("#rep-rows")).to_have_text("6")
    expect(page.locator("#rep-accepted")).to_have_text("4")
    expect(page.locator("#rep-duplicates")).to_have_text("1")
    expect(page.locator("#rep-rejected")).to_have_text("1")
    expect(page.locator("#points-by-month tr[data-month='2025-06']")).to_contain_text("4,600")
    rejected = page.locator("#rejected-lines tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.first.locator("td").first).to_have_text("7")
    import_id = re.search(r"IMP\d{6}", page.url)
    assert import_id, page.url
    expect(page.locator(f"#imports tr[data-import='{import_id.group(0)}']")).to_contain_text("取り込み済み")
    screenshot(page, "console-usage.png")

    # 精算: June is not drafted yet; draft it (on 2 July, by the pinned clock).
    page.locator("#nav a", has_text="精算").click()
    page.wait_for_url(re.compile(r"/console/settlements"))
    page.fill("#month", "2025-06")
    page.locator("#month-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"month=2025-06"))
    expect(page.locator("h1")).to_contain_text("2025年6月分")
    expect(page.locator("#no-round")).to_contain_text("未作成")
    page.click("#create-draft")
    expect(page.locator("#flash")).to_contain_text("下書きを作成しました")
    expect(page.locator("#usage-total")).to_have_text("4,600円")
    expect(page.locator("#total-amount")).to_have_text("4,600円")
    expect(page.locator("#stores-paid")).to_have_text("2店舗")
    expect(page.locator("#fee")).to_have_text("23円")
    expect(page.locator("#payment-date")).to_contain_text("2025/07/18")
    expect(page.locator(f"#lines tr[data-store='{a}']")).to_contain_text("2,000")
    expect(page.locator(f"#lines tr[data-store='{b}']")).to_contain_text("2,600")
    # The drafter cannot approve: the four-eyes rule, said plainly beside a disabled button (no refused click;
    # the server still refuses, tests/integration/test_settlement_api.py).
    expect(page.locator("#self-drafted")).to_be_visible()
    expect(page.locator("#self-drafted")).to_contain_text("別の経理担当者が承認します")
    expect(page.locator("#approve")).to_be_disabled()
    expect(page.locator("h1")).to_contain_text("下書き")
    screenshot(page, "console-settlements-draft.png")

    # A second accountant approves (same tab: the pinned clock stays).
    _login_as(page, stack, "accountant2", r"/console/settlements$")
    expect(page.locator("h1")).to_contain_text("2025年6月分")
    expect(page.locator("#self-drafted")).to_have_count(0)
    page.click("#approve")
    expect(page.locator("#flash")).to_contain_text("承認しました")
    expect(page.locator("h1")).to_contain_text("承認済み")
    expect(page.locator("#downloads")).to_be_visible()

    with page.expect_download() as info:
        page.click("#download-transfer_file")
    download = info.value
    assert download.suggested_filename == "zengin-sogo-furikomi-2025-06.txt"
    data = Path(download.path()).read_bytes()
    expect(page.locator("#download-note")).to_contain_text("保存しました")
    screenshot(page, "console-settlements.png")
    documents = {}
    for name in ("statement_csv", "statement_xlsx", "summary"):
        with page.expect_download() as doc:
            page.click(f"#download-{name}")
        documents[name] = Path(doc.value.path()).read_bytes()
    assert documents["statement_csv"].startswith("\ufeff".encode())
    assert documents["statement_xlsx"].startswith(b"PK")
    assert json.loads(documents["summary"])

    status, round_ = stack.request("GET", "/settlements/2025-06", token="accountant")
    assert status == 200 and round_["status"] == "approved", round_
    total = round_["total_amount"]
    assert total == 4600
    # Fixed-length Zengin records: 120 bytes + CRLF each; header, one per store, trailer, end.
    assert len(data) == 122 * 5 and data.endswith(b"\r\n")
    records = data.split(b"\r\n")[:-1]
    assert [len(r) for r in records] == [120] * 5
    assert [r[:1] for r in records] == [b"1", b"2", b"2", b"8", b"9"]
    trailer = records[3]
    assert int(trailer[1:7]) == 2 and int(trailer[7:19]) == total
    parsed = parse_transfer_file(data)
    assert parsed.trailer_total == total and sorted(r.amount for r in parsed.records) == [2000, 2600]

    # Before the transfer date the file is still at the bank and pays: a return is refused with the date.
    page.fill("#return-store", a)
    page.fill("#return-reason", "口座なし")
    page.click("#record-return")
    expect(page.locator("form:has(#record-return) .problem")).to_contain_text("振込日は 2025-07-18 です")
    # On the transfer date the bank returns store a's transfer: recorded from the page, it is owed again
    # as an adjustment.
    page.evaluate("now => sessionStorage.setItem('miyapo_now', now)", "2025-07-18T15:00:00+09:00")
    page.fill("#return-store", a)
    page.fill("#return-reason", "口座なし")
    page.click("#record-return")
    expect(page.locator("#flash")).to_contain_text("返却（2,000円）を記録しました")
    expect(page.locator(f"#adjustments tr[data-adjustment='return-2025-06-{a}']")).to_contain_text("未精算")
    # An adjustment: a malformed amount is refused next to the field, a negative one is registered.
    page.fill("#adj-store", b)
    page.fill("#adj-amount", "1.5")
    page.fill("#adj-reason", "取消の計上漏れ")
    page.click("#add-adjustment")
    expect(page.locator("#adj-amount-err")).to_contain_text("整数")
    page.fill("#adj-amount", "－３００")
    page.click("#add-adjustment")
    expect(page.locator("#flash")).to_contain_text("-300円")
    status, adjustments = stack.request("GET", "/settlements/adjustments", token="accountant")
    assert status == 200
    assert {(x["store_id"], x["amount"], x["state"]) for x in adjustments["items"]} >= {(a, 2000, "open"), (b, -300, "open")}


def test_store_bank_account_and_status_forms(page: Any, stack: Stack) -> None:
    expect = playwright_expect()
    store_id = _make_store(stack)

    _login_as(page, stack, "accountant", r"/console/settlements$")
    page.goto(f"{stack.base}/console/stores/{store_id}")
    expect(page.locator("#bank-change")).to_be_visible()
    expect(page.locator("#status-change")).to_have_count(0)
    page.fill("#bc-account_number", "7654321")
    page.fill("#bc-holder_kana", "宮城太郎")
    page.click("#change-bank")
    expect(page.locator("#bc-holder_kana-err")).to_contain_text("カナ")
    expect(page.locator("#bc-holder_kana")).to_have_attribute("aria-invalid", "true")
    page.fill("#bc-holder_kana", "ミヤギ タロウ")
    page.click("#change-bank")
    expect(page.locator("#flash")).to_contain_text("振込口座を変更しました")
    expect(page.locator("#account-number")).to_have_text("****321")
    screenshot(page, "console-store-forms.png")

    _login_as(page, stack, "screener", r"/console$")
    page.goto(f"{stack.base}/console/stores/{store_id}")
    page.click("#change-status")
    expect(page.locator("#sc-reason-err")).not_to_be_empty()
    page.select_option("#sc-status", "suspended")
    page.fill("#sc-reason", "店舗と連絡が取れないため確認中")
    page.click("#change-status")
    expect(page.locator("#flash")).to_contain_text("利用停止")
    expect(page.locator("h1")).to_contain_text("利用停止")


def test_a_bank_change_waits_for_a_second_person_in_the_console(page: Any, stack: Stack) -> None:
    """Issue 7: the accountant who changes a store's account cannot confirm it; a screener can."""
    store = _make_store(stack)
    expect = playwright_expect()
    _login_as(page, stack, "accountant", "/console/settlements")
    page.goto(f"{stack.base}/console/stores/{store}")
    form = page.locator("#bank-change")
    form.locator("input[name=bank_code]").fill("0125")
    form.locator("input[name=branch_code]").fill("100")
    form.locator("input[name=account_number]").fill("2345678")
    form.locator("input[name=holder_kana]").fill("ミヤギ ハナコ")
    page.click("#change-bank")
    expect(page.locator("#flash")).to_contain_text("確認するまで、支払いは保留されます")
    expect(page.locator("#bank-change-status")).to_contain_text("accountant")
    expect(page.locator("#confirm-bank")).to_be_disabled()
    expect(page.locator("#self-changed")).to_be_visible()
    status, shown = stack.request("GET", f"/stores/{store}", token="accountant")
    assert status == 200 and shown["bank_verified"] is False
    _login_as(page, stack, "screener", "/console")
    page.goto(f"{stack.base}/console/stores/{store}")
    page.click("#confirm-bank")
    expect(page.locator("#flash")).to_contain_text("口座変更を確認しました")
    expect(page.locator("#bank-change-status")).to_contain_text("screener")
    status, shown = stack.request("GET", f"/stores/{store}", token="accountant")
    assert status == 200 and shown["bank_verified"] is True and shown["bank_change"]["confirmed_by"] == "screener"
    screenshot(page, "store-bank-confirmed.png")


def test_the_store_confirms_its_bank_change_from_the_mailed_link(page: Any, stack: Stack) -> None:
    store = _make_store(stack)
    status, changed = stack.request("PUT", f"/stores/{store}/bank-account", {
        "bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "3456789",
        "holder_kana": "ミヤギ ジロウ"}, token="accountant")
    assert status == 200 and changed["bank_verified"] is False
    status, mail = stack.request("GET", "/mail", token="admin")
    assert status == 200
    body = next(m["body"] for m in mail["items"] if store in m["subject"] and "振込口座の変更" in m["subject"])
    link = re.search(r"https?://\S+/bank-confirm#t=\S+", body)
    assert link, body
    fragment = link.group(0).split("/bank-confirm", 1)[1]
    page.goto(f"{stack.base}/bank-confirm{fragment}")
    expect = playwright_expect()
    expect(page.locator("#account")).to_have_text("****789")
    assert "#t=" not in page.url  # the token leaves the address bar at once
    page.click("#confirm")
    expect(page.locator("#result")).to_contain_text("確認が済みました")
    status, shown = stack.request("GET", f"/stores/{store}", token="accountant")
    assert shown["bank_verified"] is True and shown["bank_change"]["confirmed_by"] == "store"


def _big_usage_csv(path: Path, rows: int) -> Path:
    run = uuid.uuid4().hex[:8]
    lines = ["取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分"]
    lines += [f"B{run}{i:07d},2031-06-{1 + i % 28:02d} 12:00:00,MP99{i % 50:04d},未登録店,{100 + i % 900},利用"
              for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_usage_upload_shows_progress_can_be_cancelled_and_says_plainly_when_a_file_was_already_imported(
        page: Any, stack: Stack, tmp_path: Path) -> None:
    """Issue 8: the console posts the file straight to S3 with a progress bar (percent, bytes, cancel),
    then follows the import S3's event started; the same file again is a warning, not a success."""
    expect = playwright_expect()
    _login_as(page, stack, "accountant", r"/console/settlements$")
    page.goto(f"{stack.base}/console/usage")
    expect(page.locator("#upload")).to_be_visible()

    # A ~5 MB export on a slow line (1 MB/s up, through Chromium's network emulation): the bar moves, then cancel.
    big = _big_usage_csv(tmp_path / "usage-big.csv", 70_000)
    size = big.stat().st_size
    assert size > 3_000_000
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 1_000_000})
    page.set_input_files("#usage-file", str(big))
    page.click("#upload")
    expect(page.locator("#upload-progress")).to_be_visible()
    expect(page.locator("#upload-phase")).to_contain_text("アップロード中です")
    total = re.escape(f"{size / 1048576:.1f} MB")
    expect(page.locator("#upload-progress-text")).to_have_text(
        re.compile(r"^([1-9]|[1-9]\d)%（[\d.,]+ (KB|MB) / " + total + "）$"), timeout=20_000)
    percent = int(page.locator("#upload-bar").get_attribute("value") or page.evaluate(
        "() => document.getElementById('upload-bar').value"))
    assert 0 < percent < 100
    screenshot(page, "console-usage-uploading.png")
    page.click("#upload-cancel")
    expect(page.locator("#flash")).to_contain_text("アップロードを取り消しました")
    expect(page.locator("#upload-progress")).to_be_hidden()
    expect(page.locator("#upload")).to_be_enabled()
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    # Nothing of the cancelled upload was imported: its import waits for a file that never came.
    status, listed = stack.request("GET", "/usage-imports", token="accountant")
    assert status == 200
    cancelled = listed["items"][0]
    assert cancelled["status"] == "awaiting_upload" and cancelled["filename"] == "usage-big.csv", cancelled

    # A small export: uploaded, imported by the (emulated) S3 event, reported.
    a, b = sorted([_make_store(stack), _make_store(stack)])
    small = _usage_csv(tmp_path / "usage-2025-06-again.csv", a, b)
    page.set_input_files("#usage-file", str(small))
    page.click("#upload")
    expect(page.locator("#flash")).to_contain_text("取り込みました")
    expect(page.locator("#flash")).to_have_class(re.compile(r"\bok\b"))
    first = re.search(r"IMP\d{6}", page.url)
    assert first
    expect(page.locator("#import-report")).to_contain_text("usage-2025-06-again.csv")

    # The same file again: said plainly, as a warning, naming the import that has it.
    page.set_input_files("#usage-file", str(small))
    page.click("#upload")
    message = f"このファイルは {first.group(0)} として取り込み済みです（新しい取引はありません）"
    expect(page.locator("#flash")).to_have_text(message)
    expect(page.locator("#flash")).to_have_class(re.compile(r"\bwarn\b"))
    expect(page.locator("#same-file")).to_contain_text(message)
    expect(page.locator("#rep-accepted")).to_have_text("0")
    expect(page.locator("#rep-duplicates")).to_have_text("5")
    second = re.search(r"IMP\d{6}", page.url)
    assert second and second.group(0) != first.group(0)
    expect(page.locator(f"#imports tr[data-import='{second.group(0)}']")).to_contain_text(f"{first.group(0)} と同じファイル")
    screenshot(page, "console-usage-same-file.png")
