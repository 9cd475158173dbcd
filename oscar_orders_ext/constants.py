"""Choices shared by models, workflow, forms and exports."""

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


#: ``OrderNote.note_type`` of notes meant for the buyer (shown to them, put in their emails);
#: other notes are internal.
CUSTOMER_NOTE_TYPE = "Customer"

#: Name of the Oscar shipping event type our shipments are recorded as.
SHIPPED_EVENT_NAME = "Shipped"


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class OrderType(models.TextChoices):
    STANDARD = "standard", _("Standard")
    SUBSCRIPTION = "subscription", _("Subscription")
    INSTALLMENT = "installment", _("Installment")
    QUOTE = "quote", _("Quote")


class StockStatus(models.TextChoices):
    """Where the order's stock stands, so each stock effect applies exactly once."""

    ALLOCATED = "allocated", _("Allocated")
    CONSUMED = "consumed", _("Consumed")
    RELEASED = "released", _("Allocation released")
    RESTOCKED = "restocked", _("Restocked")
    UNTRACKED = "untracked", _("Not tracked")


class StockEffect(models.TextChoices):
    ALLOCATE = "allocate", _("Allocate stock again")
    CONSUME = "consume", _("Consume the allocation")
    RELEASE = "release", _("Cancel the allocation")
    RESTOCK = "restock", _("Put the goods back in stock")


class TimelineKind(models.TextChoices):
    CREATED = "created", _("Order created")
    STATE = "state", _("State changed")
    STAGE = "stage", _("Moved in funnel")
    PAYMENT = "payment", _("Payment status changed")
    TAGS = "tags", _("Tags changed")
    OPERATOR = "operator", _("Operator assigned")
    ORDER_TYPE = "order_type", _("Order type changed")
    NOTE = "note", _("Note")
    STOCK = "stock", _("Stock updated")
    EMAIL = "email", _("Email sent")
    EDIT = "edit", _("Order edited")
    SHIPMENT = "shipment", _("Shipment recorded")
    DOCUMENT = "document", _("Document issued")
    IMPORT = "import", _("Imported")
    OSCAR_STATUS = "oscar_status", _("Status changed outside the workspace")


class DocumentKind(models.TextChoices):
    """Every document the app prints; invoices and credit notes are issued and numbered."""

    ORDER_SUMMARY = "order_summary", _("Order summary")
    RECEIPT_A4 = "receipt_a4", _("Receipt (A4)")
    RECEIPT_80MM = "receipt_80mm", _("Receipt (80 mm)")
    DELIVERY_NOTE = "delivery_note", _("Delivery note")
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


#: Legal documents: numbered, stored once, never re-rendered.
LEGAL_DOCUMENTS = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)


def amount_due(total: Any, paid: Any, refunded: Any, status: str = "") -> Any:
    """What the customer still owes (negative: what the shop owes them back), from the order
    total, what was paid (received less refunded) and what was refunded.

    A refund first settles what was paid beyond the total (an edit lowered it); any more is a
    refund of goods or a goodwill gesture, which the customer does not owe back. An order
    whose payment ``status`` says paid with no amount recorded (imported, or set by hand) owes
    nothing.
    """
    zero = Decimal("0.00")
    total, paid, refunded = total or zero, paid or zero, refunded or zero
    if status == PaymentStatus.PAID and not paid and not refunded:
        return zero
    return min(total - paid, max(total - paid - refunded, zero))


#: The sources the app writes itself, as a merchant reads them; a shop's own (web, phone...)
#: show as written.
SOURCE_LABELS = {
    "manual": _("Manual order"),
    "subscription": _("Subscription renewal"),
    "backfill": _("Existing order"),
}
#: The import formats' names, for "import:<format>" sources.
IMPORT_FORMAT_NAMES = {"shopify": "Shopify", "woocommerce": "WooCommerce", "etsy": "Etsy",
                       "native": "CSV"}


def source_label(source: str) -> str:
    """An order's source as the workspace shows it ("Import (Shopify)" for "import:shopify")."""
    if source in SOURCE_LABELS:
        return str(SOURCE_LABELS[source])
    kind, _colon, name = source.partition(":")
    if kind == "import" and name:
        return str(_("Import (%(format)s)") % {"format": IMPORT_FORMAT_NAMES.get(name, name)})
    return source
