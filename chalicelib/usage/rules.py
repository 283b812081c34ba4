"""The field rules of the usage export (docs/SPEC.md §4.3): 取引日時, 店舗ID, 利用ポイント, 取引区分, each
with the Japanese reason a bad value is rejected for, and the caches that let the reader validate a
million rows by look-ups (``Rules``). Pure: no I/O, no clock."""

from __future__ import annotations

import functools
import re
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from operator import itemgetter
from typing import Any

from chalicelib.kernel.calendars import FIRST_SUPPORTED_DAY, JST, LAST_SUPPORTED_DAY
from chalicelib.usage.export import ColumnMapping

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

_POINTS_CACHE_LIMIT = 100_000  # distinct point strings remembered; a month has a few thousand
_TIMES_CACHE_LIMIT = 100_000  # 取引日時 in another form than the console's, remembered
_SHOWN_VALUE_CHARS = 40  # a rejected value is quoted in the reason, cut to this length


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


DATE = itemgetter(slice(0, 10))  # 'YYYY-MM-DD' of the console's form
CLOCK = itemgetter(slice(10, None))  # ' HH:MM:SS' of the console's form


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
        for i in set(indexes(months, None)).union(indexes(clocks, False)):
            months[i] = self.month(ats[i])
        for i in indexes(sids, None):
            sids[i] = self.store(stores[i])
        for i in indexes(values, None):
            values[i] = self.point(points[i])
        return not (None in months or None in sids or None in values)


def indexes(values: list[Any], target: object) -> list[int]:
    """Positions of ``target`` in ``values``, found by list.index (a C loop): few hits in many rows."""
    found, i = [], -1
    try:
        while True:
            i = values.index(target, i + 1)
            found.append(i)
    except ValueError:
        return found
