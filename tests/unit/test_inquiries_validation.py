"""What an agent may send: normalised when right, a Japanese message per field when wrong."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.inquiries.validation import (
    validate_answer,
    validate_changes,
    validate_close,
    validate_escalation,
    validate_new,
)
from chalicelib.kernel.calendars import JST

NOW = datetime(2025, 6, 7, 18, 40, tzinfo=JST)
CODES = {"store_payment", "other"}


def body(**overrides):
    base = {"received_at": "2025-06-07T18:30:00+09:00", "channel": "phone", "caller_type": "store",
            "category": "store_payment", "summary": "振込日を知りたい", "answer": "20日です", "status": "resolved"}
    base.update(overrides)
    return base


def errors_of(fn, *args) -> dict[str, str]:
    with pytest.raises(InvalidInput) as exc:
        fn(*args)
    return exc.value.fields


def test_a_minimal_inquiry_is_normalised():
    fields = validate_new(body(summary="  振込日を知りたい \n", store_id="ｍｐ０００１２３", caller_phone="０８０－５５１２－３３９０",
                               caller_name=" ", handling_minutes=4), NOW, CODES)
    assert fields["received_at"] == datetime(2025, 6, 7, 18, 30, tzinfo=JST)
    assert fields["summary"] == "振込日を知りたい"
    assert fields["store_id"] == "MP000123"
    assert fields["caller_phone"] == "080-5512-3390"
    assert fields["caller_name"] is None
    assert fields["handling_minutes"] == 4
    assert fields["client_token"] is None


@pytest.mark.parametrize("raw,expected", [
    ("2025-06-07T18:30", datetime(2025, 6, 7, 18, 30, tzinfo=JST)),  # no offset: JST (the screen's field)
    ("2025-06-07T09:30:00Z", datetime(2025, 6, 7, 18, 30, tzinfo=JST)),
    ("2025-06-07T18:30:59.900+09:00", datetime(2025, 6, 7, 18, 30, 59, tzinfo=JST)),
    ("2025-06-07T18:48:00+09:00", datetime(2025, 6, 7, 18, 48, tzinfo=JST)),  # a PC clock a little ahead
])
def test_received_at_is_read_as_jst(raw, expected):
    assert validate_new(body(received_at=raw), NOW, CODES)["received_at"] == expected


@pytest.mark.parametrize("raw,message", [
    ("2025-06-07T19:00:00+09:00", "未来"),
    ("2025-05-01T10:00:00+09:00", "31日より前"),
    ("昨日", "形式"),
    ("", "形式"),
])
def test_received_at_refusals(raw, message):
    assert message in errors_of(validate_new, body(received_at=raw), NOW, CODES)["received_at"]


@pytest.mark.parametrize("overrides,field,message", [
    ({"channel": "fax"}, "channel", "受付方法は"),
    ({"caller_type": "company"}, "caller_type", "問合せ者は"),
    ({"category": "unknown"}, "category", "分類を一覧から"),
    ({"summary": "   "}, "summary", "問合せ内容を入力"),
    ({"summary": "あ" * 2001}, "summary", "2000文字以内"),
    ({"status": "escalated"}, "status", "「解決」または「対応中」"),
    ({"status": "resolved", "answer": ""}, "answer", "回答を入力"),
    ({"store_id": "MP12"}, "store_id", "MP で始まる8文字"),
    ({"caller_phone": "12-34"}, "caller_phone", "10桁または11桁"),
    ({"handling_minutes": 601}, "handling_minutes", "0〜600"),
    ({"handling_minutes": -1}, "handling_minutes", "0〜600"),
    ({"handling_minutes": True}, "handling_minutes", "0〜600"),
    ({"handling_minutes": "5"}, "handling_minutes", "0〜600"),
    ({"summary": 12}, "summary", "形式"),
    ({"nickname": "x"}, "nickname", "受け付けていません"),
    ({"client_token": "短い"}, "client_token", "再読み込み"),
])
def test_field_messages(overrides, field, message):
    fields = errors_of(validate_new, body(**overrides), NOW, CODES)
    assert message in fields[field], fields


def test_missing_fields_are_named():
    fields = errors_of(validate_new, {}, NOW, CODES)
    assert set(fields) == {"received_at", "channel", "caller_type", "category", "summary", "status"}
    assert fields["summary"] == "問合せ内容を入力してください"


def test_a_pending_inquiry_needs_no_answer():
    assert validate_new(body(status="pending", answer=""), NOW, CODES)["answer"] == ""


def test_changes_carry_only_what_was_sent():
    changes = validate_changes({"version": 3, "category": "other", "store_id": "", "caller_name": "宮城 次郎テスト"},
                               NOW, CODES)
    assert changes == {"version": 3, "category": "other", "store_id": None, "caller_name": "宮城 次郎テスト"}


@pytest.mark.parametrize("raw,field", [
    ({"category": "other"}, "version"),
    ({"version": 1}, "_body"),
    ({"version": 1, "summary": None}, "summary"),
    ({"version": 1, "category": "nope"}, "category"),
    ({"version": 1, "received_at": "2030-01-01T00:00"}, "received_at"),
    ({"version": "1", "answer": "x"}, "version"),
])
def test_change_refusals(raw, field):
    assert field in errors_of(validate_changes, raw, NOW, CODES)


def test_escalation_answer_and_close_bodies():
    assert validate_escalation({"reason": " 県の判断が必要 "}) == "県の判断が必要"
    assert "reason" in errors_of(validate_escalation, {"reason": ""})
    assert "reason" in errors_of(validate_escalation, {})
    assert validate_answer({"answer": "対象です"}) == "対象です"
    assert "answer" in errors_of(validate_answer, {"answer": "  "})
    assert validate_close({}) == {}
    assert validate_close({"answer": "案内済み", "handling_minutes": 3}) == {"answer": "案内済み", "handling_minutes": 3}
    assert "extra" in errors_of(validate_close, {"extra": 1})


def test_one_line_and_free_text_refuse_controls_and_invisible_characters():
    """The caller's name is one line; the summary, answer and reasons keep line breaks and nothing else of
    the kind (QA A-F5: such text reaches the escalation mail verbatim)."""
    from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE

    for name in ("宮城\n次郎", "宮城\t次郎", "\u202e郎次 城宮", "宮城\u2028次郎", "宮城\u200d次郎"):
        assert errors_of(validate_new, body(caller_name=name), NOW, CODES) == {"caller_name": SINGLE_LINE_MESSAGE}
        assert errors_of(validate_changes, {"version": 1, "caller_name": name}, NOW, CODES) == {
            "caller_name": SINGLE_LINE_MESSAGE}
    two_lines = "振込日を知りたい\n先月分について"
    assert validate_new(body(summary=two_lines, answer=two_lines), NOW, CODES)["summary"] == two_lines
    # A line break written CRLF (a Windows client) is a line break, kept as \n.
    assert validate_new(body(summary="振込日を知りたい\r\n先月分について"), NOW, CODES)["summary"] == two_lines
    for bad in ("振込日\tを知りたい", "振込日\u2029を知りたい", "\u2066振込日\u2069", "振込日\x0bを"):
        assert errors_of(validate_new, body(summary=bad), NOW, CODES) == {"summary": MULTI_LINE_MESSAGE}
        assert errors_of(validate_new, body(answer=bad), NOW, CODES) == {"answer": MULTI_LINE_MESSAGE}
        assert errors_of(validate_changes, {"version": 1, "summary": bad}, NOW, CODES) == {"summary": MULTI_LINE_MESSAGE}
        assert errors_of(validate_escalation, {"reason": bad}) == {"reason": MULTI_LINE_MESSAGE}
        assert errors_of(validate_answer, {"answer": bad}) == {"answer": MULTI_LINE_MESSAGE}
        assert errors_of(validate_close, {"answer": bad}) == {"answer": MULTI_LINE_MESSAGE}
    assert validate_escalation({"reason": "県の判断が必要\n（補助対象か）"}) == "県の判断が必要\n（補助対象か）"
