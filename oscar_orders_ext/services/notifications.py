"""Customer emails about orders, rendered from editable Oscar communication types.

The state-change email runs as a django-tasks task (``send_state_email_task``), enqueued by
the transition service after commit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task
from oscar.core.loading import get_class, get_model

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.i18n import in_order_language
from oscar_orders_ext.selectors import buyer_notes, tracking_links
from oscar_orders_ext.workflow import get_workflow

from .timeline import record

CommunicationEventType = get_model("communication", "CommunicationEventType")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")
Order = get_model("order", "Order")


def site_url() -> str:
    """The shop's address for links in emails: ``OSCAR_ORDERS_EXT_SITE_URL``, or Oscar's URL
    scheme with the current site's domain (Sites framework), as Oscar's own emails build it."""
    if app_settings.SITE_URL:
        return str(app_settings.SITE_URL).rstrip("/")
    scheme = getattr(settings, "OSCAR_URL_SCHEMA", "http")
    return f"{scheme}://{Site.objects.get_current().domain}"


def absolute_url(path: str) -> str:
    """``path`` as a full URL a customer can follow from an email ("" stays "")."""
    if not path or "://" in path:
        return path
    return site_url() + path


def _site_for_oscar() -> Any:
    """The current site, its domain taken from ``OSCAR_ORDERS_EXT_SITE_URL`` when set."""
    site = Site.objects.get_current()
    if app_settings.SITE_URL:
        site.domain = urlsplit(site_url()).netloc  # a copy in memory, never saved
    return site


def order_status_path(order: Any) -> str:
    """Path of the customer's own page for this order ("" when the shop has no such page)."""
    try:
        if order.user_id:
            return reverse("customer:order", kwargs={"order_number": order.number})
        return reverse("customer:anon-order", kwargs={"order_number": order.number,
                                                      "hash": order.verification_hash()})
    except NoReverseMatch:
        return ""


def order_status_url(order: Any) -> str:
    """Full URL of the customer's own page for this order ("" when there is none)."""
    return absolute_url(order_status_path(order))


def order_email_context(order: Any) -> dict[str, Any]:
    """What every customer email about an order may show: ``tracking_links`` (carrier, code,
    url) of its parcels and ``buyer_notes`` (the notes operators wrote for the buyer)."""
    return {"tracking_links": tracking_links(order), "buyer_notes": buyer_notes(order)}


def send_state_email(order_id: int, state: str, note: str = "", actor_id: int | None = None
                     ) -> bool:
    """Email the customer, in their language, that their order entered ``state``; True when a
    message was sent."""
    order = Order.objects.select_related("user").get(pk=order_id)
    code = app_settings.STATE_EMAIL_EVENT_CODE
    CommunicationEventType.objects.get_or_create(
        code=code, defaults={"name": str(_("Order state changed")),
                             "category": CommunicationEventType.ORDER_RELATED})
    context = {"order": order, "state": get_workflow().get_state(state), "note": note,
               "lines": order.lines.all(), "status_url": order_status_url(order),
               **order_email_context(order)}
    with in_order_language(order):
        messages = CommunicationEventType.objects.get_and_render(code, context)
        recipient = order.email
        if not recipient or not messages.get("subject"):
            return False
        OrderDispatcher().dispatch_order_messages(order, messages, code)
    record(order.pk, TimelineKind.EMAIL, data={"code": code, "state": state, "to": recipient})
    return True


def send_order_confirmation(order: Any, *, user: Any = None) -> bool:
    """Send Oscar's own order confirmation (``ORDER_PLACED``) in the customer's language;
    False without an email."""
    if not order.email:
        return False
    # Oscar's template builds its link from ``site.domain`` and ``status_path``.
    path = order_status_path(order)
    context = {"order": order, "lines": order.lines.all(), "user": order.user,
               "site": _site_for_oscar(), "status_path": path,
               "status_url": absolute_url(path)}
    dispatcher = OrderDispatcher()
    with in_order_language(order):
        dispatcher.send_order_placed_email_for_user(order, context)
    record(order.pk, TimelineKind.EMAIL, actor=user,
           data={"code": dispatcher.ORDER_PLACED_EVENT_CODE, "to": order.email})
    return True


@task()
def send_state_email_task(order_id: int, state: str, note: str = "") -> bool:
    """Send the state-change email of one order."""
    return send_state_email(order_id, state, note)
