"""What the operator's bank charges for each transfer of a round: pure, no AWS.

The prefecture's specification 7(1)イ: transfer fees (振込手数料) are the operator's cost and are never
charged to a store. A store is always paid its full amount; this module only *reports* what the
transfers cost the operator (per paid line and per round, in the summary and the monthly report).

The table has three bands, by where the money goes from the operator's own account (the requester's
bank and branch, `SettlementSettings.requester_bank_code` / `requester_branch_code`):
- ``same_branch``: the payee's account is at the same bank and branch (店内振込);
- ``same_bank``: the same bank, another branch (本支店振込);
- ``other_bank``: another bank (他行振込);
each with one fee for amounts below the threshold (¥30,000 at most banks) and one at or above it.

It is configuration (`TRANSFER_FEE_TABLE_JSON`, empty = `DEFAULT_TABLE`), as JSON::

    {"threshold": 30000,
     "same_branch": {"below": 220, "at_or_above": 440},
     "same_bank": {"below": 220, "at_or_above": 440},
     "other_bank": {"below": 605, "at_or_above": 770}}

The default is an EXAMPLE, not the operator's contract: the 総合振込 (bulk transfer) fees a regional
bank publishes (島根銀行「手数料一覧」2024-07-01, tax included: 店内・本支店 ¥220 / ¥440, 他行 ¥605 / ¥770,
below / at or above ¥30,000). Replace it with the operator's bank's fees for its transfer channel.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

BANDS = ("same_branch", "same_bank", "other_bank")
BAND_LABELS = {"same_branch": "同一店内", "same_bank": "同一銀行の他支店", "other_bank": "他行"}


@dataclass(frozen=True)
class Band:
    below: int
    at_or_above: int


@dataclass(frozen=True)
class FeeTable:
    threshold: int
    same_branch: Band
    same_bank: Band
    other_bank: Band

    def band(self, name: str) -> Band:
        if name not in BANDS:
            raise ValueError(f"unknown band {name!r}")
        band: Band = getattr(self, name)
        return band


DEFAULT_TABLE = FeeTable(threshold=30_000, same_branch=Band(220, 440), same_bank=Band(220, 440),
                         other_bank=Band(605, 770))


class FeeTableInvalid(ValueError):
    """The configured table cannot be used (message names what is wrong)."""


def _yen(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FeeTableInvalid(f"{where} must be a whole number of yen, zero or more")
    return value


def parse_table(text: str | None) -> FeeTable:
    """The table from its JSON (empty: the default). Every band and both amounts are required."""
    if not text or not text.strip():
        return DEFAULT_TABLE
    try:
        raw = json.loads(text)
    except ValueError:
        raise FeeTableInvalid("TRANSFER_FEE_TABLE_JSON is not JSON") from None
    if not isinstance(raw, dict):
        raise FeeTableInvalid("TRANSFER_FEE_TABLE_JSON must be an object")
    unknown = set(raw) - {"threshold", *BANDS, "note"}
    if unknown:
        raise FeeTableInvalid(f"TRANSFER_FEE_TABLE_JSON has unknown keys: {sorted(unknown)}")
    threshold = _yen(raw.get("threshold", 30_000), "threshold")
    if threshold == 0:
        raise FeeTableInvalid("threshold must be more than 0 yen")
    bands = {}
    for name in BANDS:
        band = raw.get(name)
        if not isinstance(band, dict) or set(band) != {"below", "at_or_above"}:
            raise FeeTableInvalid(f"{name} must be {{\"below\": yen, \"at_or_above\": yen}}")
        bands[name] = Band(_yen(band["below"], f"{name}.below"), _yen(band["at_or_above"], f"{name}.at_or_above"))
    return FeeTable(threshold=threshold, **bands)


def band_of(from_bank: str, from_branch: str, to_bank: str, to_branch: str) -> str:
    if str(from_bank) != str(to_bank):
        return "other_bank"
    return "same_branch" if str(from_branch) == str(to_branch) else "same_bank"


def transfer_fee(table: FeeTable, from_bank: str, from_branch: str, to_bank: str, to_branch: str,
                 amount: int) -> int:
    """The fee (int yen) of one transfer of ``amount`` yen from the requester's account to the payee's."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be int yen")
    if amount <= 0:
        return 0  # nothing is transferred
    band = table.band(band_of(from_bank, from_branch, to_bank, to_branch))
    return band.below if amount < table.threshold else band.at_or_above


def round_cost(fees: Iterable[int]) -> int:
    """A round's transfer cost: the sum of its lines' fees (reconciles with the lines by construction)."""
    return sum(fees)
