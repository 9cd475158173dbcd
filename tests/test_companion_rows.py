"""Every order gets its workspace record however it was made, and existing shops backfill."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils.timezone import now
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.constants import StockStatus, TimelineKind
from oscar_orders_ext.models import Funnel, OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.processes import ProcessSeed, bulk_attach_processes

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def test_orders_made_outside_checkout_get_a_process_too():
    order = Order.objects.create(  # e.g. an API package or an admin script
        number="API-1", basket=factories.create_basket(empty=True), currency="EUR",
        status="Being processed", total_incl_tax=Decimal("5.00"), total_excl_tax=Decimal("5.00"))
    process = OrderProcess.objects.get(order=order)
    assert process.state == "processing"
    assert process.placed_at == order.date_placed


def bulk_orders(count: int, status: str = "Pending") -> list:
    basket = factories.create_basket(empty=True)
    orders = Order.objects.bulk_create(
        Order(number=f"B{i}", basket=basket, currency="EUR", status=status, date_placed=now(),
              total_incl_tax=Decimal("12.00"), total_excl_tax=Decimal("10.00"),
              shipping_incl_tax=0, shipping_excl_tax=0, guest_email=f"b{i}@example.com")
        for i in range(count))
    return list(Order.objects.filter(number__in=[o.number for o in orders]).order_by("pk"))


def test_bulk_created_orders_get_exactly_what_the_signal_gives(django_assert_max_num_queries):
    orders = bulk_orders(50)
    vip = Tag.objects.create(name="VIP", colour="#ff0000")
    wholesale = Funnel.create_from_workflow("Wholesale", is_default=False)
    seeds = [ProcessSeed(order=o, funnel=wholesale if i % 2 else None,
                         tags=[vip] if i % 5 == 0 else [], source="seed")
             for i, o in enumerate(orders)]

    with django_assert_max_num_queries(12):
        attached = bulk_attach_processes(seeds, batch_size=50)  # one batch: no query per order

    assert attached == 50
    processes = OrderProcess.objects.filter(order__in=orders)
    assert processes.count() == 50
    assert processes.filter(funnel=wholesale).count() == 25
    assert processes.filter(stage__funnel=wholesale).count() == 25
    assert processes.filter(tags=vip).count() == 10
    assert TimelineEntry.objects.filter(order__in=orders, kind=TimelineKind.CREATED).count() == 50


STATUS_CASES = [
    ("Pending", "new", StockStatus.ALLOCATED),
    ("Being processed", "processing", StockStatus.ALLOCATED),
    ("Complete", "completed", StockStatus.CONSUMED),
    ("Cancelled", "cancelled", StockStatus.RELEASED),
    ("Shipped", "shipped", StockStatus.CONSUMED),
    ("on-hold", "on_hold", StockStatus.ALLOCATED),
    ("Refunded", "refunded", StockStatus.UNTRACKED),
    ("Something custom", "new", StockStatus.ALLOCATED),
]


def test_backfill_maps_oscar_statuses_and_is_idempotent(settings):
    settings.OSCAR_ORDERS_EXT_STATUS_MAP = {"Awaiting pickup": "shipped"}
    orders = [factories.create_order(status=status) for status, *_ in STATUS_CASES]
    orders.append(factories.create_order(status="Awaiting pickup"))
    OrderProcess.objects.all().delete()  # as if the shop had these orders before installing
    TimelineEntry.objects.all().delete()

    call_command("orders_backfill", batch_size=3, stdout=io.StringIO())

    expected = [(state, stock) for _, state, stock in STATUS_CASES] + [
        ("shipped", StockStatus.CONSUMED)]
    found = [(OrderProcess.objects.get(order=o).state, OrderProcess.objects.get(order=o)
              .stock_status) for o in orders]
    assert found == expected
    assert TimelineEntry.objects.filter(kind=TimelineKind.CREATED).count() == len(orders)

    call_command("orders_backfill", stdout=io.StringIO())

    assert OrderProcess.objects.count() == len(orders)
    assert TimelineEntry.objects.filter(kind=TimelineKind.CREATED).count() == len(orders)


def test_backfill_reports_what_it_did(capsys):
    factories.create_order()
    OrderProcess.objects.all().delete()
    call_command("orders_backfill")
    call_command("orders_backfill")
    out = capsys.readouterr().out.splitlines()
    # Plural forms: "1 orders attached" was printed.
    assert out == ["1 order attached. 0 already had their workspace record.",
                   "0 orders attached. 1 already had its workspace record."]


def test_a_default_funnel_exists_after_migrate_with_a_stage_per_state():
    funnel = Funnel.objects.get(is_default=True)
    assert list(funnel.stages.values_list("state", flat=True)) == [
        "new", "processing", "awaiting_payment", "on_hold", "awaiting_customer", "shipped",
        "completed", "cancelled", "rejected", "returned", "refunded", "error"]


def test_the_workspace_keeps_a_current_copy_of_the_orders_list_fields(place_order):
    order = place_order(guest_email="Ann.Buyer@Example.com",
                        shipping_address=factories.ShippingAddressFactory(
                            first_name="Ann", last_name="Buyer", phone_number="+442071838750"))
    process = OrderProcess.objects.get(order=order)
    assert (process.number, process.currency, process.total) == (
        str(order.number), order.currency, order.total_incl_tax)
    assert (process.customer_name, process.customer_email, process.customer_phone) == (
        "Ann Buyer", "ann.buyer@example.com", "+442071838750")

    order.guest_email = "ann@new.example.com"
    order.save()
    SourceType = get_model("payment", "SourceType")
    get_model("payment", "Source").objects.create(
        order=order, source_type=SourceType.objects.create(name="Bank transfer"),
        amount_allocated=order.total_incl_tax)

    process.refresh_from_db()
    assert process.customer_email == "ann@new.example.com"
    assert process.payment_method == "Bank transfer"
