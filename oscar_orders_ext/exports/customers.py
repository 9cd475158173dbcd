"""Exporting the customer directory: every customer matching the directory's filter, as CSV or
XLSX, one row per customer from the stored aggregates (no order is read). Small exports are
written in the request; larger ones become an ``ExportJob`` (``params["kind"] ==
"customers"``) written by the same worker task as order exports."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oscar_orders_ext import selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.models import Customer, ProcessTally

from .writers import DELIMITERS, Money, csv_chunks, settle_file_options, write_xlsx

KIND = "customers"
CHUNK = 2000


@dataclass
class CustomerExportOptions:
    """What to export: the directory's query string, the format; travels as JSON into a job."""

    format: str = "xlsx"
    query: str = ""
    delimiter: str = ","
    bom: bool = False
    language: str = ""
    kind: str = KIND

    def __post_init__(self) -> None:
        settle_file_options(self)

    @property
    def filename(self) -> str:
        """``customers-<date>-<time>.<format>``."""
        return f"customers-{timezone.localtime():%Y%m%d-%H%M}.{self.format}"


def customer_queryset(options: CustomerExportOptions) -> QuerySet[Customer]:
    """The customers of the directory view being exported (its search, filters and sort);
    a filter that does not validate exports nothing rather than everything."""
    directory = selectors.customer_directory(QueryDict(options.query))
    if not directory.is_valid():
        return Customer.objects.none()
    return directory.qs


def currencies() -> list[str]:
    """The shop's order currencies (from the small tally table, not the orders)."""
    found = set(ProcessTally.objects.values_list("currency", flat=True).distinct())
    found.add(getattr(settings, "OSCAR_DEFAULT_CURRENCY", "EUR"))
    return sorted(currency for currency in found if currency)


def header(currency_list: Sequence[str]) -> list[str]:
    """The column titles, in the active language."""
    names = [_("Surname"), _("First name"), _("Company"), _("Email"), _("Phone"), _("Group"),
             _("Tags"), _("Registered on"), _("Orders")]
    for currency in currency_list:
        names += [_("Orders (%(currency)s)") % {"currency": currency},
                  _("Lifetime value (%(currency)s)") % {"currency": currency},
                  _("Average order value (%(currency)s)") % {"currency": currency}]
    names += [_("First order"), _("Last order"), _("Account"), _("Internal notes")]
    return [str(name) for name in names]


def customer_rows(queryset: QuerySet[Customer], currency_list: Sequence[str], *, money: bool,
                  progress: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    """One row per customer, read in chunks (tags fetched per chunk); amounts as ``Money``
    for XLSX (a currency number format), plain decimals for CSV."""
    done = 0
    yes, no = _("yes"), _("no")
    for customer in queryset.iterator(chunk_size=CHUNK):
        totals = customer.totals or {}
        row: list[Any] = [customer.last_name, customer.first_name, customer.company,
                          customer.email, customer.phone,
                          customer.group.name if customer.group else "",
                          ", ".join(tag.name for tag in customer.tags.all()),
                          customer.registered_at, customer.order_count]
        for currency in currency_list:
            values = totals.get(currency)
            if not values:
                row += [0, None, None]
                continue
            count, total = int(values["count"]), Decimal(values["total"])
            average = (total / count).quantize(Decimal("0.01")) if count else Decimal("0.00")
            row += [count, Money(total, currency) if money else total,
                    Money(average, currency) if money else average]
        row += [customer.first_order_at, customer.last_order_at,
                yes if customer.user_id else no, customer.notes]
        yield row
        done += 1
        if progress and done % CHUNK == 0:
            progress(done)
    if progress:
        progress(done)


def csv_stream(options: CustomerExportOptions,
               progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """The CSV export as text pieces, for a streaming response or a file."""
    with translation.override(options.language):
        currency_list = currencies()
        titles = header(currency_list)
    rows = customer_rows(customer_queryset(options), currency_list, money=False,
                         progress=progress)
    with translation.override(options.language):
        yield from csv_chunks(titles, rows, delimiter=DELIMITERS[options.delimiter],
                              bom=options.bom)


def write_customer_export(options: CustomerExportOptions, target: Any,
                          progress: Callable[[int], None] | None = None) -> int:
    """Write the export to ``target`` (a binary file); returns the number of customers."""
    written = 0

    def counting(done: int) -> None:
        nonlocal written
        written = done
        if progress:
            progress(done)

    if options.format == "csv":
        for piece in csv_stream(options, progress=counting):
            target.write(piece.encode())
        return written
    with translation.override(options.language):
        currency_list = currencies()
        write_xlsx(target, [(str(_("Customers")), header(currency_list),
                             customer_rows(customer_queryset(options), currency_list,
                                           money=True, progress=counting))])
    return written


def exceeds_sync_limit(options: CustomerExportOptions) -> bool:
    """Whether more customers match than a request writes inline (the order exports' limit,
    ``OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT``); counts at most one past it."""
    limit = app_settings.EXPORT_SYNC_LIMIT
    return customer_queryset(options).order_by().values("pk")[:limit + 1].count() > limit


def count(options: CustomerExportOptions) -> int:
    """How many customers the export writes (the job's total)."""
    return customer_queryset(options).count()
