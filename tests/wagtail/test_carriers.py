"""Carrier settings in Wagtail's admin: the dashboard's carrier views behind Wagtail's pages,
and the order page's carrier choices linking to them."""

from __future__ import annotations

from typing import Any

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.models import Carrier
from oscar_orders_ext.services.logistics import record_shipment

from ..dashboard.conftest import WORKSPACE_VIEWER
from ..factories import opened_form
from ..order_page.conftest import country, order  # noqa: F401  (fixtures)
from .conftest import wt_url

pytestmark = pytest.mark.django_db

Partner = get_model("partner", "Partner")
CARRIER_MANAGER = [*WORKSPACE_VIEWER, "change_order_state", "manage_carriers"]
PAGES = [("orders-carrier-list", False), ("orders-carrier-create", False),
         ("orders-carrier-update", True), ("orders-carrier-delete", True)]


@pytest.fixture
def cms_carriers(make_wagtail_user: Any) -> Any:
    return make_wagtail_user("cms-carriers", CARRIER_MANAGER)


@pytest.fixture
def dhl(db: Any) -> Carrier:
    return Carrier.objects.create(name="DHL", tracking_url_template="https://dhl.example/{code}")


def page_url(name: str, with_pk: bool, carrier: Carrier) -> str:
    return wt_url(name, pk=carrier.pk) if with_pk else wt_url(name)


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_a_carrier_manager_opens_every_carrier_page_in_wagtails_look(django_app, cms_carriers,
                                                                    dhl, name, with_pk):
    page = django_app.get(page_url(name, with_pk, dhl), user=cms_carriers)
    assert page.pyquery(".w-header, #wagtail") and "oscar/dashboard" not in page.text
    assert page.pyquery(f".w-breadcrumbs a[href='{wt_url('orders-workspace')}']")


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_carrier_pages_are_refused_without_the_permission_and_to_partners(
        django_app, cms_viewer, make_partner_user, dhl, name, with_pk):
    partner = make_partner_user(Partner.objects.create(name="Gardners"), CARRIER_MANAGER)
    for user in [cms_viewer, partner]:
        django_app.get(page_url(name, with_pk, dhl), user=user, status=403)


def test_a_manager_adds_edits_and_deletes_carriers_without_leaving_wagtail(django_app,
                                                                          cms_carriers):
    listing = django_app.get(wt_url("orders-carrier-list"), user=cms_carriers)
    form = listing.click(href=wt_url("orders-carrier-create")).forms["ooe-carrier-form"]
    form["name"] = "PostNL"
    form["tracking_url_template"] = "https://postnl.example/t/{code}"
    saved = form.submit()
    assert saved["Location"] == wt_url("orders-carrier-list")
    listing = saved.follow()
    assert "Carrier “PostNL” saved." in listing.pyquery(".messages").text()
    carrier = Carrier.objects.get(name="PostNL")
    assert "PostNL" in listing.pyquery(f"#ooe-carriers tr[data-carrier='{carrier.pk}']").text()

    form = listing.click(href=wt_url("orders-carrier-update", pk=carrier.pk),
                         index=0).forms["ooe-carrier-form"]
    form["name"], form["is_active"] = "PostNL Pakket", False
    assert form.submit()["Location"] == wt_url("orders-carrier-list")
    carrier.refresh_from_db()
    assert (carrier.name, carrier.is_active) == ("PostNL Pakket", False)

    confirm = django_app.get(wt_url("orders-carrier-delete", pk=carrier.pk), user=cms_carriers)
    assert "Delete carrier “PostNL Pakket”?" in confirm.pyquery(".w-header, title").text()
    gone = confirm.forms["ooe-carrier-delete"].submit()
    assert gone["Location"] == wt_url("orders-carrier-list")
    assert "Carrier “PostNL Pakket” deleted." in gone.follow().pyquery(".messages").text()
    assert not Carrier.objects.filter(pk=carrier.pk).exists()


def test_a_bad_tracking_template_is_refused_and_the_input_kept(django_app, cms_carriers):
    form = django_app.get(wt_url("orders-carrier-create"),
                          user=cms_carriers).forms["ooe-carrier-form"]
    form["name"] = "Bad"
    form["tracking_url_template"] = "https://bad.example/track"
    page = form.submit(status=200)
    assert "{code}" in page.pyquery("#ooe-carrier-form .invalid-feedback").text()  # shared field partial
    assert page.forms["ooe-carrier-form"]["name"].value == "Bad"
    assert not Carrier.objects.exists()


def test_a_carrier_used_by_shipments_is_kept(django_app, cms_carriers, dhl, order):
    record_shipment(order, carrier=dhl, tracking_code="JD1", user=cms_carriers)
    confirm = django_app.get(wt_url("orders-carrier-delete", pk=dhl.pk), user=cms_carriers)
    listing = confirm.forms["ooe-carrier-delete"].submit().follow()
    assert listing.request.path == wt_url("orders-carrier-list")
    assert "“DHL” is used by recorded shipments" in listing.pyquery(".messages .error").text()
    assert Carrier.objects.filter(pk=dhl.pk).exists()


def test_the_order_pages_carrier_choices_link_to_wagtails_carrier_settings(
        django_app, cms_carriers, make_wagtail_user, dhl, order):
    address = wt_url("orders-workspace-order", number=order.number)
    page = opened_form(django_app.get(address, user=cms_carriers), "shipment_form")
    choices = [option.text for option in page.pyquery("select[name=carrier] option")]
    assert "DHL" in choices
    assert page.pyquery("#ooe-manage-carriers").attr("href") == wt_url("orders-carrier-list")
    shipper = make_wagtail_user("cms-shipper", [*WORKSPACE_VIEWER, "change_order_state"])
    assert not opened_form(django_app.get(address, user=shipper), "shipment_form").pyquery(
        "#ooe-manage-carriers")
