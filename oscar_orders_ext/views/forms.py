"""Forms of the dashboard workspace; the Wagtail front end uses the same ones."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext import selectors
from oscar_orders_ext.columns import BY_KEY
from oscar_orders_ext.display import person_name
from oscar_orders_ext.documents.service import BULK_PRINTABLE
from oscar_orders_ext.models import OrderProcess, SavedView, Stage, Tag
from oscar_orders_ext.services.bulk import SIMPLE_ACTIONS

IDS = re.compile(r"^\d+(,\d+)*$")
#: Bulk actions that answer with a file rather than changing orders.
EXPORT_ACTIONS = {"export_xlsx": "xlsx", "export_csv": "csv"}
#: The bulk action that prints one PDF with a document for every selected order.
PRINT_ACTION = "print_documents"
#: Bulk actions of the payments feature (above the services, so resolved in views.common).
PAYMENT_ACTIONS = {"send_payment_links": _("Send payment links")}



class OperatorChoiceField(forms.ModelChoiceField):
    """Active staff who can be made responsible for orders, by full name as the workspace names
    people everywhere (usernames only for staff without a name)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", selectors.operators())
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class MoveForm(forms.Form):
    """A card dropped on a stage, or a transition button pressed."""

    order = forms.ModelChoiceField(queryset=OrderProcess.objects.all(), to_field_name="order_id",
                                   widget=forms.HiddenInput)
    stage = forms.ModelChoiceField(queryset=Stage.objects.all(), required=False)
    transition = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           label=_("Note (internal)"))
    # A confirmation page asks whether to email the customer; a Kanban drop does not (the
    # target state's default applies), which ``notify_asked`` tells apart from "unticked".
    notify = forms.BooleanField(required=False, label=_("Notify the customer"))
    notify_asked = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Set by a confirmation (page or dialog): a drop on a stage whose move asks first (cancel,
    # refund) without it is answered with the confirmation instead.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, processes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if processes is not None:  # partner users may only move the orders they see
            cast(forms.ModelChoiceField, self.fields["order"]).queryset = processes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("stage") and not data.get("transition"):
            raise forms.ValidationError(_("Choose a stage or an action."))
        # None: the target state's default (``notify_customer`` of the transition service).
        data["notify_customer"] = data.get("notify") if data.get("notify_asked") else None
        return data


#: The bulk bar's choice for state changes: follow each state's default, email, or not.
BULK_NOTIFY_CHOICES: list[tuple[str, Any]] = [
    ("", _("As the workflow says")), ("yes", _("Email the customers")), ("no", _("Do not email"))]


class BulkActionForm(forms.Form):
    """An action for the selected rows, or for every order matching the filter.

    The selection travels as one comma-separated field, so selecting thousands of rows never
    meets Django's limit on the number of POST fields.
    """

    action = forms.CharField(max_length=64)
    transition = forms.CharField(required=False, max_length=64)
    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False)
    operator = OperatorChoiceField(required=False)
    document = forms.ChoiceField(required=False, choices=[
        (kind.value, kind.label) for kind in BULK_PRINTABLE])
    # State changes (a transition, cancel): whether to email the customers; "" follows each
    # target state's default (its notify_customer).
    notify = forms.TypedChoiceField(
        required=False, label=_("Notify the customers"), empty_value=None,
        coerce=lambda value: value == "yes",
        choices=BULK_NOTIFY_CHOICES)
    selected = forms.CharField(required=False, widget=forms.HiddenInput)
    select_all = forms.BooleanField(required=False, widget=forms.HiddenInput)
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_selected(self) -> list[int]:
        value = (self.cleaned_data.get("selected") or "").strip()
        if value and not IDS.match(value):
            raise forms.ValidationError(_("The selection is malformed."))
        return [int(pk) for pk in value.split(",")] if value else []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("select_all") and not data.get("selected"):
            raise forms.ValidationError(_("Select at least one order."))
        action = data.get("action", "")
        if action == "transition" and not data.get("transition"):
            raise forms.ValidationError(_("Choose the state change to apply."))
        if action in {"add_tag", "remove_tag"} and not data.get("tag"):
            raise forms.ValidationError(_("Choose a tag."))
        if action == PRINT_ACTION and not data.get("document"):
            raise forms.ValidationError(_("Choose the document to print."))
        if action not in {*SIMPLE_ACTIONS, *EXPORT_ACTIONS, *PAYMENT_ACTIONS, PRINT_ACTION,
                          "transition", "add_tag",
                          "remove_tag", "assign_operator"}:
            raise forms.ValidationError(_("Unknown action."))
        return data


class ColumnPreferenceForm(forms.Form):
    """The columns a user wants, in order, as one comma-separated field."""

    columns = forms.CharField(max_length=1000)

    def clean_columns(self) -> list[str]:
        keys = [key.strip() for key in self.cleaned_data["columns"].split(",") if key.strip()]
        unknown = [key for key in keys if key not in BY_KEY]
        if unknown or not keys:
            raise forms.ValidationError(_("Unknown columns: %(keys)s")
                                        % {"keys": ", ".join(unknown) or "-"})
        return list(dict.fromkeys(keys))


class SavedViewForm(forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name", "shared", "query"]
        widgets = {"query": forms.HiddenInput}
