"""The fast path: many demo orders written with ``bulk_create``, in batches.

Orders, their addresses and lines are inserted directly (``bulk_create`` calls no ``save()``,
so every field Oscar would fill in is set here), then the app's
``bulk_attach_processes`` attaches the companion rows. Stock records are allocated for the
orders whose workflow state still holds goods, so later moves in the dashboard work on them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import translation
from oscar.core.loading import get_model

from oscar_orders_ext.constants import StockStatus
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.services.processes import ProcessSeed, bulk_attach_processes
from oscar_orders_ext.services.stock import EFFECT_STEPS
from oscar_orders_ext.workflow import get_workflow

from .planning import OrderPlan, delivery_for
from .setup import DemoWorld

BillingAddress = get_model("order", "BillingAddress")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
ShippingAddress = get_model("order", "ShippingAddress")
Source = get_model("payment", "Source")
StockRecord = get_model("partner", "StockRecord")

#: Bulk orders are numbered D00000001, D00000002…: Oscar's checkout numbers are 100000 plus
#: the basket id, digits only, so the two never collide.
NUMBER_PREFIX = "D"
NUMBER_DIGITS = 8
#: Units kept available on top of what bulk orders hold allocated.
STOCK_RESERVE = 50


def next_bulk_number() -> int:
    """The sequence number following the highest bulk order number in the database."""
    numbers = Order.objects.filter(number__startswith=NUMBER_PREFIX).values_list(
        "number", flat=True)
    last = numbers.order_by("-number").first()
    digits = last[len(NUMBER_PREFIX):] if last else ""
    return int(digits) + 1 if digits.isdigit() else 1


class StockReplay:
    """Where an order's stock stands after its planned moves, by the workflow's stock effects.

    The same bookkeeping the transitions do one order at a time: each effect applies only
    from the stock status it expects, so a refund after a return leaves the goods restocked
    and a refund after a cancellation leaves the allocation released.
    """

    def __init__(self) -> None:
        self.effects = get_workflow().get_stock_effects()
        self.targets = {transition.name: str(transition.target)
                        for transition in OrderProcess().get_all_state_transitions()}

    def __call__(self, plan: OrderPlan) -> str:
        """The stock status the order ends with."""
        status: str = StockStatus.ALLOCATED
        for step in plan.steps:
            if step.kind != "transition":
                continue
            step_from, step_to = EFFECT_STEPS.get(
                self.effects.get(self.targets[step.value], ""), ("", ""))
            if step_from == status:
                status = step_to
        return status


def _addresses(plan: OrderPlan, world: DemoWorld) -> tuple[Any, Any]:
    person = plan.person
    fields = {"first_name": person.first_name, "last_name": person.last_name,
              "line1": person.line1, "line4": person.city, "state": person.state,
              "postcode": person.postcode.upper(), "country": world.countries[person.country]}
    shipping = ShippingAddress(phone_number=person.phone, **fields)
    billing = BillingAddress(**fields)
    for address in (shipping, billing):
        address._update_search_text()  # what Address.save() does
    return shipping, billing


def _lines(plan: OrderPlan, world: DemoWorld, stock_status: str,
           allocated: Counter[int]) -> list[Any]:
    """Unsaved lines of the order (``order`` set later), counting what they hold allocated."""
    lines = []
    for product, quantity in plan.items:
        record = world.stockrecords[(product.pk, plan.currency)]
        unit = record.price
        price = unit * quantity
        tracked = product.pk in world.tracked_product_ids
        if not tracked:
            held, cancelled = quantity, False  # Oscar leaves untracked lines as placed
        elif stock_status == StockStatus.ALLOCATED:
            held, cancelled = quantity, False
            allocated[record.pk] += quantity
        else:
            held, cancelled = 0, stock_status == StockStatus.RELEASED
        lines.append(Line(
            partner=record.partner, partner_name=record.partner.name,
            partner_sku=record.partner_sku, stockrecord=record, product=product,
            title=product.title, upc=product.upc or "", quantity=quantity,
            line_price_incl_tax=price, line_price_excl_tax=price,
            line_price_before_discounts_incl_tax=price,
            line_price_before_discounts_excl_tax=price,
            unit_price_incl_tax=unit, unit_price_excl_tax=unit,
            num_allocated=held, allocation_cancelled=cancelled))
    return lines


def _write_batch(plans: list[OrderPlan], world: DemoWorld, first_number: int,
                 stock_after: StockReplay) -> int:
    """Insert one batch of orders with everything attached; returns how many."""
    workflow = get_workflow()
    allocated: Counter[int] = Counter()
    addresses = [_addresses(plan, world) for plan in plans]
    orders, order_lines = [], []
    for offset, plan in enumerate(plans):
        stock_status = stock_after(plan)
        lines = _lines(plan, world, stock_status, allocated)
        subtotal = sum((line.line_price_incl_tax for line in lines), Decimal("0.00"))
        with translation.override(plan.person.language):  # as checkout stores its name
            delivery = delivery_for(plan.currency, subtotal, any(
                p.pk in world.shipped_product_ids for p, __ in plan.items))
        orders.append(Order(
            number=f"{NUMBER_PREFIX}{first_number + offset:0{NUMBER_DIGITS}d}",
            site=world.site, user=plan.customer,
            guest_email=plan.person.email if plan.customer is None else "",
            currency=plan.currency, total_incl_tax=subtotal + delivery.charge,
            total_excl_tax=subtotal + delivery.charge, shipping_incl_tax=delivery.charge,
            shipping_excl_tax=delivery.charge, shipping_method=delivery.name,
            shipping_code=delivery.code,
            status=workflow.get_state(plan.state).get_oscar_status(),
            date_placed=plan.placed_at))
        order_lines.append((lines, stock_status))

    with transaction.atomic():
        ShippingAddress.objects.bulk_create([shipping for shipping, __ in addresses])
        BillingAddress.objects.bulk_create([billing for __, billing in addresses])
        for order, (shipping, billing) in zip(orders, addresses, strict=True):
            order.shipping_address, order.billing_address = shipping, billing
        Order.objects.bulk_create(orders)
        for order, (lines, __) in zip(orders, order_lines, strict=True):
            for line in lines:
                line.order = order
        Line.objects.bulk_create([line for lines, __ in order_lines for line in lines])
        Source.objects.bulk_create([plan.payment_source(order, world)
                                    for order, plan in zip(orders, plans, strict=True)])
        bulk_attach_processes(
            (ProcessSeed(order=order, state=plan.state, funnel=plan.funnel,
                         order_type=plan.order_type, payment_status=plan.payment_status,
                         operator=plan.operator, source=plan.source, tags=plan.tags,
                         payment_method=world.payment_types[plan.payment_method].name,
                         stock_status=stock_status, state_changed_at=plan.state_changed_at,
                         language=plan.person.language)
             for order, plan, (__, stock_status) in zip(orders, plans, order_lines,
                                                        strict=True)),
            batch_size=len(orders))
        for record_pk, quantity in allocated.items():
            StockRecord.objects.filter(pk=record_pk).update(
                num_allocated=Coalesce(F("num_allocated"), 0) + quantity)
        # Keep the goods on sale: partners deliver what the open orders need.
        StockRecord.objects.filter(pk__in=list(allocated)).update(
            num_in_stock=Greatest(Coalesce(F("num_in_stock"), 0),
                                  F("num_allocated") + STOCK_RESERVE))
    return len(orders)


def create_orders_in_bulk(plans: Iterable[OrderPlan], world: DemoWorld, *, batch_size: int,
                          progress: Callable[[int], None] | None = None) -> int:
    """Write every planned order with bulk inserts, ``batch_size`` at a time."""
    iterator = iter(plans)
    number = next_bulk_number()
    stock_after = StockReplay()
    done = 0
    while batch := list(islice(iterator, batch_size)):
        written = _write_batch(batch, world, number, stock_after)
        number += written
        done += written
        if progress:
            progress(done)
    return done
