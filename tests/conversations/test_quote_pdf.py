"""The PDF of a price proposal: from the order page (both skins, whoever may see the order),
from the customer's account and through the signed link, in the order's language; another
order's proposal, another customer or a forged link answer 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from oscar_orders_ext.models import MessageSide, OrderMessage, OrderProcess
from oscar_orders_ext.services import conversations

from ..documents.conftest import pdf_text
from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access
from .test_quotes import QUOTER, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def quoter(make_staff: Any) -> Any:
    return with_wagtail_access(make_staff("quoter", QUOTER))


def quote_pdf_url(namespace: str, order: Any, quote: Any) -> str:
    return reverse(f"{namespace}:orders-workspace-order-quote-pdf",
                   kwargs={"number": order.number, "pk": quote.pk})


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_staff_open_each_versions_pdf_from_the_order_page(
        django_app: Any, quoter: Any, make_staff: Any, guest_order: Any, namespace: str
) -> None:
    first = propose(guest_order, quoter, price="8.00", message="Bulk discount for you.")
    second = propose(guest_order, quoter, price="7.50")
    page = django_app.get(reverse(f"{namespace}:orders-workspace-order",
                                  kwargs={"number": guest_order.number}), user=quoter)
    links = [a.attr("href") for a in page.pyquery(".ooe-quote .ooe-quote-pdf").items()]
    assert links == [quote_pdf_url(namespace, guest_order, q) for q in (second, first)]
    viewer = with_wagtail_access(make_staff("looker", ["view_orderprocess"]))
    response = django_app.get(links[1], user=viewer)  # reading needs only the order's view
    assert response.content_type == "application/pdf"
    assert f"price-proposal-{guest_order.number}-v1.pdf" in response.headers[
        "Content-Disposition"]
    text = pdf_text(response.body)
    assert "Price proposal 1" in text and str(guest_order.number) in text
    assert "Bulk discount for you." in text and "8.00" in text
    assert "Replaced by a newer proposal" in text  # an old version says so


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_another_orders_proposal_is_not_found_from_this_order(
        django_app: Any, quoter: Any, guest_order: Any, customer_order: Any, namespace: str
) -> None:
    theirs = propose(customer_order, quoter)
    url = reverse(f"{namespace}:orders-workspace-order-quote-pdf",
                  kwargs={"number": guest_order.number, "pk": theirs.pk})
    django_app.get(url, user=quoter, status=404)


def test_the_customer_downloads_it_from_their_account_in_their_language(
        django_app: Any, quoter: Any, customer: Any, customer_order: Any,
        django_user_model: Any) -> None:
    OrderProcess.objects.filter(order=customer_order).update(language="it")
    quote = propose(customer_order, quoter, price="8.00")
    chat = django_app.get(reverse("oscar_orders_ext_chat:account-chat",
                                  kwargs={"number": customer_order.number}), user=customer)
    href = chat.pyquery("#ooe-customer-quote .ooe-quote-pdf").attr("href")
    assert href == reverse("oscar_orders_ext_chat:account-quote-pdf",
                           kwargs={"number": customer_order.number, "pk": quote.pk})
    text = pdf_text(django_app.get(href, user=customer).body)
    assert "Proposta di prezzo 1" in text and "8,00" in text
    stranger = django_user_model.objects.create_user(username="other", password="pw")
    django_app.get(href, user=stranger, status=404)


def test_a_guest_downloads_it_through_the_signed_link_and_a_forged_one_is_refused(
        django_app: Any, quoter: Any, guest_order: Any) -> None:
    quote = propose(guest_order, quoter)
    token = conversations.conversation_token(guest_order)
    chat = django_app.get(reverse("oscar_orders_ext_chat:guest-chat", kwargs={"token": token}))
    href = chat.pyquery("#ooe-customer-quote .ooe-quote-pdf").attr("href")
    assert href == reverse("oscar_orders_ext_chat:guest-quote-pdf",
                           kwargs={"token": token, "pk": quote.pk})
    assert django_app.get(href).content_type == "application/pdf"
    forged = reverse("oscar_orders_ext_chat:guest-quote-pdf",
                     kwargs={"token": token[:-2] + "xx", "pk": quote.pk})
    django_app.get(forged, status=404)


def send_from_page(app: Any, order: Any, user: Any) -> Any:
    page = app.get(reverse("oscar_orders_ext_dashboard:orders-workspace-order",
                           kwargs={"number": order.number}) + "?open=quote_form", user=user)
    form = page.forms["ooe-quote-form"]
    form[f"price_{order.lines.get().pk}"] = "8.00"
    return form.submit().follow()


def test_a_proposal_sent_from_the_page_emails_its_pdf_to_the_customer(
        django_app: Any, quoter: Any, guest_order: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_from_page(django_app, guest_order, quoter)
    message = OrderMessage.objects.get(order=guest_order, side=MessageSide.STAFF)
    name = f"price-proposal-{guest_order.number}-v1.pdf"
    assert (message.attachment_name, message.attachment_type) == (name, "application/pdf")
    [email] = [m for m in mail.outbox if m.to == ["guest@example.com"]]
    [(filename, content, mimetype)] = email.attachments
    assert (filename, mimetype) == (name, "application/pdf")
    assert "Price proposal 1" in pdf_text(content)


def test_a_shop_without_attachments_sends_the_proposal_without_its_pdf(
        django_app: Any, quoter: Any, guest_order: Any, settings: Any) -> None:
    settings.OSCAR_ORDERS_EXT_MESSAGE_ATTACHMENT_MAX_BYTES = 0
    page = send_from_page(django_app, guest_order, quoter)
    assert "Price proposal 1 sent to the customer." in page.text
    assert not OrderMessage.objects.get(order=guest_order, side=MessageSide.STAFF).attachment
