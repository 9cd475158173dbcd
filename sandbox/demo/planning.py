"""What each demo order looks like, decided up front from a seeded random generator.

A plan says who buys what, in which currency, when, and what happened to the order since
(the workflow moves, payment, operator, tags, funnel). The checkout path and the bulk path
both carry out the same plans, so the two produce comparable shops.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from oscar.core.loading import get_model

from oscar_orders_ext.constants import OrderType, PaymentStatus
from oscar_orders_ext.models import Funnel, OrderProcess, Tag
from oscar_orders_ext.workflow import default as wf
from oscar_orders_ext.workflow import get_workflow

from . import data
from .data import PersonSpec
from .setup import DemoWorld

Source = get_model("payment", "Source")

#: Transitions leading from the initial state to each state, per way of getting there.
PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    wf.NEW: ((),),
    wf.PROCESSING: (("confirm",),),
    wf.AWAITING_PAYMENT: (("request_payment",), ("confirm", "request_payment")),
    wf.ON_HOLD: (("confirm", "hold"), ("hold",)),
    wf.AWAITING_CUSTOMER: (("await_customer",),),
    wf.SHIPPED: (("confirm", "ship"),),
    wf.COMPLETED: (("confirm", "ship", "complete"), ("confirm", "complete")),
    wf.CANCELLED: (("cancel",), ("confirm", "cancel")),
    wf.REJECTED: (("reject",), ("await_customer", "reject")),
    wf.RETURNED: (("confirm", "ship", "complete", "mark_returned"),),
    wf.REFUNDED: (("confirm", "ship", "mark_returned", "refund"), ("confirm", "cancel", "refund")),
    wf.ERROR: (("flag_error",),),
}

#: How long after the previous step each transition typically happens, in hours.
GAPS_HOURS: dict[str, tuple[float, float]] = {
    "confirm": (0.5, 20),
    "request_payment": (0.5, 12),
    "hold": (2, 48),
    "await_customer": (1, 24),
    "ship": (12, 72),
    "complete": (48, 168),
    "cancel": (1, 96),
    "reject": (2, 72),
    "mark_returned": (120, 480),
    "refund": (12, 96),
    "flag_error": (0.1, 6),
}

# State weights by the order's age: recent orders are still being worked, old ones are done.
_RECENT = {wf.NEW: 30, wf.PROCESSING: 18, wf.AWAITING_PAYMENT: 9, wf.ON_HOLD: 5,
           wf.AWAITING_CUSTOMER: 6, wf.SHIPPED: 12, wf.COMPLETED: 3, wf.CANCELLED: 6,
           wf.REJECTED: 3, wf.ERROR: 5}
_WEEKS = {wf.NEW: 3, wf.PROCESSING: 10, wf.AWAITING_PAYMENT: 5, wf.ON_HOLD: 5,
          wf.AWAITING_CUSTOMER: 5, wf.SHIPPED: 30, wf.COMPLETED: 25, wf.CANCELLED: 8,
          wf.REJECTED: 3, wf.RETURNED: 2, wf.REFUNDED: 2, wf.ERROR: 2}
_OLD = {wf.PROCESSING: 1, wf.ON_HOLD: 1, wf.SHIPPED: 4, wf.COMPLETED: 66, wf.CANCELLED: 9,
        wf.REJECTED: 3, wf.RETURNED: 4, wf.REFUNDED: 8, wf.ERROR: 1}

#: Chance, per state, that the order has been paid (the rest are unpaid).
_PAID_CHANCE = {wf.NEW: 0.5, wf.PROCESSING: 0.8, wf.AWAITING_PAYMENT: 0.0, wf.ON_HOLD: 0.4,
                wf.AWAITING_CUSTOMER: 0.3, wf.SHIPPED: 0.9, wf.COMPLETED: 0.95,
                wf.CANCELLED: 0.15, wf.REJECTED: 0.1, wf.RETURNED: 1.0, wf.REFUNDED: 1.0,
                wf.ERROR: 0.3}

SHIPPING_CHARGE = {"EUR": Decimal("4.90"), "GBP": Decimal("3.95"), "USD": Decimal("5.90")}
FREE_SHIPPING_OVER = Decimal("100")
HISTORY_DAYS = 365
#: Ages are HISTORY_DAYS * u ** AGE_SKEW for uniform u: the larger, the busier recent weeks.
AGE_SKEW = 2.5


@dataclass(frozen=True)
class Step:
    """One thing done to the order after it was placed, at a given time."""

    kind: str  # "operator", "funnel", "tags", "order_type", "payment" or "transition"
    at: datetime
    value: str = ""


@dataclass
class OrderPlan:
    """Everything about one demo order, decided before it is written."""

    placed_at: datetime
    customer: Any  # a User, or None for a guest checkout
    person: PersonSpec
    currency: str
    items: list[tuple[Any, int]]
    funnel: Funnel
    state: str
    payment_status: str
    operator: Any
    order_type: str
    source: str
    tags: list[Tag] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def payment_method(self) -> str:
        """The payment method's code: wholesale buyers pay by bank transfer, shoppers mostly
        by card (worked out from the plan, so the random sequence of seeds stays as it was)."""
        if self.funnel.name == data.WHOLESALE_FUNNEL:
            return "bank-transfer"
        return ("card", "card", "card", "cash-on-delivery")[self.placed_at.minute % 4]

    def payment_source(self, order: Any, world: DemoWorld) -> Any:
        """An unsaved Oscar payment ``Source`` for ``order``: the amount allocated, debited
        once the plan has it paid (refunds included)."""
        debited = (order.total_incl_tax if self.payment_status != PaymentStatus.UNPAID
                   else Decimal("0.00"))
        return Source(order=order, source_type=world.payment_types[self.payment_method],
                      currency=order.currency, amount_allocated=order.total_incl_tax,
                      amount_debited=debited)

    @property
    def state_changed_at(self) -> datetime:
        """When the order entered its current state."""
        moves = [step.at for step in self.steps if step.kind == "transition"]
        return moves[-1] if moves else self.placed_at



def check_workflow() -> list[str]:
    """Problems that stop the demo plans from fitting the configured workflow."""
    workflow = get_workflow()
    problems = [f"state “{code}”" for code in PATHS if not workflow.has_state(code)]
    declared = OrderProcess().transition_names()
    problems += [f"transition “{name}”" for name in GAPS_HOURS if name not in declared]
    return problems


def placement_ages(rng: random.Random, count: int) -> Iterator[float]:
    """``count`` order ages in days, oldest first, spread over the last year.

    Streams sorted uniforms (each the largest remaining, drawn as ``u * v ** (1 / k)``) so
    100 000 orders need no list; the skew makes recent weeks busier, like a growing shop.
    """
    u = 1.0
    for remaining in range(count, 0, -1):
        u *= rng.random() ** (1.0 / remaining)
        yield HISTORY_DAYS * u ** AGE_SKEW


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _pick_state(rng: random.Random, age_days: float) -> str:
    if age_days < 4:
        return _weighted(rng, _RECENT)
    if age_days < 28:
        return _weighted(rng, _WEEKS)
    return _weighted(rng, _OLD)


def _pick_items(rng: random.Random, world: DemoWorld, wholesale: bool) -> list[tuple[Any, int]]:
    tracked = [p for p in world.products if p.pk in world.tracked_product_ids]
    if wholesale:
        return [(product, rng.randint(6, 24)) for product in rng.sample(tracked, rng.randint(2, 5))]
    items = [(product, rng.choices((1, 2, 3), weights=(70, 22, 8))[0])
             for product in rng.sample(tracked, rng.choices((1, 2, 3, 4),
                                                             weights=(45, 30, 17, 8))[0])]
    if rng.random() < 0.08:
        gift_cards = [p for p in world.products if p.pk not in world.tracked_product_ids]
        card = rng.choice(gift_cards)
        items = [(card, 1)] if rng.random() < 0.3 else items + [(card, 1)]
    return items


def _schedule(rng: random.Random, placed_at: datetime, now: datetime,
              moves: tuple[str, ...]) -> list[tuple[str, datetime]]:
    """Times of the transitions, each after the previous one and none in the future."""
    times = []
    at = placed_at
    for name in moves:
        low, high = GAPS_HOURS[name]
        at = min(at + timedelta(hours=rng.uniform(low, high)), now)
        times.append((name, at))
    return times


def plan_order(rng: random.Random, world: DemoWorld, age_days: float, now: datetime
               ) -> OrderPlan:
    """Decide one order placed ``age_days`` ago."""
    placed_at = now - timedelta(days=age_days)
    guest = rng.random() < 0.1
    if guest:
        customer, person = None, rng.choice(world.guests)
    else:
        customer, person = rng.choice(world.customers)
    wholesale = (person.wholesale and rng.random() < 0.7) or rng.random() < 0.04
    currency = data.CURRENCY_BY_COUNTRY[person.country]
    if rng.random() < 0.08:
        currency = rng.choice(data.CURRENCIES)
    state = _pick_state(rng, age_days)
    moves = rng.choice(PATHS[state])

    paid = rng.random() < _PAID_CHANCE[state]
    payment = PaymentStatus.PAID if paid else PaymentStatus.UNPAID
    if state == wf.REFUNDED:
        payment = PaymentStatus.REFUNDED  # the refund transition sets it
    elif state == wf.COMPLETED and paid and rng.random() < 0.08:
        payment = PaymentStatus.PARTIALLY_REFUNDED

    if wholesale:
        order_type = _weighted(rng, {OrderType.STANDARD: 70, OrderType.QUOTE: 30})
    else:
        order_type = _weighted(rng, {OrderType.STANDARD: 85, OrderType.SUBSCRIPTION: 5,
                                     OrderType.INSTALLMENT: 4, OrderType.QUOTE: 6})
    operator = None
    if state != wf.NEW or rng.random() < 0.4:
        operator = rng.choice(world.operators)

    tags = []
    if person.vip:
        tags.append(world.tags["VIP"])
    if wholesale:
        tags.append(world.tags["Wholesale"])
    for name, chance in (("Gift", 0.08), ("Fragile", 0.07), ("Express", 0.06)):
        if rng.random() < chance:
            tags.append(world.tags[name])
    if state in {wf.ERROR, wf.ON_HOLD} and rng.random() < 0.6:
        tags.append(world.tags["Follow-up"])

    source = "phone" if wholesale and rng.random() < 0.5 else rng.choice(data.SOURCES)
    plan = OrderPlan(
        placed_at=placed_at, customer=customer, person=person, currency=currency,
        items=_pick_items(rng, world, wholesale),
        funnel=world.wholesale_funnel if wholesale else world.default_funnel,
        state=state, payment_status=payment, operator=operator, order_type=order_type,
        source=source, tags=tags)

    # What operators did, in order: take the order, file it, then pay and move it.
    at = min(placed_at + timedelta(minutes=rng.uniform(1, 30)), now)
    if payment != PaymentStatus.UNPAID and source == "web":
        plan.steps.append(Step("payment", at, PaymentStatus.PAID))  # card payment at checkout
    at += timedelta(minutes=rng.uniform(5, 240))
    if operator is not None:
        plan.steps.append(Step("operator", min(at, now)))
    if wholesale:
        plan.steps.append(Step("funnel", min(at, now)))
    if order_type != OrderType.STANDARD:
        plan.steps.append(Step("order_type", min(at, now), order_type))
    if tags:
        plan.steps.append(Step("tags", min(at, now)))
    if payment != PaymentStatus.UNPAID and not any(s.kind == "payment" for s in plan.steps):
        plan.steps.append(Step("payment", min(at, now), PaymentStatus.PAID))
    for name, moved_at in _schedule(rng, min(at, now), now, moves):
        plan.steps.append(Step("transition", moved_at, name))
    if payment == PaymentStatus.PARTIALLY_REFUNDED:
        late = plan.state_changed_at + timedelta(days=rng.uniform(1, 10))
        plan.steps.append(Step("payment", min(late, now), PaymentStatus.PARTIALLY_REFUNDED))
    return plan


@dataclass(frozen=True)
class Delivery:
    """The delivery option the demo shop applies to a basket."""

    code: str
    name: str
    charge: Decimal


def delivery_for(currency: str, subtotal: Decimal, requires_shipping: bool) -> Delivery:
    """Standard delivery, free over 100 in any currency, nothing to ship for gift cards only."""
    if not requires_shipping:
        return Delivery("no-shipping-required", gettext("No shipping required"), Decimal("0.00"))
    if subtotal >= FREE_SHIPPING_OVER:
        return Delivery("free-shipping", gettext("Free shipping"), Decimal("0.00"))
    # Oscar's FixedPrice method's own name, which Oscar's catalogues translate.
    return Delivery("standard-delivery", gettext("Fixed price shipping"),
                    SHIPPING_CHARGE[currency])
