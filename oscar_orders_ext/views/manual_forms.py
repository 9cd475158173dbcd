"""Forms of the manual-order page and of the line editor of placed orders."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_orders_ext.constants import OrderType
from oscar_orders_ext.services.edits import CHANGE_PERMISSION
from oscar_orders_ext.services.manual_orders import (MANUAL_SHIPPING, ManualOrder,
                                                     ShippingChoice, initial_states,
                                                     payment_methods)
from oscar_orders_ext.workflow import get_workflow

from .forms import OperatorChoiceField

BillingAddress = get_model("order", "BillingAddress")
ShippingAddress = get_model("order", "ShippingAddress")

ADDRESS_FIELDS = ["first_name", "last_name", "line1", "line2", "line3", "line4", "state",
                  "postcode", "country"]
#: Cart fields: "qty-<line id>" (manual orders) and "line-<line id>" / "add-<product id>"
#: (placed orders) carry quantities.
QUANTITY_FIELD = re.compile(r"^(qty|line|add)-(\d+)$")


def quantities(data: QueryDict, prefix: str) -> dict[str, str]:
    """{id: raw quantity} of the POSTed ``<prefix>-<id>`` fields (validated by the services)."""
    found = {}
    for name, values in data.lists():
        match = QUANTITY_FIELD.match(name)
        if match and match.group(1) == prefix:
            found[match.group(2)] = values[-1]  # the last value, as data[name] reads it
    return found


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip().replace(",", ".")) if str(value).strip() else None
    except InvalidOperation:
        return None


def shipping_choice(data: QueryDict) -> ShippingChoice:
    """The shipping method and hand-typed charge of the cart form (lenient: live totals)."""
    return ShippingChoice(code=data.get("shipping_method", ""),
                          charge_excl_tax=_decimal(data.get("shipping_charge_excl_tax", "")),
                          charge_incl_tax=_decimal(data.get("shipping_charge_incl_tax", "")))


class BillingAddressForm(forms.ModelForm):
    class Meta:
        model = BillingAddress
        fields = ADDRESS_FIELDS


class ShippingAddressForm(forms.ModelForm):
    # Hidden unless "ship to a different address" is ticked: the browser must not insist.
    use_required_attribute = False

    class Meta:
        model = ShippingAddress
        fields = [*ADDRESS_FIELDS, "phone_number", "notes"]


class ManualOrderForm(forms.Form):
    """Who the order is for and how it is paid, shipped and started."""

    customer = forms.ModelChoiceField(queryset=get_user_model().objects.all(), required=False,
                                      widget=forms.HiddenInput)
    email = forms.EmailField(label=_("Email of a new customer"), required=False,
                             help_text=_("An existing customer with this email is updated."))
    phone = ShippingAddress._meta.get_field("phone_number").formfield(
        label=_("Phone"), required=False)
    ship_elsewhere = forms.BooleanField(label=_("Ship to a different address"), required=False)
    shipping_method = forms.CharField(required=False, max_length=128)
    shipping_charge_excl_tax = forms.DecimalField(label=_("Charge excl. tax"), required=False,
                                                  min_value=0, decimal_places=2)
    shipping_charge_incl_tax = forms.DecimalField(label=_("Charge incl. tax"), required=False,
                                                  min_value=0, decimal_places=2)
    order_type = forms.ChoiceField(
        label=_("Order type"), required=False, initial=OrderType.STANDARD,
        choices=[(OrderType.STANDARD, OrderType.STANDARD.label),
                 (OrderType.QUOTE, _("Quote: the price is agreed later, no payment now"))])
    payment_method = forms.ChoiceField(label=_("Payment method"))
    paid = forms.BooleanField(label=_("Already paid"), required=False)
    installments = forms.IntegerField(
        label=_("Pay in installments"), required=False, min_value=2, max_value=48,
        help_text=_("Empty: paid at once. A number splits the total into that many "
                    "installments."))
    installments_first_due = forms.DateField(
        label=_("First installment due on"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Empty: today."))
    installments_every = forms.IntegerField(label=_("Every"), required=False, min_value=1,
                                            max_value=366, initial=1)
    installments_unit = forms.ChoiceField(label=_("Interval"), required=False, initial="month",
                                          choices=[("day", _("Days")), ("week", _("Weeks")),
                                                   ("month", _("Months"))])
    initial_state = forms.ChoiceField(label=_("Initial state"))
    operator = OperatorChoiceField(label=_("Operator"), required=False)
    note = forms.CharField(label=_("Internal note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    send_confirmation = forms.BooleanField(
        label=_("Email the order confirmation to the customer"), required=False, initial=True,
        help_text=_("The same message as an order placed in the shop."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["payment_method"]).choices = payment_methods()
        cast(forms.ChoiceField, self.fields["initial_state"]).choices = [
            (s.code, s.label) for s in initial_states()]
        self.fields["initial_state"].initial = get_workflow().initial_state
        if user is not None and not user.has_perm(CHANGE_PERMISSION):
            # Assigning people and payment status are edits of the order's process.
            del self.fields["operator"], self.fields["paid"]
        elif user is not None and user.is_staff:
            self.fields["operator"].initial = user.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("customer") and not data.get("email"):
            raise forms.ValidationError(_("Choose a customer or enter the email of a new one."))
        if data.get("installments"):
            if data.get("paid"):
                self.add_error("installments", _("An order already paid is not paid in "
                                                 "installments."))
            if data.get("order_type") == OrderType.QUOTE:
                self.add_error("installments", _("A quote is not paid in installments."))
            first_due = data.get("installments_first_due")
            if first_due is not None and first_due < timezone.localdate():
                self.add_error("installments_first_due",
                               _("The first installment cannot be due in the past."))
        if data.get("shipping_method") == MANUAL_SHIPPING and \
                data.get("shipping_charge_excl_tax") is None:
            self.add_error("shipping_charge_excl_tax", _("Enter the shipping charge."))
        return data

    def installment_plan(self) -> dict[str, Any] | None:
        """The installments asked for (``split_order``'s arguments), None for none."""
        data = self.cleaned_data
        if not data.get("installments"):
            return None
        return {"count": data["installments"], "first_due": data.get("installments_first_due"),
                "every": data.get("installments_every") or 1,
                "unit": data.get("installments_unit") or "month"}

    def manual_order(self, basket_id: int, billing: dict[str, Any],
                     shipping: dict[str, Any] | None) -> ManualOrder:
        """The service's input, from this valid form and the valid address forms."""
        data = self.cleaned_data
        if shipping is None:
            shipping = {name: value for name, value in billing.items()}
        if data.get("phone"):
            shipping["phone_number"] = data["phone"]
        return ManualOrder(
            basket_id=basket_id, customer=data.get("customer"), email=data.get("email") or "",
            billing_address=billing, shipping_address=shipping,
            shipping=ShippingChoice(data.get("shipping_method") or "",
                                    data.get("shipping_charge_excl_tax"),
                                    data.get("shipping_charge_incl_tax")),
            payment_method=data["payment_method"], operator=data.get("operator"),
            initial_state=data["initial_state"], paid=bool(data.get("paid")),
            note=data.get("note") or "", send_confirmation=bool(data.get("send_confirmation")),
            order_type=data.get("order_type") or "")


class LineEditForm(forms.Form):
    """The version of the order the editor was opened on, and a note for the timeline."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Reason (internal)"), required=False, max_length=500)
