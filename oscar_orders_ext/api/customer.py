"""The customer side: my orders and one of them (another customer's order is a 404), its
conversation, its price proposals and what is left to pay; and the same for a guest, through
the signed link of the conversation emails (``/guest/{token}/…``)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja import Field as NinjaField
from oscar.core.loading import get_model

from oscar_orders_ext import selectors
from oscar_orders_ext.models import IssuedDocument, MessageSide, OrderMessage, OrderProcess, Quote
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.services import conversations, quotes
from oscar_orders_ext.views.orders import attachment_response

from .errors import Problem
from .schemas import (MessageIn, MessageOut, MyOrderDetailOut, MyOrderOut, MyPaymentOut,
                      MyQuoteOut, message_out, quote_out)

router = Router(tags=["customer"])
#: The guest's side: no login, the signed link's token is the key (as the storefront's page).
guest_router = Router(tags=["guest"], auth=None)

Order = get_model("order", "Order")

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 404): Problem}
GUEST_ERRORS: dict[int | tuple[int, ...], Any] = {(400, 404, 410): Problem}


class MyOrdersQuery(Schema):
    offset: int = NinjaField(0, ge=0)
    limit: int = NinjaField(20, ge=1, le=100)


def _mine(request: HttpRequest) -> Any:
    return OrderProcess.objects.filter(order__user=request.auth)  # type: ignore[attr-defined]


def _my_order(request: HttpRequest, number: str) -> Any:
    """The caller's own order ``number`` (404 for any other, whether it exists or not)."""
    try:
        return Order.objects.get(number=number, user=request.auth)  # type: ignore[attr-defined]
    except Order.DoesNotExist:
        raise Http404(_("No order with this number is yours.")) from None


def _guest_order(token: str) -> Any:
    """The order a conversation link names (404 when forged, 410 when expired)."""
    return conversations.order_for_token(token)


def _customer(request: HttpRequest) -> Any:
    """The logged-in customer, or None for a guest."""
    user = getattr(request, "auth", None)
    return user if getattr(user, "is_authenticated", False) else None


def _out(process: OrderProcess) -> dict[str, Any]:
    return {"number": process.number, "state": process.state,
            "state_label": str(process.state_info.label),
            "payment_status": process.payment_status, "currency": process.currency,
            "total": str(process.total), "placed_at": process.placed_at}


def _detail(process: OrderProcess) -> dict[str, Any]:
    order = process.order
    body = _out(process)
    body["lines"] = [{"title": line.title, "quantity": line.quantity,
                      "price_incl_tax": str(line.line_price_incl_tax)}
                     for line in order.lines.order_by("pk")]
    body["tracking"] = [vars(link) for link in selectors.tracking_links(order)]
    body["notes"] = [{"message": note.message, "created_at": note.date_created}
                     for note in selectors.buyer_notes(order)]
    body["timeline"] = [vars(event) for event in selectors.public_timeline(order)]
    body["documents"] = [{"id": doc.pk, "kind": doc.kind, "kind_label": doc.get_kind_display(),
                          "number": doc.number, "issued_at": doc.issued_at,
                          "total": str(doc.total), "currency": doc.currency}
                         for doc in IssuedDocument.objects.filter(order_id=order.pk)]
    return body


def _pdf(order: Any, document_id: int) -> FileResponse:
    """The PDF of one of the order's issued documents (404 for any other)."""
    document = IssuedDocument.objects.get(pk=document_id, order_id=order.pk)
    response = FileResponse(document.file.open("rb"), as_attachment=True,
                            filename=f"{document.number.replace('/', '-')}.pdf",
                            content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


#: The schema of a PDF answer.
PDF = {"responses": {200: {"description": "The PDF", "content": {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


def _messages(order: Any) -> list[dict[str, Any]]:
    """The conversation, oldest first; reading it marks the shop's messages read, as opening
    the storefront's page does."""
    listed = [message_out(message) for message in selectors.order_messages(order)]
    conversations.mark_read(order, by=MessageSide.CUSTOMER)
    return listed


def _post(order: Any, body: MessageIn, user: Any) -> Any:
    message = conversations.post_customer_message(order, body.body, user=user)
    return Status(201, message_out(message))


def _post_file(order: Any, body: str, upload: UploadedFile, user: Any) -> Any:
    """A message with an image or PDF (checked by its content, as on the page)."""
    message = conversations.post_customer_message(order, body, user=user, attachment=upload)
    return Status(201, message_out(message))


def _attachment(order: Any, message_id: int) -> Any:
    """The attachment of one of the order's messages (404 for any other)."""
    message = OrderMessage.objects.exclude(attachment="").get(pk=message_id, order_id=order.pk)
    return attachment_response(message)


#: The schema of an attachment answer.
ATTACHMENT = {"responses": {200: {"description": "The file, as its content was checked to be",
                                  "content": {"application/octet-stream": {
                                      "schema": {"type": "string", "format": "binary"}}}}}}


def _quotes(order: Any) -> list[dict[str, Any]]:
    """Every version of the order's price proposals, newest first."""
    found = list(Quote.objects.filter(order_id=order.pk).order_by("-version"))
    latest = found[0].version if found else 0
    return [quote_out(quote, latest) for quote in found]


def _decide(order: Any, version: int, *, accept: bool, user: Any) -> dict[str, Any]:
    """Accept or reject version ``version`` of the order's proposals (404 for no such one;
    400 with the reason when it is no longer open)."""
    quote = Quote.objects.get(order_id=order.pk, version=version)
    decided = quotes.decide_quote(quote.pk, accept=accept, user=user)
    return quote_out(decided, decided.version)


def _payment(order: Any) -> dict[str, Any]:
    """What the order costs, what was paid, what is due, and the payment link to pay it."""
    bal = payments.balance(order)
    link = payments.active_link(order)
    process = OrderProcess.objects.get(order_id=order.pk)
    return {"payment_status": process.payment_status, "currency": order.currency,
            "total": str(bal.total), "paid": str(bal.paid), "due": str(bal.due),
            "link": ({"url": payments.link_url(link), "amount": str(link.amount),
                      "currency": link.currency, "expires_at": link.expires_at}
                     if link is not None else None)}


# --- A logged-in customer (session or token) --------------------------------------------------

@router.get("/orders", response={200: list[MyOrderOut], **ERRORS}, url_name="my-order-list")
def my_orders(request: HttpRequest, query: Query[MyOrdersQuery]) -> Any:
    """The caller's own orders, newest first."""
    processes = _mine(request).order_by("-placed_at", "-pk")
    return [_out(process) for process in processes[query.offset:query.offset + query.limit]]


@router.get("/orders/{number}", response={200: MyOrderDetailOut, **ERRORS},
            url_name="my-order-detail")
def my_order(request: HttpRequest, number: str) -> Any:
    """One of the caller's orders: lines, parcels and the notes written for them."""
    return _detail(_mine(request).select_related("order").get(number=number))


@router.get("/orders/{number}/documents/{document_id}", response=ERRORS, openapi_extra=PDF,
            url_name="my-order-document")
def my_document(request: HttpRequest, number: str, document_id: int) -> Any:
    """The PDF of an invoice or credit note of the order."""
    return _pdf(_my_order(request, number), document_id)


@router.get("/orders/{number}/messages", response={200: list[MessageOut], **ERRORS},
            url_name="my-order-messages")
def my_messages(request: HttpRequest, number: str) -> Any:
    """The order's conversation with the shop (the shop's messages are then read)."""
    return _messages(_my_order(request, number))


@router.post("/orders/{number}/messages", response={201: MessageOut, **ERRORS},
             url_name="my-order-message-post")
def my_message_post(request: HttpRequest, number: str, body: MessageIn) -> Any:
    """Write to the shop about the order (it gets an email, the order comes to its inbox)."""
    return _post(_my_order(request, number), body, _customer(request))


@router.post("/orders/{number}/messages/with-attachment", response={201: MessageOut, **ERRORS},
             url_name="my-order-message-attachment-post")
def my_message_file_post(request: HttpRequest, number: str, attachment: File[UploadedFile],
                         body: Form[str] = "") -> Any:
    """Write to the shop with an image (JPEG, PNG, GIF) or a PDF (``multipart/form-data``)."""
    return _post_file(_my_order(request, number), body, attachment, _customer(request))


@router.get("/orders/{number}/messages/{message_id}/attachment", response=ERRORS,
            openapi_extra=ATTACHMENT, url_name="my-order-message-attachment")
def my_message_attachment(request: HttpRequest, number: str, message_id: int) -> Any:
    """The file attached to a message of the order."""
    return _attachment(_my_order(request, number), message_id)


@router.get("/orders/{number}/quotes", response={200: list[MyQuoteOut], **ERRORS},
            url_name="my-order-quotes")
def my_quotes(request: HttpRequest, number: str) -> Any:
    """The shop's price proposals for the order, newest first (``can_decide``: the open one)."""
    return _quotes(_my_order(request, number))


@router.post("/orders/{number}/quotes/{version}/accept", response={200: MyQuoteOut, **ERRORS},
             url_name="my-order-quote-accept")
def my_quote_accept(request: HttpRequest, number: str, version: int) -> Any:
    """Accept the open price proposal: the order is re-priced."""
    return _decide(_my_order(request, number), version, accept=True, user=_customer(request))


@router.post("/orders/{number}/quotes/{version}/reject", response={200: MyQuoteOut, **ERRORS},
             url_name="my-order-quote-reject")
def my_quote_reject(request: HttpRequest, number: str, version: int) -> Any:
    """Reject the open price proposal."""
    return _decide(_my_order(request, number), version, accept=False, user=_customer(request))


@router.get("/orders/{number}/payment", response={200: MyPaymentOut, **ERRORS},
            url_name="my-order-payment")
def my_payment(request: HttpRequest, number: str) -> Any:
    """What is left to pay and the link to pay it (null until the shop sends one)."""
    return _payment(_my_order(request, number))


# --- A guest, through the signed link of the conversation emails ------------------------------

@guest_router.get("/{token}", response={200: MyOrderDetailOut, **GUEST_ERRORS},
                  url_name="guest-order-detail")
def guest_order(request: HttpRequest, token: str) -> Any:
    """The order the link names, as its customer sees it."""
    order = _guest_order(token)
    return _detail(OrderProcess.objects.select_related("order").get(order_id=order.pk))


@guest_router.get("/{token}/documents/{document_id}", response=GUEST_ERRORS,
                  openapi_extra=PDF, url_name="guest-order-document")
def guest_document(request: HttpRequest, token: str, document_id: int) -> Any:
    """The PDF of an invoice or credit note of the order."""
    return _pdf(_guest_order(token), document_id)


@guest_router.get("/{token}/messages", response={200: list[MessageOut], **GUEST_ERRORS},
                  url_name="guest-order-messages")
def guest_messages(request: HttpRequest, token: str) -> Any:
    """The order's conversation with the shop."""
    return _messages(_guest_order(token))


@guest_router.post("/{token}/messages", response={201: MessageOut, **GUEST_ERRORS},
                   url_name="guest-order-message-post")
def guest_message_post(request: HttpRequest, token: str, body: MessageIn) -> Any:
    """Write to the shop about the order."""
    return _post(_guest_order(token), body, None)


@guest_router.post("/{token}/messages/with-attachment",
                   response={201: MessageOut, **GUEST_ERRORS},
                   url_name="guest-order-message-attachment-post")
def guest_message_file_post(request: HttpRequest, token: str, attachment: File[UploadedFile],
                            body: Form[str] = "") -> Any:
    """Write to the shop with an image or a PDF (``multipart/form-data``)."""
    return _post_file(_guest_order(token), body, attachment, None)


@guest_router.get("/{token}/messages/{message_id}/attachment", response=GUEST_ERRORS,
                  openapi_extra=ATTACHMENT, url_name="guest-order-message-attachment")
def guest_message_attachment(request: HttpRequest, token: str, message_id: int) -> Any:
    """The file attached to a message of the order."""
    return _attachment(_guest_order(token), message_id)


@guest_router.get("/{token}/quotes", response={200: list[MyQuoteOut], **GUEST_ERRORS},
                  url_name="guest-order-quotes")
def guest_quotes(request: HttpRequest, token: str) -> Any:
    """The shop's price proposals for the order, newest first."""
    return _quotes(_guest_order(token))


@guest_router.post("/{token}/quotes/{version}/accept", response={200: MyQuoteOut,
                                                                 **GUEST_ERRORS},
                   url_name="guest-order-quote-accept")
def guest_quote_accept(request: HttpRequest, token: str, version: int) -> Any:
    """Accept the open price proposal."""
    return _decide(_guest_order(token), version, accept=True, user=None)


@guest_router.post("/{token}/quotes/{version}/reject", response={200: MyQuoteOut,
                                                                 **GUEST_ERRORS},
                   url_name="guest-order-quote-reject")
def guest_quote_reject(request: HttpRequest, token: str, version: int) -> Any:
    """Reject the open price proposal."""
    return _decide(_guest_order(token), version, accept=False, user=None)


@guest_router.get("/{token}/payment", response={200: MyPaymentOut, **GUEST_ERRORS},
                  url_name="guest-order-payment")
def guest_payment(request: HttpRequest, token: str) -> Any:
    """What is left to pay and the link to pay it."""
    return _payment(_guest_order(token))

