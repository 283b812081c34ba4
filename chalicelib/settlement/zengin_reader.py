"""Reader of the Zengin 総合振込 transfer file (種別コード 21): the independent check.

Before money is released the written file is parsed back and reconciled against the payouts it
should carry. To be a real check this module is written from docs/reference/zengin.md on its own: it has
its own field tables (1-based byte positions, as in the spec) and must never import ``zengin_writer``.
Only the character sets and the codec, which the format itself owns, are shared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import cast

from chalicelib.kernel.zengin_chars import BANK_NAME_CHARS, EDI_CHARS, ENCODING, NAME_CHARS

RECORD_LENGTH = 120
CRLF = b"\r\n"


class ZenginParseError(ValueError):
    """The bytes are not a well-formed 総合振込 file. ``offset`` is the byte offset in the file, if known."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message if offset is None else f"byte offset {offset}: {message}")
        self.offset = offset


# --- layouts: (first byte, last byte, field, kind), 1-based and inclusive as in docs/reference/zengin.md ---
# kind: "N" digits; "C:name" / "C:bank" / "C:edi" text in that character set; "S" spaces only (ダミー).

_Layout = tuple[tuple[int, int, str, str], ...]

HEADER_LAYOUT: _Layout = (
    (1, 1, "data_kind", "N"),
    (2, 3, "type_code", "N"),
    (4, 4, "code_division", "N"),
    (5, 14, "requester_code", "N"),
    (15, 54, "requester_name", "C:name"),
    (55, 58, "transfer_date", "N"),
    (59, 62, "bank_code", "N"),
    (63, 77, "bank_name", "C:bank"),
    (78, 80, "branch_code", "N"),
    (81, 95, "branch_name", "C:bank"),
    (96, 96, "account_type", "N"),
    (97, 103, "account_number", "N"),
    (104, 120, "dummy", "S"),
)

# Bytes 92–111 are two N10 customer codes, or C20 EDI when 識別表示 (113) is 'Y'.
_DATA_HEAD: _Layout = (
    (1, 1, "data_kind", "N"),
    (2, 5, "bank_code", "N"),
    (6, 20, "bank_name", "C:bank"),
    (21, 23, "branch_code", "N"),
    (24, 38, "branch_name", "C:bank"),
    (39, 42, "clearing_house_code", "N"),
    (43, 43, "account_type", "N"),
    (44, 50, "account_number", "N"),
    (51, 80, "holder_name", "C:name"),
    (81, 90, "amount", "N"),
    (91, 91, "new_code", "N"),
)
_DATA_TAIL: _Layout = (
    (112, 112, "transfer_kind", "N"),
    (113, 113, "edi_flag", "C:flag"),
    (114, 120, "dummy", "S"),
)
DATA_LAYOUT: _Layout = (
    *_DATA_HEAD,
    (92, 101, "customer_code1", "N"),
    (102, 111, "customer_code2", "N"),
    *_DATA_TAIL,
)
DATA_EDI_LAYOUT: _Layout = (*_DATA_HEAD, (92, 111, "edi", "C:edi"), *_DATA_TAIL)

TRAILER_LAYOUT: _Layout = (
    (1, 1, "data_kind", "N"),
    (2, 7, "total_count", "N"),
    (8, 19, "total_amount", "N"),
    (20, 120, "dummy", "S"),
)
END_LAYOUT: _Layout = (
    (1, 1, "data_kind", "N"),
    (2, 120, "dummy", "S"),
)


def _check_layout(name: str, layout: _Layout) -> None:
    """Each layout must tile bytes 1–120 exactly: no gap, no overlap (docs/reference/zengin.md field lengths)."""
    expected_start = 1
    for first, last, field, _kind in layout:
        if first != expected_start or last < first:
            raise AssertionError(f"{name}.{field}: starts at {first}, expected {expected_start}")
        expected_start = last + 1
    if expected_start - 1 != RECORD_LENGTH:
        raise AssertionError(f"{name}: covers {expected_start - 1} bytes, expected {RECORD_LENGTH}")


for _name, _layout in (
    ("header", HEADER_LAYOUT),
    ("data", DATA_LAYOUT),
    ("data_edi", DATA_EDI_LAYOUT),
    ("trailer", TRAILER_LAYOUT),
    ("end", END_LAYOUT),
):
    _check_layout(_name, _layout)

_CHARSETS: dict[str, frozenset[str]] = {
    "C:name": NAME_CHARS,
    "C:bank": BANK_NAME_CHARS,
    "C:edi": EDI_CHARS,
    "C:flag": frozenset("Y "),
}
_DIGITS_RE = re.compile(rb"[0-9]+")


# --- parsed records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderRecord:
    type_code: str  # '21'
    code_division: str  # '0'
    requester_code: str
    requester_name: str
    transfer_date: str  # MMDD as written (the file carries no year)
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str


@dataclass(frozen=True)
class DataRecord:
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    clearing_house_code: str
    account_type: str
    account_number: str
    holder_name: str
    amount: int
    new_code: str
    customer_code1: str | None  # 10 digits, or None when the record carries EDI
    customer_code2: str | None
    edi: str | None  # set only when 識別表示 is 'Y'
    transfer_kind: str
    edi_flag: bool


@dataclass(frozen=True)
class ParsedFile:
    header: HeaderRecord
    records: list[DataRecord]
    trailer_count: int
    trailer_total: int


# --- splitting ------------------------------------------------------------------------------------------


def _split_crlf(data: bytes) -> list[tuple[int, bytes]]:
    records: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        cr, lf = data.find(b"\r", pos), data.find(b"\n", pos)
        ends = [i for i in (cr, lf) if i != -1]
        if not ends:
            raise ZenginParseError(
                f"{len(data) - pos} bytes after the last CRLF without a line ending "
                "(every record must end with CRLF, or none may)",
                pos,
            )
        stop = min(ends)
        if data[stop : stop + 2] != CRLF:
            what = "LF without CR" if data[stop : stop + 1] == b"\n" else "CR without LF"
            raise ZenginParseError(f"{what}: line endings must be CRLF after every record, or none", stop)
        if stop - pos != RECORD_LENGTH:
            raise ZenginParseError(
                f"record is {stop - pos} bytes, expected {RECORD_LENGTH} (or line endings are mixed)", pos
            )
        records.append((pos, data[pos:stop]))
        pos = stop + 2
    return records


def _split_plain(data: bytes) -> list[tuple[int, bytes]]:
    if len(data) % RECORD_LENGTH:
        raise ZenginParseError(
            f"file without line endings is {len(data)} bytes, not a multiple of {RECORD_LENGTH}",
            len(data) - len(data) % RECORD_LENGTH,
        )
    return [(pos, data[pos : pos + RECORD_LENGTH]) for pos in range(0, len(data), RECORD_LENGTH)]


def _split(data: bytes) -> list[tuple[int, bytes]]:
    """(byte offset, 120 bytes) per record. CR and LF occur in no field, so their presence anywhere means
    the file uses line endings, and then it must be CRLF after every record (docs/reference/zengin.md "File")."""
    if not data:
        raise ZenginParseError("empty file", 0)
    if b"\r" in data or b"\n" in data:
        return _split_crlf(data)
    return _split_plain(data)


# --- fields ---------------------------------------------------------------------------------------------


def _field(record: bytes, offset: int, spec: tuple[int, int, str, str]) -> str:
    first, last, name, kind = spec
    raw = record[first - 1 : last]
    where = offset + first - 1
    if kind == "N":
        if not _DIGITS_RE.fullmatch(raw):
            raise ZenginParseError(f"{name} (bytes {first}–{last}) must be digits, got {raw!r}", where)
        return raw.decode("ascii")
    if kind == "S":
        if raw != b" " * len(raw):
            raise ZenginParseError(f"{name} (bytes {first}–{last}) must be spaces, got {raw!r}", where)
        return ""
    try:
        text = raw.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise ZenginParseError(f"{name} (bytes {first}–{last}) is not {ENCODING}: {exc}", where) from exc
    # A double-byte character decodes to fewer characters than bytes; the format has none.
    if len(text) != len(raw):
        raise ZenginParseError(f"{name} (bytes {first}–{last}) contains a double-byte character", where)
    # C fields are left-justified and space-filled: the padding is not part of the value, and the space
    # is not in every set (bank names), so only the value before the padding is checked.
    value = text.rstrip(" ")
    for i, char in enumerate(value):
        if char not in _CHARSETS[kind]:
            message = f"{name} (bytes {first}–{last}) has a character not allowed: {char!r}"
            raise ZenginParseError(message, where + i)
    return value


def _fields(record: bytes, offset: int, layout: _Layout) -> dict[str, str]:
    return {spec[2]: _field(record, offset, spec) for spec in layout}


def _expect(value: str, allowed: Iterable[str], name: str, offset: int) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ZenginParseError(f"{name} must be one of {list(allowed)}, got {value!r}", offset)


def _parse_header(record: bytes, offset: int) -> HeaderRecord:
    f = _fields(record, offset, HEADER_LAYOUT)
    _expect(f["type_code"], ["21"], "種別コード", offset + 1)
    _expect(f["code_division"], ["0"], "コード区分", offset + 3)
    _expect(f["account_type"], "129", "預金種目(依頼人)", offset + 95)
    mmdd = f["transfer_date"]
    try:
        date(2000, int(mmdd[:2]), int(mmdd[2:]))  # a leap year, so 0229 is accepted
    except ValueError as exc:
        raise ZenginParseError(f"振込指定日 {mmdd!r} is not a valid MMDD", offset + 54) from exc
    for name in ("requester_name", "bank_name", "branch_name"):
        if not f[name]:
            raise ZenginParseError(f"{name} is blank", offset)
    del f["data_kind"], f["dummy"]
    return HeaderRecord(**f)


def _parse_data(record: bytes, offset: int) -> DataRecord:
    edi_flag = record[112:113]
    _expect(edi_flag.decode(ENCODING, "replace"), ["Y", " "], "識別表示", offset + 112)
    is_edi = edi_flag == b"Y"
    f = _fields(record, offset, DATA_EDI_LAYOUT if is_edi else DATA_LAYOUT)
    _expect(f["clearing_house_code"], ["0000"], "手形交換所番号", offset + 38)
    _expect(f["account_type"], "1249", "預金種目", offset + 42)
    _expect(f["new_code"], "012", "新規コード", offset + 90)
    _expect(f["transfer_kind"], "780", "振込指定区分", offset + 111)
    amount = int(f["amount"])
    if amount < 1:
        raise ZenginParseError("振込金額 is zero", offset + 80)
    for name in ("bank_name", "branch_name", "holder_name"):
        if not f[name]:
            raise ZenginParseError(f"{name} is blank", offset)
    return DataRecord(
        bank_code=f["bank_code"],
        bank_name=f["bank_name"],
        branch_code=f["branch_code"],
        branch_name=f["branch_name"],
        clearing_house_code=f["clearing_house_code"],
        account_type=f["account_type"],
        account_number=f["account_number"],
        holder_name=f["holder_name"],
        amount=amount,
        new_code=f["new_code"],
        customer_code1=None if is_edi else f["customer_code1"],
        customer_code2=None if is_edi else f["customer_code2"],
        edi=f["edi"] if is_edi else None,
        transfer_kind=f["transfer_kind"],
        edi_flag=is_edi,
    )


# --- file -----------------------------------------------------------------------------------------------


def _kind(record: bytes) -> str:
    return record[:1].decode("ascii", "replace")


_NEXT_KIND = {"": "1", "1": "2", "2": "28", "8": "9", "9": ""}


def _check_order(records: list[tuple[int, bytes]], size: int) -> None:
    """Exactly: 1, 2 (at least one), 8, 9 — one block; the end record is the last thing in the file."""
    previous = ""
    for position, (offset, record) in enumerate(records):
        kind = _kind(record)
        if kind not in _NEXT_KIND[previous]:
            after = f"after a {previous!r} record" if previous else "as the first record"
            allowed = " or ".join(repr(k) for k in _NEXT_KIND[previous]) or "nothing"
            raise ZenginParseError(
                f"record {position} has データ区分 {kind!r} {after}; expected {allowed} "
                "(order 1, 2…, 8, 9: one header, at least one data record, one trailer, one end record)",
                offset,
            )
        previous = kind
    if previous != "9":
        raise ZenginParseError(f"file ends after a {previous!r} record: the end record (9) is missing", size)


def parse_transfer_file(data: bytes) -> ParsedFile:
    """Parse and check a whole 総合振込 file; raise ``ZenginParseError`` at the first defect."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    records = _split(bytes(data))
    _check_order(records, len(data))
    header = _parse_header(records[0][1], records[0][0])
    body = [_parse_data(record, offset) for offset, record in records[1:-2]]
    trailer_offset, trailer_bytes = records[-2]
    trailer = _fields(trailer_bytes, trailer_offset, TRAILER_LAYOUT)
    _fields(records[-1][1], records[-1][0], END_LAYOUT)
    count, total = int(trailer["total_count"]), int(trailer["total_amount"])
    if count != len(body):
        raise ZenginParseError(
            f"trailer 合計件数 is {count} but the file has {len(body)} data records", trailer_offset
        )
    actual = sum(record.amount for record in body)
    if total != actual:
        raise ZenginParseError(
            f"trailer 合計金額 is {total:,} yen but the data records sum to {actual:,} yen "
            f"(difference {total - actual:+,})",
            trailer_offset,
        )
    return ParsedFile(header=header, records=body, trailer_count=count, trailer_total=total)


# --- reconciliation -------------------------------------------------------------------------------------

ExpectedRow = tuple[str, str, str, str, str, str, int]
_COMPARED = ("bank_code", "branch_code", "account_type", "account_number", "holder_name", "amount")


def _record_key(record: DataRecord) -> str:
    """The payee id the operator put in the record: EDI when present, else 顧客コード1."""
    # The parser sets `edi` whenever `edi_flag` is set (識別表示 'Y'), so it is a str on that branch.
    return cast(str, record.edi) if record.edi_flag else (record.customer_code1 or "")


def _expected_key(key: str, record: DataRecord) -> str:
    # 顧客コード1 is N10: the writer right-justifies and zero-fills the id, so compare like for like.
    if not record.edi_flag and len(key) <= 10 and key.isascii() and (key == "" or key.isdigit()):
        return key.rjust(10, "0")
    return key


def _row_mismatches(index: int, record: DataRecord, row: ExpectedRow) -> list[str]:
    key, *values = row
    problems = []
    if _record_key(record) != _expected_key(key, record):
        problems.append(f"record {index}: customer key is {_record_key(record)!r}, expected {key!r}")
    for name, want in zip(_COMPARED, values, strict=True):
        got = getattr(record, name)
        if got != want or type(got) is not type(want):
            problems.append(f"record {index} ({key}): {name} is {got!r}, expected {want!r}")
    return problems


def reconcile(parsed: ParsedFile, expected: Iterable[ExpectedRow]) -> list[str]:
    """Human-readable differences between a parsed file and the payouts it must carry; [] = reconciled.

    ``expected`` rows are (customer_key, bank_code, branch_code, account_type, account_number,
    holder_name, amount) in file order. Records are compared position by position (a reordered file is
    reported, since order is how a payee is matched to a record).
    """
    given: list[tuple[object, ...]] = [tuple(row) for row in expected]
    problems: list[str] = []
    for i, given_row in enumerate(given):
        if len(given_row) != 7 or isinstance(given_row[6], bool) or not isinstance(given_row[6], int):
            shape = "(key, bank, branch, type, account, holder, int yen)"
            problems.append(f"expected row {i} is not {shape}: {given_row!r}")
    if problems:
        return problems
    # Every row has just been checked to be seven fields ending in an int amount.
    rows = cast(list[ExpectedRow], given)
    want_total = sum(row[6] for row in rows)
    if parsed.trailer_count != len(rows):
        problems.append(f"count: trailer says {parsed.trailer_count}, expected {len(rows)}")
    if len(parsed.records) != len(rows):
        problems.append(f"count: file has {len(parsed.records)} data records, expected {len(rows)}")
    if parsed.trailer_total != want_total:
        problems.append(f"total: trailer says {parsed.trailer_total:,} yen, expected {want_total:,} yen")
    file_total = sum(record.amount for record in parsed.records)
    if file_total != want_total:
        problems.append(f"total: data records sum to {file_total:,} yen, expected {want_total:,} yen")
    for i, (record, row) in enumerate(zip(parsed.records, rows, strict=False)):
        problems.extend(_row_mismatches(i, record, row))
    for i in range(len(rows), len(parsed.records)):
        problems.append(f"record {i}: unexpected record for {parsed.records[i].holder_name!r}")
    for i in range(len(parsed.records), len(rows)):
        problems.append(f"record {i}: missing, expected {rows[i][0]!r} {rows[i][6]!r} yen")
    return problems
