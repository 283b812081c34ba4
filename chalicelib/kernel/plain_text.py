"""Text fields as people type them: what a single-line or a multi-line field may hold. Pure.

A single-line field (a store name, a representative, an address, an e-mail address…) ends up in the
subject or a line of an official mail, on a letter, in a CSV cell and on the console: it may not hold
a line break, a tab, any other control character (Unicode Cc), a line or paragraph separator
(U+2028/U+2029) or an invisible format character (Cf) — among them the bidi controls (U+202A–U+202E,
U+2066–U+2069, U+200E/U+200F, U+061C) that make text read in another order than it is stored (after
U+202E, `moc.elpmaxe` shows as `example.com`), and zero-width characters (U+200B, U+2060, U+FEFF…)
that make two names look alike. A multi-line field (an inquiry's summary, a survey's free
text) may keep its line breaks (`\\n`) and nothing else of these.

Emoji stay: a store name may be `カフェ☕` or `🏳️‍🌈 BAR`. The zero-width joiner (U+200D) is a format
character, but an emoji ZWJ sequence (👨‍👩‍👧, 🏳️‍🌈, 👩🏽‍💻, ❤️‍🔥) needs it, so a ZWJ is taken between two
emoji (a pictographic symbol, optionally followed by VS16 or a skin-tone modifier, on its left; a
pictographic symbol on its right) and refused anywhere else, where it is only invisible. The tag
characters (U+E0020–U+E007F, also Cf) are taken only inside a subdivision flag (🏴 + tags + U+E007F,
the flag of Scotland).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator

SINGLE_LINE_MESSAGE = "改行やタブ、表示されない文字（文字の向きを変える記号など）は使えません。1行で入力してください"
MULTI_LINE_MESSAGE = "タブや表示されない文字（文字の向きを変える記号など）は使えません"

ZWJ = "\u200d"
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
_TAGS = range(0xE0020, 0xE0080)
#: Between an emoji and the ZWJ that follows it: the emoji presentation selector, skin-tone modifiers.
_EMOJI_MODIFIERS = frozenset(["\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))])


def _is_emoji(ch: str) -> bool:
    # Pictographic symbols: the emoji blocks and the older symbol blocks that emoji come from (☕, ♀, ❤).
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def _joins_emoji(text: str, i: int) -> bool:
    """Whether the ZWJ at `i` stands inside an emoji ZWJ sequence."""
    j = i - 1
    while j >= 0 and text[j] in _EMOJI_MODIFIERS:
        j -= 1
    return j >= 0 and _is_emoji(text[j]) and i + 1 < len(text) and _is_emoji(text[i + 1])


def _in_flag_tags(text: str, i: int) -> bool:
    """Whether the tag character at `i` is part of a subdivision flag: 🏴, tags, then the cancel tag."""
    start = i
    while start > 0 and ord(text[start - 1]) in _TAGS:
        start -= 1
    end = i
    while end < len(text) and text[end] != _CANCEL_TAG and ord(text[end]) in _TAGS:
        end += 1
    return start > 0 and text[start - 1] == _BLACK_FLAG and end < len(text) and text[end] == _CANCEL_TAG


def first_unsafe(text: str, *, multi_line: bool = False) -> int | None:
    """The index of the first character `text` may not hold as a single-line (or multi-line) field."""
    for i, ch in enumerate(text):
        if ch == "\n" and multi_line:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp", "Cs", "Co", "Cn"):
            return i
        if category == "Cf":
            if ch == ZWJ and _joins_emoji(text, i):
                continue
            if ord(ch) in _TAGS and _in_flag_tags(text, i):
                continue
            return i
    return None


def check_single_line(value: str) -> str:
    """A pydantic after-validator: `value`, or ValueError with the Japanese field message."""
    if first_unsafe(value) is not None:
        raise ValueError(SINGLE_LINE_MESSAGE)
    return value


def line_feeds(text: str) -> str:
    """Line breaks written CRLF or CR (a Windows client, a form a browser posts) as ``\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_multi_line(value: Any) -> Any:
    """A pydantic after-validator for a field that may hold line breaks (None passes: optional fields);
    its line breaks are kept as ``\n`` (``line_feeds``)."""
    if isinstance(value, str):
        value = line_feeds(value)
        if first_unsafe(value, multi_line=True) is not None:
            raise ValueError(MULTI_LINE_MESSAGE)
    return value


def check_optional_single_line(value: Any) -> Any:
    return check_single_line(value) if isinstance(value, str) else value


#: Annotations to add to a field's type: `Annotated[Text, SINGLE_LINE]`.
SINGLE_LINE = AfterValidator(check_optional_single_line)
MULTI_LINE = AfterValidator(check_multi_line)

SingleLine = Annotated[str, SINGLE_LINE]
