"""The 39 areas of Miyagi (34 municipalities other than Sendai + Sendai's 5 wards), as master data."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

_CSV = Path(__file__).resolve().parent.parent / "data" / "municipalities.csv"
#: Japan Post's postal codes of Miyagi, each with its area (scripts/make_miyagi_postal.py makes it).
_POSTAL_CSV = _CSV.with_name("miyagi_postal.csv")
#: Sendai city as a whole: stores in Sendai choose their ward instead.
SENDAI_CITY_CODE = "041009"


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    kana: str
    kind: str
    region: str


@functools.cache
def all_areas() -> tuple[Area, ...]:
    with _CSV.open(encoding="utf-8") as f:
        return tuple(Area(**row) for row in csv.DictReader(f))


@functools.cache
def _by_code() -> dict[str, Area]:
    return {a.code: a for a in all_areas()}


def find_area(code: str) -> Area | None:
    return _by_code().get(code)


@functools.cache
def _postal_areas() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    with _POSTAL_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            table.setdefault(row["postal_code"], set()).add(row["municipality_code"])
    return {code: frozenset(areas) for code, areas in table.items()}


def areas_of_postal_code(postal_code: str) -> frozenset[str]:
    """The areas a Miyagi postal code belongs to, by Japan Post's data (its town codes and its business
    codes); empty for a code it does not list (then nothing can be said)."""
    return _postal_areas().get(postal_code.replace("-", ""), frozenset())


@functools.cache
def postal_codes_in_area(code: str) -> tuple[str, ...]:
    """Japan Post's postal codes of one area, sorted, as written on a form ("980-0811")."""
    return tuple(f"{postal[:3]}-{postal[3:]}" for postal, areas in sorted(_postal_areas().items()) if code in areas)


def postal_code_in_miyagi(postal_code: str) -> bool:
    """Miyagi's postal codes start 980–989 (seen everywhere, not authoritative: a warning only)."""
    digits = postal_code.replace("-", "")
    return len(digits) == 7 and digits.isdigit() and 980 <= int(digits[:3]) <= 989
