"""The sandbox's ``seed_demo`` command: the demo shop a merchant sees after running it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_orders_ext.constants import PaymentStatus, StockStatus, TimelineKind
from oscar_orders_ext.models import Customer, Funnel, OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.workflow import get_workflow
from sandbox.demo import data
from sandbox.demo.setup import initial_stock
from tests.customers.test_aggregates import full_recount, stored
from tests.factories import product_recount, product_tallied

Category = get_model("catalogue", "Category")
Country = get_model("address", "Country")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")
UserAddress = get_model("address", "UserAddress")

pytestmark = pytest.mark.django_db

OPEN_STATES = {"new", "processing", "awaiting_payment", "on_hold", "awaiting_customer"}
FINAL_STATES = {"completed", "cancelled", "rejected", "refunded"}


def seed(**options: Any) -> str:
    """Run ``seed_demo`` and return what it printed."""
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def planned_orders() -> Any:
    """The orders the seed planned: all but the subscription order it adds on the checkout
    path (``place_due_subscription``)."""
    from oscar_orders_ext.models import Subscription

    return Order.objects.exclude(pk__in=Subscription.objects.values("order"))


def order_story(orders: Any) -> list[tuple[Any, ...]]:
    """What a merchant would compare between two runs: state, money and goods of each order."""
    return [(order.process.state, order.currency, order.total_incl_tax, order.guest_email,
             tuple((line.upc, line.quantity) for line in order.lines.order_by("pk")))
            for order in orders.select_related("process").order_by("date_placed", "pk")]


def assert_statuses_mirror_states() -> None:
    workflow = get_workflow()
    for process in OrderProcess.objects.select_related("order"):
        assert process.order.status == workflow.get_state(process.state).get_oscar_status(), (
            process.order.number, process.state, process.order.status)


def assert_allocations_match_lines() -> None:
    """Every tracked stock record holds exactly what its order lines still hold allocated."""
    for record in StockRecord.objects.select_related("product__product_class"):
        held = Line.objects.filter(stockrecord=record).aggregate(
            total=Sum("num_allocated"))["total"] or 0
        if record.product.product_class.track_stock:
            assert (record.num_allocated or 0) == held, record.partner_sku
            assert record.num_in_stock - (record.num_allocated or 0) >= 0, record.partner_sku
        else:
            assert not record.num_allocated, record.partner_sku


class TestCheckoutPath:
    """Up to --bulk-threshold orders go through Oscar's checkout code and the app's services."""

    def test_orders_are_placed_by_oscar_and_worked_through_the_workflow(self) -> None:
        output = seed(orders=30, seed=11)

        orders = planned_orders()
        assert orders.count() == 30
        assert "Added 30 orders" in output
        # Oscar numbered them (100000 + basket id) and each got its companion process.
        for order in orders:
            assert order.number == str(100000 + order.basket_id)
        assert OrderProcess.objects.filter(order__in=orders).count() == 30
        assert not orders.filter(process__isnull=True).exists()

        states = Counter(OrderProcess.objects.values_list("state", flat=True))
        assert len(states) >= 4, states
        assert OPEN_STATES & set(states) and FINAL_STATES & set(states), states
        assert set(orders.values_list("currency", flat=True)) == {"EUR", "GBP", "USD"}
        assert_statuses_mirror_states()

        # Orders moved past "new" carry their history, dated between placement and now.
        now = timezone.now()
        moved = OrderProcess.objects.exclude(state="new").select_related("order")
        assert moved.exists()
        for process in moved:
            entries = TimelineEntry.objects.filter(order=process.order_id)
            last_move = entries.filter(kind=TimelineKind.STATE).order_by("-created_at").first()
            assert last_move is not None, process.order.number
            assert process.order.date_placed <= process.state_changed_at <= now
            # The timeline and Oscar's status history tell when it happened, not "today".
            assert last_move.created_at == process.state_changed_at, process.order.number
            assert process.order.status_changes.order_by("-date_created").first(
            ).date_created == process.state_changed_at, process.order.number
            assert not entries.filter(created_at__lt=process.order.date_placed).exists()
        assert moved.filter(state_changed_at__lt=now - timedelta(days=30)).exists()
        placed = sorted(orders.values_list("date_placed", flat=True))
        assert placed[0] < now - timedelta(days=30) and placed[-1] <= now

        # Payment follows the story: refunds are refunded, orders awaiting payment unpaid.
        for process in OrderProcess.objects.filter(state="refunded"):
            assert process.payment_status == PaymentStatus.REFUNDED
        for process in OrderProcess.objects.filter(state="awaiting_payment"):
            assert process.payment_status == PaymentStatus.UNPAID
        assert OrderProcess.objects.filter(payment_status=PaymentStatus.PAID).exists()
        # Operators, tags and both funnels are in use.
        assert OrderProcess.objects.filter(operator__isnull=False).exists()
        assert OrderProcess.tags.through.objects.exists()
        assert set(OrderProcess.objects.values_list("funnel__name", flat=True)) == {
            Funnel.objects.get_default().name, data.WHOLESALE_FUNNEL}

    def test_a_subscription_is_due_so_the_tick_bills_it_at_once(self) -> None:
        from oscar_orders_ext.models import Subscription, SubscriptionRenewal
        from oscar_orders_ext.subscriptions.service import renew_due

        seed(orders=3)
        [sub] = Subscription.objects.all()
        assert (sub.email, sub.state, sub.periods_billed) == (
            "giulia.bianchi@example.com", "active", 1)
        assert sub.next_renewal_on == timezone.localdate()
        # Its history says it started a month ago, with its order.
        assert sub.events.get().created_at < timezone.now() - timedelta(days=27)
        assert renew_due() == 1  # what `orders_tick` runs: the renewal order and its link
        renewal = SubscriptionRenewal.objects.get(subscription=sub)
        assert renewal.order is not None and renewal.order.payment_links.exists()
        # Giulia shops in Italian: her renewal order is written in Italian, as her first.
        assert OrderProcess.objects.get(order=sub.order).language == "it"
        assert renewal.order.shipping_method == "Spedizione non richiesta"
        seed(orders=1)  # a second run adds no second subscription
        assert Subscription.objects.count() == 1

    def test_stock_is_allocated_consumed_and_restocked_like_in_the_shop(self) -> None:
        seed(orders=30, seed=11)

        assert_allocations_match_lines()
        tracked = Line.objects.filter(product__product_class__track_stock=True)
        # Open orders hold their goods; shipped ones used them up; cancelled ones let go.
        holding = tracked.filter(order__process__stock_status=StockStatus.ALLOCATED)
        assert holding.exists()
        for line in holding:
            assert line.num_allocated == line.quantity
        for line in tracked.filter(order__process__stock_status__in=[
                StockStatus.CONSUMED, StockStatus.RELEASED, StockStatus.RESTOCKED]):
            assert line.num_allocated == 0
        # Shelf stock went down by what was shipped and not returned.
        partners = {spec.name: spec for spec in data.PARTNERS}
        index = {spec.upc: position for position, spec in enumerate(data.PRODUCTS)}
        shipped = 0
        for record in StockRecord.objects.filter(
                product__product_class__track_stock=True).select_related("partner", "product"):
            gone = tracked.filter(
                stockrecord=record, order__process__stock_status=StockStatus.CONSUMED,
            ).aggregate(total=Sum("quantity"))["total"] or 0
            start = initial_stock(partners[record.partner.name], index[record.product.upc],
                                  record.price_currency)
            assert record.num_in_stock == start - gone, record.partner_sku
            shipped += gone
        assert shipped > 0

    def test_same_seed_gives_the_same_orders(self) -> None:
        seed(orders=12, seed=5)
        first = order_story(planned_orders())
        seed(orders=12, seed=5)
        second = order_story(planned_orders().exclude(
            pk__in=planned_orders().order_by("pk")[:12].values_list("pk", flat=True)))
        assert len(first) == len(second) == 12
        assert first == second


class TestSetUp:
    """The catalogue and people are created once; running again changes nothing."""

    def test_catalogue_people_and_tags_are_created_once(self) -> None:
        seed(orders=3, seed=1)

        def counts() -> dict[str, int]:
            return {"products": Product.objects.count(), "records": StockRecord.objects.count(),
                    "categories": Category.objects.count(), "users":
                    get_user_model().objects.count(), "tags": Tag.objects.count(),
                    "funnels": Funnel.objects.count(), "countries": Country.objects.count(),
                    "addresses": UserAddress.objects.count()}

        before = counts()
        stock_before = dict(StockRecord.objects.values_list("pk", "num_in_stock"))
        output = seed(orders=0, seed=2)
        assert counts() == before
        assert "new this run: 0 products, 0 users, 0 tags" in output
        # A second run must not reset stock that orders already used.
        assert dict(StockRecord.objects.values_list("pk", "num_in_stock")) == stock_before

        # The catalogue, and the subscription product sold on the demo's monthly plan.
        assert before["products"] == len(data.PRODUCTS) + 1 == 21
        assert Product.objects.get(upc="DEMO-SUB-1").subscription_plan.plan.prices.count() >= 1
        assert before["categories"] == len(data.CATEGORIES)
        assert before["tags"] == len(data.TAGS)
        assert before["countries"] == 5
        assert before["funnels"] == 2
        assert set(Country.objects.values_list("pk", flat=True)) == {"GB", "FR", "IT", "DE", "US"}
        # Every tracked product is stocked by both partners; gift cards track no stock.
        per_product = Product.objects.annotate(partners=Count(
            "stockrecords__partner", distinct=True))
        assert set(per_product.values_list("partners", flat=True)) == {2}
        assert Product.objects.filter(product_class__track_stock=True).count() == 18
        assert set(Tag.objects.values_list("colour", flat=True)) == set(data.TAGS.values())

    def test_demo_logins_work(self) -> None:
        seed(orders=0)
        admin = authenticate(username="demo", password="demo")
        assert admin is not None and admin.is_superuser and admin.is_staff
        assert admin.email == "demo@example.com"
        for spec in data.OPERATORS:
            operator = authenticate(username=spec.username, password=data.PEOPLE_PASSWORD)
            assert operator is not None and operator.is_staff and not operator.is_superuser
            assert operator.has_perm("oscar_orders_ext.change_order_state")
            assert operator.has_perm("oscar_orders_ext.refund_order")
        customers = get_user_model().objects.filter(is_staff=False)
        assert customers.count() == len(data.CUSTOMERS)
        assert UserAddress.objects.filter(user__in=customers).count() == len(data.CUSTOMERS)


    def test_the_shop_is_set_up_as_a_merchant_would_first(self) -> None:
        # The demo shop had no identity (invoices printed no seller), carriers or voucher.
        from django.contrib.sites.models import Site

        from oscar_orders_ext.documents.identity import get_identity
        from oscar_orders_ext.models import Carrier

        output = seed(orders=0)
        assert get_identity().missing_for_legal_documents() == []
        assert set(Carrier.objects.values_list("name", flat=True)) == {
            name for name, __ in data.CARRIERS}
        voucher = get_model("voucher", "Voucher").objects.get(code=data.VOUCHER_CODE)
        assert voucher.is_active() and voucher.offers.count() == 1
        assert Site.objects.get_current().domain == data.SITE_DOMAIN
        assert "demo@example.com / demo (username demo)" in output
        assert set(get_model("payment", "SourceType").objects.values_list("code", flat=True)
                   ) >= {"card", "bank-transfer"}
        seed(orders=0)  # a second run adds nothing
        assert get_model("voucher", "Voucher").objects.count() == 1
        assert Carrier.objects.count() == len(data.CARRIERS)

    def test_wholesale_customers_are_in_a_group_with_its_price_list(self) -> None:
        # The sandbox shows a group's prices at checkout: its customers log in and see them.
        from oscar_orders_ext.models import Customer, CustomerGroup

        seed(orders=0)
        group = CustomerGroup.objects.get(name=data.WHOLESALE_GROUP)
        assert [p.name for p in group.price_lists.all()] == [data.WHOLESALE_PRICE_LIST]
        assert set(Customer.objects.filter(group=group).values_list("email", flat=True)) == {
            spec.email for spec in data.CUSTOMERS if spec.wholesale}
        # A wholesale customer's basket costs 15% less than the shelf price, 25% from 10 pieces.
        from decimal import Decimal

        from oscar.core.loading import get_class

        luc = get_user_model().objects.get(username="luc.martin")
        product = Product.objects.filter(categories__name=data.CATEGORIES[0],
                                         stockrecords__price_currency="EUR").first()
        strategy = get_class("partner.strategy", "Selector")().strategy(user=luc)
        shelf = strategy.fetch_for_product(product).stockrecord.price  # the normal price
        for quantity, percent in ((1, 15), (data.WHOLESALE_BREAK_QUANTITY, 25)):
            basket = get_model("basket", "Basket").objects.create()
            basket.strategy = strategy
            basket.add_product(product, quantity)
            unit = basket.all_lines()[0].unit_price_excl_tax
            expected = (Decimal(shelf) * (100 - percent) / 100).quantize(Decimal("0.01"))
            assert unit == expected, (quantity, unit, shelf)
        seed(orders=0)  # a second run adds nothing
        assert CustomerGroup.objects.count() == 1

    def test_demo_orders_are_paid_with_a_payment_method_on_both_paths(self) -> None:
        # The payment method filter and column were empty on the demo shop.
        from oscar_orders_ext.selectors import distinct_values, forget_listed_values

        seed(orders=12, seed=5)  # through Oscar's checkout
        seed(orders=20, bulk_threshold=5, batch_size=10, seed=6)  # bulk inserts
        processes = OrderProcess.objects.all()  # with the due subscription's order
        assert processes.count() == 33 and not processes.filter(payment_method="").exists()
        assert get_model("payment", "Source").objects.count() == 33
        forget_listed_values()
        assert "Card" in distinct_values("payment_method")
        wholesale = processes.filter(funnel__name=data.WHOLESALE_FUNNEL)
        assert set(wholesale.values_list("payment_method", flat=True)) <= {"Bank transfer"}

    def test_customers_shop_in_their_countrys_language_on_both_paths(self) -> None:
        # Giulia in Milan got a proposal and emails in English on her demo orders.
        seed(orders=12, seed=5)  # through Oscar's checkout
        seed(orders=20, bulk_threshold=5, batch_size=10, seed=6)  # bulk inserts
        country = {spec.email: spec.country for spec in (*data.CUSTOMERS, *data.GUESTS)}
        shipping = {"it": {"Spese di spedizione gratuite", "Spese di spedizione fisse",
                           "Spedizione non richiesta"},
                    "fr": {"Livraison gratuite", "Prix de livraison fixe",
                           "Aucune livraison nécessaire"}}
        seen = set()
        for process in OrderProcess.objects.select_related("order"):
            expected = data.SHOP_LANGUAGES.get(country[process.order.email], "en-gb")
            assert process.language == expected, process.order.number
            if expected in shipping:
                assert process.order.shipping_method in shipping[expected]
            seen.add(expected)
        assert seen == {"it", "fr", "en-gb"}


class TestBulkPath:
    """Above --bulk-threshold orders are bulk-inserted with their processes attached."""

    def test_every_bulk_order_is_complete_and_consistent(self) -> None:
        output = seed(orders=60, bulk_threshold=10, batch_size=25, seed=3)
        assert "orders/s" in output

        orders = Order.objects.all()
        assert orders.count() == 60
        numbers = list(orders.values_list("number", flat=True))
        assert len(set(numbers)) == 60 and all(n.startswith("D") for n in numbers)
        assert not orders.filter(basket__isnull=False).exists()

        # Exactly one process and one "created" entry per order, dated at placement.
        assert OrderProcess.objects.count() == 60
        per_order = Counter(OrderProcess.objects.values_list("order_id", flat=True))
        assert set(per_order.values()) == {1}
        created = TimelineEntry.objects.filter(kind=TimelineKind.CREATED)
        assert Counter(created.values_list("order_id", flat=True)) == Counter(
            {pk: 1 for pk in orders.values_list("pk", flat=True)})
        for entry in created.select_related("order"):
            assert entry.created_at == entry.order.date_placed
        for process in OrderProcess.objects.select_related("order", "stage"):
            assert process.placed_at == process.order.date_placed
            assert process.order.date_placed <= process.state_changed_at <= timezone.now()
            assert process.stage is not None and process.stage.funnel_id == process.funnel_id
            assert process.stage.state == process.state
        assert_statuses_mirror_states()
        # The customer directory counts the bulk orders as it counts placed ones.
        assert Customer.objects.filter(order_count__gt=0).exists()
        assert stored() == full_recount()

        states = set(OrderProcess.objects.values_list("state", flat=True))
        assert len(states) >= 4, states
        assert set(orders.values_list("currency", flat=True)) == {"EUR", "GBP", "USD"}
        assert OrderProcess.objects.filter(funnel__name=data.WHOLESALE_FUNNEL).exists()
        assert OrderProcess.tags.through.objects.exists()

        # Lines, addresses and totals are what Oscar's order pages show.
        for order in orders.prefetch_related("lines"):
            lines = list(order.lines.all())
            assert lines, order.number
            assert order.shipping_address_id and order.billing_address_id
            for line in lines:
                assert line.partner_id and line.stockrecord_id and line.product_id
                assert line.title and line.quantity > 0
                assert line.line_price_incl_tax == line.unit_price_incl_tax * line.quantity
                assert line.stockrecord.price_currency == order.currency
            assert order.total_incl_tax == (sum(line.line_price_incl_tax for line in lines)
                                            + order.shipping_incl_tax)
        assert_allocations_match_lines()
        if connection.vendor == "postgresql":  # the product tally's triggers (migration 0024)
            assert product_tallied() == product_recount()

    def test_bulk_orders_can_be_worked_like_any_other(self) -> None:
        seed(orders=40, bulk_threshold=0, seed=8)
        process = OrderProcess.objects.filter(
            state="new", order__lines__product__product_class__track_stock=True).first()
        assert process is not None
        record = process.order.lines.filter(
            product__product_class__track_stock=True).first().stockrecord
        in_stock = record.num_in_stock

        transition_order(process.order, "ship")

        process.refresh_from_db()
        record.refresh_from_db()
        assert process.state == "shipped"
        assert process.order.status == "Shipped"
        assert record.num_in_stock < in_stock
        assert_allocations_match_lines()

    def test_bulk_orders_look_like_orders_that_went_through_checkout(self) -> None:
        seed(orders=25, seed=6)  # through Oscar and the services
        seed(orders=25, seed=6, bulk_threshold=0)  # the same plans, bulk-inserted

        def workspace(orders: Any) -> list[tuple[Any, ...]]:
            return [(p.state, p.order.status, p.payment_status, p.funnel_id, p.stage_id,
                     p.operator_id, p.order_type, p.source, p.stock_status,
                     tuple(sorted(p.tags.values_list("name", flat=True))),
                     p.order.currency, p.order.total_incl_tax, p.order.shipping_code,
                     tuple((line.upc, line.quantity, line.num_allocated)
                           for line in p.order.lines.order_by("pk")))
                    for p in OrderProcess.objects.filter(order__in=orders).select_related(
                        "order").order_by("order__date_placed", "pk")]

        checkout = workspace(planned_orders().exclude(number__startswith="D"))
        bulk = workspace(Order.objects.filter(number__startswith="D"))
        assert len(checkout) == len(bulk) == 25
        assert checkout == bulk

    def test_later_runs_continue_the_numbering(self) -> None:
        seed(orders=15, bulk_threshold=5, seed=1)
        seed(orders=15, bulk_threshold=5, seed=2)
        numbers = sorted(Order.objects.values_list("number", flat=True))
        assert numbers == [f"D{n:08d}" for n in range(1, 31)]
        assert OrderProcess.objects.count() == 30

    def test_same_seed_gives_the_same_orders_and_another_seed_does_not(self) -> None:
        seed(orders=20, bulk_threshold=0, seed=4)
        seed(orders=20, bulk_threshold=0, seed=4)
        seed(orders=20, bulk_threshold=0, seed=9)
        runs = [order_story(Order.objects.filter(number__in=[f"D{n:08d}" for n in range(
            start, start + 20)])) for start in (1, 21, 41)]
        assert runs[0] == runs[1]
        assert runs[0] != runs[2]


@pytest.mark.django_db
def test_demo_site_points_the_shops_links_at_the_served_port() -> None:
    from django.contrib.sites.models import Site

    from oscar_orders_ext.services.notifications import absolute_url

    seed(orders=0)
    out = StringIO()
    call_command("demo_site", "127.0.0.1:8031", stdout=out)
    assert Site.objects.get_current().domain == "127.0.0.1:8031"
    assert absolute_url("/accounts/") == "http://127.0.0.1:8031/accounts/"
    assert "http://127.0.0.1:8031/" in out.getvalue()
    Site.objects.update(domain="shop.example.org")  # set by hand: not the demo's to change
    Site.objects.clear_cache()
    call_command("demo_site", "127.0.0.1:8032", stdout=StringIO())
    assert Site.objects.get_current().domain == "shop.example.org"
