"""The usage export read by DuckDB: the parser's rules at engine speed (issue 14).

Pure of AWS: the export (bytes, or its file in Lambda's /tmp) in, ``ImportResult`` out, through a
temporary directory. DuckDB is imported here, lazily, by ``read_with_engine``: nothing that app.py
imports at cold start loads it. The pass over the bytes before DuckDB is engine_input.py.

The engine is an accelerator of the Python reader, never a second set of rules. It takes the whole
file only when it can prove that its reading and the Python reader's are the same, and otherwise
answers None (the caller then reads the file in Python):

- one record per physical line (DuckDB's record count equals the file's line count: no blank line
  inside, no quoted line break) and no lone CR, no byte 0x01 (the engine's NULL marker): a data
  row's line number is then its position plus the header's line (engine_input.py checks the bytes);
- DuckDB's strict CSV reader takes the file (a row with too many columns, a stray quote or invalid
  UTF-8 make it refuse, and the Python reader decides);
- a row counts in SQL only in the console's own form (``YYYY-MM-DD HH:MM:SS`` inside the usable
  period, ``MP`` + 6 digits, plain digits 1..MAX_POINTS, one of the two labels, exactly the header's
  column count). Every other row (few: the broken lines of an export) is given to the Python rules
  one by one, for its exact Japanese reason; if one of them turns out valid (an ISO time, "1,200"
  points...), the Python reader takes the whole file instead, so file order never has to be merged.

Duplicates are decided in SQL exactly as the Python reader does: a known id is a duplicate whatever
the row says; among the rest, the first row per id counts and a later one is a duplicate when its
取引日時, store and signed points are the same, else rejected with its line.
"""

from __future__ import annotations

import contextlib
import csv
import re
import tempfile
from collections.abc import Callable, Container, Iterable, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import date
from operator import itemgetter
from pathlib import Path, PurePath
from typing import Any

from chalicelib.kernel.calendars import FIRST_SUPPORTED_DAY, LAST_SUPPORTED_DAY
from chalicelib.usage import engine_input, parser
from chalicelib.usage.export import ColumnMapping, ImportResult, KnownIds, NotAnExport, RejectedLine, TxnIds
from chalicelib.usage.rules import MAX_POINTS, Rules
from chalicelib.usage.text import SNIFF_BYTES, check_is_text, encodings_to_try, text_stream

#: DuckDB's bounds in the import function: both of Lambda's cores, and a memory limit past which it
#: spills to the temporary directory rather than grow. The whole process stays under 256 MB at 1M rows
#: when the export is given as a file (the import function's way: nothing holds its 72 MB meanwhile);
#: given as bytes, DuckDB gets less (the bytes are held beside it). The known ids of a month's import (the
#: last month's million) are looked up within the same limit: with 1M of them the import takes ~0.15 s more
#: and peaks at ~230 MB; with 4M, DuckDB spills (a limit grown with the ids was faster but passed 256 MB).
THREADS = 2
MEMORY_LIMIT = "160MB"
MEMORY_LIMIT_BESIDE_BYTES = "80MB"
#: More rows than this outside the console's form and the Python reader takes the file (they would
#: all be read in Python anyway, and fetched from DuckDB first).
MAX_EXCEPTIONS = 20_000
#: Python's str.isspace() characters: an id starting with none of them is not blank.
_SPACES = " || ".join(f"chr({c})" for c in (*range(9, 14), *range(28, 33), 133, 160, 5760, *range(8192, 8203), 8232, 8233,
                                     8239, 8287, 12288))
_NULL = "\x01"
# A row outside the console's form is kept as its cells joined by this (in the name column: the other
# columns are NULL then); a missing column is NULL and concat_ws skips it.
_SEP = "\x1f"  # DuckDB's NULL marker here: an empty field stays '', a missing column is NULL
#: DuckDB reads the file this much at a time per thread (32 MB by default); the threads' pieces are put
#: back in the file's order only because insertion order is preserved (the tests turn it off once to
#: show that the line numbers depend on it).
CSV_BUFFER_BYTES = 16 * 1024 * 1024
PRESERVE_ORDER = True
#: A row's state in the engine's table (column st): counted, outside the console's form (read by the
#: Python rules), its id counted by an earlier import, a later row of an id repeated in this file; outside
#: the form with an id counted before (a duplicate if the Python rules find its id where they look).
COUNTED, OUT_OF_FORM, KNOWN, REPEAT, OUT_OF_FORM_KNOWN = range(5)
_OUT = f"st IN ({OUT_OF_FORM}, {OUT_OF_FORM_KNOWN})"


def available() -> bool:
    """Is DuckDB installed (the import function's package has it; a slim one may not)?"""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


class _Clocks:
    """``Rules.clocks`` without its 86,400 strings (0.1 s and 10 MB to build): the few rows the rules
    see here don't pay for them."""

    _RE = re.compile(r" (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self._RE.fullmatch(text) is not None


class _Rules(Rules):
    clocks = _Clocks()  # type: ignore[assignment]


def _known_file(known: Container[str], path: Path) -> bool | None:
    """Write the known ids one a line; False when there are none, None when they can't be listed."""
    if isinstance(known, Sized) and len(known) == 0:
        return False
    if isinstance(known, KnownIds):
        lines = known.lines()  # the ledgers' lines as they are: no str per id
    elif isinstance(known, Iterable) and isinstance(known, Sized):
        ids: Sized = known
        try:
            text = "\n".join(known)
        except TypeError:  # not only str: the others are no id of a row
            ids = [i for i in known if isinstance(i, str)]
            if not ids:
                return False
            text = "\n".join(ids)
        if text.count("\n") != len(ids) - 1:
            return None  # an id with a line break in it
        try:
            lines = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
    else:
        return None
    if b"\r" in lines or b"\x01" in lines:
        return None  # a line end or the engine's NULL marker inside an id
    path.write_bytes(lines)
    return True


def _known_sql(path: Path) -> str:
    """The known ids' file as a subquery: DuckDB reads it where it is needed and keeps no table of them."""
    return (f"(SELECT id FROM read_csv({_sql_str(str(path))}, header = false, auto_detect = false, "
            "columns = {'id': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', new_line = '\\n'))")


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_csv(path: Path, ncols: int, skip: int = 0) -> str:
    # A line longer than csv's field limit is refused (the Python reader decides); DuckDB's parallel
    # reader wants its buffers well above the longest line (a test's 4 KB buffers: shorter lines).
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols + 1))  # one more: a row too long shows
    return (f"read_csv({_sql_str(str(path))}, header = false, auto_detect = false, delim = ',', quote = '\"', "
            f"escape = '\"', columns = {{{columns}}}, null_padding = true, nullstr = {_sql_str(_NULL)}, "
            f"allow_quoted_nulls = false, strict_mode = true, buffer_size = {CSV_BUFFER_BYTES}, skip = {skip}, "
            f"max_line_size = {min(csv.field_size_limit(), CSV_BUFFER_BYTES // 4)})")


def _rows_sql(path: Path, ncols: int, positions: list[int], mapping: ColumnMapping, period: tuple[date, date],
              skip: int = 0, append: bool = False) -> str:
    txn, at, store, name, points, kind = (f"c{p}" for p in positions)
    use, cancel = _sql_str(mapping.use_label), _sql_str(mapping.cancel_label)
    first, last = period
    cells = ", ".join(f"c{i}" for i in range(ncols + 1))
    digits = "[0-9]"
    lo, hi = f"TIMESTAMP '{first.isoformat()} 00:00:00'", f"TIMESTAMP '{last.isoformat()} 23:59:59'"
    # The console's form exactly: the shape by GLOB (the cast alone would take 'T', one-digit fields...),
    # the hour below 24 (the cast takes 24:00:00 as the next day); the cast refuses a day or a minute or
    # second that does not exist. Each cast is made once (in the innermost query), for the check and
    # the value. csv refuses a field longer than its limit: DuckDB refuses a line longer than it
    # (max_line_size, in bytes: never fewer than the field's characters) and the Python reader decides.
    ok = f"""coalesce(
        c{ncols} IS NULL AND c{ncols - 1} IS NOT NULL
        AND {txn} <> '' AND strpos({_SPACES}, left({txn}, 1)) = 0
        AND {at} GLOB '{digits * 4}-{digits * 2}-{digits * 2} {digits * 2}:{digits * 2}:{digits * 2}'
        AND substr({at}, 12, 2) < '24' AND ts_ BETWEEN {lo} AND {hi}
        AND {store} GLOB 'MP{digits * 6}'
        AND NOT {points} GLOB '*[!0-9]*' AND points_ BETWEEN 1 AND {MAX_POINTS}
        AND {kind} IN ({use}, {cancel}), false)"""
    # One scan of the whole file, stored in the file's order (preserve_insertion_order): a row's rowid
    # is its position among the data lines, with no numbering pass (a window over the scan runs on one
    # thread). Nothing here may join (a join does not keep the order; DuckDB makes a long IN list a join too, hence
    # strpos for the spaces): the known ids are marked after.
    return ("INSERT INTO t" if append else "CREATE TEMP TABLE t AS") + f"""
        SELECT CASE WHEN ok THEN {COUNTED} ELSE {OUT_OF_FORM} END::UTINYINT AS st,
               {txn} AS txn, CASE WHEN ok THEN ts_ END AS ts,
               CASE WHEN ok THEN CAST(substr({store}, 3) AS INTEGER) END AS store,
               CASE WHEN ok THEN {name} ELSE concat_ws({_sql_str(_SEP)}, {cells}) END AS name,
               CASE WHEN ok THEN points_ * CASE {kind} WHEN {use} THEN 1 ELSE -1 END END AS net
        FROM (SELECT *, {ok} AS ok FROM (
            SELECT *, TRY_CAST({at} AS TIMESTAMP) AS ts_, TRY_CAST({points} AS INTEGER) AS points_
            FROM {_read_csv(path, ncols, skip)}))"""


# Among the rows that may count (in form, id not known), the later rows of a repeated id: a duplicate
# when 取引日時, store and signed points equal the first row's, else a conflict. A row's position in
# the file is its rowid (t is created from one scan of the file with insertion order preserved; DuckDB's
# documented order guarantee, and the tests read files DuckDB splits between its threads).
# The rows whose id's 64-bit hash repeats (grouping hashes is cheaper than grouping strings) are set
# apart first; the ids themselves are grouped among those few.
_CANDIDATES = f"""
    CREATE TEMP TABLE cand AS
    SELECT rowid AS idx, txn, ts, store, net FROM t
    WHERE st = {COUNTED}
      AND hash(txn) IN (SELECT hash(txn) AS h FROM t WHERE st = {COUNTED} GROUP BY h HAVING count(*) > 1)"""
# Each later row of a repeated id, against its id's first row.
_REPEATS = """
    CREATE TEMP TABLE reps AS
    SELECT c.idx, (c.ts = f.ts AND c.store = f.store AND c.net = f.net) AS same
    FROM cand c JOIN (SELECT txn, min(idx) AS first FROM cand GROUP BY txn HAVING count(*) > 1) g USING (txn)
    JOIN cand f ON f.idx = g.first WHERE c.idx <> g.first"""
# Rows whose id an earlier import counted, and the repeats: marked in place (an UPDATE keeps every
# rowid), so that every later query reads t with a plain filter.
# (IN, not UPDATE ... FROM known: t is then the side scanned, and its rows are changed in rowid order. Joined
# from the ids, they come in the ids' order, and DuckDB took 2.2 s instead of 0.12 s to mark a million.)
# The rows outside the form are asked in the same pass (one read of the ids, one hash table).
_MARK_KNOWN = (f"UPDATE t SET st = CASE st WHEN {COUNTED} THEN {KNOWN} ELSE {OUT_OF_FORM_KNOWN} END "
               f"WHERE st IN ({COUNTED}, {OUT_OF_FORM}) AND txn IN {{known}}")
_MARK_REPEATS = f"UPDATE t SET st = {REPEAT} WHERE rowid IN (SELECT idx FROM reps)"
_ACCEPTED = f"(SELECT rowid AS idx, * FROM t WHERE st = {COUNTED})"


def _accepted_ids(con: Any, path: Path) -> Sequence[str]:
    """The accepted ids in file order: written by DuckDB one a line (the table is in file order), read
    back as bytes. If the CSV writer quoted an id (a comma, a quote...), sorted into one string instead."""
    # A filtered scan of one table keeps its order (rowid: the file's order): no sort.
    con.execute(f"COPY (SELECT txn FROM {_ACCEPTED}) TO {_sql_str(str(path))} (FORMAT csv, HEADER false)")
    lines = path.read_bytes()
    path.unlink()
    if b'"' not in lines:  # the writer quoted no id: each line is one id as it is
        return TxnIds(lines)
    del lines
    joined = con.execute(f"SELECT string_agg(txn, chr(10) ORDER BY idx) FROM {_ACCEPTED}").fetchone()[0]
    return joined.split("\n") if joined else []


def _layout(data: bytes | PurePath, source: engine_input.Source, mapping: ColumnMapping, encoding: str,
            ) -> tuple[tuple[int, int, list[int]], tuple[int, int, Path | None]] | None:
    """The header (by the Python reader's own code: its line, column count and mapped positions) and
    the data's bounds, or None."""
    text = text_stream(data, encoding) if isinstance(data, bytes | bytearray) \
        else open(data, encoding=encoding, newline="")  # closed by the with below
    with text as stream:
        try:
            header = parser.read_header(stream, mapping)
        except UnicodeDecodeError:
            return None
    bounds = engine_input.bounds(source, header[0], encoding)
    return None if bounds is None else (header, bounds)


def _read_copy(con: Any, pool: ThreadPoolExecutor, source: engine_input.Source, start: int, end: int, encoding: str,
               tmp: Path, table_sql: Callable[[Path, bool], str]) -> engine_input.Scan | None:
    """The data lines checked and copied as UTF-8 in parts, DuckDB reading each part (in the pool's
    thread: its queries release the GIL) while this thread writes the next (a CP932 export's decoding
    overlaps DuckDB's reading). The parts are read one after another, so the table keeps the file's
    order. None when the engine must leave the file."""
    refused: list[Exception] = []

    def read(part: Path, first: bool) -> None:
        try:
            if not refused:
                con.execute(table_sql(part, first))
        except Exception as error:
            refused.append(error)
        finally:
            part.unlink()

    scan = engine_input.Scan()
    reads = []
    try:
        for number, part in enumerate(engine_input.copy_in_parts(source, start, end, encoding, tmp, scan)):
            reads.append(pool.submit(read, part, number == 0))
            if refused:
                break  # DuckDB refused a part: the rest need not be written
    except (engine_input.Rejected, UnicodeDecodeError):
        return None
    finally:
        wait(reads)  # the connection is free again
    if refused:
        raise refused[0]  # a line DuckDB's reader refuses, say: the Python reader decides
    return scan


def _period(usable: tuple[date, date] | None) -> tuple[date, date]:
    """The years the calendars cover (parse_usage_time), within the usable period."""
    period = (date(FIRST_SUPPORTED_DAY.year, 1, 1), date(LAST_SUPPORTED_DAY.year, 12, 31))
    return period if usable is None else (max(period[0], usable[0]), min(period[1], usable[1]))


def read_if_it_can(data: bytes | PurePath, known: Container[str], mapping: ColumnMapping,
                   usable: tuple[date, date] | None, required: bool = False,
                   known_for: Callable[[list[str]], Container[str]] | None = None) -> ImportResult | None:
    """``parse_usage_export``'s engine: the import, or None when the Python reader must decide (not
    text at the start, DuckDB not installed unless ``required``, or any of read_with_engine's reasons)."""
    head = engine_input.Source(data).read(0, SNIFF_BYTES)
    try:
        check_is_text(head)
    except NotAnExport:
        return None  # empty, a zip, binary: the Python reader says which
    if not required and not available():
        return None
    try:
        return read_with_engine(data, known, mapping, encodings_to_try(head)[0], usable, known_for)
    except NotAnExport:
        return None  # the Python reader says it with the encoding it settles on


def read_with_engine(data: bytes | PurePath, known: Container[str], mapping: ColumnMapping, encoding: str,
                     usable: tuple[date, date] | None,
                     known_for: Callable[[list[str]], Container[str]] | None = None) -> ImportResult | None:
    """The import of ``data`` (the export's bytes, or its file: then never read whole into memory;
    ``encoding`` as the Python reader would decode it first), or None when the Python reader must
    decide (see the module's doc). ``known_for``: the known ids asked for the months of the rows that
    may count, once the file is read (one pass, where the caller would read it twice to learn them)."""
    import duckdb  # the import path's runtime dependency, loaded only here

    source = engine_input.Source(data)
    layout = _layout(data, source, mapping, encoding)
    if layout is None:
        return None
    (header_line, ncols, positions), (start, end, direct) = layout
    period = _period(usable)
    with tempfile.TemporaryDirectory(prefix="usage-engine-") as tmp:
        known_path = Path(tmp) / "known.txt"
        with_known = _known_file(known, known_path)
        if with_known is None:
            return None
        config: dict[str, str | bool | int | float | list[str]] = {
            "threads": THREADS, "temp_directory": str(Path(tmp) / "spill"),
            "preserve_insertion_order": PRESERVE_ORDER,
            "memory_limit": MEMORY_LIMIT if source.path else MEMORY_LIMIT_BESIDE_BYTES}
        with contextlib.ExitStack() as stack:
            # A file DuckDB reads where it is is checked while DuckDB starts and reads it (its query releases
            # the GIL: on two cores the check overlaps the read); nothing uses the table before the check ends.
            pool = stack.enter_context(ThreadPoolExecutor(1))
            checking = pool.submit(engine_input.check, source, start, end) if direct else None
            con = stack.enter_context(duckdb.connect(":memory:", config=config))
            try:
                if direct and checking is not None:
                    con.execute(_rows_sql(direct, ncols, positions, mapping, period, skip=1))
                    scan = checking.result()
                else:  # a copy (CP932, a header after blank lines...), read as it is written
                    scan = _read_copy(con, pool, source, start, end, encoding, Path(tmp), lambda part, first: _rows_sql(
                        part, ncols, positions, mapping, period, append=not first))
                if scan is None:
                    return None
                if known_for is not None:  # the months of every row in form, repeats included
                    months = [month for (month,) in con.execute(
                        "SELECT strftime(m, '%Y-%m') FROM (SELECT DISTINCT date_trunc('month', ts) AS m FROM t "
                        f"WHERE st = {COUNTED}) ORDER BY m").fetchall()]
                    with_known = _known_file(known_for(months), known_path)
                    if with_known is None:
                        return None
                if with_known:
                    con.execute(_MARK_KNOWN.format(known=_known_sql(known_path)))
                if scan.quoted and not _quotes_agree(con, scan.quoted, encoding, ncols, positions,
                                                     _Rules(mapping, usable)):
                    return None
                return _collect(con, Path(tmp), scan.lines, header_line, ncols, positions, mapping, usable,
                                encoding)
            except duckdb.Error:
                # DuckDB's strict reader refused a line, or it could not stay within its memory limit: the
                # Python reader decides.
                return None


def _quotes_agree(con: Any, quoted: list[tuple[int, bytes]], encoding: str, ncols: int, positions: list[int],
                  rules: Rules) -> bool:
    """Does DuckDB's reading of each quoted line mean what csv's reading of it means?"""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    lines = dict(quoted)
    query = (f"SELECT rowid, NOT {_OUT}, txn, strftime(ts, '%Y-%m-%d %H:%M:%S'), store, name, net FROM t "
             f"WHERE rowid = ANY([{', '.join(str(idx) for idx in lines)}]) ORDER BY rowid")  # IN: a join
    for idx, ok, txn, at, store, name, net in con.execute(query).fetchall():
        text = lines[idx].decode(codec)
        try:
            cells = next(csv.reader([text[:-1] if text.endswith("\r") else text]), [])
        except csv.Error:
            return False
        if not ok:
            if cells != name.split(_SEP):
                return False
            continue
        if len(cells) != ncols:
            return False
        row = [cells[p] for p in positions]
        checked = rules.resolve(row[1], row[2], row[4], row[5])
        if isinstance(checked, str) or (row[0], row[1], row[2], row[3]) != (txn, at, f"MP{store:06d}", name) \
                or checked[2] * checked[3] != net:
            return False
    return True


def _exceptions(con: Any, first_data_line: int, ncols: int, positions: list[int],
                rules: Rules) -> tuple[int, int, list[RejectedLine]] | None:
    """The rows outside the console's form, by the Python reader's rules in its order: (blank rows,
    known ids, rejected lines); None if one of them is valid after all. Which ids an earlier import
    counted DuckDB has marked (no set of the known ids is made in Python)."""
    pick = itemgetter(*positions)
    blanks = repeats = 0
    limit = csv.field_size_limit()
    rejected: list[RejectedLine] = []
    query = f"SELECT rowid, name, st = {OUT_OF_FORM_KNOWN} FROM t WHERE {_OUT} ORDER BY rowid"
    for idx, cells, counted_before in con.execute(query).fetchall():
        row = cells.split(_SEP)
        line = first_data_line + idx
        if max(map(len, row), default=0) > limit:
            return None  # csv refuses the line: the Python reader says how
        if len(row) != ncols or not row[positions[0]] or row[positions[0]].isspace():
            if parser.is_blank(row):
                blanks += 1
            else:
                reason = parser.EMPTY_TXN if len(row) == ncols else parser.column_count_reason(ncols, len(row))
                rejected.append(RejectedLine(line, reason))
            continue
        if counted_before:
            repeats += 1
            continue
        _, at, store, _, points, kind = pick(row)
        checked = rules.resolve(at, store, points, kind)
        if not isinstance(checked, str):
            return None
        rejected.append(RejectedLine(line, checked))
    return blanks, repeats, rejected


def _collect(con: Any, tmp: Path, lines: int, header_line: int, ncols: int, positions: list[int],
             mapping: ColumnMapping, usable: tuple[date, date] | None, encoding: str) -> ImportResult | None:
    records, exceptions, duplicates = con.execute(
        f"SELECT count(*), count(*) FILTER ({_OUT}), count(*) FILTER (st = {KNOWN}) FROM t").fetchone()
    if records != lines:
        return None  # a blank line or a quoted line break inside: line numbers need the Python reader
    if exceptions > MAX_EXCEPTIONS:
        return None
    rows = records
    rejected: list[RejectedLine] = []
    first_data_line = header_line + 1
    if exceptions:
        found = _exceptions(con, first_data_line, ncols, positions, _Rules(mapping, usable))
        if found is None:
            return None  # a row valid in a form SQL does not take: the Python reader reads the file
        blank, known_rows, rejected = found
        rows, duplicates = rows - blank, duplicates + known_rows
    con.execute(_CANDIDATES)
    con.execute(_REPEATS)
    con.execute(_MARK_REPEATS)
    for idx, same in con.execute("SELECT idx, same FROM reps ORDER BY idx").fetchall():
        if same:
            duplicates += 1
        else:
            rejected.append(RejectedLine(first_data_line + idx, parser.CONFLICT))
    rejected.sort(key=lambda r: r.line)
    totals: dict[tuple[str, str], int] = {}
    counts: dict[tuple[str, str], int] = {}
    first_days: dict[tuple[str, str], str] = {}
    last_name: dict[str, tuple[int, str]] = {}  # store -> (line of its last accepted row, its name)
    first_row: dict[str, int] = {}  # store -> its first accepted row (the order names are kept in)
    # Formatted in SQL: Python builds no date objects for the (month, store) pairs.
    query = ("SELECT strftime(month, '%Y-%m'), 'MP' || lpad(store::VARCHAR, 6, '0'), net, n, strftime(day, '%Y-%m-%d'), "
             "last, name, first FROM (SELECT date_trunc('month', ts) AS month, store, sum(net)::BIGINT AS net, "
             "count(*) AS n, min(ts) AS day, max(idx) AS last, arg_max(name, idx) AS name, min(idx) AS first "
             f"FROM {_ACCEPTED} GROUP BY ALL) ORDER BY month, store")
    for month, store, net, count, day, last, name, first in con.execute(query).fetchall():
        key = (month, store)
        totals[key], counts[key], first_days[key] = net, count, day
        if last > last_name.get(store, (-1, ""))[0]:
            last_name[store] = (last, name)
        first_row[store] = min(first, first_row.get(store, first))
    names = {store: last_name[store][1] for store in sorted(first_row, key=first_row.__getitem__)}
    new_ids = _accepted_ids(con, Path(tmp) / "ids.txt")
    return ImportResult(
        rows=rows,
        accepted=sum(counts.values()),
        duplicates=duplicates,
        rejected=rejected,
        totals=totals,
        counts=counts,
        store_names=names,
        new_txn_ids=new_ids,
        months=sorted({month for month, _ in totals}),
        encoding=encoding,
        first_days=first_days,
    )


__all__ = ["available", "read_if_it_can", "read_with_engine"]
