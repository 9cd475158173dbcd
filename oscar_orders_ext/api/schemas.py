"""What the API reads and writes: its schemas, and how a process becomes one."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema

from oscar_orders_ext.display import person_name
from oscar_orders_ext.models import OrderMessage, OrderProcess, Quote


class TagOut(Schema):
    name: str
    colour: str


class OrderOut(Schema):
    """An order as the staff list shows it."""

    number: str
    state: str
    state_label: str
    stage: str | None
    payment_status: str
    order_type: str
    currency: str
    total: str = Field(description="Decimal as a string")
    customer_name: str
    customer_email: str
    placed_at: datetime
    operator: str | None
    tags: list[TagOut]
    version: int = Field(description="Send it back with changes: 409 if the order changed")


class StateCountOut(Schema):
    state: str
    label: str
    count: int


class CurrencyTotalOut(Schema):
    currency: str
    total: str
    count: int


class SummaryOut(Schema):
    count: int
    totals: list[CurrencyTotalOut]
    states: list[StateCountOut]


class OrderPageOut(Schema):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")
    summary: SummaryOut | None = None


class LineOut(Schema):
    id: int
    title: str
    sku: str
    quantity: int
    shipped: int
    price_incl_tax: str


class TimelineOut(Schema):
    at: datetime
    kind: str
    text: str
    actor: str | None
    note: str


class NoteOut(Schema):
    id: int
    message: str
    for_customer: bool
    author: str | None
    created_at: datetime


class TrackingOut(Schema):
    carrier: str
    code: str
    url: str


class TransitionOut(Schema):
    name: str
    label: str
    target: str
    allowed: bool
    refusal: str


class OrderDetailOut(OrderOut):
    """One order in full, as its page shows it."""

    lines: list[LineOut]
    notes: list[NoteOut]
    timeline: list[TimelineOut]
    tracking: list[TrackingOut]
    transitions: list[TransitionOut]


class TransitionIn(Schema):
    transition: str = Field(min_length=1, max_length=100)
    version: int | None = Field(None, description="The version read; 409 if it changed")
    note: str = Field("", max_length=2000)
    notify_customer: bool | None = Field(None, description="None: the state's default")


class TagsIn(Schema):
    tags: list[str] = Field(description="Names of existing tags; replaces the order's tags")
    version: int | None = None


class NoteIn(Schema):
    message: str = Field(min_length=1, max_length=5000)
    for_customer: bool = False


class OperatorIn(Schema):
    operator_id: int | None = Field(description="A staff user's id, or null for nobody")
    version: int | None = None


class PaymentStatusIn(Schema):
    status: str
    version: int | None = None


class BulkIn(Schema):
    """A bulk action on the orders listed (run by the worker: ``POST /staff/bulk-jobs``)."""

    numbers: list[str] = Field(min_length=1, max_length=100_000)
    action: str = Field(min_length=1, max_length=50,
                        description="transition, cancel, mark_paid, mark_unpaid, add_tag, "
                                    "remove_tag, assign_operator, resend_confirmation")
    transition: str = ""
    tag: str = ""
    operator_id: int | None = None
    notify_customer: bool | None = None


class RefusalOut(Schema):
    number: str
    message: str


def order_out(process: OrderProcess) -> dict[str, Any]:
    """A process as ``OrderOut`` (tags from ``tag_list`` when prefetched)."""
    tags = getattr(process, "tag_list", None)
    if tags is None:
        tags = list(process.tags.all())
    return {
        "number": process.number, "state": process.state,
        "state_label": str(process.state_info.label),
        "stage": process.stage.name if process.stage_id and process.stage else None,
        "payment_status": process.payment_status, "order_type": process.order_type,
        "currency": process.currency, "total": str(process.total),
        "customer_name": process.customer_name, "customer_email": process.customer_email,
        "placed_at": process.placed_at,
        "operator": person_name(process.operator) if process.operator_id else None,
        "tags": [{"name": tag.name, "colour": tag.colour} for tag in tags],
        "version": process.version,
    }


# --- The customer side ----------------------------------------------------------------------

class MyOrderOut(Schema):
    """An order as its customer sees it."""

    number: str
    state: str
    state_label: str
    payment_status: str
    currency: str
    total: str
    placed_at: datetime


class MyLineOut(Schema):
    title: str
    quantity: int
    price_incl_tax: str


class BuyerNoteOut(Schema):
    message: str
    created_at: datetime


class MyDocumentOut(Schema):
    """An issued invoice or credit note (its PDF: ``…/documents/{id}``)."""

    id: int
    kind: str = Field(description="invoice or credit_note")
    kind_label: str
    number: str
    issued_at: datetime
    total: str = Field(description="Negative for a credit note")
    currency: str


class PublicEventOut(Schema):
    """A step of the order's public timeline (no actor, no internal note)."""

    at: datetime
    kind: str = Field(description="created, state, payment or shipment")
    label: str = Field(description="What happened, translated: the state or payment status "
                                   "reached, or the kind of step")
    state: str | None = Field(None, description="The state entered (created, state)")
    payment_status: str | None = Field(None, description="The payment status reached")


class MyOrderDetailOut(MyOrderOut):
    lines: list[MyLineOut]
    tracking: list[TrackingOut]
    notes: list[BuyerNoteOut]
    documents: list[MyDocumentOut]
    timeline: list[PublicEventOut] = Field(description="What happened to the order, oldest "
                                                       "first: placed, states, payments, parcels")


class AttachmentOut(Schema):
    name: str
    content_type: str


class MessageOut(Schema):
    """A message of the order's conversation."""

    id: int
    side: str = Field(description="customer or staff")
    body: str
    created_at: datetime
    read_at: datetime | None = Field(description="When the other side read it")
    attachment: AttachmentOut | None


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=20000)


class QuoteLineOut(Schema):
    title: str
    quantity: int
    old_unit_price: str = Field(description="Incl. tax, before the proposal")
    new_unit_price: str = Field(description="Incl. tax, as proposed")


class MyQuoteOut(Schema):
    """A price proposal: new unit prices and shipping for the order."""

    version: int
    status: str = Field(description="What came of it: sent (awaiting the answer), accepted, "
                        "rejected, withdrawn, superseded, expired (also from the day after "
                        "valid_until, before the hourly tick records it)")
    status_label: str
    currency: str
    total: str
    old_total: str
    shipping: str
    old_shipping: str
    valid_until: date
    message: str
    created_at: datetime
    decided_at: datetime | None
    can_decide: bool = Field(description="The open proposal: accept or reject it")
    lines: list[QuoteLineOut]


class PaymentLinkOut(Schema):
    url: str
    amount: str
    currency: str
    expires_at: datetime


class MyPaymentOut(Schema):
    """What the order costs, what was paid and what is left to pay."""

    payment_status: str
    currency: str
    total: str
    paid: str
    due: str = Field(description="Negative: what the shop owes back")
    link: PaymentLinkOut | None = Field(description="The pay page of the shop's link, if any")


# --- Tokens and webhooks --------------------------------------------------------------------

class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    key: str = Field(description="Shown this once; only a hash is kept")


class EndpointIn(Schema):
    url: str = Field(min_length=1, max_length=500)
    events: list[str] = Field(default_factory=list, description="Empty: every event")
    description: str = Field("", max_length=200)


class EndpointPatch(Schema):
    url: str | None = Field(None, max_length=500)
    events: list[str] | None = None
    description: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    disabled_reason: str
    created_at: datetime


class EndpointSecretOut(EndpointOut):
    secret: str = Field(description="Shown this once")


class AttemptOut(Schema):
    at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str


class DeliveryOut(Schema):
    id: int
    message_id: str
    event: str
    status: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


# --- The staff side: conversation, price proposals, payment links, refunds, bulk jobs -------

#: An amount of money in a request: at least zero, two decimals.
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class StaffMessageOut(MessageOut):
    """A message of the order's conversation, with who wrote it."""

    author: str | None = Field(description="The writer's name (null for a guest)")


class PostedMessageOut(StaffMessageOut):
    """A message the shop wrote, and what it did to the order."""

    order_state: str = Field(description="The order's state afterwards")
    refusal: str = Field(description="Why the first message could not move the order")


class QuoteIn(Schema):
    """A price proposal: new unit prices (incl. tax) and shipping, or a new total."""

    unit_prices: dict[str, Money] = Field(
        default_factory=dict, description="{line id: new unit price incl. tax}; lines not "
                                          "listed keep their price")
    total: Money | None = Field(None, description="A new total, spread over the lines in "
                                                  "proportion to their prices")
    shipping: Money | None = Field(None, description="Incl. tax; null keeps the order's")
    message: str = Field("", max_length=5000)
    valid_until: date | None = Field(None, description="Null: the configured default")


class StaffQuoteOut(MyQuoteOut):
    id: int


class PaymentLinkIn(Schema):
    amount: Money | None = Field(None, description="Null: everything due")
    notify: bool = Field(True, description="Email the link to the customer")


class StaffPaymentLinkOut(Schema):
    """A payment link of the order."""

    id: int
    url: str
    amount: str
    currency: str
    status: str = Field(description="active, paid, expired, superseded or cancelled")
    sent_to: str
    created_at: datetime
    expires_at: datetime


class RefundIn(Schema):
    """A refund: everything paid (nothing given), an ``amount``, or line quantities."""

    amount: Money | None = None
    lines: dict[str, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=dict, description="{line id: quantity to refund}")
    include_shipping: bool = False
    restock: bool = False
    reason: str = Field("", max_length=500)
    notify: bool = Field(True, description="Email the customer")


class RefundOut(Schema):
    amount: str
    online: str = Field(description="The part refunded through the payment provider")
    payment_status: str
    credit_note: str | None = Field(description="The number of the credit note issued")


class BulkJobIn(Schema):
    """A bulk action for the worker, on the orders listed or on every order a filter matches."""

    action: str = Field(min_length=1, max_length=50,
                        description="As POST /staff/bulk (and send_payment_links)")
    numbers: list[str] = Field(default_factory=list, max_length=100_000)
    filter: str | None = Field(None, max_length=4000,
                               description="The table's query string (state=new&tags=3): "
                                           "every order it matches when the job runs")
    transition: str = ""
    tag: str = ""
    operator_id: int | None = None
    notify_customer: bool | None = None


class BulkJobOut(Schema):
    """A bulk action on the worker: its progress and its report."""

    id: int
    status: str = Field(description="pending, running, done or failed")
    label: str
    created_at: datetime
    finished_at: datetime | None
    total: int
    done: int = Field(description="Orders looked at so far")
    changed: int
    emailed: int
    refused: int
    refusals: list[RefusalOut] = Field(description="The first refusals, order by order")
    error: str
    percent_done: int


def message_out(message: OrderMessage) -> dict[str, Any]:
    """A conversation message as ``MessageOut`` (and ``StaffMessageOut``: its author)."""
    return {"id": message.pk, "side": message.side, "body": message.body,
            "created_at": message.created_at, "read_at": message.read_at,
            "author": (person_name(message.author) or None) if message.author_id else None,
            "attachment": ({"name": message.attachment_name,
                            "content_type": message.attachment_type}
                           if message.attachment else None)}


def quote_out(quote: Quote, latest: int) -> dict[str, Any]:
    """A price proposal as ``MyQuoteOut`` (``latest``: the order's newest version)."""
    # The outcome: a proposal past its date reads "expired" before the tick marks it so.
    return {"id": quote.pk, "version": quote.version, "status": quote.outcome,
            "status_label": str(quote.outcome_label),
            "currency": quote.currency, "total": str(quote.total),
            "old_total": str(quote.old_total), "shipping": str(quote.shipping),
            "old_shipping": str(quote.old_shipping), "valid_until": quote.valid_until,
            "message": quote.message, "created_at": quote.created_at,
            "decided_at": quote.decided_at,
            "can_decide": quote.can_decide and quote.version == latest,
            "lines": [{"title": entry["title"], "quantity": entry["quantity"],
                       "old_unit_price": entry["old"], "new_unit_price": entry["new"]}
                      for entry in quote.lines]}
