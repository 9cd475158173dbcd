"""The inbox and the unread column cost the same number of queries whatever the number of
orders, of unread messages and of rows shown, in both skins (issue 21: "counts cost a constant
number of queries per page")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse

from oscar_orders_ext import selectors
from oscar_orders_ext.models import OrderProcess

from ..factories import bulk_orders
from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access

pytestmark = pytest.mark.django_db

UNREAD_COLUMNS = "placed,number,state,customer,total,unread"


def _unread(processes: list[OrderProcess], count: int) -> None:
    """Give ``processes`` unread customer messages (the counter the inbox reads)."""
    OrderProcess.objects.filter(pk__in=[p.pk for p in processes]).update(staff_unread=count)


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_the_inbox_costs_the_same_queries_for_few_and_many_orders(
        django_app: Any, viewer: Any, namespace: str,
        django_assert_max_num_queries: Any) -> None:
    user = with_wagtail_access(viewer)
    _unread(bulk_orders(3, prefix="FEW", state="processing"), 1)
    inbox = reverse(f"{namespace}:orders-workspace")
    django_app.get(f"{inbox}?inbox=true", user=user)  # warm the session and caches
    budget = 22  # session, user, permissions, summary, rows, tags, lines, menus (no panel)
    with django_assert_max_num_queries(budget) as few:
        page = django_app.get(f"{inbox}?inbox=true&columns={UNREAD_COLUMNS}", user=user)
    assert len(page.pyquery("td.ooe-cell-number")) == 3
    _unread(bulk_orders(90, prefix="MANY", state="processing"), 4)
    bulk_orders(30, prefix="NEW")  # new orders are in the inbox too
    bulk_orders(40, prefix="QUIET", state="processing")  # read: not in the inbox
    with django_assert_max_num_queries(budget) as many:
        page = django_app.get(f"{inbox}?inbox=true&page_size=100&columns={UNREAD_COLUMNS}",
                              user=user)
    shown = [cell.text().lstrip("#") for cell in page.pyquery("td.ooe-cell-number").items()]
    assert len(shown) == 100 and not any(number.startswith("QUIET") for number in shown)
    assert len(few.captured_queries) == len(many.captured_queries)


@pytest.mark.postgres
@pytest.mark.parametrize("query", ["inbox=true", "inbox=true&currency=USD",
                                   "inbox=true&state=processing", "inbox=true&state=new",
                                   "inbox=true&order_type=wholesale"])
def test_the_inbox_summary_reads_the_tallies_and_agrees_with_a_live_count(
        query: str, django_assert_num_queries: Any) -> None:
    bulk_orders(12, prefix="E", currency="EUR", total=Decimal("10"))  # new: in the inbox
    bulk_orders(8, prefix="U", currency="USD", total=Decimal("5"))
    _unread(bulk_orders(6, prefix="P", currency="USD", total=Decimal("7"),
                        state="processing"), 2)
    bulk_orders(9, prefix="Q", currency="EUR", total=Decimal("3"), state="processing")
    OrderProcess.objects.filter(number__in=["E00001", "P00002"]).update(
        order_type="wholesale")

    def summary_of(processes: Any) -> tuple:
        summary = selectors.summarize(selectors.OrderFilter(QueryDict(query),
                                                            queryset=processes))
        return ([(t.currency, t.total, t.count) for t in summary.totals],
                [(c.state.code, c.count) for c in summary.states])

    with django_assert_num_queries(1) as captured:  # the tallies + the unread elsewhere
        tallied = summary_of(OrderProcess.objects.all())
    assert "oscar_orders_ext_processtally" in captured.captured_queries[0]["sql"]
    assert "UNION ALL" in captured.captured_queries[0]["sql"]
    assert tallied == summary_of(OrderProcess.objects.filter(pk__gt=0))  # counted live
    assert tallied[0]
