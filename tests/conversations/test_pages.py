"""The conversation in both skins: the operator writes from the order page, reads the
customer's answers (badge, inbox, Kanban), and partner users see only their orders' threads."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from oscar_orders_ext.models import Funnel, MessageSide, OrderMessage, OrderProcess
from oscar_orders_ext.services import conversations

from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access

pytestmark = pytest.mark.django_db


def url(namespace: str, name: str, **kwargs: Any) -> str:
    return reverse(f"{namespace}:{name}", kwargs=kwargs or None)


@pytest.fixture
def staff(clerk: Any) -> Any:
    return with_wagtail_access(clerk)


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_operator_writes_to_the_customer_from_the_order_page(
        django_app: Any, staff: Any, guest_order: Any, namespace: str) -> None:
    page = django_app.get(url(namespace, "orders-workspace-order", number=guest_order.number),
                          user=staff)
    form = page.forms["ooe-chat-form"]
    form["body"] = "Your cups are being wrapped."
    page = form.submit().follow()
    assert "Message sent to the customer." in page.text
    assert "In preparation" in page.text  # the first message moved the new order on
    assert [m.text() for m in page.pyquery("#ooe-chat .ooe-chat-body").items()] == [
        "Your cups are being wrapped."]
    process = OrderProcess.objects.get(order=guest_order)
    assert (process.state, process.customer_unread) == ("processing", 1)


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_an_empty_message_redraws_the_page_with_the_error(
        django_app: Any, staff: Any, guest_order: Any, namespace: str) -> None:
    page = django_app.get(url(namespace, "orders-workspace-order", number=guest_order.number),
                          user=staff)
    form = page.forms["ooe-chat-form"]
    form["body"] = "   "
    page = form.submit(status=400)
    assert page.pyquery("#ooe-chat .invalid-feedback")
    assert not OrderMessage.objects.exists()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_viewer_reads_the_conversation_but_cannot_write(
        django_app: Any, make_staff: Any, guest_order: Any, namespace: str) -> None:
    viewer = with_wagtail_access(make_staff("looker", ["view_orderprocess"]))
    conversations.post_customer_message(guest_order, "Where is my parcel?")
    page = django_app.get(url(namespace, "orders-workspace-order", number=guest_order.number),
                          user=viewer)
    assert "Where is my parcel?" in page.pyquery("#ooe-chat").text()
    assert "ooe-chat-form" not in page.forms
    django_app.post(url(namespace, "orders-workspace-order-message",
                        number=guest_order.number),
                    {"body": "sneaky"}, user=viewer, status=403, xhr=False, expect_errors=True)
    assert OrderMessage.objects.filter(side=MessageSide.STAFF).count() == 0


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_the_unread_badge_shows_on_the_board_and_the_page_then_reading_clears_it(
        django_app: Any, staff: Any, guest_order: Any, namespace: str) -> None:
    conversations.post_customer_message(guest_order, "One")
    conversations.post_customer_message(guest_order, "Two")
    funnel = Funnel.objects.get_default()
    board = django_app.get(url(namespace, "orders-workspace-kanban", funnel=funnel.slug),
                           user=staff)
    card = board.pyquery(f".ooe-card[data-order='{guest_order.pk}']")
    assert card.find(".ooe-unread-badge").text() == "2"
    page = django_app.get(url(namespace, "orders-workspace-order", number=guest_order.number),
                          user=staff)
    assert page.pyquery("#ooe-chat .ooe-unread-badge").text() == "2"
    assert OrderProcess.objects.get(order=guest_order).staff_unread == 0
    board = django_app.get(url(namespace, "orders-workspace-kanban", funnel=funnel.slug),
                           user=staff)
    assert not board.pyquery(f".ooe-card[data-order='{guest_order.pk}'] .ooe-unread-badge")


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_the_inbox_lists_new_orders_and_unread_messages_only(
        django_app: Any, staff: Any, place_order: Any, namespace: str) -> None:
    new = place_order(guest_email="new@example.com")
    answered = place_order(guest_email="answered@example.com")
    quiet = place_order(guest_email="quiet@example.com")
    for order in (answered, quiet):
        conversations.post_staff_message(order, "Started", user=staff)  # -> in preparation
    conversations.post_customer_message(answered, "Thanks! One question…")
    inbox = django_app.get(url(namespace, "orders-workspace-inbox"), user=staff).follow()
    numbers = {cell.text().lstrip("#")
               for cell in inbox.pyquery("td.ooe-cell-number a").items()}
    assert numbers == {str(new.number), str(answered.number)}  # not the quiet one
    assert inbox.pyquery("h1").text().strip().startswith("Inbox")  # not "Orders"


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_partner_users_only_reach_their_own_orders_threads(
        django_app: Any, place_order: Any, django_user_model: Any, namespace: str) -> None:
    from decimal import Decimal

    from django.contrib.auth.models import Permission
    from oscar.core.loading import get_model
    from oscar.test import factories

    mine = place_order()
    basket = factories.create_basket(empty=True)
    basket.add_product(factories.create_product(partner_name="Elsewhere", price=Decimal("3"),
                                                num_in_stock=5))
    theirs = factories.create_order(basket=basket)
    conversations.post_customer_message(mine, "About my cups")
    conversations.post_customer_message(theirs, "About something else")
    user = django_user_model.objects.create_user(username="partner", password="x")
    user.user_permissions.add(*Permission.objects.filter(codename__in=[  # Wagtail: + view
        "dashboard_access", "view_orderprocess", "change_orderprocess"]))
    user = with_wagtail_access(user)
    get_model("partner", "Partner").objects.get(
        stockrecords__product__title="Espresso cup").users.add(user)
    page = django_app.get(url(namespace, "orders-workspace-order", number=mine.number),
                          user=user)
    assert "About my cups" in page.pyquery("#ooe-chat").text()
    django_app.get(url(namespace, "orders-workspace-order", number=theirs.number), user=user,
                   status=404)
    django_app.post(url(namespace, "orders-workspace-order-message", number=theirs.number),
                    {"body": "Hi"}, user=user, status=404, expect_errors=True)
    assert not OrderMessage.objects.filter(order=theirs, side=MessageSide.STAFF).exists()
    inbox = django_app.get(url(namespace, "orders-workspace-inbox"), user=user).follow()
    numbers = {cell.text().lstrip("#")
               for cell in inbox.pyquery("td.ooe-cell-number a").items()}
    assert numbers == {str(mine.number)}  # the other partner's unread thread is not listed
