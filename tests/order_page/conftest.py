"""Fixtures of the order page tests: an order with addresses, staff with the page's rights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from oscar.test import factories

from ..dashboard.conftest import WORKSPACE_EDITOR, WORKSPACE_VIEWER  # noqa: F401

ORDER_MANAGER = [*WORKSPACE_EDITOR, "edit_order_details", "manage_carriers"]


def page_url(order: Any, action: str = "") -> str:
    """The order page of ``order``, or one of its action URLs."""
    name = "orders-workspace-order" + (f"-{action}" if action else "")
    return reverse(f"oscar_orders_ext_dashboard:{name}", kwargs={"number": order.number})


def carrier_url(name: str, **kwargs: Any) -> str:
    return reverse(f"oscar_orders_ext_dashboard:{name}", kwargs=kwargs or None)


@pytest.fixture
def manager(make_staff: Callable[..., Any]) -> Any:
    """Staff who may do everything on the order page, carriers included."""
    return make_staff("manager", ORDER_MANAGER)


@pytest.fixture
def country(db: Any) -> Any:
    return factories.CountryFactory(iso_3166_1_a2="GB", printable_name="United Kingdom")


@pytest.fixture
def order(place_order: Callable[..., Any], country: Any) -> Any:
    """A guest order of two cups, with billing and shipping addresses."""
    billing = factories.BillingAddressFactory(
        country=country, first_name="Ann", last_name="Buyer", line1="1 Bill Street",
        line4="London", postcode="N1 9GU")
    shipping = factories.ShippingAddressFactory(
        country=country, first_name="Ann", last_name="Buyer", line1="2 Ship Road",
        line4="Leeds", postcode="LS1 4AP", phone_number="+442079460000")
    return place_order(guest_email="ann@example.com", billing_address=billing,
                       shipping_address=shipping)


def version_of(order: Any) -> int:
    from oscar_orders_ext.models import OrderProcess

    return OrderProcess.objects.get(order=order).version


@pytest.fixture
def raw_app(django_app_factory: Callable[..., Any]) -> Any:
    """A WebTest app without CSRF checks, for posting hand-made (tampered, stale) data.

    Forms drawn by the page are submitted through ``django_app`` (CSRF checked);
    ``test_posts_need_a_csrf_token`` proves the check is on.
    """
    return django_app_factory(csrf_checks=False)
