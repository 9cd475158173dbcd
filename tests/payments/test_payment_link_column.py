"""The "Payment link" column: each order's newest link in words, in both skins' table and in
exports, read in bulk (a constant number of queries however many orders)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

import oscar_orders_ext.exports.service as exports
from oscar_orders_ext.models import PaymentLink, PaymentLinkStatus
from oscar_orders_ext.payments import service

pytestmark = pytest.mark.django_db

NAMESPACES = ["oscar_orders_ext_dashboard",
              pytest.param("oscar_orders_ext_wagtail", marks=pytest.mark.wagtail)]


@pytest.fixture
def orders(place_order: Any) -> dict[str, Any]:
    """An order without a link, and one whose newest link is sent, expired, paid, superseded."""
    made = {name: place_order(guest_email=f"{name}@example.com")
            for name in ("none", "sent", "expired", "paid", "superseded")}
    for name in ("expired", "paid", "superseded"):
        service.send_payment_link(made[name], notify=False)
    service.expire_payment_links(timezone.now() + timedelta(days=30))
    for name in ("sent", "paid", "superseded"):  # a newer link: the column shows this one
        service.send_payment_link(made[name], notify=False)
    PaymentLink.objects.filter(order=made["paid"], status=PaymentLinkStatus.ACTIVE).update(
        status=PaymentLinkStatus.PAID, paid_at=timezone.now())
    PaymentLink.objects.filter(order=made["superseded"], status=PaymentLinkStatus.ACTIVE
                               ).update(status=PaymentLinkStatus.SUPERSEDED)
    return made


def expected(orders: dict[str, Any]) -> dict[str, str]:
    until = PaymentLink.objects.get(order=orders["sent"]).expires_at
    sent = "Sent, until " + date_format(timezone.localtime(until), "SHORT_DATE_FORMAT")
    return {str(orders[name].number): text for name, text in (
        ("none", ""), ("sent", sent), ("expired", "Expired"), ("paid", "Paid"),
        ("superseded", "Superseded"))}


def table_user(namespace: str, viewer: Any, make_staff: Any) -> Any:
    if namespace.endswith("wagtail"):
        user = make_staff("wagtail_viewer", ["view_orderprocess"])
        user.is_superuser = True
        user.save()
        return user
    return viewer


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_both_tables_show_the_newest_link_in_words(django_app: Any, viewer: Any,
                                                  make_staff: Any, orders: dict[str, Any],
                                                  namespace: str) -> None:
    url = reverse(f"{namespace}:orders-workspace")
    user = table_user(namespace, viewer, make_staff)
    page = django_app.get(url, user=user)
    assert not page.pyquery("td.ooe-cell-payment_link")  # not shown by default...
    choice = page.pyquery('#ooe-columns-form li[data-key="payment_link"]')
    assert choice.find("label").text().strip() == "Payment link"  # ...but offered by the column picker
    assert not choice.find("input").attr("checked")
    page = django_app.get(url + "?columns=number,payment_link", user=user)
    shown = {row.find("td.ooe-cell-number").text().strip():
             row.find("td.ooe-cell-payment_link").text().strip()
             for row in page.pyquery("#ooe-table tbody tr[data-order]").items()}
    assert shown == {number: text or "—" for number, text in expected(orders).items()}


def test_the_table_reads_links_in_one_query_however_many_orders(
        django_app: Any, viewer: Any, place_order: Any, orders: dict[str, Any]) -> None:
    url = reverse("oscar_orders_ext_dashboard:orders-workspace") + "?columns=number,payment_link"
    django_app.get(url, user=viewer)  # warm caches (session, permissions, labels)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            django_app.get(url, user=viewer)
        return len(captured)

    few = queries()
    for index in range(4):
        service.send_payment_link(place_order(guest_email=f"more{index}@example.com"),
                                  notify=False)
    assert queries() == few


def csv_rows(columns: list[str]) -> list[list[str]]:
    target = io.BytesIO()
    exports.write_export(exports.ExportOptions(format="csv", columns=columns), None, target)
    return list(csv.reader(io.StringIO(target.getvalue().decode("utf-8-sig"))))


def test_the_csv_export_carries_the_link(orders: dict[str, Any]) -> None:
    rows = csv_rows(["number", "payment_link"])
    assert rows[0] == ["Number", "Payment link"]
    assert dict(rows[1:]) == expected(orders)


def test_the_export_reads_links_once_per_chunk(place_order: Any, orders: dict[str, Any],
                                               monkeypatch: Any) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            csv_rows(["number", "payment_link"])
        return len(captured)

    few = queries()
    for index in range(4):
        service.send_payment_link(place_order(guest_email=f"more{index}@example.com"),
                                  notify=False)
    assert queries() == few
    original = exports.chunked
    monkeypatch.setattr(exports, "chunked",
                        lambda queryset, **kwargs: original(queryset, 3, **kwargs))
    with CaptureQueriesContext(connection) as captured:
        assert len(csv_rows(["number", "payment_link"])) == 1 + 9
    # 9 orders: three full chunks cost what the single one did, plus the read that finds no more.
    assert len(captured) == 3 * few + 1


@pytest.mark.parametrize(("language", "words"), [
    ("it", {"Payment link": "Link di pagamento", "Expired": "Scaduto", "Paid": "Pagato",
            "Superseded": "Sostituito", "Sent": "Inviato, valido fino al"}),
    ("fr", {"Payment link": "Lien de paiement", "Expired": "Expiré", "Paid": "Payé",
            "Superseded": "Remplacé", "Sent": "Envoyé, valable jusqu'au"})])
def test_an_export_in_italian_or_french_says_it_in_that_language(
        orders: dict[str, Any], language: str, words: dict[str, str]) -> None:
    target = io.BytesIO()
    exports.write_export(exports.ExportOptions(format="csv", columns=["number", "payment_link"],
                                               language=language), None, target)
    header, *lines = target.getvalue().decode("utf-8-sig").splitlines()
    assert words["Payment link"] in header
    text = "\n".join(lines)
    for english in ("Expired", "Paid", "Superseded", "Sent"):
        assert words[english] in text
