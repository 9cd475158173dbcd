"""Human-readable, translated descriptions of timeline entries."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel.core import UnknownLocaleError
from babel.numbers import format_decimal
from django.utils import translation
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from .conf import app_settings
from .constants import DocumentKind, OrderType, PaymentStatus, StockEffect, TimelineKind
from .workflow import get_workflow


def _state(code: str) -> str:
    return str(get_workflow().get_state(code).label) if code else ""


def untranslated_default_funnel_name() -> str:
    """``DEFAULT_FUNNEL_NAME`` as written in the code: the name ``migrate`` gives the funnel
    it creates (and stores), whatever the language of the shop or of the command."""
    with translation.override(None):
        return str(app_settings.DEFAULT_FUNNEL_NAME)


def funnel_name_shown(name: str) -> str:
    """A funnel's name as the reader sees it: still the name ``migrate`` gave the default
    funnel, that name in the reader's language; a name the shop typed, as typed."""
    default = untranslated_default_funnel_name()
    return _(default) if name == default else name


@lru_cache(maxsize=1)
def _states_by_untranslated_label() -> dict[str, str]:
    """Workflow state codes by their label as written in the code (the workflow is fixed at
    start-up)."""
    with translation.override(None):
        return {str(state.label): state.code for state in get_workflow().get_states()}


def stage_name_shown(name: str) -> str:
    """A stage's name recorded in an entry, as ``Stage.display_name`` shows it: still named
    after a workflow state (as funnels create them), that state's label in the reader's
    language."""
    code = _states_by_untranslated_label().get(name)
    return _state(code) if code else name


def _label(choices: type[PaymentStatus] | type[OrderType], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _document(kind: str) -> str:
    try:
        return str(DocumentKind(kind).label)
    except ValueError:
        return kind


def _customer_field(name: str) -> str:
    """ "shipping_address.line1" -> "shipping address (line1)"; "email" -> "email". """
    if name == "email":
        return str(_("email"))
    address, _dot, field = name.partition(".")
    label = {"billing_address": _("billing address"),
             "shipping_address": _("shipping address")}.get(address)
    return f"{label} ({field})" if label and field else name


#: What the payments service's timeline entries say (``data["event"]``).
PAYMENT_EVENTS = {
    "link": gettext_lazy("Payment link for %(amount)s %(currency)s created"),
    "link_resent": gettext_lazy("Payment link for %(amount)s %(currency)s sent again"),
    "link_cancelled": gettext_lazy("Payment link for %(amount)s %(currency)s cancelled"),
    "received": gettext_lazy("Payment of %(amount)s %(currency)s received (%(method)s)"),
    "refund": gettext_lazy("Refund of %(amount)s %(currency)s"),
    "authorised": gettext_lazy("Payment of %(amount)s %(currency)s authorised (%(method)s): "
                               "to capture"),
    "released": gettext_lazy("Authorised payment of %(amount)s %(currency)s released "
                             "(%(method)s)"),
}


def _amount(value: Any) -> str:
    """An amount stored as text ("15.00") written as the reader writes numbers ("15,00")."""
    try:
        number = Decimal(str(value))
        return format_decimal(number, format="#,##0.00",
                              locale=to_locale(get_language() or "en"))
    except (InvalidOperation, ValueError, UnknownLocaleError):
        return str(value)


def describe(kind: str, data: Mapping[str, Any] | None) -> str:
    """One line saying what a timeline entry of ``kind`` with ``data`` records, in the reader's
    language."""
    data = data or {}
    if kind == TimelineKind.CREATED:
        text = _("Order created as “%(state)s”") % {"state": _state(data.get("state", ""))}
        if data.get("source") == "manual":
            text += " " + _("(entered by hand)")
        return text
    if kind in (TimelineKind.STATE, TimelineKind.OSCAR_STATUS):
        text = _("State changed from “%(from)s” to “%(to)s”") % {
            "from": _state(data.get("from", "")), "to": _state(data.get("to", ""))}
        if kind == TimelineKind.OSCAR_STATUS:
            text += " " + _("(outside the workspace)")
        return text
    if kind == TimelineKind.STAGE:
        if "to_stage" in data and data.get("to"):
            text = _("Moved to stage “%(stage)s” of funnel “%(funnel)s”") % {
                "stage": stage_name_shown(data["to_stage"]),
                "funnel": funnel_name_shown(data["to"])}
        elif "to_stage" in data:
            text = _("Moved to stage “%(stage)s”") % {"stage": stage_name_shown(data["to_stage"])}
        else:
            text = _("Moved to funnel “%(funnel)s”") % {
                "funnel": funnel_name_shown(data.get("to", ""))}
        # Written by services.funnels when a stage or funnel was deleted with orders in it.
        if data.get("reason") == "stage_deleted":
            text += " " + _("(stage “%(stage)s” was deleted)") % {
                "stage": stage_name_shown(data.get("from_stage") or "")}
        elif data.get("reason") == "funnel_deleted":
            text += " " + _("(funnel “%(funnel)s” was deleted)") % {
                "funnel": funnel_name_shown(data.get("from") or "")}
        return text
    if kind == TimelineKind.PAYMENT and data.get("event") in PAYMENT_EVENTS:
        text = str(PAYMENT_EVENTS[data["event"]]) % {
            "amount": _amount(data.get("amount", "")), "currency": data.get("currency", ""),
            "method": data.get("method", "")}
        if data.get("to") and data.get("from") != data.get("to"):
            text += " · " + str(_label(PaymentStatus, data["to"]))
        return text
    if kind == TimelineKind.PAYMENT:
        return _("Payment status changed from “%(from)s” to “%(to)s”") % {
            "from": _label(PaymentStatus, data.get("from", "")),
            "to": _label(PaymentStatus, data.get("to", ""))}
    if kind == TimelineKind.ORDER_TYPE:
        return _("Order type changed to “%(to)s”") % {
            "to": _label(OrderType, data.get("to", ""))}
    if kind == TimelineKind.OPERATOR:
        if data.get("to"):
            return _("Assigned to %(operator)s") % {"operator": data["to"]}
        return _("Operator removed")
    if kind == TimelineKind.TAGS:
        parts = []
        if data.get("added"):
            parts.append(_("Tags added: %(tags)s") % {"tags": ", ".join(data["added"])})
        if data.get("removed"):
            parts.append(_("Tags removed: %(tags)s") % {"tags": ", ".join(data["removed"])})
        return "; ".join(parts)
    if kind == TimelineKind.NOTE:
        return _("Note for the customer") if data.get("for_customer") else _("Internal note")
    if kind == TimelineKind.STOCK:
        effect = data.get("effect", "")
        try:
            label = str(StockEffect(effect).label)
        except ValueError:
            label = effect
        return _("Stock: %(effect)s (%(count)d lines)") % {
            "effect": label, "count": len(data.get("lines", []))}
    if kind == TimelineKind.IMPORT:
        if data.get("updated"):
            return _("Updated from the file %(file)s (%(fields)s)") % {
                "file": data.get("file", ""), "fields": ", ".join(data["updated"])}
        if data.get("file"):
            return _("Imported from the file %(file)s") % {"file": data["file"]}
        return str(TimelineKind.IMPORT.label)
    if kind == TimelineKind.SHIPMENT:
        count = sum(int(line.get("quantity", 0)) for line in data.get("lines", []))
        text = (ngettext("Partial shipment: %(count)d item with %(carrier)s",
                         "Partial shipment: %(count)d items with %(carrier)s", count)
                if data.get("partial")
                else ngettext("Shipped %(count)d item with %(carrier)s",
                              "Shipped %(count)d items with %(carrier)s", count)) % {
            "count": count, "carrier": data.get("carrier", "")}
        if data.get("tracking_code"):
            text += " " + _("(tracking code %(code)s)") % {"code": data["tracking_code"]}
        return text
    if kind == TimelineKind.EDIT and data.get("section") == "customer":
        return _("Buyer details changed: %(fields)s") % {
            "fields": ", ".join(_customer_field(name) for name in data.get("changed", []))}
    if kind == TimelineKind.EMAIL:
        if data.get("number"):
            return _("%(document)s %(number)s emailed to %(to)s") % {
                "document": _document(data.get("document", "")), "number": data["number"],
                "to": data.get("to", "")}
        return _("Email sent to %(to)s") % {"to": data.get("to", "")}
    if kind == TimelineKind.EDIT and data.get("action") == "lines":
        return _describe_line_edit(data)
    if kind == TimelineKind.DOCUMENT and data.get("number"):
        text = _("%(document)s %(number)s issued") % {
            "document": _document(data.get("document", "")), "number": data["number"]}
        if data.get("credits"):
            text += " " + _("(credits invoice %(number)s)") % {"number": data["credits"]}
        return text
    return str(TimelineKind(kind).label) if kind in TimelineKind.values else kind


def _describe_line_edit(data: Mapping[str, Any]) -> str:
    """ "Lines changed: Mug 1 → 3; added 2 × Cup; removed Plate (total 20.00 → 35.00)"."""
    parts = []
    for line in data.get("lines", []):
        change = line.get("change")
        if change == "added":
            parts.append(_("added %(quantity)s × %(title)s")
                         % {"quantity": line.get("to"), "title": line.get("title")})
        elif change == "removed":
            parts.append(_("removed %(title)s") % {"title": line.get("title")})
        else:
            parts.append(_("%(title)s %(from)s → %(to)s") % {
                "title": line.get("title"), "from": line.get("from"), "to": line.get("to")})
    total = data.get("total") or {}
    return _("Lines changed: %(changes)s (total %(from)s → %(to)s)") % {
        "changes": "; ".join(parts), "from": total.get("from", ""), "to": total.get("to", "")}
