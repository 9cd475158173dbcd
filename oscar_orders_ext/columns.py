"""The workspace table's columns: one registry used by the table, the column picker and exports.

Both front ends draw the cells with ``shared/table/row_cells.html``; exports use
``Column.export_getter``. A new column needs an entry here and a branch in that template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .constants import OrderType, PaymentStatus, amount_due, source_label
from .workflow import get_workflow


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    #: Field to order by (None: not sortable).
    sort: str | None = None
    default: bool = True
    #: Plain value for exports, from an ``exports.service.ExportRecord``.
    value: Callable[[Any], Any] | None = None

    @property
    def export_getter(self) -> Callable[[Any], Any]:
        """The function giving the cell's value as a spreadsheet wants it from a record
        (chosen once per export: exports call it for every row)."""
        return self.value or attrgetter(self.key)


@lru_cache(maxsize=32)
def _labels(kind: str, language: str | None) -> dict[str, str]:
    """Translated labels by value, resolved once per language (exports format many rows)."""
    if kind == "state":
        return {state.code: str(state.label) for state in get_workflow().get_states()}
    choices = {"payment_status": PaymentStatus, "order_type": OrderType}[kind]
    return {value: str(label) for value, label in choices.choices}


def labels_for(kind: str) -> dict[str, str]:
    """Translated labels of states, payment statuses or order types, by value."""
    return _labels(kind, get_language())


COLUMNS: tuple[Column, ...] = (
    Column("placed", _("Created"), "placed_at", value=lambda p: p.placed_at),
    Column("order_type", _("Type"), "order_type", default=False,
           value=lambda p: p.type_label),
    # A context of their own: other apps' catalogues translate the bare words otherwise
    # ("Number" as a count, "Tags" as keywords) and the first app listed wins.
    Column("number", pgettext_lazy("order column", "Number"), "number"),
    Column("state", _("State"), "state", value=lambda p: p.state_label),
    Column("payment_status", _("Payment"), "payment_status",
           value=lambda p: p.payment_label),
    Column("customer", _("Customer"), "customer_name",
           value=lambda p: " ".join(filter(None, [p.customer_name, p.customer_email,
                                                  p.customer_phone]))),
    Column("products", _("Products")),
    Column("payment_method", _("Payment method"), "payment_method", default=False),
    Column("shipping_method", _("Shipping method"), "shipping_method", default=False),
    Column("tags", pgettext_lazy("order column", "Tags")),
    Column("operator", _("Operator"), f"operator__{get_user_model().USERNAME_FIELD}",
           value=lambda p: p.operator_name),
    Column("source", _("Source"), "source", default=False,
           value=lambda p: source_label(p.source)),
    Column("tracking", _("Tracking"), default=False),
    Column("total", _("Total"), "total", value=lambda p: p.total),
    # What the customer still owes (negative: a refund is owed); docs/payments.md.
    Column("amount_due", _("Amount due"), default=False,
           value=lambda p: amount_due(p.total, p.amount_paid, p.amount_refunded,
                                        p.payment_status)),
    # The newest payment link in words ("Sent, until …", "Expired"): read in bulk.
    Column("payment_link", _("Payment link"), default=False),
    # What an installment order's installments ask for now (docs/subscriptions.md).
    Column("installments_due", _("Installments due"), default=False,
           value=lambda p: p.installments_due),
    Column("notes", _("Notes"), "notes_count", default=False, value=lambda p: p.notes_count),
    Column("unread", _("Unread messages"), "staff_unread", default=False,
           value=lambda p: p.staff_unread),
    Column("last_activity", _("Last activity"), "last_activity_at",
           value=lambda p: p.last_activity_at),
)

BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_KEYS = [column.key for column in COLUMNS if column.default]
DEFAULT_SORT = "-placed"
#: Columns of few values whose sort shows each value's orders newest first (oldest first when
#: descending): an index on (column, -placed_at, -id) then serves the page at any size.
NEWEST_FIRST_WITHIN = ("state", "payment_status")


def columns_for(keys: Iterable[str] | None) -> list[Column]:
    """The columns named by ``keys`` in that order; unknown keys are dropped, none → default."""
    chosen = [BY_KEY[key] for key in (keys or []) if key in BY_KEY]
    return chosen or [BY_KEY[key] for key in DEFAULT_KEYS]


def ordering_for(sort: str | None) -> tuple[str, list[str]]:
    """A validated sort key (``-total``) and the ``order_by`` arguments it stands for."""
    sort = sort or DEFAULT_SORT
    descending = sort.startswith("-")
    column = BY_KEY.get(sort.lstrip("-"))
    if column is None or column.sort is None:
        return ordering_for(DEFAULT_SORT)
    prefix = "-" if descending else ""
    if column.sort in NEWEST_FIRST_WITHIN:  # (state, -placed_at, -id): read off the index
        flip = "" if descending else "-"
        return sort, [f"{prefix}{column.sort}", f"{flip}placed_at", f"{flip}pk"]
    return sort, [f"{prefix}{column.sort}", f"{prefix}pk"]
