"""A refund spread over two gateway payments of one order: a provider refusing writes nothing
when nothing went back yet, and exactly what went back when another provider had refunded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from oscar.core.loading import get_model
from payments import PaymentError
from payments.dummy import DummyProvider

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.models import OrderPayment
from oscar_orders_ext.payments import service

from .conftest import pay_link
from .test_payment_service import assert_consistent, oscar_totals

PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_twice(client: Any, guest_order: Any) -> tuple[Any, Any]:
    """The order paid in two parts through the gateway: (older payment, newer payment)."""
    pay_link(client, service.send_payment_link(guest_order, amount="12.00", notify=False))
    pay_link(client, service.send_payment_link(guest_order, notify=False))
    older, newer = OrderPayment.objects.filter(order=guest_order).order_by("created", "pk")
    assert service.balance(guest_order).due == 0
    return older, newer


def refuse_for(monkeypatch: Any, refused: Any) -> None:
    original = DummyProvider.refund

    def refund(self: Any, payment: Any, amount: Any = None) -> Any:
        if payment.pk == refused.pk:
            raise PaymentError("Card closed", gateway_message="card_closed")
        return original(self, payment, amount)

    monkeypatch.setattr(DummyProvider, "refund", refund)


def test_the_first_provider_refusing_writes_nothing(monkeypatch: Any, guest_order: Any,
                                                    paid_twice: tuple[Any, Any],
                                                    cashier: Any) -> None:
    older, newer = paid_twice
    refuse_for(monkeypatch, newer)  # the newest payment is refunded first
    before = oscar_totals(guest_order)
    with pytest.raises(service.PaymentProblem, match="card_closed") as refused:
        service.refund(guest_order, user=cashier)
    assert not isinstance(refused.value, service.PartialRefund)
    assert "Nothing was refunded" in refused.value.message
    assert oscar_totals(guest_order) == before
    assert {p.refunded_amount for p in OrderPayment.objects.all()} == {Decimal("0.00")}


def test_the_second_provider_refusing_records_only_what_went_back(
        monkeypatch: Any, guest_order: Any, paid_twice: tuple[Any, Any], cashier: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    older, newer = paid_twice
    refuse_for(monkeypatch, older)
    total = guest_order.total_incl_tax
    went_back = total - Decimal("12.00")  # the newer payment's part
    line = guest_order.lines.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(service.PartialRefund) as partial:
            service.refund(guest_order, lines={line.pk: 2}, include_shipping=True,
                           user=cashier, restock=True)
    message = partial.value.message
    assert "card_closed" in message and "12.00" in message  # what is left to refund
    assert partial.value.result.amount == went_back
    process = assert_consistent(guest_order)
    assert process.amount_refunded == went_back
    assert process.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.refunded_amount == went_back and newer.captured_amount == 0
    assert older.refunded_amount == 0 and older.captured_amount == Decimal("12.00")
    # Recorded as an amount: the lines can still be refunded (by the rest, later).
    event = PaymentEvent.objects.get(order=guest_order, event_type__name="Refunded")
    assert event.amount == went_back and not event.line_quantities.exists()
    assert mail.outbox and "refund" in mail.outbox[-1].subject.lower()

    monkeypatch.undo()
    rest = service.refund(guest_order, user=cashier, notify=False)
    assert rest.amount == Decimal("12.00") and rest.online == Decimal("12.00")
    assert assert_consistent(guest_order).payment_status == PaymentStatus.REFUNDED
