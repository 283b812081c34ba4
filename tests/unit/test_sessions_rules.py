"""The planning and survey rules of the consultation sessions (pure): field messages in Japanese, the
period, the announcement lead time, one JST day, the survey codes, and masking of the free text."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from chalicelib.clock import JST
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.sessions import rules
from chalicelib.sessions.model import Session
from chalicelib.settings import SessionSettings

RULES = SessionSettings()


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "area_code": "042021", "venue": " 石巻市中央公民館 ", "address": "石巻市日和が丘1-1-1",
        "starts_at": "2025-06-14T10:00:00+09:00", "ends_at": "2025-06-14T12:00:00+09:00", "capacity": 30,
        "announce_on": "2025-05-24",
    }
    values.update(overrides)
    return values


def fields(data: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        rules.check_session(data, RULES, **kwargs)
    return caught.value.fields


def test_a_good_plan_is_normalised_to_jst() -> None:
    planned, version = rules.check_session(body(starts_at="2025-06-14T01:00:00Z", ends_at="2025-06-14T03:00:00Z",
                                                staff=["alice", " bob ", "alice"], partner=None), RULES)
    assert version == 0
    assert planned.venue == "石巻市中央公民館" and planned.partner == "" and planned.staff == ("alice", "bob")
    assert planned.starts_at == datetime(2025, 6, 14, 10, 0, tzinfo=JST) and planned.starts_at.utcoffset()
    assert planned.announce_on == date(2025, 5, 24)


def test_full_width_area_codes_are_accepted() -> None:
    planned, _ = rules.check_session(body(area_code="０４２０２１"), RULES)
    assert planned.area_code == "042021"


def test_every_problem_is_reported_at_once() -> None:
    found = fields(body(area_code="041009", venue="", address="x" * 201, capacity=0, notes="n" * 1001,
                        starts_at="2025-06-14T10:00:00", ends_at="soon", announce_on="2025/05/01", extra=1))
    assert found == {
        "area_code": "仙台市の場合は区を選んでください",
        "venue": "会場名を入力してください",
        "address": "会場の住所は200文字以内で入力してください",
        "capacity": f"定員は1〜{rules.MAX_CAPACITY}の整数で入力してください",
        "notes": "備考は1000文字以内で入力してください",
        "starts_at": "タイムゾーン付き（例: +09:00）で指定してください",
        "ends_at": rules.HINTS["ends_at"],
        "announce_on": rules.HINTS["announce_on"],
        "extra": "この項目は受け付けていません",
    }


@pytest.mark.parametrize("code", ["999999", "", "04202", "041009"])
def test_only_the_39_areas_are_session_areas(code: str) -> None:
    assert "area_code" in fields(body(area_code=code))


def test_all_39_areas_and_no_more_are_session_areas() -> None:
    from chalicelib.kernel.areas import all_areas

    assert sum(1 for a in all_areas() if rules.session_area(a.code)) == 39
    assert rules.session_area("041009") is None


@pytest.mark.parametrize(("starts", "ok"), [
    ("2025-05-01T09:00:00+09:00", True), ("2026-02-28T10:00:00+09:00", True),
    ("2025-04-30T10:00:00+09:00", False), ("2026-03-01T10:00:00+09:00", False),
    # 2025-04-30T23:30 UTC is May 1st in Japan
    ("2025-04-30T23:30:00+00:00", True),
])
def test_the_session_lies_within_the_period_by_jst_day(starts: str, ok: bool) -> None:
    start = datetime.fromisoformat(starts)
    data = body(starts_at=starts, ends_at=start.replace(minute=59).isoformat(), announce_on="2025-01-01")
    if ok:
        rules.check_session(data, RULES)
    else:
        assert "実施期間（2025年5月1日（木）〜2026年2月28日（土））" in fields(data)["starts_at"]


def test_the_announcement_comes_at_least_the_lead_time_before() -> None:
    rules.check_session(body(announce_on="2025-05-24"), RULES)  # exactly 21 days
    assert fields(body(announce_on="2025-05-25"))["announce_on"] == (
        "告知開始日は開催日の21日前（2025年5月24日（土））までにしてください")
    rules.check_session(body(announce_on="2025-06-01"), SessionSettings(session_min_lead_days=7))


def test_the_end_is_after_the_start_on_the_same_day() -> None:
    assert fields(body(ends_at="2025-06-14T10:00:00+09:00"))["ends_at"] == "終了日時は開始日時より後にしてください"
    assert "同じ日" in fields(body(ends_at="2025-06-15T01:00:00+09:00"))["ends_at"]


def test_types_are_strict() -> None:
    found = fields(body(capacity="30", venue=["x"], staff="alice"))
    assert set(found) == {"capacity", "venue", "staff"}
    assert "capacity" in fields(body(capacity=rules.MAX_CAPACITY + 1))
    assert "capacity" in fields(body(capacity=True))


def test_an_edit_needs_the_version_read() -> None:
    assert fields(body(), edit=True) == {"version": "版を入力してください"}
    _, version = rules.check_session(body(version=3), RULES, edit=True)
    assert version == 3


def session(**overrides: Any) -> Session:
    values: dict[str, Any] = {
        "session_id": "SS000001", "area_code": "042021", "venue": "会場", "address": "住所",
        "starts_at": datetime(2025, 6, 14, 10, tzinfo=JST), "ends_at": datetime(2025, 6, 14, 12, tzinfo=JST),
        "capacity": 30, "announce_on": date(2025, 5, 24),
    }
    values.update(overrides)
    return Session(**values)


def test_a_held_or_cancelled_session_is_not_editable() -> None:
    rules.check_editable(session())
    for status, label in (("held", "開催済み"), ("cancelled", "中止")):
        with pytest.raises(Conflict) as caught:
            rules.check_editable(session(status=status))
        assert caught.value.message == f"{label}の相談会は変更できません"


def test_attendance_waits_for_the_day_and_not_for_a_cancelled_session() -> None:
    with pytest.raises(Conflict):
        rules.check_attendance_allowed(session(), date(2025, 6, 13))
    rules.check_attendance_allowed(session(), date(2025, 6, 14))
    rules.check_attendance_allowed(session(status="held"), date(2025, 7, 1))
    with pytest.raises(Conflict):
        rules.check_attendance_allowed(session(status="cancelled"), date(2025, 6, 14))
    with pytest.raises(InvalidInput) as caught:
        rules.check_attendance({"attendees": -1, "manuals": 2.5})
    assert set(caught.value.fields) == {"attendees", "manuals"}
    assert rules.check_attendance({"attendees": 0, "manuals": 0}) == (0, 0, None)


def test_a_cancel_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.check_cancel({"reason": "  "})
    assert caught.value.fields == {"reason": "中止の理由を入力してください"}
    assert rules.check_cancel({"reason": " 台風 ", "version": 2}) == ("台風", 2)


SURVEY = {"age_band": "80plus", "purposes": ["points", "install", "install"], "could_do": [], "satisfaction": 3}


def test_a_survey_answer_keeps_the_code_lists_order() -> None:
    checked = rules.check_survey(SURVEY)
    assert (checked.age_band, checked.purposes, checked.could_do, checked.satisfaction, checked.needs) == (
        "80plus", ("install", "points"), (), 3, "")


def test_survey_problems_are_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.check_survey({"age_band": "90s", "purposes": [], "could_do": ["flying"], "satisfaction": 0,
                            "needs": "x" * 1001})
    assert caught.value.fields == {
        "age_band": "年代を選んでください", "purposes": "参加の目的を1つ以上選んでください",
        "could_do": "できるようになったことを一覧から選んでください", "satisfaction": "満足度は1〜5から選んでください",
        "needs": "ご要望は1000文字以内で入力してください",
    }
    with pytest.raises(InvalidInput) as caught:
        rules.check_survey({**SURVEY, "website": ""})  # staff entry has no honeypot field
    assert caught.value.fields == {"website": "この項目は受け付けていません"}


def test_the_public_honeypot_is_noticed() -> None:
    assert rules.check_survey({**SURVEY, "website": "http://x.example"}, public=True).bot
    assert not rules.check_survey({**SURVEY, "website": ""}, public=True).bot


@pytest.mark.parametrize(("text", "masked"), [
    ("電話 090-1234-5678 まで", "電話 ［電話番号］ まで"),
    ("０２２（２１１）２１１１に", "［電話番号］に"),
    ("+81 90 1234 5678", "［電話番号］"),
    ("09012345678", "［電話番号］"),
    ("mail: Taro.Yamada+x@example.co.jp です", "mail: ［メールアドレス］ です"),
    ("6月14日 10時 3000円 2025-06-14 定員30名", "6月14日 10時 3000円 2025-06-14 定員30名"),
    ("", ""),
])
def test_phones_and_mails_in_free_text_are_masked(text: str, masked: str) -> None:
    assert rules.mask_contacts(text) == masked
    assert rules.check_survey({**SURVEY, "needs": text}).needs == masked


def test_the_public_survey_window() -> None:
    planned = session()
    assert not rules.public_survey_open(planned, date(2025, 6, 13))
    assert rules.public_survey_open(planned, date(2025, 6, 14))
    assert rules.public_survey_open(planned, date(2025, 7, 14))
    assert not rules.public_survey_open(planned, date(2025, 7, 15))
    assert rules.public_survey_open(replace(planned, status="held"), date(2025, 12, 1))
    assert not rules.public_survey_open(replace(planned, status="cancelled"), date(2025, 6, 14))


def test_one_line_fields_and_free_text_refuse_controls_and_invisible_characters() -> None:
    """The venue, address, partner and staff names are one line (the public page, the flyer, the mails);
    notes, a cancel reason and the survey's wishes keep line breaks and nothing else of the kind (QA A-F5)."""
    from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE

    for bad in ("石巻市\n中央公民館", "石巻市\t中央公民館", "\u202e館民公央中", "石巻市\u2028中央", "石巻\u200b市"):
        assert fields(body(venue=bad)) == {"venue": SINGLE_LINE_MESSAGE}
        assert fields(body(address=bad)) == {"address": SINGLE_LINE_MESSAGE}
        assert fields(body(partner=bad)) == {"partner": SINGLE_LINE_MESSAGE}
        assert "staff" in fields(body(staff=["alice", bad]))
    planned, _ = rules.check_session(body(notes="駐車場あり\n2階の会議室"), RULES)
    assert planned.notes == "駐車場あり\n2階の会議室"
    assert rules.check_survey({**SURVEY, "needs": "もっと\n開いてほしい"}).needs == "もっと\n開いてほしい"
    for bad in ("駐車場\tあり", "駐車場\u2029あり", "\u2067駐車場\u2069", "駐車場\u200eあり"):
        assert fields(body(notes=bad)) == {"notes": MULTI_LINE_MESSAGE}
        with pytest.raises(InvalidInput) as caught:
            rules.check_cancel({"reason": bad})
        assert caught.value.fields == {"reason": MULTI_LINE_MESSAGE}
        with pytest.raises(InvalidInput) as caught:
            rules.check_survey({**SURVEY, "needs": bad}, public=True)
        assert caught.value.fields == {"needs": MULTI_LINE_MESSAGE}
