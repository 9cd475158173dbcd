"""Money on the order: links, payments by the dummy gateway, refunds; Oscar's records agree."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from django.core import mail
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_orders_ext import display
from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.exceptions import TransitionPermissionDenied
from oscar_orders_ext.models import OrderPayment, OrderProcess, PaymentLink, PaymentLinkStatus
from oscar_orders_ext.payments import service
from oscar_orders_ext.services.edits import set_payment_status
from oscar_orders_ext.services.line_edits import apply_line_edit
from oscar_orders_ext.tick import run_due

from .conftest import pay_link

Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")
PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db


def oscar_totals(order: Any) -> dict[str, Decimal]:
    """What Oscar's own records say, for comparison with ours."""
    sources = Source.objects.filter(order=order)
    txns = Transaction.objects.filter(source__order=order)
    events = PaymentEvent.objects.filter(order=order)
    return {
        "debited": sum((s.amount_debited for s in sources), Decimal(0)),
        "refunded": sum((s.amount_refunded for s in sources), Decimal(0)),
        "debit_txns": sum((t.amount for t in txns.filter(txn_type="Debit")), Decimal(0)),
        "refund_txns": sum((t.amount for t in txns.filter(txn_type="Refund")), Decimal(0)),
        "paid_events": sum((e.amount for e in events.filter(event_type__name="Paid")),
                           Decimal(0)),
        "refund_events": sum((e.amount for e in events.filter(event_type__name="Refunded")),
                             Decimal(0)),
    }


def assert_consistent(order: Any) -> OrderProcess:
    totals = oscar_totals(order)
    process = OrderProcess.objects.get(order=order)
    assert totals["debited"] == totals["debit_txns"] == totals["paid_events"]
    assert totals["refunded"] == totals["refund_txns"] == totals["refund_events"]
    assert process.amount_paid == totals["debited"] - totals["refunded"]
    return process


def test_customer_pays_a_link_and_oscar_records_it_once(
        client: Any, guest_order: Any, cashier: Any, django_capture_on_commit_callbacks: Any
        ) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        link = service.send_payment_link(guest_order, user=cashier)
    assert link.amount == guest_order.total_incl_tax
    assert any(link.get_absolute_url() in m.body for m in mail.outbox)

    response = pay_link(client, link)
    assert response.status_code == 302 and "/done/" in response["Location"]

    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.PAID
    assert process.amount_paid == guest_order.total_incl_tax
    link.refresh_from_db()
    assert link.status == PaymentLinkStatus.PAID
    done = client.get(response["Location"])
    assert done.status_code == 200 and b"your payment was received" in done.content
    again = client.get(link.get_absolute_url())  # the link itself, opened again later
    assert again.status_code == 200 and b"already been paid" in again.content

    # The provider calls back again (a replay): nothing is recorded twice.
    payment = OrderPayment.objects.get(order=guest_order)
    assert service.record_gateway_payment(payment) is False
    payment.change_status("confirmed")
    assert oscar_totals(guest_order)["debited"] == guest_order.total_incl_tax


def test_three_d_secure_redirect_then_callback_replayed(client: Any, guest_order: Any) -> None:
    link = service.send_payment_link(guest_order, notify=False)
    response = pay_link(client, link, outcome="waiting", gateway_response="3ds-redirect",
                        verification_result="confirmed")
    assert response.status_code == 302 and "/payments/process/" in response["Location"]
    callback = response["Location"].replace("http://testserver", "")
    assert client.get(callback).status_code == 302
    assert client.get(callback).status_code == 302  # the same callback twice
    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.PAID
    assert OrderPayment.objects.get(order=guest_order).recorded_amount == link.amount


def test_a_late_callback_older_than_the_confirmation_changes_nothing(
        client: Any, guest_order: Any, cashier: Any) -> None:
    link = service.send_payment_link(guest_order, notify=False)
    response = pay_link(client, link, outcome="waiting", gateway_response="3ds-redirect",
                        verification_result="confirmed")
    callback = response["Location"].replace("http://testserver", "")
    client.get(callback)  # confirmed
    client.get(callback.replace("confirmed", "rejected"))  # an older answer, arriving late
    payment = OrderPayment.objects.get(order=guest_order)
    assert payment.status == "confirmed"
    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.PAID
    # So the money still goes back through the provider.
    assert service.refund(guest_order, amount="2.00", user=cashier, notify=False).online == 2


def test_failed_payment_records_nothing_and_link_stays_payable(client: Any,
                                                              guest_order: Any) -> None:
    link = service.send_payment_link(guest_order, notify=False)
    response = pay_link(client, link, outcome="rejected")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # back on the pay page
    assert oscar_totals(guest_order)["debited"] == 0
    assert OrderProcess.objects.get(order=guest_order).payment_status == PaymentStatus.UNPAID


def test_forged_callback_for_unknown_payment_is_refused(client: Any) -> None:
    response = client.get("/payments/process/3fa85f64-5717-4562-b3fc-2c963f66afa6/"
                          "?verification_result=confirmed")
    assert response.status_code == 404


def test_tampered_expired_and_superseded_links_show_a_page_and_change_nothing(
        client: Any, guest_order: Any) -> None:
    first = service.send_payment_link(guest_order, notify=False)
    second = service.send_payment_link(guest_order, notify=False)
    first.refresh_from_db()
    assert first.status == PaymentLinkStatus.SUPERSEDED
    assert client.get(first.get_absolute_url()).status_code == 410
    tampered = second.get_absolute_url().rstrip("/") + "x/"
    response = client.get(tampered)
    assert response.status_code == 404 and b"not valid" in response.content

    PaymentLink.objects.filter(pk=second.pk).update(expires_at=timezone.now() -
                                                   timedelta(minutes=1))
    assert client.post(second.get_absolute_url(), {"method": "dummy"}).status_code == 410
    assert not OrderPayment.objects.exists()
    run_due(force=True, only="expire-payment-links")
    second.refresh_from_db()
    assert second.status == PaymentLinkStatus.EXPIRED


def test_partial_links_add_up_to_paid(client: Any, guest_order: Any) -> None:
    total = guest_order.total_incl_tax
    link = service.send_payment_link(guest_order, amount="5.00", notify=False)
    pay_link(client, link)
    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.PARTIALLY_PAID
    assert service.balance(guest_order).due == total - Decimal("5.00")
    rest = service.send_payment_link(guest_order, notify=False)
    assert rest.amount == total - Decimal("5.00")
    pay_link(client, rest)
    assert assert_consistent(guest_order).payment_status == PaymentStatus.PAID
    with pytest.raises(service.PaymentProblem, match="nothing left to pay"):
        service.send_payment_link(guest_order, notify=False)


def test_link_amount_above_due_or_gateway_limit_is_refused(guest_order: Any) -> None:
    with pytest.raises(service.PaymentProblem, match="at most"):
        service.send_payment_link(guest_order, amount=guest_order.total_incl_tax + 1)
    with pytest.raises(service.PaymentProblem, match="not an amount"):
        service.send_payment_link(guest_order, amount="ten")
    with translation.override("it"):
        with pytest.raises(service.PaymentProblem) as refused:
            service.send_payment_link(guest_order, amount=guest_order.total_incl_tax + 1)
        # The limit reads as money in the reader's language ("20,00 €"), not "20.00".
        due = display.format_money(guest_order.total_incl_tax, guest_order.currency)
    assert "20,00" in due and due in str(refused.value.message)
    assert not PaymentLink.objects.exists()


def test_full_partial_and_line_refunds_through_the_gateway(
        client: Any, guest_order: Any, cashier: Any, django_capture_on_commit_callbacks: Any
        ) -> None:
    pay_link(client, service.send_payment_link(guest_order, notify=False))
    mail.outbox.clear()
    line = guest_order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        result = service.refund(guest_order, lines={line.pk: 1}, user=cashier,
                                reason="Broken cup")
    assert result.amount == line.unit_price_incl_tax and result.online == result.amount
    assert assert_consistent(guest_order).payment_status == PaymentStatus.PARTIALLY_REFUNDED
    payment = OrderPayment.objects.get(order=guest_order)
    assert payment.captured_amount == guest_order.total_incl_tax - result.amount
    assert mail.outbox and "refund" in mail.outbox[0].subject.lower()

    service.refund(guest_order, amount="1.00", user=cashier)
    rest = service.balance(guest_order).refundable
    service.refund(guest_order, user=cashier)  # all that is left
    process = assert_consistent(guest_order)
    assert process.payment_status == PaymentStatus.REFUNDED and process.amount_paid == 0
    assert rest > 0


def test_over_refund_and_too_many_items_are_refused_and_write_nothing(
        client: Any, guest_order: Any, cashier: Any) -> None:
    pay_link(client, service.send_payment_link(guest_order, notify=False))
    before = oscar_totals(guest_order)
    with pytest.raises(service.PaymentProblem, match="At most"):
        service.refund(guest_order, amount=guest_order.total_incl_tax + 1, user=cashier)
    line = guest_order.lines.get()
    service.refund(guest_order, lines={line.pk: 2}, user=cashier)
    with pytest.raises(service.PaymentProblem):
        service.refund(guest_order, lines={line.pk: 1}, user=cashier)
    after = oscar_totals(guest_order)
    assert after["refunded"] == before["refunded"] + 2 * line.unit_price_incl_tax


def test_offline_payment_refund_is_recorded_only(guest_order: Any, cashier: Any) -> None:
    service.record_offline_payment(guest_order, guest_order.total_incl_tax, "Bank transfer",
                                   user=cashier)
    result = service.refund(guest_order, amount="3.00", user=cashier)
    assert result.online == 0
    assert assert_consistent(guest_order).payment_status == PaymentStatus.PARTIALLY_REFUNDED


def test_large_refunds_need_their_own_permission(settings: Any, guest_order: Any,
                                                 cashier: Any, make_staff: Any) -> None:
    settings.OSCAR_ORDERS_EXT_LARGE_REFUND_LIMIT = 5
    service.record_offline_payment(guest_order, guest_order.total_incl_tax, "Cash")
    with pytest.raises(TransitionPermissionDenied, match="large amounts"):
        service.refund(guest_order, amount="6.00", user=cashier)
    boss = make_staff("boss", ["refund_order", "refund_large_amounts"])
    assert service.refund(guest_order, amount="6.00", user=boss).amount == Decimal("6.00")


def test_staff_without_permission_cannot_send_links(guest_order: Any, viewer: Any) -> None:
    with pytest.raises(TransitionPermissionDenied):
        service.send_payment_link(guest_order, user=viewer)
    with pytest.raises(TransitionPermissionDenied):
        service.refund(guest_order, user=viewer)


def test_editing_a_paid_order_shows_amount_due_then_refund_due(
        client: Any, guest_order: Any, cashier: Any, django_capture_on_commit_callbacks: Any
        ) -> None:
    pay_link(client, service.send_payment_link(guest_order, notify=False))
    line = guest_order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        apply_line_edit(guest_order, {line.pk: 3})
    process = OrderProcess.objects.get(order=guest_order)
    assert process.payment_status == PaymentStatus.PARTIALLY_PAID
    guest_order.refresh_from_db()
    assert service.balance(guest_order).due == line.unit_price_incl_tax
    link = service.send_payment_link(guest_order, notify=False)
    assert link.amount == line.unit_price_incl_tax  # a link for the difference

    with django_capture_on_commit_callbacks(execute=True):
        apply_line_edit(guest_order, {line.pk: 1})
    guest_order.refresh_from_db()
    owed = -service.balance(guest_order).due
    assert owed == line.unit_price_incl_tax  # two cups paid, one left
    result = service.refund(guest_order, amount=owed, user=cashier, notify=False)
    assert result.amount == owed and service.balance(guest_order).due == 0


def test_no_link_for_an_order_marked_paid_by_hand(guest_order: Any) -> None:
    set_payment_status(guest_order, PaymentStatus.PAID)
    with pytest.raises(service.PaymentProblem, match="marked paid"):
        service.send_payment_link(guest_order, notify=False)
    set_payment_status(guest_order, PaymentStatus.UNPAID)
    assert service.send_payment_link(guest_order, notify=False).amount == \
        guest_order.total_incl_tax
