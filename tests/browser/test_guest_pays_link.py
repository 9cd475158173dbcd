"""A guest customer opens the payment link from their email and pays it with the dummy
provider; the shop's order is then paid, in our records and in Oscar's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.payments import service

Source = get_model("payment", "Source")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_guest_pays_a_link_with_the_dummy_provider(live_server: Any, page: Any,
                                                   place_order: Any, monkeypatch: Any) -> None:
    # The provider sends the customer back to absolute URLs on PAYMENT_HOST: this server.
    monkeypatch.setattr("payments.core.PAYMENT_HOST", urlsplit(live_server.url).netloc)
    order = place_order(quantity=2, guest_email="guest@example.com")
    link = service.send_payment_link(order, notify=False)

    page.goto(live_server.url + link.get_absolute_url())
    assert "Espresso cup" in page.locator(".ooe-pay-summary").inner_text()
    assert page.locator(".ooe-pay-amount").inner_text()
    page.click(".ooe-pay-form button[type=submit]")
    page.wait_for_selector(".ooe-provider-form")
    page.select_option("select[name=status]", "confirmed")
    page.select_option("select[name=fraud_status]", "accept")
    page.select_option("select[name=gateway_response]", "3ds-disabled")
    page.click(".ooe-provider-form button[type=submit]")
    page.wait_for_selector(".ooe-pay-paid")

    process = OrderProcess.objects.get(order=order)
    assert process.payment_status == PaymentStatus.PAID
    assert sum((s.amount_debited for s in Source.objects.filter(order=order)),
               Decimal(0)) == order.total_incl_tax
