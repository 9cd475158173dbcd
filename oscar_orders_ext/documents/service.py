"""Printing, issuing, storing and emailing documents.

Non-legal documents (order summary, receipts, delivery note) are rendered from the order as it
is now. Invoices and credit notes are *issued*: numbered gaplessly, rendered once, stored with
their content (lines and totals) and HTML, and never rendered again; the stored PDF is what
gets downloaded and emailed. Bulk printing lays out one HTML document with a page break between
orders, so WeasyPrint subsets fonts and writes the PDF once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task
from oscar.core.loading import get_class, get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import DocumentKind, PaymentStatus, TimelineKind
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.i18n import in_order_language, order_language, starting_language
from oscar_orders_ext.models import ExportJob, IssuedDocument, OrderProcess
from oscar_orders_ext.services.edits import check_permission
from oscar_orders_ext.services.jobs import run_claimed
from oscar_orders_ext.services.locking import OrderLike, locked_process, order_pk
from oscar_orders_ext.services.timeline import record

from . import parallel
from .identity import Identity, get_identity
from .numbering import format_number, series_for, take_next_number
from .rendering import Rendered, document_html, document_stylesheet, render_pdf
from .tax import credit_groups, summarise

Order = get_model("order", "Order")
CommunicationEventType = get_model("communication", "CommunicationEventType")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")

ISSUE_INVOICE = permissions.OPERATIONS["issue-invoice"]
ISSUE_CREDIT_NOTE = permissions.OPERATIONS["issue-credit-note"]
SEND_INVOICE = permissions.OPERATIONS["send-invoice"]

#: Documents printed from the order as it is now.
PRINTABLE = (DocumentKind.ORDER_SUMMARY, DocumentKind.RECEIPT_A4, DocumentKind.RECEIPT_80MM,
             DocumentKind.DELIVERY_NOTE)
#: Kinds a bulk print offers: the printable ones and issued invoices (from their snapshots).
BULK_PRINTABLE = (*PRINTABLE, DocumentKind.INVOICE)
#: Kinds whose page height is fitted to the content.
FITTED = (DocumentKind.RECEIPT_80MM,)
RECEIPTS = (DocumentKind.RECEIPT_A4, DocumentKind.RECEIPT_80MM)
CENT = Decimal("0.01")


class DocumentError(OrderWorkflowError):
    """A document could not be issued, printed or sent; nothing was written."""

    default_message = gettext_lazy("The document could not be produced.")


class IdentityIncomplete(DocumentError):
    """A legal document was refused because the shop identity lacks what it must state."""


def check_identity_for_legal_documents(identity: Identity | None = None) -> Identity:
    """The seller's identity, refused (``IdentityIncomplete``) while it is incomplete: an
    invoice or credit note without the seller's name, address and VAT number or tax code is not
    valid."""
    identity = identity or get_identity()
    missing = identity.missing_for_legal_documents()
    if missing:
        raise IdentityIncomplete(
            _("Invoices and credit notes must name the seller: fill in the shop identity "
              "first (missing: %(missing)s).") % {"missing": ", ".join(str(m) for m in missing)})
    return identity


@dataclass
class DeliveryDetails:
    """What a delivery note states beyond the order: who carries it, how many packages, why."""

    carrier: str = ""
    packages: int = 1
    reason: str = ""
    date: Any = None

    def for_order(self, order: Any) -> DeliveryDetails:
        """These details with the order's defaults filled in (carrier: its shipping method)."""
        return DeliveryDetails(carrier=self.carrier or order.shipping_method or "",
                               packages=self.packages or 1,
                               reason=self.reason or str(_("Sale")),
                               date=self.date or timezone.localdate())


# --- Content ------------------------------------------------------------------------------------

def orders_for_documents(pks: Iterable[int], *, lines: bool = True, payments: bool = False
                         ) -> QuerySet[Any]:
    """Orders with everything a document prints, in a fixed number of queries (three: orders,
    lines, discounts; one without ``lines``: a credit note prints the content frozen on its
    invoice; ``payments`` adds the payment sources receipts read)."""
    queryset = (Order.objects.filter(pk__in=list(pks))
                .select_related("shipping_address", "billing_address", "user", "process",
                                "shipping_address__country", "billing_address__country")
                .order_by("date_placed", "pk"))
    if not lines:
        return queryset
    queryset = queryset.prefetch_related("lines", "discounts")
    return queryset.prefetch_related("sources") if payments else queryset


@dataclass(frozen=True)
class PaymentSummary:
    """What a receipt may state about payment: ``kind`` is "paid", "partly_paid", "unpaid",
    "partially_refunded" or "refunded"; amounts in the order's currency."""

    kind: str
    received: Decimal
    due: Decimal
    refunded: Decimal

    @property
    def is_receipt(self) -> bool:
        """Whether anything was received: only then is the document a receipt."""
        return self.kind != "unpaid"


def payment_summary(order: Any) -> PaymentSummary:
    """The order's payment as a receipt states it: the workspace's payment status, with the
    amounts Oscar's payment sources recorded (a receipt never states a payment not received)."""
    total = _money(order.total_incl_tax)
    status = getattr(getattr(order, "process", None), "payment_status", PaymentStatus.UNPAID)
    sources = list(order.sources.all())
    debited = _money(sum((source.amount_debited or 0 for source in sources), Decimal(0)))
    refunded = _money(sum((source.amount_refunded or 0 for source in sources), Decimal(0)))
    zero = Decimal("0.00")
    if status == PaymentStatus.PAID:
        return PaymentSummary("paid", total, zero, zero)
    if status == PaymentStatus.REFUNDED:
        return PaymentSummary("refunded", total, zero, total)
    if status == PaymentStatus.PARTIALLY_REFUNDED:
        return PaymentSummary("partially_refunded", total, zero, refunded)
    received = min(debited, total)
    if received > 0:
        return PaymentSummary("partly_paid", received, total - received, zero)
    return PaymentSummary("unpaid", zero, total, zero)


def _money(value: Any) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(CENT)


def order_content(order: Any) -> dict[str, Any]:
    """The order's lines and totals as plain values (what an invoice freezes)."""
    lines = []
    for line in order.lines.all():
        lines.append({
            "title": line.title, "sku": line.partner_sku or line.upc or "",
            "quantity": line.quantity,
            "unit_excl_tax": _money(line.unit_price_excl_tax),
            "unit_incl_tax": _money(line.unit_price_incl_tax),
            "total_excl_tax": _money(line.line_price_excl_tax),
            "total_incl_tax": _money(line.line_price_incl_tax),
            "tax": _money(line.line_price_incl_tax) - _money(line.line_price_excl_tax),
        })
    totals = {
        "lines_excl_tax": sum((line["total_excl_tax"] for line in lines), Decimal("0.00")),
        "lines_incl_tax": sum((line["total_incl_tax"] for line in lines), Decimal("0.00")),
        "shipping_excl_tax": _money(order.shipping_excl_tax),
        "shipping_incl_tax": _money(order.shipping_incl_tax),
        "excl_tax": _money(order.total_excl_tax),
        "incl_tax": _money(order.total_incl_tax),
    }
    totals["tax"] = totals["incl_tax"] - totals["excl_tax"]
    # Oscar's surcharges (a plan's setup fee): rows of their own, part of the total.
    surcharges = [{"name": charge.name, "code": charge.code,
                   "excl_tax": _money(charge.excl_tax), "incl_tax": _money(charge.incl_tax)}
                  for charge in order.surcharges.all()]
    # Negative: what the totals lack against goods, shipping and surcharges (discounts not in
    # the lines).
    totals["discount_incl_tax"] = (totals["incl_tax"] - totals["lines_incl_tax"]
                                   - totals["shipping_incl_tax"]
                                   - sum((c["incl_tax"] for c in surcharges), Decimal("0.00")))
    discounts = order_discounts(order)
    goods_off = -sum((d["amount"] for d in discounts if d["category"] != "Shipping"),
                     Decimal("0.00"))
    shipping_off = -sum((d["amount"] for d in discounts), Decimal("0.00")) - goods_off
    if discounts and totals["discount_incl_tax"] == -(goods_off + shipping_off):
        # The lines are priced before the discounts (imported orders): the listed discounts
        # are the gap, shown instead of one unnamed "Discounts" row.
        totals["discount_incl_tax"] = Decimal("0.00")
        goods_off = shipping_off = Decimal("0.00")
    # Oscar prices lines and shipping after their discounts: the document shows the prices
    # before them, then each discount, so that its rows add up to the total.
    totals["goods_before_discounts_incl_tax"] = totals["lines_incl_tax"] + goods_off
    totals["shipping_before_discounts_incl_tax"] = totals["shipping_incl_tax"] + shipping_off
    return _with_tax_summary({"lines": lines, "totals": totals, "currency": order.currency,
                              "shipping_method": order.shipping_method,
                              "discounts": discounts, "surcharges": surcharges})


def order_discounts(order: Any) -> list[dict[str, Any]]:
    """Oscar's discounts of the order (offer name, voucher code, category, and ``amount``: what
    it does to the total, negative), the money-off ones only (a deferred offer's post-order
    action takes nothing off)."""
    return [{"name": discount.offer_name or discount.description(),
             "voucher_code": discount.voucher_code or "", "category": discount.category,
             "amount": -_money(discount.amount)}
            for discount in order.discounts.all()
            if discount.category != "Deferred" and discount.amount]


def _with_tax_summary(content: dict[str, Any]) -> dict[str, Any]:
    """``content`` with its tax summary, and each line with its tax rate (see ``tax.py``)."""
    summary = summarise(content["lines"], content["totals"])
    lines = [{**line, "rate": rate}
             for line, rate in zip(content["lines"], summary.line_rates, strict=True)]
    return {**content, "lines": lines, "tax_summary": summary.groups}


def _to_json(content: dict[str, Any]) -> dict[str, Any]:
    """Decimals as strings, for the JSON field."""
    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value
    return convert(content)


def _from_json(content: dict[str, Any]) -> dict[str, Any]:
    """Frozen content back with Decimals; content issued before tax summaries existed has
    none (``"tax_summary"`` missing) and its lines no ``rate``."""
    money = {"unit_excl_tax", "unit_incl_tax", "total_excl_tax", "total_incl_tax", "tax",
             "taxable", "total", "rate", "excl_tax", "incl_tax"}

    def decimals(item: dict[str, Any]) -> dict[str, Any]:
        return {key: Decimal(value) if key in money and value is not None else value
                for key, value in item.items()}

    loaded = {**content, "lines": [decimals(line) for line in content.get("lines", [])],
              "discounts": [{**discount, "amount": Decimal(discount["amount"])}
                            for discount in content.get("discounts", [])],
              "surcharges": [decimals(charge) for charge in content.get("surcharges", [])],
              "totals": {key: Decimal(value)
                         for key, value in content.get("totals", {}).items()}}
    if "tax_summary" in content:
        loaded["tax_summary"] = [decimals(group) for group in content["tax_summary"]]
    return loaded


def _negated(content: dict[str, Any]) -> dict[str, Any]:
    """The content reversed: amounts negative, rates as they were."""
    def negated(item: dict[str, Any]) -> dict[str, Any]:
        return {key: -value if isinstance(value, Decimal) and key != "rate" else value
                for key, value in item.items()}

    reversed_content = {**content, "lines": [negated(line) for line in content["lines"]],
                        "discounts": [negated(d) for d in content.get("discounts", [])],
                        "surcharges": [negated(c) for c in content.get("surcharges", [])],
                        "totals": {key: -value for key, value in content["totals"].items()}}
    if "tax_summary" in content:
        reversed_content["tax_summary"] = [negated(group) for group in content["tax_summary"]]
    return reversed_content


def customer_name(order: Any) -> str:
    """Who the order is for: billing name, shipping name, account name or email."""
    for address in (order.billing_address, order.shipping_address):
        if address is not None and address.name:
            return address.name
    if order.user is not None and order.user.get_full_name():
        return order.user.get_full_name()
    return order.email or ""


def document_context(kind: str, order: Any, *, identity: Identity,
                     content: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """What a document template receives; see docs/documents.md for the full list."""
    content = content or order_content(order)
    return {
        "kind": kind, "kind_label": DocumentKind(kind).label, "order": order, "shop": identity,
        "lines": content["lines"], "totals": content["totals"],
        "tax_summary": content.get("tax_summary", []),
        "discounts": content.get("discounts", []),
        "surcharges": content.get("surcharges", []),
        "currency": content.get("currency") or order.currency,
        "shipping_method": content.get("shipping_method", order.shipping_method),
        "customer_name": customer_name(order), "customer_email": order.email,
        "billing_address": order.billing_address or order.shipping_address,
        "shipping_address": order.shipping_address,
        "payment": payment_summary(order) if kind in RECEIPTS else None,
        "today": timezone.localdate(), **extra,
    }


def render_fragment(kind: str, context: dict[str, Any]) -> str:
    """One order's part of a document, from ``oscar_orders_ext/documents/<kind>.html``."""
    return render_to_string(f"oscar_orders_ext/documents/{kind}.html", context)


def render_fragments(kind: str, fragments: Sequence[str], *, title: str = "",
                     labels: Sequence[str] = ()) -> Rendered:
    """One PDF from the fragments, a page (or more) each; fitted kinds get fitted pages.
    ``labels`` name each fragment in the page footers of a print of several."""
    fitted = kind in FITTED
    return render_pdf(document_html(kind, fragments, title=title, labels=labels),
                      stylesheet=document_stylesheet(kind, fitted=fitted,
                                                     several=len(fragments) > 1),
                      fitted=fitted)


# --- Printing (not legal documents) -------------------------------------------------------------

def _check_printable(kind: str) -> None:
    if kind not in PRINTABLE:
        raise DocumentError(_("“%(kind)s” is not a document that can be printed from an "
                              "order.") % {"kind": kind})


def render_document(kind: str, order: OrderLike, *,
                    delivery: DeliveryDetails | None = None) -> Rendered:
    """A printable document (summary, receipts, delivery note) of one order, as it is now."""
    return bulk_render(kind, [order_pk(order)], delivery=delivery).rendered


@dataclass
class BulkResult:
    """A bulk print: the PDF, and the orders that had nothing to print (no invoice)."""

    rendered: Rendered
    count: int
    skipped: list[str] = field(default_factory=list)


@dataclass
class PrintBatch:
    """What a bulk print lays out: one HTML fragment per document, each page's label, the
    title, and the orders that had nothing to print."""

    kind: str
    fragments: list[str]
    labels: list[str]
    title: str
    skipped: list[str] = field(default_factory=list)
    #: A print of one order is in its customer's language throughout ("" for several).
    language: str = ""


def bulk_render(kind: str, order_pks: Iterable[int], *,
                delivery: DeliveryDetails | None = None, processes: int = 1,
                progress: Callable[[int], None] | None = None) -> BulkResult:
    """One PDF holding ``kind`` for every order, laid out as one document, or in chunks by
    ``processes`` worker processes and merged (``progress`` gets the documents done)."""
    source = print_source(kind, order_pks, delivery=delivery)
    fitted = kind in FITTED
    if processes > 1 and source.count > parallel.MIN_CHUNK:
        stylesheet = document_stylesheet(kind, fitted=fitted, several=True)
        rendered = parallel.render_in_processes(
            kind, source.documents, source.count, title=source.title, stylesheet=stylesheet,
            fitted=fitted, processes=processes, progress=progress)
    else:
        pairs = list(source.documents)
        with translation.override(source.language) if source.language else nullcontext():
            rendered = render_fragments(kind, [fragment for fragment, _label in pairs],
                                        title=source.title,
                                        labels=[label for _fragment, label in pairs])
        if progress is not None:
            progress(source.count)
    return BulkResult(rendered=rendered, count=source.count, skipped=source.skipped)


@dataclass
class PrintSource:
    """What a bulk print lays out: ``count`` documents as (HTML fragment, footer label) pairs,
    each built when it is read, the title, and the orders that had nothing to print."""

    kind: str
    count: int
    documents: Iterator[tuple[str, str]]
    title: str
    skipped: list[str] = field(default_factory=list)
    #: A print of one order is in its customer's language throughout ("" for several).
    language: str = ""


def print_batch(kind: str, order_pks: Iterable[int], *,
                delivery: DeliveryDetails | None = None) -> PrintBatch:
    """The documents of a bulk print, as HTML, each order's in its customer's language."""
    source = print_source(kind, order_pks, delivery=delivery)
    pairs = list(source.documents)
    return PrintBatch(kind=source.kind, fragments=[fragment for fragment, _label in pairs],
                      labels=[label for _fragment, label in pairs], title=source.title,
                      skipped=source.skipped, language=source.language)


def print_source(kind: str, order_pks: Iterable[int], *,
                 delivery: DeliveryDetails | None = None) -> PrintSource:
    """The documents of a bulk print, read from the database at once and turned into HTML one
    by one as they are consumed (so that a parallel print builds while it lays out)."""
    pks = list(order_pks)
    if kind == DocumentKind.INVOICE:
        return _invoice_source(pks)
    _check_printable(kind)
    identity = get_identity()
    orders = list(orders_for_documents(pks, payments=kind in RECEIPTS))
    if not orders:
        raise DocumentError(_("No orders to print."))
    label = DocumentKind(kind).label

    def documents() -> Iterator[tuple[str, str]]:
        for order in orders:  # each in its customer's language
            extra: dict[str, Any] = {}
            if kind == DocumentKind.DELIVERY_NOTE:
                extra["delivery"] = (delivery or DeliveryDetails()).for_order(order)
            with in_order_language(order):  # left before yielding: no language leaks out
                document = (render_fragment(kind, document_context(kind, order,
                                                                   identity=identity,
                                                                   **extra)),
                            f"{label} {order.number}")
            yield document

    # One order: its customer's document throughout; several: the printing user's title.
    if len(orders) == 1:
        with in_order_language(orders[0]):
            title = f"{label} {orders[0].number}"
        return PrintSource(kind=kind, count=1, documents=documents(), title=title,
                           language=order_language(orders[0]))
    return PrintSource(kind=kind, count=len(orders), documents=documents(), title=str(label))


def _invoice_source(pks: list[int]) -> PrintSource:
    """The latest invoice of every order, from the HTML frozen when it was issued."""
    latest: dict[int, IssuedDocument] = {}
    for document in (IssuedDocument.objects.filter(order_id__in=pks,
                                                   kind=DocumentKind.INVOICE)
                     .order_by("order_id", "-issued_at", "-pk")):
        latest.setdefault(document.order_id, document)
    numbers = dict(OrderProcess.objects.filter(order_id__in=pks).values_list("order_id",
                                                                             "number"))
    skipped = [numbers.get(pk, str(pk)) for pk in pks if pk not in latest]
    documents = sorted(latest.values(), key=lambda d: (d.year, d.series, d.sequence))
    if not documents:
        raise DocumentError(_("None of the selected orders has an invoice."))
    return PrintSource(kind=DocumentKind.INVOICE, count=len(documents),
                       documents=iter([(document.snapshot_html,
                                        f"{document.get_kind_display()} {document.number}")
                                       for document in documents]),
                       title=str(DocumentKind.INVOICE.label), skipped=skipped)


# --- Issuing ------------------------------------------------------------------------------------

def open_invoice(order_id: int) -> IssuedDocument | None:
    """The order's invoice that credit notes have not fully cancelled, if any."""
    for invoice in IssuedDocument.objects.filter(order_id=order_id,
                                                 kind=DocumentKind.INVOICE):
        if credit_left(invoice) > 0:
            return invoice
    return None


def credit_left(invoice: IssuedDocument) -> Decimal:
    """How much of an invoice credit notes have not cancelled yet."""
    credited = invoice.credit_notes.aggregate(total=Sum("total"))["total"] or Decimal("0")
    return invoice.total + credited  # credit note totals are negative


@dataclass
class OrderDocuments:
    """An order's invoices and credit notes, newest first; invoices carry ``credit_left``."""

    documents: list[IssuedDocument]

    @property
    def has_open_invoice(self) -> bool:
        """Whether an invoice is not fully credited yet, so no new one can be issued."""
        return self.open_invoice is not None

    @property
    def open_invoice(self) -> IssuedDocument | None:
        """The invoice credit notes have not fully cancelled, if any (``open_invoice`` from
        the documents read: no query)."""
        return next((document for document in self.documents
                     if document.kind == DocumentKind.INVOICE
                     and (document.credit_left or 0) > 0), None)


def order_documents(order_id: int) -> OrderDocuments:
    """The documents of an order, what is left to credit on each invoice worked out in one
    query (``credit_left`` for a single invoice)."""
    documents = list(IssuedDocument.objects.filter(order_id=order_id)
                     .select_related("credited", "issued_by"))
    credited: dict[int, Decimal] = {}
    for document in documents:
        if document.credited_id:
            credited[document.credited_id] = (credited.get(document.credited_id, Decimal(0))
                                               + document.total)
    for document in documents:
        if document.kind == DocumentKind.INVOICE:
            document.credit_left = document.total + credited.get(document.pk, Decimal(0))
    return OrderDocuments(documents)


def _issue(process: OrderProcess, order: Any, kind: str, content: dict[str, Any], *,
           user: Any, identity: Identity, credited: IssuedDocument | None = None,
           reason: str = "") -> IssuedDocument:
    """Number, render and store a legal document inside the caller's transaction; ``order``
    comes from ``orders_for_documents``."""
    now = timezone.now()
    year = timezone.localtime(now).year
    series = series_for(kind)
    sequence = take_next_number(kind, series, year)
    document = IssuedDocument(
        order=order, kind=kind, series=series, year=year, sequence=sequence,
        number=format_number(series, year, sequence), total=content["totals"]["incl_tax"],
        currency=order.currency, issued_by=user if getattr(user, "is_authenticated", False)
        else None, issued_at=now, credited=credited, reason=reason, data=_to_json(content))
    context = document_context(kind, order, identity=identity, content=content,
                               document=document, issued_on=timezone.localdate(now))
    with in_order_language(order):  # frozen as issued: in the customer's language
        fragment = render_fragment(kind, context)
        rendered = render_fragments(kind, [fragment], title=f"{document.get_kind_display()} "
                                                             f"{document.number}")
    document.snapshot_html = fragment
    document.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
    document.file.save(document.filename, ContentFile(rendered.pdf), save=False)
    try:
        document.save()
        data = {"document": kind, "number": document.number, "id": document.pk,
                "total": str(document.total), "currency": document.currency}
        if credited is not None:
            data["credits"] = credited.number
        record(order.pk, TimelineKind.DOCUMENT, actor=user, data=data, note=reason, at=now)
        OrderProcess.objects.filter(pk=process.pk).update(last_activity_at=now)
    except Exception:
        document.file.delete(save=False)  # the number goes back with the rollback
        raise
    return document


def issue_invoice(order: OrderLike, *, user: Any = None) -> IssuedDocument:
    """Issue the order's invoice: the next number of the year, the PDF stored for good."""
    check_permission(user, ISSUE_INVOICE)
    identity = check_identity_for_legal_documents()
    with locked_process(order) as process:
        existing = open_invoice(process.order_id)
        if existing is not None:
            raise DocumentError(
                _("Order %(order)s already has invoice %(number)s. Issue a credit note "
                  "before invoicing it again.") % {"order": process.order.number,
                                                   "number": existing.number},
                order_number=process.order.number)
        order_obj = orders_for_documents([process.order_id]).get()
        if not order_obj.lines.all():
            raise DocumentError(_("An order without lines cannot be invoiced."))
        return _issue(process, order_obj, DocumentKind.INVOICE, order_content(order_obj),
                      user=user, identity=identity)


def issue_credit_note(invoice: IssuedDocument | int, *, user: Any = None,
                      amount: Decimal | None = None, reason: str = "") -> IssuedDocument:
    """Credit an invoice, wholly (its lines reversed) or partly (``amount`` including tax)."""
    check_permission(user, ISSUE_CREDIT_NOTE)
    identity = check_identity_for_legal_documents()
    invoice_pk = invoice.pk if isinstance(invoice, IssuedDocument) else invoice
    order_id = IssuedDocument.objects.filter(pk=invoice_pk).values_list("order_id",
                                                                        flat=True).first()
    if order_id is None:
        raise DocumentError(_("This invoice does not exist."))
    with locked_process(order_id) as process:
        invoice = IssuedDocument.objects.get(pk=invoice_pk)
        if invoice.kind != DocumentKind.INVOICE:
            raise DocumentError(_("Only invoices can be credited."))
        left = credit_left(invoice)
        if left <= 0:
            raise DocumentError(_("Invoice %(number)s is already fully credited.")
                                % {"number": invoice.number})
        amount = left if amount is None else _money(amount)
        if amount <= 0 or amount > left:
            raise DocumentError(_("The credit must be more than zero and at most %(left)s.")
                                % {"left": left})
        issued = _from_json(invoice.data)
        if "tax_summary" not in issued:  # issued before tax summaries: from its frozen lines
            issued = _with_tax_summary(issued)
        order = orders_for_documents([process.order_id], lines=False).get()
        if amount == issued["totals"]["incl_tax"]:
            content = _negated(issued)  # the whole invoice, line by line
        else:
            with in_order_language(order):  # its line title is printed for the customer
                content = _partial_credit(issued, amount, reason, _tax_left(invoice, issued))
        return _issue(process, order, DocumentKind.CREDIT_NOTE, content, user=user,
                      identity=identity, credited=invoice, reason=reason)


def _tax_left(invoice: IssuedDocument, issued: dict[str, Any]) -> list[dict[str, Any]]:
    """The invoice's tax groups less what its credit notes took from each, so that credits
    adding up to the invoice reverse each rate's tax exactly. The invoice's own groups if a
    credit note from before tax summaries has none to subtract."""
    left = {group["rate"]: dict(group) for group in issued["tax_summary"]}
    for data in invoice.credit_notes.values_list("data", flat=True):
        credited = _from_json(data)
        if "tax_summary" not in credited or any(group["rate"] not in left
                                                 for group in credited["tax_summary"]):
            return issued["tax_summary"]
        for group in credited["tax_summary"]:
            for key in ("taxable", "tax", "total"):
                left[group["rate"]][key] += group[key]  # credit amounts are negative
    remaining = [group for group in left.values() if group["total"] > 0]
    return remaining or issued["tax_summary"]


def _partial_credit(issued: dict[str, Any], amount: Decimal, reason: str,
                    groups: list[dict[str, Any]]) -> dict[str, Any]:
    """A credit of ``amount`` shared out over the tax ``groups`` pro rata (see
    ``tax.credit_groups``): one credit line per tax rate, its tax in the group's proportion."""
    shares = credit_groups(groups, amount)
    title = reason or str(_("Partial refund"))
    lines = [{"title": title, "sku": "", "quantity": 1,
              "unit_excl_tax": -share["taxable"], "unit_incl_tax": -share["total"],
              "total_excl_tax": -share["taxable"], "total_incl_tax": -share["total"],
              "tax": -share["tax"], "rate": share["rate"]} for share in shares]
    summary = [{"rate": share["rate"], "taxable": -share["taxable"], "tax": -share["tax"],
                "total": -share["total"]} for share in shares]
    excl = sum((group["taxable"] for group in summary), Decimal("0.00"))
    tax = sum((group["tax"] for group in summary), Decimal("0.00"))
    zero = Decimal("0.00")
    # One line per rate says it all: no rows of the invoice's discounts or surcharges.
    return {**issued, "lines": lines, "tax_summary": summary, "discounts": [],
            "surcharges": [], "totals": {
        "lines_excl_tax": excl, "lines_incl_tax": -amount,
        "shipping_excl_tax": zero, "shipping_incl_tax": zero, "discount_incl_tax": zero,
        "excl_tax": excl, "tax": tax, "incl_tax": -amount}}


def issued_pdf(document: IssuedDocument) -> bytes:
    """The stored PDF of an issued document, exactly as issued."""
    with document.file.open("rb") as handle:
        return handle.read()


# --- Email --------------------------------------------------------------------------------------

def email_document(document: IssuedDocument, *, user: Any = None) -> str:
    """Email an issued invoice (or credit note) to the customer, its PDF attached; returns the
    address. The message is the editable communication type ``INVOICE``."""
    check_permission(user, SEND_INVOICE)
    order = orders_for_documents([document.order_id]).get()
    recipient = order.email
    if not recipient:
        raise DocumentError(_("Order %(number)s has no email address.")
                            % {"number": order.number})
    code = app_settings.INVOICE_EMAIL_EVENT_CODE
    CommunicationEventType.objects.get_or_create(
        code=code, defaults={"name": str(_("Invoice")),
                             "category": CommunicationEventType.ORDER_RELATED})
    context = {"order": order, "document": document, "shop": get_identity(),
               "customer_name": customer_name(order)}
    with in_order_language(order):
        messages = CommunicationEventType.objects.get_and_render(code, context)
        attachment = (document.filename, issued_pdf(document), "application/pdf")
        OrderDispatcher().dispatch_order_messages(order, messages, code,
                                                  attachments=[attachment])
    record(order.pk, TimelineKind.EMAIL, actor=user,
           data={"code": code, "to": recipient, "document": document.kind,
                 "number": document.number})
    return recipient


# --- Bulk print in the background -------------------------------------------------------------

def start_print_job(kind: str, order_pks: Sequence[int], user: Any, *,
                    delivery: DeliveryDetails | None = None) -> ExportJob:
    """A background bulk print (an ``ExportJob`` with format "pdf"), run after commit."""
    if kind not in BULK_PRINTABLE:
        raise DocumentError(_("This document cannot be printed in bulk."))
    params = {"format": "pdf", "document": kind, "selected": list(order_pks),
              "delivery": asdict(delivery or DeliveryDetails())}
    job = ExportJob.objects.create(user=user, params=params, total=len(order_pks),
                                   language=starting_language())
    transaction.on_commit(lambda: run_print_task.enqueue(job.pk))
    return job


def run_print_job(job_id: int) -> ExportJob:
    """Render a background bulk print into the job's file."""
    job = ExportJob.objects.get(pk=job_id)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)
    params = job.params
    delivery = DeliveryDetails(**{key: value for key, value in params["delivery"].items()
                                  if key != "date"})
    try:
        result = bulk_render(params["document"], params["selected"], delivery=delivery,
                             processes=_print_processes(len(params["selected"])),
                             progress=_job_progress(job.pk))
        name = f"{params['document']}-{timezone.localtime():%Y%m%d-%H%M}.pdf"
        job.file.save(name, ContentFile(result.rendered.pdf), save=False)
        job.status, job.done, job.error = ExportJob.Status.DONE, result.count, ""
        if result.skipped:
            job.error = _("Skipped (no invoice): %(numbers)s") % {
                "numbers": ", ".join(result.skipped)}
        job.expires_at = timezone.now() + timedelta(hours=app_settings.EXPORT_EXPIRY_HOURS)
    except Exception as error:  # the job page must say it failed, whatever happened
        job.status = ExportJob.Status.FAILED
        job.error = error.message if isinstance(error, OrderWorkflowError) else str(error)
        job.save()
        if isinstance(error, OrderWorkflowError):
            return job
        raise
    job.save()
    return job


def _print_processes(count: int) -> int:
    """Processes for a background print of ``count`` documents (one below PARALLEL_MIN)."""
    if count < parallel.PARALLEL_MIN:
        return 1
    return parallel.print_processes(app_settings.PRINT_PROCESSES)


def _job_progress(job_id: int) -> Callable[[int], None]:
    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(done=done)

    return progress


@task()
def run_print_task(job_id: int) -> None:
    """Render a background bulk print of documents."""
    run_claimed(ExportJob, job_id, "print", run_print_job)
