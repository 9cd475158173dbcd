"""Spreadsheet writers: CSV (streamed) and XLSX (openpyxl write-only), memory flat in rows.

Cells are converted by a lookup on their exact type, set up once per file: a row costs one
dict lookup per cell, and a call only for the cells that need one (text, dates, money).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font

from oscar_orders_ext.exceptions import OrderWorkflowError

FORMATS = ("xlsx", "csv")
DELIMITERS = {",": ",", ";": ";", "tab": "\t"}


def settle_file_options(options: Any) -> None:
    """Give an export's options the current language when they name none, and refuse an
    unknown format or delimiter (order and customer exports alike)."""
    options.language = (options.language or translation.get_language()
                        or settings.LANGUAGE_CODE)
    if options.format not in FORMATS:
        raise OrderWorkflowError(_("Unknown export format “%(format)s”.")
                                 % {"format": options.format})
    if options.delimiter not in DELIMITERS:
        raise OrderWorkflowError(_("Unknown delimiter."))

#: A spreadsheet reads a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Types written as they are (CSV: by the csv module's ``str()``; XLSX: natively).
_NATIVE = (int, float, Decimal, date, bool)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _converters(on_datetime: Callable[[datetime], Any]
                ) -> tuple[dict[type, Any], Callable[[Any], Any]]:
    """A type → converter table (None: the value as it is) and the converter for other types:
    text is neutralised, datetimes go through ``on_datetime``."""
    table: dict[type, Any] = dict.fromkeys(_NATIVE)
    table.update({str: neutralise, datetime: on_datetime})

    def other(value: Any) -> Any:  # subclasses of the above, and anything else
        if isinstance(value, datetime):
            return on_datetime(value)
        if isinstance(value, _NATIVE) and not isinstance(value, str):
            return value
        return neutralise(str(value))  # str subclasses, lazy translations...

    return table, other


def _local(tz: Any) -> Callable[[datetime], datetime]:
    def local(value: datetime) -> datetime:
        """The shop's wall-clock time: spreadsheets have no time zones."""
        return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value

    return local


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ",",
               bom: bool = False, batch: int = 200) -> Iterator[str]:
    """CSV text, ``batch`` rows a piece, ready for a ``StreamingHttpResponse`` or a file."""
    writerow = csv.writer(_Echo(), delimiter=delimiter).writerow
    local = _local(timezone.get_current_timezone())  # once, not once per cell
    table, other = _converters(lambda value: local(value).isoformat(" ", "seconds"))
    table[type(None)] = lambda value: ""
    convert = table.get
    if bom:
        yield "\ufeff"
    yield writerow([neutralise(str(h)) for h in header])
    pieces: list[str] = []
    for row in rows:
        pieces.append(writerow([value if (to := convert(type(value), other)) is None
                                else to(value) for value in row]))
        if len(pieces) == batch:
            yield "".join(pieces)
            pieces.clear()
    if pieces:
        yield "".join(pieces)


def write_csv(target: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              delimiter: str = ",", bom: bool = False) -> int:
    """Write CSV to a text file; returns the number of data rows."""
    count = 0

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal count
        for count, row in enumerate(rows, 1):  # noqa: B007 (read after the loop)
            yield row

    for chunk in csv_chunks(header, counted(), delimiter=delimiter, bom=bom):
        target.write(chunk)
    return count


CURRENCY_FORMATS = {"EUR": '#,##0.00 "€"', "USD": '"$"#,##0.00', "GBP": '"£"#,##0.00'}


def currency_format(currency: str) -> str:
    """An Excel number format showing the currency."""
    return CURRENCY_FORMATS.get(currency, f'#,##0.00 "{currency}"' if currency else "#,##0.00")


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
    workbook = Workbook(write_only=True)
    written = 0
    bold = Font(bold=True)
    # Datetimes need no cell object: openpyxl gives them its own date format.
    table, other = _converters(_local(timezone.get_current_timezone()))
    table[type(None)] = None
    convert = table.get
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        header_cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=neutralise(str(name)))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        styles: dict[str, Any] = {}

        def money(value: Money, sheet: Any = sheet, styles: dict[str, Any] = styles) -> Any:
            # Only cells that need a number format become cell objects (plain values are
            # appended as they are, which keeps write-only mode fast); each currency's style
            # is built once and copied into its cells.
            style = styles.get(value.currency)
            if style is None:
                prototype = WriteOnlyCell(sheet)
                prototype.number_format = currency_format(value.currency)
                style = styles[value.currency] = prototype._style  # openpyxl's StyleArray
            return Cell(sheet, 1, 1, value.amount, style)

        table[Money] = money
        append = sheet.append
        for row in rows:
            append([value if (to := convert(type(value), other)) is None else to(value)
                    for value in row])
            written += 1
    workbook.save(target)
    return written


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """The workbook as bytes (small exports)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()
