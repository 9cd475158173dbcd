"""Marking an order paid by hand from its page, and pre-authorised gateway payments captured
or released from it: Oscar's Source/Transaction/PaymentEvent agree with ours each time."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from oscar.core.loading import get_model
from payments import PaymentError
from payments import PaymentStatus as GatewayStatus
from payments.dummy import DummyProvider

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.models import OrderPayment, OrderProcess, PaymentLink, PaymentLinkStatus
from oscar_orders_ext.payments import service

from .conftest import pay_link
from .test_order_page_payments import skin, url  # noqa: F401 (a fixture)
from .test_payment_service import assert_consistent

Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")

pytestmark = pytest.mark.django_db


def panel_form(page: Any, ending: str) -> Any:
    return page.forms[next(key for key, form in page.forms.items()
                           if form.action.endswith(ending))]


def offline_form(page: Any) -> Any:
    """The "Mark paid by hand" form, opened as without the script (its placeholder's link:
    the form starts closed)."""
    return panel_form(page.click(href="open=offline_payment_form"), "/offline-payment/")


def test_mark_paid_by_hand_from_the_page(django_app: Any, skin: tuple[str, Any],  # noqa: F811
                                         guest_order: Any) -> None:
    namespace, cashier = skin
    page = django_app.get(url(namespace, guest_order), user=cashier)
    form = offline_form(page)
    assert {value for value, *_ in form["method"].options} >= {
        "bank-transfer", "cash-on-delivery", "pay-in-store"}
    form["method"] = "bank-transfer"
    form["amount"] = str(guest_order.total_incl_tax + 1)  # more than is due
    page = form.submit().follow()
    assert "At most" in page.text
    assert not Source.objects.filter(order=guest_order).exists()

    form = offline_form(page)
    form["method"] = "pay-in-store"
    form["amount"] = "5.00"
    form["reference"] = "Till 2, receipt 881"
    page = form.submit().follow()
    assert "recorded" in page.text
    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.PARTIALLY_PAID
    assert Source.objects.get(order=guest_order).source_type.name == "Pay in store"
    assert Transaction.objects.get(source__order=guest_order).reference == "Till 2, receipt 881"

    form = offline_form(page)  # the rest, amount left empty
    form["method"] = "cash-on-delivery"
    page = form.submit().follow()
    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.PAID
    assert process.amount_due == 0
    assert not page.pyquery("#ooe-offline-payment-box")  # nothing is due any more


def test_without_the_permission_no_form_and_no_payment(django_app: Any, viewer: Any,
                                                       client: Any, guest_order: Any) -> None:
    page = django_app.get(url("oscar_orders_ext_dashboard", guest_order), user=viewer)
    assert not page.pyquery("#ooe-offline-payment-box")
    client.force_login(viewer)
    client.post(url("oscar_orders_ext_dashboard", guest_order, "offline-payment"),
                {"method": "cash", "amount": "5.00"})
    assert not Source.objects.filter(order=guest_order).exists()


@pytest.fixture
def preauthorised(client: Any, guest_order: Any) -> OrderPayment:
    """The customer paid the order's link with a card the shop only pre-authorises."""
    link = service.send_payment_link(guest_order, notify=False)
    pay_link(client, link, outcome=GatewayStatus.PREAUTH)
    return OrderPayment.objects.get(order=guest_order)


def test_a_preauthorised_payment_is_recorded_as_authorised_only(
        client: Any, guest_order: Any, preauthorised: OrderPayment) -> None:
    assert preauthorised.status == GatewayStatus.PREAUTH
    source = Source.objects.get(order=guest_order)
    assert source.amount_allocated == guest_order.total_incl_tax and source.amount_debited == 0
    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.UNPAID  # nothing received yet
    assert PaymentLink.objects.get(order=guest_order).status == PaymentLinkStatus.PAID
    # The provider's callback again: still one authorisation.
    client.get(preauthorised.get_process_url())
    assert service.record_gateway_payment(preauthorised) is False
    assert Transaction.objects.filter(source__order=guest_order, txn_type="Authorise").count() == 1


def test_capture_part_from_the_page(django_app: Any, skin: tuple[str, Any],  # noqa: F811
                                    guest_order: Any, preauthorised: OrderPayment) -> None:
    namespace, cashier = skin
    page = django_app.get(url(namespace, guest_order), user=cashier)
    assert "not captured" in page.pyquery(".ooe-gateway-payments").text()
    form = panel_form(page, f"/gateway-payments/{preauthorised.pk}/")
    form["amount"] = "15.00"
    page = form.submit("action", value="capture").follow()
    assert "Captured" in page.text
    preauthorised.refresh_from_db()
    assert preauthorised.status == GatewayStatus.CONFIRMED
    assert preauthorised.captured_amount == Decimal("15.00")
    process = assert_consistent(guest_order)
    assert process.amount_paid == Decimal("15.00")
    assert process.payment_status == PaymentStatus.PARTIALLY_PAID
    source = Source.objects.get(order=guest_order)
    assert source.amount_debited == Decimal("15.00")
    assert source.amount_allocated == Decimal("15.00")  # the rest of the hold was given back
    # Captured money is refunded through the provider like any payment.
    result = service.refund(guest_order, amount="5.00", user=cashier, notify=False)
    assert result.online == Decimal("5.00")
    assert_consistent(guest_order)


def test_release_from_the_page_leaves_the_amount_due(
        django_app: Any, skin: tuple[str, Any], guest_order: Any,  # noqa: F811
        preauthorised: OrderPayment) -> None:
    namespace, cashier = skin
    page = django_app.get(url(namespace, guest_order), user=cashier)
    page = panel_form(page, f"/gateway-payments/{preauthorised.pk}/").submit(
        "action", value="release").follow()
    assert "released" in page.text
    preauthorised.refresh_from_db()
    assert preauthorised.status == GatewayStatus.REFUNDED
    source = Source.objects.get(order=guest_order)
    assert source.amount_allocated == 0 and source.amount_debited == 0
    assert service.balance(guest_order).due == guest_order.total_incl_tax
    assert_consistent(guest_order)
    # Neither can happen twice.
    with pytest.raises(service.PaymentProblem, match="Only an authorised payment"):
        service.capture_payment(guest_order, preauthorised.pk)


def test_a_provider_refusing_the_capture_changes_nothing(
        monkeypatch: Any, guest_order: Any, preauthorised: OrderPayment, cashier: Any) -> None:
    def refuse(self: Any, payment: Any, amount: Any = None) -> Any:
        raise PaymentError("Authorisation expired", gateway_message="auth_expired")

    monkeypatch.setattr(DummyProvider, "capture", refuse)
    with pytest.raises(service.PaymentProblem, match="auth_expired"):
        service.capture_payment(guest_order, preauthorised.pk, user=cashier)
    preauthorised.refresh_from_db()
    assert preauthorised.status == GatewayStatus.PREAUTH
    assert Source.objects.get(order=guest_order).amount_debited == 0
    assert OrderProcess.objects.get(order=guest_order).payment_status == PaymentStatus.UNPAID
    with pytest.raises(service.PaymentProblem, match="at most"):
        service.capture_payment(guest_order, preauthorised.pk, amount="999.00")


def test_an_order_paid_by_its_status_alone_shows_nothing_due(
        django_app: Any, guest_order: Any, cashier: Any) -> None:
    from oscar_orders_ext.services.edits import set_payment_status

    set_payment_status(guest_order, PaymentStatus.PAID)  # imported as paid, say
    page = django_app.get(url("oscar_orders_ext_dashboard", guest_order), user=cashier)
    assert page.pyquery(".ooe-paid-by-status") and not page.pyquery(".ooe-amount-due")
    assert not page.pyquery("#ooe-payment-link-box")
    form = offline_form(page)  # recording it is still possible
    form["method"] = "bank-transfer"
    page = form.submit().follow()
    assert not page.pyquery(".ooe-paid-by-status")
    assert assert_consistent(guest_order).amount_paid == guest_order.total_incl_tax
