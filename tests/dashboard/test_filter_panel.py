"""The filter panel: drawn with the page only when it shows something, else fetched on opening."""

from __future__ import annotations

from typing import Any

import pytest

from oscar_orders_ext.models import Funnel

from ..factories import bulk_orders
from .conftest import ws_url

pytestmark = pytest.mark.django_db


def filter_form(page: Any) -> Any:
    return page.forms["ooe-filters"]


def test_a_plain_page_leaves_the_panel_out_and_links_to_it(django_app, viewer):
    bulk_orders(2)
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    assert not page.pyquery("#ooe-more-filters select")
    toggle = page.pyquery(".ooe-filters-toggle")
    assert "filters=open" in toggle.attr("href")  # without JavaScript: reload, panel open
    panel = django_app.get(f"{ws_url('orders-workspace')}{toggle.attr('data-panel-url')}",
                           user=viewer)
    assert panel.pyquery("select[name=payment_status]")
    assert "<html" not in panel.text and "ooe-table" not in panel.text


def test_the_no_javascript_link_opens_the_panel(django_app, viewer):
    page = django_app.get(f"{ws_url('orders-workspace')}?filters=open", user=viewer)
    assert page.pyquery("#ooe-more-filters.show select[name=payment_status]")
    assert "payment_status" in filter_form(page).fields


def test_a_filter_of_the_panel_shows_as_a_chip_and_the_panel_stays_closed(django_app, viewer):
    bulk_orders(1, prefix="P", payment_status="paid")
    page = django_app.get(f"{ws_url('orders-workspace')}?payment_status=paid", user=viewer)
    assert not page.pyquery("#ooe-more-filters select")  # a third of the page's time
    chip = page.pyquery(".ooe-chip")
    assert "Paid" in chip.text()
    assert "payment_status" not in chip.find(".ooe-chip-remove").attr("href")
    assert filter_form(page)["payment_status"].value == "paid"  # kept by the search form
    panel = django_app.get(f"{ws_url('orders-workspace')}?payment_status=paid&filters=panel",
                           user=viewer)
    assert panel.pyquery("select[name=payment_status] option[value=paid]").attr("selected")


def test_searching_keeps_the_filters_the_closed_panel_does_not_draw(django_app, viewer):
    bulk_orders(2, prefix="N")
    bulk_orders(2, prefix="P", state="processing")
    page = django_app.get(f"{ws_url('orders-workspace')}?state=processing&total_min=1",
                          user=viewer)
    assert filter_form(page)["total_min"].value == "1"  # a panel's filter, kept
    page = django_app.get(f"{ws_url('orders-workspace')}?state=processing", user=viewer)
    assert not page.pyquery("#ooe-more-filters select")  # the state tabs show the state filter
    form = filter_form(page)
    form["q"] = "P0000"
    results = form.submit()
    assert "state=processing" in results.request.url
    numbers = [cell.text().strip() for cell in results.pyquery("td.ooe-cell-number").items()]
    assert numbers and all(number.startswith("P") for number in numbers)


def test_the_fetched_panel_shows_the_current_choices(django_app, viewer):
    panel = django_app.get(f"{ws_url('orders-workspace')}?state=processing&filters=panel",
                           user=viewer)
    assert panel.pyquery("select[name=state] option[value=processing]").attr("selected")


def test_the_board_fetches_its_panel_without_funnel_and_stage(django_app, viewer):
    funnel = Funnel.objects.get_default()
    url = ws_url("orders-workspace-kanban", funnel=funnel.slug)
    page = django_app.get(url, user=viewer)
    panel = django_app.get(f"{url}{page.pyquery('.ooe-filters-toggle').attr('data-panel-url')}",
                           user=viewer)
    assert panel.pyquery("select[name=payment_status]")
    assert not panel.pyquery("select[name=stage]") and not panel.pyquery("select[name=funnel]")
