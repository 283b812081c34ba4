"""Reader of the payment console's monthly usage export (docs/SPEC.md §4.3): bytes in, figures out.

Pure: no I/O, no clock, no AWS. The caller supplies the transaction ids already counted by earlier
imports and checks the stores; this module decides, line by line, what the file says.

The export is CSV in UTF-8 (with or without BOM) or CP932 (Windows Shift_JIS, what Excel writes on
a Japanese PC). One row is one transaction; the columns are found by name (``ColumnMapping``), so
extra or reordered columns are fine. A file that is not such an export raises ``NotAnExport`` with
a message staff can act on; a bad line is rejected with a Japanese reason and the rest is counted.
Every line of the file is accounted for: a refused row spread over several lines (a quoted value with
line breaks, or a quote left open that reads on, maybe thousands of lines) says each of its lines.

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

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Sequence, Sized
from datetime import date
from itertools import compress, islice, repeat
from operator import add, is_not, itemgetter, mul, not_
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, TextIO

from chalicelib.usage.export import (
    ColumnMapping,
    ImportResult,
    NotAnExport,
    RejectedLine,
    TxnIds,
    header_key,
    txn_id_lines,
)
from chalicelib.usage.rules import CLOCK as _CLOCK
from chalicelib.usage.rules import DATE as _DATE
from chalicelib.usage.rules import MAX_POINTS, Rules, indexes, parse_usage_time
from chalicelib.usage.text import check_is_text, decode_export, encodings_to_try, text_stream, undecodable

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

# The types and rules live in export.py and rules.py; they are named here too, where callers import them.
__all__ = [
    "MAX_POINTS",
    "ColumnMapping",
    "ImportResult",
    "NotAnExport",
    "RejectedLine",
    "Rules",
    "TxnIds",
    "decode_export",
    "parse_usage_export",
    "parse_usage_time",
    "txn_id_lines",
]

_CHUNK_ROWS = 512  # rows taken at a time: small enough for the CPU cache, large enough for map() to pay


# --- the file -------------------------------------------------------------------------------------



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
    header = [header_key(cell) for cell in row]
    required = mapping.columns()
    missing = [name for name in required if header_key(name) not in header]
    if missing:
        raise NotAnExport(
            f"利用実績のCSVではありません（必要な列: {', '.join(required)}）。"
            f"見つからない列: {', '.join(missing)}。1 行目が見出し行になっているか確認してください。"
        )
    doubled = [name for name in required if header.count(header_key(name)) > 1]
    if doubled:
        raise NotAnExport(f"見出しに同じ列名が複数あります: {', '.join(doubled)}。どの列を使うか決められません。")
    return line, len(header), [header.index(header_key(name)) for name in required]


CONFLICT = "取引IDが重複していますが内容が異なります（先に出てきた行を採用しました）"
EMPTY_TXN = "取引IDが空です"


def column_count_reason(expected: int, found: int) -> str:
    return f"列の数が違います（見出しは {expected} 列、この行は {found} 列）"


def continuation_reason(first_line: int) -> str:
    """A line read as part of a quoted value that began on an earlier line of a refused row: said on its
    own line, so that no line of the file leaves the report unaccounted for (one stray quote can take
    thousands of lines with it)."""
    return f"{first_line}行目の引用符（\"）の中として読まれたため、取り込んでいません（引用符が閉じられていない可能性があります）"


def csv_error_reason(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return "値が長すぎるため CSV の行として読めません（引用符（\"）が閉じられていない可能性があります）"
    return f"CSV の行として読めません: {error}"

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
        self.last_line = 0  # the last physical line csv has read (a value left open at the end ends there)
        self.valid_months: set[str] = set()  # of every valid row, repeats included (which ids are known)

    def run(self, reader: CsvReader, offset: int) -> None:
        """Read the data rows; ``offset``: lines before the reader's first (the header's)."""
        chunk_rows = _CHUNK_ROWS
        while True:
            first_line = offset + reader.line_num + 1
            chunk: list[list[str]] = []
            try:
                chunk.extend(islice(reader, chunk_rows))
            except csv.Error as exc:  # the rows before it are kept (list.extend keeps what it got)
                self.last_line = offset + reader.line_num
                self._take(chunk, first_line, exact=False)
                # The refused record took every line up to where csv stopped (a quote left open reads on):
                # each of them is said, and the rows go on from the next line.
                refused = first_line + sum(map(_lines_spanned, chunk))
                self._refuse(refused, csv_error_reason(exc), offset + reader.line_num - refused + 1)
                continue
            self.last_line = offset + reader.line_num
            self._take(chunk, first_line, exact=self.last_line - first_line + 1 == len(chunk))
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

    def _refuse(self, line: int, reason: str, lines: int = 1) -> None:
        """A row that is not read, on ``lines`` physical lines from ``line``: the first says why, each
        further one that it was read inside the row's quoted value. Each line counts as a row."""
        lines = max(1, min(lines, self.last_line - line + 1))  # a quote open to the end took the last break
        self.rows += lines
        self._reject(line, reason)
        if lines > 1:
            continued = continuation_reason(line)
            self.rejected.extend(RejectedLine(later, continued) for later in range(line + 1, line + lines))

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
                    self._refuse(line, column_count_reason(ncols, len(row)), _lines_spanned(row))
                continue
            txn, at, store, name, raw_points, kind = pick(row)
            if not txn or txn.isspace():
                if not is_blank(row):
                    self._refuse(line, EMPTY_TXN, _lines_spanned(row))
                continue
            if check_known and txn in known:  # counted by an earlier import, whatever it says now
                self.rows += 1
                self.duplicates += 1
                continue
            checked = resolve(at, store, raw_points, kind)
            if isinstance(checked, str):
                self._refuse(line, checked, _lines_spanned(row))
                continue
            self.rows += 1
            month, sid, points, sign = checked
            self.valid_months.add(month)
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
        self.valid_months.update(months)
        days: list[str] | None = None
        day = ""
        first, last = min(ats)[:10], max(ats)[:10]
        if first == last and False not in clocks:
            day = rules.iso_days[first]  # one day in the console's form: the usual chunk
        else:
            days = list(map(rules.iso_days.get, map(_DATE, ats)))
            for i in set(indexes(days, None)).union(indexes(clocks, False)):
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
            for i in indexes(repeated, True):
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
          usable: tuple[date, date] | None, valid_months: set[str] | None = None) -> ImportResult:
    """The export read row by row; ``valid_months`` (if given) gets the months of its valid rows."""
    header_line, ncols, positions = read_header(stream, mapping)
    scan = _Scan(ncols, positions, known, Rules(mapping, usable))
    scan.run(csv.reader(stream), header_line)
    if valid_months is not None:
        valid_months.update(scan.valid_months)
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


#: The ids earlier imports counted in some usage months ("YYYY-MM"), asked once the file's months are known:
#: the import's usual case is a month's export that repeats a few rows of the month before.
KnownFor = Callable[[list[str]], Container[str]]


def _asked_once(known_for: KnownFor) -> KnownFor:
    """``known_for`` answering each list of months once (the engine may ask, then leave the file to Python)."""
    answers: dict[tuple[str, ...], Container[str]] = {}

    def ask(months: list[str]) -> Container[str]:
        key = tuple(months)
        if key not in answers:
            answers[key] = known_for(list(key))
        return answers[key]

    return ask


#: How ``parse_usage_export`` reads a file: "auto" (DuckDB when installed, see engine.py; the Python
#: reader for what the engine leaves to it), "engine" (the same, DuckDB required) or "python".
ENGINES = ("auto", "engine", "python")


def parse_usage_export(
    data: bytes | PurePath,
    known_txn_ids: Container[str] = frozenset(),
    mapping: ColumnMapping = ColumnMapping(),
    usable_period: tuple[date, date] | None = None,
    engine: str = "auto",
    known_for: KnownFor | None = None,
) -> ImportResult:
    """Read one export. ``known_txn_ids``: ids counted by earlier imports (they are duplicates here).
    ``known_for`` instead: those ids asked for the months of the file's valid rows, in one pass where the
    engine reads the file (the Python reader reads it once without them to learn the months, then again
    with them if there are any).
    ``usable_period``: the first and last day (JST, inclusive) points can be used; a row dated outside
    it is rejected (None: no such check). ``engine``: see ``ENGINES``; every engine gives the same result.

    ``data``: the export's bytes, or its file (the import function's way: the engine then reads it
    from disk and memory holds no copy of it; only a file the engine leaves to the Python reader is
    read whole).

    Raises ``NotAnExport`` when the file is empty, binary, undecodable or lacks a mapped column.
    Unknown or not-approved stores are counted like any other: the caller decides about them.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}")
    if known_for is not None:
        if not (isinstance(known_txn_ids, Sized) and len(known_txn_ids) == 0):
            raise ValueError("known_txn_ids or known_for, not both")
        known_for = _asked_once(known_for)
    if engine != "python":
        from chalicelib.usage import engine as duck  # DuckDB only on the import path, never at cold start

        result = duck.read_if_it_can(data, known_txn_ids, mapping, usable_period, required=engine == "engine",
                                     known_for=known_for)
        if result is not None:
            return result
    if isinstance(data, PurePath):
        data = Path(data).read_bytes()  # the Python reader decides (a file the engine left, or no engine)
    check_is_text(data)
    encodings = encodings_to_try(data)
    for encoding in encodings:
        with text_stream(data, encoding) as stream:
            try:
                if known_for is None:
                    return _read(stream, known_txn_ids, mapping, encoding, usable_period)
                months: set[str] = set()
                first = _read(stream, frozenset(), mapping, encoding, usable_period, months)
            except UnicodeDecodeError:
                continue  # valid UTF-8 at the start only: read the whole file again as CP932
        known = known_for(sorted(months))
        if isinstance(known, Sized) and len(known) == 0:
            return first
        with text_stream(data, encoding) as stream:
            return _read(stream, known, mapping, encoding, usable_period)
    raise undecodable(data, encodings)

