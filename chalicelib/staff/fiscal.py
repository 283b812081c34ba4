"""The Japanese fiscal year (年度: April to March, JST) that personal-data training is recorded for. Pure."""

from __future__ import annotations

from datetime import date, datetime

from chalicelib.kernel.calendars import to_jst


def fiscal_year_of(day: date) -> int:
    """2026-03-31 → 2025; 2026-04-01 → 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year(now: datetime) -> int:
    """The fiscal year `now` falls in, in Japan time (00:30 JST on 1 April is already the new year)."""
    return fiscal_year_of(to_jst(now).date())


def fiscal_range(year: int) -> tuple[date, date]:
    """First and last day of fiscal `year`."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def fiscal_label(year: int) -> str:
    return f"{year}年度（{year}年4月〜{year + 1}年3月）"
