"""Chromium for the browser tests: launched from Debian's binary (never a downloaded browser).

Locally the tests skip when Chromium is missing; in CI (`CI=true`) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT

SCREENSHOTS = ROOT / ".local" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
TIMEOUT_MS = 15_000


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} — the browser tests must run in CI (install: apt-get install chromium)")
    pytest.skip(reason)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        unavailable("Chromium not installed: apt-get install chromium")
    return str(path)


def launch_browser() -> Iterator[Any]:
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: pip install -r requirements-dev.txt")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def open_page(browser: Any, width: int = 1024, accept_dialogs: bool = False, **context: Any) -> Iterator[Any]:
    """A fresh context and tab; fails the test if the page raised a JavaScript error."""
    ctx = browser.new_context(locale="ja-JP", viewport={"width": width, "height": 900}, **context)
    ctx.set_default_timeout(TIMEOUT_MS)
    tab = ctx.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    if accept_dialogs:
        tab.on("dialog", lambda dialog: dialog.accept())
    try:
        yield tab
    finally:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def playwright_expect() -> Any:
    from playwright.sync_api import expect

    return expect


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
