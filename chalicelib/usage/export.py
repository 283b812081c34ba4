"""What a usage export says, as the readers give it (parser.py, the Python reader; engine.py, DuckDB):
the import's result, its rejected lines, the column mapping, and the refusal of a file that is no export.
Pure: no I/O."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any


def header_key(name: str) -> str:
    """A header cell as it is compared: NFKC-normalised and trimmed."""
    return unicodedata.normalize("NFKC", name).strip()


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
        columns = [header_key(c) for c in self.columns()]
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

    __hash__ = None  # type: ignore[assignment]  # a sequence that compares by value: not hashable

    def __repr__(self) -> str:
        return f"TxnIds({len(self)} ids)"


def txn_id_lines(ids: Sequence[str]) -> bytes:
    """The ids one a line (UTF-8, no final line break): what the ledger keeps of an import."""
    return ids.lines()[:-1] if isinstance(ids, TxnIds) else "\n".join(ids).encode("utf-8")


class KnownIds:
    """The transaction ids committed imports counted, kept as their ledgers' lines: one UTF-8 blob (~12 bytes
    an id, where a set of str takes ~100). The engine hands the lines to DuckDB as they are; the set the
    Python reader asks is built the first time it asks (issue 14: a month's import knows the last month's
    million ids)."""

    __slots__ = ("_lines", "_set")

    def __init__(self, ledgers: Iterable[bytes]) -> None:
        """``ledgers``: each the ids one a line (``txn_id_lines``); empty lines are no id."""
        lines = b"\n".join(ledger for ledger in ledgers if ledger.strip(b"\n"))
        while b"\n\n" in lines:
            lines = lines.replace(b"\n\n", b"\n")
        self._lines = lines.strip(b"\n")
        self._set: frozenset[str] | None = None

    def lines(self) -> bytes:
        """The ids one a line, UTF-8, no final line break (b"" when there are none)."""
        return self._lines

    def _split(self) -> list[str]:
        return self._lines.decode("utf-8").split("\n") if self._lines else []

    def __len__(self) -> int:
        return self._lines.count(b"\n") + 1 if self._lines else 0

    def __bool__(self) -> bool:
        return bool(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self._split())

    def __contains__(self, txn: object) -> bool:
        if self._set is None:
            self._set = frozenset(self._split())
        return txn in self._set

    def __repr__(self) -> str:
        return f"KnownIds({len(self)} ids)"


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

