"""A generated Shopify order export: the import tests and ``benchmarks/imports.py`` read it.

No Django imports here, so the benchmark can load it before it sets Django up.
"""

from __future__ import annotations

import csv
import io
from typing import Any

HEADERS = ["Name", "Email", "Financial Status", "Fulfillment Status", "Currency", "Subtotal",
           "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Created at",
           "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku",
           "Billing Name", "Billing Address1", "Billing City", "Billing Zip", "Billing Country",
           "Shipping Name", "Shipping Address1", "Shipping City", "Shipping Zip",
           "Shipping Country", "Shipping Phone", "Notes", "Payment Method", "Tags"]
FINANCIAL = ["paid", "paid", "paid", "pending", "refunded", "partially_refunded"]
FULFILMENT = ["fulfilled", "fulfilled", "unfulfilled", "partial"]


def generated_shopify_export(orders: int, *, customers: int) -> bytes:
    """A Shopify export of ``orders`` orders with 1–3 lines each."""
    buffer = io.StringIO()
    write_shopify_export(buffer, orders, customers=customers)
    return buffer.getvalue().encode()


def write_shopify_export(handle: Any, orders: int, *, customers: int) -> None:
    """Write the export of ``generated_shopify_export`` to a text file, row by row (a file of
    a million orders is never held in memory)."""
    writer = csv.writer(handle)
    writer.writerow(HEADERS)
    for index in range(orders):
        lines = index % 3 + 1
        customer = index % customers
        name = f"Customer{customer} Example"
        for line in range(lines):
            first = line == 0
            writer.writerow([
                f"#{100000 + index}",
                f"customer{customer}@example.com" if first else "",
                FINANCIAL[index % len(FINANCIAL)] if first else "",
                FULFILMENT[index % len(FULFILMENT)] if first else "",
                "EUR" if first else "", "30.00" if first else "", "5.00" if first else "",
                "0.00" if first else "", f"{30 * lines + 5}.00" if first else "",
                "WELCOME" if first and index % 7 == 0 else "",
                "3.00" if first and index % 7 == 0 else "",
                f"2024-0{index % 9 + 1}-1{index % 10} 10:12:33 +0100" if first else "",
                "1", f"Product {line}", "30.00", f"SKU-{line}" if line else "UNKNOWN",
                name if first else "", f"{index} Example Street" if first else "",
                "Lyon" if first else "", "69001" if first else "", "FR" if first else "",
                name if first else "", f"{index} Example Street" if first else "",
                "Lyon" if first else "", "69001" if first else "", "FR" if first else "",
                "+33 4 78 00 00 00" if first else "",
                "Leave at the door" if first and index % 5 == 0 else "",
                "Shopify Payments" if first else "", "VIP" if first and index % 4 == 0 else "",
            ])
