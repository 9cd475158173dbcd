"""This shop's own export (CSV or XLSX) read back: the round trip.

Columns are the workspace column labels the exporter writes (``columns.COLUMNS``), in any
language of the shop (the exporting user's), in any order and any subset, as long as
``Number`` and at least one editable column (see ``imports/roundtrip.py``) are there. Orders
are identified by number; the other columns (totals, customer, products…) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oscar_orders_ext.columns import BY_KEY, COLUMNS
from oscar_orders_ext.i18n import in_every_language
from oscar_orders_ext.imports.roundtrip import fields_in, unneutralise
from oscar_orders_ext.imports.sources import SourceTable, normalise_header

from .base import EditedRow, FormatReader, ReadResult, RowError


def number_headers() -> set[str]:
    """The Number column's label, normalised, in every shop language."""
    return {normalise_header(label) for label in in_every_language([BY_KEY["number"].label])}


def column_headers() -> set[str]:
    """Every workspace column label, normalised, in every shop language."""
    return {normalise_header(label)
            for label in in_every_language(column.label for column in COLUMNS)}


class NativeReader(FormatReader):
    name = "native"
    label = gettext_lazy("this shop's export")
    edits_orders = True

    def matches(self, headers: Iterable[str]) -> bool:
        """A Number column and at least one editable column of our export."""
        present = set(headers)
        return bool(number_headers() & present) and bool(fields_in(present))

    def missing_columns(self, headers: Iterable[str]) -> list[str]:
        return [] if number_headers() & set(headers) else [str(BY_KEY["number"].label)]

    def read(self, table: SourceTable) -> ReadResult:
        """One EditedRow per row; a number given twice is an error on the second row."""
        result = ReadResult()
        number_column = next(h for h in table.headers if h in number_headers())
        fields = fields_in(table.headers)
        ignored = [original for original, header in zip(table.original_headers, table.headers,
                                                        strict=False)
                   if header and header != number_column and header not in fields.values()]
        if ignored:
            result.warnings.append(
                _("Only these columns are applied to existing orders: %(applied)s. "
                  "Ignored: %(ignored)s.") % {
                    "applied": ", ".join(sorted(fields)),
                    "ignored": ", ".join(str(name).strip() for name in ignored)})
        seen: dict[str, int] = {}
        for row in table.rows:
            number = unneutralise(row.get(number_column))
            if not number:
                result.errors.append(RowError(row.number, number_column,
                                              _("The order number is missing.")))
                continue
            if number in seen:
                result.errors.append(RowError(
                    row.number, number_column,
                    _("Order %(number)s is already on row %(row)d.")
                    % {"number": number, "row": seen[number]}))
                continue
            seen[number] = row.number
            result.edits.append(EditedRow(
                number=number, row=row.number,
                cells={name: unneutralise(row.get(header)) for name, header in fields.items()}))
        return result
