"""Human-readable, translated descriptions of timeline entries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .constants import OrderType, PaymentStatus, StockEffect, TimelineKind
from .workflow import get_workflow

if TYPE_CHECKING:
    from .models import TimelineEntry


def _state(code: str) -> str:
    return str(get_workflow().get_state(code).label) if code else ""


def _label(choices: type[PaymentStatus] | type[OrderType], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _customer_field(name: str) -> str:
    """ "shipping_address.line1" -> "shipping address (line1)"; "email" -> "email". """
    if name == "email":
        return str(_("email"))
    address, _dot, field = name.partition(".")
    label = {"billing_address": _("billing address"),
             "shipping_address": _("shipping address")}.get(address)
    return f"{label} ({field})" if label and field else name


def describe(entry: TimelineEntry) -> str:
    """One line saying what the entry records, in the reader's language."""
    data = entry.data or {}
    kind = entry.kind
    if kind == TimelineKind.CREATED:
        return _("Order created as “%(state)s”") % {"state": _state(data.get("state", ""))}
    if kind in (TimelineKind.STATE, TimelineKind.OSCAR_STATUS):
        text = _("State changed from “%(from)s” to “%(to)s”") % {
            "from": _state(data.get("from", "")), "to": _state(data.get("to", ""))}
        if kind == TimelineKind.OSCAR_STATUS:
            text += " " + _("(outside the workspace)")
        return text
    if kind == TimelineKind.STAGE:
        if "to_stage" in data and data.get("to"):
            text = _("Moved to stage “%(stage)s” of funnel “%(funnel)s”") % {
                "stage": data["to_stage"], "funnel": data["to"]}
        elif "to_stage" in data:
            text = _("Moved to stage “%(stage)s”") % {"stage": data["to_stage"]}
        else:
            text = _("Moved to funnel “%(funnel)s”") % {"funnel": data.get("to", "")}
        # Written by services.funnels when a stage or funnel was deleted with orders in it.
        if data.get("reason") == "stage_deleted":
            text += " " + _("(stage “%(stage)s” was deleted)") % {"stage": data.get("from_stage")}
        elif data.get("reason") == "funnel_deleted":
            text += " " + _("(funnel “%(funnel)s” was deleted)") % {"funnel": data.get("from")}
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
    if kind == TimelineKind.SHIPMENT:
        count = sum(int(line.get("quantity", 0)) for line in data.get("lines", []))
        text = (_("Partial shipment: %(count)d items with %(carrier)s") if data.get("partial")
                else _("Shipped %(count)d items with %(carrier)s")) % {
            "count": count, "carrier": data.get("carrier", "")}
        if data.get("tracking_code"):
            text += " " + _("(tracking code %(code)s)") % {"code": data["tracking_code"]}
        return text
    if kind == TimelineKind.EDIT and data.get("section") == "customer":
        return _("Buyer details changed: %(fields)s") % {
            "fields": ", ".join(_customer_field(name) for name in data.get("changed", []))}
    if kind == TimelineKind.EMAIL:
        return _("Email sent to %(to)s") % {"to": data.get("to", "")}
    return str(TimelineKind(kind).label) if kind in TimelineKind.values else kind
