"""The program calendar as configuration (issue 12, point 5): the settings and their defaults, the
import's usable period, each (month, store)'s first day on both parser paths, and the hold of usage
dated before a store became active (rule, then the service on the twins)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.audit.log import Actor
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.settings import SettingsError
from chalicelib.settlement import service
from chalicelib.settlement.rounds import HOLD_REASONS, StoreState, compute_round
from chalicelib.usage import parser
from chalicelib.usage import service as usage_service
from chalicelib.usage.parser import ImportResult, parse_usage_export
from tests.fakes import make_settings
from tests.unit.test_settlement_fee_base import make_deps
from tests.unit.test_usage_service import Files

JST = timezone(timedelta(hours=9))
HEADER = ("取引ID", "取引日時", "店舗ID", "店舗名", "利用ポイント", "取引区分")
PERIOD = (date(2025, 5, 28), date(2026, 2, 28))
REASON = "ポイント利用期間（2025年5月28日〜2026年2月28日）外の利用日です"


# --- settings ---------------------------------------------------------------------------------------


def test_the_program_calendar_defaults_are_the_specifications_dates():
    program = make_settings().program
    assert (program.points_usable_start, program.points_usable_end) == (date(2025, 5, 28), date(2026, 2, 28))
    assert (program.settlement_first_month, program.settlement_last_month) == ("2025-05", "2026-02")


def test_the_program_calendar_is_configuration_for_next_year():
    program = make_settings(POINTS_USABLE_START="2026-06-01", POINTS_USABLE_END="2027-02-28",
                            SETTLEMENT_FIRST_MONTH="2026-06", SETTLEMENT_LAST_MONTH="2027-02").program
    assert program.points_usable_start == date(2026, 6, 1) and program.settlement_last_month == "2027-02"


@pytest.mark.parametrize("env", [{"SETTLEMENT_FIRST_MONTH": "2025-5"}, {"SETTLEMENT_LAST_MONTH": "2026-13"},
                                 {"SETTLEMENT_FIRST_MONTH": "202505"}, {"POINTS_USABLE_START": "2025-02-30"}])
def test_a_malformed_calendar_setting_is_refused_by_name(env: dict[str, str]):
    with pytest.raises(SettingsError, match=next(iter(env))):
        make_settings(**env)


@pytest.mark.parametrize("env", [{"POINTS_USABLE_START": "2026-03-01"}, {"SETTLEMENT_FIRST_MONTH": "2026-03"}])
def test_a_calendar_that_ends_before_it_starts_is_refused(env: dict[str, str]):
    with pytest.raises(SettingsError, match="must not be after"):
        make_settings(**env)


# --- the parser: the usable period and the first days ------------------------------------------------


def export(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def both_paths(data: bytes, monkeypatch: pytest.MonkeyPatch, usable: Any = PERIOD) -> Iterator[ImportResult]:
    """The engine, the real chunk size, tiny chunks (column path with misses), then row by row only."""
    yield parse_usage_export(data, usable_period=usable)  # the engine where it takes the file
    yield parse_usage_export(data, usable_period=usable, engine="python")
    with monkeypatch.context() as patch:
        patch.setattr(parser, "_CHUNK_ROWS", 4)
        yield parse_usage_export(data, usable_period=usable, engine="python")
        patch.setattr(parser._Scan, "_take_columns", lambda *args: False)
        yield parse_usage_export(data, usable_period=usable, engine="python")


def test_rows_dated_outside_the_usable_period_are_rejected_with_their_line_and_the_period(monkeypatch):
    rows = [["T1", "2025-05-27 23:59:59", "MP000001", "店", "100", "利用"],
            ["T2", "2025-05-28 00:00:00", "MP000001", "店", "200", "利用"],
            ["T3", "2026-02-28 23:59:59", "MP000002", "店", "300", "利用"],
            ["T4", "2026-03-01 00:00:00", "MP000002", "店", "400", "利用"],
            ["T5", "2025-05-27T15:00:00Z", "MP000001", "店", "500", "利用"],  # 2025-05-28 00:00 JST: inside
            ["T6", "2026-02-28T15:00:00Z", "MP000002", "店", "600", "取消"],  # 2026-03-01 JST: outside
            ["T7", "2025/4/30 9:05", "MP000002", "店", "700", "利用"]]
    for result in both_paths(export(rows), monkeypatch):
        assert [r.line for r in result.rejected] == [2, 5, 7, 8]
        assert all(r.reason.startswith(REASON) for r in result.rejected)
        assert "'2025-05-27 23:59:59'" in result.rejected[0].reason
        assert result.totals == {("2025-05", "MP000001"): 700, ("2026-02", "MP000002"): 300}
        assert result.rows == result.accepted + result.duplicates + len(result.rejected) == 7


def test_without_a_period_every_readable_date_counts(monkeypatch):
    rows = [["T1", "2025-04-10 10:00:00", "MP000001", "店", "100", "利用"]]
    for result in both_paths(export(rows), monkeypatch, usable=None):
        assert result.totals == {("2025-04", "MP000001"): 100} and result.rejected == []


# Times with their JST day (None: outside the period below, or unreadable).
TIMES = [("2025-06-01 00:00:00", "2025-06-01"), ("2025-06-30 23:59:59", "2025-06-30"),
         ("2025-06-15 12:00:00", "2025-06-15"), ("2025/6/3 9:05", "2025-06-03"),
         ("2025-05-31T15:00:00Z", "2025-06-01"), ("2025-06-30T15:00:00Z", None), ("2025-07-01 00:00:00", None),
         ("2025-05-31 23:59:59", None), ("2025-06-31 10:00:00", None)]
JUNE = (date(2025, 6, 1), date(2025, 6, 30))


@st.composite
def rows(draw: st.DrawFn) -> list[str]:
    valid = [t for t, day in TIMES if day] * 6 + [t for t, day in TIMES if not day]
    return [draw(st.sampled_from(["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"])), draw(st.sampled_from(valid)),
            draw(st.sampled_from(["MP000001", "MP000002", "MP000003"])), "店", draw(st.sampled_from(["1", "20"])),
            draw(st.sampled_from(["利用", "取消"]))]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(rows(), max_size=40))
def test_both_paths_keep_the_first_day_of_each_stores_month_and_the_period(lines: list[list[str]], monkeypatch):
    days = dict(TIMES)
    first: dict[tuple[str, str], str] = {}
    seen: set[str] = set()
    rejected = []
    for line, row in enumerate(lines, start=2):
        day = days[row[1]]
        if day is None:
            rejected.append(line)
            continue
        if row[0] in seen:
            continue  # a repeat (duplicate or conflict): only the first occurrence counts
        seen.add(row[0])
        key = (day[:7], row[2])
        first[key] = min(first.get(key, day), day)
    for result in both_paths(export(lines), monkeypatch, usable=JUNE):
        assert result.first_days == first
        assert [r.line for r in result.rejected if "ポイント利用期間" in r.reason or "取引日時" in r.reason] == rejected


# --- the hold rule -------------------------------------------------------------------------------------


def figures(state: StoreState, usage: int = 1000, carried: int = 0) -> Any:
    return compute_round("2025-06", date(2025, 7, 18), {"MP000001": usage}, {}, {"MP000001": carried} if carried else {},
                         {"MP000001": state}, Decimal("0.005"))


def test_usage_before_the_store_became_active_is_held_until_that_amount_is_cleared():
    assert HOLD_REASONS["usage_before_active"] == "参加承認日より前の利用が含まれています"
    held = figures(StoreState("MP000001", usage_before_active=True))
    assert [(x.status, x.reason, x.paid, x.carried_out) for x in held.lines] == [("hold", "usage_before_active", 0, 1000)]
    assert held.fee_base == 1000  # the fee follows the usage counted, held or not
    cleared = figures(StoreState("MP000001", usage_before_active=True, usage_before_active_cleared=1000))
    assert [(x.status, x.paid) for x in cleared.lines] == [("pay", 1000)]
    changed = figures(StoreState("MP000001", usage_before_active=True, usage_before_active_cleared=1000), usage=1200)
    assert [x.reason for x in changed.lines] == ["usage_before_active"]
    # the store's own state comes first: a suspended store stays held for that
    both = figures(StoreState("MP000001", suspended=True, usage_before_active=True, usage_before_active_cleared=1000))
    assert [x.reason for x in both.lines] == ["store_suspended"]


@pytest.mark.parametrize(("store", "since"), [
    ({"approved_at": "2025-06-15T10:00:00+09:00"}, "2025-06-15"),
    ({"approved_at": "2025-06-14T16:00:00+00:00"}, "2025-06-15"),  # 01:00 JST on the 15th
    ({"approved_at": "2025-06-15T10:00:00"}, "2025-06-15"),  # naive: JST
    ({"created_at": "2025-05-01T10:00:00+09:00"}, "2025-05-01"),
    ({"carried_over_import": "SI1", "approved_at": "2025-04-01T10:00:00+09:00"}, "9999-12-31"),
    ({"carried_over_import": "SI1", "approved_at": "2025-04-01T10:00:00+09:00",
      "reconfirmed_at": "2025-06-02T09:00:00+09:00"}, "2025-06-02"),
    ({}, None),
])
def test_a_store_is_active_from_its_approval_or_its_reconfirmation(store: dict[str, Any], since: str | None):
    assert service.active_since(store) == since


# --- the service on the twins ----------------------------------------------------------------------------

NOW = datetime(2025, 7, 2, 10, 0, tzinfo=JST)
ALICE = Principal("alice", frozenset({Role.ACCOUNTANT}))
BOB = Principal("bob", frozenset({Role.ACCOUNTANT}))
CAROL = Principal("carol", frozenset({Role.ACCOUNTANT}))
BANK = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "1234567",
        "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"}


@pytest.fixture
def deps(monkeypatch: pytest.MonkeyPatch) -> Any:
    files = Files()
    monkeypatch.setattr(usage_service, "_uploads", lambda deps: files)
    return make_deps()  # the settlement twins, with an outbox and a document store for the release


def add_store(deps: Any, store_id: str, approved: str) -> None:
    tx = deps.store_repository.new_tx()
    deps.store_repository.create(tx, {"store_id": store_id, "status": "active", "bank_verified": True,
                                      "bank": dict(BANK), "email": f"{store_id}@example.com",
                                      "approved_at": f"{approved}T10:00:00+09:00"})
    tx.commit()


def import_rows(deps: Any, rows: list[list[str]], by: Principal = ALICE) -> dict[str, Any]:
    import_id = usage_service.create_import(deps, export(rows), by, NOW)
    return usage_service.process_import(deps, import_id, NOW)


def held(view: dict[str, Any]) -> dict[str, str]:
    return {h["store_id"]: h["reason"] for h in view["held"]}


def test_the_import_rejects_rows_outside_the_configured_period(deps):
    add_store(deps, "MP000001", "2025-05-20")
    report = import_rows(deps, [["T1", "2025-05-27 10:00:00", "MP000001", "店", "100", "利用"],
                                ["T2", "2025-06-10 10:00:00", "MP000001", "店", "200", "利用"]])
    assert (report["accepted"], report["rejected_count"]) == (1, 1)
    assert report["rejected"] == [{"line": 2, "reason": f"{REASON}: '2025-05-27 10:00:00'"}]
    assert deps.usage.month_totals("2025-05") == []


def test_usage_before_approval_is_held_with_its_dates_and_a_second_person_clears_it(deps):
    add_store(deps, "MP000001", "2025-05-20")
    add_store(deps, "MP000002", "2025-06-15")
    import_rows(deps, [["T1", "2025-06-10 10:00:00", "MP000001", "店", "100", "利用"],
                       ["T2", "2025-06-14 23:00:00", "MP000002", "店", "200", "利用"],
                       ["T3", "2025-06-20 10:00:00", "MP000002", "店", "300", "利用"]], by=CAROL)
    service.add_adjustment(deps, {"store_id": "MP000002", "amount": 5, "reason": "端数の訂正"}, CAROL, NOW)
    view = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    assert held(view) == {"MP000002": "usage_before_active"} and view["total_amount"] == 100
    [hold] = view["held"]
    assert (hold["amount"], hold["reason_label"]) == (505, "参加承認日より前の利用が含まれています")
    assert hold["note"] == "参加承認日 2025-06-15、最初の利用日 2025-06-14"

    with pytest.raises(InvalidInput) as missing:
        service.clear_hold(deps, "2025-06", "MP000002", {}, BOB, NOW)
    assert "reason" in missing.value.fields
    with pytest.raises(InvalidInput, match="保留になっていません"):
        service.clear_hold(deps, "2025-06", "MP000001", {"reason": "確認済み"}, BOB, NOW)
    with pytest.raises(Forbidden):  # carol entered the store's adjustment: she shaped that line
        service.clear_hold(deps, "2025-06", "MP000002", {"reason": "確認済み"}, CAROL, NOW)
    cleared = service.clear_hold(deps, "2025-06", "MP000002", {"reason": "承認前の試験利用と店舗に確認"}, BOB, NOW)
    assert (cleared["amount"], cleared["hold_reason"], cleared["cleared_by"]) == (505, "usage_before_active", "bob")
    audit = [e for e in deps.audit.entries if e["action"] == "settlement.clear_hold"]
    assert [(e["user"], e["detail"]["store_id"], e["detail"]["amount"]) for e in audit] == [("bob", "MP000002", 505)]

    again = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    assert (again["held"], again["total_amount"]) == ([], 605)


def test_a_cleared_amount_that_changes_is_held_again(deps):
    add_store(deps, "MP000002", "2025-06-15")
    import_rows(deps, [["T1", "2025-06-14 10:00:00", "MP000002", "店", "200", "利用"]], by=CAROL)
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    service.clear_hold(deps, "2025-06", "MP000002", {"reason": "確認済み"}, BOB, NOW)
    import_rows(deps, [["T2", "2025-06-16 10:00:00", "MP000002", "店", "50", "利用"]], by=CAROL)
    again = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    assert held(again) == {"MP000002": "usage_before_active"} and again["held"][0]["amount"] == 250


def test_a_hold_for_early_usage_is_not_paid_next_month_unasked(deps):
    add_store(deps, "MP000002", "2025-06-15")
    import_rows(deps, [["T1", "2025-06-14 10:00:00", "MP000002", "店", "200", "利用"],
                       ["T2", "2025-07-03 10:00:00", "MP000002", "店", "70", "利用"]], by=CAROL)
    service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    service.approve(deps, "2025-06", BOB, NOW)
    august = datetime(2025, 8, 4, 10, 0, tzinfo=JST)
    july = service.draft(deps, "2025-07", Actor.of(ALICE), august)
    assert held(july) == {"MP000002": "usage_before_active"} and july["held"][0]["amount"] == 270
    service.clear_hold(deps, "2025-07", "MP000002", {"reason": "6月分を店舗に確認"}, BOB, august)
    assert service.draft(deps, "2025-07", Actor.of(ALICE), august)["total_amount"] == 270


def test_other_holds_are_not_cleared_here(deps):
    add_store(deps, "MP000001", "2025-05-20")
    service.add_adjustment(deps, {"store_id": "MP000001", "amount": 5_000_000, "reason": "追加"}, CAROL, NOW)
    import_rows(deps, [["T2", "2025-06-11 10:00:00", "MP000001", "店", "1000", "利用"]])
    view = service.draft(deps, "2025-06", Actor.of(ALICE), NOW)
    assert held(view) == {"MP000001": "over_ceiling"}
    with pytest.raises(InvalidInput, match="ここでは解除できません"):
        service.clear_hold(deps, "2025-06", "MP000001", {"reason": "x"}, BOB, NOW)
    service.approve(deps, "2025-06", BOB, NOW)
    with pytest.raises(Conflict):
        service.clear_hold(deps, "2025-06", "MP000001", {"reason": "x"}, BOB, NOW)
