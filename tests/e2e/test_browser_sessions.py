"""Consultation sessions (相談会, issue 10) in a real browser (Chromium) against the real local stack:
a coordinator plans a session through the form (every field error at once first), sees it in the month
and on the coverage board; the prefecture reads without write buttons; residents see only announced
sessions on the public page at phone size; staff type paper surveys with the keyboard and a resident
answers on the public survey page.

The clock is pinned: the console sends sessionStorage's miyapo_now as X-Miyapo-Now, the public pages get
the header from the browser context (only the local stage honours it). Same Chromium handling as
test_browser.py: skipped locally without Chromium, a failure in CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import launch_browser, open_page, playwright_expect, screenshot
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PLANNING_NOW = "2025-06-02T10:00:00+09:00"
SURVEY_DAY = "2025-06-28T15:00:00+09:00"
MANUAL = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SHIROISHI, WAKABAYASHI, KESENNUMA, OSAKI = "042064", "041033", "042056", "042153"
#: A spread of the season over other areas (the board's picture): Sendai's wards and towns crowd August.
SEASON = [("041017", "2025-08-02"), ("041025", "2025-08-09"), ("041041", "2025-08-16"), ("041050", "2025-08-23"),
          ("042072", "2025-08-30"), ("042021", "2025-09-06"), ("042099", "2025-09-13"), ("042111", "2025-10-04"),
          ("042129", "2025-10-11"), ("042137", "2025-10-18"), ("042145", "2025-11-01"), ("042161", "2025-11-08"),
          ("043010", "2025-08-03"), ("044016", "2025-08-10"), ("044211", "2025-08-17"), ("045012", "2025-12-06")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, width=1366)


def _sign_in(page: Any, stack: Stack, user: str, now: str, next_path: str) -> None:
    page.goto(f"{stack.base}/console/login")
    page.evaluate("now => sessionStorage.setItem('miyapo_now', now)", now)
    page.goto(f"{stack.base}/console/login?as={user}&next={next_path}")
    page.wait_for_url(re.compile(re.escape(next_path.split("?")[0]) + r"(\?.*)?$"))


def _plan(stack: Stack, area: str, day: str, announce: str, venue: str, start: str = "10:00") -> str:
    body = {"area_code": area, "venue": venue, "address": "宮城県内1-2-3", "starts_at": f"{day}T{start}:00+09:00",
            "ends_at": f"{day}T{int(start[:2]) + 2:02d}:{start[3:]}:00+09:00", "capacity": 30,
            "announce_on": announce, "partner": "市役所 市民課"}
    status, answer = stack.request("POST", "/sessions", body, token="coordinator",
                                   headers={"X-Miyapo-Now": PLANNING_NOW})
    assert status == 201, answer
    return str(answer["session_id"])


def test_planning_form_field_errors_list_and_coverage_board(page: Any, stack: Stack) -> None:
    expect = playwright_expect()
    _sign_in(page, stack, "coordinator", PLANNING_NOW, "/console/sessions?month=2025-07")
    expect(page.locator("#nav a", has_text="相談会")).to_have_attribute("aria-current", "page")
    expect(page.locator("#calendar")).to_be_visible()

    # Bad input: every problem the API finds at once, in a list and next to each field.
    page.select_option("#s-area", SHIROISHI)
    page.fill("#s-day", "2025-06-10")
    page.fill("#s-start", "10:00")
    page.fill("#s-end", "09:00")
    page.fill("#s-capacity", "0")
    page.fill("#s-announce", "2025-06-05")
    page.click("#plan-save")
    problems = page.locator("#plan-errors li")
    expect(problems.first).to_be_visible()
    assert problems.count() >= 4, problems.all_inner_texts()
    expect(page.locator("#plan-errors")).to_contain_text("終了日時は開始日時より後にしてください")
    expect(page.locator("#plan-errors")).to_contain_text("告知開始日は開催日の21日前")
    for field in ("#s-venue", "#s-capacity", "#s-end", "#s-announce"):
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#s-venue-err")).not_to_be_empty()

    # Corrected: registered, shown in its month's calendar and list.
    page.fill("#s-venue", "白石市中央公民館")
    page.fill("#s-address", "白石市大手町1-1")
    page.fill("#s-day", "2025-07-12")
    page.fill("#s-end", "12:00")
    page.fill("#s-capacity", "30")
    page.fill("#s-announce", "2025-06-15")
    page.fill("#s-partner", "白石市 市民課")
    page.click("#plan-save")
    flash = page.locator("#flash")
    expect(flash).to_contain_text(re.compile(r"SS\d{6} を登録しました"))
    session_id = re.search(r"SS\d{6}", flash.inner_text()).group(0)
    expect(page.locator("#plan-errors li")).to_have_count(0)
    expect(page.locator(f"#calendar [data-date='2025-07-12'] a[data-session={session_id}]")).to_contain_text("白石市")
    row = page.locator(f"#session-list tr[data-session={session_id}]")
    expect(row).to_contain_text("2025/07/12（土） 10:00〜12:00")
    expect(row).to_contain_text("予定")
    # A new attempt clears the old success message.
    page.click("#plan-save")
    expect(page.locator("#plan-errors li").first).to_be_visible()
    expect(flash).to_be_empty()

    # Changed from its page: the form starts from what is stored.
    page.locator(f"#session-list tr[data-session={session_id}] a").click()
    page.locator("#edit-card summary").click()
    expect(page.locator("#edit-form #s-day")).to_have_value("2025-07-12")
    page.locator("#edit-form #s-venue").fill("白石市中央公民館 2階ホール")
    page.locator("#edit-form #plan-save").click()
    expect(page.locator("#flash")).to_have_text(f"{session_id} の変更を保存しました。")
    expect(page.locator("#app dl.fields")).to_contain_text("白石市中央公民館 2階ホール")

    # A second one, cancelled from its page: the reason is required, the record stays, marked 中止.
    spare = _plan(stack, SHIROISHI, "2025-07-26", "2025-06-20", "白石市体育館")
    page.goto(f"{stack.base}/console/sessions/{spare}")
    page.locator("#cancel-card summary").click()
    page.click("#cancel-session")
    expect(page.locator("#c-reason-err")).not_to_be_empty()
    page.fill("#c-reason", "会場の改修工事のため")
    page.click("#cancel-session")
    expect(page.locator("#flash")).to_contain_text(f"{spare} を中止にしました")
    expect(page.locator("#cancelled-note")).to_contain_text("会場の改修工事のため")
    expect(page.locator("#cancel-card")).to_have_count(0)

    # The installation manual: a file that is not a PDF is refused at its field; a PDF becomes the public one.
    page.goto(f"{stack.base}/console/sessions?month=2025-07")
    page.set_input_files("#m-file", files=[{"name": "memo.txt", "mimeType": "text/plain", "buffer": b"not a pdf"}])
    page.click("#manual-upload")
    expect(page.locator("#m-file-err")).to_have_text("PDF ファイルを選んでください")
    page.set_input_files("#m-file", files=[{"name": "tebiki.pdf", "mimeType": "application/pdf", "buffer": MANUAL}])
    page.click("#manual-upload")
    expect(page.locator("#flash")).to_contain_text(re.compile(r"手引きの第\d+版を公開しました"))
    expect(page.locator("#manual-latest")).to_contain_text("tebiki.pdf")

    # More of the season's plan (not 若林区 yet), then the board: tiles by state (words and marks, not
    # color alone) and the month x region grid.
    _plan(stack, OSAKI, "2025-07-19", "2025-06-20", "大崎市民会館")
    for n, (code, day) in enumerate(SEASON):
        _plan(stack, code, day, "2025-06-05", f"公民館{n + 1}")
    page.locator("#session-tabs a", has_text="実施状況").click()
    page.wait_for_url(re.compile(r"/console/sessions/coverage$"))
    board = page.locator("#coverage-board")
    expect(board.locator("li.tile")).to_have_count(39)
    tile = board.locator(f"li.tile[data-area='{SHIROISHI}']")
    expect(tile).to_have_attribute("data-state", "scheduled")
    expect(tile).to_contain_text("予定あり")
    expect(tile).to_contain_text("次回 7/12（土）")
    expect(board.locator(f"li.tile[data-area='{WAKABAYASHI}']")).to_contain_text("予定なし")
    expect(page.locator("#coverage-legend")).to_contain_text("開催済み")
    expect(page.locator("#month-grid td[data-month='2025-07'][data-region='仙南']")).to_contain_text("1")
    expect(page.locator("#missing")).to_contain_text("仙台市若林区")
    # August holds 8 of 18: the crowding rule's warning, and its column marked 集中 on the grid.
    expect(page.locator("#coverage-warnings")).to_contain_text("2025年8月に相談会が集中しています")
    expect(page.locator("#month-grid th[data-month='2025-08']")).to_contain_text("集中")
    screenshot(page, "sessions-coverage-board.png")


def test_prefecture_reads_without_write_buttons_and_logged_out_sees_only_login(browser: Any, stack: Stack) -> None:
    expect = playwright_expect()
    for tab in open_page(browser, width=1366):
        _sign_in(tab, stack, "prefecture", PLANNING_NOW, "/console/sessions/coverage")
        expect(tab.locator("#coverage-board li.tile")).to_have_count(39)
        tab.locator("#session-tabs a", has_text="日程").click()
        expect(tab.locator("#calendar")).to_be_visible()
        expect(tab.locator("#plan-form")).to_have_count(0)
        expect(tab.locator("#app button[type=submit]")).to_have_count(1)  # the month picker's 表示 only
        tab.locator("#session-tabs a", has_text="報告").click()
        expect(tab.locator("#report-totals")).to_be_visible()
        expect(tab.locator("#proposals-form")).to_have_count(0)
        expect(tab.locator("#report-csv")).to_be_visible()
    for tab in open_page(browser, width=1366):
        # Signed out: straight to the (local stand-in of the) hosted login, nothing of the board.
        tab.goto(f"{stack.base}/console/sessions/coverage")
        tab.wait_for_url(re.compile(r"/dev/oauth2/authorize\?"))
        expect(tab.locator("h1")).to_have_text("ログイン")
        expect(tab.locator("#coverage-board")).to_have_count(0)


def test_public_page_at_phone_size_shows_only_announced_sessions(browser: Any, stack: Stack) -> None:
    expect = playwright_expect()
    shown = _plan(stack, KESENNUMA, "2025-06-28", "2025-06-01", "気仙沼市民会館")
    later = _plan(stack, WAKABAYASHI, "2025-07-26", "2025-06-20", "若林区文化センター")
    cancelled = _plan(stack, SHIROISHI, "2025-06-29", "2025-06-01", "白石市福祉センター")
    status, answer = stack.request("POST", f"/sessions/{cancelled}/cancel", {"reason": "会場の都合", "version": 1},
                                   token="coordinator", headers={"X-Miyapo-Now": PLANNING_NOW})
    assert status == 200, answer
    status, _ = stack.request_bytes("POST", "/sessions/manuals?filename=manual.pdf", MANUAL, token="coordinator",
                                    headers={"Content-Type": "application/pdf"})
    assert status == 201
    status, pdf = stack.request_bytes("GET", "/sessions/manual.pdf")
    assert status == 200 and pdf == MANUAL
    for phone in open_page(browser, width=375, extra_http_headers={"X-Miyapo-Now": "2025-06-10T09:00:00+09:00"}):
        phone.set_viewport_size({"width": 375, "height": 812})
        phone.goto(f"{stack.base}/sessions")
        expect(phone.locator(f"li.session#{shown}")).to_contain_text("気仙沼市民会館")
        expect(phone.locator(f"li.session#{shown} a.button")).to_have_attribute("href", f"sessions/{shown}/flyer.pdf")
        expect(phone.locator(f"li.session#{later}")).to_have_count(0)  # announced only from 6/20
        expect(phone.locator(f"li.session#{cancelled}")).to_contain_text("中止")
        expect(phone.locator(f"li.session#{cancelled} a.button")).to_have_count(0)
        expect(phone.locator(".bring")).to_contain_text("マイナンバーカード")
        expect(phone.locator("#manual-link")).to_have_attribute("href", "sessions/manual.pdf")
        expect(phone.locator("#call-center")).to_have_attribute("href", re.compile(r"^tel:\d+"))
        size = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 18, size
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        tap = phone.locator(f"li.session#{shown} a.button").bounding_box()
        assert tap and tap["height"] >= 44, tap
        screenshot(phone, "sessions-public-phone.png")
        # Printable: on paper the buttons go, the page's address stays.
        phone.emulate_media(media="print")
        expect(phone.locator(f"li.session#{shown} .flyer")).to_be_hidden()
        expect(phone.locator(".url")).to_contain_text("/sessions")
        phone.emulate_media(media="screen")
    # Server-rendered: the same without JavaScript; and at 6/20 the later session appears.
    for plain in open_page(browser, width=375, java_script_enabled=False,
                           extra_http_headers={"X-Miyapo-Now": "2025-06-20T09:00:00+09:00"}):
        plain.goto(f"{stack.base}/sessions")
        expect(plain.locator(f"li.session#{later}")).to_contain_text("若林区文化センター")
        expect(plain.locator(f"li.session#{shown}")).to_be_visible()


def test_paper_surveys_by_keyboard_and_the_public_survey_page(page: Any, browser: Any, stack: Stack) -> None:
    expect = playwright_expect()
    keys = page.keyboard
    session_id = _plan(stack, OSAKI, "2025-06-28", "2025-06-05", "大崎市図書館", start="13:00")
    _sign_in(page, stack, "coordinator", SURVEY_DAY, f"/console/sessions/{session_id}")
    expect(page.locator("#survey-form")).to_be_visible()

    # Sheet 1: 70代 (6), came for install and points (1, 3), could install (1), satisfaction 5, a remark.
    page.locator("#sv-age_band").focus()
    keys.type("6")
    expect(page.locator("#sv-purposes")).to_be_focused()  # a single answer moves on by itself
    keys.type("13")
    expect(page.locator("#sv-purposes-keys [data-code=install]")).to_have_attribute("aria-pressed", "true")
    keys.press("Tab")
    keys.type("1")
    keys.press("Tab")
    keys.type("5")
    expect(page.locator("#sv-needs")).to_be_focused()
    keys.type("文字を大きくしてほしい 090-1234-5678")
    keys.press("Control+Enter")
    expect(page.locator("#flash")).to_contain_text("1枚目のアンケートを登録しました")
    expect(page.locator("#survey-counter")).to_have_text("この画面で入力した枚数：1枚")
    expect(page.locator("#sv-age_band")).to_be_focused()
    expect(page.locator("#sv-purposes")).to_have_value("")

    # Sheet 2: Enter in a box registers; without a satisfaction the API's message shows at its box.
    keys.type("7")
    keys.type("2")
    keys.press("Enter")
    expect(page.locator("#sv-satisfaction-err")).not_to_be_empty()
    expect(page.locator("#survey-counter")).to_have_text("この画面で入力した枚数：1枚")
    page.locator("#sv-satisfaction").focus()
    keys.type("4")
    keys.press("Control+Enter")
    expect(page.locator("#survey-counter")).to_have_text("この画面で入力した枚数：2枚")

    # Attendance marks it held.
    page.fill("#a-attendees", "12")
    page.fill("#a-manuals", "10")
    page.click("#attendance-save")
    expect(page.locator("#flash")).to_contain_text("参加者数を記録しました（12人）")
    expect(page.locator("h1 .badge")).to_have_text("開催済み")

    status, detail = stack.request("GET", f"/sessions/{session_id}", token="coordinator",
                                   headers={"X-Miyapo-Now": SURVEY_DAY})
    assert status == 200, detail
    answers = sorted(detail["surveys"], key=lambda a: a["answer_id"])
    assert [(a["age_band"], a["satisfaction"]) for a in answers] == [("70s", 5), ("80plus", 4)]
    assert answers[0]["purposes"] == ["install", "points"] and answers[0]["could_do"] == ["installed"]
    assert "090-1234-5678" not in answers[0]["needs"]

    # The public survey page (the flyer's QR code) at phone size: errors per question, then thanks.
    for phone in open_page(browser, width=375, extra_http_headers={"X-Miyapo-Now": SURVEY_DAY}):
        phone.goto(f"{stack.base}/sessions/{session_id}/survey")
        expect(phone.locator("#survey-heading")).not_to_be_empty()
        phone.locator("#send").click()
        expect(phone.locator("#e-age_band")).not_to_be_empty()
        expect(phone.locator("#message")).to_contain_text("入力内容を確認してください")
        screenshot(phone, "sessions-survey-errors-phone.png")
        phone.locator("#c-age_band label", has_text="60代").click()
        phone.locator("#c-purposes label", has_text="マイナンバーカードの登録").click()
        phone.locator("#c-could_do label", has_text="マイナンバーカードを登録できた").click()
        phone.locator("#c-satisfaction label").nth(3).click()
        phone.fill("#needs", "また来たいです")
        phone.locator("#send").click()
        expect(phone.locator("#thanks")).to_be_visible()
        expect(phone.locator("#survey")).to_be_hidden()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(phone, "sessions-survey-phone.png")
    status, detail = stack.request("GET", f"/sessions/{session_id}", token="coordinator",
                                   headers={"X-Miyapo-Now": SURVEY_DAY})
    assert len(detail["surveys"]) == 3 and detail["surveys"][-1]["source"] == "public"

    # The month's report: totals from these answers, charts, proposals saved, the CSV downloaded.
    page.goto(f"{stack.base}/console/sessions/report?month=2025-06")
    expect(page.locator("#t-held")).to_have_text("1回")
    expect(page.locator("#t-attendees")).to_have_text("12人")
    expect(page.locator("#t-surveys")).to_contain_text("3件")
    expect(page.locator("#chart-age li", has_text="70代").locator(".bar-value")).to_have_text("1")
    expect(page.locator("#needs-list")).to_contain_text("また来たいです")
    page.fill("#proposals", "80歳以上の参加者が多く、文字の大きい手引きが求められている。")
    page.click("#proposals-save")
    expect(page.locator("#flash")).to_contain_text("2025年6月の改善提案を保存しました")
    with page.expect_download() as download:
        page.click("#report-csv")
    assert download.value.suggested_filename.endswith(".csv")
    screenshot(page, "sessions-report.png")
