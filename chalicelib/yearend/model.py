"""The year-end pack's input and calendar: which fiscal year a pack is for, its months and last day, and the
year's data the pack is built from (`YearData`: the rounds with their stored files, the inquiry and session
summaries, the funds ledger, and what the monthly reports stated), as the service reads it from the areas.

Pure: no AWS, no clock; `figures` turns this into the sheets' rows, `pack` into files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.inquiries.config import Category
from chalicelib.inquiries.reports import MonthlySummary
from chalicelib.sessions.reports import SessionReport


def fiscal_label(year: int) -> str:
    """2025 → 令和7年度."""
    return f"令和{year - 2018}年度"


def pack_year(today: date) -> int:
    """The year a pack built on `today` is for: the one containing `today` minus one month (a pack run in
    April is for the year that just ended)."""
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return y if m >= 4 else y - 1


def year_months(year: int) -> list[str]:
    return [f"{year + (m < 4)}-{m:02d}" for m in (*range(4, 13), 1, 2, 3)]


def last_day(year: int) -> date:
    return date(year + 1, 4, 1) - timedelta(days=1)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StoredFile:
    """A file settlement stored with a round, as found now (None: missing)."""

    kind: str
    key: str
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class RoundData:
    item: dict[str, Any]
    files: tuple[StoredFile, ...] = ()
    held: tuple[dict[str, Any], ...] = ()
    #: the stored summary file states the same figures as the round (None: no summary file)
    summary_agrees: bool | None = None


@dataclass(frozen=True)
class YearData:
    fiscal_year: int
    as_of: datetime
    rounds: tuple[RoundData, ...]
    ledger: dict[str, Any]
    inquiry_months: tuple[MonthlySummary, ...]
    categories: tuple[Category, ...]
    #: month → the total the delivered monthly inquiry report stated (None: not delivered)
    inquiry_reported: dict[str, int | None] = field(default_factory=dict)
    escalations: tuple[dict[str, Any], ...] = ()
    session_reports: tuple[SessionReport, ...] = ()
    #: month → the figures the delivered session report stated (None: not delivered)
    session_reported: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    forecast_monthly: int = 0
    forecast_total: int = 0

    @property
    def day(self) -> date:
        return self.as_of.date()

    @property
    def final(self) -> bool:
        """Built after the year ended (an earlier pack is an interim one)."""
        return self.day > last_day(self.fiscal_year)
