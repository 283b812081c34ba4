"""Report files the prefecture opens in Excel: CSV (UTF-8 with BOM, CRLF) and XLSX sheets.

Every XLSX the system writes goes through `add_sheet` (the settlement statement, the call center's daily
and monthly reports, the consultation sessions' monthly report), so every workbook is "Excel-ready":

- text cells go through `safe_row` (data, never a formula);
- numbers stay numbers: int as `#,##0`, Decimal with the decimals it was quantized to, a `Rate` (a
  fraction, 0.005) and a `Percent` (percent units, 60.0) as `0.0%`;
- dates are dates (`yyyy/mm/dd`), a `Month` is its first day shown as `yyyy年m月`, datetimes are JST;
- the header row is bold and frozen, columns are as wide as their text (full-width characters count two);
- A4, as wide as the page (landscape when wide), the header repeated on every printed page, the sheet's
  name and the page number in the footer;
- a total row is a value checked against its lines before anything is written (`sum_columns`), never a
  formula: a formula has no value until a spreadsheet computes it (openpyxl, pandas and mail previews
  would read an empty total), and a file without formulas is one that can never run one.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self

from chalicelib.kernel.calendars import to_jst
from chalicelib.kernel.cells import safe_row

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet


class Rate(Decimal):
    """A rate as a fraction (the fee's 0.005): a number shown as `0.5%` in XLSX, `0.005` in CSV."""

    __slots__ = ()


class Percent(Decimal):
    """A share already in percent units (60.0, under a "割合(%)" header): `60.0%` in XLSX, `60.0` in CSV.

    It equals the Decimal it was made of, so the figures stay comparable; only the writers tell it apart.
    """

    __slots__ = ()


class Month(date):
    """A month (利用月, 対象月) as a real date — its first day — shown as `2025年6月`.

    A date rather than a text label: the prefecture sorts, filters and matches months across the monthly
    files (and the funds ledger) in Excel, which a label like "2025-06" would not let it do reliably.
    In CSV it is written `2025-06`, which Excel also reads as that month.
    """

    __slots__ = ()

    @classmethod
    def of(cls, month: str) -> Self:
        year, mon = month.split("-")
        return cls(int(year), int(mon), 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


Cell = str | int | Decimal | date | time | None
Rows = Sequence[Sequence[Cell]]

INT_FORMAT = "#,##0"
DECIMAL_FORMATS = {1: "0.0", 2: "0.00"}
RATE_FORMAT = "0.0%"
DATE_FORMAT = "yyyy/mm/dd"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
MONTH_FORMAT = 'yyyy"年"m"月"'
TIME_FORMAT = "hh:mm"

#: Columns wider than this wrap their text instead (free text such as a participant's request).
MAX_WIDTH = 60
MIN_WIDTH = 6
#: Characters of room beside the text (Excel's padding and the autofilter-free look).
PADDING = 2
#: A header longer than its column's values may wrap onto two lines (three on a wide, landscape sheet)
#: instead of widening the column: a 27-column report then prints one page wide at a readable size.
HEADER_LINES = 2
WIDE_HEADER_LINES = 3
LINE_HEIGHT = 18.0  # points; Japanese fonts at 11pt need about 18
#: More columns than this print landscape.
PORTRAIT_MAX_COLUMNS = 8
HEADER_FILL = "DDEBF7"


@dataclass(frozen=True)
class Sheet:
    """A worksheet to write: `rows[0]` is the header; `heading` a title line above it (not a column's
    width); `sum_columns` the 0-based columns whose last row is the total of the lines above it."""

    title: str
    rows: Rows
    heading: str | None = None
    sum_columns: Sequence[int] = ()


# --- CSV -----------------------------------------------------------------------------------------------


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
    if isinstance(value, datetime):
        return _excel_datetime(value).strftime("%Y-%m-%d %H:%M:%S")
    return value  # Month, Rate and Percent write themselves (str)


# --- XLSX ----------------------------------------------------------------------------------------------


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


def add_sheet(workbook: Workbook, title: str, rows: Rows, *, heading: str | None = None,
              sum_columns: Sequence[int] = ()) -> Worksheet:
    """A worksheet from rows; the first row is the header (bold, shaded, frozen); widths fit the text.

    `heading`: a title line above the header (printed on every page with it). `sum_columns`: the
    columns whose last row is the total of the lines between the header and it — checked here, and
    a mismatch is refused (ValueError) rather than delivered.
    """
    from openpyxl.styles import Font

    if sum_columns:
        check_totals(rows, sum_columns)
    sheet = workbook.create_sheet(title=title)
    first = 1
    if heading is not None:
        sheet.append(safe_row([heading]))
        sheet.cell(row=1, column=1).font = Font(bold=True, size=12)
        first = 2
    # Text is data, never a formula (openpyxl stores any str starting with "=" as one).
    table = [safe_row(row) for row in rows]
    if not table:
        return sheet
    _write_table(sheet, table, first, total_row=bool(sum_columns) and len(table) > 1)
    sheet.freeze_panes = f"A{first + 1}"  # everything above the first line stays in view
    _print_setup(sheet, max(len(row) for row in table), first)
    return sheet


def _write_table(sheet: Worksheet, table: list[list[Any]], first: int, total_row: bool) -> None:
    """The header and the lines with their formats and borders, a total row set apart, widths that fit."""
    from copy import copy

    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    columns = max(len(row) for row in table)
    most_lines = HEADER_LINES if columns <= PORTRAIT_MAX_COLUMNS else WIDE_HEADER_LINES
    header_lines, wraps = 1, []
    for index in range(columns):
        data_width = max((display_width(shown_text(row[index])) for row in table[1:] if index < len(row)), default=0)
        header_width = display_width(shown_text(table[0][index])) if index < len(table[0]) else 0
        width = max(data_width, math.ceil(header_width / most_lines), MIN_WIDTH - PADDING)
        header_lines = max(header_lines, math.ceil(header_width / width))
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(width + PADDING, MAX_WIDTH)
        # Long free text wraps inside the widest column instead of running off the page.
        wraps.append(data_width + PADDING > MAX_WIDTH)

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for index, value in enumerate(table[0], start=1):
        cell = sheet.cell(row=first, column=index, value=_xlsx_value(value))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.border = border
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    if header_lines > 1:
        sheet.row_dimensions[first].height = LINE_HEIGHT * header_lines

    # Setting a style on a cell hashes it (slow for 15,000 store lines): each distinct look is built
    # once and its style copied to the other cells.
    looks: dict[tuple[str | None, bool, bool], Any] = {}
    last = len(table) - 1
    for offset in range(1, len(table)):
        is_total = total_row and offset == last
        for index, value in enumerate(table[offset], start=1):
            cell = sheet.cell(row=first + offset, column=index, value=_xlsx_value(value))
            key = (_number_format(value), wraps[index - 1], is_total)
            if key in looks:
                cell._style = copy(looks[key])
                continue
            if key[0]:
                cell.number_format = key[0]
            if key[1]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = border
            if is_total:
                cell.font = Font(bold=True)
                cell.border = Border(left=thin, right=thin, top=Side(style="double"), bottom=thin)
            looks[key] = copy(cell._style)


def _print_setup(sheet: Worksheet, columns: int, header_row: int) -> None:
    """A4, one page wide and as many pages long as needed, the header repeated on every page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if columns > PORTRAIT_MAX_COLUMNS else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # 0: as many pages as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{header_row}"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    sheet.print_options.horizontalCentered = True
    # The sheet's name (our fixed titles, never data) and "page / pages" on every printed page.
    sheet.oddFooter.left.text = "&A"
    sheet.oddFooter.right.text = "&P / &N"


def check_totals(rows: Rows, sum_columns: Sequence[int]) -> None:
    """The last row's value in each of `sum_columns` equals the sum of the lines (rows[1:-1])."""
    if len(rows) < 2:
        raise ValueError("a total row needs a header above it")
    lines, total = rows[1:-1], rows[-1]
    for column in sum_columns:
        expected = sum((_number(row[column]) for row in lines), Decimal(0))
        if _number(total[column]) != expected:
            raise ValueError(f"total of column {column} is {total[column]!r}, the lines add up to {expected}")


def _number(value: Cell) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"not a number in a summed column: {value!r}")
    return Decimal(value)


def _excel_datetime(value: datetime) -> datetime:
    # Excel has no time zones: a datetime is written naive, as the wall-clock time in JST (Asia/Tokyo),
    # which is what the prefecture reads. An aware datetime is converted first; a naive one is taken
    # to be JST already.
    if value.tzinfo is None:
        return value
    return to_jst(value).replace(tzinfo=None)


def _xlsx_value(value: Cell) -> Any:
    if isinstance(value, datetime):
        return _excel_datetime(value)
    if isinstance(value, Month):
        return date(value.year, value.month, 1)  # openpyxl writes plain dates
    if isinstance(value, Percent):
        return Decimal(value) / 100
    if isinstance(value, Decimal):
        return Decimal(value)
    return value


def _number_format(value: object) -> str | None:
    """The format of a cell given as `value`; None leaves Excel's General (text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return INT_FORMAT
    if isinstance(value, Rate | Percent):
        return RATE_FORMAT
    if isinstance(value, Month):
        return MONTH_FORMAT
    if isinstance(value, datetime):
        return DATETIME_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    if isinstance(value, time):
        return TIME_FORMAT
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent))
        return DECIMAL_FORMATS.get(places, DECIMAL_FORMATS[2]) if places else INT_FORMAT
    return None


def shown_text(value: object) -> str:
    """Roughly what Excel shows for a cell given to `add_sheet` as `value` (for the column width)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Rate):
        return f"{value * 100:.1f}%"
    if isinstance(value, Percent):
        return f"{value:.1f}%"
    if isinstance(value, Month):
        return f"{value.year}年{value.month}月"
    if isinstance(value, datetime):
        return _excel_datetime(value).strftime("%Y/%m/%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent))
        return f"{value:,.{min(places, 2)}f}"
    return str(value)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_xlsx(sheets: Sequence[tuple[str, Rows] | Sheet], generated_at: datetime) -> bytes:
    """One worksheet per (title, rows) or `Sheet`; the first row of each is the header."""
    workbook = new_workbook(generated_at)
    for spec in sheets:
        if isinstance(spec, Sheet):
            add_sheet(workbook, spec.title, spec.rows, heading=spec.heading, sum_columns=spec.sum_columns)
        else:
            add_sheet(workbook, *spec)
    return workbook_bytes(workbook)


def display_width(text: str) -> int:
    """Columns Excel needs for `text` (the longest line of a multi-line text): East Asian wide and
    full-width characters take two, and so do the ambiguous symbols Japanese fonts draw wide (※, ○, ①,
    ×…); letters (accented Latin such as é included) and half-width katakana take one."""
    return max((sum(_char_width(ch) for ch in line) for line in text.split("\n")), default=0)


def _char_width(ch: str) -> int:
    kind = unicodedata.east_asian_width(ch)
    return 2 if kind in "WF" or (kind == "A" and not unicodedata.category(ch).startswith("L")) else 1
