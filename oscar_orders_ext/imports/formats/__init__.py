"""One reader per foreign format, and detection of the format from a file's headers."""

from __future__ import annotations

from collections.abc import Iterable

from oscar_orders_ext.imports.sources import normalise_header

from .base import (EditedRow, FormatReader, ImportedAddress, ImportedLine, ImportedOrder,
                   ReadResult, RowError)
from .etsy import EtsyReader
from .native import NativeReader
from .shopify import ShopifyReader
from .woocommerce import WooCommerceReader

#: Tried in this order; the first whose signature matches reads the file.
READERS: tuple[FormatReader, ...] = (ShopifyReader(), WooCommerceReader(), EtsyReader(),
                                     NativeReader())


def detect_format(headers: Iterable[str]) -> FormatReader | None:
    """The reader whose signature headers are all present (headers are normalised first)."""
    present = {normalise_header(header) for header in headers}
    return next((reader for reader in READERS if reader.matches(present)), None)


def reader_named(name: str) -> FormatReader:
    """The reader called ``name`` ("shopify", "woocommerce", "etsy", "native")."""
    return next(reader for reader in READERS if reader.name == name)


__all__ = ["READERS", "EditedRow", "FormatReader", "ImportedAddress", "ImportedLine",
           "ImportedOrder", "ReadResult", "RowError", "detect_format", "reader_named"]
