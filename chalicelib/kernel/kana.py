"""Kana normalisation for the Zengin transfer file and for store furigana.

People type account holder names in every form an IME allows; the transfer file accepts only the
half-width set in ``zengin_chars``. This module turns the first into the second, or says in Japanese
which character is the problem. See docs/reference/zengin.md "Characters" and "Legal-entity abbreviations".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import jaconv

from chalicelib.kernel.zengin_chars import BANK_NAME_CHARS, NAME_CHARS

__all__ = [
    "KanaError",
    "is_zengin_name",
    "to_katakana_reading",
    "to_zengin_bank_name",
    "to_zengin_name",
]


class KanaError(ValueError):
    """Input that cannot be written as kana; ``message`` is Japanese and shown to the user as is."""

    def __init__(self, message: str, char: str | None = None, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.char = char
        self.position = position

    def __str__(self) -> str:
        return self.message


# Kana with no JIS X 0201 form. jaconv would silently turn ヵ/ヶ (and ゕ/ゖ) into ｶ/ｹ and pass the
# others through, so they are rejected on the raw input before any conversion can hide them.
_NO_HALF_WIDTH = frozenset("ヰヱヵヶヷヸヹヺゐゑゕゖ")

# Per-character replacements done before jaconv, because jaconv either leaves these alone or maps
# them to a half-width character the file does not allow (ｰ, ･, small kana).
_PRE_MAP: dict[str, str] = {
    **dict.fromkeys("ーｰ－‐‑–—―−﹣", "-"),
    **dict.fromkeys("・･\u3000", " "),
    **dict.fromkeys("（﹙⁽₍", "("),
    **dict.fromkeys("）﹚⁾₎", ")"),
    # enlarge_smallkana knows neither small wa nor half-width small kana.
    "ヮ": "ﾜ",
    "ゎ": "ﾜ",
    **dict(zip("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ", strict=True)),
    # Stand-alone and combining (NFD, e.g. pasted from macOS) voicing marks.
    "゛": "ﾞ",
    "\u3099": "ﾞ",
    "゜": "ﾟ",
    "\u309a": "ﾟ",
    # Enclosed forms are how many people type （株） etc.; expand them so the abbreviation rule sees them.
    "㈱": "(株)",
    "㈲": "(有)",
    "㈴": "(名)",
    "㈾": "(資)",
    "㈶": "(財)",
    "㈳": "(社)",
    "㈻": "(学)",
    "㍿": "株式会社",
}

#: Legal-entity words and their bank abbreviations (docs/reference/zengin.md).
ENTITY_ABBREVIATIONS: dict[str, str] = {
    "株式会社": "ｶ",
    "有限会社": "ﾕ",
    "合名会社": "ﾒ",
    "合資会社": "ｼ",
    "合同会社": "ﾄﾞ",
    "医療法人": "ｲ",
    "財団法人": "ｻﾞｲ",
    "社団法人": "ｼﾔ",
    "宗教法人": "ｼﾕｳ",
    "学校法人": "ｶﾞｸ",
    "社会福祉法人": "ﾌｸ",
    "特定非営利活動法人": "ﾄｸﾋ",
    "農事組合法人": "ﾉｳ",
    "協同組合": "ｷﾖｳｸﾐ",
    "営業所": "ｴｲ",
    "出張所": "ｼﾕﾂ",
}

# The short kanji people write in parentheses: （株）宮城商店, 宮城医院（医）.
_SHORT_KANJI: dict[str, str] = {
    "株": "ｶ",
    "有": "ﾕ",
    "名": "ﾒ",
    "資": "ｼ",
    "同": "ﾄﾞ",
    "医": "ｲ",
    "財": "ｻﾞｲ",
    "社": "ｼﾔ",
    "宗": "ｼﾕｳ",
    "学": "ｶﾞｸ",
    "福": "ﾌｸ",
    "特非": "ﾄｸﾋ",
}

_KANA_ABBRS = sorted(set(ENTITY_ABBREVIATIONS.values()), key=len, reverse=True)


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# Matched on the already half-width string: kanji pass through the conversion unchanged.
_ENTITY_RE = re.compile(
    rf"(?P<word>{_alternation(ENTITY_ABBREVIATIONS)})"
    rf"|\( ?(?P<short>{_alternation(_SHORT_KANJI)}) ?\)"
    rf"|\((?P<kana>{_alternation(_KANA_ABBRS)})\)"
)
# Already-abbreviated prefix/suffix forms typed with a space after/before them: ｶ) ﾐﾔｷﾞ, ﾐﾔｷﾞ (ｶ.
_PREFIX_SPACE_RE = re.compile(rf"^({_alternation(_KANA_ABBRS)})\) +")
_SUFFIX_SPACE_RE = re.compile(rf" +\(({_alternation(_KANA_ABBRS)})$")
_SPACES_RE = re.compile(" {2,}")

_NAME_EMPTY = "口座名義を入力してください"


def _display(ch: str) -> str:
    """The character as the message names it; invisible ones as their code point."""
    if ch.isprintable() and not ch.isspace():
        return ch
    return f"U+{ord(ch):04X}"


def _is_kanji(ch: str) -> bool:
    if ch in "々〆〇":
        return True
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


def _char_error(ch: str, position: int) -> KanaError:
    if _is_kanji(ch):
        return KanaError(f"『{_display(ch)}』は使えません。カナで入力してください", ch, position)
    return KanaError(f"『{_display(ch)}』は振込データで使えない文字です", ch, position)


@functools.lru_cache(maxsize=4096)
def _half_width(ch: str) -> str:
    """One input character through the docs/reference/zengin.md jaconv pipeline (it is character-wise)."""
    if ch in _PRE_MAP:
        return _PRE_MAP[ch]
    out = jaconv.enlarge_smallkana(jaconv.hira2kata(ch))
    out = jaconv.z2h(out, kana=True, ascii=True, digit=True)
    return "".join(_PRE_MAP.get(c, c) for c in out).upper()


def _convert(text: str) -> tuple[str, list[int]]:
    """Half-width string plus, for each of its characters, the index of the input character it came from."""
    for i, ch in enumerate(text):
        if ch in _NO_HALF_WIDTH:
            raise _char_error(ch, i)
    parts: list[str] = []
    origins: list[int] = []
    for i, ch in enumerate(text):
        out = _half_width(ch)
        parts.append(out)
        origins.extend([i] * len(out))
    return "".join(parts), origins


def _check_chars(
    text: str, converted: str, origins: list[int], start: int, end: int, allowed: frozenset[str]
) -> None:
    for j in range(start, end):
        if converted[j] not in allowed:
            pos = origins[j]
            raise _char_error(text[pos], pos)


def _abbreviation(match: re.Match[str]) -> str:
    if match.group("word"):
        return ENTITY_ABBREVIATIONS[match.group("word")]
    if match.group("short"):
        return _SHORT_KANJI[match.group("short")]
    return match.group("kana")


def _split_entities(text: str, converted: str, origins: list[int]) -> tuple[list[str], list[str]]:
    """Text segments and the abbreviations between them (len(segments) == len(abbrs) + 1).

    Characters are checked here, in input order, so the first bad character is the one reported.
    """
    segments: list[str] = []
    abbrs: list[str] = []
    pos = 0
    for match in _ENTITY_RE.finditer(converted):
        _check_chars(text, converted, origins, pos, match.start(), NAME_CHARS)
        segments.append(converted[pos : match.start()])
        abbrs.append(_abbreviation(match))
        pos = match.end()
    _check_chars(text, converted, origins, pos, len(converted), NAME_CHARS)
    segments.append(converted[pos:])
    return segments, abbrs


def _join_entities(segments: list[str], abbrs: list[str]) -> str:
    """Apply the parenthesis rule: ｶ)… at the start, …(ｶ at the end, (ｶ) in the middle."""
    if not abbrs:
        return segments[0]
    if not "".join(segments).strip():
        # Only legal-entity words, no actual name.
        raise KanaError(_NAME_EMPTY)
    # Spaces next to an abbreviation are not kept: banks write ｶ)ﾐﾔｷﾞ, not ｶ) ﾐﾔｷﾞ.
    out = [segments[0].rstrip()]
    for k, abbr in enumerate(abbrs):
        before = k == 0 and not segments[0].strip()
        after = k == len(abbrs) - 1 and not segments[k + 1].strip()
        if before:
            out.append(f"{abbr})")
        elif after:
            out.append(f"({abbr}")
        else:
            out.append(f"({abbr})")
        following = segments[k + 1].lstrip()
        out.append(following if k == len(abbrs) - 1 else following.rstrip())
    return "".join(out)


def to_zengin_name(text: str, max_len: int = 30) -> str:
    """An account holder name as typed, in the transfer-file form (受取人名 / 振込依頼人名).

    Raises KanaError (Japanese message naming the character) when the name cannot be written.
    """
    converted, origins = _convert(text)
    segments, abbrs = _split_entities(text, converted, origins)
    name = _SPACES_RE.sub(" ", _join_entities(segments, abbrs)).strip()
    name = _PREFIX_SPACE_RE.sub(r"\1)", name)
    name = _SUFFIX_SPACE_RE.sub(r"(\1", name)
    if not name:
        raise KanaError(_NAME_EMPTY)
    if len(name) > max_len:
        raise KanaError(f"口座名義は振込データで{max_len}文字（濁点・半濁点を含む）までです")
    return name


def to_zengin_bank_name(text: str, max_len: int = 15) -> str:
    """A bank or branch name (zengin-code kana) in the transfer-file form, truncated to ``max_len``.

    Separators (space, ・, ．) in foreign bank names are dropped: the bank-name set has neither space
    nor period, and ``-`` already means the long vowel there.
    """
    converted, origins = _convert(text)
    kept = [(c, o) for c, o in zip(converted, origins, strict=True) if c not in " ."]
    name = "".join(c for c, _ in kept)
    _check_chars(text, name, [o for _, o in kept], 0, len(name), BANK_NAME_CHARS)
    if not name:
        raise KanaError("銀行名・支店名が空です")
    if len(name) <= max_len:
        return name
    cut = name[:max_len]
    # The bank's own convention prints names cut short, but a kana without its mark would be another
    # kana (ｶﾞ → ｶ), so a base whose mark falls past the limit goes too.
    if name[max_len] in "ﾞﾟ":
        cut = cut[:-1]
    return cut


def is_zengin_name(text: str) -> bool:
    """True when ``text`` can go into a name field of the transfer file unchanged."""
    return bool(text) and all(c in NAME_CHARS for c in text)


# ---------------------------------------------------------------------------------------------------
# Furigana (store_name_kana): a display reading, not a bank field, so full-width and small kana stay.

_KATAKANA_READING = frozenset(chr(c) for c in range(0x30A1, 0x30FB)) | frozenset("ーヽヾ・")
_READING_LONG_VOWEL = frozenset("ｰ－‐‑–—―−﹣-")
_READING_MARKS = {
    **dict.fromkeys("ﾞ゛\u3099", "\u3099"),
    **dict.fromkeys("ﾟ゜\u309a", "\u309a"),
}


def _reading_error(ch: str, position: int) -> KanaError:
    return KanaError(
        f"『{_display(ch)}』はフリガナに使えません。カタカナかひらがなで入力してください", ch, position
    )


def _reading_char(ch: str) -> str:
    if ch in _READING_LONG_VOWEL:
        return "ー"
    if ch in " \u3000":
        return " "
    if ch == "･":
        return "・"
    return jaconv.h2z(jaconv.hira2kata(ch), kana=True)


def to_katakana_reading(text: str) -> str:
    """A furigana field as full-width katakana (hiragana and half-width kana accepted).

    Spaces (half- or full-width) become one ASCII space; ends are stripped.
    """
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _READING_MARKS:
            # A voicing mark must combine with the kana before it (ｶﾞ → ガ); NFC knows which ones do.
            combined = unicodedata.normalize("NFC", (out[-1] if out else "") + _READING_MARKS[ch])
            if not out or len(combined) != 1:
                raise _reading_error(ch, i)
            out[-1] = combined
            continue
        conv = _reading_char(ch)
        if conv != " " and conv not in _KATAKANA_READING:
            raise _reading_error(ch, i)
        out.append(conv)
    reading = _SPACES_RE.sub(" ", "".join(out)).strip()
    if not reading:
        raise KanaError("フリガナを入力してください")
    return reading
