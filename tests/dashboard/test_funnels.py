"""Funnel settings in Oscar's dashboard: a manager shapes the funnels operators work in.

Everything goes through the real dashboard with WebTest, as Oscar's own tests do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.models import Funnel, OrderProcess, Stage, TimelineEntry
from oscar_orders_ext.services.funnels import create_funnel
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.workflow import get_workflow

pytestmark = pytest.mark.django_db

FUNNEL_VIEWS = [
    ("orders-funnel-list", {}),
    ("orders-funnel-create", {}),
    ("orders-funnel-update", {"pk": "funnel"}),
    ("orders-funnel-delete", {"pk": "funnel"}),
    ("orders-stage-delete", {"pk": "funnel", "stage": "stage"}),
]


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"oscar_orders_ext_dashboard:{name}", kwargs=kwargs or None)


@pytest.fixture
def manager(make_staff: Callable[..., Any]) -> Any:
    return make_staff("funnel-manager", ["manage_funnels"])


@pytest.fixture
def default_funnel(db: Any) -> Funnel:
    """The "Orders" funnel created after migrate: one stage per workflow state."""
    return Funnel.objects.get_default()


def stage(funnel: Funnel, state: str) -> Stage:
    found = funnel.stage_for_state(state)
    assert found is not None
    return found


def stage_names(funnel: Funnel) -> list[str]:
    return list(funnel.stages.order_by("position", "pk").values_list("name", flat=True))


def csrf_token(page: Any) -> str:
    return page.pyquery("[data-stage-list]").attr("data-csrf-token")


def resolve(kwargs: dict[str, str], funnel: Funnel) -> dict[str, int]:
    """URL kwargs of FUNNEL_VIEWS filled with the funnel's (and its first stage's) ids."""
    values = {"funnel": funnel.pk, "stage": funnel.stages.order_by("position").first().pk}
    return {key: values[value] for key, value in kwargs.items()}


# --- Who may open the funnel settings -------------------------------------------------------

@pytest.mark.parametrize(("name", "kwargs"), FUNNEL_VIEWS, ids=[n for n, _ in FUNNEL_VIEWS])
def test_anonymous_visitors_are_sent_to_the_dashboard_login(django_app, default_funnel, name,
                                                            kwargs):
    target = url(name, **resolve(kwargs, default_funnel))
    response = django_app.get(target)
    assert response.status_code == 302
    assert response.location.startswith(reverse("dashboard:login"))


@pytest.mark.parametrize(("name", "kwargs"), FUNNEL_VIEWS, ids=[n for n, _ in FUNNEL_VIEWS])
def test_staff_without_manage_funnels_are_refused(django_app, make_staff, default_funnel, name,
                                                  kwargs):
    operator = make_staff("operator", ["view_orderprocess", "change_order_state"])
    django_app.get(url(name, **resolve(kwargs, default_funnel)), user=operator, status=403)


@pytest.mark.parametrize(("name", "kwargs"), FUNNEL_VIEWS, ids=[n for n, _ in FUNNEL_VIEWS])
def test_managers_open_every_funnel_screen(django_app, manager, default_funnel, name, kwargs):
    page = django_app.get(url(name, **resolve(kwargs, default_funnel)), user=manager)
    assert page.status_code == 200
    breadcrumbs = page.pyquery(".breadcrumb").text()
    assert "Dashboard" in breadcrumbs and "Order workspace" in breadcrumbs
    assert "Funnels" in breadcrumbs


def test_the_reorder_endpoint_refuses_operators_without_manage_funnels(django_app, make_staff,
                                                                      default_funnel):
    operator = make_staff("operator", ["view_orderprocess", "change_order_state"])
    django_app.post(url("orders-stage-reorder", pk=default_funnel.pk), {"stage": "1"},
                    user=operator, status=403, xhr=True)


# --- The list --------------------------------------------------------------------------------

def test_the_list_shows_each_funnel_with_its_stages_and_order_counts(django_app, manager,
                                                                     default_funnel,
                                                                     place_order):
    place_order(), place_order()
    spare = create_funnel("Wholesale")
    Stage.objects.create(funnel=spare, name="Quote", state="new", colour="#ff8800",
                         time_limit=timedelta(hours=36), wip_limit=5)

    page = django_app.get(url("orders-funnel-list"), user=manager)

    default_table = page.pyquery(f"#funnel-{default_funnel.pk}")
    assert "Default" in default_table("caption").text()
    assert "2 orders" in default_table("caption").text()
    new_row = default_table(f"tr[data-stage='{stage(default_funnel, 'new').pk}']")
    assert new_row("td").eq(0).text() == "New"
    assert new_row(".stage-order-count").text() == "2"
    assert len(default_table("tbody tr")) == len(get_workflow().get_states())

    spare_table = page.pyquery(f"#funnel-{spare.pk}")
    assert "Default" not in spare_table("caption").text()
    assert "0 orders" in spare_table("caption").text()
    cells = [cell.text() for cell in spare_table("tbody tr td").items()]
    assert cells == ["Quote", "New", "36 h", "5", "0"]
    assert "#ff8800" in spare_table(".ooe-swatch").attr("style")
    assert page.pyquery("a.btn-primary").filter(
        lambda i, e: "New funnel" in e.text_content()).attr("href") == url("orders-funnel-create")
    assert spare_table(f"a[href='{url('orders-funnel-update', pk=spare.pk)}']")
    assert spare_table(f"a[href='{url('orders-funnel-delete', pk=spare.pk)}']")


def test_the_list_runs_the_same_queries_for_two_or_six_funnels(django_app, manager,
                                                               default_funnel, place_order,
                                                               django_assert_max_num_queries):
    place_order()
    create_funnel("Second", from_workflow=True)
    django_app.get(url("orders-funnel-list"), user=manager)  # warm caches (content types, …)
    with CaptureQueriesContext(connection) as two_funnels:
        django_app.get(url("orders-funnel-list"), user=manager)

    for name in ("Third", "Fourth", "Fifth", "Sixth"):
        create_funnel(name, from_workflow=True)
    place_order()
    with django_assert_max_num_queries(len(two_funnels.captured_queries)):
        page = django_app.get(url("orders-funnel-list"), user=manager)
    assert len(page.pyquery("table[data-funnel]")) == 6


# --- Creating a funnel ---------------------------------------------------------------------

def test_a_new_funnel_can_start_with_one_stage_per_workflow_state(django_app, manager,
                                                                  default_funnel):
    form = django_app.get(url("orders-funnel-create"), user=manager).forms["funnel_create_form"]
    form["name"] = "Orders"  # the slug "orders" is taken by the default funnel
    form["stages"] = "workflow"
    page = form.submit().follow()

    funnel = Funnel.objects.exclude(pk=default_funnel.pk).get()
    assert funnel.slug == "orders-2"
    assert not funnel.is_default
    assert [(s.name, s.state) for s in funnel.stages.order_by("position")] == [
        (str(state.label), state.code) for state in get_workflow().get_states()]
    assert page.request.path == url("orders-funnel-update", pk=funnel.pk)
    assert "Funnel “Orders” created." in page.text


def test_a_new_empty_default_funnel_takes_over_the_default(django_app, manager, default_funnel):
    form = django_app.get(url("orders-funnel-create"), user=manager).forms["funnel_create_form"]
    form["name"] = "Phone orders"
    form["stages"] = "empty"
    form["is_default"] = True
    form.submit().follow()

    funnel = Funnel.objects.get(slug="phone-orders")
    assert funnel.is_default and not funnel.stages.exists()
    default_funnel.refresh_from_db()
    assert not default_funnel.is_default
    assert Funnel.objects.get_default() == funnel


def test_a_funnel_needs_a_name(django_app, manager, default_funnel):
    form = django_app.get(url("orders-funnel-create"), user=manager).forms["funnel_create_form"]
    page = form.submit()
    assert page.status_code == 200
    assert "This field is required." in page.text
    assert Funnel.objects.count() == 1


# --- Editing a funnel and its stages ---------------------------------------------------------

def test_a_manager_renames_recolours_remaps_and_limits_stages(django_app, manager,
                                                              default_funnel):
    error = stage(default_funnel, "error")  # holds no orders, so it may change state
    page = django_app.get(url("orders-funnel-update", pk=default_funnel.pk), user=manager)
    form = page.forms["funnel_form"]
    prefix = row_prefix(form, error)
    form["name"] = "Web shop"
    form["slug"] = "web-shop"
    form[f"{prefix}-name"] = "Problems"
    form[f"{prefix}-colour"] = "#123abc"
    form[f"{prefix}-state"] = "on_hold"
    form[f"{prefix}-time_limit"] = "1.5"
    form[f"{prefix}-wip_limit"] = "7"
    page = form.submit().follow()

    default_funnel.refresh_from_db()
    error.refresh_from_db()
    assert (default_funnel.name, default_funnel.slug) == ("Web shop", "web-shop")
    assert (error.name, error.colour, error.state) == ("Problems", "#123abc", "on_hold")
    assert error.time_limit == timedelta(minutes=90)
    assert error.wip_limit == 7
    assert "Funnel “Web shop” saved." in page.text
    assert page.forms["funnel_form"][f"{prefix}-time_limit"].value == "1.5"


def test_the_state_select_offers_the_workflow_states(django_app, manager, default_funnel):
    page = django_app.get(url("orders-funnel-update", pk=default_funnel.pk), user=manager)
    select = page.forms["funnel_form"]["stages-0-state"]
    assert [value for value, _selected, _label in select.options] == [
        code for code, _label in get_workflow().state_choices()]
    assert page.pyquery("input[name='stages-0-colour']").attr("type") == "color"


def test_a_new_stage_row_is_appended_after_the_existing_stages(django_app, manager,
                                                               default_funnel):
    before = stage_names(default_funnel)
    form = django_app.get(url("orders-funnel-update", pk=default_funnel.pk),
                          user=manager).forms["funnel_form"]
    extra = int(form["stages-TOTAL_FORMS"].value) - 1
    form[f"stages-{extra}-name"] = "Gift wrapping"
    form[f"stages-{extra}-state"] = "processing"
    form[f"stages-{extra}-colour"] = "#ff00aa"
    form.submit().follow()

    assert stage_names(default_funnel) == [*before, "Gift wrapping"]
    added = default_funnel.stages.get(name="Gift wrapping")
    assert (added.state, added.colour) == ("processing", "#ff00aa")


def test_an_untouched_blank_row_adds_nothing(django_app, manager, default_funnel):
    count = default_funnel.stages.count()
    django_app.get(url("orders-funnel-update", pk=default_funnel.pk),
                   user=manager).forms["funnel_form"].submit().follow()
    assert default_funnel.stages.count() == count


def test_a_state_outside_the_workflow_is_refused_with_a_message(django_app, manager,
                                                                default_funnel):
    form = django_app.get(url("orders-funnel-update", pk=default_funnel.pk),
                          user=manager).forms["funnel_form"]
    form["stages-0-name"] = "Renamed"
    form["stages-0-state"].force_value("teleported")
    page = form.submit()

    assert page.status_code == 200
    assert "“teleported” is not a state of the workflow." in page.text
    assert "The funnel was not saved" in page.text
    assert "Renamed" not in stage_names(default_funnel)


def test_a_stage_holding_orders_keeps_its_state(django_app, manager, default_funnel,
                                                place_order):
    place_order()
    new = stage(default_funnel, "new")
    form = django_app.get(url("orders-funnel-update", pk=default_funnel.pk),
                          user=manager).forms["funnel_form"]
    form[f"{row_prefix(form, new)}-state"] = "shipped"
    page = form.submit()

    assert "holds 1 order in the state “New”" in page.text
    new.refresh_from_db()
    assert new.state == "new"


def test_making_a_funnel_default_undefaults_the_previous_one(django_app, manager,
                                                             default_funnel):
    other = create_funnel("Wholesale", from_workflow=True)
    form = django_app.get(url("orders-funnel-update", pk=other.pk),
                          user=manager).forms["funnel_form"]
    form["is_default"] = True
    form.submit().follow()

    assert list(Funnel.objects.filter(is_default=True)) == [other]


def test_the_default_funnel_cannot_just_stop_being_the_default(django_app, manager,
                                                               default_funnel):
    form = django_app.get(url("orders-funnel-update", pk=default_funnel.pk),
                          user=manager).forms["funnel_form"]
    form["is_default"] = False
    page = form.submit()

    assert "make another funnel the default instead" in page.text
    default_funnel.refresh_from_db()
    assert default_funnel.is_default


def test_slugs_stay_unique(django_app, manager, default_funnel):
    other = create_funnel("Wholesale")
    form = django_app.get(url("orders-funnel-update", pk=other.pk),
                          user=manager).forms["funnel_form"]
    form["slug"] = default_funnel.slug
    page = form.submit()
    assert "already exists" in page.text
    other.refresh_from_db()
    assert other.slug == "wholesale"


def row_prefix(form: Any, target: Stage) -> str:
    for index in range(int(form["stages-TOTAL_FORMS"].value)):
        if form.get(f"stages-{index}-id").value == str(target.pk):
            return f"stages-{index}"
    raise AssertionError(f"no row for stage {target.pk}")


# --- Reordering stages -----------------------------------------------------------------------

def test_the_new_order_of_stages_is_stored(django_app, manager, default_funnel):
    page = django_app.get(url("orders-funnel-update", pk=default_funnel.pk), user=manager)
    ids = list(default_funnel.stages.order_by("position").values_list("pk", flat=True))
    wanted = [ids[2], ids[0], ids[1], *ids[3:]]

    response = django_app.post(url("orders-stage-reorder", pk=default_funnel.pk),
                               [("stage", pk) for pk in wanted], user=manager,
                               headers={"X-CSRFToken": csrf_token(page)})

    assert response.json == {"ok": True}
    assert list(default_funnel.stages.order_by("position").values_list("pk", flat=True)) == wanted
    assert list(default_funnel.stages.order_by("position").values_list(
        "position", flat=True)) == list(range(len(ids)))


def test_the_new_order_can_be_sent_as_json(django_app, manager, default_funnel):
    page = django_app.get(url("orders-funnel-update", pk=default_funnel.pk), user=manager)
    ids = list(default_funnel.stages.order_by("position").values_list("pk", flat=True))

    response = django_app.post(url("orders-stage-reorder", pk=default_funnel.pk),
                               json.dumps({"stages": ids[::-1]}),
                               content_type="application/json", user=manager,
                               headers={"X-CSRFToken": csrf_token(page)})

    assert response.json == {"ok": True}
    assert list(default_funnel.stages.order_by("position").values_list("pk", flat=True)) == \
        ids[::-1]


def test_stages_of_another_funnel_are_refused(django_app, manager, default_funnel):
    other = create_funnel("Wholesale", from_workflow=True)
    foreign = other.stages.order_by("position").first()
    page = django_app.get(url("orders-funnel-update", pk=default_funnel.pk), user=manager)
    positions = dict(default_funnel.stages.values_list("pk", "position"))
    ids = list(positions)

    response = django_app.post(url("orders-stage-reorder", pk=default_funnel.pk),
                               [("stage", foreign.pk), *(("stage", pk) for pk in ids)],
                               user=manager, headers={"X-CSRFToken": csrf_token(page)},
                               status=400)

    assert response.json == {
        "ok": False,
        "error": f"Stage {foreign.pk} does not belong to the funnel “{default_funnel.name}”."}
    assert dict(default_funnel.stages.values_list("pk", "position")) == positions


def test_reordering_answers_only_post(django_app, manager, default_funnel):
    django_app.get(url("orders-stage-reorder", pk=default_funnel.pk), user=manager, status=405)


def test_reordering_needs_the_csrf_token(django_app, manager, default_funnel):
    ids = list(default_funnel.stages.values_list("pk", flat=True))
    django_app.post(url("orders-stage-reorder", pk=default_funnel.pk),
                    [("stage", pk) for pk in ids[::-1]], user=manager, status=403)
    assert list(default_funnel.stages.order_by("position").values_list("pk", flat=True)) == ids


def test_the_edit_page_wires_drag_and_drop(django_app, manager, default_funnel):
    page = django_app.get(url("orders-funnel-update", pk=default_funnel.pk), user=manager)
    body = page.pyquery("[data-stage-list]")
    assert body.attr("data-reorder-url") == url("orders-stage-reorder", pk=default_funnel.pk)
    assert len(body(".js-stage-handle")) == default_funnel.stages.count() + 1  # + blank row
    scripts = [script.attrib.get("src", "") for script in page.pyquery("script")]
    assert any(src.endswith("oscar_orders_ext/vendor/Sortable.min.js") for src in scripts)
    assert any(src.endswith("oscar_orders_ext/funnels.js") for src in scripts)


# --- Deleting a stage ------------------------------------------------------------------------

def test_an_empty_stage_is_simply_deleted(django_app, manager, default_funnel):
    error = stage(default_funnel, "error")
    page = django_app.get(url("orders-stage-delete", pk=default_funnel.pk, stage=error.pk),
                          user=manager)
    assert "holds no orders" in page.text
    page = page.forms["delete_stage_form"].submit().follow()

    assert not Stage.objects.filter(pk=error.pk).exists()
    assert "Stage “Error” deleted." in page.text


def test_deleting_a_stage_moves_its_orders_to_a_stage_of_the_same_state(
        django_app, manager, default_funnel, place_order):
    orders = [place_order() for _ in range(3)]
    new = stage(default_funnel, "new")
    phone = Stage.objects.create(funnel=default_funnel, name="Phone orders", state="new",
                                 position=99)
    versions = dict(OrderProcess.objects.values_list("order_id", "version"))

    page = django_app.get(url("orders-stage-delete", pk=default_funnel.pk, stage=new.pk),
                          user=manager)
    assert "holds 3 orders" in page.text
    form = page.forms["delete_stage_form"]
    assert [value for value, _selected, _label in form["move_to"].options] == [str(phone.pk)]
    form["move_to"] = str(phone.pk)
    page = form.submit().follow()

    assert not Stage.objects.filter(pk=new.pk).exists()
    assert "3 orders moved to “Phone orders”." in page.text
    processes = OrderProcess.objects.filter(order__in=orders)
    assert {(p.stage_id, p.funnel_id, p.state) for p in processes} == {
        (phone.pk, default_funnel.pk, "new")}
    assert all(p.version == versions[p.order_id] + 1 for p in processes)
    entries = TimelineEntry.objects.filter(kind=TimelineKind.STAGE)
    assert sorted(entries.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    entry = entries.first()
    assert entry.actor == manager
    assert entry.data == {"from_stage": "New", "to_stage": "Phone orders",
                          "reason": "stage_deleted"}
    assert entry.summary == "Moved to stage “Phone orders” (stage “New” was deleted)"
    listing = django_app.get(url("orders-funnel-list"), user=manager)
    assert listing.pyquery(f"tr[data-stage='{phone.pk}'] .stage-order-count").text() == "3"


def test_a_stage_of_another_funnel_can_take_the_orders(django_app, manager, default_funnel,
                                                       place_order):
    order = place_order()
    wholesale = create_funnel("Wholesale", from_workflow=True)
    target = stage(wholesale, "new")
    new = stage(default_funnel, "new")

    form = django_app.get(url("orders-stage-delete", pk=default_funnel.pk, stage=new.pk),
                          user=manager).forms["delete_stage_form"]
    form["move_to"] = str(target.pk)
    form.submit().follow()

    process = OrderProcess.objects.get(order=order)
    assert (process.funnel_id, process.stage_id) == (wholesale.pk, target.pk)
    entry = TimelineEntry.objects.get(order=order, kind=TimelineKind.STAGE)
    assert entry.data["from"] == default_funnel.name and entry.data["to"] == "Wholesale"


def test_a_stage_of_another_state_is_refused_as_target(django_app, manager, default_funnel,
                                                       place_order):
    order = place_order()
    new = stage(default_funnel, "new")
    processing = stage(default_funnel, "processing")
    Stage.objects.create(funnel=default_funnel, name="Phone orders", state="new", position=99)

    form = django_app.get(url("orders-stage-delete", pk=default_funnel.pk, stage=new.pk),
                          user=manager).forms["delete_stage_form"]
    form["move_to"].force_value(str(processing.pk))
    page = form.submit()

    assert page.status_code == 200
    assert ("holds orders in the state “In preparation”, but the orders to move are in the "
            "state “New”") in page.text
    assert Stage.objects.filter(pk=new.pk).exists()
    assert OrderProcess.objects.get(order=order).stage_id == new.pk
    assert not TimelineEntry.objects.filter(kind=TimelineKind.STAGE).exists()


def test_a_stage_with_orders_but_nowhere_to_send_them_cannot_be_deleted(
        django_app, manager, default_funnel, place_order):
    place_order()
    new = stage(default_funnel, "new")
    page = django_app.get(url("orders-stage-delete", pk=default_funnel.pk, stage=new.pk),
                          user=manager)
    assert "No other stage, in this funnel or another, is mapped to “New”" in page.text
    assert page.pyquery("#delete_stage_form button[type=submit]").attr("disabled") is not None
    page = page.forms["delete_stage_form"].submit()
    assert "This field is required." in page.text
    assert Stage.objects.filter(pk=new.pk).exists()


def test_a_stage_is_deleted_only_from_its_own_funnel_url(django_app, manager, default_funnel):
    other = create_funnel("Wholesale", from_workflow=True)
    django_app.get(url("orders-stage-delete", pk=other.pk,
                       stage=stage(default_funnel, "new").pk), user=manager, status=404)


# --- Deleting a funnel -----------------------------------------------------------------------

def test_deleting_a_funnel_moves_each_order_to_the_stage_for_its_state(
        django_app, manager, default_funnel, place_order):
    waiting, confirmed = place_order(), place_order()
    transition_order(confirmed, "confirm")
    wholesale = create_funnel("Wholesale", from_workflow=True)

    page = django_app.get(url("orders-funnel-delete", pk=default_funnel.pk), user=manager)
    assert "holds 2 orders" in page.text
    assert "New: 1 order" in page.text and "In preparation: 1 order" in page.text
    form = page.forms["delete_funnel_form"]
    form["move_to"] = str(wholesale.pk)
    page = form.submit().follow()

    assert not Funnel.objects.filter(pk=default_funnel.pk).exists()
    wholesale.refresh_from_db()
    assert wholesale.is_default
    assert "“Wholesale” is now the default funnel." in page.text
    assert OrderProcess.objects.get(order=waiting).stage == stage(wholesale, "new")
    assert OrderProcess.objects.get(order=confirmed).stage == stage(wholesale, "processing")
    assert set(OrderProcess.objects.values_list("funnel_id", flat=True)) == {wholesale.pk}
    entry = TimelineEntry.objects.get(order=confirmed, kind=TimelineKind.STAGE)
    assert entry.data == {"from": "Orders", "to": "Wholesale", "from_stage": "In preparation",
                          "to_stage": "In preparation", "reason": "funnel_deleted"}
    assert entry.actor == manager


def test_a_target_funnel_lacking_a_stage_for_a_state_in_use_is_refused(
        django_app, manager, default_funnel, place_order):
    place_order()
    transition_order(place_order(), "confirm")
    partial = create_funnel("Partial")
    Stage.objects.create(funnel=partial, name="Inbox", state="new")

    form = django_app.get(url("orders-funnel-delete", pk=default_funnel.pk),
                          user=manager).forms["delete_funnel_form"]
    form["move_to"] = str(partial.pk)
    page = form.submit()

    assert "“Partial” has no stage for the state “In preparation”" in page.text
    assert Funnel.objects.filter(pk=default_funnel.pk).exists()
    assert set(OrderProcess.objects.values_list("funnel_id", flat=True)) == {default_funnel.pk}


def test_an_empty_funnel_is_deleted_with_its_stages(django_app, manager, default_funnel):
    spare = create_funnel("Spare", from_workflow=True)
    page = django_app.get(url("orders-funnel-delete", pk=spare.pk), user=manager)
    assert "holds no orders" in page.text
    page = page.forms["delete_funnel_form"].submit().follow()

    assert not Funnel.objects.filter(pk=spare.pk).exists()
    assert not Stage.objects.filter(funnel_id=spare.pk).exists()
    assert "Funnel “Spare” deleted." in page.text


def test_the_only_funnel_cannot_be_deleted(django_app, manager, default_funnel):
    page = django_app.get(url("orders-funnel-delete", pk=default_funnel.pk), user=manager)
    assert "is the only funnel" in page.text
    assert page.pyquery("#delete_funnel_form button[type=submit]").attr("disabled") is not None

    page = page.forms["delete_funnel_form"].submit().follow()
    assert "is the only funnel, and every order needs one" in page.text
    assert Funnel.objects.filter(pk=default_funnel.pk).exists()


def test_deleting_the_empty_default_funnel_asks_which_funnel_becomes_default(
        django_app, manager, default_funnel):
    spare = create_funnel("Spare")
    form = django_app.get(url("orders-funnel-delete", pk=default_funnel.pk),
                          user=manager).forms["delete_funnel_form"]
    assert [value for value, _selected, _label in form["move_to"].options] == [str(spare.pk)]
    form.submit().follow()

    spare.refresh_from_db()
    assert spare.is_default
    assert not Funnel.objects.filter(pk=default_funnel.pk).exists()
