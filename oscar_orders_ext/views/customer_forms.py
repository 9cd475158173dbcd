"""Forms of the customer directory: a new customer, a customer's details, groups, price lists
and their prices, automatic tag rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.models import (Customer, CustomerGroup, CustomerTagRule, PriceList,
                                     PriceListItem, Tag)


class BootstrapMixin:
    """Bootstrap's ``form-control`` on text inputs (both skins draw these forms alike)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                field.widget.attrs.setdefault("class", "form-control")


class LookupSelect(forms.Select):
    """A select holding only its chosen option (never the whole catalogue); the page's script
    (``lookup_select.js``) fills it from a JSON lookup as the operator types in the search
    box it adds above. The field still accepts any object of its queryset."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Labels of chosen values already at hand (the form's instance), by value.
        self.known: dict[str, str] = {}

    def optgroups(self, name: str, value: list[Any], attrs: dict[str, Any] | None = None
                  ) -> list[Any]:
        chosen = [str(item) for item in value if item not in ("", None)]
        choices: list[tuple[Any, str]] = [("", "---------")]
        missing = [item for item in chosen if item not in self.known]
        labels = dict(self.known)
        iterator: Any = self.choices  # a ModelChoiceIterator: its queryset and field
        queryset = getattr(iterator, "queryset", None)
        if missing and queryset is not None:
            field = iterator.field
            labels.update((str(obj.pk), field.label_from_instance(obj))
                          for obj in queryset.filter(pk__in=missing))
        choices += [(item, labels[item]) for item in chosen if item in labels]
        full, self.choices = self.choices, choices
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = full


class CataloguePickerMixin:
    """Product and category as :class:`LookupSelect` boxes (catalogues of any size)."""

    fields: dict[str, forms.Field]
    instance: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("product", "category"):
            field = self.fields[name]
            widget = LookupSelect(attrs=field.widget.attrs)
            widget.choices = field.widget.choices
            field.widget = widget
            chosen = getattr(self.instance, f"{name}_id", None)
            if chosen is not None:
                widget.known = {str(chosen): str(getattr(self.instance, name))}

    def set_lookup_urls(self, url_for: Any) -> None:
        """Point the boxes at their lookups; ``url_for(kind)`` is the skin's URL for one."""
        placeholders = {"product": _("Search by title, UPC or SKU…"),
                        "category": _("Search categories…")}
        for name, kind in (("product", "products"), ("category", "categories")):
            attrs = self.fields[name].widget.attrs
            attrs["data-ooe-lookup"] = url_for(kind)
            attrs["data-ooe-lookup-placeholder"] = str(placeholders[name])


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


class GroupForm(BootstrapMixin, forms.ModelForm):
    """A customer group: its name and price lists."""

    price_lists = forms.ModelMultipleChoiceField(
        label=_("Price lists"), queryset=PriceList.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Of the lists valid today, the one with the highest priority applies."))

    class Meta:
        model = CustomerGroup
        fields = ["name", "price_lists"]


class PriceListForm(BootstrapMixin, forms.ModelForm):
    """A price list's currency, validity and priority."""

    class Meta:
        model = PriceList
        fields = ["name", "currency", "valid_from", "valid_until", "priority"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The end of validity comes before its start."))
        return data


class PriceListItemForm(CataloguePickerMixin, BootstrapMixin, forms.ModelForm):
    """One price: a product or a category, from a quantity, a fixed price or a percentage."""

    class Meta:
        model = PriceListItem
        fields = ["product", "category", "min_quantity", "fixed_price", "percent_off"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("DELETE"):
            return data
        if bool(data.get("product")) == bool(data.get("category")):
            raise forms.ValidationError(_("Choose a product or a category, not both."))
        fixed, percent = data.get("fixed_price"), data.get("percent_off")
        if (fixed is None) == (percent is None):
            raise forms.ValidationError(
                _("Give a fixed price or a percentage off, not both."))
        if fixed is not None and fixed < 0:
            self.add_error("fixed_price", _("A price cannot be negative."))
        if percent is not None and not 0 < percent <= 100:
            self.add_error("percent_off", _("A percentage off lies between 0 and 100."))
        return data

    def _get_validation_exclusions(self) -> set[str]:
        # clean() checks the model's constraints on these fields and says so in words; the
        # constraints' generic messages would only repeat it.
        return super()._get_validation_exclusions() | {  # type: ignore[misc]
            "product", "category", "fixed_price", "percent_off"}


PriceListItemFormSet = forms.inlineformset_factory(
    PriceList, PriceListItem, form=PriceListItemForm, extra=3, can_delete=True)


class TagRuleForm(CataloguePickerMixin, BootstrapMixin, forms.ModelForm):
    """"Buying this product (or a product of this category) tags the customer with …"."""

    tag_name = forms.CharField(label=_("Tag"), max_length=64,
                               help_text=_("An existing tag, or a new one."))

    class Meta:
        model = CustomerTagRule
        fields = ["product", "category", "tag_name", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.tag_id:
            self.fields["tag_name"].initial = self.instance.tag.name
        self.fields["tag_name"].widget.attrs["list"] = "ooe-tag-names"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("product")) == bool(data.get("category")):
            raise forms.ValidationError(_("Choose a product or a category, not both."))
        return data

    def _get_validation_exclusions(self) -> set[str]:
        # clean() checks the model's constraint and says so in words.
        return super()._get_validation_exclusions() | {  # type: ignore[misc]
            "product", "category"}
