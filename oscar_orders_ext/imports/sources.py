"""Reading an uploaded order file (CSV or XLSX) into a table of named columns.

Everything about bytes lives here: the size limit, the file type, the BOM, the encoding, the
delimiter, line endings and quoted fields spanning several lines, and the caps that keep a
hostile file from exhausting memory (declared uncompressed sizes and ratios of an XLSX archive,
checked before openpyxl inflates anything; rows and columns). Formats only see headers and rows
of strings.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

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
#: Bytes read at a time from a streamed file.
STREAM_CHUNK = 1024 * 1024
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
    """The decoded file: normalised headers, rows, and what was detected on the way.

    ``rows`` is a list, or for a CSV file read from disk a ``StreamedRows`` that reads the
    file again on each pass (a million-order file is never held in memory).
    """

    headers: list[str]
    rows: list[SourceRow] | StreamedRows
    original_headers: list[str] = field(default_factory=list)
    kind: str = "csv"
    encoding: str = ""
    delimiter: str = ""
    had_bom: bool = False
    warnings: list[str] = field(default_factory=list)

    def values(self, column: str) -> Iterator[str]:
        """The cells of one (normalised) column, row by row, without building the rows."""
        if isinstance(self.rows, StreamedRows):
            return self.rows.column(column)
        return (row.get(column) for row in self.rows)

    def fraction_read(self) -> float:
        """How much of the file the current pass has read, 0–1 (1 for rows in memory)."""
        return self.rows.fraction_read() if isinstance(self.rows, StreamedRows) else 1.0


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


def read_table(data: bytes | BinaryIO, filename: str) -> SourceTable:
    """Decode an uploaded CSV or XLSX file into a SourceTable, or raise ImportFileError.

    Bytes are read at once; a binary file (seekable) holding a CSV is streamed: its rows are
    read on each pass over ``rows`` and never all held (an XLSX is read into memory, within
    the caps of its archive).
    """
    if isinstance(data, bytes):
        return _read_xlsx(data) if file_kind(data, filename) == "xlsx" else _read_csv(data)
    data.seek(0, io.SEEK_END)
    size = data.tell()
    data.seek(0)
    check_size(size)
    head = data.read(STREAM_CHUNK)
    data.seek(0)
    if file_kind(head, filename, size=size) == "xlsx":
        return _read_xlsx(data.read())
    return _stream_csv(data, size)


def file_kind(data: bytes, filename: str, *, size: int | None = None) -> str:
    """"xlsx" or "csv", from the name and the bytes (or the first of them, when the file's
    ``size`` is given); refuses empty, oversized and other files."""
    check_size(len(data) if size is None else size)
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
    raise _undecodable()


def _undecodable() -> ImportFileError:
    return ImportFileError(
        _("The file could not be decoded as text (UTF-8, UTF-16 or Windows-1252). "
          "Save it as CSV (UTF-8) and upload it again."))


def detect_encoding(handle: BinaryIO) -> tuple[str, bool, bool]:
    """(encoding, had_bom, looks double-encoded) of a CSV file read chunk by chunk, with the
    rules of ``decode_text``: the whole file must decode."""
    handle.seek(0)
    start = handle.read(4)
    if start.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif start.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp1252", "latin-1")
    for encoding in encodings:
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        mojibake, first = False, True
        try:
            while chunk := handle.read(STREAM_CHUNK):
                text = decoder.decode(chunk)
                if "\x00" in text or (first and _looks_binary(text.lstrip("\ufeff"))):
                    raise _undecodable()
                first = False
                mojibake = mojibake or bool(_MOJIBAKE.search(text))
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        handle.seek(0)
        return encoding, encodings[0] != "utf-8", mojibake
    raise _undecodable()


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


def _header(records: Iterator[list[str]]) -> list[str]:
    """The first non-empty record (the header row), or ImportFileError."""
    for candidate in records:
        if any(cell.strip() for cell in candidate):
            return candidate
    raise ImportFileError(_("The file has no header row."))


def _normalised_headers(original: list[str]) -> list[str]:
    headers = [normalise_header(header) for header in original]
    max_columns = int(app_settings.IMPORT_MAX_COLUMNS)
    if len(headers) > max_columns:
        raise ImportFileError(
            _("The file has %(count)d columns; at most %(limit)d are read.")
            % {"count": len(headers), "limit": max_columns})
    return headers


def _rows(records: Iterator[list[str]], headers: list[str]) -> Iterator[SourceRow]:
    """The records after the header as rows, blank lines skipped, within IMPORT_MAX_ROWS."""
    max_rows = int(app_settings.IMPORT_MAX_ROWS)
    unnamed = "" in headers
    strip = str.strip
    count = 0
    # Row numbers as a spreadsheet shows them: the header is row 1 (blank lines skipped).
    for number, record in enumerate(records, start=2):
        cells = dict(zip(headers, map(strip, record), strict=False))
        if unnamed:
            cells.pop("", None)
        if not any(cells.values()) and not any(map(strip, record)):
            continue  # a blank line
        count += 1
        if count > max_rows:
            raise ImportFileError(ngettext(
                "The file has more than %(limit)d row; split it into smaller files.",
                "The file has more than %(limit)d rows; split it into smaller files.",
                max_rows) % {"limit": max_rows})
        yield SourceRow(number=number, cells=cells)


def _table_from_records(records: Iterator[list[str]], *, kind: str) -> SourceTable:
    original = _header(records)
    headers = _normalised_headers(original)
    return SourceTable(headers=headers, rows=list(_rows(records, headers)),
                       original_headers=original, kind=kind)


class StreamedRows:
    """The rows of a CSV file on disk, read again on each pass: never all in memory.

    ``count`` is the number of rows the last complete pass read.
    """

    def __init__(self, handle: BinaryIO, size: int, encoding: str, delimiter: str,
                 headers: list[str]) -> None:
        self.handle, self.size = handle, size
        self.encoding, self.delimiter, self.headers = encoding, delimiter, headers
        self.count = 0
        self._text: io.TextIOWrapper | None = None

    def _records(self) -> Generator[list[str], None, None]:
        """The file's records from its start (the header row included)."""
        self.handle.seek(0)
        text = io.TextIOWrapper(self.handle, encoding=self.encoding, newline="")
        self._text = text
        try:
            stripped = _strip_bom(text)
            yield from csv.reader(stripped, delimiter=self.delimiter)
        except csv.Error as error:
            raise ImportFileError(
                _("The CSV file is malformed: %(error)s") % {"error": error}) from error
        finally:
            self._text = None
            text.detach()  # the handle belongs to the caller

    def __iter__(self) -> Iterator[SourceRow]:
        records = self._records()
        _header(records)
        count = 0
        for row in _rows(records, self.headers):
            count += 1
            yield row
        self.count = count

    def __len__(self) -> int:
        return sum(1 for _row in self)

    def column(self, column: str) -> Iterator[str]:
        """One column's stripped cells, row by row (blank lines included, as empty cells)."""
        if column not in self.headers:
            return
        index = self.headers.index(column)
        records = self._records()
        _header(records)
        for record in records:
            yield record[index].strip() if index < len(record) else ""

    def fraction_read(self) -> float:
        """How far the current pass has read the file, 0–1."""
        text = self._text
        if text is None or not self.size:
            return 1.0
        try:
            return min(1.0, self.handle.tell() / self.size)
        except (OSError, ValueError):
            return 0.0


def _strip_bom(lines: Iterator[str]) -> Iterator[str]:
    first = True
    for line in lines:
        if first:
            line, first = line.lstrip("\ufeff"), False
        yield line


def _stream_csv(handle: BinaryIO, size: int) -> SourceTable:
    encoding, had_bom, mojibake = detect_encoding(handle)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        delimiter = sniff_delimiter(text.readline().lstrip("\ufeff"))
    finally:
        text.detach()
    rows = StreamedRows(handle, size, encoding, delimiter, [])
    records = rows._records()
    try:
        original = _header(records)
    finally:
        records.close()
    rows.headers = _normalised_headers(original)
    table = SourceTable(headers=rows.headers, rows=rows, original_headers=original, kind="csv",
                        encoding=encoding, delimiter=delimiter, had_bom=had_bom)
    if mojibake:
        table.warnings.append(
            _("Some text looks double-encoded (such as “Ã¶” for “ö”); it is imported as "
              "written in the file."))
    return table
