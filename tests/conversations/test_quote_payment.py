"""An accepted price proposal asks for the approved amount: with an online payment method the
customer is sent a payment link for what is now due (and taken to the pay page), with an
offline one (bank transfer, cash on delivery) no link is sent and the shop gets a note."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.models import OrderProcess, PaymentLink
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.services import conversations, quotes

from ..payments.conftest import pay_link
from .test_quotes import propose

pytestmark = pytest.mark.django_db

OrderNote = get_model("order", "OrderNote")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")


@pytest.fixture
def quoter(make_staff: Any) -> Any:
    return make_staff("quoter", ["view_orderprocess", "change_orderprocess",
                                 "change_order_state", "edit_order_lines"])


def guest_chat(order: Any) -> str:
    return reverse("oscar_orders_ext_chat:guest-chat",
                   kwargs={"token": conversations.conversation_token(order)})


def accept(order: Any, quote: Any, capture: Any) -> None:
    with capture(execute=True):  # the signal and the link's email run after the commit
        quotes.decide_quote(quote.pk, accept=True)


@pytest.mark.django_db(transaction=True)  # commits for real: the link exists when the page answers
def test_the_guest_accepts_and_is_taken_to_pay_the_approved_amount(
        django_app: Any, client: Any, quoter: Any, guest_order: Any) -> None:
    propose(guest_order, quoter, price="8.00", shipping="2.00")  # 2 × 8.00 + 2.00
    mail.outbox.clear()
    page = django_app.get(guest_chat(guest_order))
    response = page.forms["ooe-quote-accept"].submit()
    link = PaymentLink.objects.get(order=guest_order)
    assert link.amount == Decimal("18.00")
    assert response.location.endswith(link.get_absolute_url())  # straight to the pay page
    pay_page = response.follow()
    assert "You can pay the amount due now." in pay_page.text
    [email] = [m for m in mail.outbox if m.to == ["guest@example.com"]
               and link.get_absolute_url() in m.body]
    assert email  # the link's email, with its address
    chat = django_app.get(guest_chat(guest_order))
    assert chat.pyquery("#ooe-customer-pay a").attr("href") == link.get_absolute_url()
    pay_link(client, link)
    process = OrderProcess.objects.get(order=guest_order)
    assert (process.payment_status, process.amount_paid) == (PaymentStatus.PAID,
                                                              Decimal("18.00"))


def test_a_paid_order_is_sent_a_link_for_the_difference_only(
        quoter: Any, guest_order: Any, django_capture_on_commit_callbacks: Any) -> None:
    payments.record_offline_payment(guest_order, "20.00", "Card")  # paid online at checkout
    accept(guest_order, propose(guest_order, quoter, price="12.00", shipping="1.00"),
           django_capture_on_commit_callbacks)  # 2 × 12.00 + 1.00 = 25.00
    link = PaymentLink.objects.get(order=guest_order)
    assert link.amount == Decimal("5.00")


def test_an_offline_payment_method_sends_no_link_and_tells_the_shop(
        django_app: Any, quoter: Any, guest_order: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    transfer = SourceType.objects.create(name="Bank transfer", code="bank-transfer")
    Source.objects.create(order=guest_order, source_type=transfer, currency="EUR",
                          amount_allocated=guest_order.total_incl_tax)
    quote = propose(guest_order, quoter, price="9.00", shipping="0.00")
    page = django_app.get(guest_chat(guest_order))
    with django_capture_on_commit_callbacks(execute=True):
        page = page.forms["ooe-quote-accept"].submit().follow()
    assert "you accepted the price proposal" in page.text  # no pay page to go to
    assert not page.pyquery("#ooe-customer-pay")
    assert not PaymentLink.objects.exists()
    [note] = OrderNote.objects.filter(order=guest_order)
    assert f"Price proposal {quote.version} accepted" in note.message
    assert "paid by Bank transfer" in note.message and "18.00" in note.message


def test_a_lower_price_on_a_paid_order_notes_the_refund_due_and_sends_no_link(
        quoter: Any, guest_order: Any, django_capture_on_commit_callbacks: Any) -> None:
    payments.record_offline_payment(guest_order, "20.00", "Card")
    accept(guest_order, propose(guest_order, quoter, price="7.00", shipping="1.00"),
           django_capture_on_commit_callbacks)  # 15.00: 5.00 back to the customer
    assert not PaymentLink.objects.exists()
    [note] = OrderNote.objects.filter(order=guest_order)
    assert "due back to the customer" in note.message and "5.00" in note.message


def test_rejecting_sends_no_link(quoter: Any, guest_order: Any,
                                 django_capture_on_commit_callbacks: Any) -> None:
    quote = propose(guest_order, quoter)
    with django_capture_on_commit_callbacks(execute=True):
        quotes.decide_quote(quote.pk, accept=False)
    assert not PaymentLink.objects.exists()
    assert not OrderNote.objects.filter(order=guest_order).exists()


def test_the_link_can_be_turned_off(quoter: Any, guest_order: Any, settings: Any,
                                    django_capture_on_commit_callbacks: Any) -> None:
    settings.OSCAR_ORDERS_EXT_QUOTE_PAYMENT_LINK = False
    accept(guest_order, propose(guest_order, quoter), django_capture_on_commit_callbacks)
    assert not PaymentLink.objects.exists()
