"""Oscar partner users in Wagtail's admin see and move only their partner's orders, as in
Oscar's own dashboard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.models import Funnel, OrderProcess

from .conftest import wt_url

pytestmark = pytest.mark.django_db

Partner = get_model("partner", "Partner")


@pytest.fixture
def two_partners_orders(place_order: Any) -> tuple[Any, Any]:
    """One order with the "Espresso cup" partner's line, one with another partner's."""
    mine = place_order()
    basket = factories.create_basket(empty=True)
    basket.add_product(factories.create_product(partner_name="Elsewhere", price=Decimal("3"),
                                                num_in_stock=5))
    theirs = factories.create_order(basket=basket)
    return mine, theirs


@pytest.fixture
def partner_user(django_user_model: Any, two_partners_orders: Any) -> Any:
    """Not staff: Wagtail access, the workspace's view and move permissions, one partner."""
    user = django_user_model.objects.create_user(username="partner", email="p@example.com",
                                                 password="x")
    user.user_permissions.add(*Permission.objects.filter(codename__in=[
        "access_admin", "dashboard_access", "view_orderprocess", "change_order_state"]))
    Partner.objects.get(stockrecords__product__title="Espresso cup").users.add(user)
    return django_user_model.objects.get(pk=user.pk)


def test_the_table_lists_only_the_partners_orders(django_app, partner_user, two_partners_orders):
    mine, _theirs = two_partners_orders
    page = django_app.get(wt_url("orders-workspace"), user=partner_user)
    rows = [row.attr("data-order") for row in page.pyquery("#ooe-table tbody tr[data-order]")
            .items()]
    assert rows == [str(mine.pk)]


def test_the_board_shows_only_the_partners_cards(django_app, partner_user, two_partners_orders):
    mine, theirs = two_partners_orders
    funnel = Funnel.objects.get_default()
    page = django_app.get(wt_url("orders-workspace-kanban", funnel=funnel.slug), user=partner_user)
    cards = {card.attr("data-order") for card in page.pyquery(".ooe-card").items()}
    assert cards == {str(mine.pk)}


def test_another_partners_order_cannot_be_moved(django_app, partner_user, two_partners_orders):
    _mine, theirs = two_partners_orders
    process = OrderProcess.objects.get(order=theirs)
    funnel = Funnel.objects.get_default()
    page = django_app.get(wt_url("orders-workspace-kanban", funnel=funnel.slug), user=partner_user)
    token = page.pyquery("input[name=csrfmiddlewaretoken]").attr("value")
    answer = django_app.post(wt_url("orders-workspace-move"), user=partner_user,
                             headers={"Accept": "application/json"},
                             params={"order": theirs.pk,
                                     "stage": funnel.stages.get(state="processing").pk,
                                     "version": process.version, "csrfmiddlewaretoken": token},
                             status="*")
    assert answer.status_code == 400 and answer.json["ok"] is False
    process.refresh_from_db()
    assert process.state == "new"


def test_exports_hold_only_the_partners_orders(django_app, partner_user, two_partners_orders):
    mine, theirs = two_partners_orders
    page = django_app.get(wt_url("orders-workspace"), user=partner_user)
    form = page.forms["ooe-export-form"]
    form["format"] = "csv"
    text = form.submit().body.decode("utf-8-sig")
    assert str(mine.number) in text and str(theirs.number) not in text


def test_bulk_actions_and_funnel_settings_stay_with_staff_as_in_oscars_dashboard(
        django_app, partner_user, two_partners_orders):
    partner_user.user_permissions.add(*Permission.objects.filter(
        codename__in=["bulk_edit_orders", "manage_funnels"]))
    table = django_app.get(wt_url("orders-workspace"), user=partner_user)
    assert not table.pyquery(".ooe-bulk-bar")
    home = django_app.get("/cms/", user=partner_user)
    assert wt_url("orders-workspace") in home.text and wt_url("orders-funnel-list") not in home.text
    mine, _theirs = two_partners_orders
    process = OrderProcess.objects.get(order=mine)
    django_app.post(wt_url("orders-workspace-bulk"),
                    {"action": "mark_paid", "selected": [process.pk]},
                    user=partner_user, status=403)
    django_app.get(wt_url("orders-funnel-list"), user=partner_user, status=403)
    assert OrderProcess.objects.get(pk=process.pk).payment_status != "paid"
