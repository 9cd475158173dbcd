"""The payments panel and its actions on the order page, in both skins: a cashier sends a
payment link, the customer pays it, the cashier refunds part of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.models import OrderProcess, PaymentLink
from oscar_orders_ext.payments import service

from .conftest import CASHIER, pay_link

pytestmark = pytest.mark.django_db



def url(namespace: str, order: Any, action: str = "") -> str:
    name = "orders-workspace-order" + (f"-{action}" if action else "")
    return reverse(f"{namespace}:{name}", kwargs={"number": order.number})


@pytest.fixture(params=["oscar_orders_ext_dashboard", "oscar_orders_ext_wagtail"])
def skin(request: Any, make_staff: Any) -> tuple[str, Any]:
    """(URL namespace, a cashier who may use it)."""
    namespace = request.param
    user = make_staff("cashier", CASHIER)
    if namespace == "oscar_orders_ext_wagtail":
        pytest.importorskip("wagtail")
        from ..wagtail.conftest import with_wagtail_access

        user = with_wagtail_access(user)
    return namespace, user


def test_cashier_sends_a_link_the_customer_pays_then_a_partial_refund(
        django_app: Any, client: Any, skin: tuple[str, Any], guest_order: Any) -> None:
    namespace, cashier = skin
    page = django_app.get(url(namespace, guest_order), user=cashier)
    # The form starts closed: its placeholder's link opens it (as without the script).
    page = page.click(href="open=payment_link_form")
    due = page.pyquery(".ooe-amount-due").text()
    assert due and page.pyquery("#ooe-payments")
    form = page.forms[next(key for key, f in page.forms.items()
                           if f.action.endswith("/payment-link/"))]
    form["amount"] = "7.50"
    page = form.submit().follow()
    link = PaymentLink.objects.get(order=guest_order)
    assert link.amount == Decimal("7.50")
    assert link.get_absolute_url() in page.text  # the link to copy

    pay_link(client, link)
    process = OrderProcess.objects.get(order=guest_order)
    assert process.payment_status == PaymentStatus.PARTIALLY_PAID

    page = django_app.get(url(namespace, guest_order) + "?open=refund_form", user=cashier)
    form = page.forms[next(key for key, f in page.forms.items()
                           if f.action.endswith("/refund/"))]
    assert "payment provider" in page.pyquery(".ooe-refund-form").text()
    form["amount"] = "2.50"
    page = form.submit().follow()
    assert "Refunded" in page.text
    assert service.balance(guest_order).paid == Decimal("5.00")


def test_over_refund_from_the_page_is_refused_with_a_message(
        django_app: Any, skin: tuple[str, Any], guest_order: Any) -> None:
    namespace, cashier = skin
    service.record_offline_payment(guest_order, "4.00", "Cash")
    page = django_app.get(url(namespace, guest_order) + "?open=refund_form", user=cashier)
    form = page.forms[next(key for key, f in page.forms.items()
                           if f.action.endswith("/refund/"))]
    assert "only recorded" in page.pyquery(".ooe-refund-form").text()
    form["amount"] = "9.00"
    page = form.submit().follow()
    assert "At most" in page.text
    assert service.balance(guest_order).refunded == 0


def test_staff_without_the_permissions_see_no_payment_actions(
        django_app: Any, client: Any, viewer: Any, guest_order: Any) -> None:
    page = django_app.get(url("oscar_orders_ext_dashboard", guest_order)
                          + "?open=payment_link_form", user=viewer)
    assert page.pyquery("#ooe-payments") and not page.pyquery("#ooe-payment-link-box")
    assert not page.pyquery(".ooe-payment-link-form")
    django_app.get(url("oscar_orders_ext_dashboard", guest_order) + "?form=payment_link_form",
                   user=viewer, status=403)
    client.force_login(viewer)
    response = client.post(url("oscar_orders_ext_dashboard", guest_order, "payment-link"),
                           {"amount": ""})
    assert response.status_code in (302, 403)
    assert not PaymentLink.objects.exists()
