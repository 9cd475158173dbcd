"""Who sees the "Orders" menu in Wagtail's admin, and who is refused its pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from wagtail import hooks

from oscar_orders_ext.models import Funnel

from .conftest import wt_url

pytestmark = pytest.mark.django_db


def test_the_orders_menu_shows_the_table_each_board_and_funnels(django_app, make_wagtail_user):
    manager = make_wagtail_user("manager", ["view_orderprocess", "manage_funnels"])
    second = Funnel.create_from_workflow("Wholesale", is_default=False)
    home = django_app.get("/cms/", user=manager)
    assert '"orders"' in home.text and wt_url("orders-workspace") in home.text
    assert wt_url("orders-workspace-kanban", funnel=Funnel.objects.get_default().slug) in home.text
    assert wt_url("orders-workspace-kanban", funnel=second.slug) in home.text
    assert wt_url("orders-funnel-list") in home.text


def test_viewers_do_not_get_the_funnel_settings(django_app, cms_viewer):
    home = django_app.get("/cms/", user=cms_viewer)
    assert wt_url("orders-workspace") in home.text and wt_url("orders-funnel-list") not in home.text
    assert django_app.get(wt_url("orders-funnel-list"), user=cms_viewer, status=403)


def test_editors_without_order_permissions_see_no_menu_and_get_403(django_app,
                                                                   django_app_factory,
                                                                   cms_outsider):
    home = django_app.get("/cms/", user=cms_outsider)
    assert wt_url("orders-workspace") not in home.text and '"orders"' not in home.text
    funnel = Funnel.objects.get_default()
    for address in [wt_url("orders-workspace"),
                    wt_url("orders-workspace-kanban", funnel=funnel.slug),
                    wt_url("orders-workspace-kanban-default"), wt_url("orders-funnel-list"),
                    wt_url("orders-workspace-cards", funnel=funnel.slug,
                           stage=funnel.stages.first().pk)]:
        django_app.get(address, user=cms_outsider, status=403)
    no_csrf = django_app_factory(csrf_checks=False)  # the refusal is the permission's
    for address in [wt_url("orders-workspace-move"), wt_url("orders-workspace-bulk"),
                    wt_url("orders-workspace-columns"),
                    wt_url("orders-workspace-saved-view-create")]:
        answer = no_csrf.post(address, user=cms_outsider, status=403, params={"order": 1})
        assert "CSRF verification failed" not in answer.text


def test_viewers_may_not_move_or_bulk_edit(django_app_factory, cms_viewer):
    no_csrf = django_app_factory(csrf_checks=False)
    for address in [wt_url("orders-workspace-move"), wt_url("orders-workspace-bulk")]:
        answer = no_csrf.post(address, user=cms_viewer, status=403, params={"order": 1})
        assert "CSRF verification failed" not in answer.text


def test_the_apps_permissions_are_offered_in_wagtails_group_editor():
    offered = set()
    for fn in hooks.get_hooks("register_permissions"):
        offered |= {(p.content_type.app_label, p.codename) for p in fn()}
    expected = Permission.objects.filter(content_type__app_label="oscar_orders_ext",
                                         codename__in=["view_orderprocess", "bulk_edit_orders",
                                                       "change_order_state", "manage_funnels",
                                                       "create_manual_order", "edit_order_lines",
                                                       "issue_invoice", "issue_credit_note",
                                                       "send_invoice"])
    assert {(p.content_type.app_label, p.codename) for p in expected} <= offered


def test_anonymous_visitors_go_to_wagtails_login(django_app):
    answer = django_app.get(wt_url("orders-workspace"), status=302)
    assert answer.location.startswith("/cms/login/")


SETTINGS_ENTRIES = [("import_orders", "orders-import"), ("manage_carriers", "orders-carrier-list"),
                    ("manage_shop_identity", "orders-document-identity")]


@pytest.mark.parametrize(("codename", "name"), SETTINGS_ENTRIES)
def test_import_carriers_and_identity_are_in_the_orders_menu_only_with_their_permission(
        django_app, make_wagtail_user, cms_viewer, codename, name):
    allowed = make_wagtail_user(f"cms-{codename}", ["view_orderprocess", codename])
    assert wt_url(name) in django_app.get("/cms/", user=allowed).text
    assert wt_url(name) not in django_app.get("/cms/", user=cms_viewer).text


def test_partner_users_get_no_import_carrier_or_identity_entries(django_app, make_partner_user):
    from oscar.core.loading import get_model

    partner = get_model("partner", "Partner").objects.create(name="Gardners")
    user = make_partner_user(partner, ["view_orderprocess",
                                       *(codename for codename, _name in SETTINGS_ENTRIES)])
    home = django_app.get("/cms/", user=user).text
    assert wt_url("orders-workspace") in home  # the partner still has the table
    assert not any(wt_url(name) in home for _codename, name in SETTINGS_ENTRIES)


def test_import_carrier_and_identity_permissions_are_offered_in_the_group_editor():
    offered = set()
    for fn in hooks.get_hooks("register_permissions"):
        offered |= {p.codename for p in fn() if p.content_type.app_label == "oscar_orders_ext"}
    assert {"import_orders", "manage_carriers", "manage_shop_identity"} <= offered


def test_anonymous_visitors_of_the_new_pages_go_to_wagtails_login(django_app_factory):
    for name, kwargs in [("orders-import", {}), ("orders-import-job", {"pk": 1}),
                         ("orders-export-job", {"pk": 1}), ("orders-carrier-list", {}),
                         ("orders-document-identity", {})]:
        answer = django_app_factory().get(wt_url(name, **kwargs), status=302)
        assert answer.location.startswith("/cms/login/")


def test_a_refusal_names_the_permission_to_ask_for(django_app, cms_viewer, cms_outsider):
    page = django_app.get(wt_url("orders-import"), user=cms_viewer, status=403)
    assert [item.text() for item in page.pyquery(".ooe-missing-permissions li").items()] == [
        "“Can import orders from files”"]
    page = django_app.get(wt_url("orders-carrier-list"), user=cms_outsider, status=403)
    names = [item.text() for item in page.pyquery(".ooe-missing-permissions li").items()]
    assert "“Can manage carriers”" in names and len(names) == 2  # and viewing orders
