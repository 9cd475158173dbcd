"""A phone order paid in installments, chosen in the manual-order screen: placed, then split
into the installments asked for (first due date, interval); bad choices are refused before
anything is placed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from oscar.core.loading import get_model

from oscar_orders_ext.constants import OrderType
from oscar_orders_ext.models import Installment, OrderProcess

from .conftest import MANUAL_ORDER_PERMISSIONS
from .test_pages import cart_page, fill_billing

Order = get_model("order", "Order")
pytestmark = pytest.mark.django_db


@pytest.fixture
def cashier(make_staff: Any) -> Any:
    """A clerk who may also send payment links (installments send them)."""
    return make_staff("cashier", [*MANUAL_ORDER_PERMISSIONS, "send_payment_link"])


def filled(django_app: Any, user: Any, country: Any) -> Any:
    form = cart_page(django_app, user)
    form["sku"] = "CUP-1"
    form["quantity"] = "3"
    form = form.submit("action", value="add").forms["ooe-cart-form"]
    fill_billing(form, country)
    form["email"] = "walk.in@example.com"
    form["payment_method"] = "card"
    return form


def test_a_phone_order_is_placed_in_installments(django_app: Any, cashier: Any, product: Any,
                                                 country: Any,
                                                 django_capture_on_commit_callbacks: Any
                                                 ) -> None:
    with time_machine.travel(datetime(2026, 1, 31, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        form = filled(django_app, cashier, country)
        form["installments"] = "3"
        form["installments_first_due"] = "2026-02-01"
        form["installments_every"] = "1"
        form["installments_unit"] = "month"
        with django_capture_on_commit_callbacks(execute=True):
            form.submit("action", value="place", status=302)
    order = Order.objects.get()
    assert OrderProcess.objects.get(order=order).order_type == OrderType.INSTALLMENT
    rows = list(Installment.objects.filter(order=order).order_by("number"))
    assert [row.due_on for row in rows] == [date(2026, 2, 1), date(2026, 3, 1),
                                            date(2026, 4, 1)]
    assert sum(row.amount for row in rows) == order.total_incl_tax
    assert rows[0].amount >= Decimal("10.00")


def test_installments_of_a_paid_order_are_refused_and_nothing_is_placed(
        django_app: Any, cashier: Any, product: Any, country: Any) -> None:
    form = filled(django_app, cashier, country)
    form["installments"] = "3"
    form["paid"] = True
    page = form.submit("action", value="place", status=400)
    assert "An order already paid is not paid in installments." in page.text
    assert not Order.objects.exists()
