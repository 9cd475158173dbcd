"""Forms of the order page's payments panel, and what the panel shows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext import selectors
from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.documents.service import OrderDocuments, credit_left, open_invoice
from oscar_orders_ext.models import OrderPayment, PaymentLink
from oscar_orders_ext.payments import service


class PaymentLinkForm(forms.Form):
    """Send a payment link: the amount due, or a part of it; email it or not."""

    amount = forms.DecimalField(label=_("Amount"), required=False, min_value=Decimal("0.01"),
                                max_digits=12, decimal_places=2,
                                help_text=_("Empty: the whole amount due."))
    notify = forms.BooleanField(label=_("Email the link to the customer"), required=False,
                                initial=True)


class InstallmentForm(forms.Form):
    """Split what is left to pay into N installments: first due date and spacing."""

    count = forms.IntegerField(label=_("Number of installments"), min_value=2, max_value=48,
                               initial=3)
    first_due = forms.DateField(label=_("First installment due on"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    every = forms.IntegerField(label=_("Every"), min_value=1, max_value=366, initial=1)
    unit = forms.ChoiceField(label=_("Interval"), initial="month", choices=[
        ("day", _("Days")), ("week", _("Weeks")), ("month", _("Months"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"first_due": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_first_due(self) -> Any:
        """Not in the past: the first link goes out when the installment falls due."""
        first_due = self.cleaned_data["first_due"]
        if first_due < timezone.localdate():
            raise forms.ValidationError(_("The first installment cannot be due in the past."))
        return first_due


class RefundForm(forms.Form):
    """A refund: everything paid, an amount, or chosen lines and quantities."""

    amount = forms.DecimalField(label=_("Amount"), required=False, min_value=Decimal("0.01"),
                                max_digits=12, decimal_places=2,
                                help_text=_("Empty, with no line chosen: all that was paid."))
    include_shipping = forms.BooleanField(label=_("Refund the shipping"), required=False)
    restock = forms.BooleanField(label=_("Put the refunded items back in stock"),
                                 required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=128)
    notify = forms.BooleanField(label=_("Email the customer"), required=False, initial=True)

    def __init__(self, *args: Any, lines: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = list(lines)
        for line in self.order_lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=line.title, required=False, min_value=0, max_value=line.quantity,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm",
                                                "style": "width: 5em"}))

    def line_fields(self) -> list[Any]:
        """The bound quantity field of each line."""
        return [self[f"line_{line.pk}"] for line in self.order_lines]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["lines"] = {line.pk: data[f"line_{line.pk}"] for line in self.order_lines
                         if data.get(f"line_{line.pk}")}
        if data.get("amount") and (data["lines"] or data.get("include_shipping")):
            raise forms.ValidationError(_("Give an amount or choose lines, not both."))
        return data


class OfflinePaymentForm(forms.Form):
    """Mark the order paid by hand: a configured offline method, the amount (at most what is
    due), a reference (the bank transfer's, the receipt's)."""

    method = forms.ChoiceField(label=_("Payment method"))
    amount = forms.DecimalField(label=_("Amount"), required=False, min_value=Decimal("0.01"),
                                max_digits=12, decimal_places=2,
                                help_text=_("Empty: the whole amount due."))
    reference = forms.CharField(label=_("Reference"), required=False, max_length=128)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["method"]).choices = service.offline_methods()


class GatewayPaymentForm(forms.Form):
    """Capture (all, or a part) or release a pre-authorised gateway payment."""

    action = forms.ChoiceField(choices=[("capture", _("Capture")), ("release", _("Release"))])
    amount = forms.DecimalField(label=_("Amount to capture"), required=False,
                                min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
                                help_text=_("Empty: all that was authorised."))


def payment_panel(order: Any, lines: Any = (), process: Any = None,
                  issued: OrderDocuments | None = None) -> dict[str, Any]:
    """The payments panel's context: balance, links, gateway payments (its forms start closed:
    the order page builds them when opened). A process from ``selectors.order_page_process``
    spares the queries of tables it found empty; ``issued``, the order's documents already
    read, the invoice's."""
    bal = service.balance(order, recorded=selectors.holds(process, "payment_sources"))
    if issued is not None:
        invoice = issued.open_invoice
        invoiced = invoice.credit_left if invoice is not None else None
    else:
        invoice = open_invoice(order.pk)
        invoiced = credit_left(invoice) if invoice is not None else None
    links = (list(PaymentLink.objects.filter(order_id=order.pk)[:10])
             if selectors.holds(process, "payment_links") else [])
    online = dict(service.online_methods())
    payments = (list(OrderPayment.objects.filter(order_id=order.pk)[:10])
                if selectors.holds(process, "gateway_payments") else [])
    # The ten payments read answer "any recorded?" unless there may be more (a query then).
    has_online_payment = (any(payment.recorded_amount > 0 for payment in payments)
                          if len(payments) < 10 else OrderPayment.objects.filter(
                              order_id=order.pk, recorded_amount__gt=0).exists())
    return {
        "payment_balance": bal,
        "payment_links": [{"link": link, "url": service.link_url(link)} for link in links],
        "gateway_payments": [{"payment": payment, "method": online.get(payment.variant,
                                                                       payment.variant)}
                             for payment in payments],
        # An edit changed the total the open invoice bills: credit it and invoice again.
        "invoice_behind": ({"number": invoice.number, "amount": invoiced}
                           if invoice is not None and invoiced != order.total_incl_tax
                           else None),
        # Paid by its status alone (imported, or set by hand): nothing is due, nothing recorded.
        "paid_by_status_only": bool(process is not None and bal.received <= 0
                                    and process.payment_status == PaymentStatus.PAID),
        "has_online_payment": has_online_payment,
    }
