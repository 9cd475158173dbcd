"""Price proposals through the pages: the operator sends and re-sends from the order page (both
skins), the customer accepts in their account or through the signed link."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from pyquery import PyQuery

from oscar_orders_ext.models import OrderProcess, Quote, QuoteStatus
from oscar_orders_ext.services import conversations, quotes

from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access
from .test_quotes import QUOTER, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def quoter(make_staff: Any) -> Any:
    return with_wagtail_access(make_staff("quoter", QUOTER))


def order_page(namespace: str, order: Any) -> str:
    return reverse(f"{namespace}:orders-workspace-order", kwargs={"number": order.number})


def send_from_page(app: Any, namespace: str, order: Any, user: Any, price: str) -> Any:
    page = app.get(order_page(namespace, order) + "?open=quote_form", user=user)
    form = page.forms["ooe-quote-form"]
    form[f"price_{order.lines.get().pk}"] = price
    form["message"] = "Special price"
    return form.submit().follow()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_operator_sends_then_resends_and_sees_the_difference(
        django_app: Any, quoter: Any, guest_order: Any, namespace: str) -> None:
    page = send_from_page(django_app, namespace, guest_order, quoter, "8.00")
    assert "Price proposal 1 sent to the customer." in page.text
    page = send_from_page(django_app, namespace, guest_order, quoter, "7.50")
    versions = [(q.attr("data-version"), q.attr("data-status"))
                for q in page.pyquery(".ooe-quote").items()]
    assert versions == [("2", "sent"), ("1", "superseded")]
    newest = page.pyquery(".ooe-quote[data-version='2']")
    assert "was" in newest.find(".ooe-quote-previous").text()  # 8.00 in version 1
    assert OrderProcess.objects.get(order=guest_order).state == "awaiting_customer"


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_operator_withdraws_the_open_proposal(
        django_app: Any, quoter: Any, guest_order: Any, namespace: str) -> None:
    quote = propose(guest_order, quoter)
    page = django_app.get(order_page(namespace, guest_order), user=quoter)
    page = page.forms[f"ooe-quote-withdraw-{quote.pk}"].submit().follow()
    assert "Price proposal 1 withdrawn." in page.text
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.WITHDRAWN


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_staff_without_line_edits_cannot_send(
        django_app: Any, make_staff: Any, guest_order: Any, namespace: str) -> None:
    clerk = with_wagtail_access(make_staff("clerk2", ["view_orderprocess",
                                                     "change_orderprocess"]))
    page = django_app.get(order_page(namespace, guest_order) + "?open=quote_form", user=clerk)
    assert "ooe-quote-form" not in page.forms
    # Refused (Wagtail's admin answers a refusal with a redirect and a message).
    alone = django_app.get(order_page(namespace, guest_order) + "?form=quote_form",
                           user=clerk, status=[302, 403])
    assert "ooe-quote-form" not in alone.text
    assert not Quote.objects.exists()


def test_guest_accepts_through_the_signed_link(django_app: Any, quoter: Any,
                                               guest_order: Any) -> None:
    quote = propose(guest_order, quoter)
    link = reverse("oscar_orders_ext_chat:guest-chat",
                   kwargs={"token": conversations.conversation_token(guest_order)})
    page = django_app.get(link)
    assert page.pyquery("#ooe-customer-quote").attr("data-version") == "1"
    page = page.forms["ooe-quote-accept"].submit().follow()
    assert "you accepted the price proposal" in page.text
    guest_order.refresh_from_db()
    assert guest_order.total_incl_tax == Decimal("18.00")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ACCEPTED
    assert not page.pyquery("#ooe-customer-quote")  # nothing left to decide


def test_customer_rejects_in_their_account_and_an_old_version_is_refused(
        django_app: Any, quoter: Any, customer: Any, customer_order: Any) -> None:
    old = propose(customer_order, quoter, price="8.00")
    link = reverse("oscar_orders_ext_chat:account-chat", kwargs={"number": customer_order.number})
    stale_page = django_app.get(link, user=customer)  # shows version 1
    propose(customer_order, quoter, price="9.00")
    page = stale_page.forms["ooe-quote-accept"].submit().follow()
    assert "no longer open" in page.text
    assert Quote.objects.get(pk=old.pk).status == QuoteStatus.SUPERSEDED
    customer_order.refresh_from_db()
    assert customer_order.total_incl_tax == Decimal("20.00")
    page = page.forms["ooe-quote-reject"].submit().follow()
    assert Quote.objects.get(order=customer_order, version=2).status == QuoteStatus.REJECTED


def test_another_orders_proposal_cannot_be_decided_from_this_link(
        django_app: Any, quoter: Any, guest_order: Any, customer_order: Any) -> None:
    theirs = propose(customer_order, quoter)
    link = reverse("oscar_orders_ext_chat:guest-chat",
                   kwargs={"token": conversations.conversation_token(guest_order)})
    page = django_app.get(link)
    django_app.post(link, {"quote": theirs.pk, "decision": "accept",
                           "csrfmiddlewaretoken": page.forms[
                               "ooe-customer-chat-form"]["csrfmiddlewaretoken"].value},
                    status=404)
    assert quotes.open_quote(customer_order) is not None


def outcomes(page: Any) -> list[tuple[str, str]]:
    return [(row.attr("data-version"), row.attr("data-outcome"))
            for row in page.pyquery(".ooe-customer-quote-version").items()]


def test_the_customer_sees_every_version_with_its_outcome(
        django_app: Any, quoter: Any, customer: Any, customer_order: Any) -> None:
    first = propose(customer_order, quoter, price="8.00")
    propose(customer_order, quoter, price="9.00")  # supersedes version 1
    quotes.decide_quote(Quote.objects.get(order=customer_order, version=2).pk, accept=False)
    third = propose(customer_order, quoter, price="8.50")
    quotes.withdraw_quote(third, user=quoter)
    propose(customer_order, quoter, price="7.00")
    link = reverse("oscar_orders_ext_chat:account-chat", kwargs={"number": customer_order.number})
    page = django_app.get(link, user=customer)
    assert outcomes(page) == [("4", "sent"), ("3", "withdrawn"), ("2", "rejected"),
                              ("1", "superseded")]
    history = page.pyquery("#ooe-customer-quotes").text()
    assert "Rejected" in history and "Withdrawn" in history and "Awaiting your answer" in history
    pdf = page.pyquery(".ooe-customer-quote-version[data-version='1'] a").attr("href")
    assert django_app.get(pdf, user=customer).content_type == "application/pdf"
    page = page.forms["ooe-quote-accept"].submit().follow()
    assert outcomes(page)[0] == ("4", "accepted")
    assert not page.pyquery("#ooe-customer-quote")  # nothing left to answer
    assert Quote.objects.get(pk=first.pk).status == QuoteStatus.SUPERSEDED


def test_the_signed_link_shows_the_history_and_an_expired_proposal_cannot_be_answered(
        django_app: Any, quoter: Any, guest_order: Any) -> None:
    propose(guest_order, quoter, price="8.00")
    latest = propose(guest_order, quoter, price="9.00")
    Quote.objects.filter(pk=latest.pk).update(  # past its date, before the tick marks it
        valid_until=timezone.localdate() - timedelta(days=1))
    link = reverse("oscar_orders_ext_chat:guest-chat",
                   kwargs={"token": conversations.conversation_token(guest_order)})
    page = django_app.get(link)
    assert outcomes(page) == [("2", "expired"), ("1", "superseded")]
    assert not page.pyquery("#ooe-customer-quote")  # no Accept button
    pdf = page.pyquery(".ooe-customer-quote-version[data-version='1'] a").attr("href")
    assert pdf.startswith(link)
    assert django_app.get(pdf).content_type == "application/pdf"


def test_oscars_account_order_page_shows_the_open_proposal_and_the_history(
        rf: Any, quoter: Any, customer: Any, customer_order: Any) -> None:
    propose(customer_order, quoter, price="8.00")
    propose(customer_order, quoter, price="9.00")
    template = engines["django"].from_string(
        '{% include "oscar_orders_ext/storefront/chat/account_link.html" %}')
    request = rf.get("/")
    request.user = customer
    html = PyQuery(template.render({"order": customer_order}, request))
    assert html("#ooe-account-quote-open").attr("data-version") == "2"
    assert [(row.attr("data-version"), row.attr("data-outcome"))
            for row in html(".ooe-customer-quote-version").items()] == [
        ("2", "sent"), ("1", "superseded")]
    quotes.decide_quote(Quote.objects.get(order=customer_order, version=2).pk, accept=True)
    html = PyQuery(template.render({"order": customer_order}, request))
    assert not html("#ooe-account-quote-open")
    assert html(".ooe-customer-quote-version").eq(0).attr("data-outcome") == "accepted"


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_setup_fee_shows_as_a_row_so_the_proposal_adds_up(
        django_app: Any, quoter: Any, guest_order: Any, namespace: str) -> None:
    guest_order.surcharges.create(name="Setup fee", code="setup-fee", excl_tax=Decimal("5.00"),
                                  incl_tax=Decimal("5.00"))
    propose(guest_order, quoter)  # 2 cups at 8.00, shipping 2.00, the fee: 23.00
    staff = django_app.get(order_page(namespace, guest_order), user=quoter)
    link = reverse("oscar_orders_ext_chat:guest-chat",
                   kwargs={"token": conversations.conversation_token(guest_order)})
    customer = django_app.get(link)
    for page in (staff.pyquery(".ooe-quote[data-version='1']"),
                 customer.pyquery("#ooe-customer-quote")):
        fee = page.find(".ooe-quote-surcharge")
        assert "Setup fee" in fee.text() and fee.text().count("5.00") == 2
        assert "23.00" in page.find(".ooe-quote-total").text()


def test_the_pay_page_lists_a_setup_fee_so_its_summary_adds_up(
        client: Any, guest_order: Any) -> None:
    from oscar_orders_ext.payments import service as payments

    guest_order.surcharges.create(name="Setup fee", code="setup-fee", excl_tax=Decimal("5.00"),
                                  incl_tax=Decimal("5.00"))
    link = payments.send_payment_link(guest_order, notify=False)
    fee = PyQuery(client.get(link.get_absolute_url()).content.decode())(".ooe-pay-surcharge")
    assert "Setup fee" in fee.text() and "5.00" in fee.text()
