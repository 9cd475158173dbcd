"""The default funnel in the reader's language: ``migrate`` stores it as "Orders" (the code's
name), and every page shows it as "Ordini" to an Italian operator and "Commandes" to a French
one, as stages named after their state are shown; a name the shop typed stays as typed, and
saving the funnel's form untouched keeps the name translatable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.models import Funnel
from oscar_orders_ext.receivers import create_default_funnel
from oscar_orders_ext.selectors import OrderFilter
from oscar_orders_ext.timeline import describe

from .dashboard.test_funnels import row_prefix, stage

pytestmark = pytest.mark.django_db

ITALIAN = {"Accept-Language": "it"}


@pytest.fixture
def manager(make_staff: Callable[..., Any]) -> Any:
    return make_staff("funnel-manager", ["manage_funnels", "view_orderprocess"])


def test_migrate_in_an_italian_shop_stores_the_codes_name_and_shows_it_translated() -> None:
    Funnel.objects.all().delete()
    with translation.override("it"):
        create_default_funnel(sender=None)
    funnel = Funnel.objects.get(is_default=True)
    assert funnel.name == "Orders"
    for language, shown in (("it", "Ordini"), ("fr", "Commandes"), ("en", "Orders")):
        with translation.override(language):
            assert (funnel.display_name, str(funnel)) == (shown, shown)
    funnel.name = "Negozio online"
    with translation.override("it"):
        assert funnel.display_name == "Negozio online"


def test_the_filter_panel_names_funnels_and_stages_in_the_readers_language() -> None:
    with translation.override("it"):
        form = OrderFilter({}).form
        assert "Ordini" in [label for _pk, label in form.fields["funnel"].choices]
        assert "Ordini / Nuovo" in [str(label) for _pk, label in form.fields["stage"].choices]


def test_the_timeline_names_the_default_funnel_and_its_stages_in_the_readers_language() -> None:
    data = {"from": "Wholesale", "to": "Orders", "from_stage": "New", "to_stage": "New"}
    with translation.override("it"):
        assert describe(TimelineKind.STAGE, data) == (
            "Spostato nella fase “Nuovo” dell'imbuto “Ordini”")
        assert describe(TimelineKind.STAGE, {"to": "Trade fairs"}) == (
            "Spostato nell'imbuto “Trade fairs”")


def test_an_italian_manager_reads_and_saves_the_default_funnel_untouched(
        django_app: Any, manager: Any) -> None:
    funnel = Funnel.objects.get_default()
    url = reverse("oscar_orders_ext_dashboard:orders-funnel-update", kwargs={"pk": funnel.pk})
    page = django_app.get(url, user=manager, headers=ITALIAN)
    assert page.pyquery("h1").text() == "Ordini"
    form = page.forms["funnel_form"]
    new = stage(funnel, "new")
    assert (form["name"].value, form[f"{row_prefix(form, new)}-name"].value) == (
        "Ordini", "Nuovo")
    form.submit(headers=ITALIAN).follow(headers=ITALIAN)
    funnel.refresh_from_db()
    new.refresh_from_db()
    assert (funnel.name, new.name) == ("Orders", "New")  # still shown in each reader's language
    board = django_app.get(reverse("oscar_orders_ext_dashboard:orders-workspace-kanban",
                                   kwargs={"funnel": funnel.slug}),
                           user=manager, headers={"Accept-Language": "fr"})
    assert board.pyquery("h1").text() == "Commandes"


def test_a_name_typed_over_the_translation_is_the_funnels_name(django_app: Any,
                                                               manager: Any) -> None:
    funnel = Funnel.objects.get_default()
    url = reverse("oscar_orders_ext_dashboard:orders-funnel-update", kwargs={"pk": funnel.pk})
    form = django_app.get(url, user=manager, headers=ITALIAN).forms["funnel_form"]
    form["name"] = "Ordini del negozio"
    form.submit(headers=ITALIAN)
    funnel.refresh_from_db()
    assert funnel.name == "Ordini del negozio"
    with translation.override("fr"):
        assert funnel.display_name == "Ordini del negozio"


def test_a_funnel_created_from_the_italian_screen_names_its_stages_for_every_reader(
        django_app: Any, manager: Any) -> None:
    page = django_app.get(reverse("oscar_orders_ext_dashboard:orders-funnel-create"),
                          user=manager, headers=ITALIAN)
    form = page.forms["funnel_create_form"]
    form["name"] = "Fiere"
    form["stages"] = "workflow"
    form.submit(headers=ITALIAN)
    funnel = Funnel.objects.get(name="Fiere")
    assert stage(funnel, "new").name == "New"  # stored as the code names the state
    with translation.override("fr"):
        assert stage(funnel, "new").display_name == "Nouveau"


def test_the_boards_switcher_names_the_default_funnel_in_italian(django_app: Any,
                                                                 manager: Any) -> None:
    page = django_app.get(reverse("oscar_orders_ext_dashboard:orders-workspace"),
                          user=manager, headers=ITALIAN)
    switcher = page.pyquery(".ooe-switcher").text()
    assert "Ordini" in switcher and "Orders" not in switcher
