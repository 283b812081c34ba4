"""Reader of the payment console's monthly usage export (docs/SPEC.md §4.3): bytes in, figures out.

Pure: no I/O, no clock, no AWS. The caller supplies the transaction ids already counted by earlier
imports and checks the stores; this module decides, line by line, what the file says.

The export is CSV in UTF-8 (with or without BOM) or CP932 (Windows Shift_JIS, what Excel writes on
a Japanese PC). One row is one transaction; the columns are found by name (``ColumnMapping``), so
extra or reordered columns are fine. A file that is not such an export raises ``NotAnExport`` with
a message staff can act on; a bad line is rejected with a Japanese reason and the rest is counted.

Points are int (1 point = ¥1, docs/SPEC.md §5.2). A 取消 row subtracts its points from the month of its
*own* 取引日時; naive times are JST (docs/SPEC.md §5.1). Given the points' usable period (settings.program),
a row dated outside it is rejected with the period in its reason. For each usage month and store the
result names the first day (JST) of its accepted rows: the settlement holds a store's line whose usage
starts before the store became active.

Speed: a month is about a million rows, and the import runs in a 512 MB Lambda. The file is decoded
as a stream (never one big str) and read 512 rows at a time. A chunk whose rows are all well-formed
and valid is taken column by column with map/zip (loops in C), looking values up in caches of what
was already validated (dates, times of day, store ids, point strings): regexes and datetime
arithmetic only run on a cache miss. Any other chunk is read row by row. Both paths apply the same
rules; the tests hold them to one reference model.

By default (``engine="auto"``) a file is first offered to DuckDB (engine.py, imported lazily): it takes
the files it can prove it reads exactly as this module does, and leaves every other to this reader.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Container, Iterator, Sequence, Sized
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import compress, islice, repeat
from operator import add, is_not, itemgetter, mul, not_
from typing import TYPE_CHECKING, Any, TextIO

from chalicelib.kernel.calendars import FIRST_SUPPORTED_DAY, JST, LAST_SUPPORTED_DAY

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

__all__ = [
    "MAX_POINTS",
    "ColumnMapping",
    "ImportResult",
    "NotAnExport",
    "RejectedLine",
    "decode_export",
    "parse_usage_export",
    "parse_usage_time",
]

#: Largest point value of one transaction. Points are spent at shops by residents: a single purchase
#: of more than a million points (¥1,000,000) is a broken export, not a sale, and a row that large
#: would otherwise swell one store's payment until the bank file cannot carry it.
MAX_POINTS = 1_000_000

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

_UTF8_BOM = codecs.BOM_UTF8
_LF = b"\n"
_SNIFF_BYTES = 64 * 1024
_CHUNK_ROWS = 512  # rows taken at a time: small enough for the CPU cache, large enough for map() to pay
_POINTS_CACHE_LIMIT = 100_000  # distinct point strings remembered; a month has a few thousand
_TIMES_CACHE_LIMIT = 100_000  # 取引日時 in another form than the console's, remembered
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


class TxnIds(Sequence[str]):
    """Accepted transaction ids in file order, kept as the UTF-8 lines the engine wrote (split into
    str objects only when someone looks at them: the ledger stores the lines as they are)."""

    __slots__ = ("_ids", "_lines")

    def __init__(self, lines: bytes) -> None:
        self._lines = lines  # one id a line, each line ended by b"\n"
        self._ids: list[str] | None = None

    def lines(self) -> bytes:
        return self._lines

    def _list(self) -> list[str]:
        if self._ids is None:
            self._ids = self._lines.decode("utf-8").split("\n")[:-1]
        return self._ids

    def __len__(self) -> int:
        return self._lines.count(b"\n")

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TxnIds):
            return self._lines == other._lines
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._list() == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"TxnIds({len(self)} ids)"


def txn_id_lines(ids: Sequence[str]) -> bytes:
    """The ids one a line (UTF-8, no final line break): what the ledger keeps of an import."""
    return ids.lines()[:-1] if isinstance(ids, TxnIds) else "\n".join(ids).encode("utf-8")


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
    new_txn_ids: Sequence[str]  # accepted txn ids, in file order (a list, or TxnIds from the engine)
    months: list[str]  # sorted months with accepted rows
    encoding: str = "utf-8"  # how the file was decoded: utf-8, utf-8-sig (BOM) or cp932
    #: (month, store id) -> the first day (JST, YYYY-MM-DD) of its accepted rows
    first_days: dict[tuple[str, str], str] = field(default_factory=dict)

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
    # The line where decoding breaks, in whichever encoding read further: that one is the file's.
    reached = []
    for encoding in ("utf-8", "cp932") if encodings != ("utf-8-sig",) else ("utf-8",):
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            reached.append(exc.start)
    where = f"（{data.count(_LF, 0, max(reached)) + 1} 行目）" if reached else ""
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
    # A year the calendars do not cover is a broken value, not a purchase (and 0001-01-01 with an
    # offset would overflow the conversion to JST).
    if not FIRST_SUPPORTED_DAY.year <= year <= LAST_SUPPORTED_DAY.year:
        return None
    return moment.astimezone(JST)


def _points_or_problem(text: str) -> int | str:
    if _POINTS_RE.fullmatch(text):
        digits = text.replace(",", "").lstrip("0")
        if not digits:
            return "利用ポイントが 0 です"
        # Compare lengths first: int() refuses strings of more than 4,300 digits.
        if len(digits) > len(str(MAX_POINTS)) or int(digits) > MAX_POINTS:
            return f"利用ポイントが大きすぎます: {_show(text)}"
        return int(digits)
    if text.startswith("-"):
        return f"利用ポイントがマイナスです（取消は取引区分で表します）: {_show(text)}"
    if re.fullmatch(r"[0-9,]*\.[0-9]*", text) and any(c.isdigit() for c in text):
        return f"利用ポイントが小数です: {_show(text)}"
    if not text:
        return "利用ポイントが空です"
    return f"利用ポイントが正の整数ではありません: {_show(text)}"


@functools.cache
def _clocks() -> frozenset[str]:
    """Every valid `` HH:MM:SS`` (86,400 strings, about 10 MB), built once per process on first use:
    one set look-up then validates the time of day of the console's own form."""
    return frozenset(f" {h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60))


_DATE = itemgetter(slice(0, 10))  # 'YYYY-MM-DD' of the console's form
_CLOCK = itemgetter(slice(10, None))  # ' HH:MM:SS' of the console's form


class Rules:
    """The field rules of one file, with caches of the values already found valid.

    The row and column paths look values up in the caches (``days``/``clocks``, ``stores``,
    ``points``, ``signs``); only a miss runs the rule itself, which fills the cache. ``check`` gives
    the reasons a row is rejected.
    """

    def __init__(self, mapping: ColumnMapping, usable: tuple[date, date] | None = None) -> None:
        self.mapping = mapping
        self.usable = usable
        # Only dates inside the usable period enter these caches: a miss sends the row to the rules.
        self.days: dict[str, str] = {}  # date part of a naive 'YYYY-MM-DD HH:MM:SS' -> its month (JST)
        self.iso_days: dict[str, str] = {}  # the same date part -> its day, YYYY-MM-DD (JST)
        self.other_times: dict[str, tuple[str, str]] = {}  # any other accepted 取引日時 -> (month, day)
        self.months: dict[str, str] = {}  # one str object per month
        self.stores: dict[str, str] = {}  # valid store id -> one interned copy, the key of the totals
        self.points: dict[str, int] = {}
        self.signs = {mapping.use_label: 1, mapping.cancel_label: -1}

    @functools.cached_property
    def clocks(self) -> frozenset[str]:
        return _clocks()

    def month(self, at: str) -> str | None:
        """The usage month of an accepted 取引日時 inside the usable period, else None."""
        found = self.when(at)
        return None if found is None else found[0]

    def day(self, at: str) -> str:
        """The day (JST, YYYY-MM-DD) of a 取引日時 ``month`` accepted."""
        found = self.iso_days.get(at[:10]) if at[10:] in self.clocks else None
        if found is None:
            when = self.when(at)
            assert when is not None, "only the day of an accepted 取引日時 is asked for"
            found = when[1]
        return found

    def when(self, at: str) -> tuple[str, str] | None:
        if at[10:] in self.clocks:
            month = self.days.get(at[:10])
            if month is not None:
                return month, self.iso_days[at[:10]]
        else:
            cached = self.other_times.get(at)
            if cached is not None:
                return cached
        moment = parse_usage_time(at)
        if moment is None or not self.in_period(moment.date()):
            return None
        month = f"{moment.year:04d}-{moment.month:02d}"
        month = self.months.setdefault(month, month)
        day = moment.date().isoformat()
        if at[10:] in self.clocks:  # naive date + ' HH:MM:SS': the date alone decides the month
            self.days[at[:10]] = month
            self.iso_days[at[:10]] = day
        elif len(self.other_times) < _TIMES_CACHE_LIMIT:
            self.other_times[at] = (month, day)
        return month, day

    def in_period(self, day: date) -> bool:
        return self.usable is None or self.usable[0] <= day <= self.usable[1]

    def outside_period(self) -> str:
        assert self.usable is not None
        start, end = self.usable
        return (f"ポイント利用期間（{start.year}年{start.month}月{start.day}日〜{end.year}年{end.month}月{end.day}日）"
                "外の利用日です")

    def store(self, store: str) -> str | None:
        sid = self.stores.get(store)
        if sid is None and _STORE_ID_RE.fullmatch(store):
            sid = self.stores[store] = sys.intern(store)
        return sid

    def point(self, text: str) -> int | None:
        value = self.points.get(text)
        if value is None:
            checked = _points_or_problem(text)
            if isinstance(checked, str):
                return None
            value = checked
            if len(self.points) < _POINTS_CACHE_LIMIT:
                self.points[text] = value
        return value

    def check(self, at: str, store: str, points: str, kind: str) -> tuple[str, str, int, int] | str:
        """(month, interned store id, points, sign) or the reasons the row is rejected."""
        month, sid, value, sign = self.month(at), self.store(store), self.point(points), self.signs.get(kind)
        problems = []
        if month is None:
            moment = parse_usage_time(at) if at else None
            if moment is not None:  # readable, so outside the usable period
                problems.append(f"{self.outside_period()}: {_show(at)}")
            else:
                problems.append(f"取引日時を読めません（例: 2025-06-01 10:30:00）: {_show(at)}" if at else "取引日時が空です")
        if sid is None:
            problems.append(f"店舗IDの形式が正しくありません（MP と数字6桁）: {_show(store)}" if store else "店舗IDが空です")
        if value is None:
            problems.append(str(_points_or_problem(points)))
        if sign is None:
            labels = f"「{self.mapping.use_label}」か「{self.mapping.cancel_label}」"
            problems.append(f"取引区分は{labels}です: {_show(kind)}" if kind else "取引区分が空です")
        if problems:
            return " / ".join(problems)
        return month, sid, value, sign  # type: ignore[return-value]

    def resolve(self, at: str, store: str, points: str, kind: str) -> tuple[str, str, int, int] | str:
        month = self.days.get(at[:10]) if at[10:] in self.clocks else None
        sid, value, sign = self.stores.get(store), self.points.get(points), self.signs.get(kind)
        if month is None or sid is None or value is None or sign is None:
            return self.check(at, store, points, kind)
        return month, sid, value, sign

    def fill(self, ats: list[str], stores: list[str], points: list[str], kinds: list[str],
             looked_up: tuple[list[Any], ...]) -> bool:
        """Complete the column look-ups of a chunk where the caches missed; False if a row is invalid."""
        months, clocks, sids, values, signs = looked_up
        if None in signs:
            return False
        for i in set(_indexes(months, None)).union(_indexes(clocks, False)):
            months[i] = self.month(ats[i])
        for i in _indexes(sids, None):
            sids[i] = self.store(stores[i])
        for i in _indexes(values, None):
            values[i] = self.point(points[i])
        return not (None in months or None in sids or None in values)


# --- the file -------------------------------------------------------------------------------------


def _header_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def is_blank(row: list[str]) -> bool:
    # Excel saves trailing empty rows as ",,,,,": as blank as an empty line.
    return all(not cell.strip() for cell in row)


def _line_numbers(chunk: list[list[str]], first_line: int, exact: bool) -> Sequence[int]:
    """The physical line each record of a chunk starts on (a quoted field may hold line breaks)."""
    if exact:
        return range(first_line, first_line + len(chunk))
    lines, line = [], first_line
    for row in chunk:
        lines.append(line)
        line += _lines_spanned(row)
    return lines


def _lines_spanned(row: list[str]) -> int:
    return 1 + sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)


def _indexes(values: list[Any], target: object) -> list[int]:
    """Positions of ``target`` in ``values``, found by list.index (a C loop): few hits in many rows."""
    found, i = [], -1
    try:
        while True:
            i = values.index(target, i + 1)
            found.append(i)
    except ValueError:
        return found


def read_header(stream: TextIO, mapping: ColumnMapping) -> tuple[int, int, list[int]]:
    """(line of the header, number of columns, position of each mapped column): the first non-blank line."""
    line = 0
    while True:
        text = stream.readline()
        if not text:
            raise NotAnExport("ファイルが空です（見出し行もデータもありません）。")
        line += 1
        try:
            row = next(csv.reader([text]), [])
        except csv.Error as exc:
            raise NotAnExport(f"CSV として読めません（{line} 行目: {exc}）。") from None
        if not is_blank(row):
            break
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
    return line, len(header), [header.index(_header_key(name)) for name in required]


CONFLICT = "取引IDが重複していますが内容が異なります（先に出てきた行を採用しました）"
EMPTY_TXN = "取引IDが空です"


def column_count_reason(expected: int, found: int) -> str:
    return f"列の数が違います（見出しは {expected} 列、この行は {found} 列）"

# Added to every fingerprint so that each is a distinct int object (CPython shares -5…256): the
# column path tells a newly stored fingerprint from an earlier one by identity.
_DISTINCT = 1 << 64


class _Scan:
    """One pass over the data rows, a chunk of rows at a time.

    A month is a million rows and CPython pays for every bytecode per row, so a chunk in which every
    row is well-formed and valid is taken column by column with map/zip/compress (loops in C); only
    the exceptions — a value not cached yet, a repeated id — are handled one by one. A chunk with a
    malformed or rejected line goes through ``_take_rows``, the plain row-by-row reading of the
    rules, which the column path must agree with (the tests compare them).
    """

    def __init__(self, ncols: int, positions: list[int], known: Container[str], rules: Rules) -> None:
        self.ncols = ncols
        self.pick = itemgetter(*positions)
        self.columns = [itemgetter(position) for position in positions]
        self.known = known
        # Nothing is in an empty container: skip a million look-ups on a month's first import.
        self.check_known = not (isinstance(known, Sized) and len(known) == 0)
        self.rules = rules
        self.seen: dict[str, int] = {}  # accepted txn id -> fingerprint of its content, in file order
        # Per usage month, per store: net points and accepted rows. Keyed by the interned store id
        # (its hash is cached), not by (month, store) tuples that would be built and hashed per row.
        self.totals: dict[str, defaultdict[str, int]] = {}
        self.counts: dict[str, Counter[str]] = {}
        # Per usage month, per store: the first day of its accepted rows; and an upper bound of those
        # days (a chunk of one day at or after it can only add stores, never move a first day).
        self.first: dict[str, dict[str, str]] = {}
        self.first_mark: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.rejected: list[RejectedLine] = []
        self.rows = 0
        self.duplicates = 0

    def run(self, reader: CsvReader, offset: int) -> None:
        """Read the data rows; ``offset``: lines before the reader's first (the header's)."""
        chunk_rows = _CHUNK_ROWS
        while True:
            first_line = offset + reader.line_num + 1
            chunk: list[list[str]] = []
            try:
                chunk.extend(islice(reader, chunk_rows))
            except csv.Error as exc:  # the rows before it are kept (list.extend keeps what it got)
                self._take(chunk, first_line, exact=False)
                self.rows += 1
                self._reject(first_line + sum(map(_lines_spanned, chunk)), f"CSV の行として読めません: {exc}")
                continue
            self._take(chunk, first_line, exact=offset + reader.line_num - first_line + 1 == len(chunk))
            if len(chunk) < chunk_rows:
                return

    def _take(self, chunk: list[list[str]], first_line: int, exact: bool) -> None:
        if chunk and not self._take_columns(chunk, first_line, exact):
            self._take_rows(chunk, _line_numbers(chunk, first_line, exact))

    def _month(self, month: str) -> tuple[defaultdict[str, int], Counter[str]]:
        if month not in self.totals:
            self.totals[month], self.counts[month] = defaultdict(int), Counter()
            self.first[month] = {}
        return self.totals[month], self.counts[month]

    def _first_days(self, month: str, sids: list[str], days: list[str] | None, day: str = "") -> None:
        """Keep each store's first day in ``month`` (the month's totals exist already): per row its day
        (``days``), or when ``days`` is None one ``day`` for every row."""
        first, mark = self.first[month], self.first_mark.get(month, "")
        if days is not None and days.count(days[0]) == len(days):
            day, days = days[0], None
        if days is None and day >= mark:
            # One day, not before any first day kept: only stores new to the month get it (the usual
            # chunk of an export in time order). The month's counts already hold this chunk's stores:
            # as many first days as counted stores means none is new.
            if len(first) != len(self.counts[month]):
                first.update(dict.fromkeys(set(sids).difference(first), day))
                self.first_mark[month] = day
            return
        for sid, row_day in zip(sids, repeat(day) if days is None else days, strict=False):
            if row_day < first.get(sid, "~"):
                first[sid] = row_day
                if row_day > mark:
                    mark = row_day
        self.first_mark[month] = mark

    def _reject(self, line: int, reason: str) -> None:
        self.rejected.append(RejectedLine(line, reason))

    def _repeat(self, line: int, same_content: bool) -> None:
        # A re-exported row is a duplicate; the same id with other content means the export is
        # inconsistent: the first row stays counted and staff see the other one.
        if same_content:
            self.duplicates += 1
        else:
            self._reject(line, CONFLICT)

    # --- row by row: every rule, in order ---------------------------------------------------------

    def _take_rows(self, chunk: list[list[str]], lines: Sequence[int]) -> None:
        ncols, pick, known, check_known, resolve = self.ncols, self.pick, self.known, self.check_known, self.rules.resolve
        for row, line in zip(chunk, lines, strict=True):
            if len(row) != ncols:
                if not is_blank(row):
                    self.rows += 1
                    self._reject(line, column_count_reason(ncols, len(row)))
                continue
            txn, at, store, name, raw_points, kind = pick(row)
            if not txn or txn.isspace():
                if not is_blank(row):
                    self.rows += 1
                    self._reject(line, EMPTY_TXN)
                continue
            self.rows += 1
            if check_known and txn in known:  # counted by an earlier import, whatever it says now
                self.duplicates += 1
                continue
            checked = resolve(at, store, raw_points, kind)
            if isinstance(checked, str):
                self._reject(line, checked)
                continue
            month, sid, points, sign = checked
            net = sign * points
            fingerprint = hash((at, sid, net)) + _DISTINCT
            first = self.seen.get(txn)
            if first is not None:
                self._repeat(line, first == fingerprint)
                continue
            self.seen[txn] = fingerprint
            totals, counts = self._month(month)
            totals[sid] += net
            counts[sid] += 1
            self.names[sid] = name
            day = self.rules.day(at)
            if day < self.first[month].get(sid, "~"):
                self.first[month][sid] = day
                self.first_mark[month] = max(self.first_mark.get(month, ""), day)

    # --- column by column: the same rules, at C speed -------------------------------------------

    def _take_columns(self, chunk: list[list[str]], first_line: int, exact: bool) -> bool:
        """Take a chunk whose rows are all well-formed and valid; False (having changed nothing but
        the caches) when the row-by-row path must decide."""
        if set(map(len, chunk)) != {self.ncols}:
            return False
        ids, ats, raw_stores, names, raw_points, kinds = (list(map(column, chunk)) for column in self.columns)
        if "" in ids or any(map(str.isspace, ids)):
            return False
        rules = self.rules
        looked_up = (
            list(map(rules.days.get, map(_DATE, ats))),
            list(map(rules.clocks.__contains__, map(_CLOCK, ats))),
            list(map(rules.stores.get, raw_stores)),
            list(map(rules.points.get, raw_points)),
            list(map(rules.signs.get, kinds)),
        )
        months, clocks, sids, points, signs = looked_up
        missed = None in months or False in clocks or None in sids or None in points or None in signs
        if missed and not rules.fill(ats, raw_stores, raw_points, kinds, looked_up):
            return False
        days: list[str] | None = None
        day = ""
        first, last = min(ats)[:10], max(ats)[:10]
        if first == last and False not in clocks:
            day = rules.iso_days[first]  # one day in the console's form: the usual chunk
        else:
            days = list(map(rules.iso_days.get, map(_DATE, ats)))
            for i in set(_indexes(days, None)).union(_indexes(clocks, False)):
                # a time in another form than the console's: its own day (an offset may move it)
                days[i] = rules.day(ats[i])
        nets = list(map(mul, signs, points))
        fingerprints = list(map(add, map(hash, zip(ats, sids, nets, strict=True)), repeat(_DISTINCT)))
        self.rows += len(chunk)
        kept = self._first_occurrences(ids, fingerprints, chunk, first_line, exact)
        if kept is not None:
            months, sids, names, nets = (list(compress(column, kept)) for column in (months, sids, names, nets))
            if days is not None:
                days = list(compress(days, kept))
        self._add(months, sids, names, nets, days, day)
        return True

    def _first_occurrences(self, ids: list[str], fingerprints: list[int], chunk: list[list[str]], first_line: int,
                           exact: bool) -> list[bool] | None:
        """Store the new ids; which rows count (None: all). Known ids and ids stored before (in an
        earlier chunk or earlier in this one) are duplicates, or conflicts when their content differs."""
        n = len(ids)
        kept: list[bool] = []
        positions: Sequence[int] = range(n)
        if self.check_known:
            known = list(map(self.known.__contains__, ids))
            if True in known:
                self.duplicates += known.count(True)
                kept = list(map(not_, known))
                ids, fingerprints, positions = (list(compress(c, kept)) for c in (ids, fingerprints, positions))
        # One hash-table visit per row: setdefault stores a new id and hands back the very object
        # given; for an id stored before it hands back the earlier fingerprint, another object.
        stored = list(map(self.seen.setdefault, ids, fingerprints))
        repeated = list(map(is_not, stored, fingerprints))
        if True in repeated:
            kept = kept or [True] * n
            lines = _line_numbers(chunk, first_line, exact)
            for i in _indexes(repeated, True):
                kept[positions[i]] = False
                self._repeat(lines[positions[i]], stored[i] == fingerprints[i])
        return kept or None

    def _add(self, months: list[str], sids: list[str], names: list[str], nets: list[int], days: list[str] | None,
             day: str) -> None:
        """Count a chunk's rows: per row its day (``days``), or one ``day`` for them all."""
        if not sids:
            return
        self.names.update(zip(sids, names, strict=True))
        if months.count(months[0]) != len(months):  # a chunk across a month boundary: rare
            for sid, month, net, row_day in zip(sids, months, nets, repeat(day) if days is None else days,
                                                strict=False):
                totals, counts = self._month(month)
                totals[sid] += net
                counts[sid] += 1
                self._first_days(month, [sid], [row_day])
            return
        totals, counts = self._month(months[0])
        counts.update(sids)
        for sid, net in zip(sids, nets, strict=True):  # the one Python loop: a scatter-add
            totals[sid] += net
        self._first_days(months[0], sids, days, day)


def _read(stream: TextIO, known: Container[str], mapping: ColumnMapping, encoding: str,
          usable: tuple[date, date] | None) -> ImportResult:
    header_line, ncols, positions = read_header(stream, mapping)
    scan = _Scan(ncols, positions, known, Rules(mapping, usable))
    scan.run(csv.reader(stream), header_line)
    keys = sorted((month, store) for month, counts in scan.counts.items() for store in counts)
    return ImportResult(
        rows=scan.rows,
        accepted=len(scan.seen),
        duplicates=scan.duplicates,
        rejected=scan.rejected,
        totals={(month, store): scan.totals[month][store] for month, store in keys},
        counts={(month, store): scan.counts[month][store] for month, store in keys},
        store_names=scan.names,
        new_txn_ids=list(scan.seen),
        months=sorted({month for month, _ in keys}),
        encoding=encoding,
        first_days={(month, store): scan.first[month][store] for month, store in keys},
    )


def text_stream(data: bytes, encoding: str) -> io.TextIOWrapper:
    """The export decoded as a stream (a decoded million-row str would be ~150 MB: kanji take 2 bytes)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


#: How ``parse_usage_export`` reads a file: "auto" (DuckDB when installed, see engine.py; the Python
#: reader for what the engine leaves to it), "engine" (the same, DuckDB required) or "python".
ENGINES = ("auto", "engine", "python")


def parse_usage_export(
    data: bytes,
    known_txn_ids: Container[str] = frozenset(),
    mapping: ColumnMapping = ColumnMapping(),
    usable_period: tuple[date, date] | None = None,
    engine: str = "auto",
) -> ImportResult:
    """Read one export. ``known_txn_ids``: ids counted by earlier imports (they are duplicates here).
    ``usable_period``: the first and last day (JST, inclusive) points can be used; a row dated outside
    it is rejected (None: no such check). ``engine``: see ``ENGINES``; every engine gives the same result.

    Raises ``NotAnExport`` when the file is empty, binary, undecodable or lacks a mapped column.
    Unknown or not-approved stores are counted like any other: the caller decides about them.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}")
    _check_is_text(data)
    encodings = _encodings_to_try(data)
    if engine != "python":
        from chalicelib.usage import engine as duck  # DuckDB only on the import path, never at cold start

        if engine == "engine" or duck.available():
            try:
                result = duck.read_with_engine(data, known_txn_ids, mapping, encodings[0], usable_period)
            except NotAnExport:
                result = None  # the Python reader says it with the encoding it settles on
            if result is not None:
                return result
    for encoding in encodings:
        with text_stream(data, encoding) as stream:
            try:
                return _read(stream, known_txn_ids, mapping, encoding, usable_period)
            except UnicodeDecodeError:
                continue  # valid UTF-8 at the start only: read the whole file again as CP932
    raise _undecodable(data, encodings)
