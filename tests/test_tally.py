"""PostgreSQL keeps running tallies per funnel, stage, state, currency, payment status and order
type; whatever changes the orders (checkout, bulk writes, moves, edits, plain UPDATEs,
deletions) they match a live count, and summaries of those filters read them."""

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


KEY = ("funnel_id", "stage_id", "state", "currency", "payment_status", "order_type")


def live() -> dict[tuple, tuple]:
    rows = OrderProcess.objects.values(*KEY).annotate(n=Count("pk"), amount=Sum("total"))
    return {tuple(r[name] or 0 if name == "stage_id" else r[name] for name in KEY):
            (r["n"], r["amount"]) for r in rows}


def tallied() -> dict[tuple, tuple]:
    return {tuple(getattr(t, name) for name in KEY): (t.count, t.total)
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
    edits.set_payment_status(orders[2], "paid")
    OrderProcess.objects.filter(number__startswith="B001").update(order_type="wholesale")
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
    filtered = selectors.OrderFilter(QueryDict("total_min=6"),
                                     queryset=OrderProcess.objects.all())
    with django_assert_num_queries(1) as captured:
        summary = selectors.summarize(filtered)
    assert "oscar_orders_ext_processtally" not in captured.captured_queries[0]["sql"]
    assert [(t.currency, t.count) for t in summary.totals] == [("EUR", 30)]


@pytest.mark.parametrize("query", [
    "currency=USD", "payment_status=paid", "payment_status=pending&payment_status=refunded",
    "order_type=wholesale", "state=processing&payment_status=paid",
    "currency=EUR&order_type=retail&payment_status=pending"])
def test_filters_on_the_tally_key_read_the_tallies_and_agree_with_a_live_count(
        query, django_assert_num_queries):
    bulk_orders(12, prefix="E", currency="EUR", total=Decimal("10"))
    bulk_orders(8, prefix="U", currency="USD", total=Decimal("5"), state="processing")
    OrderProcess.objects.filter(number__in=["E00001", "E00002", "U00003"]).update(
        payment_status="paid")
    OrderProcess.objects.filter(number="E00004").update(payment_status="refunded")
    OrderProcess.objects.filter(number__in=["E00005", "U00006"]).update(order_type="wholesale")

    def summary_of(query: str, processes) -> tuple:
        summary = selectors.summarize(selectors.OrderFilter(QueryDict(query), queryset=processes))
        return ([(t.currency, t.total, t.count) for t in summary.totals],
                [(c.state.code, c.count) for c in summary.states])

    with django_assert_num_queries(1) as captured:
        tallied_summary = summary_of(query, OrderProcess.objects.all())
    assert "oscar_orders_ext_processtally" in captured.captured_queries[0]["sql"]
    # A base queryset with a condition of its own is always counted live.
    assert tallied_summary == summary_of(query, OrderProcess.objects.filter(pk__gt=0))
    assert tallied_summary[0]  # the filters used here all match some orders


def test_a_board_filtered_by_state_counts_only_that_state():
    bulk_orders(5, prefix="N", total=Decimal("10"))
    bulk_orders(3, prefix="P", total=Decimal("7"), state="processing")
    funnel = Funnel.objects.get(is_default=True)

    def columns(processes) -> dict:
        board = selectors.kanban(selectors.OrderFilter(QueryDict("state=processing"),
                                                       queryset=processes), funnel)
        return {column.stage.name: column.count for column in board if column.count}

    assert columns(OrderProcess.objects.all()) == columns(OrderProcess.objects.filter(pk__gt=0))
    assert sum(columns(OrderProcess.objects.all()).values()) == 3
