"""Forms of the customer directory: a new customer, a customer's details."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.models import Customer, CustomerGroup, Tag


class BootstrapMixin:
    """Bootstrap's ``form-control`` on text inputs (both skins draw these forms alike)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                field.widget.attrs.setdefault("class", "form-control")


class NewCustomerForm(BootstrapMixin, forms.Form):
    """A customer added by hand: a password they can log in with, or an invitation email."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    company = forms.CharField(label=_("Company"), max_length=255, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=64, required=False)
    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               help_text=_("Leave empty to send an invitation instead."))
    invite = forms.BooleanField(label=_("Email an invitation to set a password"),
                                required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, invite = data.get("password"), data.get("invite")
        if password and invite:
            raise forms.ValidationError(
                _("Choose a password or an invitation, not both."))
        if not password and not invite:
            raise forms.ValidationError(
                _("Give a password, or tick the invitation so the customer sets one."))
        if password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class CustomerDetailsForm(BootstrapMixin, forms.ModelForm):
    """What an operator edits on a profile."""

    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=Tag.objects.all(),
                                          required=False,
                                          widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Customer
        fields = ["first_name", "last_name", "company", "phone", "group", "notes", "tags"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}


class MoveGroupForm(BootstrapMixin, forms.Form):
    """Move every customer of one group to another (or out of any group)."""

    source = forms.ModelChoiceField(label=_("Customers of"), queryset=CustomerGroup.objects.all())
    target = forms.ModelChoiceField(label=_("Move to"), queryset=CustomerGroup.objects.all(),
                                    required=False, empty_label=_("(no group)"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") and data.get("source") == data.get("target"):
            raise forms.ValidationError(_("Choose two different groups."))
        return data
