"""The customer directory's rows and their order aggregates, kept up to date.

A customer is an email: the account with that email and every order placed with it (guest or
not). Each order *contributes* to its customer's row (email, currency, total, date) while its
state counts; when an order is placed, edited, moved, deleted or imported, the difference
between what it contributed and what it contributes now is applied to the row, inside the
transaction that changed it (:func:`apply_deltas`), so the cost does not grow with the
customer's orders. A full recount (:func:`refresh_customers`) runs only where a delta cannot be
known: a customer's first row, the first or last order leaving the count, no order left, a
process saved without the fields its contribution is made of. The
``orders_backfill_customers`` command recounts everyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from ..conf import app_settings
from ..models import Customer, OrderProcess
from .customers import accounts_by_email

CENTS = Decimal("0.01")
#: Emails recounted per round of queries (an ``IN (…)`` list each).
CHUNK = 500
AGGREGATE_FIELDS = ["user", "first_name", "last_name", "phone", "registered_at", "order_count",
                    "first_order_at", "last_order_at", "totals", "updated_at"]


def email_key(email: str | None) -> str:
    """The directory's key for an email: trimmed and lower-case, as order snapshots store it."""
    return (email or "").strip().lower()[:254]


def split_name(name: str) -> tuple[str, str]:
    """First and last name from a full name ("Anna Maria Rossi" → "Anna Maria", "Rossi")."""
    first, _space, last = name.strip().rpartition(" ")
    return (first, last) if first else ("", last)


def counted_orders() -> Any:
    """The processes that count towards customers' orders and value."""
    return OrderProcess.objects.exclude(state__in=list(app_settings.CUSTOMER_EXCLUDED_STATES))


def refresh_customers(emails: Iterable[str], *, orders: bool = True) -> int:
    """Recount the customers of ``emails`` from their orders and accounts; returns how many
    directory rows exist for them afterwards. Rows with neither orders nor an account nor
    anything an operator wrote (company, notes) are removed. With ``orders=False`` (an account
    saved: its orders did not change) existing rows keep their order aggregates."""
    keys = sorted({email_key(email) for email in emails} - {""})
    kept = 0
    for start in range(0, len(keys), CHUNK):
        kept += _refresh_chunk(keys[start:start + CHUNK], orders=orders)
    return kept


def _refresh_chunk(keys: list[str], *, orders: bool = True) -> int:
    totals: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    dates: dict[str, list[Any]] = {}
    existing = Customer.objects.in_bulk(keys, field_name="email")
    recounted = keys if orders else [key for key in keys if key not in existing]
    for row in (counted_orders().filter(customer_email__in=recounted)
                .values("customer_email", "currency")
                .annotate(count=Count("id"), total=Sum("total"), first=Min("placed_at"),
                          last=Max("placed_at")).order_by()):
        email = row["customer_email"]
        totals[email][row["currency"]] = {"count": row["count"],
                                          "total": str(Decimal(row["total"] or 0).quantize(CENTS))}
        first, last = dates.get(email, [row["first"], row["last"]])
        dates[email] = [min(first, row["first"]), max(last, row["last"])]
    # The latest order's name and phone, for guests and for accounts without them: one row
    # per customer (PostgreSQL's DISTINCT ON), not every order of a customer with thousands.
    latest: dict[str, Any] = {}
    newest = (OrderProcess.objects.filter(customer_email__in=keys)
              .order_by("customer_email", "-placed_at", "-id")
              .values("customer_email", "customer_name", "customer_phone", "placed_at"))
    if connections[newest.db].vendor == "postgresql":
        newest = newest.distinct("customer_email")
    for row in newest:
        latest.setdefault(row["customer_email"], row)
    users = accounts_by_email(keys)
    now = timezone.now()
    rows: list[Customer] = []
    removed: list[int] = []
    for key in keys:
        customer = existing.get(key) or Customer(email=key)
        user: Any = users.get(key)
        last_order = latest.get(key)
        if user is not None and user.is_staff and last_order is None:
            user = None  # staff accounts are not customers until they order
        if user is None and last_order is None and not (customer.company or customer.notes):
            if customer.pk:
                removed.append(customer.pk)
            continue
        customer.user = user
        first_name, last_name = split_name(last_order["customer_name"]) if last_order else ("", "")
        if user is not None and (user.first_name or user.last_name):
            first_name, last_name = user.first_name, user.last_name
        # Names an operator typed for a guest stay; orders only fill in missing ones.
        if user is not None or not (customer.first_name or customer.last_name):
            customer.first_name, customer.last_name = first_name[:150], last_name[:150]
        if last_order and last_order["customer_phone"]:
            customer.phone = last_order["customer_phone"]
        if orders or not customer.pk:
            customer_totals = totals.get(key, {})
            customer.totals = customer_totals
            customer.order_count = sum(value["count"] for value in customer_totals.values())
            customer.first_order_at, customer.last_order_at = dates.get(key, [None, None])
        first_seen = last_order["placed_at"] if last_order else None
        if customer.first_order_at:
            first_seen = customer.first_order_at
        customer.registered_at = user.date_joined if user is not None else first_seen
        customer.updated_at = now
        rows.append(customer)
    with transaction.atomic():
        if removed:
            Customer.objects.filter(pk__in=removed).delete()
        # An account whose email changed still holds its old row: release it there first,
        # since one account has one row (the upsert below sets it on its new email's row).
        emails_of = {row.user_id: row.email for row in rows if row.user_id is not None}
        moved = [pk for pk, user_id, email in Customer.objects.filter(
                 user_id__in=emails_of).values_list("pk", "user_id", "email")
                 if emails_of[user_id] != email]
        if moved:
            Customer.objects.filter(pk__in=moved).update(user=None)
        # An upsert: a customer created by a concurrent refresh is updated, not duplicated.
        Customer.objects.bulk_create(rows, update_conflicts=True, unique_fields=["email"],
                                     update_fields=AGGREGATE_FIELDS)
    return len(rows)


def refresh_after_commit(*emails: str | None, orders: bool = True) -> None:
    """Recount these customers once the current transaction commits (at once outside one),
    so the recount sees every order the transaction wrote; ``orders=False`` when only their
    accounts changed (see :func:`refresh_customers`).

    The customers asked for during a transaction are recounted together, once, by the first
    of its commit callbacks (the others find nothing left). Keys of a rolled-back transaction
    are recounted at the next commit on the connection: a recount is always right, only extra
    work."""
    keys = {email_key(email) for email in emails} - {""}
    if not keys:
        return
    connection = transaction.get_connection()
    pending: dict[str, bool] | None = getattr(connection, PENDING, None)
    if pending is None:
        pending = {}
        setattr(connection, PENDING, pending)
    for key in keys:
        pending[key] = pending.get(key, False) or orders
    transaction.on_commit(lambda: _refresh_pending(connection))


#: The connection attribute holding the customers to recount at its next commit.
PENDING = "_oscar_orders_ext_customers_to_recount"


def _refresh_pending(connection: Any) -> None:
    pending: dict[str, bool] = getattr(connection, PENDING, None) or {}
    if pending:
        keys = dict(pending)
        pending.clear()
        refresh_customers([key for key, orders in keys.items() if orders])
        refresh_customers([key for key, orders in keys.items() if not orders], orders=False)


# --- Deltas: what one order adds to (or takes from) its customer's row ----------------------

#: The process fields an order's contribution is made of.
CONTRIBUTION_FIELDS = ("customer_email", "currency", "total", "placed_at", "state")
DELTA_FIELDS = ["order_count", "totals", "first_order_at", "last_order_at", "registered_at",
                "first_name", "last_name", "phone", "updated_at"]


class Contribution(NamedTuple):
    """What one counted order adds to its customer's row."""

    email: str
    currency: str
    total: Decimal
    placed_at: datetime


def contribution(values: Mapping[str, Any]) -> Contribution | None:
    """The contribution of an order with these process values (None: it counts for nobody)."""
    key = email_key(values.get("customer_email"))
    if not key or values.get("state") in app_settings.CUSTOMER_EXCLUDED_STATES:
        return None
    return Contribution(key, values.get("currency") or "",
                        Decimal(str(values.get("total") or 0)).quantize(CENTS),
                        values["placed_at"])


@dataclass
class Delta:
    """The change to one customer's row: orders and value per currency, the dates of orders
    that joined and left the count, and the newest joining order's name and phone."""

    totals: dict[str, list[Any]] = field(default_factory=dict)
    joined: list[datetime] = field(default_factory=list)
    left: list[datetime] = field(default_factory=list)
    newest: tuple[datetime, str, str] | None = None

    def add(self, currency: str, count: int, total: Decimal, *dates: datetime) -> None:
        """Count ``count`` orders worth ``total`` more (negative: fewer) in ``currency``."""
        values = self.totals.setdefault(currency, [0, Decimal(0)])
        values[0] += count
        values[1] += total
        (self.joined if count > 0 else self.left).extend(dates)

    def offer_contact(self, placed_at: datetime, name: str, phone: str) -> None:
        """The name and phone of a joining order; the newest one is kept."""
        if self.newest is None or placed_at >= self.newest[0]:
            self.newest = (placed_at, name, phone)


def record_change(old: Contribution | None, new: Contribution | None, *, name: str = "",
                  phone: str = "") -> None:
    """One order's contribution changed from ``old`` to ``new``: apply the difference to its
    customers' rows (both, if the buyer changed) in the current transaction."""
    if old == new:
        return
    deltas: dict[str, Delta] = defaultdict(Delta)
    if old is not None:
        deltas[old.email].add(old.currency, -1, -old.total, old.placed_at)
    if new is not None:
        deltas[new.email].add(new.currency, 1, new.total, new.placed_at)
        deltas[new.email].offer_contact(new.placed_at, name, phone)
    apply_deltas(deltas)


def apply_deltas(deltas: Mapping[str, Delta]) -> None:
    """Apply each customer's delta to their row, locked in the current transaction (so
    concurrent orders of one customer add up); customers without a row, or whose change a
    delta cannot express, are recounted instead."""
    keys = sorted(key for key in deltas if key)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        with transaction.atomic(savepoint=False):  # no savepoint: two queries less
            rows = list(Customer.objects.select_for_update().filter(email__in=chunk)
                        .order_by("email"))
            found = {row.email for row in rows}
            recount = [key for key in chunk if key not in found]
            changed = []
            for row in rows:
                if _apply(row, deltas[row.email]):
                    changed.append(row)
                else:
                    recount.append(row.email)
            if changed:
                Customer.objects.bulk_update(changed, DELTA_FIELDS)
            if recount:
                refresh_customers(recount)


def _apply(customer: Customer, delta: Delta) -> bool:
    """Change the row by the delta; False when only a recount can tell (nothing counted left,
    or counts gone negative: the row was already wrong)."""
    totals = {currency: dict(values) for currency, values in customer.totals.items()}
    for currency, (count, total) in delta.totals.items():
        values = totals.setdefault(currency, {"count": 0, "total": "0.00"})
        values["count"] = int(values["count"]) + count
        values["total"] = str((Decimal(values["total"]) + total).quantize(CENTS))
        if values["count"] < 0:
            return False
        if values["count"] == 0:
            del totals[currency]
    order_count = sum(int(values["count"]) for values in totals.values())
    if order_count == 0:
        return False
    first, last = customer.first_order_at, customer.last_order_at
    if first is None or last is None or any(
            date <= first or date >= last for date in delta.left):
        # The first or last order left the count: ask the index for the new ends.
        orders = counted_orders().filter(customer_email=customer.email)
        first = orders.order_by("placed_at").values_list("placed_at", flat=True).first()
        last = orders.order_by("-placed_at").values_list("placed_at", flat=True).first()
    else:
        first = min([first, *delta.joined])
        last = max([last, *delta.joined])
    if delta.newest is not None and (customer.last_order_at is None
                                     or delta.newest[0] >= customer.last_order_at):
        _placed, name, phone = delta.newest
        if phone:
            customer.phone = phone[:64]
        if customer.user_id is None and not (customer.first_name or customer.last_name):
            customer.first_name, customer.last_name = (
                part[:150] for part in split_name(name))
    customer.totals, customer.order_count = totals, order_count
    customer.first_order_at, customer.last_order_at = first, last
    if customer.user_id is None:
        customer.registered_at = first
    customer.updated_at = timezone.now()
    return True


#: Where a process instance keeps the contribution it was read (or last saved) with.
COUNTED = "_oscar_orders_ext_counted"


def remember_contribution(process: Any) -> None:
    """Note, in memory, what a process read from the database (or new) contributes, so that
    saving or deleting it knows the difference without a query. A process read without some
    of the fields gets no note (its saves cannot change them)."""
    values = process.__dict__
    if process.pk is None:
        values[COUNTED] = None
    elif all(name in values for name in CONTRIBUTION_FIELDS):
        values[COUNTED] = contribution(values)
    else:
        values.pop(COUNTED, None)


def process_changed(process: Any, *, deleted: bool = False,
                    update_fields: Iterable[str] | None = None) -> None:
    """A process was saved (or deleted, or updated in place by a service that read it first):
    apply its change of contribution to the directory."""
    if update_fields is not None and not set(update_fields) & set(CONTRIBUTION_FIELDS):
        return
    values = process.__dict__
    if COUNTED not in values:
        refresh_after_commit(values.get("customer_email"))
        return
    new = None if deleted else contribution(values)
    record_change(values[COUNTED], new, name=values.get("customer_name") or "",
                  phone=values.get("customer_phone") or "")
    values[COUNTED] = new


def sync_process_snapshot(order_id: int, snapshot: Mapping[str, Any]) -> int:
    """Write an order's new snapshot onto its process and apply the change of contribution
    (the process row is locked first, so concurrent edits of one order add up); returns the
    rows updated."""
    with transaction.atomic(savepoint=False):
        before = (OrderProcess.objects.select_for_update().filter(order_id=order_id)
                  .values(*CONTRIBUTION_FIELDS).first())
        if before is None:
            return 0
        updated = OrderProcess.objects.filter(order_id=order_id).update(**snapshot)
        record_change(contribution(before), contribution({**before, **snapshot}),
                      name=snapshot.get("customer_name") or "",
                      phone=snapshot.get("customer_phone") or "")
    return updated


def count_new_orders(order_ids: Iterable[int]) -> None:
    """Add these newly written orders (imports, bulk writes) to their customers' rows: one
    grouped read per chunk of orders, one locked read and one update per chunk of customers."""
    ids = list(order_ids)
    deltas: dict[str, Delta] = defaultdict(Delta)
    for start in range(0, len(ids), CHUNK):
        for row in (counted_orders().filter(order_id__in=ids[start:start + CHUNK])
                    .values("customer_email", "currency")
                    .annotate(count=Count("id"), total=Sum("total"), first=Min("placed_at"),
                              last=Max("placed_at")).order_by()):
            deltas[row["customer_email"]].add(row["currency"], row["count"],
                                              Decimal(row["total"] or 0), row["first"],
                                              row["last"])
    apply_deltas(deltas)


def refresh_customers_of_orders(order_ids: Iterable[int]) -> int:
    """Recount the customers of these orders (after writes whose deltas are unknown)."""
    ids = list(order_ids)
    emails: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        emails.update(OrderProcess.objects.filter(order_id__in=ids[start:start + CHUNK])
                      .values_list("customer_email", flat=True))
    return refresh_customers(emails)


def backfill_customers(*, batch_size: int = CHUNK) -> int:
    """Recount every customer: every order email and every account (not staff) email, and
    drop rows whose email has neither any more; returns the number of directory rows."""
    emails = set(OrderProcess.objects.values_list("customer_email", flat=True).distinct())
    emails.update(email_key(email) for email in get_user_model().objects.filter(
        is_staff=False).values_list("email", flat=True))
    emails.update(Customer.objects.values_list("email", flat=True))
    emails.discard("")
    kept, keys = 0, sorted(emails)
    for start in range(0, len(keys), batch_size):
        kept += refresh_customers(keys[start:start + batch_size])
    return kept
