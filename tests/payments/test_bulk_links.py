"""Bulk "Send payment links": every selected order that owes money gets a link by email;
paid orders are refused and listed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from oscar_orders_ext.models import OrderProcess, PaymentLink
from oscar_orders_ext.payments import service

from ..dashboard.conftest import WORKSPACE_EDITOR
from ..dashboard.test_bulk import bulk_form, submit

pytestmark = pytest.mark.django_db


def test_bulk_send_payment_links(django_app: Any, make_staff: Any, place_order: Any,
                                 django_capture_on_commit_callbacks: Any) -> None:
    cashier = make_staff("bulk-cashier", [*WORKSPACE_EDITOR, "send_payment_link"])
    unpaid = [place_order(quantity=1, guest_email=f"c{i}@example.com") for i in range(2)]
    paid = place_order(quantity=1, guest_email="paid@example.com")
    service.record_offline_payment(paid, paid.total_incl_tax, "Cash")
    processes = list(OrderProcess.objects.filter(order__in=[*unpaid, paid]))
    form = bulk_form(django_app, cashier)
    assert "send_payment_links" in [value for value, *_ in form["action"].options]
    with django_capture_on_commit_callbacks(execute=True):
        page = submit(form, selected=processes, action="send_payment_links")
    page = page.follow() if page.status_code == 302 else page  # refusals: the report page
    assert set(PaymentLink.objects.values_list("order_id", flat=True)) == {o.pk for o in unpaid}
    assert sorted(m.to[0] for m in mail.outbox) == ["c0@example.com", "c1@example.com"]
    assert str(paid.number) in page.text and "nothing left to pay" in page.text
