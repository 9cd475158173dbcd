"""The table in Wagtail's admin: the same filters, summary, pages and bulk actions as Oscar's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from oscar_orders_ext.models import BulkJob, ColumnPreference, OrderProcess, Tag

from ..factories import bulk_orders
from .conftest import wt_url

pytestmark = pytest.mark.django_db


def shown(page: Any) -> list[str]:
    return [row.attr("data-process") for row in page.pyquery("#ooe-table tbody tr[data-process]")
            .items()]


def test_the_table_extends_wagtails_admin_and_lists_orders(django_app, cms_viewer):
    processes = bulk_orders(3)
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    assert page.pyquery("body.wagtail-admin, body").length
    assert page.pyquery("aside.sidebar, #wagtail-sidebar").length
    assert sorted(shown(page)) == sorted(str(p.pk) for p in processes)
    headers = [th.attr("data-column") for th in page.pyquery("#ooe-table th[data-column]").items()]
    assert headers[:3] == ["placed", "number", "state"]


def test_the_table_wears_the_workspace_look_its_bulk_buttons_included(django_app, cms_editor):
    # The stylesheet draws the shared partials' Bootstrap buttons as Wagtail's inside body.ooe-w;
    # the table page lacked the class, so its bulk bar showed the browser's grey buttons.
    bulk_orders(1)
    page = django_app.get(wt_url("orders-workspace"), user=cms_editor)
    assert "ooe-w" in page.pyquery("body").attr("class").split()
    assert page.pyquery("body.ooe-w #ooe-bulk-form button[name=apply]").length == 2


def test_a_malformed_filter_says_so_and_lists_nothing(django_app, cms_viewer):
    # issue 13: Wagtail listed every order and said nothing of the bad input
    bulk_orders(2)
    page = django_app.get(f"{wt_url('orders-workspace')}?total_min=abc", user=cms_viewer)
    assert page.status_code == 200
    assert "Enter a number." in page.pyquery("#ooe-filter-errors").text()
    assert shown(page) == []
    assert not page.pyquery(".ooe-summary") and not page.pyquery(".ooe-total")


def test_the_users_column_choice_is_reused(django_app, cms_viewer):
    bulk_orders(1)
    ColumnPreference.objects.create(user=cms_viewer, columns=["total", "number"])
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    headers = [th.attr("data-column") for th in page.pyquery("#ooe-table th[data-column]").items()]
    assert headers == ["total", "number"]


def test_filters_search_and_summary(django_app, cms_viewer):
    bulk_orders(3, prefix="E", currency="EUR", total=Decimal("10.00"))
    bulk_orders(2, prefix="U", currency="USD", total=Decimal("7.50"), state="processing")
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    # Wagtail's header: its search box and its filter drill-down (without a second search).
    header = page.pyquery("form[data-search-form]")
    assert header.attr("action") == wt_url("orders-workspace-results")
    assert header.find("input[name=q]").length == 1
    assert header.find("#filters-drilldown [name=state]").length
    totals = {b.attr("data-currency"): b.text() for b in page.pyquery(".ooe-total").items()}
    assert "30.00" in totals["EUR"] and "15.00" in totals["USD"]
    counts = {a.attr("data-state"): a.find(".ooe-state-count").text()
              for a in page.pyquery(".ooe-state-counts a").items()}
    assert (counts["new"], counts["processing"], counts["shipped"]) == ("3", "2", "0")

    # A state count is a link that filters the table, keeping the other counts.
    link = page.pyquery(".ooe-state-counts a[data-state=processing]").attr("href")
    page = django_app.get(f"{wt_url('orders-workspace')}{link}", user=cms_viewer)
    assert len(shown(page)) == 2
    totals = {b.attr("data-currency"): b.text() for b in page.pyquery(".ooe-total").items()}
    assert list(totals) == ["USD"]

    page = django_app.get(f"{wt_url('orders-workspace')}?q=U00001", user=cms_viewer)
    assert len(shown(page)) == 1


def test_pages_page_sizes_and_sorting(django_app, cms_viewer):
    processes = bulk_orders(60, total=Decimal("1.00"))
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    assert len(shown(page)) == 25 and "Page 1 of 3" in page.text
    page = django_app.get(f"{wt_url('orders-workspace')}?page_size=50&page=2", user=cms_viewer)
    assert len(shown(page)) == 10
    page = django_app.get(f"{wt_url('orders-workspace')}?sort=placed", user=cms_viewer)
    assert shown(page)[0] == str(processes[-1].pk)  # oldest first


def test_a_saved_view_opens_its_filter(django_app, cms_viewer):
    from oscar_orders_ext.models import SavedView

    saved = SavedView.objects.create(owner=cms_viewer, name="Processing", query="state=processing",
                                     columns=["number"])
    answer = django_app.get(f"{wt_url('orders-workspace')}?view={saved.pk}", user=cms_viewer,
                            status=302)
    assert "state=processing" in answer.location and "columns=number" in answer.location


def test_a_bulk_action_on_the_selected_orders(django_app, cms_editor):
    tag = Tag.objects.create(name="VIP")
    chosen, other = bulk_orders(2, prefix="B")
    form = django_app.get(wt_url("orders-workspace"), user=cms_editor).forms["ooe-bulk-form"]
    form["action"] = "add_tag"
    form["tag"] = str(tag.pk)
    form["selected"] = str(chosen.pk)
    answer = form.submit("apply", value="selected").follow()
    assert "1 order updated." in answer.text
    assert list(OrderProcess.objects.get(pk=chosen.pk).tags.all()) == [tag]
    assert not OrderProcess.objects.get(pk=other.pk).tags.exists()


def test_a_bulk_state_change_reports_refusals(django_app, cms_editor,
                                              django_capture_on_commit_callbacks):
    fresh = bulk_orders(2, prefix="F")
    done = bulk_orders(1, prefix="D", state="completed")
    form = django_app.get(wt_url("orders-workspace"), user=cms_editor).forms["ooe-bulk-form"]
    form["action"] = "transition"
    form["transition"] = "confirm"
    form["select_all"] = "1"
    with django_capture_on_commit_callbacks(execute=True):  # every matching order: the worker
        answer = form.submit("apply", value="all")
    assert answer.location.endswith(wt_url("orders-bulk-job", pk=BulkJob.objects.get().pk))
    report = answer.follow()
    assert report.status_code == 200 and "D00000" in report.pyquery(".ooe-refusals").text()
    assert "2 orders updated." in report.text
    assert report.pyquery(".w-breadcrumbs, [data-w-breadcrumbs]").length  # Wagtail's chrome
    assert [OrderProcess.objects.get(pk=p.pk).state for p in fresh + done] == [
        "processing", "processing", "completed"]


def test_the_bulk_bar_needs_the_bulk_permission(django_app, cms_viewer):
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    assert not page.pyquery(".ooe-bulk-bar").length


def test_query_count_does_not_grow_with_the_page_size(django_app, cms_viewer,
                                                      django_assert_max_num_queries):
    bulk_orders(120, tags=[Tag.objects.create(name="T")])
    django_app.get(wt_url("orders-workspace"), user=cms_viewer)  # warm the session and caches
    budget = 30
    with django_assert_max_num_queries(budget) as few_rows:
        django_app.get(f"{wt_url('orders-workspace')}?page_size=25", user=cms_viewer)
    with django_assert_max_num_queries(budget) as many_rows:
        django_app.get(f"{wt_url('orders-workspace')}?page_size=100", user=cms_viewer)
    assert len(few_rows.captured_queries) == len(many_rows.captured_queries)


def test_columns_are_picked_and_remembered(django_app, cms_viewer):
    bulk_orders(1)
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    form = page.forms["ooe-columns-form"]
    form["columns"] = "total,number,customer"
    form.submit().follow()
    assert ColumnPreference.objects.get(user=cms_viewer).columns == ["total", "number", "customer"]
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    headers = [th.attr("data-column") for th in page.pyquery("#ooe-table th[data-column]").items()]
    assert headers == ["total", "number", "customer"]


def test_saving_and_deleting_a_view(django_app, django_app_factory, cms_viewer,
                                    make_wagtail_user):
    from oscar_orders_ext.models import SavedView

    bulk_orders(1)
    page = django_app.get(f"{wt_url('orders-workspace')}?state=new", user=cms_viewer)
    form = page.forms["ooe-save-view-form"]
    form["name"] = "New ones"
    opened = form.submit().follow()
    saved = SavedView.objects.get(name="New ones")
    assert saved.owner == cms_viewer and "state=new" in saved.query
    assert "state=new" in opened.location
    other = make_wagtail_user("someone-else", ["view_orderprocess"])
    no_csrf = django_app_factory(csrf_checks=False)
    no_csrf.post(wt_url("orders-workspace-saved-view-delete", pk=saved.pk), user=other, status=403)
    assert SavedView.objects.exists()
    page = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    delete = next(f for f in page.forms.values() if f.action.endswith("/delete/"))
    delete.submit(status=302)
    assert not SavedView.objects.exists()


def test_exporting_the_filtered_orders(django_app, cms_viewer):
    bulk_orders(2, prefix="X")
    bulk_orders(1, prefix="Y", state="processing")
    page = django_app.get(f"{wt_url('orders-workspace')}?state=processing", user=cms_viewer)
    form = page.forms["ooe-export-form"]
    form["format"] = "csv"
    answer = form.submit()
    text = answer.body.decode("utf-8-sig")
    assert "Y00000" in text and "X00000" not in text


def test_wagtails_in_place_refresh_renders_only_the_results(django_app, cms_viewer):
    bulk_orders(2, prefix="E", currency="EUR")
    bulk_orders(1, prefix="U", currency="USD", state="processing")
    answer = django_app.get(f"{wt_url('orders-workspace-results')}"
                            "?state=processing&_w_filter_fragment=1",
                            user=cms_viewer)
    assert "<html" not in answer.text  # a fragment for #listing-results
    assert len(shown(answer)) == 1
    assert [b.attr("data-currency") for b in answer.pyquery(".ooe-total").items()] == ["USD"]
    # The filter drill-down comes along (Wagtail teleports it into the header) ...
    assert answer.pyquery("template[data-controller=w-teleport]").length
    # ... and the refresh flag stays out of the links, saved views and exports.
    assert "_w_filter_fragment" not in answer.pyquery("#ooe-export-form [name=query]").val()
    assert all("_w_filter_fragment" not in (a.attr("href") or "")
               for a in answer.pyquery(".ooe-state-counts a").items())


def test_active_filters_show_as_wagtail_pills_that_remove_them(django_app, cms_viewer):
    bulk_orders(2, prefix="E")
    bulk_orders(1, prefix="U", state="processing")
    bulk_orders(1, prefix="U0", state="shipped")
    page = django_app.get(f"{wt_url('orders-workspace')}?state=processing&q=U0", user=cms_viewer)
    assert len(shown(page)) == 1
    pills = page.pyquery(".w-active-filters .w-pill")
    assert [pill.find(".w-pill__content b").text() for pill in pills.items()] == ["In preparation"]
    removal = pills.find(".w-pill__remove").attr("data-w-swap-src-value")
    answer = django_app.get(removal, user=cms_viewer)
    assert len(shown(answer)) == 2  # the search stays; only the state filter went


def test_the_search_keeps_the_sort_page_size_and_columns(django_app, cms_viewer):
    bulk_orders(1)
    page = django_app.get(f"{wt_url('orders-workspace')}"
                          "?sort=total&page_size=50&columns=number,total",
                          user=cms_viewer)
    header = page.pyquery("form[data-search-form]")
    kept = {field.attr("name"): field.val()
            for field in header.find("input[type=hidden]").items()}
    assert kept == {"sort": "total", "page_size": "50", "columns": "number,total"}
