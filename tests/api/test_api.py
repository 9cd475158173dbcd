"""The JSON API: a headless client with a token does what the workspace and the account pages
let a person do; errors are problem details; every staff endpoint asks the registry."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from oscar_orders_ext.models import ApiToken, OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.api_tokens import create_token
from tests.factories import bulk_orders

pytestmark = pytest.mark.django_db

BASE = "/api/orders"


class Api:
    """A client that sends a bearer token."""

    def __init__(self, user: Any) -> None:
        _, self.key = create_token(user, "tests")
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self._headers())

    def send(self, method: str, path: str, body: Any = None) -> Any:
        return getattr(self.client, method)(BASE + path, body, content_type="application/json",
                                            headers=self._headers())


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


def test_the_namespace_reverses():
    assert reverse("oscar_orders_ext_api:staff-order-list") == BASE + "/staff/orders"


def test_without_credentials_the_answer_is_401_problem():
    problem(Client().get(BASE + "/staff/orders"), 401)
    problem(Client().get(BASE + "/me/orders", headers={"Authorization": "Bearer ooe_nope"}),
            401)


def test_a_revoked_token_stops_working(operator):
    api = Api(operator)
    assert api.get("/staff/orders").status_code == 200
    token = ApiToken.objects.get()
    assert token.last_used_at is not None and token.key_hash != api.key
    assert api.key not in str(ApiToken.objects.values_list())  # only a hash is stored
    assert api.send("delete", f"/tokens/{token.pk}").status_code == 204
    problem(api.get("/staff/orders"), 401)


def test_tokens_are_created_listed_and_shown_once(operator):
    api = Api(operator)
    created = api.send("post", "/tokens", {"name": "Mobile app"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("ooe_")
    listed = api.get("/tokens").json()
    assert {t["name"] for t in listed} == {"tests", "Mobile app"}
    assert all("key" not in t for t in listed)
    problem(api.send("post", "/tokens", {"name": ""}), 400)


def test_the_staff_list_filters_pages_by_cursor_and_sums(operator):
    bulk_orders(5, prefix="A")
    bulk_orders(3, prefix="B", state="cancelled")
    api = Api(operator)

    first = api.get("/staff/orders", limit=3, state="new", summary="true").json()
    assert [o["number"] for o in first["items"]] == ["A00000", "A00001", "A00002"]
    assert first["summary"]["count"] == 5
    second = api.get("/staff/orders", limit=3, state="new", cursor=first["next_cursor"]).json()
    assert [o["number"] for o in second["items"]] == ["A00003", "A00004"]
    assert second["next_cursor"] is None
    assert [o["number"] for o in api.get("/staff/orders", q="B00002").json()["items"]] == [
        "B00002"]


def test_bad_filters_and_cursors_are_400_problems(operator):
    api = Api(operator)
    body = problem(api.get("/staff/orders", state="exploded"), 400)
    assert body["errors"][0]["loc"] == ["query", "state"]
    problem(api.get("/staff/orders", cursor="!!!"), 400)
    problem(api.get("/staff/orders", limit="many"), 400)


def test_one_order_in_full(operator, place_order):
    order = place_order()
    api = Api(operator)
    body = api.get(f"/staff/orders/{order.number}").json()
    assert body["number"] == str(order.number) and body["state"] == "new"
    assert body["lines"][0]["quantity"] == 2
    assert body["timeline"][0]["kind"] == "created"
    assert {t["name"] for t in body["transitions"]} >= {"cancel"}
    problem(api.get("/staff/orders/NOPE"), 404)


def test_a_transition_with_its_version(operator, place_order):
    order = place_order()
    api = Api(operator)
    version = api.get(f"/staff/orders/{order.number}").json()["version"]

    moved = api.send("post", f"/staff/orders/{order.number}/transitions",
                     {"transition": "cancel", "version": version, "note": "customer asked"})
    assert moved.status_code == 200 and moved.json()["state"] == "cancelled"
    stale = api.send("post", f"/staff/orders/{order.number}/transitions",
                     {"transition": "cancel", "version": version})
    assert problem(stale, 409)["type"].endswith(":conflict")
    refused = api.send("post", f"/staff/orders/{order.number}/transitions",
                       {"transition": "cancel"})
    body = problem(refused, 400)  # the workflow's reason, not a conflict
    assert body["type"].endswith(":transition-refused") and "cannot be moved" in body["detail"]
    problem(api.send("post", f"/staff/orders/{order.number}/transitions", {"version": 1}), 400)
    problem(api.send("post", f"/staff/orders/{order.number}/transitions", "not json"), 400)


def test_tags_notes_operator_and_payment(operator, place_order):
    order = place_order()
    Tag.objects.create(name="VIP")
    api = Api(operator)
    path = f"/staff/orders/{order.number}"

    assert [t["name"] for t in api.send("put", path + "/tags", {"tags": ["VIP"]})
            .json()["tags"]] == ["VIP"]
    problem(api.send("put", path + "/tags", {"tags": ["Nope"]}), 400)
    note = api.send("post", path + "/notes", {"message": "Gift", "for_customer": True})
    assert note.status_code == 201 and note.json()["for_customer"] is True
    assert api.send("put", path + "/operator", {"operator_id": operator.pk}).json()[
        "operator"] == "operator"
    assert api.send("put", path + "/payment-status", {"status": "paid"}).json()[
        "payment_status"] == "paid"
    problem(api.send("put", path + "/payment-status", {"status": "maybe"}), 400)
    kinds = set(TimelineEntry.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds >= {"tags", "note", "operator", "payment"}


def test_bulk_actions_run_on_the_worker_and_report_refusals(
        make_staff, place_order, django_capture_on_commit_callbacks):
    user = make_staff("bulk", ["view_orderprocess", "change_orderprocess",
                               "change_order_state", "cancel_order", "bulk_edit_orders"])
    first, second = place_order(), place_order()
    api = Api(user)
    api.send("post", f"/staff/orders/{second.number}/transitions", {"transition": "cancel"})
    problem(api.send("post", "/staff/bulk", {
        "numbers": [str(first.number), "GHOST"], "action": "cancel"}), 400)
    with django_capture_on_commit_callbacks(execute=True):
        queued = api.send("post", "/staff/bulk", {
            "numbers": [str(first.number), str(second.number)], "action": "cancel"})
    assert queued.status_code == 202, queued.content
    job = api.get(f"/staff/bulk-jobs/{queued.json()['id']}").json()
    assert (job["status"], job["changed"], job["refused"]) == ("done", 1, 1)
    assert [r["number"] for r in job["refusals"]] == [str(second.number)]
    assert OrderProcess.objects.get(order=first).state == "cancelled"


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/staff/orders", None),
    ("get", "/staff/orders/{number}", None),
    ("post", "/staff/orders/{number}/transitions", {"transition": "cancel"}),
    ("put", "/staff/orders/{number}/payment-status", {"status": "paid"}),
    ("post", "/staff/orders/{number}/notes", {"message": "hi"}),
    ("post", "/staff/bulk", {"numbers": ["{number}"], "action": "cancel"}),
    ("get", "/webhooks", None),
])
def test_every_staff_endpoint_refuses_a_user_without_the_registrys_permission(
        django_user_model, place_order, method, path, body):
    order = place_order()
    customer = django_user_model.objects.create_user(username="c", password="x")
    api = Api(customer)
    path = path.format(number=order.number)
    if body and "numbers" in body:
        body = {**body, "numbers": [str(order.number)]}
    response = api.get(path) if method == "get" else api.send(method, path, body)
    problem(response, 403)
    assert OrderProcess.objects.get(order=order).state == "new"


def test_a_viewer_reads_but_cannot_move(make_staff, place_order):
    order = place_order()
    viewer = make_staff("viewer", ["view_orderprocess"])
    api = Api(viewer)
    assert api.get(f"/staff/orders/{order.number}").status_code == 200
    problem(api.send("post", f"/staff/orders/{order.number}/transitions",
                     {"transition": "cancel"}), 403)


def test_partner_users_see_their_partners_orders_only(django_user_model, place_order, product):
    mine = place_order()
    other = bulk_orders(1, prefix="OTHER")[0]
    partner_user = django_user_model.objects.create_user(username="p", password="x")
    partner_user.user_permissions.add(Permission.objects.get(codename="dashboard_access"))
    product.stockrecords.first().partner.users.add(partner_user)
    api = Api(partner_user)

    numbers = [o["number"] for o in api.get("/staff/orders").json()["items"]]
    assert numbers == [str(mine.number)]
    problem(api.get(f"/staff/orders/{other.number}"), 404)


def test_customers_see_their_own_orders_only(django_user_model, place_order):
    alice = django_user_model.objects.create_user(username="alice", email="a@example.com",
                                                  password="x")
    bob = django_user_model.objects.create_user(username="bob", email="b@example.com",
                                                password="x")
    hers, his = place_order(user=alice), place_order(user=bob)
    api = Api(alice)
    assert [o["number"] for o in api.get("/me/orders").json()] == [str(hers.number)]
    detail = api.get(f"/me/orders/{hers.number}").json()
    assert detail["lines"][0]["quantity"] == 2 and detail["state_label"]
    problem(api.get(f"/me/orders/{his.number}"), 404)
    problem(api.get("/staff/orders"), 403)  # customers are not staff


def test_the_session_works_too_with_csrf_for_writes(operator, place_order):
    order = place_order()
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.get(BASE + "/staff/orders").status_code == 200
    refused = client.post(BASE + f"/staff/orders/{order.number}/notes", {"message": "x"},
                          content_type="application/json")
    assert refused.status_code in {401, 403}
