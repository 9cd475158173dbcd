"""WooCommerce order exports: one row per line item, order totals on the order's first row.

Columns are WooCommerce's meta keys (``order_number``, ``billing_first_name``…) or the
"Order Export" plugin's titles ("Order Number", "Billing First Name"…): both are matched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from oscar_orders_ext.imports.cells import split_tags
from oscar_orders_ext.imports.sources import SourceRow, SourceTable

from .base import (PAID, REFUNDED, UNPAID, ZERO, CellReader, FormatReader, ImportedAddress,
                   ImportedLine, ImportedOrder, ReadResult, collect_orders, resolve_state,
                   slash_order)

#: WooCommerce status (without "wc-") → (workflow state, payment status).
STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("awaiting_payment", UNPAID),
    "failed": ("awaiting_payment", UNPAID),
    "on-hold": ("on_hold", UNPAID),
    "processing": ("processing", PAID),
    "completed": ("completed", PAID),
    "cancelled": ("cancelled", UNPAID),
    "refunded": ("refunded", REFUNDED),
    "checkout-draft": ("new", UNPAID),
    "draft": ("new", UNPAID),
}

#: Our name for a column → the names WooCommerce exports use for it (after normalising).
ALIASES: dict[str, tuple[str, ...]] = {
    "order_number": ("order_number", "order number", "order id", "order_id"),
    "order_date": ("order_date", "order date", "date_created"),
    "status": ("status", "order status", "order_status"),
    "currency": ("order_currency", "order currency", "currency"),
    "total": ("order_total", "order total", "order total amount"),
    "shipping_total": ("shipping_total", "order shipping amount", "shipping total",
                       "order_shipping"),
    "tax_total": ("tax_total", "order total tax amount", "order_tax", "tax total"),
    "discount_total": ("discount_total", "cart discount amount", "cart_discount",
                       "discount total"),
    "coupon": ("coupon_code", "coupon code", "coupons", "coupon"),
    "payment_method": ("payment_method_title", "payment method title", "payment_method",
                       "payment method"),
    "shipping_method": ("shipping_method_title", "shipping method title", "shipping method"),
    "email": ("customer_email", "billing_email", "customer email", "billing email"),
    "note": ("customer_note", "customer note", "customer provided note"),
    "product": ("product_name", "item name", "product name", "item_name"),
    "sku": ("sku", "item sku", "product sku"),
    "quantity": ("quantity", "item quantity", "qty", "quantity (- refund)"),
    "item_total": ("item_total", "item cost", "item total", "line_total"),
    "item_price": ("item_price", "item price", "product price"),
    "tags": ("order_tags", "tags"),
}


def _column(headers: set[str], key: str) -> str:
    """The file's name for one of our columns (the first alias present), else ""."""
    return next((alias for alias in ALIASES.get(key, (key,)) if alias in headers), "")


class WooCommerceReader(FormatReader):
    name = "woocommerce"
    label = "WooCommerce"
    signature = (ALIASES["order_number"], ALIASES["status"],
                 ("billing_first_name", "billing first name", "billing_email", "billing email"))
    required = ()

    def missing_columns(self, headers: list[str] | set[str]) -> list[str]:  # type: ignore[override]
        """The order number and the order date are required under any of their names."""
        present = set(headers)
        return [ALIASES[key][0] for key in ("order_number", "order_date")
                if not _column(present, key)]

    def iter_orders(self, table: SourceTable, result: ReadResult) -> Iterator[ImportedOrder]:
        """Group rows by order number and read each group."""
        headers = set(table.headers)
        columns = {key: _column(headers, key) for key in ALIASES}
        day_first = slash_order(table.values(columns["order_date"]), default_day_first=False)
        return collect_orders(result, table.rows, columns["order_number"],
                              lambda number, rows, cells: self._order(
                                  number, rows, columns, cells, day_first=day_first))

    def _order(self, number: str, rows: list[SourceRow], columns: dict[str, str],
               cells: CellReader, *, day_first: bool) -> ImportedOrder:
        first = rows[0]

        def cell(key: str) -> str:
            column = columns.get(key) or key
            return next((row.get(column) for row in rows if row.get(column)), "")

        def money(key: str) -> Decimal:
            return cells.amount(first, columns[key]) if columns[key] else ZERO

        status = cell("status").casefold().removeprefix("wc-")
        if status and status not in STATUSES:
            cells.problem(first, columns["status"], _("Unknown order status “%(status)s”.")
                          % {"status": status})
        state, payment_status = STATUSES.get(status, ("new", UNPAID))
        placed_at = cells.when(first, columns["order_date"], day_first=day_first)
        billing = _address(cell, "billing")
        shipping = _address(cell, "shipping")
        order = ImportedOrder(
            source=self.source, number=number.lstrip("#").strip(), placed_at=placed_at,
            currency=(cell("currency") or settings.OSCAR_DEFAULT_CURRENCY).upper(),
            state=resolve_state(state), payment_status=payment_status,
            total=money("total"), shipping=money("shipping_total"),
            discount=money("discount_total"), discount_code=cell("coupon"),
            tax=money("tax_total"), payment_method=cell("payment_method"),
            shipping_method=cell("shipping_method"), financial_status=status,
            email=cell("email").lower(), first_name=billing.first_name or shipping.first_name,
            last_name=billing.last_name or shipping.last_name,
            phone=billing.phone or shipping.phone, billing=billing, shipping_address=shipping,
            notes=cell("note"), tags=split_tags(cell("tags")), rows=[row.number for row in rows])
        for row in rows:
            title = row.get(columns["product"]) if columns["product"] else ""
            sku = row.get(columns["sku"]) if columns["sku"] else ""
            if not (title or sku):
                continue
            quantity = cells.quantity(row, columns["quantity"]) if columns["quantity"] else 1
            line_total = (cells.money(row, columns["item_total"], default=None)
                          if columns["item_total"] else None)
            unit = (cells.money(row, columns["item_price"], default=None)
                    if columns["item_price"] else None)
            if unit is None:
                unit = ((line_total or ZERO) / quantity).quantize(Decimal("0.01"))
            order.lines.append(ImportedLine(title=title or sku, quantity=quantity,
                                            unit_price=unit, sku=sku, row=row.number,
                                            line_price=line_total))
        return order


def _address(cell: Callable[[str], str], prefix: str) -> ImportedAddress:
    def field(name: str) -> str:
        return cell(f"{prefix}_{name}") or cell(f"{prefix} {name.replace('_', ' ')}")

    return ImportedAddress(
        first_name=field("first_name"), last_name=field("last_name"), company=field("company"),
        line1=field("address_1"), line2=field("address_2"), city=field("city"),
        state=field("state"), postcode=field("postcode"), country=field("country"),
        phone=field("phone"))
