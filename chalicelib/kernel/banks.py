"""Bank and branch lookup from the zengin-code package data.

Importing ``zengin_code`` parses every bank and branch (~0.25 s, ~8 MB), which a Lambda cold start
should not pay unless a request actually needs a bank, so the import happens on first use, once.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jaconv

from chalicelib.kernel.kana import to_zengin_bank_name

__all__ = ["MAX_RESULTS", "BankInfo", "BranchInfo", "find_bank", "find_branch", "search_banks", "search_branches"]

_BANK_CODE = re.compile(r"[0-9]{4}")
_BRANCH_CODE = re.compile(r"[0-9]{3}")


@dataclass(frozen=True)
class BankInfo:
    code: str
    name: str
    #: half-width, as written in the transfer file (BANK_NAME_CHARS, at most 15)
    kana: str


@dataclass(frozen=True)
class BranchInfo:
    bank_code: str
    code: str
    name: str
    #: half-width, as written in the transfer file (BANK_NAME_CHARS, at most 15)
    kana: str


@functools.cache
def _all_banks() -> Mapping[str, Any]:
    import zengin_code  # deliberately lazy, see module docstring

    banks: Mapping[str, Any] = zengin_code.Bank.all  # zengin_code ships no type information
    return banks


def _is_code(value: object, pattern: re.Pattern[str]) -> bool:
    # fullmatch on [0-9], not str.isdigit: isdigit also accepts full-width and other Unicode digits.
    return isinstance(value, str) and pattern.fullmatch(value) is not None


@functools.lru_cache(maxsize=2048)
def find_bank(code: str) -> BankInfo | None:
    """The bank with this 4-digit code, or None (also for malformed codes)."""
    if not _is_code(code, _BANK_CODE):
        return None
    bank = _all_banks().get(code)
    if bank is None:
        return None
    return BankInfo(code=bank.code, name=bank.name, kana=to_zengin_bank_name(bank.kana))


@functools.lru_cache(maxsize=4096)
def find_branch(bank_code: str, branch_code: str) -> BranchInfo | None:
    """The branch ``branch_code`` (3 digits) of bank ``bank_code`` (4 digits), or None."""
    if not (_is_code(bank_code, _BANK_CODE) and _is_code(branch_code, _BRANCH_CODE)):
        return None
    bank = _all_banks().get(bank_code)
    branch = bank.branches.get(branch_code) if bank is not None else None
    if branch is None:
        return None
    return BranchInfo(
        bank_code=bank_code, code=branch.code, name=branch.name, kana=to_zengin_bank_name(branch.kana)
    )


#: At most this many answers to one search (a type-ahead list, not a browser).
MAX_RESULTS = 20

# People type the full legal form; the bank master writes the short one (七十七 for 七十七銀行, 杜の都信金).
_NAME_FORMS = (("銀行", ""), ("信用金庫", "信金"), ("信用組合", "信組"), ("労働金庫", "労金"),
               ("農業協同組合", "農協"), ("漁業協同組合", "漁協"), ("支店", ""))
_READING_FORMS = (("ギンコウ", ""), ("シンヨウキンコ", "シンキン"), ("シンヨウクミアイ", "シンクミ"),
                  ("ロウドウキンコ", "ロウキン"), ("シテン", ""))
_LONG_VOWELS = str.maketrans(dict.fromkeys("－ｰ-‐−―", "ー"))


def _name_key(text: str) -> str:
    # NFKC folds the master's full-width letters (三菱ＵＦＪ) and a typed half-width query alike.
    key = unicodedata.normalize("NFKC", text).casefold().replace(" ", "").replace("・", "")
    for long, short in _NAME_FORMS:
        key = key.replace(long, short)
    return key


def _reading_key(text: str) -> str:
    # zengin-code kana is full-width, large-kana katakana; bring a typed query to the same form.
    key = jaconv.enlarge_smallkana(jaconv.h2z(jaconv.hira2kata(text.strip()), kana=True))
    key = key.translate(_LONG_VOWELS).replace(" ", "").replace("\u3000", "").replace("・", "")
    for long, short in _READING_FORMS:
        key = key.replace(long, short)
    return key


@dataclass(frozen=True)
class _Entry:
    code: str
    name: str
    reading: str


@functools.cache
def _bank_index() -> tuple[_Entry, ...]:
    return tuple(_Entry(code, _name_key(bank.name), _reading_key(bank.kana)) for code, bank in _all_banks().items())


@functools.lru_cache(maxsize=256)
def _branch_index(bank_code: str) -> tuple[_Entry, ...]:
    bank = _all_banks().get(bank_code)
    if bank is None:
        return ()
    return tuple(_Entry(code, _name_key(b.name), _reading_key(b.kana)) for code, b in bank.branches.items())


def _rank(entries: tuple[_Entry, ...], query: str, limit: int) -> list[str]:
    """Codes of the entries matching `query`: a code prefix for digits, else the name or reading, whole
    before prefix before anywhere, each in code order."""
    text = query.strip() if isinstance(query, str) else ""
    limit = min(limit, MAX_RESULTS)
    if not text or limit <= 0:
        return []
    digits = unicodedata.normalize("NFKC", text)
    if digits.isascii() and digits.isdigit():
        return [e.code for e in entries if e.code.startswith(digits)][:limit]
    name, reading = _name_key(text), _reading_key(text)
    if not name and not reading:
        return []
    scored: list[tuple[int, str]] = []
    for e in entries:
        score = min(
            _score(e.name, name),
            _score(e.reading, reading),
        )
        if score < 3:
            scored.append((score, e.code))
    scored.sort()
    return [code for _, code in scored[:limit]]


def _score(value: str, query: str) -> int:
    if not query:
        return 3
    if value == query:
        return 0
    if value.startswith(query):
        return 1
    return 2 if query in value else 3


def search_banks(prefix_or_name: str, limit: int = 10) -> list[BankInfo]:
    """Banks whose code starts with the digits typed, or whose name or reading (kanji, katakana, hiragana,
    full- or half-width; 七十七銀行 finds 七十七) contains the text; at most MAX_RESULTS.

    A linear scan of ~1,150 prepared keys: cheap enough for a form's type-ahead.
    """
    found = (find_bank(code) for code in _rank(_bank_index(), prefix_or_name, limit))
    return [bank for bank in found if bank is not None]


def search_branches(bank_code: str, prefix_or_name: str, limit: int = 10) -> list[BranchInfo]:
    """Branches of one bank, matched as `search_banks` matches banks (本店 finds 本店営業部); [] for an unknown bank."""
    if not _is_code(bank_code, _BANK_CODE):
        return []
    found = (find_branch(bank_code, code) for code in _rank(_branch_index(bank_code), prefix_or_name, limit))
    return [branch for branch in found if branch is not None]
