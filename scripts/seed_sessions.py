"""Plan a realistic season of consultation sessions (相談会) on the running local stack, through its API.

    make seed-sessions                    # the stack of `make run` (http://127.0.0.1:8000)
    python -m scripts.seed_sessions --base http://127.0.0.1:8123 [--dry-run]

At least one session in each of the 39 areas (each municipality; each of Sendai's five wards) between May
2025 and February 2026, as the prefecture's specification 7(3) asks; a second one in the five wards and
the two largest cities outside Sendai. Areas are dealt round the regions and then round the ten months, so
no month or region is crowded (the coverage board shows no warning). Venues are the kind of place such
sessions are held in (市民センター, 公民館, コミュニティセンター); each is announced 28 days ahead.

Idempotent: an area that already has N sessions that are not cancelled gets only the planned sessions
beyond its first N, so a second run plans nothing. Uses the coordinator's token of .local/tokens.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.kernel.areas import SENDAI_CITY_CODE, Area, all_areas

ROOT = Path(__file__).resolve().parent.parent
JST = ZoneInfo("Asia/Tokyo")
MONTHS = [(2025, m) for m in range(5, 13)] + [(2026, 1), (2026, 2)]
#: Areas with a second session (population): Sendai's five wards, Ishinomaki, Osaki.
SECOND = {"041017", "041025", "041033", "041041", "041050", "042021", "042153"}
SLOTS = [(time(10, 0), time(12, 0)), (time(13, 30), time(15, 30))]
LEAD_DAYS = 28


@dataclass(frozen=True)
class Planned:
    area: Area
    starts_at: datetime
    ends_at: datetime
    venue: str
    address: str
    partner: str
    capacity: int

    def body(self) -> dict[str, Any]:
        return {
            "area_code": self.area.code, "venue": self.venue, "address": self.address,
            "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(), "capacity": self.capacity,
            "announce_on": (self.starts_at.date() - timedelta(days=LEAD_DAYS)).isoformat(), "partner": self.partner,
            "notes": "参加無料・申込不要。駐車場あり（台数に限りがあります）",
        }


def _venue(area: Area, second: bool) -> tuple[str, str, str]:
    """(venue, address, partner) in the style of the area's kind (ward, city, town, village)."""
    if area.kind == "区":
        ward = area.name.removeprefix("仙台市")
        venue = f"{ward}{'中央市民センター' if not second else 'コミュニティ・センター'}"
        return venue, f"宮城県{area.name}中央1丁目{3 if second else 1}-1", f"仙台市{ward}役所 区民生活課"
    if area.kind == "市":
        venue = f"{area.name}{'中央公民館' if not second else '市民活動センター'}"
        return venue, f"宮城県{area.name}本町{2 if second else 1}丁目1-1", f"{area.name}役所 市民協働課"
    suffix = "町" if area.kind == "町" else "村"
    return (f"{area.name}{'中央公民館' if suffix == '町' else '公民館'}", f"宮城県{area.name}字中央1",
            f"{area.name}役場 企画課")


def _dealt(areas: list[Area]) -> list[Area]:
    """Round the regions: one area of each region in turn, so consecutive months mix regions."""
    by_region: dict[str, list[Area]] = {}
    for area in areas:
        by_region.setdefault(area.region, []).append(area)
    dealt: list[Area] = []
    while any(by_region.values()):
        for queue in by_region.values():
            if queue:
                dealt.append(queue.pop(0))
    return dealt


def _candidate_days(year: int, month: int) -> list[date]:
    """Saturdays, and Wednesdays for those who work weekends; never the year-end holidays (12/27–1/4)."""
    day, days = date(year, month, 1), []
    while day.month == month:
        year_end = (day.month == 12 and day.day >= 27) or (day.month == 1 and day.day <= 4)
        if day.weekday() in (2, 5) and not year_end:
            days.append(day)
        day += timedelta(days=1)
    return days


def plan_season() -> list[Planned]:
    areas = [a for a in all_areas() if a.code != SENDAI_CITY_CODE]
    # Months first: the areas dealt round the regions, then round the ten months; an area's second
    # session half a season after its first.
    month_of: dict[tuple[str, bool], int] = {}
    for k, area in enumerate(_dealt(areas)):
        month_of[(area.code, False)] = k % len(MONTHS)
    for area in _dealt([a for a in areas if a.code in SECOND]):
        month_of[(area.code, True)] = (month_of[(area.code, False)] + 5) % len(MONTHS)
    by_area = {a.code: a for a in areas}
    planned: list[Planned] = []
    for index, (year, month) in enumerate(MONTHS):
        these = [key for key, m in month_of.items() if m == index]
        days = _candidate_days(year, month)
        for n, (code, second) in enumerate(these):
            # Spread over the month: the nth of the month's sessions on an evenly spaced candidate day.
            day = days[(n * len(days)) // len(these)]
            start, end = SLOTS[(n + index) % 2]
            area = by_area[code]
            venue, address, partner = _venue(area, second)
            planned.append(Planned(area, datetime.combine(day, start, JST), datetime.combine(day, end, JST), venue,
                                   address, partner, 20 + (len(planned) * 7) % 25))
    return sorted(planned, key=lambda p: p.starts_at)


def _call(base: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--base", default=os.environ.get("MIYAPO_BASE_URL", "http://127.0.0.1:8000"),
                        help="the running app (default http://127.0.0.1:8000, or MIYAPO_BASE_URL)")
    parser.add_argument("--tokens", default=str(ROOT / ".local" / "tokens.json"))
    parser.add_argument("--dry-run", action="store_true", help="print the plan, create nothing")
    args = parser.parse_args(argv)
    season = plan_season()
    if args.dry_run:
        for p in season:
            print(f"{p.starts_at:%Y-%m-%d %a %H:%M} {p.area.region:6} {p.area.name:10} {p.venue}")
        print(f"{len(season)} sessions in {len({p.area.code for p in season})} areas")
        return 0
    try:
        token = json.loads(Path(args.tokens).read_text(encoding="utf-8"))["coordinator"]
    except (OSError, ValueError, KeyError):
        print(f"no coordinator token in {args.tokens}: start the local stack first (make run)", file=sys.stderr)
        return 2
    try:
        status, existing = _call(args.base, token, "GET", "/sessions/list?from=2025-05-01&to=2026-02-28")
    except OSError as exc:
        print(f"the app at {args.base} does not answer ({exc}): start it with make run", file=sys.stderr)
        return 2
    if status != 200:
        print(f"GET /sessions/list answered {status}: {existing}", file=sys.stderr)
        return 1
    have: dict[str, int] = {}
    for row in existing:
        if row.get("status") != "cancelled":
            have[row["area_code"]] = have.get(row["area_code"], 0) + 1
    seen: dict[str, int] = {}
    created = skipped = 0
    for p in season:
        seen[p.area.code] = seen.get(p.area.code, 0) + 1
        if seen[p.area.code] <= have.get(p.area.code, 0):
            skipped += 1
            continue
        status, answer = _call(args.base, token, "POST", "/sessions", p.body())
        if status != 201:
            print(f"{p.area.name} {p.starts_at:%Y-%m-%d}: {status} {answer}", file=sys.stderr)
            return 1
        created += 1
        print(f"{answer['session_id']} {p.starts_at:%Y-%m-%d %H:%M} {p.area.name} {p.venue}")
    status, board = _call(args.base, token, "GET", "/sessions/coverage")
    if status == 200:
        print(f"planned {created}, already there {skipped}; areas without a session: {len(board['missing'])}; "
              f"crowding warnings: {len(board.get('warnings', []))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
