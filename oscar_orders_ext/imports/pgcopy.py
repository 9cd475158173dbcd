"""The PostgreSQL writer of imports: the ORM writer's rows, written with ``COPY`` as tuples.

Building a dozen Django model instances per order and preparing every value through the
fields is what kept the ORM writer near 300 orders/s. This writer reserves primary keys from
each table's sequence (one ``nextval`` query per table and batch), builds rows as lists from the
values the ORM writer uses (``OrderWriter.order_values`` and friends), prepares only the fields
whose database value differs from the Python value (postcodes upper-cased, phone numbers
formatted, JSON) once per distinct value, and streams them with psycopg 3 ``cursor.copy()``.
Everything runs inside ``commit_import``'s transaction. The statement-level tally triggers fire
for ``COPY`` like for ``INSERT``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import connection, models
from django_fsm import FSMField

from oscar_orders_ext.constants import OrderType, StockStatus, TimelineKind
from oscar_orders_ext.models import Funnel, OrderProcess, TimelineEntry
from oscar_orders_ext.services.processes import StageLookup

from .formats import ImportedOrder
from .normalising import order_address_values
from .writing import (BillingAddress, CustomerWriter, Line, Order, OrderDiscount, OrderNote,
                      OrderWriter, ShippingAddress)

#: Orders per batch: one COPY per table and batch.
BATCH_SIZE = 10_000

#: Fields whose database value is the Python value itself (for str, int, Decimal, datetime,
#: None); the others go through ``get_db_prep_save``. Exact types: subclasses may convert.
PLAIN_FIELDS = {models.AutoField, models.BigAutoField, models.CharField, models.TextField,
                models.EmailField, models.DecimalField, models.DateTimeField,
                models.IntegerField, models.PositiveIntegerField, models.BooleanField,
                models.ForeignKey, models.OneToOneField, FSMField}


#: Distinct values a cache of prepared values holds before it starts again: files repeat
#: their postcodes and phone numbers, but a million customers' would otherwise all be kept.
CACHE_LIMIT = 50_000


def _prepared(field: models.Field) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` remembered per distinct (hashable) value."""
    if type(field) is models.JSONField and field.encoder is None:
        # What the field's Jsonb adapter sends: json.dumps of the value.
        return json.dumps
    cache: dict[Any, Any] = {}
    prep = field.get_db_prep_save

    def prepare(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            prepared = cache[value] = prep(value, connection)
            return prepared
        except TypeError:  # unhashable: JSON
            return prep(value, connection)
    return prepare


class _OrderRows(NamedTuple):
    """One order of a batch: what its rows in every table are built from."""

    imported: ImportedOrder
    values: dict[str, Any]
    order_id: int
    process_id: int
    shipping: dict[str, Any] | None
    billing: dict[str, Any] | None
    shipping_id: int | None
    billing_id: int | None


class _Counter:
    """Counts the items of an iterable as they pass."""

    def __init__(self) -> None:
        self.total = 0

    def count(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            self.total += 1
            yield item


class CopyTable:
    """COPY rows into a model's table: the primary key and the named fields per row; every other
    column gets the value an unsaved ``template`` instance would be saved with.

    With ``keys=False`` rows have no primary key: the table's sequence fills it in row order
    (for rows nothing else refers to within the import).
    """

    def __init__(self, model: type[models.Model], fields: Sequence[str], *,
                 template: models.Model | None = None, keys: bool = True) -> None:
        meta = model._meta
        by_name = {field.attname: field for field in meta.concrete_fields}
        named = [by_name[name] for name in fields]
        template = template if template is not None else model()
        rest = [field for field in meta.concrete_fields
                if field.attname not in fields and not field.primary_key]
        self.defaults = tuple(field.get_db_prep_save(field.pre_save(template, True), connection)
                              for field in rest)
        self.converters = [(index, _prepared(field))
                           for index, field in enumerate(named, 1 if keys else 0)
                           if type(field) not in PLAIN_FIELDS]
        quote = connection.ops.quote_name
        columns = [meta.pk.column] * keys + [field.column for field in named + rest]
        self.table, self.pk_column = meta.db_table, meta.pk.column
        self.sql = f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"

    def reserve(self, cursor: Any, count: int) -> list[int]:
        """``count`` new primary keys from the table's sequence."""
        if not count:
            return []
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)", [self.table, self.pk_column, count])
        return sorted(row[0] for row in cursor.fetchall())

    def write(self, cursor: Any, rows: Iterable[list[Any]]) -> None:
        """COPY the rows (lists: primary key first unless ``keys=False``, then the named
        fields in order)."""
        defaults, converters = self.defaults, self.converters
        with cursor.copy(self.sql) as copy:
            write_row = copy.write_row
            for row in rows:
                for index, convert in converters:
                    row[index] = convert(row[index])
                row.extend(defaults)
                write_row(row)


def raw_cursor() -> Any:
    """The psycopg cursor of Django's connection (inside the current transaction)."""
    connection.ensure_connection()
    return connection.connection.cursor()


class CopyCustomerWriter(CustomerWriter):
    """New customers written with COPY, every field prepared as ``bulk_create`` would."""

    def insert(self, new: dict[str, Any]) -> dict[str, Any]:
        users = list(new.values())
        meta = self.User._meta
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        table = CopyTable(self.User, [field.attname for field in fields], template=users[0])
        table.converters = []  # every value is prepared below
        # Plain fields are read as they are; the others as bulk_create saves them.
        getters = [attrgetter(field.attname) if _is_plain(field) else partial(_saved, field)
                   for field in fields]
        with raw_cursor() as cursor:
            ids = table.reserve(cursor, len(users))
            rows = []
            for user, pk in zip(users, ids, strict=True):
                rows.append([pk] + [get(user) for get in getters])
                user.pk = pk
                user._state.adding, user._state.db = False, connection.alias
            table.write(cursor, rows)
        return new


def _is_plain(field: models.Field) -> bool:
    """Whether the field saves its attribute's value unchanged."""
    return type(field) in PLAIN_FIELDS and not getattr(field, "auto_now", False) and \
        not getattr(field, "auto_now_add", False)


def _saved(field: models.Field, instance: models.Model) -> Any:
    """The database value ``bulk_create`` would save for the field."""
    return field.get_db_prep_save(field.pre_save(instance, True), connection)


class CopyOrderWriter(OrderWriter):
    """Writes the same rows as ``OrderWriter`` with COPY (PostgreSQL only)."""

    batch_size = BATCH_SIZE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_funnel = Funnel.objects.get_default()
        self.stage_for = StageLookup()
        address_fields = ["first_name", "last_name", "line1", "line2", "line3", "line4",
                          "state", "postcode", "country_id", "search_text"]
        self.shipping_table = CopyTable(ShippingAddress, address_fields + ["phone_number"])
        self.billing_table = CopyTable(BillingAddress, address_fields)
        self.order_table = CopyTable(Order, [
            "number", "site_id", "user_id", "billing_address_id", "shipping_address_id",
            "currency", "total_incl_tax", "total_excl_tax", "shipping_incl_tax",
            "shipping_excl_tax", "shipping_method", "shipping_code", "status", "guest_email",
            "date_placed"])
        self.line_table = CopyTable(Line, [
            "order_id", "partner_id", "partner_name", "partner_sku", "stockrecord_id",
            "product_id", "title", "upc", "quantity", "line_price_incl_tax",
            "line_price_excl_tax", "line_price_before_discounts_incl_tax",
            "line_price_before_discounts_excl_tax", "unit_price_incl_tax",
            "unit_price_excl_tax", "num_allocated", "status"], keys=False)
        self.discount_table = CopyTable(OrderDiscount, [
            "order_id", "category", "offer_name", "voucher_code", "amount"], keys=False)
        self.note_table = CopyTable(OrderNote, ["order_id", "note_type", "message"], keys=False)
        self.process_table = CopyTable(OrderProcess, [
            "order_id", "state", "funnel_id", "stage_id", "order_type", "payment_status",
            "operator_id", "source", "stock_status", "placed_at", "number", "currency", "total",
            "customer_name", "customer_email", "customer_phone", "payment_method",
            "shipping_method", "state_changed_at", "last_activity_at"])
        self.entry_table = CopyTable(TimelineEntry, [
            "order_id", "kind", "actor_id", "created_at", "data"], keys=False)
        self.tag_table = CopyTable(OrderProcess.tags.through, ["orderprocess_id", "tag_id"],
                                   keys=False)
        self.search_fields = {model: self._search_fields(model)
                              for model in (ShippingAddress, BillingAddress)}
        self.phone_field = ShippingAddress._meta.get_field("phone_number")
        self.phone_text: dict[str, str] = {}

    def customer_writer(self, existing: dict[str, Any]) -> CustomerWriter:
        return CopyCustomerWriter(existing)

    def write(self, batch: list[ImportedOrder]) -> None:
        """Insert one batch with one COPY per table.

        Rows are built while they are copied (generators): PostgreSQL ingests a table while
        Python builds the rest of it, and a batch's rows are never all held at once.
        """
        self.customers.prepare(batch)
        self.tags.prepare({tag for order in batch for tag in order.tags})
        addresses = [order_address_values(imported, self.countries) for imported in batch]
        # Nothing may query the database while a COPY runs (the connection is busy): the
        # stages are looked up now, not by the row generators.
        stage_ids = {state: self._stage_id(state) for state in {order.state for order in batch}}
        with raw_cursor() as cursor:
            shipping_ids = iter(self.shipping_table.reserve(
                cursor, sum(1 for shipping, __ in addresses if shipping is not None)))
            billing_ids = iter(self.billing_table.reserve(
                cursor, sum(1 for __, billing in addresses if billing is not None)))
            order_ids = self.order_table.reserve(cursor, len(batch))
            process_ids = self.process_table.reserve(cursor, len(batch))
            orders = [
                _OrderRows(imported, self.order_values(imported), order_id, process_id,
                           shipping, billing,
                           next(shipping_ids) if shipping is not None else None,
                           next(billing_ids) if billing is not None else None)
                for imported, (shipping, billing), order_id, process_id in zip(
                    batch, addresses, order_ids, process_ids, strict=True)]
            lines = _Counter()
            self.shipping_table.write(cursor, self._shipping_rows(orders))
            self.billing_table.write(cursor, self._billing_rows(orders))
            self.order_table.write(cursor, self._order_rows(orders))
            self.line_table.write(cursor, lines.count(self._line_rows(orders)))
            self.discount_table.write(cursor, self._discount_rows(orders))
            self.note_table.write(cursor, self._note_rows(orders))
            self.process_table.write(cursor, self._process_rows(orders, stage_ids))
            self.entry_table.write(cursor, self._entry_rows(orders))
            self.tag_table.write(cursor, self._tag_rows(orders))
        self.orders_created += len(batch)
        self.lines_created += lines.total
        self.order_ids.extend(order_ids)

    def _shipping_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        for order in orders:
            if order.shipping is not None and order.shipping_id is not None:
                yield self._address_row(ShippingAddress, order.shipping_id, order.shipping) + [
                    order.shipping["phone_number"]]

    def _billing_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        for order in orders:
            if order.billing is not None and order.billing_id is not None:
                yield self._address_row(BillingAddress, order.billing_id, order.billing)

    def _order_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        for order in orders:
            values, user, site = order.values, order.values["user"], order.values["site"]
            yield [order.order_id, values["number"], site.pk if site else None,
                   user.pk if user else None, order.billing_id, order.shipping_id,
                   values["currency"], values["total_incl_tax"], values["total_excl_tax"],
                   values["shipping_incl_tax"], values["shipping_excl_tax"],
                   values["shipping_method"], values["shipping_code"], values["status"],
                   values["guest_email"], values["date_placed"]]

    def _line_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        for order in orders:
            for line in self.line_values(order.imported, order.values["status"]):
                record = line["stockrecord"]
                yield [order.order_id, record.partner_id if record else None,
                       line["partner_name"], line["partner_sku"], record.pk if record else None,
                       record.product_id if record else None, line["title"], line["upc"],
                       line["quantity"], line["line_price_incl_tax"],
                       line["line_price_excl_tax"], line["line_price_before_discounts_incl_tax"],
                       line["line_price_before_discounts_excl_tax"],
                       line["unit_price_incl_tax"], line["unit_price_excl_tax"],
                       line["num_allocated"], line["status"]]

    def _discount_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        for order in orders:
            if order.imported.discount:
                discount = self.discount_values(order.imported)
                yield [order.order_id, discount["category"], discount["offer_name"],
                       discount["voucher_code"], discount["amount"]]

    def _note_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        for order in orders:
            if order.imported.notes:
                note = self.note_values(order.imported)
                yield [order.order_id, note["note_type"], note["message"]]

    def _process_rows(self, orders: list[_OrderRows], stage_ids: dict[str, int | None]
                      ) -> Iterator[list[Any]]:
        source, funnel_id = self.plan.source, self.default_funnel.pk
        for order in orders:
            imported, values, user = order.imported, order.values, order.values["user"]
            state, placed_at = imported.state, values["date_placed"]
            address = order.billing or order.shipping
            yield [
                order.process_id, order.order_id, state, funnel_id, stage_ids[state],
                OrderType.STANDARD, imported.payment_status, None, source,
                StockStatus.UNTRACKED, placed_at, str(values["number"]),
                values["currency"] or "", values["total_incl_tax"] or 0,
                self._customer_name(address, user)[:255],
                ((user.email if user else values["guest_email"]) or "").strip().lower()[:254],
                self._phone_text(order.shipping["phone_number"] if order.shipping else "")[:64],
                imported.payment_method[:128], (values["shipping_method"] or "")[:128],
                imported.placed_at or placed_at, imported.placed_at or placed_at]

    def _entry_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        # What bulk_attach_processes records, then the import entry, as the ORM writer.
        source, actor_id = self.plan.source, self.user.pk if self.user else None
        for order in orders:
            yield [order.order_id, TimelineKind.CREATED, None, order.values["date_placed"],
                   {"state": order.imported.state, "source": source}]
        for order in orders:
            yield [order.order_id, TimelineKind.IMPORT, actor_id, self.now,
                   self.entry_data(order.imported)]

    def _tag_rows(self, orders: list[_OrderRows]) -> Iterator[list[Any]]:
        for order in orders:
            for tag in self.tags(order.imported.tags):
                yield [order.process_id, tag.pk]

    @staticmethod
    def _search_fields(model: Any) -> list[tuple[str, Callable[[Any], Any] | None]]:
        """The address's search fields, with the conversion its attribute applies, if any."""
        fields = []
        for name in model.search_fields:
            field = model._meta.get_field(name)
            convert = None if type(field) in PLAIN_FIELDS else field.to_python
            fields.append((name, convert))
        return fields

    def _address_row(self, model: Any, pk: int, values: dict[str, Any]) -> list[Any]:
        # Address.save() fills search_text with join_fields(search_fields, " "): the same here.
        parts = []
        for name, convert in self.search_fields[model]:
            if name == "country":
                value = values["country"].printable_name
            else:
                value = values.get(name, "")
                if convert is not None:
                    value = convert(value)
            if value:
                parts.append(value)
        return [pk, values["first_name"], values["last_name"], values["line1"],
                values["line2"], values["line3"], values["line4"], values["state"],
                values["postcode"], values["country"].pk, " ".join(parts)]

    def _stage_id(self, state: str) -> int | None:
        stage = self.stage_for(self.default_funnel, state)
        return stage.pk if stage is not None else None

    @staticmethod
    def _customer_name(address: dict[str, Any] | None, user: Any) -> str:
        """What order_snapshot() takes: the address's name, else the customer's full name."""
        name = " ".join(filter(bool, (address["first_name"], address["last_name"]))) \
            if address else ""
        return name or (user.get_full_name() if user else "")

    def _phone_text(self, phone: str) -> str:
        """The phone as order_snapshot() shows it (str of the PhoneNumber), once per number."""
        if not phone:
            return ""
        text = self.phone_text.get(phone)
        if text is None:
            if len(self.phone_text) >= CACHE_LIMIT:
                self.phone_text.clear()
            text = self.phone_text[phone] = str(self.phone_field.to_python(phone) or "")
        return text
