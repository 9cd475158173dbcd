"""What the app costs Oscar's own paths (issue 18): the change-status POST (the state follows,
with its stage and a timeline entry naming the operator) and checkout's order placement (the
process, its "created" entry, its customer's row and tags, its order type), each in at most
three statements more than Oscar alone, with every effect kept.

The tests run in real transactions, so the ``BEGIN`` and ``COMMIT`` of a transaction of the
app's own count too; after-commit work is included."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from oscar.test import factories

from oscar_orders_ext.apps import receivers_disconnected
from oscar_orders_ext.constants import OrderType, TimelineKind
from oscar_orders_ext.models import (Customer, CustomerTagRule, OrderProcess, Plan, PlanPrice,
                                     ProductPlan, Tag, TimelineEntry, WebhookDelivery)
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.webhooks.service import create_endpoint

from .customers.test_aggregates import full_recount, stored
from .worker.test_worker import DATABASE_BACKEND, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

#: Statements the app adds to Oscar's change-status POST. PostgreSQL: one data-modifying
#: ``WITH`` locks the process, moves it (its stage looked up inside) and writes the timeline
#: entry. SQLite has no data-modifying ``WITH``: the row read, the ``UPDATE`` and the entry,
#: inside ``BEGIN``/``COMMIT`` of their own (Oscar's status change runs in no transaction).
STATUS_EXTRA = {"postgresql": 1, "sqlite": 5}
#: Statements the app adds to checkout's placement with a task worker: the process (its
#: default funnel and stage looked up inside the ``INSERT``) with its "created" entry (one
#: data-modifying ``WITH`` on PostgreSQL, two statements elsewhere), and the one queued task
#: that recounts the buyer and applies the tag rules on the worker.
PLACEMENT_EXTRA = {"postgresql": 2, "sqlite": 3}


def change_status(django_app: Any, admin: Any, order: Any, status: str) -> list[str]:
    """Oscar's change-status POST on ``order``; the SQL it ran (after-commit work included)."""
    page = django_app.get(reverse("dashboard:order-detail", kwargs={"number": order.number}),
                          user=admin)
    form = next(f for f in page.forms.values()
                if f.fields.get("order_action", [None])[0] is not None
                and f["order_action"].value == "change_order_status")
    form["new_status"] = status
    with CaptureQueriesContext(connection) as queries:
        assert form.submit().status_code == 302
    return [query["sql"] for query in queries.captured_queries]


def test_oscars_change_status_costs_one_statement_more_on_postgresql(
        django_app, place_order, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    warm_up, with_app_order, alone_order = place_order(), place_order(), place_order()
    change_status(django_app, admin, warm_up, "Being processed")  # a running shop's caches
    with_app = change_status(django_app, admin, with_app_order, "Being processed")
    with receivers_disconnected():
        alone = change_status(django_app, admin, alone_order, "Being processed")
    assert len(with_app) - len(alone) <= STATUS_EXTRA[connection.vendor], "\n".join(with_app)
    # ... and the workspace still follows: state, stage, version, a timeline entry naming
    # the operator.
    process = OrderProcess.objects.select_related("stage").get(order=with_app_order)
    assert process.state == "processing" and process.stage.state == "processing"
    assert process.version == 2
    entry = TimelineEntry.objects.get(order=with_app_order, kind=TimelineKind.OSCAR_STATUS)
    assert entry.actor == admin
    assert entry.data == {"transition": "", "from": "new", "to": "processing"}
    # Without the receivers nothing followed.
    assert OrderProcess.objects.get(order=alone_order).state == "new"


def test_an_endpoint_hears_of_a_status_changed_in_oscars_dashboard(
        django_app, place_order, django_user_model, settings):
    """The move that follows Oscar's status records ``order.state_changed`` in its commit, on
    PostgreSQL's one-statement path too; the delivery names the operator's move."""
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    order = place_order()
    endpoint, _secret = create_endpoint("http://127.0.0.1:9/hook",
                                        events=["order.state_changed"])
    change_status(django_app, admin, order, "Being processed")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint_id, delivery.event) == (endpoint.pk, "order.state_changed")
    data = delivery.payload["data"]
    assert (data["transition"], data["source"], data["target"]) == ("", "new", "processing")
    assert data["order"]["version"] == OrderProcess.objects.get(order=order).version == 2


def test_a_followed_status_and_its_delivery_roll_back_together(place_order, settings):
    """Inside a transaction that fails (a script, a request with ``ATOMIC_REQUESTS``), neither
    the move nor its delivery stays; without endpoints the move alone rolls back too."""
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    listened, alone = place_order(), place_order()
    for order, listening in ((alone, False), (listened, True)):
        if listening:
            create_endpoint("http://127.0.0.1:9/hook", events=["order.state_changed"])
        with pytest.raises(RuntimeError), transaction.atomic():
            order.set_status("Being processed")
            assert OrderProcess.objects.get(order=order).state == "processing"
            assert WebhookDelivery.objects.count() == int(listening)
            raise RuntimeError("the script failed after the status change")
        assert OrderProcess.objects.get(order=order).state == "new"
        assert not WebhookDelivery.objects.exists()
        assert not TimelineEntry.objects.filter(order=order,
                                                kind=TimelineKind.OSCAR_STATUS).exists()


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one statement")
def test_only_the_follow_committing_alone_skips_waiting_for_the_disk(place_order):
    """Outside a transaction the follow's own commit does not wait for its WAL flush (Oscar's
    next commit flushes it); the connection's later transactions, and a caller's transaction
    around the status change, keep the database's setting."""
    alone, inside = place_order(), place_order()
    before = _synchronous_commit()
    with CaptureQueriesContext(connection) as queries:
        alone.set_status("Being processed")
    [follow] = [q["sql"] for q in queries.captured_queries if "WITH old AS" in q["sql"]]
    assert "synchronous_commit" in follow
    assert _synchronous_commit() == before
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        inside.set_status("Being processed")
        assert _synchronous_commit() == before
    [follow] = [q["sql"] for q in queries.captured_queries if "WITH old AS" in q["sql"]]
    assert "synchronous_commit" not in follow
    assert [p.state for p in OrderProcess.objects.filter(order__in=[alone, inside])] == [
        "processing", "processing"]


def test_a_status_change_with_a_stock_effect_still_applies_it(django_app, place_order,
                                                              django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    order = place_order()
    change_status(django_app, admin, order, "Cancelled")
    process = OrderProcess.objects.get(order=order)
    assert process.state == "cancelled"
    assert TimelineEntry.objects.filter(order=order, kind=TimelineKind.STOCK).exists()
    # The cancelled order left its customer's count.
    assert stored() == full_recount()


def placed_with_queries(place_order: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Place an order as checkout does; the order and the SQL it ran (after-commit work
    included)."""
    with CaptureQueriesContext(connection) as queries:
        order = place_order(quantity=1, **kwargs)
    return order, [query["sql"] for query in queries.captured_queries]


@pytest.fixture
def on_a_worker(settings: Any) -> None:
    """Tasks go to django-tasks-db's queue, as with ``db_worker`` in production."""
    settings.TASKS = DATABASE_BACKEND


@pytest.fixture
def espresso_fan(product: Any) -> Tag:
    tag = Tag.objects.create(name="Espresso fan")
    CustomerTagRule.objects.create(product=product, tag=tag)
    return tag


def test_checkout_placement_costs_at_most_two_statements_more_on_postgresql(place_order, on_a_worker,
                                                                espresso_fan):
    place_order()  # the first order reads what later ones find cached (webhooks, plans)
    with receivers_disconnected():
        place_order()
        _order, alone = placed_with_queries(place_order, guest_email="alone@example.com")
    order, with_app = placed_with_queries(place_order, guest_email="new.buyer@example.com")
    assert len(with_app) - len(alone) <= PLACEMENT_EXTRA[connection.vendor], "\n".join(with_app)
    # ... and the order has its process (default funnel, its stage), its "created" entry and
    # its upkeep queued.
    process = OrderProcess.objects.select_related("funnel", "stage").get(order=order)
    assert (process.state, process.number, process.customer_email) == (
        "new", str(order.number), "new.buyer@example.com")
    assert process.funnel.is_default and process.stage.state == "new"
    assert process.stage.funnel_id == process.funnel_id
    assert TimelineEntry.objects.get(order=order, kind=TimelineKind.CREATED).data == {
        "state": "new", "source": ""}
    assert DBTaskResult.objects.ready().count() == 2  # the two orders placed with the app


def test_the_worker_makes_the_directory_a_full_recount_and_tags_the_buyers(
        place_order, on_a_worker, espresso_fan):
    place_order(quantity=1, guest_email="ada@example.com")
    run_worker()
    assert stored() == full_recount()
    # A returning buyer, a new one, and an order cancelled before the worker ran.
    place_order(quantity=2, guest_email="ada@example.com")
    place_order(quantity=1, guest_email="bob@example.com")
    cancelled = place_order(quantity=3, guest_email="cy@example.com")
    transition_order(cancelled, "cancel")
    assert not Customer.objects.filter(email="bob@example.com").exists()  # not yet
    run_worker()
    assert stored() == full_recount()
    assert stored()["ada@example.com"]["count"] == 2
    assert "cy@example.com" not in stored()
    for email in ("ada@example.com", "bob@example.com"):
        assert list(Customer.objects.get(email=email).tags.values_list("name", flat=True)) == [
            "Espresso fan"]


def test_without_a_worker_the_directory_follows_in_the_orders_transaction(place_order,
                                                                         espresso_fan):
    place_order(quantity=1, guest_email="ada@example.com")
    place_order(quantity=2, guest_email="ada@example.com")
    assert stored() == full_recount()
    assert list(Customer.objects.get(email="ada@example.com").tags.values_list(
        "name", flat=True)) == ["Espresso fan"]
    assert not DBTaskResult.objects.exists()


@pytest.fixture
def place(db: Any) -> Callable[[Any], Any]:
    def place_product(product: Any) -> Any:
        basket = factories.create_basket(empty=True)
        basket.add_product(product, 1)
        return factories.create_order(basket=basket)
    return place_product


def test_an_order_of_a_product_sold_on_a_plan_is_a_subscription(place, product):
    """Decided from the basket's products and the cached plans, which follow every change."""
    assert OrderProcess.objects.get(order=place(product)).order_type == OrderType.STANDARD
    plan = Plan.objects.create(name="Coffee club", interval_unit="month", interval_count=1)
    PlanPrice.objects.create(plan=plan, currency="EUR", amount=Decimal("10.00"))
    club = ProductPlan.objects.create(product=product, plan=plan)  # after the set was cached
    assert OrderProcess.objects.get(order=place(product)).order_type == OrderType.SUBSCRIPTION
    club.delete()
    assert OrderProcess.objects.get(order=place(product)).order_type == OrderType.STANDARD


def test_a_shop_whose_funnels_were_all_deleted_still_takes_orders(place_order):
    from oscar_orders_ext.models import Funnel

    place_order()  # the funnel check is remembered ...
    OrderProcess.objects.all().delete()
    Funnel.objects.all().delete()  # ... and forgotten when a funnel goes
    order = place_order()
    process = OrderProcess.objects.select_related("funnel").get(order=order)
    assert process.funnel.is_default and Funnel.objects.count() == 1
