"""Funnel settings in Wagtail's admin: the dashboard's funnel steps behind Wagtail's pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from oscar_orders_ext.models import Funnel, OrderProcess, Stage

from ..dashboard.conftest import WORKSPACE_VIEWER
from ..dashboard.test_funnels import row_prefix, stage
from .conftest import wt_url

pytestmark = pytest.mark.django_db

PAGES = [
    ("orders-funnel-list", {}),
    ("orders-funnel-create", {}),
    ("orders-funnel-update", {"pk": "funnel"}),
    ("orders-funnel-delete", {"pk": "funnel"}),
    ("orders-stage-delete", {"pk": "funnel", "stage": "stage"}),
]


@pytest.fixture
def cms_manager(make_wagtail_user: Callable[..., Any]) -> Any:
    return make_wagtail_user("cms-manager", [*WORKSPACE_VIEWER, "manage_funnels"])


@pytest.fixture
def default_funnel(db: Any) -> Funnel:
    return Funnel.objects.get_default()


def page_url(name: str, kwargs: dict[str, str], funnel: Funnel) -> str:
    values = {"funnel": funnel.pk, "stage": funnel.stages.order_by("position").first().pk}
    return wt_url(name, **{key: values[value] for key, value in kwargs.items()})


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_a_manager_opens_every_funnel_page_in_wagtails_look(django_app, cms_manager,
                                                            default_funnel, name, kwargs):
    page = django_app.get(page_url(name, kwargs, default_funnel), user=cms_manager)
    assert page.pyquery("body.wagtail-admin, #wagtail, .w-header")  # Wagtail's layout
    assert "oscar/dashboard" not in page.text  # not the Oscar dashboard's template


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_order_viewers_without_manage_funnels_get_403(django_app, cms_viewer, default_funnel,
                                                       name, kwargs):
    django_app.get(page_url(name, kwargs, default_funnel), user=cms_viewer, status=403)


def test_the_reorder_endpoint_refuses_users_without_manage_funnels(django_app, cms_viewer,
                                                                   default_funnel):
    ids = [str(pk) for pk in default_funnel.stages.values_list("pk", flat=True)]
    table = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    token = table.pyquery("input[name=csrfmiddlewaretoken]").attr("value")
    response = django_app.post(wt_url("orders-stage-reorder", pk=default_funnel.pk),
                               {"stage": ids[::-1], "csrfmiddlewaretoken": token},
                               user=cms_viewer, status=403,
                               headers={"Accept": "application/json"})
    assert response.json == {"ok": False, "message": "You may not do this.", "conflict": False}
    assert list(default_funnel.stages.order_by("position").values_list("pk", flat=True)) == \
        sorted(int(pk) for pk in ids)


def test_a_manager_creates_a_funnel_from_the_workflow_and_lands_on_its_edit_page(
        django_app, cms_manager, default_funnel):
    page = django_app.get(wt_url("orders-funnel-create"), user=cms_manager)
    form = page.forms["funnel_create_form"]
    form["name"] = "Wholesale"
    form["stages"] = "workflow"
    page = form.submit().follow()

    funnel = Funnel.objects.get(name="Wholesale")
    assert page.request.path == wt_url("orders-funnel-update", pk=funnel.pk)
    assert "Funnel “Wholesale” created." in page.text
    assert funnel.stages.count() == default_funnel.stages.count()
    assert page.pyquery("[data-stage-list]").attr("data-reorder-url") == wt_url(
        "orders-stage-reorder", pk=funnel.pk)


def test_a_manager_edits_stages_and_errors_stay_on_the_page(django_app, cms_manager,
                                                           default_funnel):
    error = stage(default_funnel, "error")
    page = django_app.get(wt_url("orders-funnel-update", pk=default_funnel.pk),
                          user=cms_manager)
    form = page.forms["funnel_form"]
    prefix = row_prefix(form, error)
    form[f"{prefix}-name"] = "Problems"
    form[f"{prefix}-wip_limit"] = "7"
    page = form.submit().follow()
    error.refresh_from_db()
    assert (error.name, error.wip_limit) == ("Problems", 7)
    assert page.request.path == wt_url("orders-funnel-update", pk=default_funnel.pk)

    form = page.forms["funnel_form"]
    form[f"{prefix}-colour"] = "not a colour"
    page = form.submit()
    assert page.status_code == 200
    assert page.pyquery(".ooe-row-error .invalid-feedback")
    error.refresh_from_db()
    assert error.colour != "not a colour"


def test_a_stage_order_is_saved_through_the_wagtail_url(django_app, cms_manager,
                                                        default_funnel):
    ids = list(default_funnel.stages.order_by("position").values_list("pk", flat=True))
    page = django_app.get(wt_url("orders-funnel-update", pk=default_funnel.pk),
                          user=cms_manager)
    token = page.pyquery("[data-stage-list]").attr("data-csrf-token")
    response = django_app.post(wt_url("orders-stage-reorder", pk=default_funnel.pk),
                               {"stage": [str(pk) for pk in ids[::-1]]}, user=cms_manager,
                               headers={"X-CSRFToken": token})
    assert response.json == {"ok": True}
    assert list(default_funnel.stages.order_by("position").values_list("pk", flat=True)) == \
        ids[::-1]


def test_deleting_a_stage_moves_its_orders_and_returns_to_the_funnel(
        django_app, cms_manager, default_funnel, place_order):
    orders = [place_order() for _ in range(2)]
    new = stage(default_funnel, "new")
    phone = Stage.objects.create(funnel=default_funnel, name="Phone orders", state="new",
                                 position=99)
    page = django_app.get(wt_url("orders-stage-delete", pk=default_funnel.pk, stage=new.pk),
                          user=cms_manager)
    assert "holds 2 orders" in page.text
    form = page.forms["delete_stage_form"]
    form["move_to"] = str(phone.pk)
    page = form.submit().follow()

    assert page.request.path == wt_url("orders-funnel-update", pk=default_funnel.pk)
    assert "2 orders moved to “Phone orders”." in page.text
    assert set(OrderProcess.objects.filter(order__in=orders).values_list(
        "stage_id", flat=True)) == {phone.pk}


def test_the_only_funnel_cannot_be_deleted(django_app, cms_manager, default_funnel):
    page = django_app.get(wt_url("orders-funnel-delete", pk=default_funnel.pk),
                          user=cms_manager)
    assert "is the only funnel" in page.text
    page = page.forms["delete_funnel_form"].submit().follow()
    assert Funnel.objects.filter(pk=default_funnel.pk).exists()


def test_deleting_a_funnel_lands_on_the_wagtail_list(django_app, cms_manager, default_funnel):
    spare = Funnel.objects.create(name="Spare", slug="spare")
    page = django_app.get(wt_url("orders-funnel-delete", pk=spare.pk), user=cms_manager)
    page = page.forms["delete_funnel_form"].submit().follow()
    assert page.request.path == wt_url("orders-funnel-list")
    assert not Funnel.objects.filter(pk=spare.pk).exists()
    assert "Funnel “Spare” deleted." in page.text
