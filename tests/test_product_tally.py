"""PostgreSQL keeps a tally per product (migration 0024: each distinct SKU and line title of
the orders, per funnel, stage, state and currency). Whatever writes the lines or moves the
orders, it matches a recount; a search for one SKU or one product's title reads its summary
there, in one query, and agrees with a live count (issue 18: a SKU or title word searched
1.9–2.1× Oscar's list); a search matching two values is counted live."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext import selectors
from oscar_orders_ext.models import Funnel, OrderProcess, Tag, TagTally
from oscar_orders_ext.services.processes import ProcessSeed, bulk_attach_processes
from oscar_orders_ext.services.transitions import transition_order

from .factories import bulk_orders, product_recount, product_tallied

Line = get_model("order", "Line")
Order = get_model("order", "Order")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def add_lines(processes, sku: str, title: str, total: Decimal = Decimal("10.00")) -> None:
    """One line of ``sku``/``title`` on each order of ``processes``, written in bulk."""
    Line.objects.bulk_create(
        Line(order_id=process.order_id, partner_sku=sku, title=title, quantity=1,
             num_allocated=0, line_price_incl_tax=total, line_price_excl_tax=total,
             line_price_before_discounts_incl_tax=total,
             line_price_before_discounts_excl_tax=total)
        for process in processes)


def lines_before_processes(count: int, prefix: str, sku: str, title: str) -> list:
    """Orders whose lines are written before their processes, as the seed's bulk path and
    the imports do."""
    basket = factories.create_basket(empty=True)
    orders = Order.objects.bulk_create(
        Order(number=f"{prefix}{i:05d}", basket=basket, currency="GBP", status="Pending",
              date_placed=timezone.now(), total_incl_tax=Decimal("7.00"),
              total_excl_tax=Decimal("7.00"), shipping_incl_tax=0, shipping_excl_tax=0)
        for i in range(count))
    saved = list(Order.objects.filter(number__in=[o.number for o in orders]))
    Line.objects.bulk_create(
        Line(order=order, partner_sku=sku, title=title, quantity=1, num_allocated=0,
             line_price_incl_tax=Decimal("7.00"), line_price_excl_tax=Decimal("7.00"),
             line_price_before_discounts_incl_tax=Decimal("7.00"),
             line_price_before_discounts_excl_tax=Decimal("7.00"))
        for order in saved for _ in range(2))  # the same SKU twice: the order counts once
    bulk_attach_processes(ProcessSeed(order=order, state="new") for order in saved)
    return saved


def shop(place_order) -> list:
    """Checkout orders (Espresso cup, CUP-1), bulk orders given lines after their processes
    (blankets, two currencies), orders whose lines came first (tea towels)."""
    placed = [place_order() for _ in range(2)]
    eur = bulk_orders(6, prefix="E", currency="EUR", total=Decimal("10"))
    usd = bulk_orders(4, prefix="U", currency="USD", total=Decimal("5"), state="processing")
    add_lines(eur, "AL-0010-EUR", "Wool throw blanket")
    add_lines(usd, "AL-0010-USD", "Wool throw blanket")
    add_lines(eur[:2], "AL-0003-EUR", "Linen napkins")
    lines_before_processes(3, "T", "TT-1-GBP", "Tea towel")
    return placed


def test_the_product_tally_follows_every_kind_of_change(place_order):
    placed = shop(place_order)
    assert product_tallied() == product_recount()
    towels = OrderProcess.objects.get(number="T00000")
    assert product_tallied()[("sku", "TT-1-GBP", towels.funnel_id, towels.stage_id or 0, "new",
                              "GBP")] == (3, Decimal("21.00"))  # two lines each, counted once

    transition_order(placed[0], "confirm")  # a move through the service
    OrderProcess.objects.filter(number__startswith="E0000").update(
        state="shipped", total=Decimal("12"))
    OrderProcess.objects.filter(number="U00001").update(currency="GBP")
    OrderProcess.objects.filter(number="U00002").update(payment_status="paid")  # no key
    Line.objects.filter(order__number="E00003", partner_sku="AL-0010-EUR").update(
        title="Wool throw blanket, grey")
    Line.objects.filter(order__number="U00000").update(partner_sku="AL-0011-USD")
    for line in Line.objects.filter(order=placed[1]):
        line.save()  # Oscar saves every line when an order's status changes
    Line.objects.filter(order__number="E00001", partner_sku="AL-0003-EUR").delete()
    Line.objects.filter(order__number="T00001").first().delete()  # one of two towels
    placed[1].delete()
    OrderProcess.objects.filter(number="E00005").delete()
    assert product_tallied() == product_recount()


def summary_of(query: str, processes) -> tuple:
    summary = selectors.summarize(selectors.OrderFilter(QueryDict(query), queryset=processes))
    return ([(t.currency, t.total, t.count) for t in summary.totals],
            [(c.state.code, c.count) for c in summary.states])


@pytest.mark.parametrize("query", [
    "q=AL-0010-EUR", "q=al-0010-e", "q=blanket", "q=Wool+throw", "q=espresso",
    "q=CUP-1&state=new", "q=blanket&currency=USD", "q=tea+towel"])
def test_a_search_for_one_sku_or_title_reads_the_tally_and_agrees_with_a_recount(
        query, place_order, django_assert_max_num_queries):
    shop(place_order)
    # The probes: an order number starting with the text (SKU-like text), the tally's
    # matching values, the process's own columns; then the summary.
    with django_assert_max_num_queries(4) as captured:
        tallied = summary_of(query, OrderProcess.objects.all())
    assert "oscar_orders_ext_producttally" in captured.captured_queries[-1]["sql"]
    # A base queryset with a condition of its own is always counted live.
    assert tallied == summary_of(query, OrderProcess.objects.filter(pk__gt=0))
    matched = sum(count for _currency, _total, count in tallied[0])
    assert 0 < matched < OrderProcess.objects.count()


@pytest.mark.parametrize("query, orders", [
    ("q=AL-00", 10),    # every SKU of the blankets and napkins: 10 orders, not 12
    ("q=cup", 2),       # the title "Espresso cup" and the SKU "CUP-1"
])
def test_a_search_matching_two_values_is_counted_live_once_per_order(query, orders,
                                                                     place_order):
    shop(place_order)
    with CaptureQueriesContext(connection) as captured:
        summary = summary_of(query, OrderProcess.objects.all())
    assert "tally" not in captured.captured_queries[-1]["sql"]
    assert sum(count for _currency, _total, count in summary[0]) == orders


def test_a_search_for_a_name_and_a_product_is_counted_live(place_order):
    shop(place_order)
    OrderProcess.objects.filter(number="E00000").update(customer_name="Mr Blanket")
    with CaptureQueriesContext(connection) as captured:
        summary = summary_of("q=blanket", OrderProcess.objects.all())
    assert "tally" not in captured.captured_queries[-1]["sql"]
    assert sum(count for _currency, _total, count in summary[0]) == 10


def test_the_board_of_a_product_search_agrees_with_a_recount(place_order):
    shop(place_order)
    funnel = Funnel.objects.get(is_default=True)

    def columns(processes) -> dict:
        board = selectors.kanban(selectors.OrderFilter(QueryDict("q=blanket"),
                                                       queryset=processes), funnel)
        return {column.stage.name: (column.count, [(t.currency, t.total, t.count)
                                                   for t in column.totals])
                for column in board if column.count}

    with CaptureQueriesContext(connection) as captured:
        tallied = columns(OrderProcess.objects.all())
    assert any("producttally" in query["sql"] for query in captured.captured_queries)
    assert tallied == columns(OrderProcess.objects.filter(pk__gt=0))
    assert tallied


def scans_of_order_tables() -> dict[str, int]:
    """Whole-table reads of the lines, processes and tag links in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, seq_scan FROM pg_stat_xact_user_tables "
                       "WHERE relname IN ('order_line', 'oscar_orders_ext_orderprocess', "
                       "'oscar_orders_ext_orderprocess_tags')")
        return dict(cursor.fetchall())


def test_a_batch_of_new_orders_reads_only_its_own_lines_and_processes():
    """An import's batch (lines, then processes, then tags, thousands at a time) keeps the
    tallies through the indexes of the orders it touches: the triggers once scanned every line
    and process of the shop per batch, so a million-order import grew with the square of the
    shop's size (issue 24, migration 0028)."""
    existing = bulk_orders(3000, prefix="OLD")
    add_lines(existing, "OLD-1", "Old mug")
    tag = Tag.objects.create(name="Imported")

    scans = scans_of_order_tables()
    new = lines_before_processes(2000, "NEW", "NEW-1", "New mug")  # lines, then processes
    assert scans_of_order_tables() == scans
    processes = list(OrderProcess.objects.filter(order__in=new).values_list("pk", flat=True))
    scans = scans_of_order_tables()
    OrderProcess.tags.through.objects.bulk_create(
        OrderProcess.tags.through(orderprocess_id=pk, tag_id=tag.pk) for pk in processes)
    assert scans_of_order_tables() == scans
    # (This UPDATE's own WHERE reads the table: its triggers are covered by the recount.)
    OrderProcess.objects.filter(pk__in=processes).update(state="processing")

    assert product_tallied() == product_recount()
    assert TagTally.objects.filter(tag_id=tag.pk, state="processing").get().count == 2000
