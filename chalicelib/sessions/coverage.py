"""The coverage board (issue 10 point 2): where the 39 areas stand, and whether the season is crowded in
one month or one region. Pure: sessions, the areas and today in, a `Coverage` out.

The specification (7(3) ハ, docs/SPEC.md §4.6) asks for at least one session in every one of the 39 areas
(each municipality; each of Sendai's five wards) between May 2025 and February 2026, spread so that no
period or region is crowded. The coverage-warning job (chalicelib/sessions/jobs.py) calls `coverage`
with the same inputs as the board.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from chalicelib.kernel.areas import Area, all_areas
from chalicelib.sessions.model import Session
from chalicelib.sessions.repository import months_between
from chalicelib.settings import SessionSettings

AreaState = Literal["held", "scheduled", "none"]
STATE_LABELS: dict[str, str] = {"held": "開催済み", "scheduled": "予定あり", "none": "予定なし"}

#: Below this many sessions in the season, no month or region is called crowded (one session is 100%
#: of a season of one).
MIN_SESSIONS_FOR_CLUSTERING = 10


@dataclass(frozen=True)
class AreaCoverage:
    code: str
    name: str
    region: str
    #: planned and not yet held (status scheduled), including ones whose day passed without attendance
    scheduled: int
    held: int
    cancelled: int
    #: the earliest planned session on or after today
    next_date: date | None
    state: AreaState

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "region": self.region, "scheduled": self.scheduled,
                "held": self.held, "cancelled": self.cancelled,
                "next_date": self.next_date.isoformat() if self.next_date else None, "state": self.state,
                "state_label": STATE_LABELS[self.state]}


@dataclass(frozen=True)
class Crowding:
    """A month or region holding more of the season's sessions than the rule allows (see `coverage`)."""

    kind: Literal["month", "region"]
    key: str
    sessions: int
    share: Decimal
    limit: Decimal
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "sessions": self.sessions, "share": str(self.share),
                "limit": str(self.limit), "message": self.message}


@dataclass(frozen=True)
class Coverage:
    today: date
    areas: tuple[AreaCoverage, ...]
    #: areas with no session that is not cancelled (held or planned), in the areas' order
    missing: tuple[str, ...]
    months: tuple[str, ...]
    regions: tuple[str, ...]
    #: non-cancelled sessions per (month, region); months outside the period are not on the grid
    grid: dict[tuple[str, str], int]
    #: non-cancelled sessions of the season
    total: int
    crowding: tuple[Crowding, ...]
    #: missing areas the staff are warned about: the period ends within `session_warning_days`
    needs_warning: tuple[str, ...]
    period_start: date = field(default=date(2025, 5, 1))
    period_end: date = field(default=date(2026, 2, 28))

    @property
    def by_code(self) -> dict[str, AreaCoverage]:
        return {a.code: a for a in self.areas}

    def to_json(self) -> dict[str, Any]:
        region_totals = {r: sum(self.grid.get((m, r), 0) for m in self.months) for r in self.regions}
        month_totals = {m: sum(self.grid.get((m, r), 0) for r in self.regions) for m in self.months}
        return {
            "today": self.today.isoformat(),
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "areas": [a.to_json() for a in self.areas],
            "missing": list(self.missing),
            "counts": {state: sum(1 for a in self.areas if a.state == state) for state in STATE_LABELS},
            "total": self.total,
            "grid": {
                "months": list(self.months), "regions": list(self.regions),
                "cells": [[self.grid.get((m, r), 0) for r in self.regions] for m in self.months],
                "month_totals": month_totals, "region_totals": region_totals,
            },
            "warnings": [c.to_json() for c in self.crowding],
            "needs_warning": list(self.needs_warning),
        }


def regions_of(areas: Iterable[Area]) -> tuple[str, ...]:
    """The regions in the master's order of first appearance."""
    return tuple(dict.fromkeys(a.region for a in areas))


def _month_label(month: str) -> str:
    year, mon = month.split("-")
    return f"{int(year)}年{int(mon)}月"


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001")) if whole else Decimal(0)


def coverage(sessions: Iterable[Session], today: date, rules: SessionSettings,
             areas: tuple[Area, ...] | None = None) -> Coverage:
    """Where the 39 areas (or `areas`) stand on `today`, and where the season is crowded.

    Per area: planned sessions (status scheduled), held ones, cancelled ones, the next planned date on or
    after today, and its state: "held" once one was held, else "scheduled" if one is planned, else "none".
    `missing` lists the areas without any session that is not cancelled.

    Crowding (7(3) ロ/ハ: no period or region crowded). With `share` = `rules.session_cluster_share`
    (0.25 by default) and only once the season holds MIN_SESSIONS_FOR_CLUSTERING non-cancelled sessions:

    - a month is crowded when it holds more than `share` of the season's sessions, or more than its fair
      share (1 / months of the period) enlarged by `share`, whichever is larger;
    - a region is crowded when it holds more than `share` of the season's sessions, or more than its
      fair share enlarged by `share`, whichever is larger — a region's fair share being its share of the
      areas (仙台 has 18 of the 39 areas, so 46% of the sessions there is its due, not a cluster;
      flagged above 46% × 1.25 = 58%; 石巻 with 3 areas is flagged above 25%).

    `needs_warning`: the missing areas, once the period's end is at most `rules.session_warning_days`
    days away (and not yet past); the warning job mails these at most once a day.
    """
    areas = areas if areas is not None else all_areas()
    region_of = {a.code: a.region for a in areas}
    regions = regions_of(areas)
    months = tuple(months_between(rules.session_period_start, rules.session_period_end))
    share = Decimal(rules.session_cluster_share)

    per_area: dict[str, list[Session]] = {a.code: [] for a in areas}
    for s in sessions:
        if s.area_code in per_area:
            per_area[s.area_code].append(s)

    rows: list[AreaCoverage] = []
    grid: dict[tuple[str, str], int] = {}
    total = 0
    for area in areas:
        mine = per_area[area.code]
        scheduled = [s for s in mine if s.status == "scheduled"]
        held = sum(1 for s in mine if s.status == "held")
        cancelled = sum(1 for s in mine if s.status == "cancelled")
        upcoming = sorted(s.starts_at.date() for s in scheduled if s.starts_at.date() >= today)
        state: AreaState = "held" if held else ("scheduled" if scheduled else "none")
        rows.append(AreaCoverage(area.code, area.name, area.region, len(scheduled), held, cancelled,
                                 upcoming[0] if upcoming else None, state))
        for s in mine:
            if s.status == "cancelled":
                continue
            total += 1
            if s.month in months:
                key = (s.month, region_of[area.code])
                grid[key] = grid.get(key, 0) + 1

    crowding: list[Crowding] = []
    if total >= MIN_SESSIONS_FOR_CLUSTERING:
        for month in months:
            count = sum(grid.get((month, r), 0) for r in regions)
            limit = max(share, _share(1, len(months)) * (1 + share))
            if _share(count, total) > limit:
                crowding.append(Crowding("month", month, count, _share(count, total), limit.quantize(Decimal("0.001")),
                                         f"{_month_label(month)}に相談会が集中しています（{count}回／全{total}回）"))
        for region in regions:
            count = sum(grid.get((m, region), 0) for m in months)
            fair = _share(sum(1 for a in areas if a.region == region), len(areas))
            limit = max(share, fair * (1 + share))
            if _share(count, total) > limit:
                crowding.append(Crowding("region", region, count, _share(count, total),
                                         limit.quantize(Decimal("0.001")),
                                         f"{region}地域に相談会が集中しています（{count}回／全{total}回）"))

    missing = tuple(r.code for r in rows if r.state == "none")
    days_left = (rules.session_period_end - today).days
    needs_warning = missing if 0 <= days_left <= rules.session_warning_days else ()
    return Coverage(today, tuple(rows), missing, months, regions, grid, total, tuple(crowding), needs_warning,
                    rules.session_period_start, rules.session_period_end)
