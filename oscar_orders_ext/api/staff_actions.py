"""The staff side beyond the list and the edits: the order's conversation, price proposals,
payment links, refunds, and bulk actions run by the worker. Each endpoint asks the permission
registry (``api_allows``) and calls the service the order page calls; partner users reach
their partners' orders only (404 for the others) and are refused the staff-only actions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status, UploadedFile

from oscar_orders_ext import selectors
from oscar_orders_ext.documents.quotes import quote_document
from oscar_orders_ext.models import (BulkJob, MessageSide, OrderMessage, OrderProcess, PaymentLink,
                                     Quote, Tag)
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.services import bulk, conversations, quotes
from oscar_orders_ext.views.common import bulk_action_label
from oscar_orders_ext.views.orders import attachment_response

from .auth import require
from .customer import ATTACHMENT
from .errors import BadRequest, Problem
from .schemas import (BulkIn, BulkJobIn, BulkJobOut, MessageIn, PaymentLinkIn, PostedMessageOut,
                      QuoteIn, RefundIn, RefundOut, StaffMessageOut, StaffPaymentLinkOut,
                      StaffQuoteOut, message_out, quote_out)

router = Router(tags=["staff"])

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409): Problem}

def _order(user: Any, number: str) -> Any:
    """The order ``number`` if ``user`` may see it (404 for the others)."""
    return selectors.order_page_process(user, number).order


# --- The conversation ---------------------------------------------------------------------

@router.get("/orders/{number}/messages", response={200: list[StaffMessageOut], **ERRORS},
            url_name="staff-order-messages")
def messages(request: HttpRequest, number: str) -> Any:
    """The order's conversation with its customer, oldest first (the customer's messages are
    then read, as when the order page is opened)."""
    order = _order(require(request, "api-orders-messages"), number)
    listed = [message_out(message) for message in selectors.order_messages(order)]
    conversations.mark_read(order, by=MessageSide.STAFF)
    return listed


def _posted(posted: conversations.PostedMessage, order: Any) -> Any:
    """201 with the message and the order's state afterwards."""
    state = OrderProcess.objects.filter(order_id=order.pk).values_list("state", flat=True)[0]
    return Status(201, {**message_out(posted.message), "order_state": state,
                        "refusal": posted.refusal})


@router.post("/orders/{number}/messages", response={201: PostedMessageOut, **ERRORS},
             url_name="staff-order-message-post")
def message_post(request: HttpRequest, number: str, body: MessageIn) -> Any:
    """Write to the customer (emailed; the shop's first message may move the order, as on the
    page)."""
    user = require(request, "api-orders-message")
    order = _order(user, number)
    return _posted(conversations.post_staff_message(order, body.body, user=user), order)


@router.post("/orders/{number}/messages/with-attachment",
             response={201: PostedMessageOut, **ERRORS},
             url_name="staff-order-message-attachment-post")
def message_file_post(request: HttpRequest, number: str, attachment: File[UploadedFile],
                      body: Form[str] = "") -> Any:
    """Write to the customer with an image or a PDF (``multipart/form-data``)."""
    user = require(request, "api-orders-message")
    order = _order(user, number)
    return _posted(conversations.post_staff_message(order, body, user=user,
                                                    attachment=attachment), order)


@router.get("/orders/{number}/messages/{message_id}/attachment", response=ERRORS,
            openapi_extra=ATTACHMENT, url_name="staff-order-message-attachment")
def message_attachment(request: HttpRequest, number: str, message_id: int) -> Any:
    """The file attached to a message of the order, either side's."""
    order = _order(require(request, "api-orders-messages"), number)
    message = OrderMessage.objects.exclude(attachment="").get(pk=message_id, order_id=order.pk)
    return attachment_response(message)


# --- Price proposals ----------------------------------------------------------------------

@router.get("/orders/{number}/quotes", response={200: list[StaffQuoteOut], **ERRORS},
            url_name="staff-order-quotes")
def quote_list(request: HttpRequest, number: str) -> Any:
    """Every version of the order's price proposals, newest first."""
    order = _order(require(request, "api-orders-detail"), number)
    found = list(Quote.objects.filter(order_id=order.pk).order_by("-version"))
    latest = found[0].version if found else 0
    return [quote_out(quote, latest) for quote in found]


@router.post("/orders/{number}/quotes", response={201: StaffQuoteOut, **ERRORS},
             url_name="staff-order-quote-send")
def quote_send(request: HttpRequest, number: str, body: QuoteIn) -> Any:
    """Send a price proposal (it supersedes the open one; the customer gets a message and an
    email with its PDF, as from the order page)."""
    user = require(request, "api-orders-quote")
    order = _order(user, number)
    quote = quotes.send_quote(order, unit_prices=dict(body.unit_prices), shipping=body.shipping,
                              message=body.message, valid_until=body.valid_until, user=user,
                              document=quote_document, total=body.total)
    return Status(201, quote_out(quote, quote.version))


@router.post("/orders/{number}/quotes/{version}/withdraw",
             response={200: StaffQuoteOut, **ERRORS}, url_name="staff-order-quote-withdraw")
def quote_withdraw(request: HttpRequest, number: str, version: int) -> Any:
    """Take back the open proposal (any other version is a 400 ``refused``)."""
    user = require(request, "api-orders-quote")
    order = _order(user, number)
    quote = quotes.withdraw_quote(Quote.objects.get(order_id=order.pk, version=version),
                                  user=user)
    return quote_out(quote, quote.version)


# --- Payment links and refunds ------------------------------------------------------------

def _link(link: PaymentLink) -> dict[str, Any]:
    return {"id": link.pk, "url": payments.link_url(link), "amount": str(link.amount),
            "currency": link.currency, "status": link.status, "sent_to": link.sent_to,
            "created_at": link.created_at, "expires_at": link.expires_at}


@router.get("/orders/{number}/payment-links", response={200: list[StaffPaymentLinkOut],
                                                         **ERRORS},
            url_name="staff-order-payment-links")
def payment_links(request: HttpRequest, number: str) -> Any:
    """The order's payment links, newest first."""
    order = _order(require(request, "api-orders-payment-link"), number)
    return [_link(link) for link in PaymentLink.objects.filter(order_id=order.pk)]


@router.post("/orders/{number}/payment-links", response={201: StaffPaymentLinkOut, **ERRORS},
             url_name="staff-order-payment-link-create")
def payment_link_create(request: HttpRequest, number: str, body: PaymentLinkIn) -> Any:
    """A link for what is due (or a part of it), replacing the open one; emailed with
    ``notify``."""
    user = require(request, "api-orders-payment-link")
    order = _order(user, number)
    link = payments.send_payment_link(order, amount=body.amount, user=user,
                                      notify=body.notify)
    return Status(201, _link(link))


@router.post("/orders/{number}/payment-links/resend", response={200: StaffPaymentLinkOut,
                                                                 **ERRORS},
             url_name="staff-order-payment-link-resend")
def payment_link_resend(request: HttpRequest, number: str) -> Any:
    """Email the open link to the customer again (same URL, same amount)."""
    user = require(request, "api-orders-payment-link")
    return _link(payments.resend_payment_link(_order(user, number), user=user))


@router.post("/orders/{number}/payment-links/cancel", response={200: StaffPaymentLinkOut,
                                                                 **ERRORS},
             url_name="staff-order-payment-link-cancel")
def payment_link_cancel(request: HttpRequest, number: str) -> Any:
    """Stop the open link working (its page then says the shop cancelled it)."""
    user = require(request, "api-orders-payment-link")
    return _link(payments.cancel_payment_link(_order(user, number), user=user))


@router.post("/orders/{number}/refunds", response={200: RefundOut, **ERRORS},
             url_name="staff-order-refund")
def refund(request: HttpRequest, number: str, body: RefundIn) -> Any:
    """Refund everything paid, an amount, or line quantities (through the gateway for what
    was paid online), as the order page's refund form."""
    user = require(request, "api-orders-refund")
    order = _order(user, number)
    try:
        lines = {int(pk): quantity for pk, quantity in body.lines.items()}
    except ValueError:
        raise BadRequest(_("Lines are given by their id.")) from None
    result = payments.refund(order, amount=body.amount, lines=lines,
                             include_shipping=body.include_shipping, restock=body.restock,
                             reason=body.reason, user=user, notify=body.notify)
    return {"amount": str(result.amount), "online": str(result.online),
            "payment_status": result.status,
            "credit_note": result.credit_note.number if result.credit_note else None}


# --- Bulk actions on the worker -----------------------------------------------------------

def _job(job: BulkJob) -> dict[str, Any]:
    return {"id": job.pk, "status": job.status, "label": job.label,
            "created_at": job.created_at, "finished_at": job.finished_at, "total": job.total,
            "done": job.done, "changed": job.changed, "emailed": job.emailed,
            "refused": job.refused, "refusals": job.refusals, "error": job.error,
            "percent_done": job.progress}


@router.post("/bulk", response={202: BulkJobOut, **ERRORS}, url_name="staff-order-bulk")
def bulk_action(request: HttpRequest, body: BulkIn) -> Any:
    """Apply one action to the orders listed: queued for the worker as the workspace's bulk
    jobs are (202 at once, whatever the count); follow it at ``/staff/bulk-jobs/{id}`` for
    the progress and the refusals, order by order."""
    return _queue(require(request, "api-orders-bulk"), BulkJobIn(**body.model_dump()))


@router.post("/bulk-jobs", response={202: BulkJobOut, **ERRORS}, url_name="staff-bulk-job-create")
def bulk_job_create(request: HttpRequest, body: BulkJobIn) -> Any:
    """Queue a bulk action for the worker, on the orders listed (``numbers``) or on every
    order the table's ``filter`` matches when it runs; follow it at ``/staff/bulk-jobs/{id}``."""
    return _queue(require(request, "api-orders-bulk"), body)


def _queue(user: Any, body: BulkJobIn) -> Any:
    """Check a bulk action and its orders now (a 400 names what is wrong), then record the
    job for the worker: 202 with the job."""
    if (body.filter is None) == (not body.numbers):
        raise BadRequest(_("Give either the orders' numbers or a filter."))
    tag = None
    if body.tag:
        tag = Tag.objects.filter(name=body.tag).first()
        if tag is None:
            raise BadRequest(_("Unknown tags: %(tags)s.") % {"tags": body.tag})
    operator = None
    if body.operator_id is not None:
        operator = get_user_model().objects.filter(pk=body.operator_id).first()
        if operator is None:
            raise BadRequest(_("There is no such user."))
    # Refused now rather than on the worker.
    bulk.resolve_action(body.action, transition=body.transition, tag=tag, operator=operator,
                        notify=body.notify_customer)
    selected: list[int] = []
    if body.filter is not None:
        order_filter = selectors.OrderFilter(QueryDict(body.filter),
                                             queryset=selectors.visible_processes(user))
        if not order_filter.is_valid():
            raise BadRequest(_("Some filters are not valid."), [
                {"loc": ["body", "filter", field], "msg": " ".join(str(m) for m in errors)}
                for field, errors in order_filter.errors.items()])
    else:
        wanted = list(dict.fromkeys(body.numbers))
        found = dict(selectors.visible_processes(user).filter(number__in=wanted)
                     .values_list("number", "pk"))
        unknown = [number for number in wanted if number not in found]
        if unknown:
            raise BadRequest(_("Unknown orders: %(numbers)s.")
                             % {"numbers": ", ".join(unknown[:20])})
        selected = [found[number] for number in wanted]
    label = bulk_action_label({"action": body.action, "transition": body.transition,
                               "tag": tag, "operator": operator})
    job = bulk.start_bulk_job(user, action=body.action, label=label,
                              transition=body.transition, tag=tag, operator=operator,
                              notify=body.notify_customer, query=body.filter or "",
                              select_all=body.filter is not None, selected=selected)
    return Status(202, _job(job))


@router.get("/bulk-jobs/{job_id}", response={200: BulkJobOut, **ERRORS},
            url_name="staff-bulk-job")
def bulk_job(request: HttpRequest, job_id: int) -> Any:
    """A bulk action's progress and report (the caller's own jobs only: 404 for others)."""
    user = require(request, "api-orders-bulk")
    return _job(BulkJob.objects.get(pk=job_id, user=user))
