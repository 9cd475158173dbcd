"""Italian and French: the customer's language for what the customer receives, the user's for
what the user reads, and our own exports read back whatever language wrote them."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import translation

from oscar_orders_ext.documents.service import render_document
from oscar_orders_ext.exports.service import ExportOptions, write_export
from oscar_orders_ext.imports.service import plan_import
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.services.notifications import send_state_email
from oscar_orders_ext.services.processes import order_source

from .dashboard.conftest import ws_url
from .documents.conftest import make_order, pdf_text, shop_identity  # noqa: F401 (fixtures)
from .factories import bulk_orders

pytestmark = pytest.mark.django_db


def test_an_order_placed_in_italian_records_italian(place_order):
    with translation.override("it"):
        order = place_order()
    assert OrderProcess.objects.get(order=order).language == "it"


def test_an_order_entered_by_staff_records_no_language(place_order):
    # The operator's language is not the customer's: the shop's default applies.
    with translation.override("fr"), order_source("manual"):
        order = place_order()
    assert OrderProcess.objects.get(order=order).language == ""


def test_the_state_email_is_in_the_customers_language_not_the_operators(place_order):
    with translation.override("fr"):
        order = place_order(guest_email="claire@example.com")
    with translation.override("it"):  # an Italian operator moves it
        assert send_state_email(order.pk, "processing")
    (message,) = mail.outbox
    assert message.subject == f"Votre commande {order.number}\u00a0: En cours"
    assert "votre commande" in message.body and "Your order" not in message.body


def test_a_document_prints_amounts_and_labels_in_the_customers_locale(make_order):
    order = make_order(quantity=1, price="1234.50")
    OrderProcess.objects.filter(order=order).update(language="fr")
    text = pdf_text(render_document("order_summary", order).pdf)
    assert "Récapitulatif de\ncommande" in text and "Passée le" in text
    # The state, not Oscar's status; "Status" is Wagtail's "Statut" where Wagtail is listed
    # before the app (tests/settings.py), ours ("État") elsewhere.
    assert re.search(r"(Statut|État): Nouveau", text) and "Pending" not in text
    assert "Total 1\u202f234,50\u00a0€" in text  # as Oscar formats it (Babel)

    OrderProcess.objects.filter(order=order).update(language="it")
    with translation.override("fr"):  # whoever prints it
        text = pdf_text(render_document("order_summary", order).pdf)
    assert "Riepilogo ordine" in text and "Totale 1.234,50\u00a0€" in text


def _export_csv(columns: list[str]) -> list[list[str]]:
    target = io.BytesIO()
    write_export(ExportOptions(format="csv", columns=columns), None, target)
    return list(csv.reader(io.StringIO(target.getvalue().decode("utf-8-sig"))))


def test_an_export_speaks_the_exporting_users_language():
    bulk_orders(1, prefix="IT")
    with translation.override("it"):
        header, row = _export_csv(["number", "state", "payment_status", "tags"])
    assert header == ["Numero", "Stato", "Pagamento", "Etichette"]
    assert row[1:3] == ["Nuovo", "Non pagato"]


@pytest.mark.parametrize(("writer", "reader"), [("it", "fr"), ("fr", "en"), ("en", "it")])
def test_our_export_is_read_back_whatever_language_wrote_or_reads_it(writer, reader):
    bulk_orders(1, prefix="RT")
    with translation.override(writer):
        header, row = _export_csv(["number", "state", "tags"])
        row[1] = str(_label_of("processing"))
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, row])
    with translation.override(reader):
        plan = plan_import(buffer.getvalue().encode(), "orders.csv")
    assert plan.reader.name == "native" and not plan.errors
    (update,) = plan.updates
    assert [(change.field, change.new) for change in update.changes] == [
        ("state", "processing")]


def _label_of(state: str) -> Any:
    from oscar_orders_ext.workflow import get_workflow

    return get_workflow().get_state(state).label


def test_the_javascript_catalogue_serves_the_users_language(django_app, operator):
    response = django_app.get(ws_url("orders-jsi18n"), user=operator,
                              headers={"Accept-Language": "it"})
    assert "Copiato" in response.text
    assert "Copied" in response.text  # the msgid, as the key


def test_the_order_lines_button_reads_righe_in_italian(admin_client, make_order) -> None:
    make_order()
    with translation.override("it"):
        page = admin_client.get("/dashboard/workspace/", HTTP_ACCEPT_LANGUAGE="it")
    # Oscar's Italian catalogue, read before ours, says "Righi" for "Lines".
    assert ">Righe</a>" in page.content.decode() and "Righi" not in page.content.decode()
