"""Fast order creation for tests that need many orders (no checkout, no stock)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.models import OrderProcess, ProductTally
from oscar_orders_ext.services.processes import ProcessSeed, bulk_attach_processes
from oscar_orders_ext.workflow import get_workflow

Line = get_model("order", "Line")
Order = get_model("order", "Order")


def bulk_orders(count: int, *, prefix: str = "BULK", currency: str = "EUR",
                total: Decimal = Decimal("10.00"), state: str | None = None,
                **seed_fields: Any) -> list[OrderProcess]:
    """``count`` orders with their processes, written in bulk."""
    basket = factories.create_basket(empty=True)
    state = state or get_workflow().initial_state
    status = get_workflow().get_state(state).get_oscar_status()
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(number=f"{prefix}{i:05d}", basket=basket, currency=currency, status=status,
              date_placed=now - timezone.timedelta(minutes=i), total_incl_tax=total,
              total_excl_tax=total, shipping_incl_tax=0, shipping_excl_tax=0,
              guest_email=f"{prefix.lower()}{i}@example.com")
        for i in range(count))
    saved = Order.objects.filter(number__in=[o.number for o in orders])
    bulk_attach_processes(ProcessSeed(order=o, state=state, **seed_fields) for o in saved)
    return list(OrderProcess.objects.filter(order__in=saved).order_by("-placed_at"))


def product_recount() -> dict[tuple, tuple]:
    """What ``ProductTally`` should hold, counted from the lines: per (facet, value, funnel,
    stage, state, currency), the orders holding that SKU or title once each, and their total."""
    values: dict[int, set[tuple[str, str]]] = {}
    for order_id, sku, title in Line.objects.values_list("order_id", "partner_sku", "title"):
        values.setdefault(order_id, set()).update(
            (facet, value) for facet, value in (("sku", sku), ("title", title)) if value)
    totals: dict[tuple, tuple] = {}
    for process in OrderProcess.objects.all():
        for facet, value in values.get(process.order_id, ()):
            key = (facet, value, process.funnel_id, process.stage_id or 0, process.state,
                   process.currency)
            n, amount = totals.get(key, (0, Decimal(0)))
            totals[key] = (n + 1, amount + process.total)
    return totals


def product_tallied() -> dict[tuple, tuple]:
    """``ProductTally``'s rows, as ``product_recount`` keys them (rows emptied left out)."""
    return {(t.facet, t.value, t.funnel_id, t.stage_id, t.state, t.currency): (t.count, t.total)
            for t in ProductTally.objects.exclude(count=0, total=0)}


def numbers(rows: Iterable[Any]) -> set[str]:
    return {str(getattr(row, "number", row)) for row in rows}


def opened_form(page: Any, key: str, field: str = "") -> Any:
    """The order page's closed form ``key`` as the page's script fetches it when its panel
    opens (``?form=<key>``), for the same user; its ``forms`` hold that form. A page drawn
    with the form open (sent back with errors) holding ``field`` is returned as it is."""
    if field and any(field in form.fields for form in page.forms.values()):
        return page
    user = page.request.environ.get("WEBTEST_USER")
    return page.test_app.get(f"{page.request.path}?form={key}",
                             extra_environ={"WEBTEST_USER": user} if user else None)


def index_plan(sql: str, params: Iterable[Any]) -> str:
    """PostgreSQL's plan of a query with sequential scans discouraged, so that a test's few
    rows still show which index the query can use."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, list(params))
        return "\n".join(row[0] for row in cursor.fetchall())
