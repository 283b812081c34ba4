"""Reader of the payment console's monthly usage export (SPEC §4.3): bytes in, figures out.

Pure: no I/O, no clock, no AWS. The caller supplies the transaction ids already counted by earlier
imports and checks the stores; this module decides, line by line, what the file says.

The export is CSV in UTF-8 (with or without BOM) or CP932 (Windows Shift_JIS, what Excel writes on
a Japanese PC). One row is one transaction; the columns are found by name (``ColumnMapping``), so
extra or reordered columns are fine. A file that is not such an export raises ``NotAnExport`` with
a message staff can act on; a bad line is rejected with a Japanese reason and the rest is counted.

Points are int (1 point = ¥1, SPEC §5.2). A 取消 row subtracts its points from the month of its
*own* 取引日時; naive times are JST (SPEC §5.1).

Speed: a month is about a million rows, and the import runs in a 512 MB Lambda. The file is
decoded as a stream (never one big str), and each field has a cache of values already validated
(dates, times of day, store ids, point strings), so the common row costs a few dict look-ups; the
regexes and datetime arithmetic only run on a cache miss.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Container, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, timezone
from operator import itemgetter
from typing import TYPE_CHECKING

from chalicelib.kernel.calendars import JST

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

__all__ = [
    "ColumnMapping",
    "ImportResult",
    "NotAnExport",
    "RejectedLine",
    "decode_export",
    "parse_usage_export",
]

#: Largest point value of one transaction: the most a single Zengin transfer can carry (振込金額 N10).
#: Anything larger is a broken value, not a purchase.
MAX_POINTS = 9_999_999_999

_STORE_ID_RE = re.compile(r"MP[0-9]{6}")
# Plain digits, or digits grouped by commas the way Excel formats numbers ("1,200"). A comma is never
# a decimal separator in Japan, so a correctly grouped value is unambiguous; "12,00" is not accepted.
_POINTS_RE = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+")
# ISO 8601 extended form; a space may stand for the T. Offsets: Z, ±HH:MM, ±HHMM, ±HH.
_ISO_AT_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
# What Excel writes back when staff open the export and save it: 2025/6/1 9:05 (no zero padding).
_SLASH_AT_RE = re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2}) ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
# The console's own form, the one the fast path caches: YYYY-MM-DD HH:MM:SS.
_COMMON_AT_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")

_UTF8_BOM = codecs.BOM_UTF8
_SNIFF_BYTES = 64 * 1024
_POINTS_CACHE_LIMIT = 100_000  # distinct point strings remembered; a month has a few thousand
_SHOWN_VALUE_CHARS = 40  # a rejected value is quoted in the reason, cut to this length


class NotAnExport(ValueError):
    """The whole file is refused: it is not a usage export. ``message`` is for staff, in Japanese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ColumnMapping:
    """Which header names hold which field, and the two values of 取引区分.

    Header cells are compared after NFKC normalisation and trimming, so ``取引ＩＤ`` or ``" 取引ID"``
    still match ``取引ID``.
    """

    txn_id: str = "取引ID"
    at: str = "取引日時"
    store_id: str = "店舗ID"
    store_name: str = "店舗名"
    points: str = "利用ポイント"
    kind: str = "取引区分"
    use_label: str = "利用"
    cancel_label: str = "取消"

    def __post_init__(self) -> None:
        for f in fields(self):
            if not isinstance(getattr(self, f.name), str):
                raise TypeError(f"ColumnMapping.{f.name} must be a str")
        columns = [_header_key(c) for c in self.columns()]
        if not all(columns):
            raise ValueError("ColumnMapping: a column name must not be empty")
        if len(set(columns)) != len(columns):
            raise ValueError(f"ColumnMapping: two fields map to the same column: {self.columns()}")
        if not self.use_label or not self.cancel_label or self.use_label == self.cancel_label:
            raise ValueError("ColumnMapping: use_label and cancel_label must be two different non-empty values")

    def columns(self) -> tuple[str, str, str, str, str, str]:
        """The required header names, in the order rows are read."""
        return (self.txn_id, self.at, self.store_id, self.store_name, self.points, self.kind)


@dataclass(frozen=True, slots=True)
class RejectedLine:
    line: int  # 1-based physical line in the file; the header is line 1
    reason: str  # Japanese, for staff


@dataclass(frozen=True)
class ImportResult:
    """What one export says. Invariants: ``rows == accepted + duplicates + len(rejected)``, and the
    sum of ``totals`` is the 利用 points minus the 取消 points of the accepted rows."""

    rows: int  # data rows read (header and blank lines excluded)
    accepted: int  # rows counted now
    duplicates: int  # txn id already known, or seen earlier in this file with the same content
    rejected: list[RejectedLine]
    totals: dict[tuple[str, str], int]  # (usage month YYYY-MM in JST, store id) -> net points
    counts: dict[tuple[str, str], int]  # (month, store id) -> accepted rows
    store_names: dict[str, str]  # store id -> last name seen on an accepted row
    new_txn_ids: list[str]  # accepted txn ids, in file order
    months: list[str]  # sorted months with accepted rows
    encoding: str = "utf-8"  # how the file was decoded: utf-8, utf-8-sig (BOM) or cp932

    def store_totals(self, month: str) -> dict[str, int]:
        """Net points per store for one usage month."""
        return {store: points for (m, store), points in self.totals.items() if m == month}


# --- decoding -------------------------------------------------------------------------------------


def _check_is_text(data: bytes) -> None:
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    if not data:
        raise NotAnExport("ファイルが空です。利用実績のCSVを選んでください。")
    if data.startswith(b"PK\x03\x04"):
        raise NotAnExport("Excel (xlsx) などの圧縮ファイルのようです。CSV 形式で保存したファイルをアップロードしてください。")
    # A NUL byte never occurs in CSV text, in either encoding; it marks an image, a PDF, a zip...
    if b"\x00" in data:
        raise NotAnExport("CSV ではなくバイナリファイル（画像など）のようです。利用実績のCSVをアップロードしてください。")


def _encodings_to_try(data: bytes) -> tuple[str, ...]:
    if data.startswith(_UTF8_BOM):
        return ("utf-8-sig",)  # the BOM settles it
    try:
        # The header is Japanese in either encoding, so the first bytes almost always decide; a CP932
        # file that happens to start like valid UTF-8 is caught later and read again as CP932.
        codecs.getincrementaldecoder("utf-8")().decode(data[:_SNIFF_BYTES], final=False)
    except UnicodeDecodeError:
        return ("cp932",)
    return ("utf-8", "cp932")


def _undecodable(data: bytes, encodings: tuple[str, ...]) -> NotAnExport:
    # Where the likeliest encoding breaks: UTF-8 when the start of the file read as UTF-8.
    likeliest = "utf-8" if encodings[0].startswith("utf-8") else encodings[0]
    try:
        data.decode(likeliest)
        line = 0
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    where = f"（{line} 行目）" if line else ""
    if encodings == ("utf-8-sig",):
        return NotAnExport(f"UTF-8 (BOM 付き) のファイルとして読めない文字があります{where}。ファイルが壊れていないか確認してください。")
    return NotAnExport(
        f"文字コードを判別できません。UTF-8 でも Shift_JIS (CP932) でもない文字があります{where}。"
        "利用実績のCSVをそのままアップロードしてください。"
    )


def decode_export(data: bytes) -> str:
    """The export as text: UTF-8 with or without BOM, else CP932; line ends normalised to ``\\n``.

    Raises ``NotAnExport`` for an empty, binary or undecodable file.
    """
    _check_is_text(data)
    encodings = _encodings_to_try(data)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.replace("\r\n", "\n")
    raise _undecodable(data, encodings)


# --- field rules (the slow path: runs once per distinct value) ------------------------------------


def _show(value: str) -> str:
    return repr(value if len(value) <= _SHOWN_VALUE_CHARS else value[:_SHOWN_VALUE_CHARS] + "…")


def _offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes >= 60:
        raise ValueError("offset minutes out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_usage_time(text: str) -> datetime | None:
    """An accepted 取引日時 as an aware datetime in JST, or None.

    Accepted: ``YYYY-MM-DD HH:MM[:SS]``, ``YYYY/M/D H:MM[:SS]`` (Excel's re-save, zero padding
    optional), ISO 8601 ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` with or without ``Z``/``±HH:MM``.
    A time without an offset is JST. A date without a time is refused: the month of a transaction
    near midnight must not be guessed.
    """
    iso = _ISO_AT_RE.fullmatch(text)
    match = iso or _SLASH_AT_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups()[:6])
    fraction = iso.group(7) if iso else None
    try:
        tz = _offset(iso.group(8)) if iso else None
        moment = datetime(year, month, day, hour, minute, second, int((fraction or "0").ljust(6, "0")), tzinfo=tz or JST)
    except ValueError:  # 2025-02-30, 24:00, an offset of 25 hours...
        return None
    return moment.astimezone(JST)


def _valid_clock(hh_mm_ss: str) -> bool:
    return int(hh_mm_ss[0:2]) < 24 and int(hh_mm_ss[3:5]) < 60 and int(hh_mm_ss[6:8]) < 60


def _points_or_problem(text: str) -> int | str:
    if _POINTS_RE.fullmatch(text):
        value = int(text.replace(",", ""))
        if value == 0:
            return "利用ポイントが 0 です"
        if value > MAX_POINTS:
            return f"利用ポイントが大きすぎます: {_show(text)}"
        return value
    if text.startswith("-"):
        return f"利用ポイントがマイナスです（取消は取引区分で表します）: {_show(text)}"
    if re.fullmatch(r"[0-9,]*\.[0-9]*", text) and any(c.isdigit() for c in text):
        return f"利用ポイントが小数です: {_show(text)}"
    if not text:
        return "利用ポイントが空です"
    return f"利用ポイントが正の整数ではありません: {_show(text)}"


class _Rules:
    """Validation of one file's fields, with caches of the values already found valid.

    The hot loop looks values up in ``days``/``times``/``stores``/``points``/``signs`` directly;
    ``check`` is called only when one of them misses, validates everything and fills the caches.
    """

    def __init__(self, mapping: ColumnMapping) -> None:
        self.mapping = mapping
        self.buckets: dict[str, tuple[defaultdict[str, int], defaultdict[str, int]]] = {}  # month -> totals, counts
        self.days: dict[str, tuple[defaultdict[str, int], defaultdict[str, int]]] = {}  # 'YYYY-MM-DD' -> bucket
        self.times: set[str] = set()  # ' HH:MM:SS' already found valid
        self.stores: dict[str, str] = {}  # valid store id -> its interned copy
        self.points: dict[str, int] = {}
        self.signs = {mapping.use_label: 1, mapping.cancel_label: -1}

    def bucket(self, month: str) -> tuple[defaultdict[str, int], defaultdict[str, int]]:
        found = self.buckets.get(month)
        if found is None:
            found = self.buckets[sys.intern(month)] = (defaultdict(int), defaultdict(int))
        return found

    def _month_bucket(self, at: str) -> tuple[defaultdict[str, int], defaultdict[str, int]] | str:
        # The console's own form on a day already seen: only the clock is new (a month has 86,400).
        bucket = self.days.get(at[:10])
        if bucket is not None and _COMMON_AT_RE.fullmatch(at) and _valid_clock(at[11:]):
            self.times.add(at[10:])
            return bucket
        moment = parse_usage_time(at)
        if moment is None:
            if not at:
                return "取引日時が空です"
            return f"取引日時を読めません（例: 2025-06-01 10:30:00）: {_show(at)}"
        bucket = self.bucket(f"{moment.year:04d}-{moment.month:02d}")
        if _COMMON_AT_RE.fullmatch(at):  # naive, so the month is the JST wall-clock month
            self.days[at[:10]] = bucket
            self.times.add(at[10:])
        return bucket

    def check(self, at: str, store: str, points: str, kind: str) -> tuple[object, str, int, int] | str:
        """(bucket, interned store id, points, sign) or the reason the row is rejected."""
        problems = []
        bucket = self._month_bucket(at)
        if isinstance(bucket, str):
            problems.append(bucket)
        sid = self.stores.get(store)
        if sid is None:
            if _STORE_ID_RE.fullmatch(store):
                sid = self.stores[store] = sys.intern(store)
            else:
                problems.append(f"店舗IDの形式が正しくありません（MP と数字6桁）: {_show(store)}" if store else "店舗IDが空です")
        value = self.points.get(points)
        if value is None:
            value = _points_or_problem(points)
            if isinstance(value, str):
                problems.append(value)
            elif len(self.points) < _POINTS_CACHE_LIMIT:
                self.points[points] = value
        sign = self.signs.get(kind)
        if sign is None:
            m = self.mapping
            problems.append(f"取引区分は「{m.use_label}」か「{m.cancel_label}」です: {_show(kind)}" if kind else "取引区分が空です")
        if problems:
            return " / ".join(problems)
        return bucket, sid, value, sign  # type: ignore[return-value]


# --- the file -------------------------------------------------------------------------------------


def _header_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def _is_blank(row: list[str]) -> bool:
    # Excel saves trailing empty rows as ",,,,,": as blank as an empty line.
    return all(not cell.strip() for cell in row)


def _start_line(reader_line: int, row: Iterable[str]) -> int:
    """The physical line a record starts on: csv's line_num is where it ends, and a quoted field may
    contain line breaks."""
    breaks = sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)
    return reader_line - breaks


def _read_header(reader: CsvReader, mapping: ColumnMapping) -> tuple[int, list[int]]:
    """(number of columns, position of each mapped column) from the first non-blank line."""
    try:
        row = next((row for row in reader if not _is_blank(row)), None)
    except csv.Error as exc:
        raise NotAnExport(f"CSV として読めません（{reader.line_num} 行目: {exc}）。") from None
    if row is None:
        raise NotAnExport("ファイルが空です（見出し行もデータもありません）。")
    header = [_header_key(cell) for cell in row]
    required = mapping.columns()
    missing = [name for name in required if _header_key(name) not in header]
    if missing:
        raise NotAnExport(
            f"利用実績のCSVではありません（必要な列: {', '.join(required)}）。"
            f"見つからない列: {', '.join(missing)}。1 行目が見出し行になっているか確認してください。"
        )
    doubled = [name for name in required if header.count(_header_key(name)) > 1]
    if doubled:
        raise NotAnExport(f"見出しに同じ列名が複数あります: {', '.join(doubled)}。どの列を使うか決められません。")
    return len(header), [header.index(_header_key(name)) for name in required]


def _scan(  # noqa: C901 — the per-row loop stays in one function on purpose (see below)
    reader: CsvReader,
    ncols: int,
    positions: list[int],
    known: Container[str],
    rules: _Rules,
    seen: dict[str, int],
    names: dict[str, str],
    rejected: list[RejectedLine],
) -> tuple[int, int]:
    """Count every data row; returns (rows, duplicates). This loop runs a million times a month: it keeps everything it touches
    in locals and calls out only on a miss (a bad or not yet seen value), because in CPython each
    attribute look-up or call per row adds tens of milliseconds per million rows."""
    rows = duplicates = 0
    pick = itemgetter(*positions)
    days, times, stores, points, signs = rules.days, rules.times, rules.stores, rules.points, rules.signs
    seen_get, reject = seen.get, rejected.append
    while True:
        try:
            for row in reader:
                if len(row) != ncols:
                    if _is_blank(row):
                        continue
                    rows += 1
                    line = _start_line(reader.line_num, row)
                    reject(RejectedLine(line, f"列の数が違います（見出しは {ncols} 列、この行は {len(row)} 列）"))
                    continue
                txn, at, store, name, pts, kind = pick(row)
                if not txn or txn.isspace():
                    if _is_blank(row):
                        continue
                    rows += 1
                    reject(RejectedLine(_start_line(reader.line_num, row), "取引IDが空です"))
                    continue
                rows += 1
                if txn in known:
                    duplicates += 1
                    continue
                bucket = days.get(at[:10]) if at[10:] in times else None
                sid, p, sign = stores.get(store), points.get(pts), signs.get(kind)
                if bucket is None or sid is None or p is None or sign is None:
                    checked = rules.check(at, store, pts, kind)
                    if isinstance(checked, str):
                        reject(RejectedLine(_start_line(reader.line_num, row), checked))
                        continue
                    bucket, sid, p, sign = checked
                # Same id again: a re-exported row is a duplicate, but the same id with other content
                # means the export is inconsistent, and neither version can be trusted over the other
                # silently. The first occurrence stays counted; the fingerprint is a 64-bit hash.
                fingerprint = hash((at, sid, p, sign))
                first = seen_get(txn)
                if first is not None:
                    if first == fingerprint:
                        duplicates += 1
                    else:
                        line = _start_line(reader.line_num, row)
                        reject(RejectedLine(line, "取引IDが重複していますが内容が異なります（先に出てきた行を採用）"))
                    continue
                seen[txn] = fingerprint
                totals, counts = bucket
                totals[sid] += sign * p
                counts[sid] += 1
                names[sid] = name
        except csv.Error as exc:  # e.g. a field over csv's size limit; the reader goes on at the next line
            rows += 1
            reject(RejectedLine(reader.line_num, f"CSV の行として読めません: {exc}"))
            continue
        break
    return rows, duplicates


def _read(stream: io.TextIOBase, known: Container[str], mapping: ColumnMapping, encoding: str) -> ImportResult:
    reader = csv.reader(stream)
    ncols, positions = _read_header(reader, mapping)
    rules = _Rules(mapping)
    seen: dict[str, int] = {}
    names: dict[str, str] = {}
    rejected: list[RejectedLine] = []
    rows, duplicates = _scan(reader, ncols, positions, known, rules, seen, names, rejected)
    totals: dict[tuple[str, str], int] = {}
    counts: dict[tuple[str, str], int] = {}
    for month in sorted(rules.buckets):
        month_totals, month_counts = rules.buckets[month]
        for store in sorted(month_counts):
            totals[month, store] = month_totals[store]
            counts[month, store] = month_counts[store]
    return ImportResult(
        rows=rows,
        accepted=len(seen),
        duplicates=duplicates,
        rejected=rejected,
        totals=totals,
        counts=counts,
        store_names=names,
        new_txn_ids=list(seen),
        months=sorted(month for month, (_, month_counts) in rules.buckets.items() if month_counts),
        encoding=encoding,
    )


def parse_usage_export(
    data: bytes,
    known_txn_ids: Container[str] = frozenset(),
    mapping: ColumnMapping = ColumnMapping(),
) -> ImportResult:
    """Read one export. ``known_txn_ids``: ids counted by earlier imports (they are duplicates here).

    Raises ``NotAnExport`` when the file is empty, binary, undecodable or lacks a mapped column.
    Unknown or not-approved stores are counted like any other: the caller decides about them.
    """
    _check_is_text(data)
    encodings = _encodings_to_try(data)
    for encoding in encodings:
        # Streamed: a decoded million-row str would be ~150 MB (kanji make it 2 bytes per char).
        with io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="") as stream:
            try:
                return _read(stream, known_txn_ids, mapping, encoding)
            except UnicodeDecodeError:
                continue  # valid UTF-8 at the start only: read the whole file again as CP932
    raise _undecodable(data, encodings)
