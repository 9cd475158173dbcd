"""Money on the order: gateway payments (django-payments) and the payment links customers pay.

``OrderPayment`` is the shop's django-payments model (``PAYMENT_MODEL =
"oscar_orders_ext.OrderPayment"``); confirmed payments are written into Oscar's own payment
records by ``oscar_orders_ext.payments.service`` (``recorded_amount`` makes that idempotent).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from payments import PurchasedItem
from payments.core import get_base_url
from payments.models import BasePayment

from .process import ORDER_MODEL

#: Salt of the signed payment-link tokens (a token of another feature never opens a link).
LINK_SALT = "oscar_orders_ext.payment-link"
#: django-payments stores amounts with 9 digits (Oscar: 12): the largest amount it can charge.
GATEWAY_MAX_AMOUNT = Decimal("9999999.99")
#: URL namespace of the customer's pay pages (``oscar_orders_ext.storefront.payment_urls``).
PAY_NAMESPACE = "oscar_orders_ext_pay"


class PaymentLinkStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Replaced by a newer link")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentLink(models.Model):  # type: ignore[django-manager-missing]
    """A signed link that lets the customer (guest or not) pay an amount due on an order."""

    order = models.ForeignKey(ORDER_MODEL, on_delete=models.CASCADE,
                              related_name="payment_links", verbose_name=_("order"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=12)
    status = models.CharField(_("status"), max_length=20, choices=PaymentLinkStatus.choices,
                              default=PaymentLinkStatus.ACTIVE)
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("sent by"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        indexes = [models.Index(fields=["status", "expires_at"], name="ooe_paylink_due")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount} {self.currency} ({self.status})"

    @property
    def token(self) -> str:
        """The signed token of the link's URL (tampering with it breaks the signature)."""
        # No timestamp (Signer, not dumps()): one link has one URL; expiry is the row's.
        return signing.Signer(salt=LINK_SALT).sign_object({"link": self.pk}, compress=True)

    def get_absolute_url(self) -> str:
        """The pay page's path."""
        return reverse(f"{PAY_NAMESPACE}:pay", kwargs={"token": self.token})

    @property
    def is_open(self) -> bool:
        """Whether the customer may still pay it (active and not past its expiry)."""
        return self.status == PaymentLinkStatus.ACTIVE and self.expires_at > timezone.now()


class OrderPayment(BasePayment):
    """One attempt to pay an order through a django-payments provider (variant)."""

    # Annotated by hand: django-payments is untyped, so django-stubs cannot see this model.
    order: models.ForeignKey[Any, Any] = models.ForeignKey(
        ORDER_MODEL, on_delete=models.CASCADE, related_name="gateway_payments",
        verbose_name=_("order"))
    link: models.ForeignKey[Any, Any] = models.ForeignKey(
        PaymentLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments",
        verbose_name=_("payment link"))
    #: What was written into Oscar's Source/Transaction/PaymentEvent for this payment: a
    #: replayed confirmation finds it already recorded and changes nothing.
    recorded_amount: models.DecimalField[Any, Any] = models.DecimalField(
        _("recorded"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    refunded_amount: models.DecimalField[Any, Any] = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("gateway payment")
        verbose_name_plural = _("gateway payments")
        permissions = [
            ("send_payment_link", _("Can send payment links")),
            ("record_payment", _("Can mark orders paid by hand")),
            ("refund_large_amounts", _("Can refund more than the large-refund limit")),
        ]

    def _pay_url(self, name: str) -> str:
        token = self.link.token if self.link_id and self.link else ""
        return urljoin(get_base_url(), reverse(f"{PAY_NAMESPACE}:{name}",
                                               kwargs={"token": token}))

    def get_success_url(self) -> str:
        """Where the provider sends the customer after paying."""
        return self._pay_url("pay-done")

    def get_failure_url(self) -> str:
        """Where the provider sends the customer after a failed or cancelled payment."""
        return self._pay_url("pay")

    def get_purchased_items(self) -> Any:
        """One item: the amount paid on the order (providers show it on their page)."""
        yield PurchasedItem(name=str(_("Order %(number)s") % {"number": self.order.number}),
                            sku=str(self.order.number), quantity=1, price=self.total,
                            currency=self.currency)
