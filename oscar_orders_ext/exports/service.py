"""Exporting the orders of any workspace view: the same filter, the view's columns.

Rows are read in keyset-paginated chunks (with their tags and lines loaded per chunk), so
memory stays flat however many orders match. Small exports are written at once; larger ones
become an ``ExportJob`` run by a django-tasks task that reports progress.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files import File
from django.contrib.auth import get_user_model
from django.db.models import (Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from oscar.core.loading import get_model
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from oscar_orders_ext import selectors
from oscar_orders_ext.columns import Column, columns_for, labels_for
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import ExportJob, OrderProcess
from oscar_orders_ext.services import logistics

from .writers import Money, csv_chunks, write_xlsx

Line = get_model("order", "Line")
OrderNote = get_model("order", "OrderNote")

FORMATS = ("xlsx", "csv")
DELIMITERS = {",": ",", ";": ";", "tab": "\t"}


@dataclass
class ExportOptions:
    """What to export and how; travels as JSON into a background job."""

    format: str = "xlsx"
    query: str = ""
    columns: list[str] = field(default_factory=list)
    selected: list[int] = field(default_factory=list)
    delimiter: str = ","
    bom: bool = False
    lines_sheet: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise OrderWorkflowError(_("Unknown export format “%(format)s”.")
                                     % {"format": self.format})
        if self.delimiter not in DELIMITERS:
            raise OrderWorkflowError(_("Unknown delimiter."))

    @property
    def filename(self) -> str:
        return f"orders-{timezone.localtime():%Y%m%d-%H%M}.{self.format}"


def export_queryset(options: ExportOptions, user: Any) -> QuerySet[OrderProcess]:
    """The orders of the view being exported, as ``user`` may see them (None: all)."""
    visible = (OrderProcess.objects.all() if user is None
               else selectors.visible_processes(user))
    order_filter = selectors.OrderFilter(QueryDict(options.query), queryset=visible)
    queryset = order_filter.qs
    if options.selected:
        queryset = queryset.filter(pk__in=options.selected)
    return queryset


@dataclass
class ExportRecord:
    """One order as the export reads it: plain values, no model instances (exports format
    hundreds of thousands of rows, and building models would cost more than the writing)."""

    pk: int
    order_id: int
    number: str
    placed_at: Any
    order_type: str
    state: str
    payment_status: str
    customer_name: str
    customer_email: str
    customer_phone: str
    payment_method: str
    shipping_method: str
    source: str
    total: Any
    currency: str
    last_activity_at: Any
    operator_name: str
    notes_count: int
    state_label: str = ""
    payment_label: str = ""
    type_label: str = ""
    tag_names: list[str] = field(default_factory=list)
    lines: list[Any] = field(default_factory=list)
    #: Parcels as "Carrier: CODE" (loaded only when the tracking column is exported).
    tracking: list[str] = field(default_factory=list)


@dataclass
class ExportLine:
    quantity: int
    title: str
    partner_sku: str
    unit_price_incl_tax: Any
    line_price_incl_tax: Any


RECORD_FIELDS = ("pk", "order_id", "number", "placed_at", "order_type", "state",
                 "payment_status", "customer_name", "customer_email", "customer_phone",
                 "payment_method", "shipping_method", "source", "total", "currency",
                 "last_activity_at")


def _with_export_fields(queryset: QuerySet[OrderProcess]) -> QuerySet[Any]:
    user_model = get_user_model()
    full_name = Trim(Concat("operator__first_name", Value(" "), "operator__last_name"))
    notes = OrderNote.objects.filter(order_id=OuterRef("order_id")).values(
        "order_id").annotate(n=Count("pk")).values("n")
    return queryset.values(*RECORD_FIELDS).annotate(
        operator_name=Coalesce(NullIf(full_name, Value("")),
                               F(f"operator__{user_model.USERNAME_FIELD}"), Value("")),
        notes_count=Coalesce(Subquery(notes, output_field=IntegerField()), 0))


def chunked(queryset: QuerySet[OrderProcess], chunk_size: int = 2000, *,
            with_tracking: bool = False) -> Iterator[list[ExportRecord]]:
    """Records newest first, a chunk at a time (keyset pagination: no OFFSET, no big cursor),
    each chunk with its tags and lines (and tracking codes) loaded in one query apiece."""
    last: dict[str, Any] | None = None
    through = OrderProcess.tags.through
    while True:
        page = queryset
        if last is not None:
            page = page.filter(Q(placed_at__lt=last["placed_at"])
                               | Q(placed_at=last["placed_at"], pk__lt=last["pk"]))
        rows = list(_with_export_fields(page).order_by("-placed_at", "-pk")[:chunk_size])
        if not rows:
            return
        states, payments, types = (labels_for(kind) for kind in
                                   ("state", "payment_status", "order_type"))
        records = [ExportRecord(**row) for row in rows]
        for record in records:  # labels resolved once per chunk, not once per cell
            record.state_label = states.get(record.state, record.state)
            record.payment_label = payments.get(record.payment_status, record.payment_status)
            record.type_label = types.get(record.order_type, record.order_type)
        by_pk = {record.pk: record for record in records}
        for process_id, name in through.objects.filter(
                orderprocess_id__in=by_pk).order_by("tag__name").values_list(
                "orderprocess_id", "tag__name"):
            by_pk[process_id].tag_names.append(name)
        by_order = {record.order_id: record for record in records}
        for line in Line.objects.filter(order_id__in=by_order).order_by("pk").values(
                "order_id", "quantity", "title", "partner_sku", "unit_price_incl_tax",
                "line_price_incl_tax"):
            by_order[line.pop("order_id")].lines.append(ExportLine(**line))
        if with_tracking:
            for order_id, links in logistics.tracking_links_by_order(by_order).items():
                by_order[order_id].tracking = [logistics.tracking_text(link) for link in links]
        yield records
        last = rows[-1]


def header_for(columns: Sequence[Column]) -> list[str]:
    """Column titles; the total is followed by its currency."""
    header: list[str] = []
    for column in columns:
        header.append(str(column.label))
        if column.key == "total":
            header.append(str(_("Currency")))
    return header


def row_for(record: ExportRecord, columns: Sequence[Column], *, money: bool) -> list[Any]:
    """One order's cells; with ``money`` the total carries its currency format (XLSX)."""
    row: list[Any] = []
    for column in columns:
        if column.key == "total":
            row += [Money(record.total, record.currency) if money else record.total,
                    record.currency]
        else:
            row.append(column.export_value(record))
    return row


LINE_LABELS = (_lazy("Number"), _lazy("SKU"), _lazy("Product"), _lazy("Quantity"),
               _lazy("Unit price"), _lazy("Line total"), _lazy("Currency"))


def line_rows(records: Iterable[ExportRecord]) -> Iterator[list[Any]]:
    """The lines sheet: one row per order line."""
    for record in records:
        for line in record.lines:
            yield [record.number, line.partner_sku, line.title, line.quantity,
                   Money(line.unit_price_incl_tax or 0, record.currency),
                   Money(line.line_price_incl_tax or 0, record.currency), record.currency]


def write_export(options: ExportOptions, user: Any, target: Any,
                 progress: Any = None) -> int:
    """Write the export to ``target`` (a binary file); returns the number of orders."""
    columns = columns_for(options.columns)
    queryset = export_queryset(options, user)
    written = 0

    def rows(money: bool) -> Iterator[list[Any]]:
        nonlocal written
        for chunk in chunked(queryset, with_tracking=any(c.key == "tracking" for c in columns)):
            for process in chunk:
                yield row_for(process, columns, money=money)
            written += len(chunk)
            if progress:
                progress(written)

    if options.format == "csv":
        import codecs

        text = codecs.getwriter("utf-8")(target)
        for piece in csv_chunks(header_for(columns), rows(money=False),
                                delimiter=DELIMITERS[options.delimiter], bom=options.bom):
            text.write(piece)
        return written
    sheets: list[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = [
        (str(_("Orders")), header_for(columns), rows(money=True))]
    if options.lines_sheet:
        # Write-only sheets are written one after the other: the lines sheet reads the orders
        # again, chunk by chunk, rather than holding them in memory.
        lines = (row for chunk in chunked(queryset) for row in line_rows(chunk))
        sheets.append((str(_("Lines")), [str(label) for label in LINE_LABELS], lines))
    write_xlsx(target, sheets)
    return written


# --- Background jobs ------------------------------------------------------------------------

def start_export(options: ExportOptions, user: Any) -> ExportJob:
    """Create a background export job and schedule it after the transaction commits."""
    from django.db import transaction

    from oscar_orders_ext.tasks import run_export_task

    job = ExportJob.objects.create(user=user, params=asdict(options),
                                   total=export_queryset(options, user).count())
    transaction.on_commit(lambda: run_export_task.enqueue(job.pk))
    return job


def run_export(job_id: int) -> ExportJob:
    """Write a job's file into Django storage, reporting progress as chunks complete."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    options = ExportOptions(**job.params)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done=done)

    handle, path = tempfile.mkstemp(suffix=f".{options.format}")
    try:
        with os.fdopen(handle, "w+b") as target:
            done = write_export(options, job.user, target, progress=progress)
            target.seek(0)
            job.file.save(options.filename, File(target), save=False)
        job.status, job.done, job.error = ExportJob.Status.DONE, done, ""
        job.expires_at = timezone.now() + timedelta(hours=app_settings.EXPORT_EXPIRY_HOURS)
    except Exception as error:  # the job page must say it failed, whatever happened
        job.status, job.error = ExportJob.Status.FAILED, str(error)
        job.save()
        raise
    finally:
        os.unlink(path)
    job.save()
    return job


def purge_expired_exports() -> int:
    """Delete expired export files and their jobs; returns how many."""
    expired = ExportJob.objects.filter(expires_at__lte=timezone.now())
    count = 0
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
