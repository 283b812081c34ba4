"""Bodies with strings that cannot be stored or even encoded are refused at parse time (400), and the
error answer itself can always be encoded as UTF-8 (a lone surrogate is never echoed back)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import MalformedRequest
from chalicelib.kernel.input_errors import parse_json_object

LIMIT = 16384


def refused(raw: bytes) -> MalformedRequest:
    with pytest.raises(MalformedRequest) as caught:
        parse_json_object(raw, LIMIT)
    error = caught.value
    # What the HTTP layer will send: it must encode.
    json.dumps({"message": error.message, "fields": error.fields}, ensure_ascii=False).encode("utf-8")
    return error


@pytest.mark.parametrize(("raw", "fields"), [
    (b'{"\\udfff": 1}', {"_body": "項目名に使用できない文字が含まれています"}),
    (b'{"bank": {"\\ud800x": "1"}}', {"bank": "項目名に使用できない文字が含まれています"}),
    (b'{"items": [{"\\udc00": 1}]}', {"items[0]": "項目名に使用できない文字が含まれています"}),
    (b'{"store_name": "\\udfff"}', {"store_name": "制御文字や表示できない文字は使えません"}),
    (b'{"bank": {"holder_kana": "\\ud800"}}', {"bank.holder_kana": "制御文字や表示できない文字は使えません"}),
    (b'{"tags": ["ok", "\\ud800"]}', {"tags[1]": "制御文字や表示できない文字は使えません"}),
    (b'{"note": "a\\u0000b"}', {"note": "制御文字や表示できない文字は使えません"}),
    # bidi controls and line/paragraph separators, in any field (QA A-F5)
    (b'{"note": "\\u202emoc.elpmaxe"}', {"note": "制御文字や表示できない文字は使えません"}),
    (b'{"a": {"b": "x\\u2066y\\u2069"}}', {"a.b": "制御文字や表示できない文字は使えません"}),
    (b'{"note": "a\\u200fb"}', {"note": "制御文字や表示できない文字は使えません"}),
    (b'{"note": "a\\u2028b"}', {"note": "制御文字や表示できない文字は使えません"}),
    (b'{"note": "a\\u2029b"}', {"note": "制御文字や表示できない文字は使えません"}),
    (b'{"reason": "a\\u061cb"}', {"reason": "制御文字や表示できない文字は使えません"}),
])
def test_unstorable_strings_in_keys_or_values_are_refused_with_a_field(raw, fields):
    error = refused(raw)
    assert error.message == "使用できない文字が含まれています"
    assert error.fields == fields


def test_a_surrogate_pair_is_one_real_character_and_is_accepted():
    assert parse_json_object(b'{"name": "\\ud83d\\ude00"}', LIMIT) == {"name": "\U0001f600"}


def test_tabs_and_line_breaks_are_text():
    assert parse_json_object(b'{"answer": "1\\n2\\t3"}', LIMIT) == {"answer": "1\n2\t3"}


def test_an_emoji_zwj_sequence_is_text():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert parse_json_object(json.dumps({"store_name": family}).encode(), LIMIT) == {"store_name": family}


# Any code point, lone surrogates well represented.
chars = st.one_of(st.characters(exclude_categories=()), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.one_of(st.text(chars, max_size=5), st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(chars, max_size=5), inner, max_size=3)),
    max_leaves=6))
def test_any_json_object_is_accepted_or_refused_with_an_encodable_answer(value):
    raw = json.dumps({"v": value}).encode()  # ASCII escapes, lone surrogates included
    try:
        parse_json_object(raw, LIMIT)
    except MalformedRequest as error:
        json.dumps({"message": error.message, "fields": error.fields}, ensure_ascii=False).encode("utf-8")
