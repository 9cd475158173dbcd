"""Documents on the Wagtail order page: the dashboard's document views (same services,
permissions and partner scoping) with Wagtail's templates, messages and URLs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from oscar.core.loading import get_model

from oscar_orders_ext.documents.service import issue_invoice
from oscar_orders_ext.models import IssuedDocument

from ..dashboard.conftest import WORKSPACE_VIEWER
from ..documents.conftest import make_order, pdf_text, shop_identity  # noqa: F401  (fixtures)
from .conftest import wt_url

pytestmark = pytest.mark.django_db

Partner = get_model("partner", "Partner")
ACCOUNTANT = [*WORKSPACE_VIEWER, "issue_invoice", "issue_credit_note", "send_invoice"]


def order_page(order: Any) -> str:
    return wt_url("orders-workspace-order", number=order.number)


def messages_of(page: Any) -> str:
    return page.pyquery(".messages").text()


@pytest.fixture
def accountant(make_wagtail_user: Any) -> Any:
    return make_wagtail_user("cms-accountant", ACCOUNTANT)


def test_an_accountant_issues_emails_and_credits_an_invoice_without_leaving_wagtail(
        django_app, accountant, make_order):
    order = make_order()
    page = django_app.get(order_page(order), user=accountant)
    page = page.forms["ooe-issue-invoice"].submit().follow()
    invoice = IssuedDocument.objects.get(order=order)
    assert page.request.path == order_page(order)
    assert f"Invoice {invoice.number} issued." in messages_of(page)  # Wagtail's messages
    assert invoice.issued_by == accountant
    assert "ooe-issue-invoice" not in page.forms  # one open invoice at a time

    link = page.pyquery(f"#ooe-issued-documents tr[data-document='{invoice.pk}'] a").attr("href")
    assert link == wt_url("orders-document-download", number=order.number, pk=invoice.pk)
    pdf = django_app.get(link, user=accountant)
    assert pdf.content_type == "application/pdf"
    assert pdf.body == invoice.file.open("rb").read() and invoice.file.close() is None

    email_form = next(f for f in page.forms.values() if (f.action or "").endswith("/email/"))
    page = email_form.submit().follow()
    assert page.request.path == order_page(order)
    assert "sent to maria@example.com" in messages_of(page)
    assert mail.outbox[0].attachments[0][2] == "application/pdf"

    credit_page = page.click("Issue credit note")
    assert credit_page.pyquery("#wagtail-sidebar, aside.sidebar").length  # Wagtail's look
    credit_form = credit_page.forms["ooe-credit-note-form"]
    credit_form["reason"] = "Returned"
    page = credit_form.submit().follow()
    credit = IssuedDocument.objects.get(order=order, kind="credit_note")
    assert page.request.path == order_page(order)
    assert f"Credit note {credit.number} issued." in messages_of(page)
    assert "Issue credit note" not in page.pyquery("#ooe-documents").text()  # fully credited


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4", "receipt_80mm"])
def test_a_viewer_prints_from_the_wagtail_order_page(django_app, cms_viewer, make_order, kind):
    order = make_order()
    page = django_app.get(order_page(order), user=cms_viewer)
    link = wt_url("orders-document-print", number=order.number, kind=kind)
    assert page.pyquery(f"#ooe-documents a[href='{link}']").length
    response = django_app.get(link, user=cms_viewer)
    assert response.content_type == "application/pdf"
    assert str(order.number) in pdf_text(response.body)


def test_the_delivery_note_takes_its_details_and_redraws_its_errors_in_wagtail(
        django_app, cms_viewer, make_order):
    order = make_order()
    form = django_app.get(order_page(order), user=cms_viewer).forms["ooe-delivery-note"]
    form["carrier"], form["packages"], form["reason"] = "GLS", "4", "Repair"
    text = pdf_text(form.submit().body)
    assert "GLS" in text and "Repair" in text and "Delivery note" in text

    form["packages"] = "0"
    bad = form.submit(status=400)
    assert bad.pyquery("#wagtail-sidebar, aside.sidebar").length
    assert "Number of packages" in bad.pyquery("#ooe-delivery-note .ooe-form-error").text()
    assert bad.pyquery("#ooe-delivery-note-details").attr("open") is not None
    assert bad.forms["ooe-delivery-note"]["carrier"].value == "GLS"  # what was typed stays


def test_a_viewer_sees_no_issuing_buttons_and_cannot_post_them(django_app, cms_viewer,
                                                                make_order):
    order = make_order()
    invoice = issue_invoice(order)
    page = django_app.get(order_page(order), user=cms_viewer)
    panel = page.pyquery("#ooe-documents").text()
    assert invoice.number in panel  # listed, downloadable
    assert "Issue invoice" not in panel and "Email to customer" not in panel
    assert "Issue credit note" not in panel
    token = page.pyquery("input[name=csrfmiddlewaretoken]").attr("value")
    for name, kwargs in [("orders-document-issue-invoice", {}),
                         ("orders-document-email", {"pk": invoice.pk}),
                         ("orders-document-credit-note", {"pk": invoice.pk})]:
        django_app.post(wt_url(name, number=order.number, **kwargs),
                        {"csrfmiddlewaretoken": token}, user=cms_viewer, status=403)
    assert IssuedDocument.objects.count() == 1 and mail.outbox == []


def test_without_the_view_permission_documents_are_refused(django_app, cms_outsider,
                                                            make_order):
    order = make_order()
    django_app.get(wt_url("orders-document-print", number=order.number, kind="receipt_a4"),
                   user=cms_outsider, status=403)
    django_app.get(wt_url("orders-document-list", number=order.number), user=cms_outsider,
                   status=403)


def test_partners_reach_only_their_orders_documents(django_app, make_order,
                                                     make_partner_user):
    theirs, other = make_order(), make_order()
    other_line = other.lines.get()
    other_line.partner = Partner.objects.create(name="Someone else")
    other_line.save()
    user = make_partner_user(theirs.lines.get().partner, [*WORKSPACE_VIEWER, "issue_invoice"])

    ok = django_app.get(wt_url("orders-document-print", number=theirs.number,
                               kind="receipt_a4"), user=user)
    assert ok.content_type == "application/pdf"
    django_app.get(order_page(theirs), user=user).forms["ooe-issue-invoice"].submit().follow()
    assert IssuedDocument.objects.filter(order=theirs).count() == 1

    django_app.get(wt_url("orders-document-print", number=other.number, kind="receipt_a4"),
                   user=user, status=404)
    invoice = issue_invoice(other)
    django_app.get(wt_url("orders-document-download", number=other.number, pk=invoice.pk),
                   user=user, status=404)
    # Their order has its invoice now, so its page shows no issuing form: the cookie's token.
    django_app.get(order_page(theirs), user=user)
    token = django_app.cookies["csrftoken"]
    django_app.post(wt_url("orders-document-issue-invoice", number=other.number),
                    {"csrfmiddlewaretoken": token}, user=user, status=404)
