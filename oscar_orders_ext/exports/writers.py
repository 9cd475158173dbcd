"""Spreadsheet writers: CSV (streamed) and XLSX (openpyxl write-only), memory flat in rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone

#: A spreadsheet reads a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _plain(value: Any, tz: Any) -> Any:
    """Values a CSV cell can hold: aware datetimes in the shop's time zone, no None."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else value


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ",",
               bom: bool = False) -> Iterator[str]:
    """CSV text, row by row, ready for a ``StreamingHttpResponse`` or a file."""
    writer = csv.writer(_Echo(), delimiter=delimiter)
    tz = timezone.get_current_timezone()  # once, not once per cell
    if bom:
        yield "\ufeff"
    yield writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        yield writer.writerow([_plain(value, tz) for value in row])


def write_csv(target: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              delimiter: str = ",", bom: bool = False) -> int:
    """Write CSV to a text file; returns the number of data rows."""
    count = -1
    for count, chunk in enumerate(csv_chunks(header, rows, delimiter=delimiter, bom=bom)):
        target.write(chunk)
    return max(count - (1 if bom else 0), 0)


CURRENCY_FORMATS = {"EUR": '#,##0.00 "€"', "USD": '"$"#,##0.00', "GBP": '"£"#,##0.00'}


def currency_format(currency: str) -> str:
    """An Excel number format showing the currency."""
    return CURRENCY_FORMATS.get(currency, f'#,##0.00 "{currency}"' if currency else "#,##0.00")


def _xlsx_value(value: Any, tz: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        # Excel has no time zones: write the shop's wall-clock time.
        return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date | Decimal | int | float) or value is None:
        return value
    return neutralise(str(value))


class Money:
    """A cell value that carries its currency, for a currency number format."""

    __slots__ = ("amount", "currency")

    def __init__(self, amount: Decimal, currency: str) -> None:
        self.amount, self.currency = amount, currency

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}".strip()


def write_xlsx(target: IO[bytes] | str, sheets: Sequence[tuple[str, Sequence[str],
                                                              Iterable[Sequence[Any]]]]) -> int:
    """Write an XLSX workbook in openpyxl's write-only mode; returns data rows written.

    ``sheets`` is a list of (title, header, rows); rows may contain ``Money`` values, written
    as numbers with a currency format, and datetimes, written as real dates.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    written = 0
    bold = Font(bold=True)
    tz = timezone.get_current_timezone()
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        header_cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=neutralise(str(name)))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            cells: list[Any] = []
            for value in row:
                # Only cells that need a number format become cell objects: plain values are
                # appended as they are, which is what keeps write-only mode fast.
                if isinstance(value, Money):
                    cell = WriteOnlyCell(sheet, value=value.amount)
                    cell.number_format = currency_format(value.currency)
                    cells.append(cell)
                else:  # datetimes get openpyxl's own date format: no cell object needed
                    cells.append(_xlsx_value(value, tz))
            sheet.append(cells)
            written += 1
    workbook.save(target)
    return written


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """The workbook as bytes (small exports)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()
