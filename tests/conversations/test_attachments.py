"""Attachments: images and PDFs checked by content and size, served only to who may see the
order (staff of both skins, the customer, the holder of the signed link)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import OrderMessage
from oscar_orders_ext.services import conversations

from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a tiny pdf\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_a_pdf_is_stored_under_a_random_name_and_typed_by_its_content(
        guest_order: Any) -> None:
    message = conversations.post_customer_message(guest_order, "",
                                                  attachment=upload("invoice.PDF", PDF))
    assert message.attachment_name == "invoice.PDF"
    assert message.attachment_type == "application/pdf"
    assert "invoice" not in message.attachment.name
    with message.attachment.open("rb") as stored:
        assert stored.read() == PDF


@pytest.mark.parametrize("name,content", [("photo.png", b"MZ\x90\x00 not an image"),
                                          ("notes.pdf", b"<html>hello</html>")])
def test_other_content_is_refused_whatever_its_name(guest_order: Any, name: str,
                                                    content: bytes) -> None:
    with pytest.raises(OrderWorkflowError, match="image"):
        conversations.post_customer_message(guest_order, "see file",
                                            attachment=upload(name, content))
    assert not OrderMessage.objects.exists()


@override_settings(OSCAR_ORDERS_EXT_MESSAGE_ATTACHMENT_MAX_BYTES=10)
def test_a_file_too_large_is_refused_with_the_limit(guest_order: Any) -> None:
    with pytest.raises(OrderWorkflowError, match="at most"):
        conversations.post_customer_message(guest_order, "x", attachment=upload("a.pdf", PDF))
    assert not OrderMessage.objects.exists()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_staff_attach_a_file_and_download_it_from_the_order_page(
        django_app: Any, clerk: Any, guest_order: Any, namespace: str) -> None:
    staff = with_wagtail_access(clerk)
    page = django_app.get(reverse(f"{namespace}:orders-workspace-order",
                                  kwargs={"number": guest_order.number}), user=staff)
    form = page.forms["ooe-chat-form"]
    form["body"] = "The drawing"
    form["attachment"] = ("drawing.png", PNG)
    page = form.submit().follow()
    link = page.pyquery("#ooe-chat .ooe-chat-attachment a")
    assert link.text().endswith("drawing.png")
    download = django_app.get(link.attr("href"), user=staff)
    assert download.content_type == "image/png"
    assert download.body == PNG
    assert "attachment" in download.headers["Content-Disposition"]


def test_the_customer_and_the_guest_link_get_the_file_and_nobody_else(
        django_app: Any, customer: Any, customer_order: Any, guest_order: Any) -> None:
    mine = conversations.post_customer_message(customer_order, "",
                                               attachment=upload("plan.pdf", PDF))
    guest = conversations.post_customer_message(guest_order, "",
                                                attachment=upload("g.pdf", PDF))
    own = reverse("oscar_orders_ext_chat:account-chat-attachment",
                  kwargs={"number": customer_order.number, "pk": mine.pk})
    assert django_app.get(own, user=customer).content_type == "application/pdf"
    other = get_user_model().objects.create_user(username="eve", password="pw")
    django_app.get(own, user=other, status=404)
    # The customer's order number with another order's message: 404 too.
    django_app.get(reverse("oscar_orders_ext_chat:account-chat-attachment",
                           kwargs={"number": customer_order.number, "pk": guest.pk}),
                   user=customer, status=404)
    token = conversations.conversation_token(guest_order)
    guest_url = reverse("oscar_orders_ext_chat:guest-chat-attachment",
                        kwargs={"token": token, "pk": guest.pk})
    assert django_app.get(guest_url).content_type == "application/pdf"
    django_app.get(reverse("oscar_orders_ext_chat:guest-chat-attachment",
                           kwargs={"token": token, "pk": mine.pk}), status=404)
    django_app.get(reverse("oscar_orders_ext_chat:guest-chat-attachment",
                           kwargs={"token": token[:-2] + "zz", "pk": guest.pk}), status=404)
