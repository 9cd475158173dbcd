"""The customer directory's rows and their order aggregates, kept up to date.

A customer is an email: the account with that email and every order placed with it (guest or
not). Whenever an order or its process is saved or deleted, or an account is saved, the
customers of the emails involved are recounted from their orders after the transaction
commits (one indexed query per customer), so the directory never aggregates orders per page.
Bulk paths (imports) call :func:`refresh_customers` themselves; the
``orders_backfill_customers`` command recounts everyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import Lower
from django.utils import timezone

from ..conf import app_settings
from ..models import Customer, OrderProcess

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


def refresh_customers(emails: Iterable[str]) -> int:
    """Recount the customers of ``emails`` from their orders and accounts; returns how many
    directory rows exist for them afterwards. Rows with neither orders nor an account nor
    anything an operator wrote (company, notes) are removed."""
    keys = sorted({email_key(email) for email in emails} - {""})
    kept = 0
    for start in range(0, len(keys), CHUNK):
        kept += _refresh_chunk(keys[start:start + CHUNK])
    return kept


def _refresh_chunk(keys: list[str]) -> int:
    totals: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    dates: dict[str, list[Any]] = {}
    for row in (counted_orders().filter(customer_email__in=keys)
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
    users: dict[str, Any] = {}
    for account in (get_user_model().objects.annotate(key=Lower("email"))
                    .filter(key__in=keys).order_by("-is_active", "pk")):
        users.setdefault(account.key, account)
    existing = Customer.objects.in_bulk(keys, field_name="email")
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


def refresh_after_commit(*emails: str | None) -> None:
    """Recount these customers once the current transaction commits (at once outside one),
    so the recount sees every order the transaction wrote.

    Placing one order saves the order and its process several times; the customers asked
    for during a transaction are recounted together, once, by the first of its commit
    callbacks (the others find nothing left). Keys of a rolled-back transaction are recounted
    at the next commit on the connection: a recount is always right, only extra work."""
    keys = {email_key(email) for email in emails} - {""}
    if not keys:
        return
    connection = transaction.get_connection()
    pending: set[str] | None = getattr(connection, PENDING, None)
    if pending is None:
        pending = set()
        setattr(connection, PENDING, pending)
    pending.update(keys)
    transaction.on_commit(lambda: _refresh_pending(connection))


#: The connection attribute holding the customers to recount at its next commit.
PENDING = "_oscar_orders_ext_customers_to_recount"


def _refresh_pending(connection: Any) -> None:
    pending: set[str] = getattr(connection, PENDING, None) or set()
    if pending:
        keys = set(pending)
        pending.clear()
        refresh_customers(keys)


def refresh_customers_of_orders(order_ids: Iterable[int]) -> int:
    """Recount the customers of these orders (after imports and other bulk writes)."""
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
