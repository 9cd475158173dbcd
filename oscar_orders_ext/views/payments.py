"""The order page's payment actions: send a payment link, refund, mark paid by hand, capture
or release a pre-authorised payment. Thin: the payments service
does the work; a refusal comes back as an error message and nothing is written."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.payments import service
from oscar_orders_ext.subscriptions import installments

from .orders import OrderActionView
from .payment_forms import (GatewayPaymentForm, InstallmentForm, OfflinePaymentForm,
                            PaymentLinkForm, RefundForm)


class PaymentLinkView(OrderActionView):
    """Send (or resend) a payment link for the amount due or a part of it."""

    form_key = "payment_link_form"

    def bind(self, process: OrderProcess) -> PaymentLinkForm:
        return PaymentLinkForm(self.form_data())

    def perform(self, process: OrderProcess, form: PaymentLinkForm) -> str:
        data = form.cleaned_data
        link = service.send_payment_link(process.order, amount=data["amount"],
                                         user=self.request.user, notify=data["notify"])
        text = _("Payment link for %(amount)s %(currency)s created: %(url)s") % {
            "amount": number_format(link.amount, 2), "currency": link.currency,
            "url": service.link_url(link)}
        if link.sent_to:
            text += " " + _("Emailed to %(email)s.") % {"email": link.sent_to}
        return text


class InstallmentsView(OrderActionView):
    """Split what is left to pay into installments (the first link goes out when due)."""

    form_key = "installment_form"

    def bind(self, process: OrderProcess) -> InstallmentForm:
        return InstallmentForm(self.form_data())

    def perform(self, process: OrderProcess, form: InstallmentForm) -> str:
        data = form.cleaned_data
        rows = installments.split_order(
            process.order, cast(int, data["count"]), first_due=cast(date, data["first_due"]),
            every=cast(int, data["every"]), unit=cast(str, data["unit"]),
            user=self.request.user)
        return _("Order split into %(count)s installments.") % {"count": len(rows)}


class RefundView(OrderActionView):
    """Refund everything paid, an amount, or chosen lines (the gateway for online payments)."""

    form_key = "refund_form"

    def bind(self, process: OrderProcess) -> RefundForm:
        return RefundForm(self.form_data(), lines=process.order.lines.all())

    def perform(self, process: OrderProcess, form: RefundForm) -> str:
        data: dict[str, Any] = form.cleaned_data
        result = service.refund(
            process.order, amount=data["amount"], lines=data["lines"],
            include_shipping=data["include_shipping"], restock=data["restock"],
            reason=data["reason"], user=self.request.user, notify=data["notify"])
        text = _("Refunded %(amount)s %(currency)s.") % {
            "amount": number_format(result.amount, 2), "currency": process.order.currency}
        if result.online:
            text += " " + _("%(amount)s went back through the payment provider.") % {
                "amount": number_format(result.online, 2)}
        if result.credit_note is not None:
            text += " " + _("Credit note %(number)s issued.") % {
                "number": result.credit_note.number}
        return text


class OfflinePaymentView(OrderActionView):
    """Mark the order paid by hand (bank transfer, cash on delivery, pay in store)."""

    form_key = "offline_payment_form"

    def bind(self, process: OrderProcess) -> OfflinePaymentForm:
        return OfflinePaymentForm(self.form_data())

    def perform(self, process: OrderProcess, form: OfflinePaymentForm) -> str:
        data = form.cleaned_data
        before = service.balance(process.order).due
        service.record_offline_payment(process.order, data["amount"], data["method"],
                                       user=self.request.user, reference=data["reference"])
        amount = data["amount"] or before
        return _("Payment of %(amount)s %(currency)s recorded (%(method)s).") % {
            "amount": number_format(amount, 2), "currency": process.order.currency,
            "method": dict(service.offline_methods()).get(data["method"], data["method"])}


class GatewayPaymentView(OrderActionView):
    """Capture (all or part) or release a pre-authorised gateway payment of the order."""

    form_key = "gateway_payment_form"

    def bind(self, process: OrderProcess) -> GatewayPaymentForm:
        return GatewayPaymentForm(self.form_data())

    def perform(self, process: OrderProcess, form: GatewayPaymentForm) -> str:
        data = form.cleaned_data
        currency = process.order.currency
        if data["action"] == "release":
            amount = service.release_payment(process.order, self.kwargs["pk"],
                                             user=self.request.user)
            return _("The authorised payment of %(amount)s %(currency)s was released.") % {
                "amount": number_format(amount, 2), "currency": currency}
        amount = service.capture_payment(process.order, self.kwargs["pk"],
                                         amount=data["amount"], user=self.request.user)
        return _("Captured %(amount)s %(currency)s.") % {
            "amount": number_format(amount, 2), "currency": currency}
