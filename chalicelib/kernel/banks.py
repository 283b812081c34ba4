"""Bank and branch lookup from the zengin-code package data.

Importing ``zengin_code`` parses every bank and branch (~0.25 s, ~8 MB), which a Lambda cold start
should not pay unless a request actually needs a bank, so the import happens on first use, once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jaconv

from chalicelib.kernel.kana import to_zengin_bank_name

__all__ = ["BankInfo", "BranchInfo", "find_bank", "find_branch", "search_banks"]

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


def _reading_key(text: str) -> str:
    # zengin-code kana is full-width, large-kana katakana; bring a typed query to the same form.
    return jaconv.enlarge_smallkana(jaconv.h2z(jaconv.hira2kata(text.strip()), kana=True))


def search_banks(prefix_or_name: str, limit: int = 10) -> list[BankInfo]:
    """Banks whose code starts with the digits typed, or whose name contains / reading starts with the text.

    A linear scan of ~1,150 banks: cheap enough for a form's autocomplete.
    """
    query = prefix_or_name.strip() if isinstance(prefix_or_name, str) else ""
    if not query or limit <= 0:
        return []
    reading = _reading_key(query)
    found: list[BankInfo] = []
    for code, bank in _all_banks().items():
        if query.isascii() and query.isdigit():
            hit = code.startswith(query)
        else:
            hit = query in bank.name or bank.kana.startswith(reading)
        if hit:
            info = find_bank(code)
            if info is not None:
                found.append(info)
            if len(found) >= limit:
                break
    return found
