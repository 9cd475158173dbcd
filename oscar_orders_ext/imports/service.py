"""Planning (dry run) and committing an order import, with bulk queries only.

``plan_import`` reads the file and says what would happen without writing anything;
``commit_import`` writes the whole file in one transaction, or nothing. Orders are keyed on
(source, platform order number), so importing a file twice creates nothing the second time.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar

import phonenumbers
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.core.loading import get_model

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import StockStatus, TimelineKind
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.customers import (assign_usernames, fill_missing_names,
                                                 unsaved_customer)
from oscar_orders_ext.services.processes import ProcessSeed, bulk_attach_processes
from oscar_orders_ext.services.timeline import record
from oscar_orders_ext.workflow import get_workflow

from .formats import (EditedRow, FormatReader, ImportedAddress, ImportedOrder, RowError,
                      detect_format)
from .formats.base import RowProblem
from .roundtrip import (ROUND_TRIP_FIELDS, FieldChange, OrderUpdate, RoundTripContext,
                        field_named)
from .sources import ImportFileError, read_table

#: Called with the number of orders written so far.
Progress = Callable[[int], None]

BillingAddress = get_model("order", "BillingAddress")
Country = get_model("address", "Country")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
OrderDiscount = get_model("order", "OrderDiscount")
OrderNote = get_model("order", "OrderNote")
ShippingAddress = get_model("order", "ShippingAddress")
StockRecord = get_model("partner", "StockRecord")

#: Rows per bulk insert, and values per ``IN (…)`` (SQLite allows 32,766 parameters).
BATCH_SIZE = 2000
LOOKUP_CHUNK = 900
#: Unknown SKUs named in the plan's warning; the rest are counted.
SKUS_LISTED = 20

T = TypeVar("T")


class ImportRefused(Exception):
    """The plan has row errors: committing would import part of the file, so nothing is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    """The dry run: the orders read, the row errors, warnings and counts. Nothing is written."""

    filename: str
    reader: FormatReader
    orders: list[ImportedOrder]
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


@dataclass
class ImportResult:
    """What committing wrote."""

    orders_created: int = 0
    orders_already_imported: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    lines_created: int = 0
    order_ids: list[int] = field(default_factory=list)
    #: Round trip: orders changed, and the ones refused ({"number", "row", "field", "message"}).
    orders_updated: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)


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


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Successive lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- lookups: everything the plan needs from the database, a few queries per 900 values ------

def value_chunks(values: Iterable[str]) -> Iterator[Any]:
    """What to pass to ``__in`` lookups for these strings: on PostgreSQL one array for all of
    them (``IN (SELECT unnest(array))``: one query, no limit on parameters), elsewhere lists of
    LOOKUP_CHUNK values (SQLite allows 32,766 parameters)."""
    if connection.vendor == "postgresql":
        values = list(values)
        if values:
            yield RawSQL("SELECT unnest(%s::text[])", [values])
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
            users = get_user_model().objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=chunk).order_by("-is_active", "pk")
            for user in users:
                customers.setdefault(user.email_lower, user)
        skus = {line.sku for order in orders for line in order.lines if line.sku}
        stockrecords: dict[str, Any] = {}
        for chunk in value_chunks(skus):
            records = StockRecord.objects.filter(partner_sku__in=chunk).select_related(
                "product", "partner").order_by("pk")
            for record in records:
                stockrecords.setdefault(record.partner_sku, record)
        return cls(imported=imported, taken_numbers=taken, customers=customers,
                   stockrecords=stockrecords)


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
    return ImportPlan(filename=filename, reader=reader, orders=result.orders,
                      rows=len(table.rows), errors=sorted(result.errors, key=_error_order),
                      warnings=table.warnings + result.warnings, encoding=table.encoding,
                      delimiter=table.delimiter, edits=result.edits)


def _error_order(error: RowError) -> tuple[int, str]:
    return error.row, error.column


def plan_import(file_bytes: bytes, filename: str) -> ImportPlan:
    """The dry run: what importing the file would create or update, its errors and warnings."""
    with paused_gc():
        return _plan_import(file_bytes, filename)


def _plan_import(file_bytes: bytes, filename: str) -> ImportPlan:
    plan = read_orders(file_bytes, filename)
    if plan.reader.edits_orders:
        _plan_edits(plan)
        return plan
    lookups = Lookups.load(plan.reader, plan.orders)
    counts = plan.counts
    new_customers: set[str] = set()
    updated_customers: set[str] = set()
    unknown_skus: dict[str, None] = {}
    collisions: list[RowError] = []
    for order in plan.orders:
        if order.number in lookups.imported:
            counts.orders_already_imported += 1
            continue
        prefixed = prefixed_number(plan.reader, order.number)
        if order.number in lookups.taken_numbers and prefixed in lookups.taken_numbers:
            # Both the platform's number and its prefixed form belong to other orders.
            collisions.append(RowError(
                order.rows[0] if order.rows else 0, "number",
                _("Order numbers “%(number)s” and “%(prefixed)s” both belong to other orders "
                  "of the shop.") % {"number": order.number, "prefixed": prefixed}))
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
    if collisions:
        plan.errors = sorted(plan.errors + collisions, key=_error_order)
    counts.customers_to_create = len(new_customers)
    counts.customers_to_update = len(updated_customers)
    if counts.lines_without_product:
        listed = ", ".join(list(unknown_skus)[:SKUS_LISTED])
        more = len(unknown_skus) - SKUS_LISTED
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
            % {"count": counts.orders_already_imported, "source": plan.reader.label})
    return plan


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


def apply_updates(plan: ImportPlan, *, user: Any = None, progress: Progress | None = None,
                  notify: bool | None = None) -> ImportResult:
    """Round trip: apply each order's changes through the services, one savepoint per order.

    An order whose change is refused (the state machine, a permission, a condition) keeps all
    its fields and is reported; the other orders are applied. That is the one exception to
    "all or nothing": a merchant's spreadsheet edits are independent orders.
    """
    result = ImportResult()
    note = _("From the file %(file)s") % {"file": plan.filename}
    with transaction.atomic():
        for index, update in enumerate(plan.updates, start=1):
            change: FieldChange | None = None
            try:
                with transaction.atomic():
                    process = update.process or OrderProcess.objects.get(
                        order_id=update.order_id)
                    for change in update.changes:
                        entry = field_named(change.field)
                        # ``notify`` (None: the workflow's default) for fields that can email.
                        options = {"notify": notify} if entry.emails else {}
                        entry.apply(process, change.new, user, note, **options)
                    record(update.order_id, TimelineKind.IMPORT, actor=user,
                           data={"file": plan.filename, "source": plan.source,
                                 "format": plan.reader.name,
                                 "updated": [c.field for c in update.changes]})
            except OrderWorkflowError as error:
                result.refusals.append({
                    "number": update.number, "row": update.row,
                    "field": change.label if change else "", "message": error.message})
            else:
                result.orders_updated += 1
                result.order_ids.append(update.order_id)
            if progress is not None and (index % 100 == 0 or index == len(plan.updates)):
                progress(index)
    return result


# --- committing ---------------------------------------------------------------------------------

class CountryResolver:
    """Country rows for codes or English names, created when missing (one query up front)."""

    def __init__(self) -> None:
        self.by_code: dict[str, Any] = {country.iso_3166_1_a2: country
                                        for country in Country.objects.all()}
        self.by_name: dict[str, str] = {}
        for country in self.by_code.values():
            for name in (country.printable_name, country.name):
                if name:
                    self.by_name[name.casefold()] = country.iso_3166_1_a2
        self._territories = _territory_names()
        for code, name in self._territories.items():
            self.by_name.setdefault(name.casefold(), code)
        self.by_name.update({"united states of america": "US", "usa": "US", "uk": "GB",
                             "great britain": "GB", "england": "GB"})

    def __call__(self, value: str) -> Any | None:
        """The Country for a code ("CA") or a name ("United States"), None when unknown."""
        text = value.strip()
        if not text:
            return None
        code = text.upper() if len(text) == 2 and text.isalpha() else \
            self.by_name.get(text.casefold())
        if code is None:
            return None
        if code not in self.by_code:
            name = self._territories.get(code, code)
            country = Country(iso_3166_1_a2=code, printable_name=name, name=name,
                              is_shipping_country=False)
            country.save()
            self.by_code[code] = country
        return self.by_code[code]


def _territory_names() -> dict[str, str]:
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - Oscar depends on Babel
        return {}
    return {code: name for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha()}


def _phone(raw: str, country: Any | None) -> str:
    """A valid phone number in E.164, or "" (Oscar's field refuses what it cannot parse)."""
    if not raw:
        return ""
    return _phone_in_region(raw, country.iso_3166_1_a2 if country is not None else None)


@lru_cache(maxsize=4096)
def _phone_in_region(raw: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def address_values(address: ImportedAddress, countries: CountryResolver, *,
                   with_phone: bool) -> dict[str, Any] | None:
    """The field values of an order address, or None when the file gives no usable address."""
    country = countries(address.country)
    if country is None or not (address.line1 or address.city or address.name):
        return None
    values = {
        "first_name": address.first_name[:255], "last_name": address.last_name[:255],
        "line1": address.line1[:255], "line2": address.line2[:255],
        "line3": address.company[:255], "line4": address.city[:255],
        "state": address.state[:255], "postcode": address.postcode[:64], "country": country}
    if with_phone:
        values["phone_number"] = _phone(address.phone, country)
    return values


def order_address_values(imported: ImportedOrder, countries: CountryResolver
                         ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(shipping, billing) address values; the order's phone when the shipping one has none."""
    shipping = address_values(imported.shipping_address, countries, with_phone=True)
    billing = address_values(imported.billing, countries, with_phone=False)
    if shipping is not None and not shipping["phone_number"] and imported.phone:
        shipping["phone_number"] = _phone(imported.phone, shipping["country"])
    return shipping, billing


def _address(model: Any, values: dict[str, Any] | None) -> Any | None:
    if values is None:
        return None
    instance = model(**values)
    instance._update_search_text()  # what Address.save() does
    return instance


class CustomerWriter:
    """Creates customers by email (no usable password) and fills in missing names."""

    def __init__(self, existing: dict[str, Any]) -> None:
        self.User = get_user_model()
        self.customers = dict(existing)
        self.created = 0
        self.updated = 0

    def prepare(self, orders: Sequence[ImportedOrder]) -> None:
        """Create the batch's new customers and update the names of existing ones, in bulk."""
        new: dict[str, Any] = {}
        changed: dict[int, Any] = {}
        for order in orders:
            if not order.email:
                continue
            user = self.customers.get(order.email) or new.get(order.email)
            if user is None:
                new[order.email] = unsaved_customer(order.email, order.first_name,
                                                    order.last_name)
            elif fill_missing_names(user, order.first_name, order.last_name) and user.pk:
                # A customer new in this batch gets the names before it is inserted; so the
                # result does not depend on where batches start.
                changed[user.pk] = user
        if new:
            assign_usernames(list(new.values()))
            self.customers.update(self.insert(new))
            self.created += len(new)
        if changed:
            self.User.objects.bulk_update(list(changed.values()), ["first_name", "last_name"])
            self.updated += len(changed)

    def insert(self, new: dict[str, Any]) -> dict[str, Any]:
        """Save the new customers (by email); returns them with their primary keys."""
        self.User.objects.bulk_create(list(new.values()), batch_size=BATCH_SIZE)
        if any(user.pk is None for user in new.values()):  # databases without RETURNING
            saved = self.User.objects.filter(email__in=list(new))
            by_email = {user.email: user for user in saved}
            new = {email: by_email[email] for email in new}
        return new


class TagResolver:
    """Tag rows by name, created when missing."""

    def __init__(self) -> None:
        self.tags: dict[str, Tag] = {}

    def prepare(self, names: set[str]) -> None:
        """Load or create the named tags."""
        missing = names - set(self.tags)
        if not missing:
            return
        for chunk in chunks(missing, LOOKUP_CHUNK):
            self.tags.update((tag.name, tag) for tag in Tag.objects.filter(name__in=chunk))
        to_create = [Tag(name=name) for name in missing if name not in self.tags]
        if to_create:
            Tag.objects.bulk_create(to_create, ignore_conflicts=True)
            for chunk in chunks([tag.name for tag in to_create], LOOKUP_CHUNK):
                self.tags.update((tag.name, tag) for tag in Tag.objects.filter(name__in=chunk))

    def __call__(self, names: Iterable[str]) -> list[Tag]:
        return [self.tags[name] for name in names if name in self.tags]


def commit_import(plan: ImportPlan, *, user: Any = None,
                  progress: Progress | None = None) -> ImportResult:
    """Write every new order of the plan in one transaction; refuse plans with row errors.

    Our own export (round trip) applies its changes per order instead: see apply_updates.
    """
    if plan.errors:
        raise ImportRefused(
            _("The file has %(count)d row errors; fix them and import it again. "
              "Nothing was imported.") % {"count": len(plan.errors)})
    if plan.reader.edits_orders:
        return apply_updates(plan, user=user, progress=progress)
    result = ImportResult()
    with paused_gc(), transaction.atomic():
        lookups = Lookups.load(plan.reader, plan.orders)
        new_orders = [order for order in plan.orders if order.number not in lookups.imported]
        result.orders_already_imported = len(plan.orders) - len(new_orders)
        writer = writer_class()(plan, lookups, user=user)
        for batch in chunks(new_orders, writer.batch_size or BATCH_SIZE):
            writer.write(batch)
            if progress is not None:
                progress(writer.orders_created)
        result.orders_created = writer.orders_created
        result.lines_created = writer.lines_created
        result.order_ids = writer.order_ids
        result.customers_created = writer.customers.created
        result.customers_updated = writer.customers.updated
    return result


def writer_class() -> type[_OrderWriter]:
    """The COPY writer on PostgreSQL (unless IMPORT_USE_COPY is off), else the ORM writer."""
    if connection.vendor == "postgresql" and app_settings.IMPORT_USE_COPY:
        from .pgcopy import CopyOrderWriter

        return CopyOrderWriter
    return _OrderWriter


class _OrderWriter:
    """Writes batches of orders with everything attached, using bulk inserts."""

    #: Orders per batch; None: the module's BATCH_SIZE.
    batch_size: int | None = None

    def __init__(self, plan: ImportPlan, lookups: Lookups, *, user: Any) -> None:
        from django.contrib.sites.models import Site

        self.plan = plan
        self.lookups = lookups
        self.user = user
        self.workflow = get_workflow()
        self.countries = CountryResolver()
        self.customers = self.customer_writer(lookups.customers)
        self.tags = TagResolver()
        try:
            self.site = Site.objects.get_current()
        except Site.DoesNotExist:
            self.site = None
        self.now = timezone.now()
        self._statuses: dict[str, str] = {}
        self.orders_created = 0
        self.lines_created = 0
        self.order_ids: list[int] = []

    def customer_writer(self, existing: dict[str, Any]) -> CustomerWriter:
        """The writer of the import's new customers."""
        return CustomerWriter(existing)

    def write(self, batch: list[ImportedOrder]) -> None:
        """Insert one batch: customers, addresses, orders, lines, discounts, notes, processes."""
        self.customers.prepare(batch)
        self.tags.prepare({tag for order in batch for tag in order.tags})
        shipping_addresses: list[Any] = []
        billing_addresses: list[Any] = []
        orders = []
        for imported in batch:
            shipping, billing = order_address_values(imported, self.countries)
            shipping_addresses.append(_address(ShippingAddress, shipping))
            billing_addresses.append(_address(BillingAddress, billing))
            orders.append(Order(**self.order_values(imported)))
        ShippingAddress.objects.bulk_create([a for a in shipping_addresses if a is not None])
        BillingAddress.objects.bulk_create([a for a in billing_addresses if a is not None])
        for order, shipping, billing in zip(orders, shipping_addresses, billing_addresses,
                                            strict=True):
            order.shipping_address, order.billing_address = shipping, billing
        Order.objects.bulk_create(orders, batch_size=BATCH_SIZE)
        lines, discounts, notes, entries = [], [], [], []
        for order, imported in zip(orders, batch, strict=True):
            lines.extend(Line(order=order, **values)
                         for values in self.line_values(imported, order.status))
            if imported.discount:
                discounts.append(OrderDiscount(order=order, **self.discount_values(imported)))
            if imported.notes:
                notes.append(OrderNote(order=order, **self.note_values(imported)))
            entries.append(TimelineEntry(
                order=order, kind=TimelineKind.IMPORT, actor=self.user, created_at=self.now,
                data=self.entry_data(imported)))
        Line.objects.bulk_create(lines, batch_size=BATCH_SIZE)
        OrderDiscount.objects.bulk_create(discounts, batch_size=BATCH_SIZE)
        OrderNote.objects.bulk_create(notes, batch_size=BATCH_SIZE)
        bulk_attach_processes(
            (ProcessSeed(order=order, state=imported.state,
                         payment_status=imported.payment_status, source=self.plan.source,
                         payment_method=imported.payment_method[:128],
                         stock_status=StockStatus.UNTRACKED, tags=self.tags(imported.tags),
                         state_changed_at=imported.placed_at)
             for order, imported in zip(orders, batch, strict=True)),
            batch_size=len(orders), orders_loaded=True)
        TimelineEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        self.orders_created += len(orders)
        self.lines_created += len(lines)
        self.order_ids.extend(order.pk for order in orders)

    # The values below are shared with the PostgreSQL COPY writer (imports/pgcopy.py), so both
    # writers store the same rows.

    def order_values(self, imported: ImportedOrder) -> dict[str, Any]:
        """The Order's fields, without its addresses."""
        number = imported.number
        if number in self.lookups.taken_numbers:
            number = prefixed_number(self.plan.reader, number)
        customer = self.customers.customers.get(imported.email) if imported.email else None
        return {
            "number": number[:128], "site": self.site, "user": customer,
            "guest_email": "" if customer is not None else imported.email,
            "currency": imported.currency[:12], "total_incl_tax": imported.total,
            "total_excl_tax": imported.total - imported.tax,
            "shipping_incl_tax": imported.shipping, "shipping_excl_tax": imported.shipping,
            "shipping_method": imported.shipping_method[:128],
            "shipping_code": imported.shipping_method[:128],
            "status": self.oscar_status(imported.state), "date_placed": imported.placed_at}

    def oscar_status(self, state: str) -> str:
        """Oscar's status for a workflow state (cached: the workflow is fixed)."""
        status = self._statuses.get(state)
        if status is None:
            status = self._statuses[state] = self.workflow.get_state(state).get_oscar_status()
        return status

    def line_values(self, imported: ImportedOrder, status: str) -> list[dict[str, Any]]:
        """The fields of the order's lines, without the order."""
        lines = []
        for line in imported.lines:
            record = self.lookups.stockrecords.get(line.sku) if line.sku else None
            total = line.total
            lines.append({
                "partner": record.partner if record else None,
                "partner_name": record.partner.name if record else "",
                "partner_sku": line.sku[:128], "stockrecord": record,
                "product": record.product if record else None, "title": line.title[:255],
                "upc": (record.product.upc or "") if record else "", "quantity": line.quantity,
                "line_price_incl_tax": total, "line_price_excl_tax": total,
                "line_price_before_discounts_incl_tax": total,
                "line_price_before_discounts_excl_tax": total,
                "unit_price_incl_tax": line.unit_price, "unit_price_excl_tax": line.unit_price,
                "num_allocated": 0, "status": status})
        return lines

    def discount_values(self, imported: ImportedOrder) -> dict[str, Any]:
        """The fields of the order's discount (there is one when ``imported.discount``)."""
        return {"category": OrderDiscount.BASKET,
                "offer_name": (imported.discount_code or _("Imported discount"))[:128],
                "voucher_code": imported.discount_code[:128], "amount": imported.discount}

    def note_values(self, imported: ImportedOrder) -> dict[str, Any]:
        """The fields of the order's note (there is one when ``imported.notes``)."""
        return {"note_type": OrderNote.INFO, "message": imported.notes}

    def entry_data(self, imported: ImportedOrder) -> dict[str, Any]:
        """The data of the order's IMPORT timeline entry."""
        return {"file": self.plan.filename, "source": self.plan.source,
                "format": self.plan.reader.name, "platform_number": imported.number,
                "rows": imported.rows}
