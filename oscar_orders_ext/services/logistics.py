"""Shipments: parcels sent with a carrier and a tracking code, for all lines or some.

Each shipment is an Oscar ``ShippingEvent`` of type "Shipped" with its line quantities
(``ShippingEventQuantity``), plus our ``Shipment`` row holding the carrier and tracking code,
so Oscar's own dashboard and reports see the same events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Case, CharField, F, ProtectedError, QuerySet, Value, When
from django.db.models.functions import Concat
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.core.loading import get_class, get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.constants import SHIPPED_EVENT_NAME, TimelineKind
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import Carrier, OrderProcess, Shipment
# The reads live with the other reads; tracking_links* stay importable here for older callers.
from oscar_orders_ext.selectors import (TrackingLink, shipped_quantities,  # noqa: F401
                                        tracking_links, tracking_links_by_order)

from .edits import check_permission, edit_process
from .locking import OrderLike
from .transitions import notifies_by_default, transition_order

ShippingEvent = get_model("order", "ShippingEvent")
ShippingEventType = get_model("order", "ShippingEventType")
ShippingEventQuantity = get_model("order", "ShippingEventQuantity")
InvalidShippingEvent = get_class("order.exceptions", "InvalidShippingEvent")

SHIP_PERMISSION = permissions.OPERATIONS["ship"]
MANAGE_CARRIERS_PERMISSION = permissions.OPERATIONS["manage-carriers"]


class ShipmentError(OrderWorkflowError):
    """A shipment could not be recorded (nothing left to ship, bad quantities, no carrier)."""

    default_message = gettext_lazy("The shipment could not be recorded.")


def shipped_event_type() -> Any:
    """Oscar's "Shipped" shipping event type, created on first use."""
    event_type, _created = ShippingEventType.objects.get_or_create(name=SHIPPED_EVENT_NAME)
    return event_type


def _quantities(order: Any, lines: Mapping[Any, int] | None) -> dict[Any, int]:
    """Line -> quantity to ship, checked against what is left of each line."""
    order_lines = {line.pk: line for line in order.lines.all()}
    shipped = shipped_quantities(order)
    left = {pk: line.quantity - shipped.get(pk, 0) for pk, line in order_lines.items()}
    if lines is None:
        wanted = {order_lines[pk]: qty for pk, qty in left.items() if qty > 0}
        if not wanted:
            raise ShipmentError(_("Every item of this order has already been shipped."))
        return wanted
    wanted = {}
    for line, quantity in lines.items():
        pk = getattr(line, "pk", line)
        if pk not in order_lines:
            raise ShipmentError(_("Line %(line)s is not part of this order.") % {"line": pk})
        if not isinstance(quantity, int) or quantity < 0:
            raise ShipmentError(_("Quantities must be whole numbers, zero or more."))
        if quantity > left[pk]:
            raise ShipmentError(
                _("Only %(left)d of “%(title)s” are left to ship, not %(quantity)d.")
                % {"left": left[pk], "title": order_lines[pk].title, "quantity": quantity})
        if quantity:
            wanted[order_lines[pk]] = quantity
    if not wanted:
        raise ShipmentError(_("Choose at least one item to ship."))
    return wanted


def ship_transition(process: OrderProcess) -> str:
    """The workflow's move that marks the order shipped from its current state ("" if none):
    the transition named "ship", else one leading to a state mirrored as Oscar's "Shipped"."""
    declared = [t for t in process.get_all_state_transitions()
                if t.source in {process.state, "*", "+"}]
    for candidate in declared:
        if candidate.name == "ship":
            return candidate.name
    for candidate in declared:
        if process.workflow.get_state(str(candidate.target)).oscar_status == SHIPPED_EVENT_NAME:
            return candidate.name
    return ""


def shipment_defaults(process: OrderProcess) -> dict[str, bool]:
    """Initial "and mark as shipped" / "notify the customer" choices of a shipment form: ticked
    when the workflow can ship the order from its state (the form ships every item left by
    default), notifying as the shipped state does by default."""
    name = ship_transition(process)
    if not name:
        return {"mark_shipped": False, "notify": False}
    target = next(str(t.target) for t in process.get_all_state_transitions() if t.name == name)
    return {"mark_shipped": True, "notify": notifies_by_default(target)}


def record_shipment(order: OrderLike, *, carrier: Carrier | None = None, carrier_name: str = "",
                    tracking_code: str = "", lines: Mapping[Any, int] | None = None,
                    user: Any = None, note: str = "", expected_version: int | None = None,
                    mark_shipped: bool = False, notify_customer: bool | None = None
                    ) -> Shipment:
    """Record a parcel sent for ``lines`` (line or line id -> quantity; None: all that is left).

    Creates an Oscar ``ShippingEvent`` ("Shipped") with its line quantities and our
    ``Shipment`` (carrier, tracking code); all or nothing. With ``mark_shipped``, once every
    item has left, the order is also moved with the workflow's ship transition (its rules,
    stock effect and ``notify_customer`` choice) in the same transaction; the result is on
    ``shipment.transition_result`` (None when items are left or nothing was asked).
    """
    check_permission(user, SHIP_PERMISSION)  # refuse before saying anything about the input
    carrier_name = (carrier.name if carrier is not None else (carrier_name or "")).strip()
    tracking_code = (tracking_code or "").strip()
    if not carrier_name:
        raise ShipmentError(_("Choose a carrier or type the carrier's name."))
    if len(carrier_name) > 128 or len(tracking_code) > 128:
        raise ShipmentError(_("Carrier names and tracking codes are at most 128 characters."))
    created: dict[str, Shipment] = {}

    def change(process: OrderProcess) -> dict[str, Any]:
        wanted = _quantities(process.order, lines)
        event = ShippingEvent.objects.create(
            order=process.order, event_type=shipped_event_type(),
            notes=" ".join(part for part in (carrier_name, tracking_code) if part))
        try:
            for line, quantity in wanted.items():
                ShippingEventQuantity.objects.create(event=event, line=line, quantity=quantity)
        except InvalidShippingEvent:  # Oscar's own check; the transaction rolls back
            raise ShipmentError(_("These quantities exceed what the order holds.")) from None
        created["shipment"] = Shipment.objects.create(
            shipping_event=event, carrier=carrier, carrier_name=carrier_name,
            tracking_code=tracking_code, created_by=user if user is not None else None)
        remaining = left_to_ship(process.order)
        return {"shipping_event": event.pk, "carrier": carrier_name,
                "tracking_code": tracking_code, "partial": remaining > 0,
                "lines": [{"line": line.pk, "title": line.title, "quantity": quantity}
                          for line, quantity in wanted.items()]}

    with transaction.atomic():
        process = edit_process(order, TimelineKind.SHIPMENT, change, user=user, note=note,
                               expected_version=expected_version, permission=SHIP_PERMISSION)
        shipment = created["shipment"]
        shipment.transition_result = None
        if mark_shipped and not left_to_ship(process.order):
            name = ship_transition(process)
            if not name:
                raise ShipmentError(_("The workflow has no move that marks this order "
                                      "shipped from its current state."))
            shipment.transition_result = transition_order(
                process.order_id, name, user=user, notify_customer=notify_customer)
    return shipment


def left_to_ship(order: Any) -> int:
    """How many items of the order have not been shipped yet."""
    return sum(line.quantity for line in order.lines.all()) - sum(
        shipped_quantities(order).values())


def shipments_of(order: Any) -> list[Shipment]:
    """The order's shipments, oldest first, with carriers and line quantities (three queries)."""
    return list(Shipment.objects.filter(shipping_event__order_id=getattr(order, "pk", order))
                .select_related("carrier", "shipping_event", "created_by")
                .prefetch_related("shipping_event__line_quantities__line")
                .order_by("created_at", "pk"))


def tracking_text(link: TrackingLink) -> str:
    """A parcel as a spreadsheet cell holds it: "Carrier: CODE"."""
    return f"{link.carrier}: {link.code}" if link.carrier else link.code


def tracking_texts(order_id: Any) -> QuerySet[Any]:
    """The ``tracking_text`` of each parcel of an order (``OuterRef`` welcome), oldest first,
    computed by the database: exports read them in the same query as their orders."""
    text = Case(When(carrier_name="", then=F("tracking_code")),
                default=Concat(F("carrier_name"), Value(": "), F("tracking_code")),
                output_field=CharField())
    return (Shipment.objects.filter(shipping_event__order_id=order_id)
            .exclude(tracking_code="").order_by("created_at", "pk")
            .annotate(text=text).values("text"))


def parse_tracking(text: str) -> list[tuple[str, str]]:
    """(carrier, code) pairs from a cell of "Carrier: CODE" entries separated by ";"."""
    parcels = []
    for entry in text.replace("\n", ";").split(";"):
        carrier, colon, code = entry.partition(":")
        carrier, code = (carrier.strip(), code.strip()) if colon else ("", carrier.strip())
        if code:
            parcels.append((carrier, code))
    return parcels


def carrier_named(name: str) -> Carrier | None:
    """The managed carrier called ``name`` (any case), if there is one."""
    return Carrier.objects.filter(name__iexact=name.strip()).first() if name.strip() else None


def save_carrier(carrier: Carrier, *, user: Any = None) -> Carrier:
    """Save a new or changed carrier (validated by its form)."""
    check_permission(user, MANAGE_CARRIERS_PERMISSION)
    carrier.save()
    return carrier


def delete_carrier(carrier: Carrier, *, user: Any = None) -> None:
    """Delete a carrier no shipment uses; a used one must be deactivated instead."""
    check_permission(user, MANAGE_CARRIERS_PERMISSION)
    try:
        carrier.delete()
    except ProtectedError:
        raise OrderWorkflowError(
            _("Carrier “%(carrier)s” is used by recorded shipments: deactivate it instead.")
            % {"carrier": carrier.name}) from None
