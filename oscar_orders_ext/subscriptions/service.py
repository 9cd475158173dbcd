"""Every write about subscriptions: creating them when an order is confirmed, renewing them on
the tick (one renewal order per period, paid off-session or by a payment link), dunning
(past due, reminders, inactive), changing plan with the shop's proration policy, cancelling
and resuming.

Each write locks the subscription row (``SELECT … FOR UPDATE``), moves its state through the
django-fsm machine of ``workflow.subscriptions`` (conditions and permissions checked as for
orders) and records a ``SubscriptionEvent``. Renewals are unique per subscription and period
(``ooe_renewal_once``): two ticks racing on two hosts create one renewal order, not two.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import OrderType, PaymentStatus
from oscar_orders_ext.display import format_money
from oscar_orders_ext.i18n import in_order_language
from oscar_orders_ext.exceptions import (ConditionNotMet, OrderWorkflowError,
                                         TransitionNotAllowed, TransitionPermissionDenied)
from oscar_orders_ext.models import (EndReason, OrderProcess, Plan, PlanPrice, ProductPlan,
                                     Quote, QuoteStatus, RenewalStatus,
                                     Subscription, SubscriptionEvent, SubscriptionRenewal,
                                     WebhookEndpoint)
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.webhooks import events as webhook_events
from oscar_orders_ext.webhooks.service import emit as emit_webhook
from oscar_orders_ext.services.edits import set_order_type
from oscar_orders_ext.services.order_numbers import new_order_number
from oscar_orders_ext.services.processes import order_source
from oscar_orders_ext.workflow.subscriptions import ACTIVE, INACTIVE, PAST_DUE, SCHEDULED

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
OrderCreator = get_class("order.utils", "OrderCreator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
NoShippingRequired = get_class("shipping.methods", "NoShippingRequired")
PurchaseInfo = get_class("partner.strategy", "PurchaseInfo")
FixedPrice = get_class("partner.prices", "FixedPrice")
Available = get_class("partner.availability", "Available")

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
#: The process ``source`` of renewal orders.
SOURCE = "subscription"


class SubscriptionProblem(OrderWorkflowError):
    """A change of a subscription was refused; nothing was written."""


# --- Reading ------------------------------------------------------------------------------------

def today() -> date:
    """The shop's date now (``TIME_ZONE``): renewals fall on dates, so DST moves nothing."""
    return timezone.localdate()


def start_of(day: date) -> datetime:
    """Midnight of ``day`` in the shop's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def plan_lines(order: Any) -> list[tuple[Any, Plan]]:
    """The order's lines sold on a plan, with the plan (one query)."""
    lines = list(order.lines.all())
    plans = {pp.product_id: pp.plan for pp in ProductPlan.objects.select_related("plan").filter(
        product_id__in=[line.product_id for line in lines if line.product_id])}
    return [(line, plans[line.product_id]) for line in lines if line.product_id in plans]


#: Django cache key of the ids of the products sold on a plan (``plan_product_ids``).
PLAN_PRODUCTS_CACHE_KEY = "oscar_orders_ext:subscriptions:plan_products"
#: Where an order created in this process notes the products of the lines written for it.
LINE_PRODUCTS = "_oscar_orders_ext_line_products"


def plan_product_ids() -> frozenset[int]:
    """The ids of the products sold on a plan, remembered in Django's cache for
    ``PLAN_PRODUCTS_CACHE_SECONDS`` and forgotten whenever a product's plan changes."""
    seconds = app_settings.PLAN_PRODUCTS_CACHE_SECONDS
    known = cache.get(PLAN_PRODUCTS_CACHE_KEY) if seconds else None
    if known is None:
        known = frozenset(ProductPlan.objects.values_list("product_id", flat=True))
        if seconds:
            cache.set(PLAN_PRODUCTS_CACHE_KEY, known, seconds)
    return frozenset(known)


def forget_plan_products() -> None:
    """Make the next ``plan_product_ids`` ask the database (a product's plan changed)."""
    cache.delete(PLAN_PRODUCTS_CACHE_KEY)


def watch_lines(order: Any) -> None:
    """Start noting the products of the lines written for this new order (``note_line``)."""
    order.__dict__[LINE_PRODUCTS] = set()


def note_line(order: Any, product_id: int | None) -> None:
    """A line of ``product_id`` was written for ``order`` (noted only if watched)."""
    products = order.__dict__.get(LINE_PRODUCTS)
    if products is not None and product_id is not None:
        products.add(product_id)


def may_have_plan_lines(order: Any) -> bool:
    """Whether ``order`` may have lines sold on a plan: decided from the lines noted while it
    was placed (no query while the plans are cached), else True (ask ``plan_lines``)."""
    products = order.__dict__.get(LINE_PRODUCTS)
    return products is None or bool(products & plan_product_ids())


def is_renewal(order: Any) -> bool:
    """Whether the order was placed by a renewal (it never starts a subscription itself)."""
    return SubscriptionRenewal.objects.filter(order_id=getattr(order, "pk", order)).exists()


# --- Timeline and moves -------------------------------------------------------------------------

#: Timeline kinds that are webhook events.
WEBHOOK_EVENTS = {"created": webhook_events.SUBSCRIPTION_CREATED,
                  "renewal": webhook_events.SUBSCRIPTION_RENEWED,
                  "state": webhook_events.SUBSCRIPTION_STATE_CHANGED,
                  "plan": webhook_events.SUBSCRIPTION_PLAN_CHANGED}


def record(subscription: Subscription, kind: str, *, actor: Any = None,
           **data: Any) -> SubscriptionEvent:
    """Add an entry to the subscription's timeline (and send its webhook event, if it is
    one, once committed)."""
    event = SubscriptionEvent.objects.create(
        subscription=subscription, kind=kind, data=data,
        actor=actor if getattr(actor, "is_authenticated", False) else None)
    if kind in WEBHOOK_EVENTS:
        transaction.on_commit(partial(_emit, WEBHOOK_EVENTS[kind], subscription.pk, data))
    return event


def subscription_data(sub: Subscription) -> dict[str, Any]:
    """The subscription as its webhook payloads describe it."""
    return {"id": sub.pk, "state": sub.state, "plan": sub.plan.name, "email": sub.email,
            "product": sub.product_title, "quantity": sub.quantity, "currency": sub.currency,
            "amount": str(sub.amount), "periods_billed": sub.periods_billed,
            "next_renewal_on": sub.next_renewal_on.isoformat() if sub.next_renewal_on else None,
            "cancel_at_period_end": sub.cancel_at_period_end}


def _emit(event: str, pk: int, change: dict[str, Any]) -> None:
    if not WebhookEndpoint.objects.filter(is_active=True).exists():
        return
    sub = Subscription.objects.select_related("plan").get(pk=pk)
    process = OrderProcess.objects.filter(order_id=sub.order_id).first()
    if process is not None:
        emit_webhook(event, process, subscription=subscription_data(sub), change=change)


@contextmanager
def locked(subscription: Subscription | int, *, expected_version: int | None = None
           ) -> Iterator[Subscription]:
    """The subscription's row, locked for the rest of the transaction opened here."""
    pk = subscription if isinstance(subscription, int) else subscription.pk
    with transaction.atomic():
        sub = Subscription.objects.select_for_update(of=("self",)).select_related(
            "plan", "order").get(pk=pk)
        if expected_version is not None and sub.version != expected_version:
            raise SubscriptionProblem(_("The subscription changed meanwhile: reload the page "
                                        "and try again."))
        yield sub


def _move(sub: Subscription, name: str, *, user: Any = None, **data: Any) -> None:
    """Run transition ``name`` (locked by the caller): state, conditions, permission, event."""
    fsm = getattr(type(sub), name)._django_fsm
    transition = fsm.get_transition(sub.state)
    if transition is None:
        raise TransitionNotAllowed(
            _("The subscription is “%(state)s”: it cannot be moved with “%(action)s”.")
            % {"state": sub.state_info.label, "action": name})
    for condition in transition.conditions:
        if not condition(sub):
            raise ConditionNotMet(str(getattr(condition, "failure_message", "")))
    if user is not None and not transition.has_perm(sub, user):
        raise TransitionPermissionDenied(_("You may not change subscriptions."))
    source = sub.state
    getattr(sub, name)()
    if sub.state == INACTIVE:
        sub.ended_at = timezone.now()
        sub.next_renewal_on = None
    record(sub, "state", actor=user, transition=name, **{"from": source, "to": sub.state},
           **data)


def _save(sub: Subscription) -> None:
    sub.version += 1
    sub.save()


def _check(user: Any) -> None:
    if user is not None and not user.has_perm(permissions.MANAGE_SUBSCRIPTIONS):
        raise TransitionPermissionDenied(_("You may not change subscriptions."))


# --- Creation -----------------------------------------------------------------------------------

def create_for_order(order: Any, *, on: date | None = None) -> list[Subscription]:
    """Start a subscription for each line of ``order`` sold on a plan (idempotent: a line has
    at most one). A plan with a trial starts scheduled: its first period is billed by a
    renewal when the trial ends; otherwise the order paid the first period."""
    if is_renewal(order):
        return []
    start = on or today()
    created = []
    agreed = quoted_unit_prices(order)
    for line, plan in plan_lines(order):
        if Subscription.objects.filter(line=line).exists():
            continue
        price = plan.price_for(order.currency)
        amount: Decimal = agreed[line.pk] if line.pk in agreed else (
            price.amount if price else (line.unit_price_incl_tax or Decimal("0.00")))
        trial = plan.trial_days > 0
        anchor = start + timedelta(days=plan.trial_days)
        billed = 0 if trial else 1
        sub = Subscription(
            order=order, line=line, plan=plan, user=order.user,
            email=order.email or "", customer_name=_customer_name(order),
            product_title=line.title, quantity=line.quantity, currency=order.currency,
            amount=amount, anchor=anchor, periods_billed=billed,
            next_renewal_on=plan.period_start(anchor, billed))
        sub.__dict__["state"] = SCHEDULED if trial else ACTIVE  # the machine's entry state
        try:
            with transaction.atomic():
                sub.save()
        except IntegrityError:  # another confirmation of the same order made it first
            continue
        record(sub, "created", order=order.number, plan=plan.name, state=sub.state)
        created.append(sub)
    return created


def quoted_unit_prices(order: Any) -> dict[int, Decimal]:
    """The unit prices (incl. tax, by line id) of the price proposal the customer accepted
    last on ``order``: what they agreed to pay, so what their subscription bills."""
    quote = Quote.objects.filter(order_id=getattr(order, "pk", order),
                                 status=QuoteStatus.ACCEPTED).order_by("-version").first()
    if quote is None:
        return {}
    return {int(entry["line"]): Decimal(str(entry["new"])) for entry in quote.lines or ()
            if entry.get("line") is not None}


def reprice_from_quote(quote: Quote) -> list[Subscription]:
    """The customer accepted ``quote`` on an order whose subscriptions have started: each
    bills the accepted unit price from its next renewal (recorded on its timeline)."""
    prices = quoted_unit_prices(quote.order_id)
    changed = []
    subscriptions = Subscription.objects.filter(order_id=quote.order_id, line_id__in=list(prices))
    for pk in subscriptions.exclude(state=INACTIVE).values_list("pk", flat=True):
        with locked(pk) as sub:
            amount = prices[sub.line_id]
            if sub.amount == amount:
                continue
            record(sub, "price", **{"from": str(sub.amount), "to": str(amount)},
                   currency=sub.currency, quote=quote.version)
            sub.amount = amount
            _save(sub)
            changed.append(sub)
    return changed


def _customer_name(order: Any) -> str:
    user = order.user
    if user is not None:
        return user.get_full_name() or user.email or ""
    address = order.billing_address or order.shipping_address
    return getattr(address, "name", "") or ""


# --- Renewal orders -----------------------------------------------------------------------------

class _FixedPriceStrategy:
    """Oscar's pricing strategy for a renewal basket: the plan's price, whatever the
    catalogue says today, from the stock record of the original line."""

    def __init__(self, currency: str, unit: Decimal, stockrecord: Any) -> None:
        self.info = PurchaseInfo(price=FixedPrice(currency, excl_tax=unit, tax=Decimal("0.00")),
                                 availability=Available(), stockrecord=stockrecord)

    def fetch_for_product(self, product: Any, stockrecord: Any = None) -> Any:
        return self.info

    def fetch_for_line(self, line: Any, stockrecord: Any = None) -> Any:
        return self.info

    def fetch_for_parent(self, product: Any) -> Any:
        return self.info


def _place_order(sub: Subscription, total: Decimal) -> Any:
    """An Oscar order for ``total`` of the subscription's product, through Oscar's basket and
    OrderCreator (stock allocated as at checkout), with its workflow row of type
    subscription."""
    line = sub.line
    product = line.product
    stockrecord = line.stockrecord or product.stockrecords.first()
    if product is None or stockrecord is None:
        raise SubscriptionProblem(_("The product of subscription %(pk)s is no longer sold.")
                                  % {"pk": sub.pk})
    quantity = sub.quantity if (total / sub.quantity).quantize(CENT) * sub.quantity == total \
        else 1
    basket = Basket.objects.create(owner=sub.user, status=Basket.SAVED)
    basket.strategy = _FixedPriceStrategy(sub.currency, (total / quantity).quantize(CENT),
                                          stockrecord)
    basket.add_product(product, quantity)
    method = NoShippingRequired()
    charge = method.calculate(basket)
    order_total = OrderTotalCalculator().calculate(basket, charge)
    extra = {} if sub.user_id else {"guest_email": sub.email}
    # Oscar stores the shipping method's name as text, in the language active when the order
    # is placed: the customer's at checkout, so the first order's here (not the tick's).
    with order_source(SOURCE), in_order_language(sub.order):
        order = OrderCreator().place_order(
            basket=basket, total=order_total, shipping_method=method, shipping_charge=charge,
            user=sub.user, order_number=new_order_number(basket), **extra)
    basket.submit()
    set_order_type(order, OrderType.SUBSCRIPTION)
    # No customer placed it: its emails and documents speak the first order's language.
    OrderProcess.objects.filter(order_id=order.pk).update(language=Subquery(
        OrderProcess.objects.filter(order_id=sub.order_id).values("language")[:1]))
    return order


def _collect(renewal: SubscriptionRenewal) -> None:
    """Charge the renewal without the customer where a charger is configured
    (``SUBSCRIPTION_CHARGER``), else email them a payment link."""
    charger = app_settings.SUBSCRIPTION_CHARGER
    if renewal.amount <= 0:
        _mark_paid(renewal)
        return
    if charger and import_string(charger)(renewal):
        return  # the charger records the payment; the paid receiver settles the renewal
    payments.send_payment_link(renewal.order, notify=True)


def _mark_paid(renewal: SubscriptionRenewal) -> None:
    renewal.status = RenewalStatus.PAID
    renewal.paid_at = timezone.now()
    renewal.next_attempt_at = None
    renewal.save(update_fields=["status", "paid_at", "next_attempt_at"])


def _apply_next_plan(sub: Subscription) -> None:
    if sub.next_plan_id is None:
        return
    plan = sub.next_plan
    assert plan is not None
    price = plan.price_for(sub.currency)
    record(sub, "plan", **{"from": sub.plan.name, "to": plan.name}, when="renewal")
    sub.plan, sub.next_plan = plan, None
    if price is not None:
        sub.amount = price.amount


def _renew_period(sub: Subscription) -> SubscriptionRenewal | None:
    """Bill the due period of a locked subscription, or end it (None)."""
    assert sub.next_renewal_on is not None
    if sub.cancel_at_period_end:
        sub.end_reason = EndReason.CANCELLED
        _move(sub, "end", reason="period end")
        _save(sub)
        return None
    if sub.plan.periods is not None and sub.periods_billed >= sub.plan.periods:
        sub.end_reason = EndReason.ENDED
        _move(sub, "end", reason="all periods billed")
        _save(sub)
        return None
    if sub.state == SCHEDULED:
        _move(sub, "activate")
    _apply_next_plan(sub)
    total = max((sub.amount * sub.quantity + sub.adjustment).quantize(CENT), Decimal("0.00"))
    period, due = sub.periods_billed, sub.next_renewal_on
    try:
        with transaction.atomic():
            renewal = SubscriptionRenewal.objects.create(
                subscription=sub, period=period, due_on=due, amount=total,
                currency=sub.currency, next_attempt_at=_attempt_at(due, 0))
    except IntegrityError:
        raise _AlreadyBilled from None  # the constraint is the last word
    renewal.order = _place_order(sub, total)
    renewal.save(update_fields=["order"])
    sub.periods_billed += 1
    sub.adjustment = Decimal("0.00")
    sub.next_renewal_on = sub.plan.period_start(sub.anchor, sub.periods_billed)
    _save(sub)
    record(sub, "renewal", period=period, order=order_number(renewal), amount=str(total),
           currency=sub.currency)
    _collect(renewal)
    return renewal


def _attempt_at(due: date, reminders: int) -> datetime | None:
    """When an unpaid renewal due on ``due`` is chased next (after ``reminders`` reminders);
    None past the schedule."""
    schedule = list(app_settings.SUBSCRIPTION_DUNNING_DAYS)
    if reminders >= len(schedule):
        return None
    return start_of(due + timedelta(days=int(schedule[reminders])))


class _AlreadyBilled(Exception):
    """Another host billed this period first: roll back everything done for it here."""


def renew_due(*, on: date | None = None, batch_size: int = 500) -> int:
    """Bill every period due by ``on`` (today): the tick runs it. Each subscription is
    locked and skipped while another host works on it; a tick that was down catches up one
    period per pass. Returns how many renewals were made."""
    day = on or today()
    made = 0
    while True:
        pks = list(Subscription.objects.filter(
            state__in=[ACTIVE, SCHEDULED], next_renewal_on__lte=day).order_by(
            "next_renewal_on", "pk").values_list("pk", flat=True)[:batch_size])
        changed = 0
        for pk in pks:
            try:
                with transaction.atomic():
                    sub = Subscription.objects.select_for_update(
                        of=("self",), skip_locked=True).select_related(
                        "plan", "line__product", "line__stockrecord").filter(
                        pk=pk, state__in=[ACTIVE, SCHEDULED], next_renewal_on__lte=day).first()
                    if sub is None:
                        continue  # another host holds it, or it is no longer due
                    renewal = _renew_period(sub)
            except _AlreadyBilled:
                continue
            except (OrderWorkflowError, ValueError):
                logger.exception("Renewal of subscription %s failed", pk)
                continue
            changed += 1
            made += renewal is not None
        if not changed:
            return made


# --- Payments and dunning -----------------------------------------------------------------------

def settle_renewal(order: Any) -> bool:
    """The renewal order ``order`` was paid: the renewal is paid and a past-due subscription
    with nothing else unpaid is active again. True when something changed."""
    renewal = SubscriptionRenewal.objects.filter(order_id=getattr(order, "pk", order)).first()
    if renewal is None or renewal.status == RenewalStatus.PAID:
        return False
    with locked(renewal.subscription_id) as sub:
        renewal.refresh_from_db()
        if renewal.status == RenewalStatus.PAID:
            return False
        _mark_paid(renewal)
        record(sub, "paid", period=renewal.period, order=order_number(renewal))
        if sub.state == PAST_DUE:
            try:
                _move(sub, "recover")
            except OrderWorkflowError:
                pass  # another renewal is still unpaid
        _save(sub)
        return True


def order_number(renewal: SubscriptionRenewal) -> str:
    """The number of the renewal's order."""
    return renewal.order.number if renewal.order_id and renewal.order else ""


def chase_unpaid(*, now: datetime | None = None) -> int:
    """Dunning (the tick runs it): each renewal unpaid at its next step of
    ``SUBSCRIPTION_DUNNING_DAYS`` makes its subscription past due and gets a reminder with a
    fresh payment link; after the last step the subscription becomes inactive. Returns how
    many renewals were chased."""
    moment = now or timezone.now()
    chased = 0
    for pk in SubscriptionRenewal.objects.filter(
            status=RenewalStatus.PENDING, next_attempt_at__lte=moment).values_list("pk",
                                                                                   flat=True):
        with transaction.atomic():
            renewal = SubscriptionRenewal.objects.select_for_update(skip_locked=True).filter(
                pk=pk, status=RenewalStatus.PENDING, next_attempt_at__lte=moment).first()
            if renewal is None:
                continue
            order_id = renewal.order_id or 0
            if OrderProcess.objects.filter(order_id=order_id,
                                           payment_status=PaymentStatus.PAID).exists():
                transaction.on_commit(partial(settle_renewal, order_id))
                continue
            _chase(renewal)
            chased += 1
    return chased


def _chase(renewal: SubscriptionRenewal) -> None:
    with locked(renewal.subscription_id) as sub:
        renewal.reminders += 1
        renewal.next_attempt_at = _attempt_at(renewal.due_on, renewal.reminders)
        if renewal.next_attempt_at is None:  # past the last step: give up
            renewal.status = RenewalStatus.FAILED
            renewal.save(update_fields=["reminders", "next_attempt_at", "status"])
            if sub.state != INACTIVE:
                sub.end_reason = EndReason.UNPAID
                _move(sub, "end", reason="unpaid", period=renewal.period)
                _save(sub)
            return
        renewal.save(update_fields=["reminders", "next_attempt_at"])
        if sub.state == ACTIVE:
            _move(sub, "fall_past_due", period=renewal.period)
            _save(sub)
        try:
            payments.send_payment_link(renewal.order_id, notify=True)
        except OrderWorkflowError:
            pass  # paid in the meantime or nothing due: the next step settles it
        record(sub, "reminder", period=renewal.period, reminder=renewal.reminders)


# --- Staff and customer actions -----------------------------------------------------------------

def _owned(sub: Subscription, customer: Any) -> None:
    """A customer acts on their own subscriptions only."""
    if customer is not None and sub.user_id != customer.pk:
        raise TransitionPermissionDenied(_("This is not one of your subscriptions."))


def cancel(subscription: Subscription | int, *, at_period_end: bool = False, user: Any = None,
           customer: Any = None, expected_version: int | None = None) -> Subscription:
    """Cancel now (inactive at once), or at the end of the period (renewed no more; resume
    undoes it until then). ``user`` is staff (checked against the permission), ``customer``
    the subscription's own customer in their account pages."""
    with locked(subscription, expected_version=expected_version) as sub:
        _owned(sub, customer)
        user = user if customer is None else None
        if at_period_end:
            _check(user)
            if sub.state == INACTIVE:
                raise SubscriptionProblem(_("This subscription is no longer running."))
            if sub.cancel_at_period_end:
                raise SubscriptionProblem(_("This subscription already ends with its period."))
            sub.cancel_at_period_end = True
            record(sub, "cancel_at_period_end", actor=user or customer,
                   until=str(sub.next_renewal_on), by_customer=customer is not None)
        else:
            sub.end_reason = EndReason.CANCELLED
            _move(sub, "cancel", user=user, by_customer=customer is not None)
        _save(sub)
        return sub


def resume(subscription: Subscription | int, *, user: Any = None, customer: Any = None,
           expected_version: int | None = None) -> Subscription:
    """Undo a cancellation at the end of the period: renewals go on (staff ``user``, or the
    subscription's own ``customer``)."""
    with locked(subscription, expected_version=expected_version) as sub:
        _owned(sub, customer)
        _check(user if customer is None else None)
        if not sub.cancel_at_period_end or sub.state == INACTIVE:
            raise SubscriptionProblem(_("Only a subscription cancelled at the end of its "
                                        "period can be resumed."))
        sub.cancel_at_period_end = False
        record(sub, "resumed", actor=user or customer, by_customer=customer is not None)
        _save(sub)
        return sub


@dataclass(frozen=True)
class PlanChange:
    """What a change of plan did: the proration policy and the amount (positive: charged,
    negative: credited or refunded)."""

    subscription: Subscription
    policy: str
    difference: Decimal
    order: Any = None


def unused_share(sub: Subscription, on: date | None = None) -> Decimal:
    """The part of the current period still to run (1: all of it, 0: none)."""
    period = sub.current_period
    if period is None:
        return Decimal("0")
    start, end = period
    day = on or today()
    total = (end - start).days or 1
    left = min(max((end - day).days, 0), total)
    return Decimal(left) / Decimal(total)


def change_plan(subscription: Subscription | int, plan: Plan, *, user: Any = None,
                policy: str | None = None, expected_version: int | None = None,
                on: date | None = None) -> PlanChange:
    """Move the subscription to ``plan`` under the proration policy (``policy`` or the
    ``SUBSCRIPTION_PRORATION`` setting): "none" switches at the next renewal; "next_renewal"
    switches now and adds the prorated difference to the next renewal (or takes it off);
    "now" switches now and charges the difference by a payment link on an order of its own,
    or refunds it on the last paid order."""
    policy = policy or app_settings.SUBSCRIPTION_PRORATION
    if policy not in {"none", "next_renewal", "now"}:
        raise SubscriptionProblem(_("Unknown proration policy “%(policy)s”.") % {
            "policy": policy})
    with locked(subscription, expected_version=expected_version) as sub:
        _check(user)
        if sub.state == INACTIVE:
            raise SubscriptionProblem(_("This subscription is no longer running."))
        if plan.pk == sub.plan_id:
            raise SubscriptionProblem(_("The subscription is already on this plan."))
        price = plan.price_for(sub.currency)
        if price is None:
            raise SubscriptionProblem(_("Plan “%(plan)s” has no price in %(currency)s.")
                                      % {"plan": plan.name, "currency": sub.currency})
        if policy == "none":
            sub.next_plan = plan
            record(sub, "plan", actor=user, **{"from": sub.plan.name, "to": plan.name},
                   when="renewal")
            _save(sub)
            return PlanChange(sub, policy, Decimal("0.00"))
        difference = ((price.amount - sub.amount) * sub.quantity
                      * unused_share(sub, on)).quantize(CENT, rounding=ROUND_HALF_UP)
        record(sub, "plan", actor=user, **{"from": sub.plan.name, "to": plan.name},
               when="now", policy=policy, difference=str(difference))
        sub.plan, sub.amount, sub.next_plan = plan, price.amount, None
        order = None
        if policy == "next_renewal":
            sub.adjustment += difference
        elif difference > 0:
            order = _place_order(sub, difference)
            payments.send_payment_link(order, notify=True)
        elif difference < 0:
            payments.refund(_last_paid_order(sub), amount=-difference, user=None,
                            reason=str(_("Change of plan")))
        _save(sub)
        return PlanChange(sub, policy, difference, order)


def _last_paid_order(sub: Subscription) -> Any:
    renewal = sub.renewals.filter(status=RenewalStatus.PAID).order_by("-period").first()
    if renewal is not None and renewal.order_id:
        return renewal.order_id
    return sub.order_id


def describe_amount(sub: Subscription) -> str:
    """The price per period as money in the reader's language."""
    return format_money(sub.amount * sub.quantity, sub.currency)


# --- Plans --------------------------------------------------------------------------------------

def save_plan(*, name: str, interval_unit: str, interval_count: int, periods: int | None,
              trial_days: int, currency: str, amount: Decimal, setup_fee: Decimal,
              products: list[Any], plan: Plan | None = None, user: Any = None) -> Plan:
    """Create (or update) a plan with its price in ``currency`` and sell ``products`` on it
    (a product sold on another plan moves to this one; its subscriptions keep theirs)."""
    _check(user)
    if interval_count < 1:
        raise SubscriptionProblem(_("Bill at least every 1 interval."))
    with transaction.atomic():
        plan = plan or Plan()
        plan.name, plan.interval_unit, plan.interval_count = name, interval_unit, interval_count
        plan.periods, plan.trial_days = periods, trial_days
        plan.save()
        PlanPrice.objects.update_or_create(plan=plan, currency=currency.upper(), defaults={
            "amount": amount, "setup_fee": setup_fee})
        for product in products:
            ProductPlan.objects.update_or_create(product=product, defaults={"plan": plan})
    return plan


def update_plan(plan: Plan, *, name: str, interval_unit: str, interval_count: int,
                periods: int | None, trial_days: int, is_active: bool,
                prices: dict[str, tuple[Decimal, Decimal]], products: list[Any],
                user: Any = None) -> Plan:
    """Edit a plan: its terms, its prices (``{currency: (amount, setup fee)}``, exactly these:
    a currency left out loses its price) and the products sold on it (exactly these: a
    product left out is no longer sold on a plan, one sold on another plan moves here).
    Running subscriptions keep their price; a plan with running subscriptions keeps its
    interval (its renewal dates would shift)."""
    _check(user)
    if interval_count < 1:
        raise SubscriptionProblem(_("Bill at least every 1 interval."))
    if not prices:
        raise SubscriptionProblem(_("A plan needs a price in at least one currency."))
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if ((plan.interval_unit, plan.interval_count) != (interval_unit, interval_count)
                and plan.subscriptions.exclude(state=INACTIVE).exists()):
            raise SubscriptionProblem(_(
                "Subscriptions are running on this plan: its interval cannot change (their "
                "renewal dates would shift). Create another plan and move them to it."))
        plan.name, plan.interval_unit, plan.interval_count = name, interval_unit, interval_count
        plan.periods, plan.trial_days, plan.is_active = periods, trial_days, is_active
        plan.save()
        codes = {currency.upper() for currency in prices}
        plan.prices.exclude(currency__in=codes).delete()
        for currency, (amount, setup_fee) in prices.items():
            PlanPrice.objects.update_or_create(plan=plan, currency=currency.upper(), defaults={
                "amount": amount, "setup_fee": setup_fee})
        ProductPlan.objects.filter(plan=plan).exclude(
            product__in=[product.pk for product in products]).delete()
        for product in products:
            ProductPlan.objects.update_or_create(product=product, defaults={"plan": plan})
    return plan
