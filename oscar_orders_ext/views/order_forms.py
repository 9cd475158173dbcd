"""Forms of the order page and the carrier settings.

Every form that changes an order carries the ``version`` of the order the operator saw, so a
stale form is refused (``OrderConflict``) instead of overwriting someone else's change.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class, get_model

from oscar_orders_ext.constants import OrderType, PaymentStatus
from oscar_orders_ext.models import Carrier, Funnel, Tag
from oscar_orders_ext.services.order_details import ADDRESS_FIELDS

from .forms import OperatorChoiceField

BillingAddress = get_model("order", "BillingAddress")
AbstractAddressForm = get_class("address.forms", "AbstractAddressForm")
OscarShippingAddressForm = get_class("dashboard.orders.forms", "ShippingAddressForm")


class VersionedForm(forms.Form):
    """A form about one order, remembering which version of it the operator saw."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TransitionForm(VersionedForm):
    """A transition button with its optional note and the "notify the customer" checkbox."""

    transition = forms.CharField(max_length=64, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note (internal)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    customer_message = forms.CharField(label=_("Message for the customer"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    notify = forms.BooleanField(label=_("Notify the customer"), required=False)


class WorkflowFieldsForm(VersionedForm):
    """Payment status, order type, operator, funnel and tags, saved together."""

    payment_status = forms.ChoiceField(label=_("Payment status"), choices=PaymentStatus.choices)
    order_type = forms.ChoiceField(label=_("Order type"), choices=OrderType.choices)
    operator = OperatorChoiceField(label=_("Operator"), required=False, empty_label=_("Nobody"))
    funnel = forms.ModelChoiceField(label=_("Funnel"), queryset=Funnel.objects.all(),
                                    empty_label=None)
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), required=False,
                                          queryset=Tag.objects.all(),
                                          widget=forms.CheckboxSelectMultiple)
    # The tags the operator saw: only what they ticked or unticked is applied, so a bulk tag
    # change made meanwhile (which takes no version) is kept.
    shown_tags = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_shown_tags(self) -> set[int] | None:
        """The tag ids drawn on the form; None when the form did not say (apply the set)."""
        raw = self.cleaned_data.get("shown_tags") or ""
        if "shown_tags" not in self.data:
            return None
        try:
            return {int(pk) for pk in raw.split(",") if pk.strip()}
        except ValueError:
            raise forms.ValidationError(_("The form is out of date: reload the page.")) from None

    @classmethod
    def for_process(cls, process: Any) -> WorkflowFieldsForm:
        """The form filled with the process's current values."""
        return cls(initial={"version": process.version, "payment_status": process.payment_status,
                            "order_type": process.order_type, "operator": process.operator_id,
                            "funnel": process.funnel_id,
                            "tags": (tags := [tag.pk for tag in process.tags.all()]),
                            "shown_tags": ",".join(map(str, tags))})


class BuyerForm(VersionedForm):
    """The buyer's email (guest orders only) and "shipping same as billing"."""

    email = forms.EmailField(label=_("Email"), required=False)
    shipping_same_as_billing = forms.BooleanField(label=_("Shipping address same as billing"),
                                                  required=False)

    def __init__(self, *args: Any, guest: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not guest:  # a registered customer's email is their account's
            del self.fields["email"]
        else:
            self.fields["email"].required = True


class BillingAddressForm(AbstractAddressForm):  # type: ignore[misc,valid-type]
    """The order's billing address (Oscar's ``BillingAddress``)."""

    class Meta:
        model = BillingAddress
        fields = list(ADDRESS_FIELDS)


class ShippingAddressForm(OscarShippingAddressForm):  # type: ignore[misc,valid-type]
    """Oscar's dashboard form for the order's shipping address."""


class CustomerDetailsForm:
    """Buyer, billing and shipping forms of one order, validated and read together.

    The forms validate copies of the addresses (a ModelForm writes into its instance), so the
    page never shows input that was not saved. An order without a billing (or shipping)
    address may leave that form empty. With "shipping
    same as billing" ticked, the billing values are copied into the shipping form before it is
    validated, so the server decides, whatever the browser shows.
    """

    def __init__(self, order: Any, data: QueryDict | None = None, *, version: int = 0) -> None:
        self.order = order
        if data is not None and data.get("shipping_same_as_billing"):
            data = data.copy()
            for name in ADDRESS_FIELDS:
                data[f"shipping-{name}"] = data.get(f"billing-{name}", "")
        self.buyer = BuyerForm(data, guest=not order.user_id,
                               initial={"version": version, "email": order.guest_email})
        self.billing = BillingAddressForm(
            data, prefix="billing", instance=copy.copy(order.billing_address),
            empty_permitted=order.billing_address is None, use_required_attribute=False)
        self.shipping = ShippingAddressForm(
            data, prefix="shipping", instance=copy.copy(order.shipping_address),
            empty_permitted=order.shipping_address is None, use_required_attribute=False)

    @property
    def forms(self) -> list[forms.BaseForm]:
        return [self.buyer, self.billing, self.shipping]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.forms])  # a list: validate every form

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``services.order_details.update_customer_details``."""
        buyer = self.buyer.cleaned_data

        def values(form: BillingAddressForm | ShippingAddressForm) -> dict[str, Any] | None:
            if form.empty_permitted and not form.has_changed():
                return None
            return {name: form.cleaned_data.get(name) for name in form.Meta.fields}

        return {"email": buyer.get("email") if "email" in self.buyer.fields else None,
                "billing": values(self.billing), "shipping": values(self.shipping),
                "expected_version": buyer["version"]}


class ShipmentForm(VersionedForm):
    """A parcel: a managed carrier or a free-text one, a tracking code, quantities per line."""

    carrier = forms.ModelChoiceField(label=_("Carrier"), required=False,
                                     queryset=Carrier.objects.filter(is_active=True),
                                     empty_label=_("Other (type its name)"))
    carrier_name = forms.CharField(label=_("Other carrier"), required=False, max_length=128)
    tracking_code = forms.CharField(label=_("Tracking code"), required=False, max_length=128)
    note = forms.CharField(label=_("Note (internal)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    # Ship in the same step (logistics.shipment_defaults gives the initial values).
    mark_shipped = forms.BooleanField(
        label=_("And mark the order as shipped"), required=False,
        help_text=_("Once every item has left; through the workflow, with its rules."))
    notify = forms.BooleanField(label=_("Notify the customer"), required=False)

    def __init__(self, *args: Any, lines: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[self.line_field(line)] = forms.IntegerField(
                label=line.title, min_value=0, max_value=line.left_to_ship,
                initial=line.left_to_ship, required=False)

    @staticmethod
    def line_field(line: Any) -> str:
        return f"line_{line.pk}"

    def line_rows(self) -> list[tuple[Any, forms.BoundField]]:
        """(line, its quantity field) for the template."""
        return [(line, self[self.line_field(line)]) for line in self.lines]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("carrier") and not (data.get("carrier_name") or "").strip():
            raise forms.ValidationError(_("Choose a carrier or type the carrier's name."))
        quantities = {line: data.get(self.line_field(line)) or 0 for line in self.lines}
        if self.lines and not any(quantities.values()):
            raise forms.ValidationError(_("Choose at least one item to ship."))
        data["lines"] = {line: quantity for line, quantity in quantities.items() if quantity}
        return data


class NoteForm(forms.Form):
    """A note on the order: internal (staff only) or for the buyer."""

    INTERNAL, BUYER = "internal", "buyer"

    message = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    audience = forms.ChoiceField(
        label=_("Who sees it"), initial=INTERNAL, widget=forms.RadioSelect,
        choices=[(INTERNAL, _("Staff only")),
                 (BUYER, _("The buyer too (shown to them and in their emails)"))])

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("A note cannot be empty."))
        return message


class CarrierForm(forms.ModelForm):
    """A carrier of the managed list."""

    class Meta:
        model = Carrier
        fields = ["name", "tracking_url_template", "is_active", "position"]
