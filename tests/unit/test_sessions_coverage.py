"""The coverage board (pure): states of the 39 areas, the missing ones, the month x region grid, crowding
measured against each region's share of the areas, and the areas to warn about near the period's end."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.clock import JST
from chalicelib.kernel.areas import all_areas
from chalicelib.sessions.coverage import MIN_SESSIONS_FOR_CLUSTERING, coverage
from chalicelib.sessions.model import Session
from chalicelib.settings import SessionSettings

RULES = SessionSettings()
AREAS = all_areas()
TODAY = date(2025, 7, 1)


def session(n: int, area: str, day: date, **overrides: Any) -> Session:
    starts = datetime(day.year, day.month, day.day, 10, tzinfo=JST)
    values: dict[str, Any] = {
        "session_id": f"SS{n:06d}", "area_code": area, "venue": "会場", "address": "住所", "starts_at": starts,
        "ends_at": starts + timedelta(hours=2), "capacity": 30, "announce_on": day - timedelta(days=28),
    }
    values.update(overrides)
    return Session(**values)


def test_an_empty_season_has_every_area_missing_and_no_crowding() -> None:
    board = coverage([], TODAY, RULES)
    assert len(board.areas) == 39 and len(board.missing) == 39 and board.total == 0
    assert board.crowding == () and board.needs_warning == ()
    assert board.months[0] == "2025-05" and board.months[-1] == "2026-02" and len(board.months) == 10
    assert board.regions[0] == "仙台" and set(board.regions) == {a.region for a in AREAS}
    assert board.to_json()["counts"] == {"held": 0, "scheduled": 0, "none": 39}


def test_area_states_counts_and_next_dates() -> None:
    sessions = [
        session(1, "042021", date(2025, 6, 14), status="held", attendees=12),
        session(2, "042021", date(2025, 9, 6)),
        session(3, "041017", date(2025, 8, 2)),
        session(4, "041017", date(2025, 7, 19)),
        session(5, "044211", date(2025, 8, 9), status="cancelled", cancel_reason="台風"),
        session(6, "042145", date(2025, 6, 20)),  # planned, its day passed without attendance
        session(7, "999999", date(2025, 6, 20)),  # not an area: ignored
    ]
    board = coverage(sessions, TODAY, RULES).by_code
    assert (board["042021"].state, board["042021"].held, board["042021"].scheduled) == ("held", 1, 1)
    assert board["042021"].next_date == date(2025, 9, 6)
    assert (board["041017"].state, board["041017"].scheduled, board["041017"].next_date) == (
        "scheduled", 2, date(2025, 7, 19))
    assert (board["044211"].state, board["044211"].cancelled, board["044211"].next_date) == ("none", 1, None)
    assert (board["042145"].state, board["042145"].next_date) == ("scheduled", None)
    full = coverage(sessions, TODAY, RULES)
    assert "044211" in full.missing and "042021" not in full.missing and len(full.missing) == 36
    assert full.total == 5  # non-cancelled sessions in the 39 areas
    assert full.grid[("2025-06", "石巻")] == 2 and full.grid[("2025-08", "仙台")] == 1
    assert ("2025-08", "仙南") not in full.grid  # the cancelled one is not on the grid


def test_the_json_carries_the_acceptance_fields() -> None:
    answer = coverage([session(1, "042021", date(2025, 6, 14))], TODAY, RULES).to_json()
    row = next(a for a in answer["areas"] if a["code"] == "042021")
    assert {k: row[k] for k in ("code", "name", "region", "scheduled", "held")} == {
        "code": "042021", "name": "石巻市", "region": "石巻", "scheduled": 1, "held": 0}
    assert row["state"] == "scheduled" and row["state_label"] == "予定あり"
    assert len(answer["missing"]) == 38 and answer["grid"]["month_totals"]["2025-06"] == 1
    assert answer["grid"]["cells"][1][answer["grid"]["regions"].index("石巻")] == 1


def spread_plan() -> list[Session]:
    """One session per area, spread round the ten months: nothing crowded."""
    months = [date(2025, m, 10) for m in range(5, 13)] + [date(2026, 1, 10), date(2026, 2, 10)]
    return [session(i + 1, a.code, months[i % 10]) for i, a in enumerate(AREAS)]


def test_an_even_plan_is_not_crowded_even_with_sendai_holding_18_of_39_areas() -> None:
    board = coverage(spread_plan(), TODAY, RULES)
    assert board.total == 39 and board.missing == () and board.crowding == ()
    sendai = sum(n for (m, r), n in board.grid.items() if r == "仙台")
    assert sendai == 18  # 46% of the sessions, its fair share


def test_a_crowded_month_is_flagged() -> None:
    plan = spread_plan() + [session(100 + i, "042021", date(2025, 6, 1 + i)) for i in range(10)]
    board = coverage(plan, TODAY, RULES)
    months = [c for c in board.crowding if c.kind == "month"]
    assert [c.key for c in months] == ["2025-06"]
    assert months[0].sessions == 14 and months[0].message == "2025年6月に相談会が集中しています（14回／全49回）"


def test_a_small_region_is_flagged_above_the_share_a_large_one_above_its_fair_share() -> None:
    # 石巻 has 3 of the 39 areas: 3 + 8 = 11 of 47 sessions (23%) is not crowded, 3 + 12 = 15 of 51 (29%) is.
    ishinomaki = [session(200 + i, "042021", date(2025, 5 + i % 8, 20)) for i in range(12)]
    assert coverage(spread_plan() + ishinomaki[:8], TODAY, RULES).crowding == ()
    board = coverage(spread_plan() + ishinomaki, TODAY, RULES)
    assert [(c.kind, c.key, c.sessions, c.limit) for c in board.crowding] == [("region", "石巻", 15, Decimal("0.250"))]
    assert board.crowding[0].message == "石巻地域に相談会が集中しています（15回／全51回）"
    # 仙台 has 18 of the 39 areas (46%): flagged only above 46% x 1.25 = 58%; 36 of 57 (63%) is.
    sendai = [a.code for a in AREAS if a.region == "仙台"]
    twice = [session(300 + i, code, date(2025, 5 + i % 8, 25)) for i, code in enumerate(sendai)]
    board = coverage(spread_plan() + twice, TODAY, RULES)
    assert [(c.kind, c.key, c.sessions) for c in board.crowding] == [("region", "仙台", 36)]
    assert coverage(spread_plan() + twice[:9], TODAY, RULES).crowding == ()  # 27 of 48 (56%)


def test_crowding_is_not_judged_on_a_handful_of_sessions() -> None:
    few = [session(i, "042021", date(2025, 6, 1 + i)) for i in range(MIN_SESSIONS_FOR_CLUSTERING - 1)]
    assert coverage(few, TODAY, RULES).crowding == ()


def test_missing_areas_are_warned_about_only_near_the_end() -> None:
    plan = spread_plan()[:-1]
    last = AREAS[-1].code
    end = RULES.session_period_end
    assert coverage(plan, end - timedelta(days=RULES.session_warning_days + 1), RULES).needs_warning == ()
    assert coverage(plan, end - timedelta(days=RULES.session_warning_days), RULES).needs_warning == (last,)
    assert coverage(plan, end, RULES).needs_warning == (last,)
    assert coverage(plan, end + timedelta(days=1), RULES).needs_warning == ()
    assert coverage(spread_plan(), end - timedelta(days=10), RULES).needs_warning == ()
