"""The order's conversation: messages between the shop's staff and the customer.

Separate from Oscar's ``OrderNote`` (internal notes the customer never sees): every message
here is meant for the other side. Unread counts per side live on ``OrderProcess``
(``staff_unread``, ``customer_unread``) so that lists read them without a join.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .process import ORDER_MODEL


class MessageSide(models.TextChoices):
    """Who wrote a message."""

    STAFF = "staff", _("Shop")
    CUSTOMER = "customer", _("Customer")


class OrderMessage(models.Model):
    """One message of an order's conversation, written by staff or by the customer."""

    order = models.ForeignKey(ORDER_MODEL, on_delete=models.CASCADE,
                              related_name="conversation_messages", verbose_name=_("order"))
    side = models.CharField(_("written by"), max_length=10, choices=MessageSide.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("author"))
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    #: When the other side first saw it; None while unread.
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("order message")
        verbose_name_plural = _("order messages")
        indexes = [models.Index(fields=["order", "created_at"], name="ooe_message_order")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.side}: {self.body[:40]}"
