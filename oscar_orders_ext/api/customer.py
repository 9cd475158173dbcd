"""The customer side: my orders and one of them (another customer's order is a 404)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Field as NinjaField

from oscar_orders_ext import selectors
from oscar_orders_ext.models import OrderProcess

from .errors import Problem
from .schemas import MyOrderDetailOut, MyOrderOut

router = Router(tags=["customer"])

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 404): Problem}


class MyOrdersQuery(Schema):
    offset: int = NinjaField(0, ge=0)
    limit: int = NinjaField(20, ge=1, le=100)


def _mine(request: HttpRequest) -> Any:
    return OrderProcess.objects.filter(order__user=request.auth)  # type: ignore[attr-defined]


def _out(process: OrderProcess) -> dict[str, Any]:
    return {"number": process.number, "state": process.state,
            "state_label": str(process.state_info.label),
            "payment_status": process.payment_status, "currency": process.currency,
            "total": str(process.total), "placed_at": process.placed_at}


@router.get("/orders", response={200: list[MyOrderOut], **ERRORS}, url_name="my-order-list")
def my_orders(request: HttpRequest, query: Query[MyOrdersQuery]) -> Any:
    """The caller's own orders, newest first."""
    processes = _mine(request).order_by("-placed_at", "-pk")
    return [_out(process) for process in processes[query.offset:query.offset + query.limit]]


@router.get("/orders/{number}", response={200: MyOrderDetailOut, **ERRORS},
            url_name="my-order-detail")
def my_order(request: HttpRequest, number: str) -> Any:
    """One of the caller's orders: lines, parcels and the notes written for them."""
    process = _mine(request).select_related("order").get(number=number)
    order = process.order
    body = _out(process)
    body["lines"] = [{"title": line.title, "quantity": line.quantity,
                      "price_incl_tax": str(line.line_price_incl_tax)}
                     for line in order.lines.order_by("pk")]
    body["tracking"] = [vars(link) for link in selectors.tracking_links(order)]
    body["notes"] = [{"message": note.message, "created_at": note.date_created}
                     for note in selectors.buyer_notes(order)]
    return body
