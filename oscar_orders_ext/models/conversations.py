"""The order's conversation: messages between the shop's staff and the customer.

Separate from Oscar's ``OrderNote`` (internal notes the customer never sees): every message
here is meant for the other side. Unread counts per side live on ``OrderProcess``
(``staff_unread``, ``customer_unread``) so that lists read them without a join.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .process import ORDER_MODEL


def message_upload_to(instance: OrderMessage, filename: str) -> str:
    """A random name in a private folder: the customer's file name is kept in the row."""
    return f"oscar_orders_ext/messages/{instance.order_id}/{uuid.uuid4().hex}"


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
    #: An image or PDF, checked by content (services/conversations.py); served only to who may
    #: see the order, never from a public URL.
    attachment = models.FileField(_("attachment"), upload_to=message_upload_to, blank=True,
                                  max_length=255)
    attachment_name = models.CharField(_("attachment name"), max_length=255, blank=True)
    attachment_type = models.CharField(_("attachment type"), max_length=50, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("order message")
        verbose_name_plural = _("order messages")
        indexes = [models.Index(fields=["order", "created_at"], name="ooe_message_order")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.side}: {self.body[:40]}"


class QuoteStatus(models.TextChoices):
    """Where a price proposal stands; only a ``sent`` one can be accepted or rejected."""

    SENT = "sent", _("Awaiting the customer")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Replaced by a newer proposal")
    EXPIRED = "expired", _("Expired")


class Quote(models.Model):
    """One version of a price proposal for an order: new unit prices per line and shipping,
    a message and a validity date. Every version is kept; a new one supersedes the open one."""

    order = models.ForeignKey(ORDER_MODEL, on_delete=models.CASCADE, related_name="quotes",
                              verbose_name=_("order"))
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=QuoteStatus.choices,
                              default=QuoteStatus.SENT)
    message = models.TextField(_("message"), blank=True)
    valid_until = models.DateField(_("valid until"))
    currency = models.CharField(_("currency"), max_length=12)
    #: One entry per order line: ``line`` (id), ``title``, ``quantity``, ``old`` and ``new``
    #: unit prices incl. tax (as text).
    lines = models.JSONField(_("lines"), default=list)
    old_shipping = models.DecimalField(_("shipping before"), max_digits=12, decimal_places=2)
    shipping = models.DecimalField(_("shipping"), max_digits=12, decimal_places=2)
    old_total = models.DecimalField(_("total before"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("sent by"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["order", "-version"]
        verbose_name = _("price proposal")
        verbose_name_plural = _("price proposals")
        constraints = [models.UniqueConstraint(fields=["order", "version"],
                                               name="ooe_quote_order_version")]
        indexes = [models.Index(fields=["valid_until"], name="ooe_quote_open_expiry",
                                condition=models.Q(status="sent"))]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.version} {self.status}"

    @property
    def is_open(self) -> bool:
        """Whether the customer may still accept or reject it."""
        return self.status == QuoteStatus.SENT

    @property
    def outcome(self) -> str:
        """Its status as the customer reads it: ``expired`` from the day after its date,
        before the hourly tick marks it so (it can no longer be accepted either way)."""
        if self.status == QuoteStatus.SENT and self.valid_until < timezone.localdate():
            return QuoteStatus.EXPIRED.value
        return str(self.status)

    @property
    def outcome_label(self) -> str:
        """The label of ``outcome``."""
        return str(QuoteStatus(self.outcome).label)

    @property
    def can_decide(self) -> bool:
        """Whether it is open and within its date (the service also checks it is the latest)."""
        return self.outcome == QuoteStatus.SENT
