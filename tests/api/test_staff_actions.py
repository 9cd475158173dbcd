"""The staff side of the API beyond the list: an automation writes to the customer, sends and
withdraws a price proposal, sends, resends and cancels a payment link, refunds, and queues a
bulk action on the worker then follows it; every endpoint asks the registry and partner
users reach their partners' orders only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from oscar_orders_ext.models import (BulkJob, MessageSide, OrderMessage, OrderProcess,
                                     PaymentLink, Quote, QuoteStatus)
from oscar_orders_ext import selectors
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.services import conversations
from tests.api.test_api import Api, problem
from tests.factories import bulk_orders
from tests.worker.test_worker import DATABASE_BACKEND

pytestmark = pytest.mark.django_db

EVERYTHING = ["view_orderprocess", "change_orderprocess", "change_order_state", "cancel_order",
              "edit_order_lines", "send_payment_link", "refund_order", "record_payment",
              "bulk_edit_orders"]


@pytest.fixture
def boss(make_staff: Any) -> Any:
    return make_staff("boss", EVERYTHING)


@pytest.fixture
def partner_user(django_user_model: Any, product: Any) -> Any:
    user = django_user_model.objects.create_user(username="partner", password="x")
    user.user_permissions.add(Permission.objects.get(codename="dashboard_access"))
    product.stockrecords.first().partner.users.add(user)
    return django_user_model.objects.get(pk=user.pk)


def _with_email(order: Any) -> Any:
    order.guest_email = "guest@example.com"
    order.save(update_fields=["guest_email"])
    return order


def test_staff_read_the_conversation_and_write_to_the_customer(boss, place_order,
                                                               django_capture_on_commit_callbacks):
    order = _with_email(place_order())
    conversations.post_customer_message(order, "Can you gift-wrap it?")
    api = Api(boss)

    listed = api.get(f"/staff/orders/{order.number}/messages").json()
    assert [(m["side"], m["body"]) for m in listed] == [("customer", "Can you gift-wrap it?")]
    # Reading it through the API reads it, as opening the order page does.
    assert OrderMessage.objects.get().read_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        posted = api.send("post", f"/staff/orders/{order.number}/messages",
                          {"body": "Of course, free of charge."})
    assert posted.status_code == 201, posted.content
    body = posted.json()
    assert body["side"] == "staff" and body["author"] and body["order_state"]
    assert OrderMessage.objects.filter(side=MessageSide.STAFF).count() == 1
    assert [m.to for m in mail.outbox] == [["guest@example.com"]]  # the customer is told
    problem(api.send("post", f"/staff/orders/{order.number}/messages", {"body": ""}), 400)
    problem(api.get("/staff/orders/NOPE/messages"), 404)


def test_writing_needs_the_edit_permission_and_partners_reach_their_orders_only(
        make_staff, partner_user, place_order):
    mine = place_order()
    other = bulk_orders(1, prefix="OTHER")[0]
    reader = Api(make_staff("reader", ["view_orderprocess"]))
    assert reader.get(f"/staff/orders/{mine.number}/messages").status_code == 200
    problem(reader.send("post", f"/staff/orders/{mine.number}/messages", {"body": "Hi"}), 403)

    partner = Api(partner_user)
    assert partner.get(f"/staff/orders/{mine.number}/messages").status_code == 200
    problem(partner.get(f"/staff/orders/{other.number}/messages"), 404)
    # Price proposals, payment links, refunds and bulk jobs are staff only, as on the page.
    problem(partner.send("post", f"/staff/orders/{mine.number}/quotes", {"total": "5.00"}), 403)
    problem(partner.send("post", f"/staff/orders/{mine.number}/payment-links", {}), 403)
    problem(partner.send("post", f"/staff/orders/{mine.number}/refunds", {}), 403)
    problem(partner.send("post", "/staff/bulk-jobs",
                         {"action": "mark_paid", "numbers": [str(mine.number)]}), 403)


def test_a_price_proposal_is_sent_listed_and_withdrawn(boss, make_staff, place_order):
    order = place_order()
    api = Api(boss)
    sent = api.send("post", f"/staff/orders/{order.number}/quotes",
                    {"total": "15.00", "shipping": "0.00", "message": "A discount"})
    assert sent.status_code == 201, sent.content
    quote = sent.json()
    assert quote["version"] == 1 and quote["total"] == "15.00" and quote["can_decide"]
    assert Quote.objects.get().message == "A discount"
    assert OrderMessage.objects.filter(side=MessageSide.STAFF).exists()  # the proposal's message

    listed = api.get(f"/staff/orders/{order.number}/quotes").json()
    assert [q["version"] for q in listed] == [1]
    withdrawn = api.send("post", f"/staff/orders/{order.number}/quotes/1/withdraw")
    assert withdrawn.json()["status"] == QuoteStatus.WITHDRAWN
    problem(api.send("post", f"/staff/orders/{order.number}/quotes/1/withdraw"), 400)
    problem(api.send("post", f"/staff/orders/{order.number}/quotes/9/withdraw"), 404)
    problem(api.send("post", f"/staff/orders/{order.number}/quotes",
                     {"unit_prices": {"999999": "1.00"}}), 400)
    problem(api.send("post", f"/staff/orders/{order.number}/quotes", {"total": "-1"}), 400)
    without = Api(make_staff("clerk", ["view_orderprocess", "change_orderprocess"]))
    problem(without.send("post", f"/staff/orders/{order.number}/quotes", {"total": "1"}), 403)
    assert Quote.objects.count() == 1


def test_a_payment_link_is_sent_resent_and_cancelled(boss, place_order,
                                                     django_capture_on_commit_callbacks):
    order = _with_email(place_order())
    api = Api(boss)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.send("post", f"/staff/orders/{order.number}/payment-links",
                           {"amount": "5.00"})
    assert created.status_code == 201, created.content
    link = created.json()
    assert link["amount"] == "5.00" and link["status"] == "active" and link["url"]
    emails = len(mail.outbox)
    assert emails == 1

    with django_capture_on_commit_callbacks(execute=True):
        resent = api.send("post", f"/staff/orders/{order.number}/payment-links/resend")
    assert resent.json()["id"] == link["id"]
    assert len(mail.outbox) == 2 and link["url"].split("/")[-2] in mail.outbox[1].body

    cancelled = api.send("post", f"/staff/orders/{order.number}/payment-links/cancel")
    assert cancelled.json()["status"] == "cancelled"
    # The customer's pay page says so, and nothing is left to resend or cancel.
    page = Client().get(PaymentLink.objects.get().get_absolute_url())
    assert page.status_code == 410 and b"cancelled this payment link" in page.content
    assert selectors.payment_link_texts([order.pk]) == {order.pk: "Cancelled"}  # the column
    problem(api.send("post", f"/staff/orders/{order.number}/payment-links/resend"), 400)
    problem(api.send("post", f"/staff/orders/{order.number}/payment-links/cancel"), 400)
    assert [x["status"] for x in api.get(f"/staff/orders/{order.number}/payment-links").json()
            ] == ["cancelled"]
    problem(api.send("post", f"/staff/orders/{order.number}/payment-links",
                     {"amount": "100000.00"}), 400)


def test_a_refund_through_the_api(boss, make_staff, place_order):
    order = place_order()
    payments.record_offline_payment(order, None, "bank_transfer", user=boss)
    api = Api(boss)
    problem(api.send("post", f"/staff/orders/{order.number}/refunds", {"amount": "99999.00"}),
            400)
    refunded = api.send("post", f"/staff/orders/{order.number}/refunds",
                        {"amount": "1.00", "reason": "scratched", "notify": False})
    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["amount"] == "1.00"
    assert payments.balance(order).refunded == Decimal("1.00")
    problem(api.send("post", f"/staff/orders/{order.number}/refunds", {"lines": {"x": 1}}), 400)
    clerk = Api(make_staff("clerk", ["view_orderprocess", "change_orderprocess"]))
    problem(clerk.send("post", f"/staff/orders/{order.number}/refunds", {"amount": "1"}), 403)


def test_a_bulk_job_is_queued_and_followed(boss, make_staff,
                                           django_capture_on_commit_callbacks):
    orders = bulk_orders(3, prefix="J")
    api = Api(boss)
    with django_capture_on_commit_callbacks(execute=True):
        queued = api.send("post", "/staff/bulk-jobs",
                          {"action": "mark_paid", "numbers": [o.number for o in orders]})
    assert queued.status_code == 202, queued.content
    job = api.get(f"/staff/bulk-jobs/{queued.json()['id']}").json()
    assert job["status"] == "done" and job["changed"] == 3 and job["percent_done"] == 100
    assert set(OrderProcess.objects.values_list("payment_status", flat=True)) == {"paid"}

    with django_capture_on_commit_callbacks(execute=True):
        by_filter = api.send("post", "/staff/bulk-jobs",
                             {"action": "mark_unpaid", "filter": "q=J00001"})
    assert api.get(f"/staff/bulk-jobs/{by_filter.json()['id']}").json()["changed"] == 1

    problem(api.send("post", "/staff/bulk-jobs", {"action": "mark_paid", "numbers": ["NOPE"]}),
            400)
    problem(api.send("post", "/staff/bulk-jobs", {"action": "mark_paid",
                                                  "filter": "state=exploded"}), 400)
    problem(api.send("post", "/staff/bulk-jobs", {"action": "explode", "numbers": ["J00000"]}),
            400)
    problem(api.send("post", "/staff/bulk-jobs", {"action": "mark_paid"}), 400)
    assert BulkJob.objects.count() == 2
    # Another user's job is not theirs to read.
    problem(Api(make_staff("other", EVERYTHING)).get(f"/staff/bulk-jobs/{job['id']}"), 404)


def test_a_bulk_action_answers_at_once_whatever_the_count(boss, settings):
    """``POST /staff/bulk`` records a job for the worker (as the workspace does) and answers
    202 in the same queries for 3 or 40 orders: nothing is changed in the request."""
    settings.TASKS = DATABASE_BACKEND  # the worker's queue: nothing runs inline
    api = Api(boss)

    def queue(count: int, prefix: str) -> int:
        numbers = [process.number for process in bulk_orders(count, prefix=prefix)]
        with CaptureQueriesContext(connection) as queries:
            response = api.send("post", "/staff/bulk", {"action": "mark_paid",
                                                        "numbers": numbers})
        assert response.status_code == 202, response.content
        job = response.json()
        assert (job["status"], job["total"], job["done"]) == ("pending", count, 0)
        assert BulkJob.objects.get(pk=job["id"]).params["selected"] == list(
            OrderProcess.objects.filter(number__in=numbers).order_by("pk")
            .values_list("pk", flat=True))
        return len(queries)

    queue(2, "R")  # the first request reads what later ones find cached
    assert queue(3, "S") == queue(40, "T")
    assert set(OrderProcess.objects.values_list("payment_status", flat=True)) == {"unpaid"}
