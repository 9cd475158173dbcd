"""The funnel service's rules, for every front end (Oscar dashboard, Wagtail admin, scripts)."""

from __future__ import annotations

import pytest

from oscar_orders_ext.exceptions import FunnelError
from oscar_orders_ext.models import Funnel, OrderProcess, Stage
from oscar_orders_ext.services.funnels import (create_funnel, delete_funnel, delete_stage,
                                               reorder_stages, set_default_funnel,
                                               unique_funnel_slug)

pytestmark = pytest.mark.django_db


@pytest.fixture
def funnel(db):
    return Funnel.objects.get_default()


def ids_in_order(funnel: Funnel) -> list[int]:
    return list(funnel.stages.order_by("position", "pk").values_list("pk", flat=True))


def test_stages_left_out_of_a_new_order_follow_the_listed_ones(funnel):
    first, second, third, *rest = ids_in_order(funnel)
    reorder_stages(funnel, [third, first])
    assert ids_in_order(funnel) == [third, first, second, *rest]


@pytest.mark.parametrize(("given", "message"), [
    ([], "No stages were given."),
    (["x"], "Stage ids must be whole numbers."),
    ("dup", "A stage appears more than once in the new order."),
])
def test_an_unusable_order_is_refused(funnel, given, message):
    before = ids_in_order(funnel)
    if given == "dup":
        given = [before[0], before[0]]
    with pytest.raises(FunnelError, match=message):
        reorder_stages(funnel, given)
    assert ids_in_order(funnel) == before


def test_slugs_get_a_number_when_taken(funnel):
    assert unique_funnel_slug("Orders") == "orders-2"
    assert unique_funnel_slug("Orders", exclude_pk=funnel.pk) == "orders"
    assert unique_funnel_slug("!!!") == "funnel"


def test_there_is_one_default_at_a_time(funnel):
    other = create_funnel("Wholesale", is_default=True)
    assert list(Funnel.objects.filter(is_default=True)) == [other]
    set_default_funnel(funnel)
    assert list(Funnel.objects.filter(is_default=True)) == [funnel]


def test_new_funnels_go_after_the_existing_ones(funnel):
    assert create_funnel("Second").position > funnel.position


def test_a_stage_holding_orders_needs_a_target(funnel, place_order):
    place_order()
    with pytest.raises(FunnelError, match="holds 1 order: choose the stage it moves to"):
        delete_stage(funnel.stage_for_state("new"))


def test_a_stage_cannot_take_its_own_orders(funnel, place_order):
    place_order()
    new = funnel.stage_for_state("new")
    with pytest.raises(FunnelError, match="other than the one being deleted"):
        delete_stage(new, move_to=new)


def test_orders_in_another_state_than_their_stage_still_cannot_change_state(funnel,
                                                                          place_order):
    # A stage remapped outside the dashboard (admin, shell) can hold orders of another state.
    order = place_order()
    new = funnel.stage_for_state("new")
    Stage.objects.filter(pk=new.pk).update(state="processing")
    target = Stage.objects.create(funnel=funnel, name="Preparing", state="processing")
    with pytest.raises(FunnelError, match="are in the state “New”"):
        delete_stage(new, move_to=target)
    assert OrderProcess.objects.get(order=order).stage_id == new.pk


def test_the_empty_default_funnel_needs_a_successor(funnel):
    create_funnel("Spare")
    with pytest.raises(FunnelError, match="choose the funnel that becomes the default"):
        delete_funnel(funnel)


def test_a_funnel_holding_orders_needs_a_target(funnel, place_order):
    place_order()
    spare = create_funnel("Spare", from_workflow=True)
    with pytest.raises(FunnelError, match="holds 1 order: choose the funnel it moves to"):
        delete_funnel(funnel)
    assert delete_funnel(spare) == 0


def test_stages_named_after_their_state_speak_the_readers_language(db, django_app):
    # An Italian merchant's boards showed "New", "Awaiting payment"…: the default funnel's
    # stages are named in English when migrate creates them.
    from django.contrib.auth import get_user_model
    from django.utils import translation

    from oscar_orders_ext.models import Funnel

    funnel = Funnel.create_from_workflow("Shop", is_default=False)
    new, held = funnel.stages.get(state="new"), funnel.stages.get(state="on_hold")
    held.name = "Da richiamare"  # a name the shop gave stays as typed
    held.save()
    with translation.override("it"):
        assert (new.display_name, held.display_name) == ("Nuovo", "Da richiamare")
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    page = django_app.get(f"/dashboard/workspace/kanban/{funnel.slug}/", user=admin,
                          headers={"Accept-Language": "it"})
    assert [h.text.strip() for h in page.pyquery(".ooe-column h2")][:1] == ["Nuovo"]
