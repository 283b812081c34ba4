"""The monthly consultation-session report (docs/SPEC.md §4.6): pure figures from sessions and surveys.

Per session, per region and for the month: sessions held, attendees, manuals handed out, survey
answers, the distributions of age band, purpose, what participants could do afterwards and
satisfaction, the average satisfaction (Decimal, never float) and the free-text needs (masked when
they were stored). Every total is the sum of its session lines. The files are in report_files.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.kernel.areas import Area, all_areas, find_area
from chalicelib.kernel.calendars import month_of, to_jst
from chalicelib.sessions.model import (
    AGE_BANDS,
    COULD_DO,
    PURPOSES,
    SATISFACTION_LEVELS,
    STATUS_LABELS,
    Session,
    SurveyAnswer,
)

WEEKDAYS = "月火水木金土日"


def jp_date(d: date) -> str:
    """2025年6月14日（土）"""
    return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS[d.weekday()]}）"


def jp_when(session: Session) -> str:
    """2025年6月14日（土）10:00〜12:00 (JST)."""
    start, end = to_jst(session.starts_at), to_jst(session.ends_at)
    span = f"{start:%H:%M}〜{end:%H:%M}"
    if end.date() != start.date():
        span = f"{start:%H:%M}〜{jp_date(end.date())}{end:%H:%M}"
    return f"{jp_date(start.date())}{span}"


def jp_month(month: str) -> str:
    year, mon = month.split("-")
    return f"{int(year)}年{int(mon)}月"


def average(values: Sequence[int]) -> Decimal | None:
    """Mean to two decimals, half up; None when there is nothing to average."""
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _counts(keys: Iterable[str], codes: Iterable[str]) -> dict[str, int]:
    """Every code present (0 when nobody chose it), then any stored code no longer in the list."""
    seen = Counter(keys)
    out = {code: seen.get(code, 0) for code in codes}
    out.update({code: n for code, n in sorted(seen.items()) if code not in out})
    return out


@dataclass(frozen=True)
class Figures:
    """Survey figures of a set of answers."""

    surveys: int
    by_age_band: dict[str, int]
    purposes: dict[str, int]
    could_do: dict[str, int]
    satisfaction: dict[str, int]
    satisfaction_average: Decimal | None

    @staticmethod
    def of(answers: Sequence[SurveyAnswer]) -> Figures:
        return Figures(
            surveys=len(answers),
            by_age_band=_counts((a.age_band for a in answers), AGE_BANDS),
            purposes=_counts((p for a in answers for p in a.purposes), PURPOSES),
            could_do=_counts((c for a in answers for c in a.could_do), COULD_DO),
            satisfaction=_counts((str(a.satisfaction) for a in answers), (str(n) for n in SATISFACTION_LEVELS)),
            satisfaction_average=average([a.satisfaction for a in answers]),
        )


@dataclass(frozen=True)
class SessionLine:
    session: Session
    area: Area
    figures: Figures

    @property
    def held(self) -> bool:
        return self.session.status == "held"

    @property
    def attendees(self) -> int:
        return (self.session.attendees or 0) if self.held else 0

    @property
    def manuals(self) -> int:
        return (self.session.manuals or 0) if self.held else 0

    @property
    def day(self) -> date:
        return to_jst(self.session.starts_at).date()


@dataclass(frozen=True)
class RegionLine:
    region: str
    areas: int
    sessions: int
    sessions_held: int
    attendees: int
    manuals: int
    figures: Figures


@dataclass(frozen=True)
class Need:
    session_id: str
    area_name: str
    day: date
    text: str


@dataclass(frozen=True)
class SessionReport:
    month: str
    lines: tuple[SessionLine, ...]
    regions: tuple[RegionLine, ...]
    figures: Figures
    needs: tuple[Need, ...]
    proposals: str = ""
    proposals_version: int | None = None

    @property
    def sessions_held(self) -> int:
        return sum(1 for line in self.lines if line.held)

    @property
    def sessions_cancelled(self) -> int:
        return sum(1 for line in self.lines if line.session.status == "cancelled")

    @property
    def sessions_scheduled(self) -> int:
        """Sessions of the month not cancelled whose attendance is not recorded (yet)."""
        return sum(1 for line in self.lines if line.session.status == "scheduled")

    @property
    def attendees(self) -> int:
        return sum(line.attendees for line in self.lines)

    @property
    def manuals(self) -> int:
        return sum(line.manuals for line in self.lines)

    @property
    def surveys(self) -> int:
        return self.figures.surveys

    def to_json(self) -> dict[str, Any]:
        """The acceptance contract (`month, sessions_held, attendees, surveys, by_age_band, satisfaction`)
        and the rest of the report; counts are ints, averages and rates strings (no float)."""
        f = self.figures
        return {
            "month": self.month,
            "sessions_held": self.sessions_held,
            "attendees": self.attendees,
            "surveys": self.surveys,
            "by_age_band": dict(f.by_age_band),
            "satisfaction": dict(f.satisfaction),
            "sessions": len(self.lines),
            "sessions_scheduled": self.sessions_scheduled,
            "sessions_cancelled": self.sessions_cancelled,
            "manuals": self.manuals,
            "survey_rate_percent": _str(percent(self.surveys, self.attendees)),
            "satisfaction_average": _str(f.satisfaction_average),
            "purposes": dict(f.purposes),
            "could_do": dict(f.could_do),
            "labels": {"age_band": dict(AGE_BANDS), "purposes": dict(PURPOSES), "could_do": dict(COULD_DO),
                       "status": dict(STATUS_LABELS)},
            "by_region": [{
                "region": r.region, "areas": r.areas, "sessions": r.sessions, "sessions_held": r.sessions_held,
                "attendees": r.attendees, "manuals": r.manuals, "surveys": r.figures.surveys,
                "satisfaction_average": _str(r.figures.satisfaction_average),
            } for r in self.regions],
            "session_lines": [{
                "session_id": line.session.session_id, "date": line.day.isoformat(),
                "starts_at": to_jst(line.session.starts_at).isoformat(),
                "ends_at": to_jst(line.session.ends_at).isoformat(),
                "area_code": line.area.code, "area_name": line.area.name, "region": line.area.region,
                "venue": line.session.venue, "status": line.session.status,
                "status_label": STATUS_LABELS.get(line.session.status, line.session.status),
                "capacity": line.session.capacity, "attendees": line.session.attendees if line.held else None,
                "manuals": line.session.manuals if line.held else None, "surveys": line.figures.surveys,
                "satisfaction_average": _str(line.figures.satisfaction_average),
            } for line in self.lines],
            "needs": [{"session_id": n.session_id, "area_name": n.area_name, "date": n.day.isoformat(),
                       "text": n.text} for n in self.needs],
            "proposals": self.proposals,
            "proposals_version": self.proposals_version,
        }


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _area(code: str) -> Area:
    # A session's area was checked when it was planned; a code since removed from the master still reports.
    return find_area(code) or Area(code=code, name=code, kana="", kind="", region="不明")


def regions() -> list[str]:
    """The regions of the 39 areas, in the master's order."""
    return list(dict.fromkeys(a.region for a in all_areas()))


def build_report(month: str, sessions: Sequence[Session], surveys: Sequence[SurveyAnswer], *,
                 proposals: str = "", proposals_version: int | None = None) -> SessionReport:
    """The month's report from its sessions (those starting in `month`, JST; others are ignored) and
    their survey answers (answers of other sessions are ignored, so lines and totals reconcile)."""
    mine = sorted((s for s in sessions if month_of(s.starts_at) == month),
                  key=lambda s: (s.starts_at, s.session_id))
    by_session: dict[str, list[SurveyAnswer]] = {s.session_id: [] for s in mine}
    for answer in surveys:
        if answer.session_id in by_session:
            by_session[answer.session_id].append(answer)
    lines = tuple(SessionLine(s, _area(s.area_code), Figures.of(by_session[s.session_id])) for s in mine)
    answers = [a for s in mine for a in by_session[s.session_id]]
    region_lines = []
    for region in regions() + sorted({line.area.region for line in lines} - set(regions())):
        in_region = [line for line in lines if line.area.region == region]
        region_lines.append(RegionLine(
            region=region,
            areas=len({line.area.code for line in in_region}),
            sessions=len(in_region),
            sessions_held=sum(1 for line in in_region if line.held),
            attendees=sum(line.attendees for line in in_region),
            manuals=sum(line.manuals for line in in_region),
            figures=Figures.of([a for line in in_region for a in by_session[line.session.session_id]]),
        ))
    needs = tuple(
        Need(line.session.session_id, line.area.name, line.day, a.needs.strip())
        for line in lines for a in by_session[line.session.session_id] if a.needs.strip()
    )
    return SessionReport(month=month, lines=lines, regions=tuple(region_lines), figures=Figures.of(answers),
                         needs=needs, proposals=proposals, proposals_version=proposals_version)
