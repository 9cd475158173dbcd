"""Child process of ``export.py``: one measurement, printed as JSON (rows, seconds, peak MB).

    python benchmarks/_measure_export.py MODE LIMIT

MODE: ours-xlsx, ours-csv, raw-xlsx, raw-csv, oscar-csv. Runs with the sandbox settings and
the DATABASE_URL of the benchmark database.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

from oscar_orders_ext.columns import COLUMNS  # noqa: E402
from oscar_orders_ext.exports.service import ExportOptions, write_export  # noqa: E402
from oscar_orders_ext.models import OrderProcess  # noqa: E402

ALL_COLUMNS = [column.key for column in COLUMNS]


def raw_rows(count: int) -> list[list[Any]]:
    """Synthetic rows shaped like ours, built up front (not timed): the same 17 cells as an
    export of every column (16 columns, the total followed by its currency), the same types
    (two dates, a decimal total, an integer), strings of similar length."""
    now = datetime(2026, 1, 1, 9, 30)
    return [[now, "Standard", f"D{i:08d}", "New", "Paid",
             f"Customer {i} c{i}@example.com +44 20 7946 0000", "2 × Espresso cup; 1 × Mug",
             "Card", "Standard", "VIP, Follow-up", "operator", "web", "", Decimal("12.50"),
             "EUR", 0, now] for i in range(count)]


RAW_HEADER = ["Created", "Type", "Number", "State", "Payment", "Customer", "Products",
              "Payment method", "Shipping method", "Tags", "Operator", "Source", "Tracking",
              "Total", "Currency", "Notes", "Last activity"]
TOTAL = RAW_HEADER.index("Total")


def measure(mode: str, limit: int) -> tuple[int, float]:
    sink = io.BytesIO()
    if mode.startswith("ours-"):
        fmt = mode.split("-")[1]
        selected: list[int] = []
        if limit < OrderProcess.objects.count():  # a slice of the newest orders
            selected = list(OrderProcess.objects.order_by("-placed_at")
                            .values_list("pk", flat=True)[:limit])
        options = ExportOptions(format=fmt, columns=ALL_COLUMNS, selected=selected)
        started = time.perf_counter()
        rows = write_export(options, None, sink)
        return rows, time.perf_counter() - started
    if mode == "raw-xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        rows = raw_rows(limit)
        started = time.perf_counter()
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Orders")
        bold = Font(bold=True)
        header = []
        for name in RAW_HEADER:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:  # the total as a number with a currency format, as ours writes it
            total = WriteOnlyCell(sheet, value=row[TOTAL])
            total.number_format = '#,##0.00 "€"'
            row[TOTAL] = total
            sheet.append(row)
        workbook.save(sink)
        return limit, time.perf_counter() - started
    if mode == "raw-csv":
        rows = raw_rows(limit)
        text = io.TextIOWrapper(sink, encoding="utf-8")
        started = time.perf_counter()
        writer = csv.writer(text)
        writer.writerow(RAW_HEADER)
        writer.writerows(rows)
        text.flush()
        return limit, time.perf_counter() - started
    if mode == "oscar-csv":
        order_ids = list(get_model("order", "Order").objects.order_by("-date_placed")
                         .values_list("pk", flat=True)[:limit])
        client = Client()
        client.force_login(get_user_model().objects.get(username="demo"))
        started = time.perf_counter()
        response = client.post("/dashboard/orders/", {"action": "download_selected_orders",
                                                      "selected_order": order_ids})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        return body.count(b"\n") - 1, elapsed
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    rows, seconds = measure(sys.argv[1], int(sys.argv[2]))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb}))
