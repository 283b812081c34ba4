"""Personal data protection in a real browser (Chromium) against the local stack (issue 13 points 4 and 6):
an admin runs an incident query over a day on which a screener revealed a bank account, reads who touched
what, and downloads the first-report CSV; then records a staff member's personal-data training.
Skipped locally without Chromium, a failure in CI (tests/e2e/browser_support.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack
from tests.factories import application_body

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

NOW = "2026-10-15T10:00:00+09:00"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


def _login(tab: Any, stack: Stack, user: str, page: str) -> None:
    tab.goto(f"{stack.base}/console/login")
    tab.evaluate("now => sessionStorage.setItem('miyapo_now', now)", NOW)
    tab.goto(f"{stack.base}/console/login?as={user}&next=/console/{page}")
    tab.wait_for_url(re.compile(rf"/console/{page}$"))
    playwright_expect()(tab.locator("#who")).to_contain_text(user)


def test_an_admin_runs_an_incident_query_and_downloads_the_csv(browser: Any, stack: Stack, tmp_path: Path) -> None:
    expect = playwright_expect()
    answer: Any
    revealed: Any
    status, answer = stack.request("POST", "/applications", application_body(), headers={"X-Miyapo-Now": NOW})
    assert status == 201, answer
    status, revealed = stack.request("GET", f"/applications/{answer['application_id']}/bank-account", token="screener",
                                     headers={"X-Miyapo-Now": NOW})
    assert status == 200, revealed
    for tab in open_page(browser, width=1366):
        _login(tab, stack, "admin", "privacy")
        expect(tab.locator("#nav a[aria-current=page]")).to_have_text("個人情報")
        expect(tab.locator("#inc-from")).to_have_value("2026-10-15T00:00")
        tab.fill("#inc-actor", "screener")
        tab.click("#inc-run")
        result = tab.locator("#incident-result")
        expect(result).to_be_visible()
        expect(tab.locator("#inc-kinds")).to_contain_text("口座情報")
        expect(tab.locator("#inc-encrypted")).to_have_text("あり")  # applications: sealed per field
        expect(tab.locator("#inc-accessed tr[data-user=screener]")).to_be_visible()
        screenshot(tab, "privacy-incident.png")
        with tab.expect_download() as info:
            tab.click("#inc-csv")
        path = tmp_path / "incident.csv"
        info.value.save_as(str(path))
        text = path.read_bytes().decode("utf-8-sig")
        assert "暗号化の有無" in text and "口座情報" in text and "screener" in text
        assert revealed["account_number"] not in text
        expect(tab.locator("#inc-note")).to_contain_text("ダウンロードしました")


def test_an_admin_records_a_staff_members_training(browser: Any, stack: Stack) -> None:
    expect = playwright_expect()
    for tab in open_page(browser, width=1366):
        _login(tab, stack, "admin", "staff")
        expect(tab.locator("#staff-table tr[data-user=screener2]")).to_contain_text("受講済み")
        tab.select_option("#tr-user", "coordinator")
        tab.fill("#tr-year", "2026")
        tab.fill("#tr-date", "2026-10-01")
        tab.fill("#tr-course", "個人情報保護研修（ブラウザテスト）")
        tab.click("#tr-save")
        expect(tab.locator("#flash")).to_contain_text("coordinator の受講記録を登録しました")
        expect(tab.locator("#training-table tr[data-user=coordinator]", has_text="ブラウザテスト")).to_be_visible()
        # an error is shown next to its field
        tab.fill("#tr-date", "")
        tab.click("#tr-save")
        expect(tab.locator("#tr-date-err")).to_contain_text("受講日")
        screenshot(tab, "staff-training.png")


def test_the_prefecture_reads_the_personal_data_audit_entries(browser: Any, stack: Stack) -> None:
    expect = playwright_expect()
    status, answer = stack.request("POST", "/applications", application_body(), headers={"X-Miyapo-Now": NOW})
    assert status == 201, answer
    app_id = answer["application_id"] if isinstance(answer, dict) else ""
    assert stack.request("GET", f"/applications/{app_id}/bank-account", token="screener",
                         headers={"X-Miyapo-Now": NOW})[0] == 200
    for tab in open_page(browser, width=1366):
        _login(tab, stack, "prefecture", "privacy")
        tab.select_option("#pa-kind", "reveal")
        tab.click("#pa-run")
        expect(tab.locator("#privacy-audit-table")).to_contain_text(f"application#{app_id}")
        expect(tab.locator("#privacy-audit-table")).to_contain_text("申込の口座番号表示")
