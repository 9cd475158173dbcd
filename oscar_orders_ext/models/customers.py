"""The customer directory's rows: one per customer email, registered or guest, with the
aggregates of their orders kept up to date (``services.customer_summaries``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .process import Tag


class Customer(models.Model):
    """A customer of the shop: an account, or the guest orders placed with one email.

    The order aggregates (count, value per currency, first and last order) are written by
    ``services.customer_summaries.refresh_customers`` whenever one of the customer's orders
    changes, so the directory reads them instead of aggregating orders on every page.
    """

    #: Lower-case, as the workspace stores order emails: guest orders group by it.
    email = models.CharField(_("email"), max_length=254, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("account"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    company = models.CharField(_("company"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    #: The account's creation, else the first order's date.
    registered_at = models.DateTimeField(_("registered on"), null=True, blank=True)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    #: ``{"EUR": {"count": 3, "total": "120.00"}}``: value and orders per currency.
    totals = models.JSONField(_("lifetime value"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers",
                                  verbose_name=_("tags"))
    notes = models.TextField(_("internal notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "id"]
        permissions = [("manage_customers", _("Can add and edit customers"))]
        indexes = [
            # The directory's default order, and its other sorts.
            models.Index(fields=["last_name", "first_name", "id"], name="ooe_customer_name"),
            models.Index(fields=["-last_order_at", "id"], name="ooe_customer_last_order"),
            models.Index(fields=["-order_count", "id"], name="ooe_customer_orders"),
            models.Index(fields=["-registered_at", "id"], name="ooe_customer_registered"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        """First and last name, or "" when neither is known."""
        return f"{self.first_name} {self.last_name}".strip()

    def currency_totals(self) -> list[dict[str, Any]]:
        """The value per currency: ``currency``, ``count``, ``total`` and ``average``."""
        rows = []
        for currency, values in sorted(self.totals.items()):
            count, total = int(values["count"]), Decimal(values["total"])
            rows.append({"currency": currency, "count": count, "total": total,
                         "average": (total / count).quantize(Decimal("0.01")) if count
                         else Decimal("0.00")})
        return rows
