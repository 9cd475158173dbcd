"""The staff side: the workspace list (the one ``OrderFilter``), one order in full, and every
change through the services. Each endpoint asks the permission registry (``api_allows``);
partner users see and change their partners' orders only (404 for the others)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja import Field as NinjaField

from oscar_orders_ext import selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import CUSTOMER_NOTE_TYPE
from oscar_orders_ext.display import person_name
from oscar_orders_ext.models import OrderProcess, Tag
from oscar_orders_ext.selectors import OrderFilter
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import transition_choices, transition_order

from .auth import require
from .errors import BadRequest, Problem
from .schemas import (NoteIn, NoteOut, OperatorIn, OrderDetailOut, OrderPageOut,
                      PaymentStatusIn, TagsIn, TransitionIn, order_out)

router = Router(tags=["staff"])

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409): Problem}


class ListQuery(Schema):
    """The table's filters (the same names as its query string) and the page."""

    q: str = NinjaField("", description="Search: number, customer, email, phone")
    state: list[str] = NinjaField(default_factory=list)
    payment_status: list[str] = NinjaField(default_factory=list)
    order_type: list[str] = NinjaField(default_factory=list)
    funnel: int | None = None
    stage: list[int] = NinjaField(default_factory=list)
    tags: list[int] = NinjaField(default_factory=list)
    operator: str = NinjaField("", description="A user id, or “none” for unassigned")
    currency: list[str] = NinjaField(default_factory=list)
    payment_method: list[str] = NinjaField(default_factory=list)
    shipping_method: list[str] = NinjaField(default_factory=list)
    source: list[str] = NinjaField(default_factory=list)
    amount_due: str = NinjaField("", description="due, partly, paid or owed")
    payment_link: str = NinjaField("", description="sent (payable) or expired")
    total_min: str = NinjaField("", description="Decimal")
    total_max: str = NinjaField("", description="Decimal")
    placed_after: str = NinjaField("", description="YYYY-MM-DD")
    placed_before: str = NinjaField("", description="YYYY-MM-DD")
    cursor: str = ""
    limit: int = NinjaField(0, ge=0, le=500, description="0: the configured page size")
    summary: bool = NinjaField(False, description="Add counts per state and totals")


def _encode_cursor(process: OrderProcess) -> str:
    raw = json.dumps([process.placed_at.isoformat(), process.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after_cursor(processes: QuerySet[OrderProcess], cursor: str) -> QuerySet[OrderProcess]:
    """The rows after ``cursor`` in the table's order (newest first, then id)."""
    try:
        placed, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        placed_at = datetime.fromisoformat(placed)
        pk = int(pk)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as error:
        raise BadRequest(_("This cursor is not valid: start again from the first page.")
                         ) from error
    return processes.filter(Q(placed_at__lt=placed_at) | Q(placed_at=placed_at, pk__lt=pk))


def _filter(request: HttpRequest, user: Any) -> OrderFilter:
    """The workspace's filter on the query string, over what ``user`` may see; 400 on
    values it refuses."""
    # The query string itself, not the parsed schema: the table's own parameter names, read by
    # the table's own filter (the schema above only documents them).
    order_filter = OrderFilter(request.GET, queryset=selectors.visible_processes(user))
    if not order_filter.is_valid():
        errors = [{"loc": ["query", field], "msg": " ".join(str(m) for m in messages)}
                  for field, messages in order_filter.errors.items()]
        raise BadRequest(_("Some filters are not valid."), errors)
    return order_filter


@router.get("/orders", response={200: OrderPageOut, **ERRORS}, url_name="staff-order-list")
def list_orders(request: HttpRequest, query: Query[ListQuery]) -> Any:
    """The workspace's orders, newest first, filtered as the table filters; by cursor."""
    user = require(request, "api-orders-list")
    order_filter = _filter(request, user)
    limit = min(query.limit or app_settings.API_PAGE_SIZE, 500)
    processes = order_filter.qs.order_by("-placed_at", "-pk")
    if query.cursor:
        processes = _after_cursor(processes, query.cursor)
    rows = list(selectors.with_related(processes)[:limit + 1])
    page, more = rows[:limit], len(rows) > limit
    body: dict[str, Any] = {"items": [order_out(process) for process in page],
                            "next_cursor": _encode_cursor(page[-1]) if more else None}
    if query.summary:
        summary = selectors.summarize(order_filter)
        body["summary"] = {
            "count": summary.count,
            "totals": [{"currency": t.currency, "total": str(t.total), "count": t.count}
                       for t in summary.totals],
            "states": [{"state": s.state.code, "label": str(s.state.label), "count": s.count}
                       for s in summary.states]}
    return body


def _process(user: Any, number: str) -> OrderProcess:
    """The order ``number`` if ``user`` may see it (404 for others, without telling which)."""
    return selectors.order_page_process(user, number)


def _detail(user: Any, number: str) -> dict[str, Any]:
    process = _process(user, number)
    order = process.order
    body = order_out(process)
    body["lines"] = [{"id": line.pk, "title": line.title, "sku": line.partner_sku or "",
                      "quantity": line.quantity, "shipped": line.shipped,
                      "price_incl_tax": str(line.line_price_incl_tax)}
                     for line in selectors.order_lines(order)]
    body["notes"] = [_note(note) for note in selectors.order_notes(order)]
    body["timeline"] = [{"at": item.at, "kind": item.kind, "text": str(item.text),
                         "actor": person_name(item.actor) or None, "note": item.note}
                        for item in selectors.order_timeline(order)]
    body["tracking"] = [vars(link) for link in selectors.tracking_links(order)]
    body["transitions"] = [{"name": choice.option.name, "label": choice.option.label,
                            "target": choice.option.target, "allowed": choice.allowed,
                            "refusal": choice.refusal}
                           for choice in transition_choices(process, user)]
    return body


def _note(note: Any) -> dict[str, Any]:
    return {"id": note.pk, "message": note.message,
            "for_customer": note.note_type == CUSTOMER_NOTE_TYPE,
            "author": person_name(note.user) or None, "created_at": note.date_created}


@router.get("/orders/{number}", response={200: OrderDetailOut, **ERRORS},
            url_name="staff-order-detail")
def order_detail(request: HttpRequest, number: str) -> Any:
    """One order in full: lines, notes, timeline, tracking and the moves it allows."""
    return _detail(require(request, "api-orders-detail"), number)


@router.post("/orders/{number}/transitions", response={200: OrderDetailOut, **ERRORS},
             url_name="staff-order-transition")
def transition(request: HttpRequest, number: str, body: TransitionIn) -> Any:
    """Move the order (409 if it changed since ``version``; 400 with the workflow's reason if
    it refuses the move)."""
    user = require(request, "api-orders-transition")
    process = _process(user, number)
    transition_order(process.order, body.transition, user=user, note=body.note,
                     notify_customer=body.notify_customer, expected_version=body.version)
    return _detail(user, number)


@router.put("/orders/{number}/tags", response={200: OrderDetailOut, **ERRORS},
            url_name="staff-order-tags")
def set_tags(request: HttpRequest, number: str, body: TagsIn) -> Any:
    """Replace the order's tags (existing tags, by name)."""
    user = require(request, "api-orders-edit")
    process = _process(user, number)
    tags = list(Tag.objects.filter(name__in=body.tags))
    unknown = sorted(set(body.tags) - {tag.name for tag in tags})
    if unknown:
        raise BadRequest(_("Unknown tags: %(tags)s.") % {"tags": ", ".join(unknown)})
    edits.set_tags(process.order, tags, user=user, expected_version=body.version)
    return _detail(user, number)


@router.post("/orders/{number}/notes", response={201: NoteOut, **ERRORS},
             url_name="staff-order-notes")
def add_note(request: HttpRequest, number: str, body: NoteIn) -> Any:
    """Add an internal note, or one for the customer."""
    user = require(request, "api-orders-edit")
    process = _process(user, number)
    note = edits.add_note(process.order, body.message, user=user,
                          for_customer=body.for_customer)
    return Status(201, _note(note))


@router.put("/orders/{number}/operator", response={200: OrderDetailOut, **ERRORS},
            url_name="staff-order-operator")
def set_operator(request: HttpRequest, number: str, body: OperatorIn) -> Any:
    """Make a staff user responsible for the order (null: nobody)."""
    user = require(request, "api-orders-edit")
    process = _process(user, number)
    operator = None
    if body.operator_id is not None:
        operator = get_user_model().objects.filter(pk=body.operator_id).first()
        if operator is None:
            raise BadRequest(_("There is no such user."))
    edits.assign_operator(process.order, operator, user=user, expected_version=body.version)
    return _detail(user, number)


@router.put("/orders/{number}/payment-status", response={200: OrderDetailOut, **ERRORS},
            url_name="staff-order-payment-status")
def set_payment_status(request: HttpRequest, number: str, body: PaymentStatusIn) -> Any:
    """Mark the order paid, unpaid, partially refunded or refunded."""
    user = require(request, "api-orders-edit")
    process = _process(user, number)
    edits.set_payment_status(process.order, body.status, user=user,
                             expected_version=body.version)
    return _detail(user, number)
