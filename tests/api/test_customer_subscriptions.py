"""A customer's subscriptions through the API (list, the plans on offer, cancel, resume,
change plan), and the customer's own API token page in Oscar's account area."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from oscar_orders_ext.models import ApiToken, Plan, Subscription
from tests.api.test_api import Api, problem
from tests.subscriptions.conftest import (customer, make_plan, plan,  # noqa: F401 (fixtures)
                                          plan_product, subscribe)

pytestmark = pytest.mark.django_db


def test_a_customer_lists_cancels_and_resumes_a_subscription(customer, subscribe):  # noqa: F811
    sub = subscribe()
    api = Api(customer)
    [listed] = api.get("/me/subscriptions").json()
    assert listed["id"] == sub.pk and listed["plan"] == "Coffee club"
    assert listed["order_number"] == sub.order.number and not listed["cancel_at_period_end"]

    problem(api.send("post", f"/me/subscriptions/{sub.pk}/cancel",
                     {"version": listed["version"] + 5}), 409)
    ending = api.send("post", f"/me/subscriptions/{sub.pk}/cancel",
                      {"version": listed["version"]}).json()
    assert ending["cancel_at_period_end"] and ending["state"] == listed["state"]
    problem(api.send("post", f"/me/subscriptions/{sub.pk}/cancel", {}), 400)  # already
    resumed = api.send("post", f"/me/subscriptions/{sub.pk}/resume", {}).json()
    assert not resumed["cancel_at_period_end"]
    # As on the account page, the customer cannot end it at once: the period is paid for.
    again = api.send("post", f"/me/subscriptions/{sub.pk}/cancel", {"at_period_end": False})
    assert again.json()["cancel_at_period_end"] and again.json()["state"] == listed["state"]


def test_a_customer_changes_plan(customer, subscribe, settings):  # noqa: F811
    settings.OSCAR_ORDERS_EXT_SUBSCRIPTION_PRORATION = "none"
    sub = subscribe()
    bigger = make_plan("Coffee club plus", amount="15.00")
    Plan.objects.create(name="Tea club", interval_unit="month", interval_count=1)  # no price
    api = Api(customer)
    offered = api.get(f"/me/subscriptions/{sub.pk}/plans").json()
    assert [(p["name"], p["amount"]) for p in offered] == [("Coffee club plus", "15.00")]

    changed = api.send("post", f"/me/subscriptions/{sub.pk}/plan", {"plan_id": bigger.pk})
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["policy"] == "none" and body["subscription"]["next_plan"] == "Coffee club plus"
    problem(api.send("post", f"/me/subscriptions/{sub.pk}/plan", {"plan_id": sub.plan_id}),
            400)


def test_another_customer_s_subscription_is_a_404(subscribe, django_user_model):  # noqa: F811
    sub = subscribe()
    bob = Api(django_user_model.objects.create_user(username="bob", password="x"))
    assert bob.get("/me/subscriptions").json() == []
    problem(bob.send("post", f"/me/subscriptions/{sub.pk}/cancel", {}), 404)
    problem(bob.get(f"/me/subscriptions/{sub.pk}/plans"), 404)
    assert not Subscription.objects.get().cancel_at_period_end


def test_a_customer_creates_and_revokes_tokens_in_the_account_pages(django_user_model):
    alice = django_user_model.objects.create_user(username="alice", email="a@example.com",
                                                  password="x")
    url = "/accounts/api-tokens/"
    assert Client().get(url).status_code == 302  # to the login page
    client = Client()
    client.force_login(alice)
    page = client.get(url)
    assert page.status_code == 200 and b"ooe-token-form" in page.content

    created = client.post(url, {"action": "create", "name": "My shop app"})
    key = created.context["new_key"]
    assert key.startswith("ooe_") and key.encode() in created.content
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash != key and key not in str(ApiToken.objects.values_list())
    assert key.encode() not in client.get(url).content  # shown once
    api_client = Client()
    assert api_client.get("/api/orders/me/orders",
                          headers={"Authorization": f"Bearer {key}"}).status_code == 200

    revoked = client.post(url, {"action": "revoke", "token": token.pk})
    assert revoked.status_code == 302
    assert api_client.get("/api/orders/me/orders",
                          headers={"Authorization": f"Bearer {key}"}).status_code == 401
    # Someone else's token cannot be revoked from this page.
    bob = get_user_model().objects.create_user(username="bob", password="x")
    other = ApiToken.objects.create(user=bob, name="b", prefix="ooe_x", key_hash="h")
    assert client.post(url, {"action": "revoke", "token": other.pk}).status_code == 404
