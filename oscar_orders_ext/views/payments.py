"""The order page's payment actions: send a payment link, refund. Thin: the payments service
does the work; a refusal comes back as an error message and nothing is written."""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.payments import service

from .orders import OrderActionView
from .payment_forms import PaymentLinkForm, RefundForm


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
