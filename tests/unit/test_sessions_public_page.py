"""The public page of the consultation sessions (chalicelib/sessions/public_page.py): only what is
announced and still to come, grouped by region and area, cancelled ones marked, no script needed."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

from chalicelib.sessions.model import WHAT_TO_BRING, Session
from chalicelib.sessions.public_page import render_public_page, upcoming

JST = timezone(timedelta(hours=9))
TODAY = date(2025, 6, 2)


def _session(sid: str, area: str, day: date, announce: date, **extra: object) -> dict[str, object]:
    return {"session_id": sid, "area_code": area, "venue": f"会場{sid}", "address": "宮城県某所1-1",
            "starts_at": datetime(day.year, day.month, day.day, 10, 0, tzinfo=JST).isoformat(),
            "ends_at": datetime(day.year, day.month, day.day, 12, 0, tzinfo=JST).isoformat(),
            "announce_on": announce.isoformat(), "capacity": 30, "status": "scheduled", **extra}


LISTING = [
    _session("SS000001", "042064", date(2025, 6, 14), date(2025, 5, 20)),  # 白石市 (仙南), announced
    _session("SS000002", "041017", date(2025, 6, 21), date(2025, 5, 30), partner="青葉区役所"),  # 青葉区 (仙台)
    _session("SS000003", "041017", date(2025, 7, 5), date(2025, 6, 10)),  # not announced yet
    _session("SS000004", "042021", date(2025, 5, 31), date(2025, 5, 1)),  # 石巻市: already over
    _session("SS000005", "042153", date(2025, 6, 28), date(2025, 6, 1), status="cancelled"),  # 大崎市
]


def _page(listing=LISTING, **kwargs: object) -> str:
    return render_public_page(listing, today=TODAY, phone="0120-000-000", base_url="https://example.jp",
                              static_prefix="static/v/", **kwargs)


def test_only_announced_sessions_still_to_come_are_shown() -> None:
    page = _page()
    assert 'id="SS000001"' in page and 'id="SS000002"' in page and 'id="SS000005"' in page
    assert "SS000003" not in page  # announced on 6/10: not before
    assert "SS000004" not in page  # over
    assert [s["session_id"] for s in upcoming(LISTING, date(2025, 6, 10))] == ["SS000001", "SS000002", "SS000003", "SS000005"]


def test_grouped_by_region_then_area_with_plain_japanese_dates() -> None:
    page = _page()
    regions = re.findall(r'<h2 id="region-\d+">([^<]+)</h2>', page)
    assert regions == ["仙台地域", "仙南地域", "大崎地域"]
    assert "<h3>仙台市青葉区</h3>" in page and "<h3>白石市</h3>" in page
    assert "2025年6月14日（土） 10:00〜12:00" in page
    assert "協力</dt><dd>青葉区役所" in page


def test_cancelled_sessions_are_marked_and_have_no_flyer() -> None:
    page = _page()
    block = re.search(r'<li class="session cancelled" id="SS000005".*?</li>', page).group(0)
    assert "中止" in block and "flyer.pdf" not in block
    assert 'href="sessions/SS000001/flyer.pdf"' in page


def test_what_to_bring_phone_manual_and_print_address() -> None:
    page = _page()
    for item in WHAT_TO_BRING:
        assert f"<li>{item}</li>" in page
    assert 'href="tel:0120000000"' in page and "0120-000-000" in page
    assert 'href="sessions/manual.pdf"' in page
    assert "https://example.jp/sessions" in page
    assert 'href="static/v/sessions-public.css"' in page
    assert "manual.pdf" not in _page(manual=False) and "手引きは準備中です" in _page(manual=False)


def test_no_script_no_inline_style_and_everything_escaped() -> None:
    hostile = [_session("SS000009", "042064", date(2025, 6, 14), date(2025, 5, 1), venue="<script>x</script>",
                        address='"><img src=x onerror=alert(1)>')]
    page = _page(hostile)
    assert "<script" not in page and "<img" not in page and "style=" not in page

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.seen.append(tag)
            assert not [a for a, _ in attrs if a.startswith("on") or a == "style"]

    parser = Tags()
    parser.feed(page)
    assert "script" not in parser.seen


def test_no_sessions_says_so_and_session_objects_work_too() -> None:
    assert 'id="no-sessions"' in _page([])
    obj = Session(session_id="SS000010", area_code="042064", venue="白石市中央公民館", address="白石市",
                  starts_at=datetime(2025, 6, 14, 13, 30, tzinfo=JST), ends_at=datetime(2025, 6, 14, 15, 0, tzinfo=JST),
                  capacity=20, announce_on=date(2025, 5, 1))
    page = _page([obj])
    assert "白石市中央公民館" in page and "13:30〜15:00" in page


def test_the_screens_get_the_survey_labels_from_python() -> None:
    # The console's survey entry and the public survey page read these from labels.js (web/pages.labels).
    import app  # noqa: F401  (registers the routes whose roles the labels carry)
    from chalicelib.sessions.coverage import STATE_LABELS
    from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, STATUS_LABELS
    from chalicelib.web.pages import labels

    generated = labels()
    assert generated["AGE_BANDS"] == [[k, v] for k, v in AGE_BANDS.items()]
    assert generated["PURPOSES"] == [[k, v] for k, v in PURPOSES.items()]
    assert generated["COULD_DO"] == [[k, v] for k, v in COULD_DO.items()]
    assert generated["SESSION_STATUSES"] == STATUS_LABELS
    assert list(generated["WHAT_TO_BRING"]) == list(WHAT_TO_BRING)
    assert generated["COVERAGE_STATES"] == STATE_LABELS
    assert generated["WRITE_SESSIONS"] == ["admin", "coordinator"]
    assert generated["READ_SESSIONS"] == ["admin", "coordinator", "prefecture"]
