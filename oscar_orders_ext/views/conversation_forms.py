"""The message form of the order's conversation (staff on the order page, customers on the
storefront)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.services.quotes import default_valid_until


class MessageForm(forms.Form):
    """One message; the service trims it and refuses an empty or too long one."""

    body = forms.CharField(label=_("Message"), strip=True, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=_("Attach an image or a PDF"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("body") and not data.get("attachment") and not self.errors:
            self.add_error("body", _("A message cannot be empty."))
        return data

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        limit = int(app_settings.MESSAGE_MAX_LENGTH)
        if len(body) > limit:
            raise forms.ValidationError(
                _("A message can be at most %(limit)d characters long (this one has "
                  "%(length)d).") % {"limit": limit, "length": len(body)})
        return body


class QuoteForm(forms.Form):
    """A price proposal: a unit price incl. tax per line, shipping, a message, a date."""

    shipping = forms.DecimalField(label=_("Shipping"), min_value=0, max_digits=12,
                                  decimal_places=2)
    valid_until = forms.DateField(label=_("Valid until"),
                                  widget=forms.DateInput(attrs={"type": "date"}))
    total = forms.DecimalField(
        label=_("Or a new total"), required=False, min_value=0, max_digits=12,
        decimal_places=2,
        help_text=_("Spread over the lines in proportion to their prices, shipping as above."))
    message = forms.CharField(label=_("Message"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, lines: list[Any], order: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.fields["shipping"].initial = order.shipping_incl_tax
        self.fields["valid_until"].initial = default_valid_until()
        for line in lines:
            self.fields[self.line_field(line)] = forms.DecimalField(
                label=line.title, min_value=0, max_digits=12, decimal_places=2,
                initial=(line.line_price_incl_tax / line.quantity).quantize(Decimal("0.01"))
                if line.quantity else line.unit_price_incl_tax)

    @staticmethod
    def line_field(line: Any) -> str:
        """The name of a line's price field."""
        return f"price_{line.pk}"

    def line_rows(self) -> list[tuple[Any, Any]]:
        """(line, bound price field) per line, for the template."""
        return [(line, self[self.line_field(line)]) for line in self.lines]

    def unit_prices(self) -> dict[int, Decimal]:
        """{line id: unit price incl. tax} as typed."""
        return {line.pk: self.cleaned_data[self.line_field(line)] for line in self.lines}
