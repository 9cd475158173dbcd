"""Forms of the documents pages (delivery note details, credit notes, shop identity)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.documents.service import DeliveryDetails
from oscar_orders_ext.models import ShopIdentity


class DeliveryNoteForm(forms.Form):
    """What a delivery note states beyond the order; blank fields take the defaults."""

    carrier = forms.CharField(label=_("Carrier"), max_length=128, required=False,
                              help_text=_("Defaults to the order's shipping method."))
    packages = forms.IntegerField(label=_("Number of packages"), min_value=1, max_value=9999,
                                  required=False, initial=1)
    reason = forms.CharField(label=_("Reason for transport"), max_length=128, required=False,
                             initial=_("Sale"))

    def details(self) -> DeliveryDetails:
        """The valid form as delivery details."""
        data = self.cleaned_data
        return DeliveryDetails(carrier=data["carrier"], packages=data["packages"] or 1,
                               reason=data["reason"])


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount to credit (including tax)"), required=False,
                                min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
                                help_text=_("Leave empty to credit everything still open."))
    reason = forms.CharField(label=_("Reason"), max_length=255)


class ShopIdentityForm(forms.ModelForm):
    class Meta:
        model = ShopIdentity
        fields = ["name", "address", "vat_number", "tax_code", "email", "phone", "website",
                  "logo", "bank_details", "footer"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}),
                   "bank_details": forms.Textarea(attrs={"rows": 2}),
                   "footer": forms.Textarea(attrs={"rows": 2})}
