"""A settlement round, computed: pure, no AWS.

For usage month M, each store is due its usage of M plus open adjustments plus what earlier rounds
held and carried forward. A payable store is paid all of it; otherwise all of it is held and
carried to the next round. Per store and in total, exactly:

    paid + carried_out == usage + adjustments + carried_in

so across rounds nothing is paid twice or forgotten.

The system fee (the prefecture's specification 7(1)ヌ: 原資の0.5%) is charged on the round's fee base:
the usage of the month plus the late usage first counted in this round (usage of an earlier month
imported after that month's round was frozen, carried here as an adjustment). Returns, re-payments
and manual corrections move money but are not new point usage: they never enter the base. So every
point used is charged the fee exactly once, in the round that first counts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from chalicelib.kernel.money import apply_rate
from chalicelib.settlement.zengin_writer import MAX_AMOUNT as MAX_TRANSFER  # 振込金額 N10

HOLD_REASONS = {
    "unknown_store": "店舗が登録されていません",
    "bank_unverified": "振込口座が確認できていません",
    "store_suspended": "店舗が利用停止中です",
    "transfer_returned": "前回の振込が返却され、口座の修正待ちです",
    "amount_not_positive": "支払額が0円以下です",
    "bank_invalid": "振込口座の情報が振込データに書けません（口座の修正が必要です）",
    "over_transfer_limit": "振込データの金額欄（10桁）を超える金額です",
    "over_ceiling": "1店舗あたりの上限額を超えています（二人目の担当者の確認が必要です）",
    "usage_before_active": "参加承認日より前の利用が含まれています",
    "deferred": "担当者が次回の精算に回しました",
}
#: Holds a person clears for one round (the amount they cleared): `POST /settlements/{m}/holds/{store}/clear`.
CLEARABLE_HOLDS = ("usage_before_active",)


@dataclass(frozen=True)
class StoreState:
    """What the round needs to know of a store to decide pay or hold."""

    store_id: str
    exists: bool = True
    bank_verified: bool = True
    suspended: bool = False
    transfer_returned: bool = False
    #: Why the bank data cannot be written to the transfer file (bank left the master, holder name…).
    bank_problem: str | None = None
    #: An amount above the per-store ceiling that a second person confirmed for this round.
    ceiling_confirmed: int | None = None
    #: The round counts usage dated before the store became active (this month's, or carried in from a
    #: round that held it for that): held until a person clears that exact amount.
    usage_before_active: bool = False
    usage_before_active_cleared: int | None = None
    #: A person put the store's payment off to the next round (holding moves no money: anyone may).
    deferred: bool = False

    def hold_reason(self) -> str | None:
        if not self.exists:
            return "unknown_store"
        if self.suspended:
            return "store_suspended"
        if self.transfer_returned:
            return "transfer_returned"
        if not self.bank_verified:
            return "bank_unverified"
        if self.bank_problem:
            return "bank_invalid"
        if self.deferred:
            return "deferred"
        return None


@dataclass(frozen=True)
class Line:
    store_id: str
    usage: int
    adjustments: int
    carried_in: int
    paid: int
    carried_out: int
    status: str  # "pay" | "hold"
    reason: str | None

    @property
    def due(self) -> int:
        return self.usage + self.adjustments + self.carried_in


@dataclass(frozen=True)
class RoundFigures:
    month: str
    payment_date: date
    lines: tuple[Line, ...]
    usage_total: int
    adjustments_total: int
    carried_in_total: int
    paid_total: int
    held_total: int
    stores_paid: int
    fee: int
    fee_rate: Decimal
    fee_rounding: str
    meta: dict[str, str] = field(default_factory=dict)
    #: Late usage (of earlier, frozen months) this round counts for the first time; part of adjustments_total.
    late_usage_total: int = 0
    #: What the fee is charged on: usage_total + late_usage_total (None: derived from those two).
    fee_base: int = None  # type: ignore[assignment]  # not given: derived in __post_init__
    #: What the operator's bank charges for this round's transfers (the operator's cost, never a store's);
    #: None for a round approved before transfer costs were computed.
    transfer_cost: int | None = None

    def __post_init__(self) -> None:
        if self.fee_base is None:
            object.__setattr__(self, "fee_base", self.usage_total + self.late_usage_total)

    def paid_lines(self) -> list[Line]:
        return [line for line in self.lines if line.status == "pay"]

    def held_lines(self) -> list[Line]:
        return [line for line in self.lines if line.status == "hold"]


def compute_round(
    month: str,
    payment_date: date,
    usage: Mapping[str, int],
    adjustments: Mapping[str, int],
    carried_in: Mapping[str, int],
    states: Mapping[str, StoreState],
    fee_rate: Decimal,
    fee_rounding: str = "down",
    ceiling: int | None = None,
    *,
    late_usage: Mapping[str, int] | None = None,
) -> RoundFigures:
    """One line per store with money due. A line that the bank file could not carry, or that is above
    the per-store ``ceiling`` without a second person's confirmation of that exact amount, is held
    (never the whole round): the money is carried forward, nothing is lost.

    ``late_usage`` is the part of ``adjustments`` that is late usage (per store): it enters the fee base;
    the rest of the adjustments (returns, re-payments, manual corrections) does not."""
    late_usage = late_usage or {}
    for name, values in (("usage", usage), ("adjustments", adjustments), ("carried_in", carried_in),
                         ("late_usage", late_usage)):
        for store_id, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name}[{store_id}] must be int yen")
    lines = []
    for store_id in sorted(set(usage) | set(adjustments) | set(carried_in)):
        u, a, c = usage.get(store_id, 0), adjustments.get(store_id, 0), carried_in.get(store_id, 0)
        if u == 0 and a == 0 and c == 0:
            continue
        due = u + a + c
        state = states.get(store_id, StoreState(store_id, exists=False))
        reason = (state.hold_reason() or _early_usage_hold(due, state)
                  or _amount_hold(due, ceiling, state.ceiling_confirmed))
        if reason is None:
            lines.append(Line(store_id, u, a, c, paid=due, carried_out=0, status="pay", reason=None))
        else:
            lines.append(Line(store_id, u, a, c, paid=0, carried_out=due, status="hold", reason=reason))
    usage_total = sum(usage.values())
    late_usage_total = sum(late_usage.values())
    fee_base = usage_total + late_usage_total
    figures = RoundFigures(
        month=month,
        payment_date=payment_date,
        lines=tuple(lines),
        usage_total=usage_total,
        adjustments_total=sum(adjustments.values()),
        carried_in_total=sum(carried_in.values()),
        paid_total=sum(line.paid for line in lines),
        held_total=sum(line.carried_out for line in lines),
        stores_paid=sum(1 for line in lines if line.status == "pay"),
        # The system fee is charged on the point funds this round counts first (the fee base).
        fee=apply_rate(fee_base, fee_rate, fee_rounding),
        fee_rate=fee_rate,
        fee_rounding=fee_rounding,
        late_usage_total=late_usage_total,
        fee_base=fee_base,
    )
    check_reconciles(figures)
    return figures


def _early_usage_hold(due: int, state: StoreState) -> str | None:
    if state.usage_before_active and state.usage_before_active_cleared != due:
        return "usage_before_active"
    return None


def _amount_hold(due: int, ceiling: int | None, confirmed: int | None) -> str | None:
    if due <= 0:
        return "amount_not_positive"
    if due > MAX_TRANSFER:
        return "over_transfer_limit"
    if ceiling is not None and due > ceiling and confirmed != due:
        return "over_ceiling"
    return None


def check_reconciles(figures: RoundFigures) -> None:
    """Raise if any line or the totals do not reconcile to the yen (a bug, never an input error)."""
    for line in figures.lines:
        if line.paid + line.carried_out != line.due:
            raise AssertionError(f"line {line.store_id} does not reconcile")
        if line.status == "pay" and (line.paid <= 0 or line.carried_out != 0):
            raise AssertionError(f"line {line.store_id}: pay line must pay a positive amount")
    lhs = figures.paid_total + figures.held_total
    rhs = figures.usage_total + figures.adjustments_total + figures.carried_in_total
    if lhs != rhs:
        raise AssertionError(f"round {figures.month} does not reconcile: {lhs} != {rhs}")
    if figures.fee_base != figures.usage_total + figures.late_usage_total:
        raise AssertionError(f"round {figures.month}: fee base is not usage + late usage")
    if figures.fee != apply_rate(figures.fee_base, figures.fee_rate, figures.fee_rounding):
        raise AssertionError(f"round {figures.month}: fee is not the rate applied to its base")
