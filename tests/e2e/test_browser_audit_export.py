"""The audit screen's kind filter and CSV download (issue 13 point 7), in a browser on a stack of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect
from tests.e2e.conftest import Stack
from tests.factories import application_body

NOW = "2025-08-05T10:00:00+09:00"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


def test_the_audit_screen_filters_by_kind_and_downloads_an_audited_csv(browser: Any, own_stack: Stack) -> None:
    at = {"X-Miyapo-Now": NOW}
    status, answer = own_stack.request("POST", "/applications", application_body(), headers=at)
    assert status == 201, answer
    app_id = answer["application_id"]
    status, _ = own_stack.request("GET", f"/applications/{app_id}/bank-account", token="screener", headers=at)
    assert status == 200
    expect = playwright_expect()
    for tab in open_page(browser, width=1366):
        tab.goto(f"{own_stack.base}/console/login")
        tab.evaluate("now => sessionStorage.setItem('miyapo_now', now)", NOW)
        tab.goto(f"{own_stack.base}/console/login?as=admin&next=/console/audit")
        tab.wait_for_url(re.compile(r"/console/audit$"))
        tab.goto(f"{own_stack.base}/console/audit?date=2025-08-05")
        expect(tab.locator("#audit-count")).to_contain_text("2025-08-05")
        tab.select_option("#audit-kind", "personal")
        tab.locator("form[role=search] button[type=submit]").click()
        tab.wait_for_url(re.compile(r"kind=personal"))
        expect(tab.locator("#audit-count")).to_contain_text("種類 個人情報")
        expect(tab.locator("#audit tbody tr[data-action='application.view_bank_account']")).to_have_count(1)
        expect(tab.locator("#audit tbody tr[data-action='application.submit']")).to_have_count(0)
        with tab.expect_download() as info:
            tab.locator("#audit-export").click()
        body = open(info.value.path(), "rb").read()
        assert body.startswith(b"\xef\xbb\xbf")
        text = body.decode("utf-8-sig")
        assert text.startswith("日時,担当者,ロール,操作,対象,内容\r\n") and "申込の口座番号表示" in text
        assert "申込受付" not in text
        expect(tab.locator("#audit-export-note")).to_contain_text("ダウンロードしました")
    status, log = own_stack.request("GET", "/audit?subject=audit%23export", token="admin")
    assert status == 200 and [e["detail"]["kind"] for e in log["items"]] == ["personal"]

