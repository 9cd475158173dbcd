"""The table's "Amount due" column (total less paid) in the workspace and in exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from oscar_orders_ext.payments import service

from ..dashboard.conftest import ws_url

pytestmark = pytest.mark.django_db


def test_amount_due_shows_in_the_table_and_the_export(django_app: Any, viewer: Any,
                                                      guest_order: Any) -> None:
    service.record_offline_payment(guest_order, "5.00", "Cash")
    due = guest_order.total_incl_tax - 5
    page = django_app.get(ws_url("orders-workspace") + "?columns=number,amount_due",
                          user=viewer)
    cells = [cell.text() for cell in page.pyquery("td").items()]
    assert any(f"{due:.2f}" in cell for cell in cells), cells
    response = django_app.get(ws_url("orders-workspace-export")
                              + "?format=csv&columns=number,amount_due", user=viewer)
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8").lstrip("\ufeff"))))
    assert rows[0][:2] == ["Number", "Amount due"]
    assert rows[1][1] == f"{due:.2f}"
