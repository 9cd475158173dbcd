"""The customer's subscriptions: list them, see the plans they may move to, cancel at the end
of the period, resume, change plan. Only the subscriptions service's public
functions are called; another customer's subscription is a 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from oscar_orders_ext.exceptions import OrderConflict
from oscar_orders_ext.models import Subscription
from oscar_orders_ext.subscriptions import reads, service

from .errors import BadRequest, Problem

router = Router(tags=["customer"])

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 404, 409): Problem}


class SubscriptionOut(Schema):
    """A subscription as its customer sees it."""

    id: int
    state: str = Field(description="The subscription workflow's state code")
    state_label: str
    plan: str
    next_plan: str | None = Field(description="The plan it moves to at the next renewal")
    product: str
    quantity: int
    currency: str
    amount: str = Field(description="Price per period (decimal as a string)")
    next_renewal_on: date | None
    cancel_at_period_end: bool
    order_number: str = Field(description="The order that started it")
    version: int = Field(description="Send it back with a change: 409 if it changed")


class PlanOut(Schema):
    id: int
    name: str
    interval_unit: str
    interval_count: int
    amount: str = Field(description="Price per period in the subscription's currency")


class VersionIn(Schema):
    version: int | None = None


class PlanChangeIn(Schema):
    plan_id: int
    version: int | None = None


class PlanChangeOut(Schema):
    subscription: SubscriptionOut
    policy: str = Field(description="none (from the next renewal), next_renewal or now")
    difference: str = Field(description="Charged (positive) or credited (negative)")
    order_number: str | None = Field(description="The order that charges the difference, "
                                                 "with its payment link")


def _out(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.pk, "state": sub.state, "state_label": str(sub.state_info.label),
            "plan": sub.plan.name, "next_plan": sub.next_plan.name if sub.next_plan else None,
            "product": sub.product_title, "quantity": sub.quantity, "currency": sub.currency,
            "amount": str(sub.amount), "next_renewal_on": sub.next_renewal_on,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "order_number": sub.order.number, "version": sub.version}


def _mine(request: HttpRequest) -> Any:
    return reads.customer_subscriptions(request.auth).select_related(  # type: ignore[attr-defined]
        "order", "next_plan")


def _one(request: HttpRequest, subscription_id: int, version: int | None = None
         ) -> Subscription:
    """One of the caller's subscriptions (404 for any other, whether it exists or not); 409
    if it is no longer at ``version``."""
    sub: Subscription = _mine(request).get(pk=subscription_id)
    # The service checks the version again under its lock (refusing then with a 400); this
    # earlier check gives the API's usual 409 for the common case.
    if version is not None and sub.version != version:
        raise OrderConflict(_("The subscription changed meanwhile: read it again and retry."))
    return sub


def _fresh(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    return _out(_one(request, subscription_id))


@router.get("/subscriptions", response={200: list[SubscriptionOut], **ERRORS},
            url_name="my-subscriptions")
def my_subscriptions(request: HttpRequest) -> Any:
    """The caller's subscriptions, newest first."""
    return [_out(sub) for sub in _mine(request)]


@router.get("/subscriptions/{subscription_id}/plans", response={200: list[PlanOut], **ERRORS},
            url_name="my-subscription-plans")
def my_subscription_plans(request: HttpRequest, subscription_id: int) -> Any:
    """The plans the subscription may move to, with their price in its currency."""
    sub = _one(request, subscription_id)
    found = []
    for plan in reads.plans_for_change(sub).prefetch_related("prices"):
        price = plan.price_for(sub.currency)
        if price is not None:
            found.append({"id": plan.pk, "name": plan.name, "interval_unit": plan.interval_unit,
                          "interval_count": plan.interval_count, "amount": str(price.amount)})
    return found


@router.post("/subscriptions/{subscription_id}/cancel", response={200: SubscriptionOut,
                                                                  **ERRORS},
             url_name="my-subscription-cancel")
def my_subscription_cancel(request: HttpRequest, subscription_id: int, body: VersionIn) -> Any:
    """Cancel at the end of the current period (resume undoes it until then); as on the
    account page, ending it at once is the shop's."""
    sub = _one(request, subscription_id, body.version)
    service.cancel(sub.pk, at_period_end=True,
                   customer=request.auth, expected_version=body.version)  # type: ignore
    return _fresh(request, subscription_id)


@router.post("/subscriptions/{subscription_id}/resume", response={200: SubscriptionOut,
                                                                  **ERRORS},
             url_name="my-subscription-resume")
def my_subscription_resume(request: HttpRequest, subscription_id: int, body: VersionIn) -> Any:
    """Keep a subscription that was to end with its period."""
    sub = _one(request, subscription_id, body.version)
    service.resume(sub.pk, customer=request.auth,  # type: ignore[attr-defined]
                   expected_version=body.version)
    return _fresh(request, subscription_id)


@router.post("/subscriptions/{subscription_id}/plan", response={200: PlanChangeOut, **ERRORS},
             url_name="my-subscription-plan")
def my_subscription_plan(request: HttpRequest, subscription_id: int, body: PlanChangeIn) -> Any:
    """Move to another plan on sale, under the shop's proration policy."""
    sub = _one(request, subscription_id, body.version)
    plan = reads.plans_for_change(sub).filter(pk=body.plan_id).first()
    if plan is None:
        raise BadRequest(_("This plan is not on offer for this subscription."))
    # The service's ``user`` is staff, checked against the permission; the customer's own
    # subscription was checked above, so the change is made as the system.
    change = service.change_plan(sub.pk, plan, user=None, expected_version=body.version)
    return {"subscription": _fresh(request, subscription_id), "policy": change.policy,
            "difference": str(change.difference),
            "order_number": change.order.number if change.order is not None else None}

