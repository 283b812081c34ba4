"""Kana normalisation: typed names → the Zengin transfer-file character set (reference/zengin.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.kernel.kana import (
    ENTITY_ABBREVIATIONS,
    KanaError,
    is_zengin_name,
    to_katakana_reading,
    to_zengin_bank_name,
    to_zengin_name,
)
from chalicelib.kernel.zengin_chars import BANK_NAME_CHARS, ENCODING, NAME_CHARS


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("キャノン", "ｷﾔﾉﾝ"),
        ("ヨーコ", "ﾖ-ｺ"),
        ("ヨ－コ", "ﾖ-ｺ"),
        ("ヨ‐コ", "ﾖ-ｺ"),
        ("ﾖｰｺ", "ﾖ-ｺ"),
        ("みやぎ たろう", "ﾐﾔｷﾞ ﾀﾛｳ"),
        ("きゃっしゅ", "ｷﾔﾂｼﾕ"),
        ("ﾐﾔｷﾞ ﾀﾛｳ", "ﾐﾔｷﾞ ﾀﾛｳ"),
        ("ｷｬｯｼｭ", "ｷﾔﾂｼﾕ"),
        ("ミヤギ　タロウ", "ﾐﾔｷﾞ ﾀﾛｳ"),
        ("  ミヤギ 　 タロウ  ", "ﾐﾔｷﾞ ﾀﾛｳ"),
        ("ジョン・スミス", "ｼﾞﾖﾝ ｽﾐｽ"),
        ("ｼﾞｮﾝ･ｽﾐｽ", "ｼﾞﾖﾝ ｽﾐｽ"),
        ("abc xyz", "ABC XYZ"),
        ("ａｂｃ１２３", "ABC123"),
        ("ABC.(1-2)", "ABC.(1-2)"),
        ("ガ", "ｶﾞ"),
        ("パ", "ﾊﾟ"),
        ("ヴ", "ｳﾞ"),
        ("ゔ", "ｳﾞ"),
        ("ヮ", "ﾜ"),
        ("カ\u3099", "ｶﾞ"),  # NFD from a macOS paste
        ("ミヤギ（タロウ）", "ﾐﾔｷﾞ(ﾀﾛｳ)"),
    ],
)
def test_to_zengin_name_normalises(typed: str, expected: str) -> None:
    assert to_zengin_name(typed) == expected


# (word, abbreviation) for every row of the reference table.
ABBREVIATIONS = [
    ("株式会社", "ｶ"),
    ("有限会社", "ﾕ"),
    ("合名会社", "ﾒ"),
    ("合資会社", "ｼ"),
    ("合同会社", "ﾄﾞ"),
    ("医療法人", "ｲ"),
    ("財団法人", "ｻﾞｲ"),
    ("社団法人", "ｼﾔ"),
    ("宗教法人", "ｼﾕｳ"),
    ("学校法人", "ｶﾞｸ"),
    ("社会福祉法人", "ﾌｸ"),
    ("特定非営利活動法人", "ﾄｸﾋ"),
    ("農事組合法人", "ﾉｳ"),
    ("協同組合", "ｷﾖｳｸﾐ"),
    ("営業所", "ｴｲ"),
    ("出張所", "ｼﾕﾂ"),
]


def test_abbreviation_table_is_complete() -> None:
    assert dict(ABBREVIATIONS) == ENTITY_ABBREVIATIONS


@pytest.mark.parametrize(("word", "abbr"), ABBREVIATIONS)
def test_entity_prefix(word: str, abbr: str) -> None:
    assert to_zengin_name(f"{word}ミヤギショウテン") == f"{abbr})ﾐﾔｷﾞｼﾖｳﾃﾝ"
    assert to_zengin_name(f"{word}　ミヤギショウテン") == f"{abbr})ﾐﾔｷﾞｼﾖｳﾃﾝ"


@pytest.mark.parametrize(("word", "abbr"), ABBREVIATIONS)
def test_entity_suffix(word: str, abbr: str) -> None:
    assert to_zengin_name(f"ミヤギショウテン{word}") == f"ﾐﾔｷﾞｼﾖｳﾃﾝ({abbr}"
    assert to_zengin_name(f"ミヤギショウテン {word}") == f"ﾐﾔｷﾞｼﾖｳﾃﾝ({abbr}"


@pytest.mark.parametrize(("word", "abbr"), ABBREVIATIONS)
def test_entity_middle(word: str, abbr: str) -> None:
    assert to_zengin_name(f"ミヤギ{word}センダイ") == f"ﾐﾔｷﾞ({abbr})ｾﾝﾀﾞｲ"
    assert to_zengin_name(f"ミヤギ {word} センダイ") == f"ﾐﾔｷﾞ({abbr})ｾﾝﾀﾞｲ"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ｶ)ﾐﾔｷﾞ", "ｶ)ﾐﾔｷﾞ"),
        ("カ）ミヤギ", "ｶ)ﾐﾔｷﾞ"),
        ("(カ)ミヤギ", "ｶ)ﾐﾔｷﾞ"),
        ("（ｶ）ﾐﾔｷﾞ", "ｶ)ﾐﾔｷﾞ"),
        ("カ) ミヤギ", "ｶ)ﾐﾔｷﾞ"),
        ("ミヤギ(カ", "ﾐﾔｷﾞ(ｶ"),
        ("ミヤギ（カ）", "ﾐﾔｷﾞ(ｶ"),
        ("ミヤギ (カ)", "ﾐﾔｷﾞ(ｶ"),
        ("ミヤギ(カ)センダイ", "ﾐﾔｷﾞ(ｶ)ｾﾝﾀﾞｲ"),
        ("(ド)ミヤギ", "ﾄﾞ)ﾐﾔｷﾞ"),
        ("（株）ミヤギ", "ｶ)ﾐﾔｷﾞ"),
        ("㈱ミヤギ", "ｶ)ﾐﾔｷﾞ"),
        ("ミヤギ㈲", "ﾐﾔｷﾞ(ﾕ"),
        ("ミヤギ（医）", "ﾐﾔｷﾞ(ｲ"),
        ("（特非）ミヤギ", "ﾄｸﾋ)ﾐﾔｷﾞ"),
        ("㍿ミヤギ", "ｶ)ﾐﾔｷﾞ"),
        ("株式会社ミヤギショウテンセンダイ営業所", "ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝｾﾝﾀﾞｲ(ｴｲ"),
    ],
)
def test_abbreviated_input(typed: str, expected: str) -> None:
    assert to_zengin_name(typed) == expected


@pytest.mark.parametrize(
    ("typed", "char", "position", "message"),
    [
        ("ヰ", "ヰ", 0, "『ヰ』は振込データで使えない文字です"),
        ("ミヤギヱ", "ヱ", 3, "『ヱ』は振込データで使えない文字です"),
        ("ヶ", "ヶ", 0, "『ヶ』は振込データで使えない文字です"),
        ("ヵ", "ヵ", 0, "『ヵ』は振込データで使えない文字です"),
        ("ヷ", "ヷ", 0, "『ヷ』は振込データで使えない文字です"),
        ("ゐ", "ゐ", 0, "『ゐ』は振込データで使えない文字です"),
        ("ゑ", "ゑ", 0, "『ゑ』は振込データで使えない文字です"),
        ("ゕ", "ゕ", 0, "『ゕ』は振込データで使えない文字です"),
        ("漢", "漢", 0, "『漢』は使えません。カナで入力してください"),
        ("ミヤギ 太郎", "太", 4, "『太』は使えません。カナで入力してください"),
        ("佐々木", "佐", 0, "『佐』は使えません。カナで入力してください"),
        # The abbreviation rule only applies when the rest is kana.
        ("株式会社宮城商店", "宮", 4, "『宮』は使えません。カナで入力してください"),
        ("宮城商店株式会社", "宮", 0, "『宮』は使えません。カナで入力してください"),
        ("ヲ", "ヲ", 0, "『ヲ』は振込データで使えない文字です"),
        ("ミヤギ＆タロウ", "＆", 3, "『＆』は振込データで使えない文字です"),
        ("ミヤギ,タロウ", ",", 3, "『,』は振込データで使えない文字です"),
        ("ミヤギ\tタロウ", "\t", 3, "『U+0009』は振込データで使えない文字です"),
        ("ミヤギ〜", "〜", 3, "『〜』は振込データで使えない文字です"),
    ],
)
def test_rejected_characters(typed: str, char: str, position: int, message: str) -> None:
    with pytest.raises(KanaError) as exc:
        to_zengin_name(typed)
    assert exc.value.char == char
    assert exc.value.position == position
    assert exc.value.message == message
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize("typed", ["", "   ", "\u3000", "・", "株式会社", "（株）"])
def test_empty_name(typed: str) -> None:
    with pytest.raises(KanaError) as exc:
        to_zengin_name(typed)
    assert exc.value.char is None
    assert exc.value.position is None
    assert exc.value.message == "口座名義を入力してください"


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("ア" * 30, True),
        ("ア" * 31, False),
        ("ガ" * 15, True),  # 30 bytes: each mark is its own byte
        ("ガ" * 15 + "ア", False),
        ("ア" * 29 + "ガ", False),
        ("株式会社" + "ア" * 28, True),  # ｶ) + 28
        ("株式会社" + "ア" * 29, False),
    ],
)
def test_length_limit_counts_marks(typed: str, ok: bool) -> None:
    if ok:
        assert len(to_zengin_name(typed)) <= 30
        return
    with pytest.raises(KanaError) as exc:
        to_zengin_name(typed)
    assert exc.value.message == "口座名義は振込データで30文字（濁点・半濁点を含む）までです"


def test_length_limit_is_configurable() -> None:
    assert to_zengin_name("ガガ", max_len=4) == "ｶﾞｶﾞ"
    with pytest.raises(KanaError, match="40文字"):
        to_zengin_name("ア" * 41, max_len=40)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ﾐﾔｷﾞ ﾀﾛｳ", True),
        ("ｶ)ﾐﾔｷﾞ(ｶ", True),
        ("ABC.-09", True),
        ("", False),
        ("ミヤギ", False),
        ("ｷｬﾉﾝ", False),
        ("ﾖｰｺ", False),
        ("ｦ", False),
        ("abc", False),
    ],
)
def test_is_zengin_name(text: str, expected: bool) -> None:
    assert is_zengin_name(text) is expected


@pytest.mark.parametrize(
    ("kana", "expected"),
    [
        ("シチジユウシチ", "ｼﾁｼﾞﾕｳｼﾁ"),
        ("ホンテン", "ﾎﾝﾃﾝ"),
        ("オ－ストラリア", "ｵ-ｽﾄﾗﾘｱ"),
        ("ナシヨナル．オ－ストラリア．ハ", "ﾅｼﾖﾅﾙｵ-ｽﾄﾗﾘｱﾊ"),  # separators dropped
        ("ソシエテ　ジエネラル", "ｿｼｴﾃｼﾞｴﾈﾗﾙ"),
        ("ＳＢＩシンセイ", "SBIｼﾝｾｲ"),
        ("ア" * 15, "ｱ" * 15),
        ("ア" * 20, "ｱ" * 15),
        # the 15th byte would be ｶ with its ﾞ cut off: drop the ｶ too
        ("ア" * 14 + "ガ", "ｱ" * 14),
        ("ア" * 13 + "ガ", "ｱ" * 13 + "ｶﾞ"),
        ("ア" * 14 + "パア", "ｱ" * 14),
        ("ア" * 14 + "カア", "ｱ" * 14 + "ｶ"),
    ],
)
def test_to_zengin_bank_name(kana: str, expected: str) -> None:
    assert to_zengin_bank_name(kana) == expected


@pytest.mark.parametrize("length", range(1, 40))
def test_bank_name_truncation_never_splits_a_mark(length: int) -> None:
    out = to_zengin_bank_name("ガパ" * 20, max_len=length)
    assert len(out) <= length
    assert len(out) >= length - 1
    assert not out or out[-1] in "ﾞﾟ"
    assert set(out) <= BANK_NAME_CHARS


def test_bank_name_rejects_kanji() -> None:
    with pytest.raises(KanaError) as exc:
        to_zengin_bank_name("七十七")
    assert exc.value.char == "七"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("みやぎ", "ミヤギ"),
        ("ミヤギ", "ミヤギ"),
        ("ﾐﾔｷﾞ", "ミヤギ"),
        ("ｶﾞｰﾃﾞﾝ", "ガーデン"),
        ("ﾊﾟﾝ", "パン"),
        ("きゃっと", "キャット"),  # small kana stay: this is a reading, not a bank field
        ("カフェ・ミヤギ", "カフェ・ミヤギ"),
        ("すーぱー", "スーパー"),
        ("ス－パ－", "スーパー"),
        ("ミヤギ　ショウテン", "ミヤギ ショウテン"),
        ("  ミヤギ  ショウテン ", "ミヤギ ショウテン"),
        ("ヴ", "ヴ"),
        ("カ\u3099", "ガ"),
    ],
)
def test_to_katakana_reading(typed: str, expected: str) -> None:
    assert to_katakana_reading(typed) == expected


@pytest.mark.parametrize(
    ("typed", "char", "position"),
    [
        ("宮城", "宮", 0),
        ("ミヤギA", "A", 3),
        ("ミヤギ1", "1", 3),
        ("ﾞア", "ﾞ", 0),
        ("パ゛", "゛", 1),
    ],
)
def test_to_katakana_reading_rejects(typed: str, char: str, position: int) -> None:
    with pytest.raises(KanaError) as exc:
        to_katakana_reading(typed)
    assert exc.value.char == char
    assert exc.value.position == position
    assert f"『{char}』" in exc.value.message


def test_to_katakana_reading_empty() -> None:
    with pytest.raises(KanaError, match="フリガナを入力してください"):
        to_katakana_reading(" \u3000 ")


_TYPED_CHARS = (
    "アイウエオカキクケコガギグゲゴパピプペポャュョッァィゥェォヮヴンヲヰヵヶー・"
    "あいうえおがぱゃゅょっゎゔゐ"
    "ｱｲｳｶﾞﾊﾟｧｯｬｰ･ﾞﾟ"
    "abcxyzABCXYZ019ａｚＡＺ０９ .-()（）－‐\u3000"
    "漢宮城々！＆,@\t〜"
)
_typed_name = st.lists(
    st.one_of(st.sampled_from(_TYPED_CHARS), st.sampled_from([*ENTITY_ABBREVIATIONS, "（株）", "㈱"])),
    max_size=25,
).map("".join)


@given(_typed_name)
def test_output_is_always_single_byte_name_chars(typed: str) -> None:
    try:
        out = to_zengin_name(typed)
    except KanaError as exc:
        assert exc.message
        if exc.position is not None:
            assert typed[exc.position] == exc.char
        return
    assert out
    assert set(out) <= NAME_CHARS
    assert len(out.encode(ENCODING)) == len(out) <= 30
    assert out == out.strip()
    assert "  " not in out
