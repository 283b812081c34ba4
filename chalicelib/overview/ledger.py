"""The funds ledger (issue 12 point 3): the point funds (原資) month by month against the planned points.

Pure: the settlement rounds in, the ledger out. Every figure is an int of yen (1 point = ¥1) read from
the round as settlement computed it, so the ledger reconciles with the rounds to the yen:

- `usage`     the month's imported point usage (`usage_total`);
- `fee_base`  the usage the round charges the fee on (`fee_base` when the round carries it — usage first
              counted in that round, late usage included — else `usage_total`);
- `fee`       the system fee the round charged; `claim` = `fee_base` + `fee` (what the prefecture pays);
- `paid`, `held`, `carried` (held amounts carried in from earlier rounds), `adjustments`;
- `transfer_cost` the operator's bank fees for the round when settlement states them (never deducted).

`used_points` is the sum of `fee_base` over every round: each point used counts once, in the round that
first counts it. `share_of_plan` is a percentage as a string with two decimals, rounded down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

#: Percentages of the planned points at which staff and the prefecture are told, once each.
THRESHOLDS: tuple[int, ...] = (80, 90, 100)

ROUND_STATUS_LABELS = {"draft": "下書き", "approving": "承認処理中", "approved": "承認済み"}


@dataclass(frozen=True)
class LedgerMonth:
    month: str
    status: str
    usage: int
    fee_base: int
    fee: int
    paid: int
    held: int
    carried: int
    adjustments: int
    transfer_cost: int | None
    cumulative: int
    share_of_plan: str
    payment_date: str | None

    @property
    def claim(self) -> int:
        return self.fee_base + self.fee

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month, "status": self.status, "status_label": ROUND_STATUS_LABELS.get(self.status, self.status),
            "usage": self.usage, "fee": self.fee, "fee_base": self.fee_base, "paid": self.paid, "held": self.held,
            "carried": self.carried, "adjustments": self.adjustments, "transfer_cost": self.transfer_cost,
            "claim": self.claim, "cumulative": self.cumulative, "share_of_plan": self.share_of_plan,
            "payment_date": self.payment_date,
        }


def share(used: int, planned: int) -> str:
    """`used` as a percentage of `planned`, two decimals, rounded down ("80.00")."""
    if planned <= 0:
        return "0.00"
    return str((Decimal(used) * 100 / Decimal(planned)).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def fee_base_of(item: dict[str, Any]) -> int:
    base = item.get("fee_base")
    return int(base) if base is not None else int(item.get("usage_total") or 0)


def build(rounds: Iterable[dict[str, Any]], planned: int) -> dict[str, Any]:
    """The ledger of `rounds` (round items, any order) against `planned` points."""
    months: list[LedgerMonth] = []
    cumulative = 0
    for item in sorted(rounds, key=lambda r: str(r["month"])):
        base = fee_base_of(item)
        cumulative += base
        cost = item.get("transfer_cost")
        months.append(LedgerMonth(
            month=str(item["month"]), status=str(item.get("status", "")), usage=int(item.get("usage_total") or 0),
            fee_base=base, fee=int(item.get("fee") or 0), paid=int(item.get("paid_total") or 0),
            held=int(item.get("held_total") or 0), carried=int(item.get("carried_in_total") or 0),
            adjustments=int(item.get("adjustments_total") or 0),
            transfer_cost=int(cost) if cost is not None else None,
            cumulative=cumulative, share_of_plan=share(cumulative, planned),
            payment_date=item.get("transfer_date") or item.get("payment_date"),
        ))
    totals = {k: sum(getattr(m, k) for m in months)
              for k in ("usage", "fee_base", "fee", "paid", "held", "carried", "adjustments", "claim")}
    costs = [m.transfer_cost for m in months if m.transfer_cost is not None]
    totals["transfer_cost"] = sum(costs) if costs else None
    return {
        "planned_points": planned, "used_points": cumulative, "remaining_points": planned - cumulative,
        "share_of_plan": share(cumulative, planned), "thresholds": list(THRESHOLDS),
        "reached": crossed(cumulative, planned), "months": [m.to_json() for m in months], "totals": totals,
    }


def crossed(used: int, planned: int) -> list[int]:
    """The thresholds (percent of `planned`) that `used` has reached."""
    return [t for t in THRESHOLDS if planned > 0 and used * 100 >= planned * t]


CLAIM_HEADER = ("項目", "金額（円）・内容")


def claim_rows(month: LedgerMonth | dict[str, Any], fee_rate: str, fee_rounding: str) -> list[list[Any]]:
    """The monthly claim sheet (原資 + 手数料) for the prefecture: rows for CSV and XLSX, the header first.
    Figures are typed for the Excel-ready writer (chalicelib/kernel/sheets.py): yen as ints, the month as
    a `Month`, the payment date as a date, the share of the plan as a `Percent`."""
    from chalicelib.kernel.sheets import Month, Percent

    m = month.to_json() if isinstance(month, LedgerMonth) else month
    rounding = {"down": "切り捨て", "half_up": "四捨五入", "up": "切り上げ"}.get(fee_rounding, fee_rounding)
    paid_on = date.fromisoformat(m["payment_date"]) if m.get("payment_date") else None
    rows: list[list[Any]] = [
        list(CLAIM_HEADER),
        ["対象月", Month.of(m["month"])],
        ["精算の状態", m["status_label"]],
        ["支払日", paid_on],
        ["ポイント原資（手数料の基礎）", m["fee_base"]],
        [f"システム手数料（原資の {percent(fee_rate)}、円未満{rounding}）", m["fee"]],
        ["請求額合計（原資 + 手数料）", m["claim"]],
        ["参考: 当月取込の利用ポイント", m["usage"]],
        ["参考: 店舗への支払額", m["paid"]],
        ["参考: 保留（翌回以降へ繰越）", m["held"]],
        ["参考: 累計利用ポイント", m["cumulative"]],
        ["参考: 計画ポイントに対する割合（%）", Percent(m["share_of_plan"])],
    ]
    if m.get("transfer_cost") is not None:
        rows.append(["参考: 振込手数料（事業者負担・請求外）", m["transfer_cost"]])
    return rows


def percent(rate: str) -> str:
    """"0.005" → "0.5%"."""
    value = (Decimal(rate) * 100).normalize()
    return f"{value:f}%"
