"""Report files the prefecture opens in Excel: CSV (UTF-8 with BOM, CRLF) and XLSX sheets.

Shared by the areas that deliver reports (the call center's daily and monthly reports, the consultation
sessions' monthly report). Every text cell goes through `safe_row` (data, never a formula); numbers stay
numbers, dates stay dates (with a date format), Decimals get one or two decimals as they were quantized.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib.kernel.cells import safe_row

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

Cell = str | int | Decimal | date | time | None
Rows = Sequence[Sequence[Cell]]

DATE_FORMAT = "yyyy/mm/dd"
TIME_FORMAT = "hh:mm"


def to_csv(rows: Rows) -> bytes:
    """UTF-8 with BOM, CRLF: what Excel opens with the Japanese intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # Codes and labels may come from data and configuration: text is data, never a formula.
    writer.writerows(safe_row(_csv_value(v) for v in row) for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: Cell) -> Cell:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def new_workbook(generated_at: datetime) -> Workbook:
    """An empty workbook stamped with the generation time (UTC, as XLSX stores it)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    stamp = generated_at.astimezone(UTC).replace(tzinfo=None)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "miyapo-ops"
    return workbook


def add_sheet(workbook: Workbook, title: str, rows: Rows) -> Worksheet:
    """A worksheet from rows; the first row is the header (bold, shaded, frozen); widths fit the text."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=title)
    for row in rows:
        sheet.append(safe_row(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.columns, start=1):
        width = max((display_width(_text(c.value)) for c in column), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 40)
        for c in column:
            if isinstance(c.value, Decimal):
                c.number_format = "0.00" if int(c.value.as_tuple().exponent) < -1 else "0.0"
            elif isinstance(c.value, datetime | date):
                c.number_format = DATE_FORMAT
            elif isinstance(c.value, time):
                c.number_format = TIME_FORMAT
    return sheet


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_xlsx(sheets: Sequence[tuple[str, Rows]], generated_at: datetime) -> bytes:
    """One worksheet per (title, rows); the first row of each is the header."""
    workbook = new_workbook(generated_at)
    for title, rows in sheets:
        add_sheet(workbook, title, rows)
    return workbook_bytes(workbook)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def display_width(text: str) -> int:
    """Columns Excel needs for `text`: full-width (Japanese) characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
