"""Etsy's "Sold orders" file (EtsySoldOrders*.csv): one row per order, no line items.

The file has no item titles and no email address: each order gets one line (the SKU when the
order holds a single one) and no customer account. Dates are US style (MM/DD/YY or MM/DD/YYYY).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from oscar_orders_ext.imports.sources import SourceRow, SourceTable

from .base import (PAID, PARTIALLY_REFUNDED, REFUNDED, UNPAID, ZERO, CellReader, FormatReader,
                   ImportedAddress, ImportedLine, ImportedOrder, ReadResult, collect_orders,
                   resolve_state, slash_order, split_name)

#: Etsy's "Status" column (often empty) → (workflow state, payment status).
STATUSES: dict[str, tuple[str, str]] = {
    "canceled": ("cancelled", UNPAID),
    "cancelled": ("cancelled", UNPAID),
    "refunded": ("refunded", REFUNDED),
    "fully refunded": ("refunded", REFUNDED),
    "partially refunded": ("shipped", PARTIALLY_REFUNDED),
    "completed": ("completed", PAID),
    "complete": ("completed", PAID),
}


def etsy_state(status: str, *, shipped: bool, order_total: Decimal,
               adjusted_total: Decimal) -> tuple[str, str]:
    """(state, payment status) of an Etsy order: its status, else shipped or not, refunds."""
    if status in STATUSES:
        state, payment = STATUSES[status]
        return resolve_state(state), payment
    # Etsy fills the "Adjusted" amounts only after a refund.
    payment = PARTIALLY_REFUNDED if ZERO < adjusted_total < order_total else PAID
    return resolve_state("shipped" if shipped else "processing"), payment


class EtsyReader(FormatReader):
    name = "etsy"
    label = "Etsy"
    signature = (("sale date",), ("order id",), ("order value", "order total"))
    required = ("sale date", "order id")

    def iter_orders(self, table: SourceTable, result: ReadResult) -> Iterator[ImportedOrder]:
        """One order per row (a row repeating an order id is a row error)."""
        day_first = slash_order(table.values("sale date"), default_day_first=False)
        return collect_orders(result, table.rows, "order id",
                              lambda number, rows, cells: self._order(number, rows, cells,
                                                                      day_first=day_first))

    def _order(self, number: str, rows: list[SourceRow], cells: CellReader, *,
               day_first: bool) -> ImportedOrder:
        row = rows[0]
        for repeated in rows[1:]:  # Etsy writes one row per order: a repeat is a mistake
            cells.problem(repeated, "order id", _(
                "Order id “%(number)s” appears again: it was first read in row %(row)d.")
                % {"number": number[:64], "row": row.number})
        placed_at = cells.when(row, "sale date", day_first=day_first)
        shipped = bool(row.get("date shipped"))
        value = cells.amount(row, "order value")
        total = cells.amount(row, "order total")
        adjusted = cells.amount(row, "adjusted order total")
        state, payment_status = etsy_state(row.get("status").casefold(), shipped=shipped,
                                           order_total=total, adjusted_total=adjusted)
        first_name, last_name = row.get("first name"), row.get("last name")
        if not (first_name or last_name):
            first_name, last_name = split_name(row.get("full name"))
        first_name, last_name = first_name.strip(), last_name.strip()
        address = ImportedAddress(
            first_name=first_name, last_name=last_name, line1=row.get("street 1"),
            line2=row.get("street 2"), city=row.get("ship city"), state=row.get("ship state"),
            postcode=row.get("ship zipcode"), country=row.get("ship country"))
        discount = cells.amount(row, "discount amount") + cells.amount(row, "shipping discount")
        order = ImportedOrder(
            source=self.source, number=number.strip(), placed_at=placed_at,
            currency=(row.get("currency") or settings.OSCAR_DEFAULT_CURRENCY).upper(),
            state=state, payment_status=payment_status, total=total, subtotal=value,
            shipping=cells.amount(row, "shipping"), discount=discount,
            discount_code=row.get("coupon code"), tax=cells.amount(row, "sales tax"),
            payment_method=row.get("payment method"), financial_status=row.get("status"),
            fulfilment_status="shipped" if shipped else "", first_name=first_name,
            last_name=last_name, billing=address, shipping_address=address,
            rows=[each.number for each in rows])
        quantity = cells.quantity(row, "number of items")
        skus = [sku.strip() for sku in row.get("sku").split(",") if sku.strip()]
        order.lines.append(ImportedLine(
            title=_("Etsy order %(number)s (%(count)s items)")
            % {"number": number, "count": quantity},
            quantity=quantity, unit_price=(value / quantity).quantize(Decimal("0.01")),
            sku=skus[0] if len(skus) == 1 else "", row=row.number, line_price=value))
        return order
