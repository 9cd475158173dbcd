"""PostgreSQL keeps running tallies per funnel, stage, state and currency; whatever changes the
orders (checkout, bulk writes, moves, edits, plain UPDATEs, deletions) they match a live count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.http import QueryDict

from oscar_orders_ext import selectors
from oscar_orders_ext.models import Funnel, OrderProcess, ProcessTally
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import transition_order

from .factories import bulk_orders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def live() -> dict[tuple, tuple]:
    rows = OrderProcess.objects.values("funnel_id", "stage_id", "state", "currency").annotate(
        n=Count("pk"), amount=Sum("total"))
    return {(r["funnel_id"], r["stage_id"] or 0, r["state"], r["currency"]): (r["n"], r["amount"])
            for r in rows}


def tallied() -> dict[tuple, tuple]:
    return {(t.funnel_id, t.stage_id, t.state, t.currency): (t.count, t.total)
            for t in ProcessTally.objects.exclude(count=0)}


def test_tallies_follow_every_kind_of_change(place_order):
    orders = [place_order() for _ in range(3)]
    bulk_orders(40, prefix="B", currency="USD", total=Decimal("7.25"))
    assert tallied() == live()

    transition_order(orders[0], "confirm")
    transition_order(orders[1], "cancel")
    edits.move_to_funnel(orders[2], Funnel.create_from_workflow("Wholesale", is_default=False))
    OrderProcess.objects.filter(number__startswith="B000").update(state="shipped")
    OrderProcess.objects.filter(number="B00011").update(currency="GBP", total=Decimal("99"))
    orders[0].delete()
    OrderProcess.objects.filter(number__startswith="B003").delete()
    assert tallied() == live()


def test_the_summary_reads_tallies_and_agrees_with_a_live_count(django_assert_num_queries):
    bulk_orders(30, prefix="E", currency="EUR", total=Decimal("10"))
    bulk_orders(20, prefix="U", currency="USD", total=Decimal("5"), state="processing")
    unfiltered = selectors.OrderFilter(QueryDict(""), queryset=OrderProcess.objects.all())
    with django_assert_num_queries(1) as captured:
        summary = selectors.summarize(unfiltered)
    assert "oscar_orders_ext_processtally" in captured.captured_queries[0]["sql"]
    by_currency = {t.currency: (t.total, t.count) for t in summary.totals}
    assert by_currency == {"EUR": (Decimal("300"), 30), "USD": (Decimal("100"), 20)}
    assert summary.count == 50

    # A filter the tallies cannot answer is counted live, with the same result shape.
    filtered = selectors.OrderFilter(QueryDict("currency=USD"),
                                     queryset=OrderProcess.objects.all())
    summary = selectors.summarize(filtered)
    assert [(t.currency, t.count) for t in summary.totals] == [("USD", 20)]
