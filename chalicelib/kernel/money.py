"""Money: `int` yen (1 point = ¥1), rates as Decimal, rounding as an explicit parameter."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

ROUNDINGS = {"down": ROUND_DOWN, "half_up": ROUND_HALF_UP, "up": ROUND_UP}


def apply_rate(amount: int, rate: Decimal, rounding: str = "down") -> int:
    """`amount × rate` in whole yen. Fractions follow `rounding` (the contract's default: down)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be int yen")
    if not isinstance(rate, Decimal):
        raise TypeError("rate must be Decimal")
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}; one of {sorted(ROUNDINGS)}")
    return int((Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUNDINGS[rounding]))


def yen(amount: int) -> str:
    """¥1,234 for people (e-mails, statements)."""
    return f"{amount:,}円"
