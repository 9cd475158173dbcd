"""Every write about money on an order: payment links, confirmed gateway payments, payments
marked by hand, refunds, and the tick's expiry of links.

Oscar stays the book of record: each amount received or refunded is written on Oscar's
``Source`` (``amount_debited``/``amount_refunded``), as a ``Transaction`` and as a
``PaymentEvent`` through Oscar's ``EventHandler``; ``OrderProcess.amount_paid`` and the
payment status are derived from those sources under the order's row lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task
from oscar.core.loading import get_class, get_model
from payments import PaymentError
from payments import PaymentStatus as GatewayStatus

from oscar_orders_ext import permissions
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import PaymentStatus, StockStatus, TimelineKind
from oscar_orders_ext.display import format_money
from oscar_orders_ext.documents.service import DocumentError, issue_credit_note, open_invoice
from oscar_orders_ext.exceptions import OrderWorkflowError, TransitionPermissionDenied
from oscar_orders_ext.i18n import in_order_language
from oscar_orders_ext.models import (GATEWAY_MAX_AMOUNT, OrderPayment, OrderProcess, PaymentLink,
                                     PaymentLinkStatus)
from oscar_orders_ext.models.payments import LINK_SALT
from oscar_orders_ext.constants import amount_due
from oscar_orders_ext.services.bulk import register_action
from oscar_orders_ext.services.locking import OrderLike, lock_stock_records, locked_process
from oscar_orders_ext.services.notifications import absolute_url, order_status_url
from oscar_orders_ext.services.timeline import record
from oscar_orders_ext.services.transitions import transition_order

EventHandler = get_class("order.processing", "EventHandler")
PaymentEventType = get_model("order", "PaymentEventType")
PaymentEventQuantity = get_model("order", "PaymentEventQuantity")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")
SourceType = get_model("payment", "SourceType")
StockRecord = get_model("partner", "StockRecord")
CommunicationEventType = get_model("communication", "CommunicationEventType")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")
Order = get_model("order", "Order")

CENT = Decimal("0.01")
#: Names of the Oscar payment event types we write (created on first use).
PAID_EVENT = "Paid"
REFUNDED_EVENT = "Refunded"
AUTHORISED_EVENT = "Authorised"
RELEASED_EVENT = "Released"
#: Gateway statuses that come before a confirmation: one arriving after it is out of order.
LATE_STATUSES = (GatewayStatus.WAITING, GatewayStatus.INPUT, GatewayStatus.PREAUTH,
                 GatewayStatus.REJECTED, GatewayStatus.ERROR)
#: Oscar's ``Transaction.txn_type`` of an authorisation given back (Oscar names no such type).
RELEASE_TXN = "Release"


class PaymentProblem(OrderWorkflowError):
    """A payment, link or refund was refused; nothing was written."""


class LinkUnavailable(OrderWorkflowError):
    """A payment link that cannot be paid (tampered, expired, paid, superseded, cancelled);
    ``reason`` is one of "invalid", "expired", "paid", "superseded", "cancelled"."""

    def __init__(self, reason: str, message: str, link: PaymentLink | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.link = link


def money(value: Any) -> Decimal:
    """``value`` as an amount of cents; a clear error for anything that is not a number."""
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise PaymentProblem(_("“%(value)s” is not an amount.") % {"value": value}) from None


# --- Reading ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Balance:
    """What an order's payment sources say: received, refunded, and what is due or owed."""

    total: Decimal
    received: Decimal
    refunded: Decimal

    @property
    def paid(self) -> Decimal:
        """Received less refunded."""
        return self.received - self.refunded

    @property
    def due(self) -> Decimal:
        """What the customer still owes (negative: what the shop owes them back); a refund
        beyond an overpayment (goods returned, a goodwill gesture) is not owed back."""
        return money(amount_due(self.total, self.paid, self.refunded))

    @property
    def refundable(self) -> Decimal:
        """The most a refund may return."""
        return max(self.paid, Decimal("0.00"))


def balance(order: Any, *, recorded: bool = True) -> Balance:
    """The order's balance from Oscar's payment sources (one query; none when the caller
    knows the order has no payment source: ``recorded=False``)."""
    received = refunded = Decimal("0.00")
    for source in Source.objects.filter(order_id=order.pk) if recorded else []:
        received += source.amount_debited or 0
        refunded += source.amount_refunded or 0
    return Balance(money(order.total_incl_tax), money(received), money(refunded))


def status_for(bal: Balance) -> str:
    """The payment status an order with this balance has."""
    if bal.refunded > 0:
        return PaymentStatus.REFUNDED if bal.paid <= 0 else PaymentStatus.PARTIALLY_REFUNDED
    if bal.received >= bal.total and bal.received > 0:
        return PaymentStatus.PAID
    if bal.received > 0:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.UNPAID


def online_methods() -> list[tuple[str, str]]:
    """The django-payments variants customers may pay with: (variant, label)."""
    configured = app_settings.ONLINE_PAYMENT_METHODS
    if configured is None:
        return [(name, name.replace("-", " ").replace("_", " ").capitalize())
                for name in getattr(settings, "PAYMENT_VARIANTS", {})]
    return [(name, str(label)) for name, label in dict(configured).items()]


def active_link(order: Any) -> PaymentLink | None:
    """The order's payable link, if any."""
    return next((link for link in PaymentLink.objects.filter(
        order_id=order.pk, status=PaymentLinkStatus.ACTIVE) if link.is_open), None)


def link_url(link: PaymentLink) -> str:
    """The full URL of a link's pay page, for emails and the staff's "copy" button."""
    return absolute_url(link.get_absolute_url())


# --- Writing the balance ------------------------------------------------------------------------

def _settle(process: OrderProcess, *, actor: Any, data: dict[str, Any]) -> str:
    """Recompute amount paid and payment status from Oscar's sources (process locked); record
    the timeline. Returns the new payment status."""
    bal = balance(process.order)
    previous = process.payment_status
    process.amount_paid = bal.paid
    process.amount_refunded = bal.refunded
    process.payment_status = status_for(bal)
    process.version += 1
    process.last_activity_at = timezone.now()
    process.save()
    record(process.order_id, TimelineKind.PAYMENT, actor=actor, at=process.last_activity_at,
           data={"from": previous, "to": process.payment_status, **data})
    return process.payment_status


def _source(order: Any, name: str) -> Any:
    """The order's Oscar payment source of this method (created on first use)."""
    source_type = SourceType.objects.filter(name=name).first() or SourceType.objects.create(
        name=name)
    source = Source.objects.filter(order=order, source_type=source_type).first()
    return source or Source.objects.create(order=order, source_type=source_type,
                                           currency=order.currency)


def _event_type(name: str) -> Any:
    return PaymentEventType.objects.filter(name=name).first() or \
        PaymentEventType.objects.create(name=name)


def _after_paid(process: OrderProcess) -> None:
    """The configured move once an order is fully paid (skipped when not allowed now)."""
    name = dict(app_settings.PAID_TRANSITIONS or {}).get(process.state)
    if name and process.get_transition(name) is not None:
        try:
            transition_order(process.order_id, name)
        except OrderWorkflowError:
            pass  # the workflow refuses it now (a condition): the payment stands


def _record_received(process: OrderProcess, amount: Decimal, method: str, *, reference: str,
                     actor: Any, data: dict[str, Any]) -> str:
    order = process.order
    source = _source(order, method)
    # Allocated covers what is debited (a manual order's source may have allocated it already).
    source.amount_allocated = max(source.amount_allocated or 0,
                                  (source.amount_debited or 0) + amount)
    source.debit(amount, reference=reference, status="confirmed")
    EventHandler(actor if getattr(actor, "is_authenticated", False) else None) \
        .handle_payment_event(order, _event_type(PAID_EVENT), amount, reference=reference)
    status = _settle(process, actor=actor, data={"event": "received", "amount": str(amount),
                                                 "currency": order.currency, "method": method,
                                                 **data})
    if status == PaymentStatus.PAID:
        PaymentLink.objects.filter(order_id=order.pk, status=PaymentLinkStatus.ACTIVE).update(
            status=PaymentLinkStatus.SUPERSEDED)
        transaction.on_commit(lambda: _after_paid(
            OrderProcess.objects.select_related("order").get(pk=process.pk)))
    return status


def _authorisations(order_id: int, payment: OrderPayment) -> Any:
    """Oscar's "Authorise" transactions of a pre-authorised gateway payment."""
    return Transaction.objects.filter(source__order_id=order_id, reference=payment.token,
                                      txn_type=Transaction.AUTHORISE)


def _record_authorisation(payment: OrderPayment) -> bool:
    """Write a pre-authorised gateway payment into Oscar's records once (``Source.allocate``:
    an "Authorise" transaction, an "Authorised" payment event); the link it paid is paid.
    Nothing is received until it is captured."""
    with locked_process(payment.order_id) as process:
        locked = OrderPayment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != GatewayStatus.PREAUTH or _authorisations(
                process.order_id, locked).exists():
            return False
        order = process.order
        amount = money(locked.total)
        label = dict(online_methods()).get(locked.variant, locked.variant)
        _source(order, label).allocate(amount, reference=locked.token, status="preauth")
        EventHandler(None).handle_payment_event(order, _event_type(AUTHORISED_EVENT), amount,
                                                reference=locked.token)
        if locked.link_id:
            PaymentLink.objects.filter(pk=locked.link_id).update(
                status=PaymentLinkStatus.PAID, paid_at=timezone.now())
        _touch(process)
        record(order.pk, TimelineKind.PAYMENT, at=process.last_activity_at, data={
            "event": "authorised", "amount": str(amount), "currency": order.currency,
            "method": label, "payment": locked.pk})
        return True


def _touch(process: OrderProcess) -> None:
    """Mark the order changed (version, last activity) without saving a stale instance."""
    process.last_activity_at = timezone.now()
    OrderProcess.objects.filter(pk=process.pk).update(version=F("version") + 1,
                                                      last_activity_at=process.last_activity_at)


def record_gateway_payment(payment: OrderPayment) -> bool:
    """Write a confirmed gateway payment into Oscar's records once; True when it was written
    now, False when there was nothing to record (not confirmed, or recorded before: a
    replayed or repeated callback). A pre-authorised payment is recorded as authorised."""
    if payment.status in LATE_STATUSES and payment.recorded_amount > payment.refunded_amount:
        # A callback older than the confirmation arrived late (out of order): the recorded
        # payment stays confirmed, so it can still be refunded through its provider.
        OrderPayment.objects.filter(pk=payment.pk).update(status=GatewayStatus.CONFIRMED)
        payment.status = GatewayStatus.CONFIRMED
        return False
    if payment.status == GatewayStatus.PREAUTH:
        return _record_authorisation(payment)
    if payment.status != GatewayStatus.CONFIRMED:
        return False
    with locked_process(payment.order_id) as process:
        locked = OrderPayment.objects.select_for_update().get(pk=payment.pk)
        amount = money(locked.captured_amount or locked.total)
        if locked.recorded_amount >= amount or locked.refunded_amount > 0:
            return False
        fresh = amount - locked.recorded_amount
        label = dict(online_methods()).get(locked.variant, locked.variant)
        _record_received(process, fresh, label, reference=locked.transaction_id or locked.token,
                         actor=None, data={"payment": locked.pk})
        OrderPayment.objects.filter(pk=locked.pk).update(recorded_amount=amount,
                                                         captured_amount=amount)
        # The provider goes on saving the instance it holds: keep it in step.
        payment.recorded_amount = payment.captured_amount = amount
        if locked.link_id:
            PaymentLink.objects.filter(pk=locked.link_id).update(
                status=PaymentLinkStatus.PAID, paid_at=timezone.now())
        order_id = locked.order_id
        transaction.on_commit(lambda: send_payment_email_task.enqueue(
            order_id, "received", str(fresh)))
        return True


def offline_methods() -> list[tuple[str, str]]:
    """(code, label) of the methods staff may mark an order paid with by hand (the configured
    payment methods: bank transfer, cash on delivery, pay in store …)."""
    return [(str(code), str(label)) for code, label in app_settings.PAYMENT_METHODS]


def record_offline_payment(order: OrderLike, amount: Any, method: str, *, user: Any = None,
                           reference: str = "") -> OrderProcess:
    """Mark money received outside the gateways (bank transfer, cash) by hand: ``amount``
    (None: all that is due, never more), ``method`` a configured method's code or a label."""
    _check(user, permissions.RECORD_PAYMENT)
    label = dict(offline_methods()).get(method, method) or str(_("Manual payment"))
    with locked_process(order) as process:
        due = balance(process.order).due
        wanted = due if amount in (None, "") else money(amount)
        if wanted <= 0:
            raise PaymentProblem(_("Nothing to record: the amount must be more than zero "
                                   "(order %(number)s owes %(due)s).")
                                 % {"number": process.order.number,
                                    "due": format_money(max(due, Decimal("0.00")),
                                                        process.order.currency)})
        if wanted > due:
            raise PaymentProblem(_("At most %(due)s is due on order %(number)s.")
                                 % {"due": format_money(max(due, Decimal("0.00")),
                                                        process.order.currency),
                                    "number": process.order.number})
        _record_received(process, wanted, label, reference=reference[:128], actor=user,
                         data={"by_hand": True})
        return process


def resettle(order: OrderLike, *, user: Any = None) -> str | None:
    """After the lines of an order changed, bring its amount paid and payment status in line
    with the new total (a paid order may now be partly paid, or owe a refund); orders with
    no payment recorded in Oscar keep their status. Returns the new status if it changed."""
    with locked_process(order) as process:
        bal = balance(process.order)
        if bal.received <= 0:
            return None
        if (status_for(bal) == process.payment_status and bal.paid == process.amount_paid
                and bal.refunded == process.amount_refunded):
            return None
        return _settle(process, actor=user, data={"event": "edit", "due": str(bal.due)})


def _preauthorised(process: OrderProcess, payment_id: Any) -> OrderPayment:
    payment = OrderPayment.objects.select_for_update().filter(
        order_id=process.order_id, pk=payment_id).first()
    if payment is None:
        raise PaymentProblem(_("This payment is not one of order %(number)s's.")
                             % {"number": process.order.number})
    if payment.status != GatewayStatus.PREAUTH:
        raise PaymentProblem(_("Only an authorised payment can be captured or released; this "
                               "one is “%(status)s”.") % {"status": payment.get_status_display()})
    return payment


def _give_back_authorisation(process: OrderProcess, payment: OrderPayment, amount: Decimal,
                             label: str, *, user: Any) -> None:
    """Lower Oscar's allocated amount by what is no longer authorised (a "Release")."""
    if amount <= 0:
        return
    source = _source(process.order, label)
    source.amount_allocated = max((source.amount_allocated or 0) - amount,
                                  source.amount_debited or 0)
    source.save(update_fields=["amount_allocated"])
    Transaction.objects.create(source=source, txn_type=RELEASE_TXN, amount=amount,
                               reference=payment.token, status="released")
    EventHandler(user if getattr(user, "is_authenticated", False) else None) \
        .handle_payment_event(process.order, _event_type(RELEASED_EVENT), amount,
                              reference=payment.token)


def _provider_refused(error: Exception, capture: bool) -> PaymentProblem:
    answer = getattr(error, "gateway_message", None) or str(error)
    if capture:
        return PaymentProblem(_("The payment provider refused the capture: %(answer)s. "
                                "Nothing was changed.") % {"answer": answer})
    return PaymentProblem(_("The payment provider refused the release: %(answer)s. Nothing "
                            "was changed.") % {"answer": answer})


def capture_payment(order: OrderLike, payment_id: Any, *, amount: Any = None,
                    user: Any = None) -> Decimal:
    """Capture a pre-authorised gateway payment (all of it, or ``amount``, a part) through its
    provider (django-payments' ``capture``); what is captured is received like any payment,
    the rest of the authorisation is given back. Returns the amount captured."""
    _check(user, permissions.RECORD_PAYMENT)
    with locked_process(order) as process:
        payment = _preauthorised(process, payment_id)
        authorised = money(payment.total)
        wanted = authorised if amount in (None, "") else money(amount)
        if wanted <= 0 or wanted > authorised:
            raise PaymentProblem(_("The amount to capture must be more than zero and at most "
                                   "the %(amount)s authorised.")
                                 % {"amount": format_money(authorised, payment.currency)})
        label = str(dict(online_methods()).get(payment.variant, payment.variant))
        # What the confirmation records (the provider may confirm before returning).
        payment.captured_amount = wanted
        payment.save(update_fields=["captured_amount"])
        try:
            payment.capture(wanted)
        except (PaymentError, ValueError) as error:
            raise _provider_refused(error, capture=True) from error
        payment.refresh_from_db()
        if payment.status != GatewayStatus.CONFIRMED:
            raise PaymentProblem(_("The payment provider did not confirm the capture: "
                                   "nothing was recorded."))
        record_gateway_payment(payment)  # a no-op when the provider's confirmation did it
        _give_back_authorisation(process, payment, authorised - wanted, label, user=user)
        return wanted


def release_payment(order: OrderLike, payment_id: Any, *, user: Any = None) -> Decimal:
    """Release a pre-authorised gateway payment (django-payments' ``release``): the customer's
    money is freed, Oscar's allocation given back; the amount stays due. Returns it."""
    _check(user, permissions.RECORD_PAYMENT)
    with locked_process(order) as process:
        payment = _preauthorised(process, payment_id)
        amount = money(payment.total)
        label = str(dict(online_methods()).get(payment.variant, payment.variant))
        try:
            payment.release()
        except (PaymentError, ValueError) as error:
            raise _provider_refused(error, capture=False) from error
        _give_back_authorisation(process, payment, amount, label, user=user)
        _touch(process)
        record(process.order_id, TimelineKind.PAYMENT, actor=user, at=process.last_activity_at,
               data={"event": "released", "amount": str(amount),
                     "currency": process.order.currency, "method": label,
                     "payment": payment.pk})
        return amount


# --- Payment links ------------------------------------------------------------------------------

def _check(user: Any, permission: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise TransitionPermissionDenied()


def send_payment_link(order: OrderLike, *, amount: Any = None, user: Any = None,
                      notify: bool = True) -> PaymentLink:
    """Create a payment link for the amount due (or ``amount``, a part of it), replacing any
    earlier link, and email it to the customer with ``notify``."""
    _check(user, permissions.SEND_PAYMENT_LINK)
    with locked_process(order) as process:
        order_obj = process.order
        bal = balance(order_obj)
        due = bal.due
        if process.payment_status == PaymentStatus.PAID and bal.received <= 0:
            # Marked paid by hand (status only): a link would charge the customer twice.
            raise PaymentProblem(_("Order %(number)s is marked paid without a recorded "
                                   "payment: mark it unpaid first to send a link.")
                                 % {"number": order_obj.number})
        if due <= 0:
            raise PaymentProblem(_("Order %(number)s has nothing left to pay.")
                                 % {"number": order_obj.number})
        wanted = due if amount in (None, "") else money(amount)
        if wanted <= 0 or wanted > due:
            raise PaymentProblem(_("The amount must be more than zero and at most %(due)s.")
                                 % {"due": format_money(due, order_obj.currency)})
        if wanted > GATEWAY_MAX_AMOUNT:
            raise PaymentProblem(_("Payment gateways take at most %(max)s in one payment: "
                                   "send links for smaller parts.")
                                 % {"max": format_money(GATEWAY_MAX_AMOUNT, order_obj.currency)})
        now = timezone.now()
        PaymentLink.objects.filter(order_id=order_obj.pk, status=PaymentLinkStatus.ACTIVE) \
            .update(status=PaymentLinkStatus.SUPERSEDED)
        link = PaymentLink.objects.create(
            order=order_obj, amount=wanted, currency=order_obj.currency,
            sent_to=order_obj.email if notify else "",
            created_by=user if getattr(user, "is_authenticated", False) else None,
            created_at=now,
            expires_at=now + timedelta(hours=app_settings.PAYMENT_LINK_EXPIRY_HOURS))
        process.version += 1
        process.last_activity_at = now
        process.save(update_fields=["version", "last_activity_at"])
        record(order_obj.pk, TimelineKind.PAYMENT, actor=user, at=now, data={
            "event": "link", "amount": str(wanted), "currency": order_obj.currency,
            "link": link.pk, "notify": bool(notify and order_obj.email)})
        if notify and order_obj.email:
            transaction.on_commit(lambda: send_payment_email_task.enqueue(
                order_obj.pk, "link", str(link.pk)))
        return link


def _open_link(order_id: int) -> PaymentLink:
    """The order's open link (active, not expired), or a refusal saying there is none."""
    link = PaymentLink.objects.filter(order_id=order_id, status=PaymentLinkStatus.ACTIVE,
                                      expires_at__gt=timezone.now()).first()
    if link is None:
        raise PaymentProblem(_("This order has no open payment link."))
    return link


def resend_payment_link(order: OrderLike, *, user: Any = None) -> PaymentLink:
    """Email the order's open payment link to the customer again (same URL and amount)."""
    _check(user, permissions.SEND_PAYMENT_LINK)
    with locked_process(order) as process:
        order_obj = process.order
        if not order_obj.email:
            raise PaymentProblem(_("Order %(number)s has no email address to send the link "
                                   "to.") % {"number": order_obj.number})
        link = _open_link(order_obj.pk)
        link.sent_to = order_obj.email
        link.save(update_fields=["sent_to"])
        record(order_obj.pk, TimelineKind.PAYMENT, actor=user, data={
            "event": "link_resent", "amount": str(link.amount), "currency": link.currency,
            "link": link.pk, "notify": True})
        transaction.on_commit(lambda: send_payment_email_task.enqueue(
            order_obj.pk, "link", str(link.pk)))
        return link


def cancel_payment_link(order: OrderLike, *, user: Any = None) -> PaymentLink:
    """Stop the order's open payment link working: its page then says the shop cancelled it."""
    _check(user, permissions.SEND_PAYMENT_LINK)
    with locked_process(order) as process:
        link = _open_link(process.order_id)
        link.status = PaymentLinkStatus.CANCELLED
        link.save(update_fields=["status"])
        now = timezone.now()
        process.version += 1
        process.last_activity_at = now
        process.save(update_fields=["version", "last_activity_at"])
        record(process.order_id, TimelineKind.PAYMENT, actor=user, at=now, data={
            "event": "link_cancelled", "amount": str(link.amount), "currency": link.currency,
            "link": link.pk})
        return link


def link_from_token(token: str) -> PaymentLink:
    """The payable link behind a pay page's token, or :class:`LinkUnavailable` saying why."""
    try:
        pk = signing.Signer(salt=LINK_SALT).unsign_object(token)["link"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkUnavailable("invalid", _("This payment link is not valid. Please use the "
                                           "link from your email, or ask the shop for a new "
                                           "one.")) from None
    link = PaymentLink.objects.select_related("order").filter(pk=pk).first()
    if link is None:
        raise LinkUnavailable("invalid", _("This payment link no longer exists."))
    if link.status == PaymentLinkStatus.PAID:
        raise LinkUnavailable("paid", _("This payment link has already been paid. Thank "
                                        "you!"), link)
    if link.status == PaymentLinkStatus.CANCELLED:
        raise LinkUnavailable("cancelled", _("The shop cancelled this payment link. Please ask "
                                             "the shop how to pay."), link)
    if link.status == PaymentLinkStatus.SUPERSEDED:
        raise LinkUnavailable("superseded", _("This payment link was replaced by a newer one "
                                              "or the order is paid: please use the most "
                                              "recent link the shop sent you."), link)
    if not link.is_open:
        raise LinkUnavailable("expired", _("This payment link has expired. Please ask the "
                                           "shop for a new one."), link)
    return link


def start_link_payment(link: PaymentLink, variant: str, *, ip_address: str | None = None
                       ) -> OrderPayment:
    """A gateway payment of the link's amount with the chosen method (checked again: the
    link may have been paid or replaced since the page was drawn)."""
    if variant not in dict(online_methods()):
        raise PaymentProblem(_("Please choose a payment method."))
    with locked_process(link.order_id) as process:
        link = link_from_token(link.token)
        order = process.order
        if link.amount > balance(order).due:
            raise LinkUnavailable("superseded", _("The amount due on this order changed: "
                                                  "please ask the shop for a new link."), link)
        address = order.billing_address or order.shipping_address
        return OrderPayment.objects.create(
            order=order, link=link, variant=variant, currency=order.currency,
            total=link.amount, description=_("Order %(number)s") % {"number": order.number},
            billing_first_name=getattr(address, "first_name", "") or "",
            billing_last_name=getattr(address, "last_name", "") or "",
            billing_address_1=getattr(address, "line1", "") or "",
            billing_city=getattr(address, "line4", "") or "",
            billing_postcode=getattr(address, "postcode", "") or "",
            billing_country_code=str(getattr(address, "country_id", "") or "")[:2],
            billing_email=order.email or "", customer_ip_address=ip_address)


def expire_payment_links(now: Any = None) -> int:
    """Mark links past their expiry as expired (the tick runs it); returns how many."""
    return PaymentLink.objects.filter(status=PaymentLinkStatus.ACTIVE,
                                      expires_at__lte=now or timezone.now()) \
        .update(status=PaymentLinkStatus.EXPIRED)


# --- Refunds ------------------------------------------------------------------------------------

@dataclass
class RefundResult:
    """What a refund did."""

    amount: Decimal
    status: str
    online: Decimal = Decimal("0.00")
    credit_note: Any = None
    restocked: list[dict[str, Any]] = field(default_factory=list)


def refund_amount_for(order: Any, lines: Mapping[int, int], include_shipping: bool) -> Decimal:
    """The amount refunding these line quantities (and the shipping) returns."""
    total = Decimal("0.00")
    by_pk = {line.pk: line for line in order.lines.all()}
    for pk, quantity in lines.items():
        if int(pk) not in by_pk:
            raise PaymentProblem(_("Line %(line)s is not a line of this order.") % {"line": pk})
        total += (by_pk[int(pk)].unit_price_incl_tax or 0) * int(quantity)
    if include_shipping:
        total += order.shipping_incl_tax or 0
    return money(total)


class PartialRefund(PaymentProblem):
    """A refund over several gateway payments that a provider refused part-way: what the
    providers did refund was recorded (``result``), the rest was not refunded anywhere."""

    def __init__(self, message: str, result: RefundResult) -> None:
        super().__init__(message)
        self.result = result


def refund(order: OrderLike, *, amount: Any = None, lines: Mapping[int, int] | None = None,
           include_shipping: bool = False, restock: bool = False, reason: str = "",
           user: Any = None, notify: bool = True) -> RefundResult:
    """Refund all that was paid (no amount nor lines), an ``amount``, or line quantities
    (``lines``: line id -> quantity, shipping optional); through the gateway for what was
    paid online, recorded only for the rest. Refused beyond what was paid less refunded.

    All or nothing: any refusal before a provider refunded writes nothing. When a provider
    refuses after another one refunded (a refund over several gateway payments), only what
    the providers refunded is recorded (as an amount) and :class:`PartialRefund` says so.
    """
    _check(user, permissions.REFUND)
    lines = {int(pk): int(qty) for pk, qty in (lines or {}).items() if int(qty) > 0}
    partial: PartialRefund | None = None
    with locked_process(order) as process:  # two refunds of one order queue here
        order_obj = process.order
        bal = balance(order_obj)
        if lines or include_shipping:
            wanted = refund_amount_for(order_obj, lines, include_shipping)
        elif amount in (None, ""):
            wanted = bal.refundable
        else:
            wanted = money(amount)
        if wanted <= 0:
            raise PaymentProblem(_("Nothing to refund: the amount must be more than zero."))
        if wanted > bal.refundable:
            raise PaymentProblem(_("At most %(left)s can be refunded on order %(number)s "
                                   "(paid less already refunded).")
                                 % {"left": format_money(bal.refundable, order_obj.currency),
                                    "number": order_obj.number})
        limit = app_settings.LARGE_REFUND_LIMIT
        if (limit is not None and wanted > money(limit) and user is not None
                and not user.has_perm(permissions.REFUND_LARGE)):
            raise TransitionPermissionDenied(_("Refunds above %(limit)s need the permission "
                                               "to refund large amounts.") % {"limit": limit})
        plan = _online_plan(order_obj, wanted)
        before = transaction.savepoint()
        result = _book_refund(process, wanted, lines, plan, offline=True, restock=restock,
                              reason=reason, user=user)
        # The gateways last: any refusal above has written nothing anywhere.
        done, error = _call_providers(plan)
        if error is not None:
            transaction.savepoint_rollback(before)
            if result.credit_note is not None:
                result.credit_note.file.delete(save=False)
            answer = getattr(error, "gateway_message", None) or str(error)
            if not done:
                raise PaymentProblem(_("The payment provider refused the refund: %(answer)s. "
                                       "Nothing was refunded.") % {"answer": answer}) from error
            # Earlier providers did refund: record exactly that, as an amount.
            refunded = sum((part for _payment, part, _after in done), Decimal("0.00"))
            result = _book_refund(process, refunded, {}, [(p, part) for p, part, _a in done],
                                  offline=False, restock=False, reason=reason, user=user)
            for payment, _part, after in done:  # what the providers' own saves said
                OrderPayment.objects.filter(pk=payment.pk).update(**after)
            partial = PartialRefund(
                _("Only %(refunded)s of the %(wanted)s were refunded: a payment provider "
                  "refused the rest (%(answer)s). The part refunded is recorded; refund the "
                  "remaining %(left)s again or by other means.")
                % {"refunded": format_money(refunded, order_obj.currency),
                   "wanted": format_money(wanted, order_obj.currency), "answer": answer,
                   "left": format_money(wanted - refunded, order_obj.currency)}, result)
        if notify and order_obj.email:
            refunded_now = str(result.amount)
            transaction.on_commit(lambda: send_payment_email_task.enqueue(
                order_obj.pk, "refund", refunded_now))
    if partial is not None:
        raise partial
    return result


def _online_plan(order: Any, wanted: Decimal) -> list[tuple[OrderPayment, Decimal]]:
    """The gateway payments a refund of ``wanted`` goes back through, newest first, and how
    much through each (locked)."""
    left, plan = wanted, []
    for payment in OrderPayment.objects.select_for_update().filter(
            order_id=order.pk, status=GatewayStatus.CONFIRMED, recorded_amount__gt=0
            ).order_by("-created", "-pk"):
        part = min(left, payment.recorded_amount - payment.refunded_amount)
        if part > 0:
            plan.append((payment, part))
            left -= part
    return plan


def _book_refund(process: OrderProcess, wanted: Decimal, lines: Mapping[int, int],
                 plan: list[tuple[OrderPayment, Decimal]], *, offline: bool, restock: bool,
                 reason: str, user: Any) -> RefundResult:
    """Write a refund in Oscar's records and ours (payment event, sources, stock, status,
    timeline, credit note); the providers are not called here."""
    order_obj = process.order
    line_objs = {line.pk: line for line in order_obj.lines.select_related("stockrecord")}
    event_lines = [line_objs[pk] for pk in lines]
    event_type = _event_type(REFUNDED_EVENT)
    _check_refundable_quantities(event_type, event_lines, lines)
    handler = EventHandler(user if getattr(user, "is_authenticated", False) else None)
    event = handler.handle_payment_event(order_obj, event_type, wanted, reference=reason[:128])
    # The refunded quantities in one insert (Oscar's handler writes and checks them line by
    # line: a refund's queries would grow with its lines).
    PaymentEventQuantity.objects.bulk_create([
        PaymentEventQuantity(event=event, line=line, quantity=lines[line.pk])
        for line in event_lines])
    left, online = wanted, Decimal("0.00")
    label_of = dict(online_methods())
    for payment, part in plan:
        source = _source(order_obj, label_of.get(payment.variant) or payment.variant)
        source.refund(part, reference=payment.transaction_id or payment.token)
        OrderPayment.objects.filter(pk=payment.pk).update(
            refunded_amount=F("refunded_amount") + part)
        online += part
        left -= part
    if offline and left > 0:
        for source in Source.objects.filter(order=order_obj).order_by("-pk"):
            if left <= 0:
                break
            part = min(left, money((source.amount_debited or 0)
                                   - (source.amount_refunded or 0)))
            if part > 0:
                source.refund(part, reference=reason[:128])
                left -= part
    # Goods still allocated were never taken out of stock: nothing to put back.
    restocked = (_restock(event_lines, lines)
                 if restock and process.stock_status == StockStatus.CONSUMED else [])
    status = _settle(
        process, actor=user, data={"event": "refund", "amount": str(wanted),
                                   "currency": order_obj.currency, "online": str(online),
                                   "lines": {str(k): v for k, v in lines.items()},
                                   "restocked": bool(restocked)})
    credit_note = None
    invoice = open_invoice(order_obj.pk)
    if invoice is not None:
        credit_user = user if user is None or user.has_perm(permissions.ISSUE_CREDIT_NOTE) \
            else None
        try:
            credit_note = issue_credit_note(invoice, user=credit_user,
                                            amount=min(wanted, invoice.total),
                                            reason=reason or str(_("Refund")))
        except DocumentError as error:
            raise PaymentProblem(_("The refund was not made: the credit note could not "
                                   "be issued (%(error)s).") % {"error": error.message}
                                 ) from error
    return RefundResult(wanted, status, online, credit_note, restocked)


def _check_refundable_quantities(event_type: Any, lines: list[Any],
                                 quantities: Mapping[int, int]) -> None:
    """Oscar's rule, in one query: a line's quantity is refunded at most once."""
    if not lines:
        return
    done = dict(PaymentEventQuantity.objects.filter(
        line__in=lines, event__event_type=event_type).values("line_id")
        .annotate(n=Sum("quantity")).values_list("line_id", "n").order_by())
    too_many = [line for line in lines
                if (done.get(line.pk) or 0) + quantities[line.pk] > line.quantity]
    if too_many:
        raise PaymentProblem(", ".join(
            _("The selected quantity for line #%(line_id)s is too large") % {"line_id": line.pk}
            for line in too_many))


def _call_providers(plan: list[tuple[OrderPayment, Decimal]]
                    ) -> tuple[list[tuple[OrderPayment, Decimal, dict[str, Any]]],
                               Exception | None]:
    """Refund each planned part through its provider (always with the amount), in order,
    stopping at the first refusal: (what was refunded, with each payment's row after it;
    the refusal or None)."""
    done: list[tuple[OrderPayment, Decimal, dict[str, Any]]] = []
    for payment, part in plan:
        try:
            payment.refresh_from_db()
            payment.refunded_amount -= part  # refund() saves the instance
            payment.refund(part)
        except (PaymentError, ValueError) as error:
            return done, error
        payment.refunded_amount += part
        OrderPayment.objects.filter(pk=payment.pk).update(
            refunded_amount=payment.refunded_amount)
        done.append((payment, part, {"captured_amount": payment.captured_amount,
                                     "status": payment.status}))
    return done, None


def _restock(lines: list[Any], quantities: Mapping[int, int]) -> list[dict[str, Any]]:
    """Put refunded goods back in stock (Oscar's stock records, locked by primary key; one
    update whatever the number of lines)."""
    tracked = [line for line in lines if line.stockrecord_id]
    if not tracked:
        return []
    lock_stock_records(line.stockrecord_id for line in tracked)
    per_record: dict[int, int] = {}
    for line in tracked:
        per_record[line.stockrecord_id] = per_record.get(line.stockrecord_id, 0) + \
            quantities[line.pk]
    StockRecord.objects.filter(pk__in=per_record).update(num_in_stock=F("num_in_stock") + Case(
        *[When(pk=pk, then=Value(quantity)) for pk, quantity in per_record.items()],
        default=Value(0), output_field=IntegerField()))
    return [{"line": line.pk, "quantity": quantities[line.pk]} for line in tracked]


# --- Emails -------------------------------------------------------------------------------------

EMAIL_NAMES = {
    "link": gettext_lazy("Payment link"),
    "received": gettext_lazy("Payment received"),
    "refund": gettext_lazy("Refund"),
}


def email_code(kind: str) -> str:
    """The CommunicationEventType code of a payment email."""
    return {"link": app_settings.PAYMENT_LINK_EMAIL_EVENT_CODE,
            "received": app_settings.PAYMENT_RECEIVED_EMAIL_EVENT_CODE,
            "refund": app_settings.REFUND_EMAIL_EVENT_CODE}[kind]


def send_payment_email(order_id: int, kind: str, detail: str) -> bool:
    """Email the customer a payment link ("link", ``detail`` the link id), a payment received
    or a refund (``detail`` the amount), in their language; True when sent."""
    order = Order.objects.get(pk=order_id)
    code = email_code(kind)
    CommunicationEventType.objects.get_or_create(
        code=code, defaults={"name": str(EMAIL_NAMES[kind]),
                             "category": CommunicationEventType.ORDER_RELATED})
    context: dict[str, Any] = {"order": order, "status_url": order_status_url(order)}
    if kind == "link":
        link = PaymentLink.objects.get(pk=int(detail))
        context.update(link=link, pay_url=link_url(link), amount=link.amount)
    else:
        context["amount"] = money(detail)
    with in_order_language(order):
        messages = CommunicationEventType.objects.get_and_render(code, context)
        if not order.email or not messages.get("subject"):
            return False
        OrderDispatcher().dispatch_order_messages(order, messages, code)
    record(order.pk, TimelineKind.EMAIL, data={"code": code, "to": order.email})
    return True


@task()
def send_payment_email_task(order_id: int, kind: str, detail: str) -> bool:
    """Send one payment email (link, payment received, refund)."""
    return send_payment_email(order_id, kind, detail)


# The bulk bar's "Send payment links": each order a link for what it owes, emailed; paid ones
# are refused and listed (in the request or on the worker).
register_action("send_payment_links",
                lambda process, user: send_payment_link(process, user=user, notify=True))
