"""Money invariants of settlement rounds, exact to the yen, over many random months (no AWS)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import Forbidden
from chalicelib.kernel.money import apply_rate
from chalicelib.settlement import four_eyes
from chalicelib.settlement.payees import bank_problem
from chalicelib.settlement.rounds import MAX_TRANSFER, StoreState, compute_round

STORES = [f"MP{i:06d}" for i in range(1, 9)]
amounts = st.integers(min_value=-5_000, max_value=200_000)
month_strategy = st.fixed_dictionaries({
    "usage": st.dictionaries(st.sampled_from(STORES), amounts, max_size=8),
    "adjustments": st.dictionaries(st.sampled_from(STORES), st.integers(-3_000, 3_000), max_size=3),
    "suspended": st.sets(st.sampled_from(STORES), max_size=3),
    "returned": st.sets(st.sampled_from(STORES), max_size=2),
    "unverified": st.sets(st.sampled_from(STORES), max_size=2),
})


@settings(max_examples=200, deadline=None)
@given(st.lists(month_strategy, min_size=1, max_size=12))
def test_paid_plus_carried_equals_usage_plus_adjustments_per_store_and_in_total(months):
    carried: dict[str, int] = {}
    paid_per_store = dict.fromkeys(STORES, 0)
    usage_per_store = dict.fromkeys(STORES, 0)
    adj_per_store = dict.fromkeys(STORES, 0)
    for i, m in enumerate(months):
        states = {s: StoreState(s, suspended=s in m["suspended"], transfer_returned=s in m["returned"],
                                bank_verified=s not in m["unverified"]) for s in STORES}
        figures = compute_round(f"2025-{(i % 12) + 1:02d}", date(2025, 6, 20), m["usage"], m["adjustments"],
                                carried, states, Decimal("0.005"))
        assert figures.paid_total + figures.held_total == (
            figures.usage_total + figures.adjustments_total + figures.carried_in_total)
        for line in figures.lines:
            assert line.paid + line.carried_out == line.usage + line.adjustments + line.carried_in
            assert (line.paid > 0) == (line.status == "pay")
            assert line.carried_out == 0 or line.status == "hold"
            paid_per_store[line.store_id] += line.paid
        for s, v in m["usage"].items():
            usage_per_store[s] += v
        for s, v in m["adjustments"].items():
            adj_per_store[s] += v
        carried = {line.store_id: line.carried_out for line in figures.lines if line.carried_out}
    for s in STORES:
        assert paid_per_store[s] + carried.get(s, 0) == usage_per_store[s] + adj_per_store[s]


def test_hold_reasons_in_priority_order():
    states = {
        "MP000001": StoreState("MP000001"),
        "MP000002": StoreState("MP000002", suspended=True, transfer_returned=True),
        "MP000003": StoreState("MP000003", transfer_returned=True),
        "MP000004": StoreState("MP000004", bank_verified=False),
    }
    usage = {"MP000001": 1000, "MP000002": 2000, "MP000003": 3000, "MP000004": 4000, "MP000005": 500,
             "MP000006": 0}
    figures = compute_round("2025-06", date(2025, 7, 18), usage, {"MP000001": -1000}, {}, states, Decimal("0.005"))
    reasons = {line.store_id: line.reason for line in figures.lines}
    assert reasons == {"MP000001": "amount_not_positive", "MP000002": "store_suspended",
                       "MP000003": "transfer_returned", "MP000004": "bank_unverified", "MP000005": "unknown_store"}
    assert figures.stores_paid == 0 and figures.paid_total == 0
    assert figures.fee == 52  # 10,500 × 0.5% = 52.5 → rounded down


@pytest.mark.parametrize("amount,rate,rounding,expected", [
    (443_750_000, Decimal("0.005"), "down", 2_218_750),
    (1_001, Decimal("0.005"), "down", 5),
    (1_001, Decimal("0.005"), "half_up", 5),
    (1_100, Decimal("0.005"), "half_up", 6),
    (1_001, Decimal("0.005"), "up", 6),
    (0, Decimal("0.005"), "down", 0),
])
def test_fee_rounding_is_explicit(amount, rate, rounding, expected):
    assert apply_rate(amount, rate, rounding) == expected


def test_money_must_be_int():
    with pytest.raises(TypeError):
        compute_round("2025-06", date(2025, 7, 18), {"MP000001": 1.5}, {}, {}, {}, Decimal("0.005"))
    with pytest.raises(TypeError):
        apply_rate(100, 0.005)  # type: ignore[arg-type]


# --- lines the bank file cannot carry, and the per-store ceiling (issue 7) ---------------------------


def _round(usage, states, ceiling=None):
    return compute_round("2025-06", date(2025, 7, 18), usage, {}, {}, states, Decimal("0.005"), ceiling=ceiling)


def test_a_line_above_the_transfer_field_or_the_ceiling_is_held_not_the_round() -> None:
    states = {s: StoreState(s) for s in ("MP000001", "MP000002", "MP000003", "MP000004")}
    states["MP000004"] = StoreState("MP000004", ceiling_confirmed=6_000_000)
    figures = _round({"MP000001": MAX_TRANSFER + 1, "MP000002": 6_000_000, "MP000003": 100,
                      "MP000004": 6_000_000}, states, ceiling=5_000_000)
    reasons = {line.store_id: line.reason for line in figures.lines}
    assert reasons == {"MP000001": "over_transfer_limit", "MP000002": "over_ceiling", "MP000003": None,
                       "MP000004": None}
    assert figures.paid_total == 6_000_100 and figures.held_total == MAX_TRANSFER + 1 + 6_000_000


def test_a_store_with_a_bank_problem_is_held_with_that_reason() -> None:
    figures = _round({"MP000001": 100}, {"MP000001": StoreState("MP000001", bank_problem="支店コードが…")})
    assert figures.lines[0].reason == "bank_invalid" and figures.paid_total == 0


def _store(**bank):
    base = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "1234567",
            "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"}
    return {"store_id": "MP000001", "store_name": "店", "bank": {**base, **bank}}


@pytest.mark.parametrize(("bank", "expected"), [
    ({}, None),
    ({"bank_code": "9998"}, "金融機関コード 9998 が金融機関マスタにありません"),
    ({"branch_code": "999"}, "支店コード 999 が金融機関マスタにありません"),
    ({"holder_kana": "山田太郎"}, "口座名義（カナ）が振込データの形式に合いません"),
    ({"account_number": "12345"}, "口座番号が振込データの形式に合いません"),
])
def test_bank_problems_are_found_before_the_file_is_written(bank, expected) -> None:
    assert bank_problem(_store(**bank), "2025-06", "7") == expected


@pytest.mark.parametrize(("approver", "drafted_by", "shaped_by", "allowed"), [
    ("b", "a", ["a"], True),
    ("a", "a", ["a"], False),          # the drafter
    ("b", "a", ["a", "b"], False),     # entered an adjustment, a return or a bank change
    ("b", "system", ["a"], True),      # a system draft with one person behind it: two people
    ("b", "system", [], False),        # a system draft nobody touched: one person alone
    ("b", "system", ["store"], False),  # the store is not one of the operator's four eyes
])
def test_four_eyes(approver, drafted_by, shaped_by, allowed) -> None:
    if allowed:
        four_eyes.check_approver(approver, drafted_by, shaped_by)
    else:
        with pytest.raises(Forbidden):
            four_eyes.check_approver(approver, drafted_by, shaped_by)


def test_shapers_cover_uploads_adjustments_late_usage_and_bank_changes() -> None:
    people = four_eyes.shapers(
        drafted_by="system", uploads=["up"], import_uploaders={"IMP1": "late-up"},
        adjustments=[{"created_by": "adj"}, {"created_by": "system", "import_id": "IMP1"}],
        paid_stores=[{"bank_changed_pending": True, "bank_changed_by": "chg", "bank_confirmed_by": "store"},
                     {"bank_changed_pending": False, "bank_changed_by": "old"}])
    assert people == ["adj", "chg", "late-up", "up"]
