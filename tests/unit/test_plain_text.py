"""Single-line and multi-line text fields (chalicelib.kernel.plain_text): no line break in a single line,
no control, separator, bidi or invisible format character anywhere, emoji sequences kept (QA A-F5)."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from chalicelib.kernel.input_errors import field_errors
from chalicelib.kernel.plain_text import (
    MULTI_LINE,
    MULTI_LINE_MESSAGE,
    SINGLE_LINE_MESSAGE,
    SingleLine,
    first_unsafe,
)

#: Each refused in a single-line field, by what it is.
REFUSED_IN_ONE_LINE = {
    "line feed": "店\n\n【重要】振込先変更のお知らせ https://example.com",
    "carriage return": "店\r名",
    "tab": "店\t名",
    "NUL": "店\x00名",
    "DEL": "店\x7f名",
    "C1 control (NEL)": "店\x85名",
    "line separator U+2028": "店\u2028名",
    "paragraph separator U+2029": "店\u2029名",
    "RLO U+202E": "\u202emoc.elpmaxe",
    "LRE U+202A": "\u202a店",
    "PDF U+202C": "店\u202c",
    "LRI U+2066": "\u2066店\u2069",
    "RLI U+2067": "店\u2067名",
    "FSI U+2068": "店\u2068名",
    "PDI U+2069": "店\u2069",
    "LRM U+200E": "店\u200e名",
    "RLM U+200F": "店\u200f名",
    "ALM U+061C": "店\u061c名",
    "ZWSP U+200B": "店\u200b名",
    "ZWNJ U+200C": "店\u200c名",
    "word joiner U+2060": "店\u2060名",
    "BOM U+FEFF": "\ufeff店名",
    "soft hyphen U+00AD": "店\u00ad名",
    "ZWJ between letters": "店\u200d名",
    "ZWJ alone": "\u200d",
    "ZWJ after an emoji, at the end": "カフェ\u2615\u200d",
    "ZWJ before an emoji, at the start": "\u200d\u2615",
    "ZWJ between an emoji and a letter": "\U0001f468\u200dA",
    "a tag character on its own": "店\U000e0067",
    "tags of a flag with no cancel tag": "\U0001f3f4\U000e0067\U000e0062",
    "tags with no black flag": "\U000e0067\U000e0062\U000e007f",
    "private use": "店\ue000",
    "unassigned": "店\U000e0000",
}

#: Each taken as it is in a single-line field.
TAKEN = {
    "plain Japanese": "みやぎ商店　本店",
    "ideographic space and half-width kana": "ﾐﾔｷﾞ ｼｮｳﾃﾝ",
    "an emoji": "カフェ\u2615",
    "VS16 emoji": "\u2764\ufe0f 食堂",
    "family (ZWJ sequence)": "\U0001f468\u200d\U0001f469\u200d\U0001f467 ファミリー食堂",
    "rainbow flag (VS16 + ZWJ)": "\U0001f3f3\ufe0f\u200d\U0001f308 BAR",
    "technologist with a skin tone (modifier + ZWJ)": "\U0001f469\U0001f3fd\u200d\U0001f4bb 教室",
    "woman running (ZWJ + gender sign)": "\U0001f3c3\u200d\u2640\ufe0f ランニング",
    "heart on fire": "\u2764\ufe0f\u200d\U0001f525",
    "flag of Scotland (tag sequence)": "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f パブ",
    "keycap": "1\ufe0f\u20e3 番館",
    "national flag (regional indicators)": "\U0001f1ef\U0001f1f5 和食",
    "punctuation and symbols": "〒980-8570 ＡＢＣ（株）・＆＠",
}


class One(BaseModel):
    name: SingleLine


MultiLine = Annotated[str, MULTI_LINE]


class Summary(BaseModel):
    summary: MultiLine


@pytest.mark.parametrize("text", REFUSED_IN_ONE_LINE.values(), ids=REFUSED_IN_ONE_LINE.keys())
def test_a_single_line_field_refuses_it_with_a_japanese_field_message(text):
    assert first_unsafe(text) is not None
    with pytest.raises(ValidationError) as refused:
        One.model_validate({"name": text})
    assert field_errors(refused.value, {"name": "店舗名"}, {}) == {"name": SINGLE_LINE_MESSAGE}


@pytest.mark.parametrize("text", TAKEN.values(), ids=TAKEN.keys())
def test_a_single_line_field_takes_it(text):
    assert first_unsafe(text) is None
    assert One.model_validate({"name": text}).name == text


def test_a_multi_line_field_keeps_line_breaks_and_nothing_else():
    text = "1行目\n2行目\n\n\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert Summary.model_validate({"summary": text}).summary == text
    for name, bad in REFUSED_IN_ONE_LINE.items():
        if name in ("line feed", "carriage return"):
            continue  # a line break, however it is written (the CRLF / CR test below)
        with pytest.raises(ValidationError) as refused:
            Summary.model_validate({"summary": "1行目\n" + bad})
        assert field_errors(refused.value, {}, {}) == {"summary": MULTI_LINE_MESSAGE}, name


def test_the_first_unsafe_character_is_pointed_at():
    assert first_unsafe("ab\u202ec") == 2
    assert first_unsafe("a\nb", multi_line=True) is None
    assert first_unsafe("a\nb") == 1


def test_a_multi_line_field_keeps_a_crlf_or_cr_line_break_as_a_line_feed() -> None:
    from chalicelib.kernel.plain_text import check_multi_line
    assert check_multi_line("一行目\r\n二行目\r三行目\n四行目") == "一行目\n二行目\n三行目\n四行目"
    with pytest.raises(ValueError):
        check_multi_line("一行目\r\n\t二行目")
