"""The export's bytes before DuckDB reads them (issue 14): pure, no AWS, no DuckDB.

The engine (engine.py) takes a file only when one pass over its data lines shows nothing DuckDB's CSV
reader and Python's csv would read differently: no NUL (not text), no byte 0x01 or 0x1f (the engine's
NULL marker and separator), no CR but in CRLF (csv ends a line at a lone CR), and it learns the line
count (DuckDB's record count must equal it: no blank line inside, no quoted line break) and the lines
with a double quote (compared one by one after). The export is bytes or a file; a file is read in pieces
of whole lines and never whole. The same pass writes the UTF-8 copy DuckDB reads (in parts, each read
while the next is written), unless DuckDB can read a UTF-8 file where it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath

#: The export is checked and copied for DuckDB this much at a time, in whole lines.
READ_BYTES = 4 * 1024 * 1024
#: The UTF-8 copy (of a CP932 export, say) is written in files of about this size, each read by DuckDB
#: while the next is written.
PART_BYTES = 16 * 1024 * 1024
#: More quoted lines than this and the Python reader takes the file (each is compared in Python).
MAX_QUOTED = 20_000
_LONE_CR = re.compile(rb"\r(?!\n)")  # one pass, where counting CR and CRLF would be two (and CRLF slow)


class Source:
    """The export as bytes or as a file, read in ranges (a file is never read whole)."""

    #: The header is looked for in the first bytes only; the end of the data in the last ones (a file
    #: whose header or end lies further is left to the Python reader).
    EDGE_BYTES = 64 * 1024

    def __init__(self, data: bytes | PurePath) -> None:
        self._data: bytes | None = None
        self._path: Path | None = None
        if isinstance(data, PurePath):
            self._path = Path(data)
            self.size = os.path.getsize(self._path)
        else:
            self._data = data
            self.size = len(data)

    @property
    def path(self) -> Path | None:
        return self._path

    def read(self, start: int, end: int) -> bytes:
        if self._data is not None:
            return bytes(self._data[start:end])
        assert self._path is not None
        with self._path.open("rb") as f:
            f.seek(start)
            return f.read(end - start)

    def reader(self, start: int, end: int) -> Iterator[Callable[[int], bytes]]:
        """A read(n) of the range [start, end), open while iterated once."""
        if self._data is not None:
            view, at = memoryview(self._data), [start]

            def take(n: int) -> bytes:
                piece = bytes(view[at[0]:min(at[0] + n, end)])
                at[0] += len(piece)
                return piece

            yield take
            return
        assert self._path is not None
        with self._path.open("rb") as f:
            f.seek(start)
            left = [end - start]

            def read(n: int) -> bytes:
                piece = f.read(min(n, left[0]))
                left[0] -= len(piece)
                return piece

            yield read


def whole_lines(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """What ``read`` gives, in pieces that end at a line break (the last one may not)."""
    carry = b""
    while block := read(READ_BYTES):
        if carry:
            block, carry = carry + block, b""
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            carry = block  # a line longer than a piece: read on
            continue
        if cut < len(block):
            block, carry = block[:cut], block[cut:]
        yield block
    if carry:
        yield carry


class Scan:
    """One pass over the data lines: what the engine must know of the bytes before DuckDB reads them,
    and the UTF-8 copy DuckDB reads."""

    def __init__(self) -> None:
        self.lines = 0
        #: (position among the data lines, the line) of each line with a double quote: where DuckDB's
        #: CSV reader and Python's csv may part (csv is lenient: ``"a" b`` is ``a b``).
        self.quoted: list[tuple[int, bytes]] = []

    def take(self, piece: bytes) -> bool:
        """Count and check one piece of whole lines; False when the engine must leave the file."""
        # No NUL (not text: the Python reader says so), no byte 0x01 (the NULL marker) nor 0x1f, no CR
        # but in CRLF (csv reads a lone CR as a line end).
        if b"\x00" in piece or b"\x01" in piece or b"\x1f" in piece:
            return False
        if _LONE_CR.search(piece) is not None:
            return False
        at = piece.find(b'"')
        idx, counted_to = self.lines, 0
        while at >= 0:
            if len(self.quoted) >= MAX_QUOTED:
                return False
            line_start = piece.rfind(b"\n", 0, at) + 1
            line_end = piece.find(b"\n", at)
            line_end = len(piece) if line_end < 0 else line_end
            idx += piece.count(b"\n", counted_to, line_start)
            counted_to = line_start
            self.quoted.append((idx, piece[line_start:line_end]))
            at = piece.find(b'"', line_end)
        self.lines = idx + piece.count(b"\n", counted_to)  # each byte counted once
        return True


class Rejected(Exception):
    """The bytes show that the engine must leave the file to the Python reader."""


def _checked(source: Source, start: int, end: int, scan: Scan) -> Iterator[bytes]:
    """The data lines in pieces of whole lines, each checked into ``scan``; raises Rejected."""
    for read in source.reader(start, end):
        for piece in whole_lines(read):
            if not scan.take(piece):
                raise Rejected
            yield piece
    if end > start:
        scan.lines += 1  # the last line has no line break (the trailing ones are cut off)


def check(source: Source, start: int, end: int) -> Scan | None:
    """The data lines checked (a UTF-8 file DuckDB reads where it is); None when the engine must leave
    the file."""
    scan = Scan()
    try:
        for _ in _checked(source, start, end, scan):
            pass
    except Rejected:
        return None
    return scan


def copy_in_parts(source: Source, start: int, end: int, encoding: str, directory: Path, scan: Scan) -> Iterator[Path]:
    """Check the data lines into ``scan`` and write them, as UTF-8, to files of about PART_BYTES
    in ``directory``, each yielded once written and closed (DuckDB reads one while the next is
    written). At least one file (empty when there are no data lines). Raises Rejected when the engine
    must leave the file, UnicodeDecodeError when a CP932 export does not decode."""
    cp932 = encoding == "cp932"
    part, written = 0, 0
    out = (directory / "part-0.csv").open("wb")
    try:
        for piece in _checked(source, start, end, scan):
            # UTF-8 already (the BOM, if any, is before the header); CP932 decoded piece by piece: a piece
            # ends at a line break, and no CP932 character has the byte 0x0A, so none is cut in two.
            written += out.write(piece.decode("cp932").encode("utf-8") if cp932 else piece)
            if written >= PART_BYTES:
                out.close()
                yield Path(out.name)
                part, written = part + 1, 0
                out = (directory / f"part-{part}.csv").open("wb")
        out.close()
        if written or part == 0:
            yield Path(out.name)
    finally:
        out.close()


def bounds(source: Source, header_line: int, encoding: str) -> tuple[int, int, Path | None] | None:
    """(offset of the data lines, their end, the file DuckDB may read where it is), or None. The header
    is looked for in the first EDGE_BYTES, the end of the data in the last (further: the Python reader's)."""
    head = source.read(0, min(source.size, Source.EDGE_BYTES))
    start = -1
    for _ in range(header_line):  # the line after the header's (1-based) line
        start = head.find(b"\n", start + 1)
        if start < 0:
            if len(head) < source.size:
                return None
            start = source.size - 1
            break
    start += 1
    tail_from = max(start, source.size - Source.EDGE_BYTES)
    tail = source.read(tail_from, source.size)
    kept = len(tail.rstrip(b"\r\n"))  # trailing line breaks are blank lines the Python reader skips
    if kept == 0 and tail_from > start:
        return None  # 64 KB of line breaks: not an export the engine needs to take
    end = tail_from + kept
    before = head[:start]
    if _LONE_CR.search(before) is not None:
        return None  # csv ends a line at a lone CR: the header's line would not be the lines before ``start``
    # A UTF-8 file whose header is its first line is read by DuckDB where it is (skipping that line; a
    # trailing line break is no row): no copy. Anything else is copied, from ``start`` to ``end``.
    direct = source.path if (encoding != "cp932" and header_line == 1 and b'"' not in before
                             and tail[kept:] in (b"", b"\n", b"\r\n")) else None
    return start, end, direct
