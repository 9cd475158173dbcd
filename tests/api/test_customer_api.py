"""The customer side of the API: a headless storefront does what the account's order page and
the guest's signed link let a person do — read and write the conversation, accept or reject a
price proposal, see what is left to pay and the link to pay it; another customer's order is a
404, a forged link a 404, an expired one a 410."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.documents.service import issue_invoice
from oscar_orders_ext.models import MessageSide, OrderMessage, OrderProcess, QuoteStatus
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.services import conversations, quotes
from tests.api.test_api import BASE, Api, problem
from tests.documents.conftest import IDENTITY

pytestmark = pytest.mark.django_db

QUOTER = ["view_orderprocess", "change_orderprocess", "change_order_state", "edit_order_lines",
          "send_payment_link"]


@pytest.fixture
def quoter(make_staff: Any) -> Any:
    return make_staff("quoter", QUOTER)


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="alice", email="a@example.com",
                                                 password="x")


def close(response: Any) -> None:
    """Close a file response as the test client does, without ending the test's database
    connection (``request_finished`` would close it on PostgreSQL)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def _propose(order: Any, user: Any, price: str) -> Any:
    line = order.lines.get()
    return quotes.send_quote(order, unit_prices={line.pk: Decimal(price)},
                             shipping=Decimal("2.00"), user=user)


def test_a_customer_reads_and_writes_the_conversation(alice, place_order, quoter):
    order = place_order(user=alice)
    conversations.post_staff_message(order, "Your parcel leaves tomorrow.", user=quoter)
    api = Api(alice)

    listed = api.get(f"/me/orders/{order.number}/messages")
    assert listed.status_code == 200
    [message] = listed.json()
    assert (message["side"], message["body"]) == ("staff", "Your parcel leaves tomorrow.")
    assert OrderProcess.objects.get(order=order).customer_unread == 0  # read, as the page

    sent = api.send("post", f"/me/orders/{order.number}/messages", {"body": "Thank you!"})
    assert sent.status_code == 201 and sent.json()["side"] == "customer"
    stored = OrderMessage.objects.get(order=order, side=MessageSide.CUSTOMER)
    assert (stored.body, stored.author) == ("Thank you!", alice)
    assert OrderProcess.objects.get(order=order).staff_unread == 1  # in the shop's inbox

    problem(api.send("post", f"/me/orders/{order.number}/messages", {"body": "   "}), 400)
    assert OrderMessage.objects.filter(order=order).count() == 2  # nothing lost, nothing added


def test_another_customer_s_conversation_is_a_404(alice, django_user_model, place_order):
    bob = django_user_model.objects.create_user(username="bob", password="x")
    his = place_order(user=bob)
    api = Api(alice)
    for path in ("messages", "quotes", "payment"):
        problem(api.get(f"/me/orders/{his.number}/{path}"), 404)
    problem(api.send("post", f"/me/orders/{his.number}/messages", {"body": "hi"}), 404)
    problem(api.send("post", f"/me/orders/{his.number}/quotes/1/accept"), 404)
    assert not OrderMessage.objects.exists()


def test_a_customer_accepts_a_proposal_once(alice, place_order, quoter):
    order = place_order(user=alice)
    _propose(order, quoter, "8.00")
    api = Api(alice)

    [quote] = api.get(f"/me/orders/{order.number}/quotes").json()
    assert (quote["version"], quote["status"], quote["can_decide"]) == (1, "sent", True)
    assert (quote["total"], quote["old_total"]) == ("18.00", "20.00")
    assert quote["lines"][0]["new_unit_price"] == "8.00"

    accepted = api.send("post", f"/me/orders/{order.number}/quotes/1/accept")
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["can_decide"]) == ("accepted", False)
    order.refresh_from_db()
    assert order.total_incl_tax == Decimal("18.00")

    again = problem(api.send("post", f"/me/orders/{order.number}/quotes/1/reject"), 400)
    assert again["type"].endswith(":refused")
    problem(api.send("post", f"/me/orders/{order.number}/quotes/9/accept"), 404)


def test_a_customer_rejects_and_an_old_version_cannot_be_decided(alice, place_order, quoter):
    order = place_order(user=alice)
    _propose(order, quoter, "8.00")
    _propose(order, quoter, "7.00")
    api = Api(alice)
    versions = api.get(f"/me/orders/{order.number}/quotes").json()
    assert [(q["version"], q["status"], q["can_decide"]) for q in versions] == [
        (2, "sent", True), (1, "superseded", False)]

    problem(api.send("post", f"/me/orders/{order.number}/quotes/1/accept"), 400)
    rejected = api.send("post", f"/me/orders/{order.number}/quotes/2/reject")
    assert rejected.json()["status"] == QuoteStatus.REJECTED
    order.refresh_from_db()
    assert order.total_incl_tax == Decimal("20.00")  # prices unchanged


def test_the_payment_shows_what_is_due_and_the_shop_s_link(alice, place_order, quoter):
    order = place_order(user=alice)
    api = Api(alice)
    before = api.get(f"/me/orders/{order.number}/payment").json()
    assert (before["total"], before["paid"], before["due"], before["link"]) == (
        "20.00", "0.00", "20.00", None)

    link = payments.send_payment_link(order, user=quoter, notify=False)
    after = api.get(f"/me/orders/{order.number}/payment").json()
    assert after["link"]["amount"] == "20.00"
    assert after["link"]["url"].endswith(link.get_absolute_url())


def test_a_guest_uses_the_signed_link_of_the_emails(place_order, quoter):
    order = place_order(guest_email="guest@example.com")
    conversations.post_staff_message(order, "A question about your address.", user=quoter)
    _propose(order, quoter, "9.00")
    token = conversations.conversation_token(order)
    guest = Client()
    base = f"{BASE}/guest/{token}"

    detail = guest.get(base)
    assert detail.status_code == 200 and detail.json()["number"] == str(order.number)
    assert [m["side"] for m in guest.get(base + "/messages").json()] == ["staff", "staff"]
    posted = guest.post(base + "/messages", {"body": "It is right."},
                        content_type="application/json")
    assert posted.status_code == 201
    assert OrderMessage.objects.get(order=order, side="customer").author is None
    accepted = guest.post(base + "/quotes/1/accept", content_type="application/json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert guest.get(base + "/payment").json()["total"] == "20.00"  # 2 x 9.00 + 2.00


def test_a_forged_link_is_a_404_and_an_expired_one_a_410(place_order):
    order = place_order(guest_email="guest@example.com")
    token = conversations.conversation_token(order)
    guest = Client()
    problem(guest.get(f"{BASE}/guest/{token[:-2]}xx/messages"), 404)
    forged = guest.post(f"{BASE}/guest/{token}x/messages", {"body": "hi"},
                        content_type="application/json")
    problem(forged, 404)
    later = timezone.now() + timedelta(days=int(app_settings.CHAT_LINK_MAX_AGE_DAYS) + 1)
    with time_machine.travel(later):
        expired = problem(guest.get(f"{BASE}/guest/{token}/messages"), 410)
    assert expired["type"].endswith(":link-expired")
    assert not OrderMessage.objects.exists()


def test_the_customer_downloads_the_invoice_and_a_guest_too(alice, place_order, settings,
                                                           tmp_path):
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = IDENTITY
    settings.MEDIA_ROOT = str(tmp_path / "media")
    hers = place_order(user=alice)
    guest_order = place_order(guest_email="guest@example.com")
    invoice, guest_invoice = issue_invoice(hers), issue_invoice(guest_order)
    api = Api(alice)

    [listed] = api.get(f"/me/orders/{hers.number}").json()["documents"]
    assert (listed["kind"], listed["number"], listed["total"]) == (
        "invoice", invoice.number, "20.00")
    pdf = api.get(f"/me/orders/{hers.number}/documents/{invoice.pk}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    close(pdf)
    # Another order's document, even a real one, is a 404 through this order.
    problem(api.get(f"/me/orders/{hers.number}/documents/{guest_invoice.pk}"), 404)

    token = conversations.conversation_token(guest_order)
    guest = Client().get(f"{BASE}/guest/{token}/documents/{guest_invoice.pk}")
    assert guest.status_code == 200 and guest["Content-Type"] == "application/pdf"
    close(guest)
    problem(Client().get(f"{BASE}/guest/{token}/documents/{invoice.pk}"), 404)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_customer_sends_a_photo_and_downloads_the_shop_s_files(alice, place_order, settings,
                                                                 tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    order = place_order(user=alice)
    api = Api(alice)
    url = f"{BASE}/me/orders/{order.number}/messages/with-attachment"
    headers = api._headers()

    sent = api.client.post(url, {"body": "The box arrived broken.",
                                 "attachment": SimpleUploadedFile("box.png", PNG)},
                           headers=headers)
    assert sent.status_code == 201, sent.content
    message = sent.json()
    assert message["attachment"] == {"name": "box.png", "content_type": "image/png"}
    download = api.get(f"/me/orders/{order.number}/messages/{message['id']}/attachment")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG
    close(download)

    # A file that is not an image or a PDF, whatever its name says, is refused: nothing stored.
    refused = api.client.post(url, {"body": "x", "attachment": SimpleUploadedFile(
        "invoice.pdf", b"MZ\x90\x00 not a pdf")}, headers=headers)
    problem(refused, 400)
    assert OrderMessage.objects.filter(order=order).count() == 1

    token = conversations.conversation_token(order)
    guest = Client().get(f"{BASE}/guest/{token}/messages/{message['id']}/attachment")
    assert guest.status_code == 200
    close(guest)
    other = place_order(user=alice)
    problem(api.get(f"/me/orders/{other.number}/messages/{message['id']}/attachment"), 404)


def test_the_history_tells_each_outcome_and_a_proposal_past_its_date_is_expired(
        alice, place_order, quoter):
    order = place_order(user=alice)
    first = _propose(order, quoter, "8.00")
    quotes.withdraw_quote(first, user=quoter)
    second = _propose(order, quoter, "7.00")
    second.valid_until = timezone.localdate() - timedelta(days=1)  # before the tick runs
    second.save(update_fields=["valid_until"])
    api = Api(alice)
    versions = api.get(f"/me/orders/{order.number}/quotes").json()
    assert [(q["version"], q["status"], q["can_decide"]) for q in versions] == [
        (2, "expired", False), (1, "withdrawn", False)]
    assert versions[1]["decided_at"] is not None
    problem(api.send("post", f"/me/orders/{order.number}/quotes/2/accept"), 400)


def test_the_customer_reads_the_public_timeline_without_the_shop_s_internals(
        alice, place_order, operator):
    from oscar_orders_ext.models import Tag
    from oscar_orders_ext.services import edits
    from oscar_orders_ext.services.transitions import transition_order

    order = place_order(user=alice)
    edits.add_note(order, "Customer is difficult", user=operator)  # internal
    edits.add_tags(order, [Tag.objects.create(name="Watch")], user=operator)
    edits.assign_operator(order, operator, user=operator)
    transition_order(order, "confirm", user=operator, note="checked the fraud score")
    edits.set_payment_status(order, "paid", user=operator)

    body = Api(alice).get(f"/me/orders/{order.number}").json()

    steps = [(step["kind"], step["state"], step["payment_status"]) for step in body["timeline"]]
    assert steps == [("created", "new", None), ("state", "processing", None),
                     ("payment", None, "paid")]
    assert [step["label"] for step in body["timeline"]][1:] == ["In preparation", "Paid"]
    text = str(body["timeline"])
    assert "fraud" not in text and "difficult" not in text and "Watch" not in text
    assert "operator" not in text
