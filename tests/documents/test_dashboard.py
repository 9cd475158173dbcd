"""The documents pages of the dashboard: printing, issuing, emailing, permissions, bulk print."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_orders_ext.models import ExportJob, IssuedDocument, OrderProcess, ShopIdentity

from ..dashboard.conftest import WORKSPACE_EDITOR, WORKSPACE_VIEWER, ws_url
from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access
from .conftest import pdf_pages, pdf_text

Partner = get_model("partner", "Partner")

pytestmark = pytest.mark.django_db
ACCOUNTANT = [*WORKSPACE_EDITOR, "issue_invoice", "issue_credit_note", "send_invoice"]


@pytest.fixture
def accountant(make_staff: Any) -> Any:
    return make_staff("accountant", ACCOUNTANT)


def documents_page(django_app: Any, user: Any, order: Any) -> Any:
    return django_app.get(ws_url("orders-document-list", number=order.number), user=user)


def test_an_accountant_issues_emails_and_credits_an_invoice(django_app, accountant, make_order):
    order = make_order()
    page = documents_page(django_app, accountant, order)
    page = page.forms["ooe-issue-invoice"].submit().follow()
    invoice = IssuedDocument.objects.get(order=order)
    assert f"Invoice {invoice.number} issued." in page.text
    assert invoice.issued_by == accountant
    assert "ooe-issue-invoice" not in page.forms  # the service would refuse a second one

    pdf = django_app.get(ws_url("orders-document-download", number=order.number,
                                pk=invoice.pk), user=accountant)
    assert pdf.content_type == "application/pdf"
    assert pdf.body == invoice.file.open("rb").read() and invoice.file.close() is None
    assert invoice.number in pdf_text(pdf.body)

    email_form = [f for f in page.forms.values() if "email" in (f.action or "")][0]
    page = email_form.submit().follow()
    assert "sent to maria@example.com" in page.text
    assert mail.outbox[0].attachments[0][2] == "application/pdf"

    credit_page = page.click("Issue credit note")
    credit_form = credit_page.forms["ooe-credit-note-form"]
    credit_form["reason"] = "Returned"
    page = credit_form.submit().follow()
    credit = IssuedDocument.objects.get(order=order, kind="credit_note")
    assert f"Credit note {credit.number} issued." in page.text
    assert "Issue credit note" not in page.text  # fully credited
    assert "ooe-issue-invoice" in page.forms  # and it can be invoiced again


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_credit_above_what_is_open_is_refused_with_the_form(django_app, accountant,
                                                               make_order, namespace):
    from oscar_orders_ext.documents.service import issue_invoice

    order = make_order()
    invoice = issue_invoice(order)
    url = reverse(f"{namespace}:orders-document-credit-note",
                  kwargs={"number": order.number, "pk": invoice.pk})
    form = django_app.get(url, user=with_wagtail_access(accountant)).forms[
        "ooe-credit-note-form"]
    form["reason"], form["amount"] = "Too much", "999"
    response = form.submit(status=400)
    assert "at most" in response.text
    assert not IssuedDocument.objects.filter(kind="credit_note").exists()


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4", "receipt_80mm"])
def test_a_viewer_prints_documents(django_app, viewer, make_order, kind):
    order = make_order()
    response = django_app.get(ws_url("orders-document-print", number=order.number, kind=kind),
                              user=viewer)
    assert response.content_type == "application/pdf"
    assert str(order.number) in pdf_text(response.body)


def test_the_delivery_note_form_takes_carrier_packages_and_reason(django_app, viewer,
                                                                  make_order):
    order = make_order()
    form = documents_page(django_app, viewer, order).forms["ooe-delivery-note"]
    form["carrier"], form["packages"], form["reason"] = "GLS", "4", "Repair"
    text = pdf_text(form.submit().body)
    assert "GLS" in text and "Repair" in text and "Delivery note" in text
    bad = django_app.get(ws_url("orders-document-print", number=order.number,
                                kind="delivery_note"), {"packages": "0"}, user=viewer,
                         status=400)
    assert "Number of packages" in bad.text


def test_forms_on_a_redrawn_delivery_note_go_back_to_the_documents_page(django_app, accountant,
                                                                       make_order):
    order = make_order()
    bad = django_app.get(ws_url("orders-document-print", number=order.number,
                                kind="delivery_note"), {"packages": "0"}, user=accountant,
                         status=400)
    issued = bad.forms["ooe-issue-invoice"].submit()
    assert issued.location == ws_url("orders-document-list", number=order.number)
    assert IssuedDocument.objects.filter(order=order, kind="invoice").count() == 1


def test_a_viewer_cannot_issue_email_or_credit(django_app, viewer, make_order):
    from oscar_orders_ext.documents.service import issue_invoice

    order = make_order()
    page = documents_page(django_app, viewer, order)
    assert "Issue invoice" not in page.text and "Email to customer" not in page.text
    invoice = issue_invoice(order)
    for name, kwargs in [("orders-document-issue-invoice", {}),
                         ("orders-document-email", {"pk": invoice.pk}),
                         ("orders-document-credit-note", {"pk": invoice.pk})]:
        django_app.post(ws_url(name, number=order.number, **kwargs), user=viewer, status=403)
    assert IssuedDocument.objects.count() == 1 and mail.outbox == []


def test_visitors_are_sent_to_the_login_page_and_customers_refused(django_app, make_order):
    order = make_order()
    customer = get_user_model().objects.create_user(username="c", email="c@example.com",
                                                    password="pw")
    path = ws_url("orders-document-print", number=order.number, kind="receipt_a4")
    response = django_app.get(path)
    assert response.status_code == 302 and "login" in response["Location"]
    django_app.get(path, user=customer, status=403)


def test_partners_see_only_their_orders_documents(django_app, make_order, product):
    theirs, other = make_order(), make_order()
    user = get_user_model().objects.create_user(username="p", email="p@example.com",
                                                password="pw")
    user.user_permissions.add(Permission.objects.get(codename="dashboard_access"))
    partner = theirs.lines.get().partner
    partner.users.add(user)
    other_line = other.lines.get()
    other_line.partner = Partner.objects.create(name="Someone else")
    other_line.save()

    ok = django_app.get(ws_url("orders-document-print", number=theirs.number, kind="receipt_a4"),
                        user=user)
    assert ok.content_type == "application/pdf"
    django_app.get(ws_url("orders-document-print", number=other.number, kind="receipt_a4"),
                   user=user, status=404)


def test_the_shop_identity_is_edited_once_in_the_dashboard(django_app, make_staff, make_order):
    manager = make_staff("manager", [*WORKSPACE_VIEWER, "manage_shop_identity"])
    form = django_app.get(ws_url("orders-document-identity"),
                          user=manager).forms["ooe-identity-form"]
    form["name"], form["vat_number"] = "Negozio Verdi", "IT99999999999"
    form.submit().follow()
    assert ShopIdentity.objects.get().name == "Negozio Verdi"
    order = make_order()
    text = pdf_text(django_app.get(ws_url("orders-document-print", number=order.number,
                                          kind="receipt_a4"), user=manager).body)
    assert "Negozio Verdi" in text and "IT99999999999" in text
    django_app.get(ws_url("orders-document-identity"), user=make_staff("v2", WORKSPACE_VIEWER),
                   status=403)
    # The order page's documents panel links to it, for those who may edit it.
    page_of_order = ws_url("orders-workspace-order", number=order.number)
    link = django_app.get(page_of_order, user=manager).pyquery("#ooe-identity-link")
    assert link.attr("href") == ws_url("orders-document-identity")
    viewer = make_staff("v3", WORKSPACE_VIEWER)
    assert not django_app.get(page_of_order, user=viewer).pyquery("#ooe-identity-link")


def bulk_print(django_app: Any, user: Any, orders: list[Any], document: str) -> Any:
    form = django_app.get(ws_url("orders-workspace"), user=user).forms["ooe-bulk-form"]
    form["action"], form["document"] = "print_documents", document
    form["selected"] = ",".join(str(OrderProcess.objects.get(order=o).pk) for o in orders)
    return form.submit("apply", value="selected")


def test_bulk_print_answers_one_pdf(django_app, editor, make_order):
    orders = [make_order() for _ in range(3)]
    response = bulk_print(django_app, editor, orders, "delivery_note")
    assert response.content_type == "application/pdf"
    pages = pdf_pages(response.body)
    assert len(pages) == 3
    assert {str(o.number) for o in orders} <= set(pdf_text(response.body).split())


def test_a_large_bulk_print_runs_in_the_background(django_app, editor, make_order, settings,
                                                   django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_PRINT_SYNC_LIMIT = 2
    orders = [make_order() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = bulk_print(django_app, editor, orders, "receipt_a4")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/exports/{job.pk}/")
    assert job.status == "done" and job.done == 3  # the immediate backend ran it
    page = response.follow()
    download = page.click("Download")
    assert len(pdf_pages(download.body)) == 3


def test_a_large_bulk_print_answers_at_once_and_the_job_page_follows_it(
        django_app, editor, make_order, settings, django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_PRINT_SYNC_LIMIT = 2
    orders = [make_order() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = bulk_print(django_app, editor, orders, "delivery_note")
    # The request laid nothing out: the print waits for the worker.
    job = ExportJob.objects.get()
    assert response.status_code == 302 and (job.status, job.done, job.file) == ("pending", 0, "")
    assert "Waiting for the worker to start the print…" in response.follow().text
    (enqueue,) = callbacks
    enqueue()  # the worker's turn (the immediate backend runs it here)
    page = django_app.get(ws_url("orders-export-job", pk=job.pk), user=editor)
    assert "3 of 3 orders printed." in page.text
    ExportJob.objects.filter(pk=job.pk).update(status="failed", error="No orders to print.")
    page = django_app.get(ws_url("orders-export-job", pk=job.pk), user=editor)
    assert "The print failed: No orders to print." in page.text


def test_bulk_printing_invoices_without_any_says_so(django_app, editor, make_order):
    response = bulk_print(django_app, editor, [make_order()], "invoice").follow()
    assert "None of the selected orders has an invoice." in response.text


@pytest.mark.wagtail
def test_wagtails_bulk_bar_prints_one_pdf_and_refusals_return_to_wagtail(
        django_app, make_order, make_staff):
    from django.contrib.auth.models import Permission

    from ..dashboard.conftest import WORKSPACE_EDITOR
    from ..wagtail.conftest import wt_url

    user = make_staff("cms-printer", WORKSPACE_EDITOR)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    orders = [make_order() for _ in range(2)]
    page = django_app.get(wt_url("orders-workspace"), user=user)
    form = page.forms["ooe-bulk-form"]
    form["action"], form["document"] = "print_documents", "order_summary"
    form["selected"] = ",".join(str(OrderProcess.objects.get(order=o).pk) for o in orders)
    response = form.submit("apply", value="selected")
    assert response.content_type == "application/pdf"
    assert len(pdf_pages(response.body)) == 2

    form["document"] = "invoice"  # none issued: refused, back to Wagtail's table
    response = form.submit("apply", value="selected")
    assert response.status_code == 302
    assert response["Location"].startswith(wt_url("orders-workspace"))


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_no_invoice_without_the_sellers_identity(django_app, make_staff, make_order, namespace,
                                                 settings):
    # Invoices used to be issued with no seller name, address or VAT number.
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = {"name": "Bottega Rossi srl"}
    user = with_wagtail_access(make_staff("accountant", [*ACCOUNTANT, "manage_shop_identity"]))
    order = make_order()
    page = django_app.get(reverse(f"{namespace}:orders-document-list",
                                  kwargs={"number": order.number}), user=user)
    warning = page.pyquery("#ooe-identity-warning")
    assert "missing: address, VAT number or tax code" in warning.text()
    identity_url = reverse(f"{namespace}:orders-document-identity")
    assert warning.find("a").attr("href") == identity_url
    page = page.forms["ooe-issue-invoice"].submit().follow()
    assert "Invoices and credit notes must name the seller" in page.text
    assert page.pyquery(f'a[href="{identity_url}"]:contains("Fill in the shop identity")')
    assert not IssuedDocument.objects.exists()


def test_the_documents_panel_warns_that_delivery_notes_have_no_sender(django_app, viewer,
                                                                     make_order, settings):
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = {}
    page = documents_page(django_app, viewer, make_order())
    assert "delivery notes print no sender" in page.pyquery("#ooe-identity-warning").text()


def test_a_credit_note_also_needs_the_identity(make_order, settings):
    from oscar_orders_ext.documents.service import (IdentityIncomplete, issue_credit_note,
                                                    issue_invoice)

    invoice = issue_invoice(make_order())
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = {"name": "Shop", "address": "Street 1"}
    with pytest.raises(IdentityIncomplete, match="missing: VAT number or tax code"):
        issue_credit_note(invoice)
