"""Writer of the Zengin 総合振込 transfer file (種別コード 21).

Pure functions from data to bytes: no I/O, no clock, no bank look-ups. The layout follows
docs/reference/zengin.md; every record is 120 single-byte characters encoded with ``ENCODING``.

Nothing is truncated or converted here. Names must already be normalised half-width kana
(the kana normaliser does that) and bank/branch names already cut to 15 characters by the caller:
a holder name silently shortened or altered could send money to the wrong account, so a bad value
raises ``ZenginFieldError`` instead.

The independent check is ``zengin_reader``; it must never import this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from chalicelib.kernel.zengin_chars import BANK_NAME_CHARS, EDI_CHARS, ENCODING, NAME_CHARS

RECORD_LENGTH = 120
MAX_AMOUNT = 9_999_999_999  # 振込金額 N10
MAX_TOTAL = 999_999_999_999  # 合計金額 N12
MAX_COUNT = 999_999  # 合計件数 N6
LINE_ENDINGS = (b"\r\n", b"")  # CRLF after every record, or a plain 120-byte stream; never LF-only

REQUESTER_ACCOUNT_TYPES = frozenset("129")  # 預金種目(依頼人): 普通, 当座, その他
PAYEE_ACCOUNT_TYPES = frozenset("1249")  # 預金種目: 普通, 当座, 貯蓄, その他
NEW_CODES = frozenset("012")  # 新規コード
TRANSFER_KINDS = frozenset("780")  # 振込指定区分: テレ振込, 文書, or 0 where the bank wants it


class ZenginFieldError(ValueError):
    """A value that cannot be written into the file as it is.

    ``record_index`` is the 0-based position of the record in the file: 0 is the header, ``k`` is the
    data record of ``transfers[k - 1]``, ``len(transfers) + 1`` is the trailer.
    """

    def __init__(self, record_index: int, field: str, message: str) -> None:
        super().__init__(f"record {record_index}, {field}: {message}")
        self.record_index = record_index
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Requester:
    """The operator (振込依頼人) as its bank registered it."""

    requester_code: str  # 10 digits, assigned by the bank
    name: str  # ≤40, NAME_CHARS
    bank_code: str  # 4 digits
    bank_name: str  # ≤15, BANK_NAME_CHARS
    branch_code: str  # 3 digits
    branch_name: str  # ≤15, BANK_NAME_CHARS
    account_type: str  # '1', '2' or '9'
    account_number: str  # 7 digits


@dataclass(frozen=True)
class Transfer:
    """One payee and amount: one data record."""

    bank_code: str  # 4 digits
    bank_name: str  # ≤15, BANK_NAME_CHARS
    branch_code: str  # 3 digits
    branch_name: str  # ≤15, BANK_NAME_CHARS
    account_type: str  # '1', '2', '4' or '9'
    account_number: str  # 7 digits
    holder_name: str  # ≤30, NAME_CHARS
    amount: int  # yen, 1 … 9,999,999,999
    new_code: str = "0"
    customer_code1: str = ""  # ≤10 digits; '' is written as zeros
    customer_code2: str = ""
    transfer_kind: str = "7"  # 振込指定区分
    edi: str | None = None  # ≤20, EDI_CHARS; replaces both customer codes (識別表示 'Y')


# --- field checks -------------------------------------------------------------------------------

_DIGITS_RE = re.compile(r"[0-9]*")  # ASCII only: str.isdigit() would accept '１' or '²'


def _require_str(index: int, field: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"record {index}, {field}: expected str, got {type(value).__name__}")
    return value


def _digits(index: int, field: str, value: object, length: int) -> str:
    """An N field given as exactly ``length`` digits (codes and account numbers are never padded here:
    a 6-digit account number is a data error, not something to zero-fill)."""
    text = _require_str(index, field, value)
    if len(text) != length or not _DIGITS_RE.fullmatch(text):
        raise ZenginFieldError(index, field, f"must be exactly {length} digits, got {text!r}")
    return text


def _optional_digits(index: int, field: str, value: object, length: int) -> str:
    """顧客コード (N10, optional): up to ``length`` digits, right-justified and zero-filled."""
    text = _require_str(index, field, value)
    if len(text) > length or not _DIGITS_RE.fullmatch(text):
        raise ZenginFieldError(index, field, f"must be at most {length} digits, got {text!r}")
    return text.rjust(length, "0")


def _text(index: int, field: str, value: object, length: int, allowed: frozenset[str]) -> str:
    """A C field: left-justified, space-filled. Never truncated or converted."""
    text = _require_str(index, field, value)
    if not text:
        raise ZenginFieldError(index, field, "must not be empty")
    if len(text) > length:
        raise ZenginFieldError(index, field, f"{len(text)} characters, at most {length} allowed: {text!r}")
    if not allowed.issuperset(text):  # the usual case in one C call; the characters named only when it fails
        bad = sorted({c for c in text if c not in allowed})
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in bad)
        raise ZenginFieldError(index, field, f"characters not allowed in this field: {shown}")
    # Trailing spaces are indistinguishable from the space padding, and a leading space is never
    # part of a registered name: either means the value was not normalised.
    if text != text.strip(" "):
        raise ZenginFieldError(index, field, f"must not start or end with a space: {text!r}")
    return text.ljust(length, " ")


def _choice(index: int, field: str, value: object, allowed: frozenset[str]) -> str:
    text = _require_str(index, field, value)
    if len(text) != 1 or text not in allowed:
        raise ZenginFieldError(index, field, f"must be one of {sorted(allowed)}, got {text!r}")
    return text


def _amount(index: int, value: object) -> int:
    # bool is an int subclass and a float may carry a fraction of a yen: neither is an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"record {index}, amount: expected int yen, got {type(value).__name__}")
    if not 1 <= value <= MAX_AMOUNT:
        raise ZenginFieldError(index, "amount", f"must be 1 … {MAX_AMOUNT:,} yen (N10), got {value:,}")
    return value


# --- records ------------------------------------------------------------------------------------


def _header(requester: Requester, transfer_date: date) -> str:
    i = 0
    fields = [
        "1",  # 1: データ区分
        "21",  # 2–3: 種別コード 総合振込
        "0",  # 4: コード区分 JIS
        _digits(i, "requester_code", requester.requester_code, 10),  # 5–14
        _text(i, "name", requester.name, 40, NAME_CHARS),  # 15–54
        f"{transfer_date.month:02d}{transfer_date.day:02d}",  # 55–58: 振込指定日 MMDD
        _digits(i, "bank_code", requester.bank_code, 4),  # 59–62
        _text(i, "bank_name", requester.bank_name, 15, BANK_NAME_CHARS),  # 63–77
        _digits(i, "branch_code", requester.branch_code, 3),  # 78–80
        _text(i, "branch_name", requester.branch_name, 15, BANK_NAME_CHARS),  # 81–95
        _choice(i, "account_type", requester.account_type, REQUESTER_ACCOUNT_TYPES),  # 96
        _digits(i, "account_number", requester.account_number, 7),  # 97–103
        " " * 17,  # 104–120: ダミー
    ]
    return "".join(fields)


def _customer_or_edi(i: int, transfer: Transfer) -> tuple[str, str]:
    """Bytes 92–111 and the 識別表示 at 113: two N10 customer codes, or C20 EDI with 'Y'."""
    if transfer.edi is None:
        code1 = _optional_digits(i, "customer_code1", transfer.customer_code1, 10)
        code2 = _optional_digits(i, "customer_code2", transfer.customer_code2, 10)
        return code1 + code2, " "
    # EDI occupies the bytes of both customer codes: a value in either would be lost.
    for field in ("customer_code1", "customer_code2"):
        if getattr(transfer, field) != "":
            raise ZenginFieldError(i, field, "must be empty when edi is set (EDI replaces bytes 92–111)")
    return _text(i, "edi", transfer.edi, 20, EDI_CHARS), "Y"


# --- the round's usual case: every field plainly right, checked a column at a time -----------------

_FIELDS = attrgetter("bank_code", "bank_name", "branch_code", "branch_name", "account_type", "account_number",
                     "holder_name", "amount", "new_code", "customer_code1", "customer_code2", "transfer_kind", "edi")


def _all_str(column: tuple[object, ...]) -> bool:
    return set(map(type, column)) == {str}


def _plain_digits(column: tuple[Any, ...], length: int) -> bool:
    return (_all_str(column) and set(map(len, column)) == {length}
            and (joined := "".join(column)).isascii() and joined.isdigit())


def _plain_texts(column: tuple[Any, ...], length: int, allowed: frozenset[str]) -> bool:
    if not _all_str(column) or min(map(len, column)) == 0 or max(map(len, column)) > length:
        return False
    lines = "\n".join(column)  # a line break is in no allowed set: the values' edges show around it
    return (_outside(allowed).search("".join(column)) is None and lines[0] != " " and lines[-1] != " "
            and " \n" not in lines and "\n " not in lines)


@functools.cache
def _outside(allowed: frozenset[str]) -> re.Pattern[str]:
    """A character not in ``allowed`` (a regex scans a round's names ~15x faster than a set does)."""
    return re.compile("[^" + "".join(map(re.escape, sorted(allowed))) + "]")


def _plain_codes(column: tuple[Any, ...]) -> bool:
    return (_all_str(column) and max(map(len, column)) <= 10
            and ((joined := "".join(column)) == "" or (joined.isascii() and joined.isdigit())))


def _plain_choices(column: tuple[Any, ...], allowed: frozenset[str]) -> bool:
    return _all_str(column) and set(column) <= allowed


def _plain_records(transfers: Sequence[Transfer]) -> list[str] | None:
    """Every data record, when every field of every transfer is plainly right (no EDI): each column
    checked in a few C calls (~1 µs a record instead of ~4). None sends the round through
    ``_checked_data``, which names the first thing wrong; both write the same records (tested)."""
    if set(map(type, transfers)) != {Transfer}:
        return None
    rows = list(map(_FIELDS, transfers))
    (bank, bank_name, branch, branch_name, kind, number, holder, amount, new, code1, code2, how, edi) = zip(*rows, strict=True)
    if not (set(edi) == {None} and set(map(type, amount)) == {int} and min(amount) >= 1 and max(amount) <= MAX_AMOUNT
            and _plain_digits(bank, 4) and _plain_digits(branch, 3) and _plain_digits(number, 7)
            and _plain_texts(bank_name, 15, BANK_NAME_CHARS) and _plain_texts(branch_name, 15, BANK_NAME_CHARS)
            and _plain_texts(holder, 30, NAME_CHARS) and _plain_choices(kind, PAYEE_ACCOUNT_TYPES)
            and _plain_choices(new, NEW_CODES) and _plain_choices(how, TRANSFER_KINDS)
            and _plain_codes(code1) and _plain_codes(code2)):
        return None
    # 1, 2–5, 6–20, 21–23, 24–38, 39–42 (手形交換所番号), 43, 44–50, 51–80, 81–90, 91, 92–111, 112, 113–120
    return [f"2{a}{b:<15}{c}{d:<15}0000{e}{f}{g:<30}{h:010d}{i}{j:0>10}{k:0>10}{m}        "
            for a, b, c, d, e, f, g, h, i, j, k, m, _ in rows]


def _checked_data(i: int, transfer: Transfer) -> str:
    customer, edi_flag = _customer_or_edi(i, transfer)
    fields = [
        "2",  # 1: データ区分
        _digits(i, "bank_code", transfer.bank_code, 4),  # 2–5
        _text(i, "bank_name", transfer.bank_name, 15, BANK_NAME_CHARS),  # 6–20
        _digits(i, "branch_code", transfer.branch_code, 3),  # 21–23
        _text(i, "branch_name", transfer.branch_name, 15, BANK_NAME_CHARS),  # 24–38
        "0000",  # 39–42: 手形交換所番号
        _choice(i, "account_type", transfer.account_type, PAYEE_ACCOUNT_TYPES),  # 43
        _digits(i, "account_number", transfer.account_number, 7),  # 44–50
        _text(i, "holder_name", transfer.holder_name, 30, NAME_CHARS),  # 51–80
        f"{_amount(i, transfer.amount):010d}",  # 81–90: 振込金額
        _choice(i, "new_code", transfer.new_code, NEW_CODES),  # 91
        customer,  # 92–111: 顧客コード1 + 顧客コード2, or EDI情報
        _choice(i, "transfer_kind", transfer.transfer_kind, TRANSFER_KINDS),  # 112
        edi_flag,  # 113: 識別表示
        " " * 7,  # 114–120: ダミー
    ]
    return "".join(fields)


def _trailer(count: int, total: int) -> str:
    return f"8{count:06d}{total:012d}" + " " * 101  # 1, 2–7 合計件数, 8–19 合計金額, 20–120 ダミー


def _end() -> str:
    return "9" + " " * 119


def _encode(index: int, record: str) -> bytes:
    encoded = record.encode(ENCODING)
    # Every allowed character is one byte in cp932; a double-byte character slipping through
    # would shift every following field, so the length is checked on the bytes, not the str.
    if len(encoded) != RECORD_LENGTH:
        raise ZenginFieldError(index, "record", f"encodes to {len(encoded)} bytes, expected {RECORD_LENGTH}")
    return encoded


def check_transfer(transfer: Transfer) -> None:
    """Raise ``ZenginFieldError`` if this one data record cannot be written exactly.

    Used before a round is approved, so a store whose data the file cannot carry is held with a
    reason instead of failing the whole file at release."""
    _encode(1, _checked_data(1, transfer))


def build_transfer_file(
    requester: Requester,
    transfer_date: date,
    transfers: Sequence[Transfer],
    line_ending: bytes = b"\r\n",
) -> bytes:
    """The 総合振込 file: header, one data record per transfer, trailer, end.

    Raises ``ZenginFieldError`` (a ValueError) for any value the format cannot carry exactly,
    ``TypeError`` for a value of the wrong type, ``ValueError`` for a bad line ending.
    """
    if not isinstance(line_ending, bytes) or line_ending not in LINE_ENDINGS:
        raise ValueError(f"line_ending must be b'\\r\\n' or b'', got {line_ending!r}")
    if isinstance(transfer_date, datetime) or not isinstance(transfer_date, date):
        raise TypeError(f"transfer_date must be a date, got {type(transfer_date).__name__}")
    count = len(transfers)
    trailer_index = count + 1
    if count == 0:
        raise ZenginFieldError(trailer_index, "count", "no transfers: a file with no payees is a mistake")
    if count > MAX_COUNT:
        message = f"{count:,} transfers exceed 合計件数 N6 ({MAX_COUNT:,})"
        raise ZenginFieldError(trailer_index, "count", message)

    body = _plain_records(transfers)
    if body is None:
        body = []
        for i, transfer in enumerate(transfers, start=1):
            if not isinstance(transfer, Transfer):
                raise TypeError(f"record {i}: expected Transfer, got {type(transfer).__name__}")
            body.append(_checked_data(i, transfer))
    total = sum(transfer.amount for transfer in transfers)
    if total > MAX_TOTAL:
        raise ZenginFieldError(trailer_index, "total", f"{total:,} yen exceeds 合計金額 N12 ({MAX_TOTAL:,})")
    records = [_header(requester, transfer_date), *body, _trailer(count, total), _end()]
    ending = line_ending.decode("ascii")
    data = (ending.join(records) + ending).encode(ENCODING)
    if len(data) != len(records) * (RECORD_LENGTH + len(line_ending)):
        for index, record in enumerate(records):
            _encode(index, record)  # raises for the first record that is not 120 bytes
    return data
