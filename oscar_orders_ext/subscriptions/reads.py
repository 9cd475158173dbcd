"""Reads of subscriptions shared by the front ends: the list's filters, search and counts,
and what a subscription's page shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.constants import OrderType
from oscar_orders_ext.display import format_money
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.models import (Installment, OrderProcess, Plan, Subscription,
                                     SubscriptionEvent, SubscriptionRenewal)
from oscar_orders_ext.workflow.subscriptions import SubscriptionWorkflow


@dataclass(frozen=True)
class StateTab:
    """One filter of the list (a state, or every subscription) and how many it holds."""

    code: str
    label: str | Promise
    count: int
    colour: str = "#6c757d"


def state_tabs(search: str = "") -> list[StateTab]:
    """All, Active, Scheduled, Past due, Inactive, each with its count (one query)."""
    counts = dict(searched(Subscription.objects.all(), search).values_list("state").annotate(
        n=Count("pk")).values_list("state", "n"))
    tabs = [StateTab("", _("All"), sum(counts.values()))]
    tabs += [StateTab(state.code, state.label, counts.get(state.code, 0), state.colour)
             for state in SubscriptionWorkflow.states]
    return tabs


def searched(queryset: QuerySet[Subscription], search: str) -> QuerySet[Subscription]:
    """Subscriptions whose customer, email, product, plan or order number holds ``search``
    (a number alone also finds the subscription of that id)."""
    search = search.strip()
    if not search:
        return queryset
    match = (Q(customer_name__icontains=search) | Q(email__icontains=search)
             | Q(product_title__icontains=search) | Q(plan__name__icontains=search)
             | Q(order__number__iexact=search))
    if search.isdigit():
        match |= Q(pk=int(search))
    return queryset.filter(match)


def subscription_list(state: str = "", search: str = "") -> QuerySet[Subscription]:
    """The list's rows, newest first, with their plan."""
    queryset = searched(Subscription.objects.select_related("plan", "order"), search)
    if state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class RenewalRow:
    """A renewal on the subscription's page, with its order's payment status."""

    renewal: SubscriptionRenewal
    payment_status: str
    payment_label: str | Promise


def renewal_rows(subscription: Subscription) -> list[RenewalRow]:
    """Every renewal so far, newest first, with the payment status of its order."""
    renewals = list(subscription.renewals.select_related("order"))
    processes = {p.order_id: p for p in OrderProcess.objects.filter(
        order_id__in=[r.order_id for r in renewals if r.order_id])}
    rows = []
    for renewal in renewals:
        process = processes.get(renewal.order_id or 0)
        rows.append(RenewalRow(renewal, process.payment_status if process else "",
                               process.get_payment_status_display() if process else ""))
    return rows


def timeline(subscription: Subscription) -> QuerySet[SubscriptionEvent]:
    """The subscription's events, newest first, with who did them."""
    return subscription.events.select_related("actor")


def plans_for_change(subscription: Subscription) -> QuerySet[Plan]:
    """The plans on sale with a price in the subscription's currency, but its own."""
    return Plan.objects.filter(is_active=True, prices__currency=subscription.currency).exclude(
        pk=subscription.plan_id).order_by("name")


def customer_subscriptions(user: Any) -> QuerySet[Subscription]:
    """The subscriptions of a customer's account, newest first."""
    return Subscription.objects.filter(user=user).select_related("plan").order_by(
        "-created_at", "-pk")


def describe_event(event: SubscriptionEvent) -> str:
    """A one-line, translated description of a timeline entry."""
    data = event.data or {}
    kind = event.kind
    if kind == "created":
        return _("Started from order %(order)s on plan “%(plan)s”.") % {
            "order": data.get("order", ""), "plan": data.get("plan", "")}
    if kind == "state":
        source = SubscriptionWorkflow.get_state(str(data.get("from", ""))).label
        target = SubscriptionWorkflow.get_state(str(data.get("to", ""))).label
        return _("%(from)s → %(to)s") % {"from": source, "to": target}
    if kind == "renewal":
        period = data.get("period", "")
        # Stored from 0 (the order's own period); pages count from 1, as the renewals table.
        return _("Period %(period)s billed: order %(order)s.") % {
            "period": period + 1 if isinstance(period, int) else period,
            "order": data.get("order", "")}
    if kind == "paid":
        return _("Renewal order %(order)s paid.") % {"order": data.get("order", "")}
    if kind == "reminder":
        return _("Payment reminder %(reminder)s sent with a new payment link.") % {
            "reminder": data.get("reminder", "")}
    if kind == "plan":
        return _("Plan changed from “%(from)s” to “%(to)s”.") % {
            "from": data.get("from", ""), "to": data.get("to", "")}
    if kind == "price":
        amounts = {key: format_money(Decimal(str(data.get(key, "0"))), data.get("currency"))
                   for key in ("from", "to")}
        return _("Price proposal %(version)s accepted: each period now costs %(to)s "
                 "(was %(from)s).") % {"version": data.get("quote", ""), **amounts}
    if kind == "cancel_at_period_end":
        return str(_("Set to end with the current period."))
    if kind == "resumed":
        return str(_("Resumed: renewals go on."))
    return kind


def plans() -> QuerySet[Plan]:
    """Every plan with its prices and products, by name."""
    return Plan.objects.prefetch_related("prices", "products__product").order_by("name", "pk")


def order_page_context(process: OrderProcess) -> dict[str, Any]:
    """What the order page shows of subscriptions and installments: the subscription a
    renewal order renews, the subscriptions an order started, its installments (queries only
    for orders of those types)."""
    context: dict[str, Any] = {"renewal_of": None, "started_subscriptions": [],
                               "installments": []}
    if process.order_type == OrderType.SUBSCRIPTION:
        context["renewal_of"] = SubscriptionRenewal.objects.filter(
            order_id=process.order_id).first()
        context["started_subscriptions"] = list(Subscription.objects.filter(
            order_id=process.order_id))
    elif process.order_type == OrderType.INSTALLMENT:
        context["installments"] = installment_rows(process.order_id)
    return context


@dataclass(frozen=True)
class InstallmentRow:
    """An installment on the order page, with its payment link's address while it is open."""

    installment: Installment
    link_url: str


def installment_rows(order_id: int) -> list[InstallmentRow]:
    """The order's installments in order, each with its open payment link (one query)."""
    return [InstallmentRow(row, payments.link_url(row.link)
                           if row.link is not None and row.link.is_open else "")
            for row in Installment.objects.filter(order_id=order_id).select_related(
                "link").order_by("number")]
