"""Planning an order import (the dry run): read the file, look up what exists, count and
report what committing would do. Nothing here writes.

Orders are keyed on (source, platform order number), so importing a file twice creates nothing
the second time.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO, TypeVar

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.core.loading import get_model

from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.services.batches import forget_queries
from oscar_orders_ext.services.customers import accounts_by_email

from .cells import RowProblem
from .formats import (EditedRow, FormatReader, ImportedOrder, ReadResult, RowError,
                      detect_format)
from .normalising import order_problems
from .roundtrip import ROUND_TRIP_FIELDS, FieldChange, OrderUpdate, RoundTripContext
from .sources import ImportFileError, SourceTable, read_table
from .staging import OrderSpool, PlanIndex

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

#: Values per ``IN (…)`` (SQLite allows 32,766 parameters).
LOOKUP_CHUNK = 900
#: Unknown SKUs named in the plan's warning; the rest are counted.
SKUS_LISTED = 20
#: Orders the dry run checks against the database at a time (and holds in memory).
PLAN_CHUNK = 10_000

#: Told how many rows the dry run has read and which fraction of the file that is.
PlanProgress = Callable[[int, float], None]

T = TypeVar("T")


class ImportRefused(Exception):
    """The plan has row errors: committing would import part of the file, so nothing is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportCancelled(ImportRefused):
    """The import was cancelled while it ran: its transaction was rolled back."""


@dataclass
class ImportCounts:
    """What committing the plan would do."""

    orders_to_create: int = 0
    orders_already_imported: int = 0
    customers_to_create: int = 0
    customers_to_update: int = 0
    lines_to_create: int = 0
    lines_matched_to_products: int = 0
    lines_without_product: int = 0
    #: Round trip (our own export): existing orders the file changes, and those it leaves.
    orders_to_update: int = 0
    orders_unchanged: int = 0


@dataclass
class ImportPlan:
    """The dry run: the orders read, the row errors, warnings and counts. Nothing is written.

    ``orders`` is a list, or (from ``plan_import``) an ``OrderSpool``: the orders kept on disk
    and read back one by one.
    """

    filename: str
    reader: FormatReader
    orders: Collection[ImportedOrder]
    rows: int
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: ImportCounts = field(default_factory=ImportCounts)
    encoding: str = ""
    delimiter: str = ""
    #: Round trip: the rows of our own export, and the changes they make to existing orders.
    edits: list[EditedRow] = field(default_factory=list)
    updates: list[OrderUpdate] = field(default_factory=list)

    @property
    def source(self) -> str:
        return self.reader.source

    @property
    def can_commit(self) -> bool:
        return not self.errors

    @property
    def customers_to_email(self) -> int:
        """Round trip: customers a commit would email by default (state changes that notify,
        not predicted to be refused)."""
        return sum(1 for update in self.updates
                   if any(c.emails and not c.refusal for c in update.changes))

    @property
    def actionable(self) -> int:
        """Orders committing would create or change."""
        return self.counts.orders_to_create + self.counts.orders_to_update


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk phase.

    An import holds millions of live objects (rows, orders, cells) and allocates millions more;
    every automatic full collection walks all of them again, for no garbage: reference counting
    frees the rows. Collection resumes (and catches up) when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def resumed_gc() -> Iterator[None]:
    """Let the collector run again inside ``paused_gc``, for a phase that holds few objects
    but makes reference cycles (their garbage would otherwise pile up until the end)."""
    paused = not gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if paused:
            gc.disable()


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Successive lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- lookups: everything the plan needs from the database, a few queries per 900 values ------


def value_chunks(values: Iterable[Any], sql_type: str = "text") -> Iterator[Any]:
    """What to pass to ``__in`` lookups for these strings (or values of ``sql_type``): on
    PostgreSQL one array for all of them (``IN (SELECT unnest(array))``: one query, no limit on
    parameters), elsewhere lists of LOOKUP_CHUNK values (SQLite allows 32,766 parameters)."""
    if connection.vendor == "postgresql":
        values = list(values)
        if values:
            yield RawSQL(f"SELECT unnest(%s::{sql_type}[])", [values])
        return
    yield from chunks(values, LOOKUP_CHUNK)


@dataclass
class Lookups:
    """Existing orders, customers, products and countries the file refers to."""

    #: platform number → order number already imported from this source
    imported: dict[str, str]
    #: order numbers taken by orders of other sources
    taken_numbers: set[str]
    #: lower-cased email → user
    customers: dict[str, Any]
    #: SKU → stock record (with product and partner)
    stockrecords: dict[str, Any]

    @classmethod
    def load(cls, reader: FormatReader, orders: Sequence[ImportedOrder]) -> Lookups:
        """Load, in bulk, what already exists for these orders."""
        numbers = {order.number for order in orders}
        candidates = numbers | {prefixed_number(reader, number) for number in numbers}
        imported: dict[str, str] = {}
        taken: set[str] = set()
        for chunk in value_chunks(candidates):
            # By number only (its index), then the source: filtering on the source too makes
            # PostgreSQL walk every order of that source for each chunk.
            found = OrderProcess.objects.filter(number__in=chunk).values_list("number", "source")
            for number, source in found:
                if source == reader.source:
                    imported[unprefixed_number(reader, number)] = number
            taken.update(Order.objects.filter(number__in=chunk).values_list("number", flat=True))
        taken -= set(imported.values())
        emails = {order.email for order in orders if order.email}
        customers: dict[str, Any] = {}
        for chunk in value_chunks(emails):
            customers.update(accounts_by_email(chunk))
        skus = {line.sku for order in orders for line in order.lines if line.sku}
        stockrecords: dict[str, Any] = {}
        for chunk in value_chunks(skus):
            records = StockRecord.objects.filter(partner_sku__in=chunk).select_related(
                "product", "partner").order_by("pk")
            for record in records:
                stockrecords.setdefault(record.partner_sku, record)
        return cls(imported=imported, taken_numbers=taken, customers=customers,
                   stockrecords=stockrecords)

    @classmethod
    def empty(cls) -> Lookups:
        """Lookups of no order."""
        return cls(imported={}, taken_numbers=set(), customers={}, stockrecords={})


def prefixed_number(reader: FormatReader, number: str) -> str:
    """The order number used when the platform's number is taken by another order."""
    return f"{reader.name}-{number}"


def unprefixed_number(reader: FormatReader, number: str) -> str:
    """The platform's number of an order number we wrote."""
    return number.removeprefix(f"{reader.name}-")


def _customer_needs_update(user: Any, order: ImportedOrder) -> bool:
    return bool((not user.first_name and order.first_name) or
                (not user.last_name and order.last_name))


# --- the dry run ---------------------------------------------------------------------------------


def format_for(headers: Sequence[str]) -> FormatReader:
    """The reader for a file with these (normalised) headers, or ImportFileError."""
    reader = detect_format(headers)
    if reader is None:
        raise ImportFileError(
            _("The columns of this file match no known export (Shopify, WooCommerce, Etsy, or "
              "this shop's own export with a Number column and a State, Tags or Operator "
              "column)."))
    missing = reader.missing_columns(headers)
    if missing:
        raise ImportFileError(
            _("The %(format)s file lacks required columns: %(columns)s.")
            % {"format": reader.label, "columns": ", ".join(f"“{column}”" for column in missing)})
    return reader


def read_orders(file_bytes: bytes, filename: str) -> ImportPlan:
    """Decode and parse the file into an ImportPlan without looking at the database."""
    table = read_table(file_bytes, filename)
    reader = format_for(table.headers)
    result = reader.read(table)
    errors = result.errors + unstorable_values(reader, result.orders)
    return ImportPlan(filename=filename, reader=reader, orders=result.orders,
                      rows=len(table.rows), errors=sorted(errors, key=_error_order),
                      warnings=table.warnings + result.warnings, encoding=table.encoding,
                      delimiter=table.delimiter, edits=result.edits)


def unstorable_values(reader: FormatReader, orders: Sequence[ImportedOrder], *,
                      index: PlanIndex | None = None) -> list[RowError]:
    """Row errors for values the columns cannot hold and for order numbers the file repeats
    (Shopify's "#1001" and "1001" are one order number); ``index`` remembers the numbers of
    earlier chunks of the file."""
    errors: list[RowError] = []
    first_rows: dict[str, int] = {}
    if index is not None:
        first_rows = index.first_rows(
            (order.number, order.rows[0] if order.rows else 0) for order in orders)
    for order in orders:
        errors.extend(order_problems(order, reader.name))
        row = order.rows[0] if order.rows else 0
        first = first_rows.setdefault(order.number, row)
        if first != row:
            errors.append(RowError(row, "number", _(
                "Order number “%(number)s” appears again: it was first read in row %(row)d.")
                % {"number": order.number[:64], "row": first}))
    return errors


def _error_order(error: RowError) -> tuple[int, str]:
    return error.row, error.column


def plan_import(data: bytes | BinaryIO, filename: str, *,
                progress: PlanProgress | None = None) -> ImportPlan:
    """The dry run: what importing the file would create or update, its errors and warnings.

    ``data`` is the file's bytes or a binary file (read as a stream: a CSV is never held in
    memory). The orders read are kept on disk (``plan.orders`` is an ``OrderSpool``), and
    checked against the database PLAN_CHUNK at a time; ``progress`` is told the rows read.
    """
    with paused_gc():
        return _plan_import(data, filename, progress)


def _plan_import(data: bytes | BinaryIO, filename: str,
                 progress: PlanProgress | None) -> ImportPlan:
    table = read_table(data, filename)
    reader = format_for(table.headers)
    if reader.edits_orders:
        result = reader.read(table)
        plan = ImportPlan(filename=filename, reader=reader, orders=[], rows=len(table.rows),
                          errors=sorted(result.errors, key=_error_order),
                          warnings=table.warnings + result.warnings, encoding=table.encoding,
                          delimiter=table.delimiter, edits=result.edits)
        _plan_edits(plan)
        return plan
    spool = OrderSpool()
    plan = ImportPlan(filename=filename, reader=reader, orders=spool, rows=0,
                      encoding=table.encoding, delimiter=table.delimiter)
    index = PlanIndex()
    try:
        _plan_orders(plan, table, spool, index, progress)
    except BaseException:
        spool.close()
        raise
    finally:
        index.close()
    return plan


def _plan_orders(plan: ImportPlan, table: SourceTable, spool: OrderSpool, index: PlanIndex,
                 progress: PlanProgress | None) -> None:
    """Read the orders chunk by chunk: check, look up, count, and spool them."""
    reader, counts = plan.reader, plan.counts
    result = ReadResult()
    errors: list[RowError] = []
    rows = 0
    for chunk in chunks(reader.iter_orders(table, result), PLAN_CHUNK):
        errors.extend(unstorable_values(reader, chunk, index=index))
        lookups = Lookups.load(reader, chunk)
        new_customers: set[str] = set()
        updated_customers: set[str] = set()
        unknown_skus: dict[str, None] = {}
        for order in chunk:
            rows += len(order.rows)
            if order.number in lookups.imported:
                counts.orders_already_imported += 1
                continue
            prefixed = prefixed_number(reader, order.number)
            if order.number in lookups.taken_numbers and prefixed in lookups.taken_numbers:
                # Both the platform's number and its prefixed form belong to other orders.
                errors.append(RowError(
                    order.rows[0] if order.rows else 0, "number",
                    _("Order numbers “%(number)s” and “%(prefixed)s” both belong to other "
                      "orders of the shop.") % {"number": order.number, "prefixed": prefixed}))
                continue
            counts.orders_to_create += 1
            counts.lines_to_create += len(order.lines)
            for line in order.lines:
                if line.sku and line.sku in lookups.stockrecords:
                    counts.lines_matched_to_products += 1
                else:
                    counts.lines_without_product += 1
                    if line.sku:
                        unknown_skus.setdefault(line.sku, None)
            if order.email:
                user = lookups.customers.get(order.email)
                if user is None:
                    new_customers.add(order.email)
                elif _customer_needs_update(user, order):
                    updated_customers.add(order.email)
        index.add("new_customers", new_customers)
        index.add("updated_customers", updated_customers)
        index.add("skus", unknown_skus)
        spool.extend(chunk)
        if progress is not None:
            progress(rows, table.fraction_read())
        forget_queries()
    plan.rows = len(table.rows) if isinstance(table.rows, list) else table.rows.count
    plan.errors = sorted(result.errors + errors, key=_error_order)
    plan.warnings = table.warnings + result.warnings
    counts.customers_to_create = index.count("new_customers")
    counts.customers_to_update = index.count("updated_customers")
    if counts.lines_without_product:
        listed = ", ".join(index.first_skus(SKUS_LISTED))
        more = index.count("skus") - SKUS_LISTED
        message = ngettext(
            "%(count)d line matches no product of the shop (unknown or missing SKU); it is "
            "imported with its title and price and has no stock effect.",
            "%(count)d lines match no product of the shop (unknown or missing SKU); they "
            "are imported with their title and price and have no stock effect.",
            counts.lines_without_product) % {"count": counts.lines_without_product}
        if listed:
            message += " " + _("Unknown SKUs: %(skus)s") % {"skus": listed}
            if more > 0:
                message += " " + _("and %(count)d more.") % {"count": more}
        plan.warnings.append(message)
    if counts.orders_already_imported:
        plan.warnings.append(
            _("%(count)d orders were imported before from %(source)s; they are left as they are.")
            % {"count": counts.orders_already_imported, "source": reader.label})


def _plan_edits(plan: ImportPlan) -> None:
    """Round trip: compare each row of our own export with its order, field by field."""
    context = RoundTripContext()
    present = set(plan.edits[0].cells) if plan.edits else set()
    fields = [entry for entry in ROUND_TRIP_FIELDS if entry.name in present]
    errors: list[RowError] = []
    for chunk in chunks(plan.edits, LOOKUP_CHUNK):
        processes = OrderProcess.objects.filter(
            number__in=[edit.number for edit in chunk]).select_related("order")
        by_number = {process.number: process for process in processes}
        for entry in fields:
            if entry.prefetch is not None:
                entry.prefetch(list(by_number.values()))
        for edit in chunk:
            process = by_number.get(edit.number)
            if process is None:
                errors.append(RowError(edit.row, "number", _("No order is numbered “%(number)s”.")
                                       % {"number": edit.number}))
                continue
            update = OrderUpdate(number=edit.number, order_id=process.order_id, row=edit.row,
                                 process=process)
            for entry in fields:
                try:
                    new = entry.parse(edit.cells[entry.name], context)
                except RowProblem as problem:
                    errors.append(RowError(edit.row, str(entry.label), problem.reason))
                    continue
                old = entry.current(process, context)
                if new == old:
                    continue
                update.changes.append(FieldChange(
                    field=entry.name, label=str(entry.label), old=old, new=new,
                    old_text=entry.show(old, context), new_text=entry.show(new, context),
                    refusal=entry.predict_refusal(process, new) if entry.predict_refusal
                    else "", emails=bool(entry.emails and entry.emails(process, new, None))))
            if update.changes:
                plan.updates.append(update)
                plan.counts.orders_to_update += 1
            else:
                plan.counts.orders_unchanged += 1
    plan.errors = sorted(plan.errors + errors, key=_error_order)
    emailed = plan.customers_to_email
    if emailed:
        plan.warnings.append(ngettext(
            "%(count)d customer would be emailed about their order's new state (the "
            "workflow's default; you can choose not to notify when you import).",
            "%(count)d customers would be emailed about their orders' new state (the "
            "workflow's default; you can choose not to notify when you import).", emailed)
            % {"count": emailed})
    refused = sum(1 for update in plan.updates if any(c.refusal for c in update.changes))
    if refused:
        plan.warnings.append(
            _("%(count)d orders have a state change the workflow does not allow; they will be "
              "reported as refused and left as they are.") % {"count": refused})
