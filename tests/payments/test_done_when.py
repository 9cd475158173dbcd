"""Issue 19's "done when": a merchant sends a link, the customer pays it (dummy provider), the
merchant refunds part of it with a credit note, and Oscar's own order page shows the same money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from oscar_orders_ext.documents.service import issue_invoice
from oscar_orders_ext.models import IssuedDocument, OrderProcess, PaymentLink
from oscar_orders_ext.payments import service

from ..documents.conftest import IDENTITY
from .conftest import pay_link
from .test_payment_service import assert_consistent

pytestmark = pytest.mark.django_db


def test_link_paid_then_part_refunded_with_a_credit_note_oscar_agrees(
        django_app: Any, client: Any, settings: Any, tmp_path: Any, cashier: Any,
        guest_order: Any) -> None:
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = IDENTITY
    settings.MEDIA_ROOT = str(tmp_path / "media")
    page_url = reverse("oscar_orders_ext_dashboard:orders-workspace-order",
                       kwargs={"number": guest_order.number})
    page = django_app.get(page_url + "?open=payment_link_form", user=cashier)
    form = page.forms[next(k for k, f in page.forms.items() if f.action.endswith("/payment-link/"))]
    form.submit().follow()
    pay_link(client, PaymentLink.objects.get(order=guest_order))  # the customer, as a guest
    issue_invoice(guest_order)

    page = django_app.get(page_url + "?open=refund_form", user=cashier)
    form = page.forms[next(k for k, f in page.forms.items() if f.action.endswith("/refund/"))]
    form["amount"] = "5.00"
    page = form.submit().follow()
    assert "Credit note" in page.text and "payment provider" in page.text
    credit = IssuedDocument.objects.get(order=guest_order, kind="credit_note")
    assert credit.total == Decimal("-5.00")
    process = assert_consistent(guest_order)
    paid = guest_order.total_incl_tax - 5
    assert process.amount_paid == paid and process.amount_due == 0
    assert page.pyquery(".ooe-payment-balance").text().count("5.00")

    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    oscar_page = django_app.get(reverse("dashboard:order-detail",
                                        kwargs={"number": guest_order.number}), user=boss)
    # Oscar's payment tab: the source's debited and refunded amounts are ours.
    rows = [[cell.text() for cell in row.find("td").items()]
            for row in oscar_page.pyquery("tr").items()]
    source_row = next(row for row in rows if len(row) == 5 and row[0] == "Dummy")
    assert f"{guest_order.total_incl_tax:.2f}" in source_row[2] and "5.00" in source_row[3]
    assert OrderProcess.objects.get(order=guest_order).payment_status == "partially_refunded"


def test_an_edit_of_an_invoiced_paid_order_says_the_invoice_is_behind(
        django_app: Any, client: Any, settings: Any, tmp_path: Any, cashier: Any,
        guest_order: Any, django_capture_on_commit_callbacks: Any) -> None:
    from oscar_orders_ext.services.line_edits import apply_line_edit

    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = IDENTITY
    settings.MEDIA_ROOT = str(tmp_path / "media")
    pay_link(client, service.send_payment_link(guest_order, notify=False))
    issue_invoice(guest_order)
    page_url = reverse("oscar_orders_ext_dashboard:orders-workspace-order",
                       kwargs={"number": guest_order.number})
    assert not django_app.get(page_url, user=cashier).pyquery(".ooe-invoice-behind")
    line = guest_order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        apply_line_edit(guest_order, {line.pk: 3})
    page = django_app.get(page_url, user=cashier)
    assert "credit the invoice" in page.pyquery(".ooe-invoice-behind").text()
    assert page.pyquery(".ooe-amount-due")  # and a link for the difference can be sent
    assert page.pyquery("#ooe-payment-link-box")
