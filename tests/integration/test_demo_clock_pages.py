"""The demo clock in the app (issue 15, point 1), through the test client on the local stage: requests without
X-Miyapo-Now, manual job runs and the pages follow the demo clock the local stack starts; the pages state it
(<meta name="miyapo-clock">, read by static/client.js and static/demo-clock.js) and the tour names the day.
A stage that is not the local stack states nothing and reads the real clock even with a demo clock running.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.clock import JST, DemoClock

DEMO_DAY = datetime(2025, 11, 14, 10, 0, tzinfo=JST)


@pytest.fixture
def demo() -> Iterator[DemoClock]:
    before = clock.demo_clock()
    running = clock.start_demo_clock(DemoClock(DEMO_DAY))
    assert running is not None
    try:
        yield running
    finally:
        clock.start_demo_clock(before)


@pytest.fixture
def real_clock() -> Iterator[None]:
    before = clock.demo_clock()
    clock.start_demo_clock(None)
    try:
        yield
    finally:
        clock.start_demo_clock(before)


def _stated_clock(page: str) -> dict[str, Any] | None:
    found = re.search(r'<meta name="miyapo-clock" content="([^"]*)">', page)
    return json.loads(html.unescape(found.group(1))) if found else None


def test_requests_without_a_pin_run_on_the_demo_clock_and_a_pin_still_wins(api: Any, demo: DemoClock) -> None:
    status, body = api.call("GET", "/health")
    assert status == 200 and body["now"].startswith("2025-11-14T10:0"), body
    status, body = api.call("GET", "/health", headers={"X-Miyapo-Now": "2025-06-02T10:00:00+09:00"})
    assert body["now"] == "2025-06-02T10:00:00+09:00"


def test_a_job_run_by_hand_without_a_now_runs_on_the_demo_clock(api: Any, demo: DemoClock) -> None:
    status, report = api.call("POST", "/jobs/escalation-sweep", as_="admin")
    assert status == 200 and report["now"].startswith("2025-11-14T10:0"), report


@pytest.mark.parametrize("path", ["/console", "/console/inquiries", "/console/sessions", "/apply"])
def test_the_pages_state_the_demo_clock(api: Any, demo: DemoClock, path: str) -> None:
    status, page = api.call("GET", path)
    assert status == 200 and isinstance(page, str)
    stated = _stated_clock(page)
    assert stated is not None and stated["source"] == "demo", page[:400]
    assert stated["start"] == DEMO_DAY.isoformat()
    assert stated["now"].startswith("2025-11-14T10:0")
    assert stated["note"] is None  # inside the program year


def test_on_the_real_clock_the_pages_say_so(api: Any, real_clock: None) -> None:
    before = datetime.now(JST)
    status, page = api.call("GET", "/console")
    assert status == 200
    stated = _stated_clock(page)
    assert stated is not None and stated["source"] == "real" and stated["start"] is None
    assert before <= datetime.fromisoformat(stated["now"]) <= datetime.now(JST)
    # The real day is outside FY2025 on this machine's calendar (late 2026) or not: the note says which.
    assert (stated["note"] is None) == (date(2025, 4, 1) <= before.date() <= date(2026, 3, 25))


def test_the_tour_names_the_demo_day_and_how_to_change_it(api: Any, demo: DemoClock) -> None:
    status, page = api.call("GET", "/console/tour")
    assert status == 200
    note = re.search(r'<p id="tour-clock">(.*?)</p>', page, re.S)
    assert note, page
    text = html.unescape(note.group(1))
    assert "2025年11月14日(金) 10:00 から実時間で進みます" in text
    assert "DEMO_NOW=off make run" in text and "DEMO_NOW=2025-10-15T10:00+09:00 make run" in text


def test_the_tour_on_the_real_clock_says_so(api: Any, real_clock: None) -> None:
    status, page = api.call("GET", "/console/tour")
    assert status == 200 and "この環境は実時間で動いています" in page


@pytest.fixture
def mislabelled(api: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The local stage's name pointing at real AWS: not the local stack."""
    from chalicelib import settings as settings_module
    from chalicelib.web import http

    settings = settings_module.get_settings().model_copy(
        update={"aws_endpoint_url": "https://dynamodb.ap-northeast-1.amazonaws.com"})
    assert settings.stage == "local" and not settings.is_local
    monkeypatch.setattr(settings_module, "get_settings", lambda: settings)
    monkeypatch.setattr(http, "get_settings", lambda: settings)
    return api


def test_outside_the_local_stack_a_running_demo_clock_is_ignored(mislabelled: Any, demo: DemoClock) -> None:
    before = datetime.now(JST)
    status, body = mislabelled.call("GET", "/health")
    assert status == 200 and datetime.fromisoformat(body["now"]) >= before
    status, page = mislabelled.call("GET", "/console")
    assert status == 200 and _stated_clock(page) is None
