"""Shopify's order export: one row per line item, order fields on the order's first row.

Every header vintage is read by name (79, 75 and 71 columns, and files trimmed by hand): only
``Name`` and a line item column are required; missing price columns import as zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from oscar_orders_ext.imports.cells import split_tags
from oscar_orders_ext.imports.sources import SourceRow, SourceTable

from .base import (PAID, PARTIALLY_REFUNDED, REFUNDED, UNPAID, CellReader, FormatReader,
                   ImportedAddress, ImportedLine, ImportedOrder, ReadResult, collect_orders,
                   resolve_state, slash_order, split_name)

#: Shopify financial status → our payment status.
PAYMENT_STATUSES: dict[str, str] = {
    "paid": PAID,
    "partially_paid": UNPAID,
    "pending": UNPAID,
    "authorized": UNPAID,
    "expired": UNPAID,
    "voided": UNPAID,
    "partially_refunded": PARTIALLY_REFUNDED,
    "refunded": REFUNDED,
}
#: Shopify fulfilment status → workflow state, for orders neither cancelled nor refunded.
FULFILMENT_STATES: dict[str, str] = {
    "fulfilled": "shipped",
    "shipped": "shipped",
    "partial": "processing",
    "restocked": "returned",
}
PRICE_COLUMNS = ("total", "lineitem price")


def shopify_state(financial: str, fulfilment: str, *, cancelled: bool) -> str:
    """The workflow state of a Shopify order (see docs/imports.md)."""
    if financial == "refunded":
        return resolve_state("refunded")
    if cancelled or financial == "voided":
        return resolve_state("cancelled")
    if fulfilment in FULFILMENT_STATES:
        return resolve_state(FULFILMENT_STATES[fulfilment])
    if financial in ("pending", "authorized", "partially_paid", "expired"):
        return resolve_state("awaiting_payment")
    return resolve_state("processing")


class ShopifyReader(FormatReader):
    name = "shopify"
    label = "Shopify"
    signature = (("name",), ("lineitem name", "lineitem quantity", "lineitem sku"),
                 ("financial status", "fulfillment status", "created at"))
    required = ("name", "created at")

    def iter_orders(self, table: SourceTable, result: ReadResult) -> Iterator[ImportedOrder]:
        """Group rows by order name and read each group."""
        missing_prices = [column for column in PRICE_COLUMNS if column not in table.headers]
        if missing_prices:
            result.warnings.append(
                _("The file has no %(columns)s column: amounts are imported as 0.")
                % {"columns": ", ".join(f"“{column}”" for column in missing_prices)})
        day_first = slash_order(table.values("created at"), default_day_first=True)
        return collect_orders(result, table.rows, "name",
                              lambda number, rows, cells: self._order(number, rows, cells,
                                                                      day_first=day_first))

    def _order(self, name: str, rows: list[SourceRow], cells: CellReader, *,
               day_first: bool) -> ImportedOrder:
        first = rows[0]
        first_cells = first.cells
        others = rows[1:]

        def order_field(column: str) -> str:
            """Order fields are on the first row; hand-edited files sometimes repeat them."""
            value = first_cells.get(column)
            if value or not others:
                return value or ""
            return next((value for row in others if (value := row.cells.get(column))), "")

        financial = order_field("financial status").casefold()
        fulfilment = order_field("fulfillment status").casefold()
        cancelled = bool(order_field("cancelled at"))
        placed_at = cells.when(first, "created at", day_first=day_first)
        email = order_field("email").strip().lower()
        billing = _address(first, "billing")
        shipping = _address(first, "shipping")
        first_name, last_name = billing.first_name, billing.last_name
        if not (first_name or last_name):
            first_name, last_name = shipping.first_name, shipping.last_name
        order = ImportedOrder(
            source=self.source,
            number=name.lstrip("#").strip(),
            placed_at=placed_at,
            currency=(order_field("currency") or settings.OSCAR_DEFAULT_CURRENCY).upper(),
            state=shopify_state(financial, fulfilment, cancelled=cancelled),
            payment_status=PAYMENT_STATUSES.get(financial, UNPAID),
            total=cells.amount(first, "total"),
            subtotal=cells.money(first, "subtotal", default=None),
            shipping=cells.amount(first, "shipping"),
            discount=cells.amount(first, "discount amount"),
            discount_code=order_field("discount code"),
            tax=cells.amount(first, "taxes"),
            payment_method=order_field("payment method"),
            shipping_method=order_field("shipping method"),
            financial_status=financial,
            fulfilment_status=fulfilment,
            email=email,
            first_name=first_name,
            last_name=last_name,
            phone=order_field("phone") or billing.phone or shipping.phone,
            billing=billing,
            shipping_address=shipping,
            notes=order_field("notes"),
            tags=split_tags(order_field("tags")),
            rows=[row.number for row in rows],
        )
        for row in rows:
            title, sku = row.cells.get("lineitem name", ""), row.cells.get("lineitem sku", "")
            if not (title or sku):
                continue
            order.lines.append(ImportedLine(
                title=title or sku,
                quantity=cells.quantity(row, "lineitem quantity"),
                unit_price=cells.amount(row, "lineitem price"),
                sku=sku,
                row=row.number))
        if "total" not in first.cells and order.lines:
            order.total = sum((line.total for line in order.lines), Decimal("0.00"))
        return order


def _address(row: SourceRow, prefix: str) -> ImportedAddress:
    cells = row.cells
    first_name, last_name = split_name(cells.get(f"{prefix} name", ""))
    return ImportedAddress(
        first_name=first_name, last_name=last_name,
        company=cells.get(f"{prefix} company", ""),
        line1=cells.get(f"{prefix} address1") or cells.get(f"{prefix} street", ""),
        line2=cells.get(f"{prefix} address2", ""),
        city=cells.get(f"{prefix} city", ""),
        state=cells.get(f"{prefix} province name") or cells.get(f"{prefix} province", ""),
        postcode=cells.get(f"{prefix} zip", "").lstrip("'"),
        country=cells.get(f"{prefix} country", ""),
        phone=cells.get(f"{prefix} phone", "").lstrip("'"),
    )
