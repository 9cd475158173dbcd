"""The shop identity on documents, edited in Wagtail's admin and printed on the documents."""

from __future__ import annotations

from typing import Any

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.models import ShopIdentity

from ..dashboard.conftest import WORKSPACE_VIEWER
from ..documents.conftest import make_order, pdf_text, shop_identity  # noqa: F401  (fixtures)
from .conftest import wt_url

pytestmark = pytest.mark.django_db

Partner = get_model("partner", "Partner")
IDENTITY_MANAGER = [*WORKSPACE_VIEWER, "manage_shop_identity"]


@pytest.fixture
def cms_owner(make_wagtail_user: Any) -> Any:
    return make_wagtail_user("cms-owner", IDENTITY_MANAGER)


def test_the_identity_saved_in_wagtail_is_printed_on_the_documents(django_app, cms_owner,
                                                                   make_order):
    order = make_order()
    documents = django_app.get(wt_url("orders-workspace-order", number=order.number),
                               user=cms_owner)
    page = documents.click(href=wt_url("orders-document-identity"))  # the documents panel's
    assert page.pyquery(".w-header, #wagtail") and "oscar/dashboard" not in page.text
    form = page.forms["ooe-identity-form"]
    form["name"], form["vat_number"] = "Negozio Verdi", "IT99999999999"
    saved = form.submit()
    assert saved["Location"] == wt_url("orders-document-identity")
    assert "The shop identity was saved." in saved.follow().pyquery(".messages").text()
    assert ShopIdentity.objects.get().name == "Negozio Verdi"

    pdf = django_app.get(wt_url("orders-document-print", number=order.number,
                                kind="receipt_a4"), user=cms_owner)
    text = pdf_text(pdf.body)
    assert "Negozio Verdi" in text and "IT99999999999" in text


def test_a_bad_email_is_refused_and_nothing_is_saved(django_app, cms_owner):
    form = django_app.get(wt_url("orders-document-identity"),
                          user=cms_owner).forms["ooe-identity-form"]
    form["name"], form["email"] = "Negozio Verdi", "not an address"
    page = form.submit(status=400)
    assert page.pyquery("#ooe-identity-form .invalid-feedback") and page.pyquery(".w-header, #wagtail")
    assert page.forms["ooe-identity-form"]["name"].value == "Negozio Verdi"
    assert not ShopIdentity.objects.exists()


def test_the_identity_is_refused_without_the_permission_and_to_partners(
        django_app, cms_viewer, make_partner_user, make_order):
    partner = make_partner_user(Partner.objects.create(name="Gardners"), IDENTITY_MANAGER)
    for user in [cms_viewer, partner]:
        django_app.get(wt_url("orders-document-identity"), user=user, status=403)
    order = make_order()
    page = django_app.get(wt_url("orders-workspace-order", number=order.number),
                          user=cms_viewer)
    assert not page.pyquery("#ooe-identity-link")
