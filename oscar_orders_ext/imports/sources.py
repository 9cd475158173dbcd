"""Reading an uploaded order file (CSV or XLSX) into a table of named columns.

Everything about bytes lives here: the size limit, the file type, the BOM, the encoding, the
delimiter, line endings and quoted fields spanning several lines, and the caps that keep a
hostile file from exhausting memory (declared uncompressed sizes and ratios of an XLSX archive,
checked before openpyxl inflates anything; rows and columns). Formats only see headers and rows
of strings.
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
from django.utils.translation import ngettext
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from oscar_orders_ext.conf import app_settings

CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
XLSX_EXTENSIONS = (".xlsx",)
DELIMITERS = (",", ";", "\t")
#: Members smaller than this are not held to the compression ratio (tiny XML compresses oddly).
RATIO_FLOOR = 1024 * 1024
#: Most members an XLSX archive may hold (a workbook has a few dozen).
MAX_MEMBERS = 10_000
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


def readable_in_request(data: bytes, filename: str) -> bool:
    """Whether a web request may read this file: a CSV, or an XLSX archive expanding to at most
    ``IMPORT_REQUEST_UNCOMPRESSED_BYTES`` (refuses zip bombs on the way)."""
    if file_kind(data, filename) != "xlsx":
        return True
    return uncompressed_size(data) <= int(app_settings.IMPORT_REQUEST_UNCOMPRESSED_BYTES)


def read_headers(data: bytes, filename: str) -> list[str]:
    """The normalised header row only: type, size and decoding are checked as by read_table,
    but the records are not parsed (a quick check of a file to be read in the background)."""
    if file_kind(data, filename) == "xlsx":
        workbook = _open_xlsx(data, int(app_settings.IMPORT_REQUEST_UNCOMPRESSED_BYTES))
        try:
            rows = _sheet_records(workbook.worksheets[0])
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


def uncompressed_size(data: bytes) -> int:
    """What an XLSX archive declares its members expand to, in bytes (nothing is inflated);
    refuses archives that cannot be opened, hold too many members, or compress a member more
    than ``IMPORT_MAX_COMPRESSION_RATIO`` times."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(
            _("The XLSX file cannot be opened: %(error)s") % {"error": error}) from error
    if len(members) > MAX_MEMBERS:
        raise ImportFileError(_("The XLSX file holds %(count)d parts; a workbook has far fewer.")
                              % {"count": len(members)})
    ratio = int(app_settings.IMPORT_MAX_COMPRESSION_RATIO)
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > ratio * max(
                member.compress_size, 1):
            raise ImportFileError(
                _("The XLSX file is compressed %(ratio)d times (more than %(limit)d): it looks "
                  "like a “zip bomb” and is not opened.")
                % {"ratio": member.file_size // max(member.compress_size, 1), "limit": ratio})
    return sum(member.file_size for member in members)


def check_archive(data: bytes, limit: int) -> None:
    """Refuse an XLSX archive that would expand to more than ``limit`` bytes (or is a bomb)."""
    size = uncompressed_size(data)
    if size > limit:
        raise ImportFileError(
            _("The XLSX file expands to %(size)s MB; at most %(limit)s MB are read.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)})


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _open_xlsx(data: bytes, limit: int) -> Any:
    """The workbook (read-only), after the archive's declared sizes were checked: zipfile never
    inflates a member beyond its declared size, so ``limit`` bounds what openpyxl reads."""
    check_archive(data, limit)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportFileError(
            _("The XLSX file cannot be opened: %(error)s") % {"error": error}) from error


def _sheet_records(sheet: Any) -> Iterator[list[str]]:
    """The sheet's rows as text, at most IMPORT_MAX_COLUMNS wide (a sheet declaring 16,384
    columns would otherwise pad every row to that width)."""
    width = int(app_settings.IMPORT_MAX_COLUMNS)
    declared = sheet.max_column if isinstance(sheet.max_column, int) else None
    max_col = min(declared, width) if declared else None
    return ([_cell_text(value) for value in row[:width]]
            for row in sheet.iter_rows(values_only=True, max_col=max_col))


def _read_xlsx(data: bytes) -> SourceTable:
    workbook = _open_xlsx(data, int(app_settings.IMPORT_MAX_UNCOMPRESSED_BYTES))
    try:
        table = _table_from_records(_sheet_records(workbook.worksheets[0]), kind="xlsx")
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
    max_columns = int(app_settings.IMPORT_MAX_COLUMNS)
    max_rows = int(app_settings.IMPORT_MAX_ROWS)
    if len(headers) > max_columns:
        raise ImportFileError(
            _("The file has %(count)d columns; at most %(limit)d are read.")
            % {"count": len(headers), "limit": max_columns})
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
        if len(rows) > max_rows:
            raise ImportFileError(ngettext(
                "The file has more than %(limit)d row; split it into smaller files.",
                "The file has more than %(limit)d rows; split it into smaller files.",
                max_rows) % {"limit": max_rows})
    return SourceTable(headers=headers, rows=rows, original_headers=original, kind=kind)
