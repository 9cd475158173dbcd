"""Writing an import: customers, tags and orders with everything attached, in bulk inserts,
and the round trip's per-order changes through the services.

``OrderWriter`` is the ORM writer (every database); ``pgcopy.CopyOrderWriter`` writes the same
rows with PostgreSQL's ``COPY``. Both run inside ``service.commit_import``'s transaction.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_orders_ext.constants import StockStatus, TimelineKind
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.customers import (assign_usernames, fill_missing_names,
                                                 unsaved_customer)
from oscar_orders_ext.services.processes import ProcessSeed, bulk_attach_processes
from oscar_orders_ext.services.timeline import record
from oscar_orders_ext.workflow import get_workflow

from .formats import ImportedOrder
from .normalising import CountryResolver, order_address_values
from .planning import LOOKUP_CHUNK, ImportPlan, Lookups, chunks, prefixed_number
from .roundtrip import FieldChange, field_named

#: Called with the number of orders written so far.
Progress = Callable[[int], None]

BillingAddress = get_model("order", "BillingAddress")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
OrderDiscount = get_model("order", "OrderDiscount")
OrderNote = get_model("order", "OrderNote")
ShippingAddress = get_model("order", "ShippingAddress")

#: Rows per bulk insert.
BATCH_SIZE = 2000


@dataclass
class ImportResult:
    """What committing wrote."""

    orders_created: int = 0
    orders_already_imported: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    lines_created: int = 0
    #: The orders written (an ``array`` of ids for a large import: 8 bytes each).
    order_ids: MutableSequence[int] = field(default_factory=list)
    #: Round trip: orders changed, and the ones refused ({"number", "row", "field", "message"}).
    orders_updated: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)


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


class OrderWriter:
    """Writes batches of orders with everything attached, using bulk inserts."""

    #: Orders per batch; None: the module's BATCH_SIZE.
    batch_size: int | None = None

    def __init__(self, plan: ImportPlan, lookups: Lookups, *, user: Any) -> None:
        self.plan = plan
        self.lookups = lookups
        self.user = user
        self.workflow = get_workflow()
        self.countries = CountryResolver()
        self.customers = self.customer_writer(lookups.customers)
        self.tags = TagResolver()
        self.site: Site | None
        try:
            self.site = Site.objects.get_current()
        except Site.DoesNotExist:
            self.site = None
        self.now = timezone.now()
        self._statuses: dict[str, str] = {}
        self.orders_created = 0
        self.lines_created = 0
        # An array rather than a list: a million ids take 8 MB, not 40.
        self.order_ids: array[int] = array("q")

    def use_lookups(self, lookups: Lookups) -> None:
        """Write the next batches against these lookups (those of the batch): customers made
        by earlier batches are in the database by now, and found there again."""
        self.lookups = lookups
        self.customers.customers = dict(lookups.customers)

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
        # Oscar's Line, OrderDiscount and OrderNote come from get_model (untyped).
        lines: list[Any] = []
        discounts: list[Any] = []
        notes: list[Any] = []
        entries: list[TimelineEntry] = []
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

