"""What a dry run keeps on disk instead of in memory, so an import of any size runs in flat
memory: the orders it read (``OrderSpool``, JSON lines the commit streams back) and what it
must remember across the whole file (``PlanIndex``, a temporary SQLite database: numbers
already seen, customers counted, unknown SKUs); and what a commit adds to each customer's
aggregates (``CustomerTally``), summed on disk batch by batch.

The spool holds plain JSON values, never pickles: a job's spool is kept in Django storage
beside the uploaded file, and loading it must not run anything.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from .formats import ImportedAddress, ImportedLine, ImportedOrder

#: Version of the spool's line layout; a job whose spool has another is planned again.
SPOOL_VERSION = 1
_ADDRESS_FIELDS = ImportedAddress.__slots__
_AMOUNTS = ("total", "shipping", "discount", "tax")


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def order_to_json(order: ImportedOrder) -> list[Any]:
    """An order as a list of plain JSON values (see ``order_from_json``)."""
    return [
        order.source, order.number, order.placed_at.isoformat(), order.currency, order.state,
        order.payment_status, str(order.total), _decimal(order.subtotal), str(order.shipping),
        str(order.discount), order.discount_code, str(order.tax), order.payment_method,
        order.shipping_method, order.financial_status, order.fulfilment_status, order.email,
        order.first_name, order.last_name, order.phone,
        [getattr(order.billing, name) for name in _ADDRESS_FIELDS],
        [getattr(order.shipping_address, name) for name in _ADDRESS_FIELDS],
        order.notes, order.tags,
        [[line.title, line.quantity, str(line.unit_price), line.sku, line.row,
          _decimal(line.line_price)] for line in order.lines],
        order.rows,
    ]


def order_from_json(values: list[Any]) -> ImportedOrder:
    """The order ``order_to_json`` wrote."""
    (source, number, placed_at, currency, state, payment_status, total, subtotal, shipping,
     discount, discount_code, tax, payment_method, shipping_method, financial_status,
     fulfilment_status, email, first_name, last_name, phone, billing, shipping_address, notes,
     tags, lines, rows) = values
    return ImportedOrder(
        source=source, number=number, placed_at=datetime.fromisoformat(placed_at),
        currency=currency, state=state, payment_status=payment_status, total=Decimal(total),
        subtotal=None if subtotal is None else Decimal(subtotal), shipping=Decimal(shipping),
        discount=Decimal(discount), discount_code=discount_code, tax=Decimal(tax),
        payment_method=payment_method, shipping_method=shipping_method,
        financial_status=financial_status, fulfilment_status=fulfilment_status, email=email,
        first_name=first_name, last_name=last_name, phone=phone,
        billing=ImportedAddress(*billing), shipping_address=ImportedAddress(*shipping_address),
        notes=notes, tags=tags,
        lines=[ImportedLine(title=title, quantity=quantity, unit_price=Decimal(price), sku=sku,
                            row=row, line_price=None if line_price is None
                            else Decimal(line_price))
               for title, quantity, price, sku, row, line_price in lines],
        rows=rows)


class OrderSpool(Collection[ImportedOrder]):
    """The orders of a dry run, one JSON line each in a file: written once, read as often
    as needed, never all in memory."""

    def __init__(self, handle: IO[bytes] | None = None, count: int | None = None) -> None:
        self.handle: IO[bytes] = handle if handle is not None else tempfile.TemporaryFile(
            prefix="ooe-import-plan-")
        self.count = 0
        if count is not None:  # an existing spool (a job's, from storage)
            self.count = count
        else:
            self.handle.write(json.dumps({"version": SPOOL_VERSION}).encode() + b"\n")
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def extend(self, orders: Iterable[ImportedOrder]) -> None:
        """Append orders at the end of the spool."""
        dumps, write = self._dumps, self.handle.write
        self.handle.seek(0, os.SEEK_END)
        for order in orders:
            write(dumps(order_to_json(order)).encode())
            write(b"\n")
            self.count += 1

    def __iter__(self) -> Iterator[ImportedOrder]:
        self.handle.flush()
        self.handle.seek(0)
        header = json.loads(self.handle.readline() or b"{}")
        if header.get("version") != SPOOL_VERSION:
            raise ValueError("This dry run was stored by another version; plan it again.")
        loads = json.loads
        # readline, not iteration: Django's File iterates from its start again.
        for line in iter(self.handle.readline, b""):
            yield order_from_json(loads(line))

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> ImportedOrder:
        """The order at ``index`` (read through the spool: for checks, not for loops)."""
        if index < 0:
            index += self.count
        for position, order in enumerate(self):
            if position == index:
                return order
        raise IndexError(index)

    def __contains__(self, item: object) -> bool:
        return any(order == item for order in self)

    def copy_to(self, target: IO[bytes]) -> None:
        """Write the spool's bytes to ``target`` (to keep it with a job)."""
        self.handle.flush()
        self.handle.seek(0)
        while chunk := self.handle.read(1024 * 1024):
            target.write(chunk)

    def close(self) -> None:
        """Delete the spool's temporary file."""
        self.handle.close()

    def __del__(self) -> None:
        # A plan dropped without close() (the API hands plans out) still deletes its file.
        self.handle.close()


class _ScratchDatabase:
    """A temporary SQLite database of one import, deleted by ``close()``: fast and unsafe
    on purpose (no journal, no sync), as nothing in it outlives the import."""

    prefix = "ooe-import-"
    schema = ""

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix=self.prefix, suffix=".sqlite3")
        os.close(handle)
        self.db = sqlite3.connect(self.path)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                              "PRAGMA cache_size=-8000;" + self.schema)

    def close(self) -> None:
        """Delete the database."""
        self.db.close()
        os.unlink(self.path)


class PlanIndex(_ScratchDatabase):
    """What a dry run remembers across the whole file, in a temporary SQLite database:
    each order number's first row, the customers it would create or update, the unknown SKUs
    (in the order first met)."""

    prefix = "ooe-import-index-"
    schema = ("CREATE TABLE numbers (number TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID;"
              "CREATE TABLE new_customers (email TEXT PRIMARY KEY) WITHOUT ROWID;"
              "CREATE TABLE updated_customers (email TEXT PRIMARY KEY) WITHOUT ROWID;"
              "CREATE TABLE skus (sku TEXT UNIQUE);")

    def first_rows(self, numbers: Iterable[tuple[str, int]]) -> dict[str, int]:
        """Record (number, first row) pairs; return the first row of every number of them
        that was recorded before, in an earlier call."""
        pairs = list(numbers)
        known = dict(self.db.execute(
            "SELECT number, row FROM numbers WHERE number IN (SELECT value FROM json_each(?))",
            [json.dumps([number for number, _row in pairs])]))
        self.db.executemany("INSERT OR IGNORE INTO numbers VALUES (?, ?)", pairs)
        return known

    def add(self, table: str, values: Iterable[str]) -> None:
        """Remember values in ``table`` ("new_customers", "updated_customers", "skus")."""
        column = "sku" if table == "skus" else "email"
        self.db.executemany(f"INSERT OR IGNORE INTO {table} ({column}) VALUES (?)",  # noqa: S608
                            [(value,) for value in values])

    def count(self, table: str) -> int:
        """How many distinct values ``table`` holds."""
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608

    def first_skus(self, limit: int) -> list[str]:
        """The first ``limit`` unknown SKUs, in the order the file gives them."""
        return [sku for (sku,) in self.db.execute(
            "SELECT sku FROM skus ORDER BY rowid LIMIT ?", [limit])]


#: Microseconds since this instant: the customer tally keeps dates as exact integers.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class CustomerTally(_ScratchDatabase):
    """What the orders a commit wrote add to each customer (orders, value per currency, first
    and last date), summed in a temporary SQLite database as batches are written: a million
    orders of 300,000 customers are never held in memory as one dict of deltas."""

    prefix = "ooe-import-tally-"
    schema = ("CREATE TABLE tally (email TEXT, currency TEXT, count INTEGER, cents INTEGER,"
              " first INTEGER, last INTEGER, PRIMARY KEY (email, currency)) WITHOUT ROWID;")

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        """Add (email, currency, orders, total, first date, last date) rows."""
        self.db.executemany(
            "INSERT INTO tally VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email, currency) DO UPDATE"
            " SET count = count + excluded.count, cents = cents + excluded.cents,"
            " first = min(first, excluded.first), last = max(last, excluded.last)",
            [(email, currency, count, int((Decimal(total or 0) * 100).to_integral_value()),
              (first - _EPOCH) // _MICROSECOND, (last - _EPOCH) // _MICROSECOND)
             for email, currency, count, total, first, last in rows])

    def customers(self) -> Iterator[tuple[str, list[tuple[str, int, Decimal, datetime,
                                                              datetime]]]]:
        """Each customer's email and rows (currency, orders, total, first, last), by email."""
        email: str | None = None
        rows: list[tuple[str, int, Decimal, datetime, datetime]] = []
        for key, currency, count, cents, first, last in self.db.execute(
                "SELECT email, currency, count, cents, first, last FROM tally "
                "ORDER BY email, currency"):
            if key != email:
                if email is not None:
                    yield email, rows
                email, rows = key, []
            rows.append((currency, count, Decimal(cents).scaleb(-2),
                         _EPOCH + first * _MICROSECOND, _EPOCH + last * _MICROSECOND))
        if email is not None:
            yield email, rows
