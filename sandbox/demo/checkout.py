"""The realistic path: each demo order goes through Oscar's own checkout code.

A basket is filled through a strategy, priced, and turned into an order by Oscar's
``OrderCreator`` (stock is allocated exactly as at checkout); the app's signal attaches the
order's process, and the order's later history is played through the app's services as an
operator would, then dated back to when it "happened".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from oscar.core.loading import get_class, get_model

from oscar_orders_ext.constants import OrderType, PaymentStatus, TimelineKind
from oscar_orders_ext.models import (OrderProcess, Subscription, SubscriptionEvent,
                                     TimelineEntry)
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import transition_order

from .planning import OrderPlan, Step, delivery_for
from .setup import PLAN_PRODUCT_UPC, DemoWorld

Basket = get_model("basket", "Basket")
Product = get_model("catalogue", "Product")
BillingAddress = get_model("order", "BillingAddress")
OrderStatusChange = get_model("order", "OrderStatusChange")
ShippingAddress = get_model("order", "ShippingAddress")
StockRecord = get_model("partner", "StockRecord")
Default = get_class("partner.strategy", "Default")
FixedPrice = get_class("shipping.methods", "FixedPrice")
Free = get_class("shipping.methods", "Free")
NoShippingRequired = get_class("shipping.methods", "NoShippingRequired")
OrderCreator = get_class("order.utils", "OrderCreator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
SurchargeApplicator = get_class("checkout.applicator", "SurchargeApplicator")

#: Units a partner delivers when a demo order wants more than is left.
RESTOCK_QUANTITY = 100


class CurrencyStrategy(Default):  # type: ignore[misc,valid-type]
    """Oscar's ``Default`` strategy, buying from the stock record priced in one currency.

    A multi-currency storefront would pick the currency from the visitor's country; the
    demo picks it from the customer's.
    """

    def __init__(self, currency: str, request: Any = None) -> None:
        super().__init__(request)
        self.currency = currency

    def select_stockrecord(self, product: Any) -> Any:
        """The product's stock record in this strategy's currency, if it has one."""
        for record in product.stockrecords.all():
            if record.price_currency == self.currency:
                return record
        return None


def _shipping_method(basket: Any) -> Any:
    delivery = delivery_for(basket.currency, basket.total_incl_tax,
                            basket.is_shipping_required())
    if delivery.code == "no-shipping-required":
        method = NoShippingRequired()
    elif delivery.charge:
        method = FixedPrice(charge_excl_tax=delivery.charge, charge_incl_tax=delivery.charge)
    else:
        method = Free()
    method.code, method.name = delivery.code, delivery.name
    return method


def _address(model: Any, plan: OrderPlan, world: DemoWorld) -> Any:
    person = plan.person
    fields = {"first_name": person.first_name, "last_name": person.last_name,
              "line1": person.line1, "line4": person.city, "state": person.state,
              "postcode": person.postcode, "country": world.countries[person.country]}
    if model is ShippingAddress:
        fields["phone_number"] = person.phone
    return model.objects.create(**fields)


def _fill_basket(plan: OrderPlan) -> Any:
    basket = Basket.objects.create(owner=plan.customer)
    basket.strategy = CurrencyStrategy(plan.currency)
    for product, quantity in plan.items:
        info = basket.strategy.fetch_for_product(product)
        permitted, __ = info.availability.is_purchase_permitted(quantity)
        if not permitted:  # the partner restocks rather than the demo order shrinking
            StockRecord.objects.filter(pk=info.stockrecord.pk).update(
                num_in_stock=F("num_in_stock") + max(RESTOCK_QUANTITY, quantity))
        basket.add_product(product, quantity)
    return basket


def place_with_oscar(plan: OrderPlan, world: DemoWorld) -> Any:
    """Place the planned order through Oscar's checkout machinery; returns the order. In the
    customer's language, as their browser would at checkout: the order records it, and Oscar
    stores the shipping method's and surcharges' names in it."""
    with translation.override(plan.person.language):
        basket = _fill_basket(plan)
        method = _shipping_method(basket)
        charge = method.calculate(basket)
        surcharges = SurchargeApplicator().get_applicable_surcharges(basket)
        total = OrderTotalCalculator().calculate(basket, charge, surcharges)
        extra = {"guest_email": plan.person.email} if plan.customer is None else {}
        order = OrderCreator().place_order(
            basket=basket, total=total, shipping_method=method, shipping_charge=charge,
            user=plan.customer, shipping_address=_address(ShippingAddress, plan, world),
            billing_address=_address(BillingAddress, plan, world), surcharges=surcharges,
            date_placed=plan.placed_at, **extra)
    basket.set_as_submitted()
    return order


def _carry_out(step: Step, order: Any, plan: OrderPlan, world: DemoWorld, actor: Any) -> None:
    if step.kind == "operator":
        edits.assign_operator(order, plan.operator, user=actor)
    elif step.kind == "funnel":
        edits.move_to_funnel(order, plan.funnel, user=actor)
    elif step.kind == "order_type":
        edits.set_order_type(order, step.value, user=actor)
    elif step.kind == "tags":
        edits.set_tags(order, plan.tags, user=actor)
    elif step.kind == "payment":
        edits.set_payment_status(order, step.value, user=actor)
    elif step.kind == "transition":
        transition_order(order, step.value, user=actor, notify_customer=False)
    else:  # pragma: no cover - plans only contain the kinds above
        raise ValueError(step.kind)


def _date_back(order: Any, at: datetime, run_started: datetime) -> None:
    """Give what the last step wrote (stamped "now") the time the step is meant to have."""
    TimelineEntry.objects.filter(order=order, created_at__gt=run_started).update(created_at=at)
    OrderStatusChange.objects.filter(order=order, date_created__gt=run_started).update(
        date_created=at)


def play_history(order: Any, plan: OrderPlan, world: DemoWorld, run_started: datetime) -> None:
    """Apply the plan's steps through the app's services, as the operator, dated back."""
    actor = plan.operator or world.admin
    # The signal attached the process at placement; record where the order came from.
    OrderProcess.objects.filter(order=order).update(source=plan.source)
    for entry in TimelineEntry.objects.filter(order=order, kind=TimelineKind.CREATED):
        entry.data = {**entry.data, "source": plan.source}
        entry.save(update_fields=["data"])
    for step in plan.steps:
        _carry_out(step, order, plan, world, actor)
        _date_back(order, step.at, run_started)
    last_activity = max([plan.placed_at, *(step.at for step in plan.steps)])
    OrderProcess.objects.filter(order=order).update(
        state_changed_at=plan.state_changed_at, last_activity_at=last_activity)


def create_orders_with_oscar(plans: Iterable[OrderPlan], world: DemoWorld, *,
                             run_started: datetime,
                             progress: Callable[[int], None] | None = None) -> int:
    """Place every planned order through Oscar and play its history; returns the count."""
    done = 0
    for plan in plans:
        with transaction.atomic():
            order = place_with_oscar(plan, world)
            plan.payment_source(order, world).save()  # the workspace copies its method name
            play_history(order, plan, world, run_started)
        done += 1
        if progress:
            progress(done)
    return done


#: The demo customer whose subscription is due when the demo shop is seeded.
SUBSCRIBER = "giulia.bianchi"


def place_due_subscription(world: DemoWorld, run_started: datetime) -> Any:
    """Giulia's "Coffee of the month", bought and confirmed a month ago: its second month is
    due today, so the tick (``orders_tick``, or the worker's) bills it at once, a renewal order
    with its payment link, for a merchant to find without waiting a month
    (docs/subscriptions.md). Nothing when the shop already has a subscription."""
    if Subscription.objects.exists():
        return None
    customer, person = next((user, spec) for user, spec in world.customers
                            if spec.username == SUBSCRIBER)
    placed_at = run_started - relativedelta(months=1)
    plan = OrderPlan(
        placed_at=placed_at, customer=customer, person=person, currency="EUR",
        items=[(Product.objects.get(upc=PLAN_PRODUCT_UPC), 1)], funnel=world.default_funnel,
        state="processing", payment_status=PaymentStatus.PAID, operator=None,
        order_type=OrderType.SUBSCRIPTION, source="web",
        steps=[Step("payment", placed_at + timedelta(minutes=5), PaymentStatus.PAID),
               Step("transition", placed_at + timedelta(hours=2), "confirm")])
    # Giulia shops in Italian (place_with_oscar): so do her renewals, emails and documents.
    with transaction.atomic():
        order = place_with_oscar(plan, world)
        plan.payment_source(order, world).save()
        play_history(order, plan, world, run_started)  # the confirmation starts it ...
        for sub in Subscription.objects.filter(order=order).select_related("plan"):
            # ... today: it started a month ago, with the order.
            # The shop's date of the order (not UTC's, nor two hours later's: seeded after
            # 22:00 that was tomorrow, and the subscription was not due today).
            anchor = timezone.localdate(placed_at)
            Subscription.objects.filter(pk=sub.pk).update(
                anchor=anchor, created_at=placed_at + timedelta(hours=2),
                next_renewal_on=sub.plan.period_start(anchor, sub.periods_billed))
            SubscriptionEvent.objects.filter(subscription=sub).update(
                created_at=placed_at + timedelta(hours=2))
    return order
