"""Reading an uploaded order file (CSV or XLSX) into a table of named columns.

Everything about bytes lives here: the size limit, the file type, the BOM, the encoding, the
delimiter, line endings and quoted fields spanning several lines. Formats only see headers and
rows of strings.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from oscar_orders_ext.conf import app_settings

CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
XLSX_EXTENSIONS = (".xlsx",)
DELIMITERS = (",", ";", "\t")
#: Text that only appears when UTF-8 was decoded as cp1252/latin-1 somewhere upstream.
_MOJIBAKE = re.compile("[\u00c3\u00c2][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u017d"
                       "\u017e\u0178\u20ac\u2122]")


class ImportFileError(Exception):
    """The file cannot be read at all; nothing was imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class SourceRow:
    """One record of the file: its row number as a spreadsheet shows it, and its cells."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """The stripped cell of a (normalised) column name, "" when absent."""
        return self.cells.get(column, "")


@dataclass
class SourceTable:
    """The decoded file: normalised headers, rows, and what was detected on the way."""

    headers: list[str]
    rows: list[SourceRow]
    original_headers: list[str] = field(default_factory=list)
    kind: str = "csv"
    encoding: str = ""
    delimiter: str = ""
    had_bom: bool = False
    warnings: list[str] = field(default_factory=list)


def normalise_header(header: str) -> str:
    """A header as formats match it: no BOM, trimmed, lower case, single spaces."""
    return " ".join(header.replace("\ufeff", "").strip().split()).casefold()


def check_size(size: int) -> None:
    """Refuse files larger than ``OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES``."""
    limit = int(app_settings.IMPORT_MAX_BYTES)
    if size > limit:
        raise ImportFileError(
            _("The file is too large (%(size)s bytes); the limit is %(limit)s bytes.")
            % {"size": size, "limit": limit})


def read_table(data: bytes, filename: str) -> SourceTable:
    """Decode an uploaded CSV or XLSX file into a SourceTable, or raise ImportFileError."""
    return _read_xlsx(data) if file_kind(data, filename) == "xlsx" else _read_csv(data)


def file_kind(data: bytes, filename: str) -> str:
    """"xlsx" or "csv", from the name and the bytes; refuses empty, oversized and other files."""
    check_size(len(data))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    lower = filename.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    if lower.endswith(XLSX_EXTENSIONS) or (is_zip and not lower.endswith(CSV_EXTENSIONS)):
        return "xlsx"
    check_type(filename)
    if is_zip:
        raise ImportFileError(_("This file is a ZIP archive, not a CSV file."))
    return "csv"


def check_type(filename: str) -> None:
    """Refuse names that are neither CSV nor XLSX (before reading anything)."""
    lower = filename.lower().rsplit("/", 1)[-1]
    if lower.endswith(CSV_EXTENSIONS + XLSX_EXTENSIONS) or "." not in lower:
        return
    raise ImportFileError(
        _("“%(name)s” is not a CSV or XLSX file.") % {"name": filename.rsplit("/", 1)[-1]})


def read_headers(data: bytes, filename: str) -> list[str]:
    """The normalised header row only: type, size and decoding are checked as by read_table,
    but the records are not parsed (a quick check of a file to be read in the background)."""
    if file_kind(data, filename) == "xlsx":
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError,
                ValueError) as error:
            raise ImportFileError(
                _("The XLSX file cannot be opened: %(error)s") % {"error": error}) from error
        try:
            rows = ([_cell_text(value) for value in row]
                    for row in workbook.worksheets[0].iter_rows(values_only=True))
            header = next((row for row in rows if any(cell.strip() for cell in row)), None)
        finally:
            workbook.close()
    else:
        text = decode_text(data)[0].lstrip("\ufeff")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
        try:
            header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        except csv.Error as error:
            raise ImportFileError(
                _("The CSV file is malformed: %(error)s") % {"error": error}) from error
    if header is None:
        raise ImportFileError(_("The file has no header row."))
    return [normalise_header(cell) for cell in header]


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, had_bom): UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp1252", "latin-1")
    had_bom = encodings[0] != "utf-8"
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text or _looks_binary(text):
            break
        return text, encoding, had_bom
    raise ImportFileError(
        _("The file could not be decoded as text (UTF-8, UTF-16 or Windows-1252). "
          "Save it as CSV (UTF-8) and upload it again."))


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for char in sample if ord(char) < 32 and char not in "\t\r\n")
    return controls > max(2, len(sample) // 100)


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line among comma, semicolon and tab (comma on a tie)."""
    header_line = text.split("\n", 1)[0]
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> SourceTable:
    text, encoding, had_bom = decode_text(data)
    delimiter = sniff_delimiter(text.lstrip("\ufeff"))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    try:
        # Records become rows as they are read: the file is never held twice as lists.
        table = _table_from_records(reader, kind="csv")
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}) from error
    table.encoding, table.delimiter, table.had_bom = encoding, delimiter, had_bom
    if _MOJIBAKE.search(text):
        table.warnings.append(
            _("Some text looks double-encoded (such as “Ã¶” for “ö”); it is imported as "
              "written in the file."))
    return table


def _read_xlsx(data: bytes) -> SourceTable:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportFileError(
            _("The XLSX file cannot be opened: %(error)s") % {"error": error}) from error
    try:
        sheet = workbook.worksheets[0]
        records = ([_cell_text(value) for value in row]
                   for row in sheet.iter_rows(values_only=True))
        table = _table_from_records(records, kind="xlsx")
    finally:
        workbook.close()
    table.encoding = "xlsx"
    return table


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table_from_records(records: Iterator[list[str]], *, kind: str) -> SourceTable:
    original: list[str] | None = None
    for candidate in records:
        if any(cell.strip() for cell in candidate):
            original = candidate
            break
    if original is None:
        raise ImportFileError(_("The file has no header row."))
    headers = [normalise_header(header) for header in original]
    rows = []
    unnamed = "" in headers
    strip = str.strip
    # Row numbers as a spreadsheet shows them: the header is row 1 (blank lines skipped).
    for number, record in enumerate(records, start=2):
        cells = dict(zip(headers, map(strip, record), strict=False))
        if unnamed:
            cells.pop("", None)
        if not any(cells.values()) and not any(map(strip, record)):
            continue  # a blank line
        rows.append(SourceRow(number=number, cells=cells))
    return SourceTable(headers=headers, rows=rows, original_headers=original, kind=kind)
