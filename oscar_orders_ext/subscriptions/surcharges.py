"""The setup fee of a plan, charged once on the order that starts the subscription: an Oscar
surcharge (``oscar.apps.checkout.surcharges``) that the checkout shows in the basket totals
and ``OrderCreator`` stores on the order (``order.surcharges``).

``load_classes`` (``oscar_orders_ext.class_loader``) hands :class:`SurchargeApplicator` to
Oscar's ``get_class("checkout.applicator", "SurchargeApplicator")``; a shop with its own
applicator adds :class:`SetupFee` to its ``get_surcharges`` instead. Renewal orders are placed
without surcharges: the fee is charged on the first order only.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _
from oscar.apps.checkout import applicator, surcharges
from oscar.core import prices

from oscar_orders_ext.models import PlanPrice, ProductPlan

ZERO = Decimal("0.00")


def setup_fee(basket: Any) -> Decimal:
    """The setup fees of the basket's plan products in the basket's currency, once per line
    (one query; none for a basket without plan products)."""
    lines = list(basket.all_lines())
    product_ids = [line.product_id for line in lines if line.product_id]
    if not product_ids:
        return ZERO
    plans = dict(ProductPlan.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "plan_id"))
    if not plans:
        return ZERO
    fees = dict(PlanPrice.objects.filter(plan_id__in=set(plans.values()),
                                         currency=basket.currency).values_list(
        "plan_id", "setup_fee"))
    return sum((fees.get(plans[line.product_id], ZERO) for line in lines
                if line.product_id in plans), ZERO)


class SetupFee(surcharges.BaseSurcharge):
    """A plan's setup fee (no tax: the fee is charged as the plan's price says)."""

    name = _("Setup fee")
    code = "setup-fee"

    def calculate(self, basket: Any, **kwargs: Any) -> prices.Price:
        """The basket's setup fees as a price."""
        fee = setup_fee(basket)
        return prices.Price(currency=basket.currency, excl_tax=fee, incl_tax=fee)


def surcharge_name(charge: Any) -> str:
    """The name of an order's surcharge (``order.surcharges``, or a document's frozen copy: a
    dict) in the active language when it is the setup fee; any other as Oscar stored it (in
    the language of the placement)."""
    get = charge.get if isinstance(charge, dict) else partial(getattr, charge)
    if get("code", "") == SetupFee.code:
        return str(SetupFee.name)
    return str(get("name", ""))


class SurchargeApplicator(applicator.SurchargeApplicator):
    """Oscar's applicator with the plans' setup fee, where the basket has one."""

    def get_surcharges(self, basket: Any, **kwargs: Any) -> list[Any]:
        """Oscar's surcharges, and the setup fee when a plan product in the basket has one."""
        found = list(super().get_surcharges(basket, **kwargs))
        if not basket.is_empty and setup_fee(basket) > 0:
            found.append(SetupFee())
        return found
