"""Carriers and the shipments recorded with them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


TRACKING_CODE_PLACEHOLDER = "{code}"


class Carrier(models.Model):
    """A shipping company the shop uses, with the address of its tracking page."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    tracking_url_template = models.CharField(
        _("tracking URL template"), max_length=500, blank=True,
        help_text=_("The carrier's tracking page, with {code} where the tracking code goes, "
                    "e.g. https://www.carrier.example/track?number={code}"))
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active carriers are offered for new "
                                               "shipments."))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        template = self.tracking_url_template.strip()
        if template and not template.startswith(("https://", "http://")):
            raise ValidationError({"tracking_url_template": _(
                "The tracking URL must start with https:// or http://.")})
        if template and TRACKING_CODE_PLACEHOLDER not in template:
            raise ValidationError({"tracking_url_template": _(
                "Put {code} where the tracking code belongs in the URL.")})

    def tracking_url(self, code: str) -> str:
        """The carrier's tracking page for ``code``, or "" without a template or code."""
        if not self.tracking_url_template or not code:
            return ""
        return self.tracking_url_template.replace(TRACKING_CODE_PLACEHOLDER,
                                                  quote(code.strip(), safe=""))


class Shipment(models.Model):
    """Carrier and tracking code of one Oscar ``ShippingEvent`` (a parcel sent)."""

    shipping_event = models.OneToOneField(
        "order.ShippingEvent", on_delete=models.CASCADE, related_name="shipment",
        verbose_name=_("shipping event"))
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="shipments", verbose_name=_("carrier"))
    #: The carrier's name when the shipment was recorded, or a free-text carrier.
    carrier_name = models.CharField(_("carrier name"), max_length=128, blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=128, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    #: Set by ``services.logistics.record_shipment`` when it also moved the order (its
    #: ``TransitionResult``); not stored.
    transition_result: Any = None

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")

    def __str__(self) -> str:
        return f"{self.carrier_name} {self.tracking_code}".strip()

    @property
    def tracking_url(self) -> str:
        """Where the buyer follows the parcel, when the carrier has a tracking page."""
        return self.carrier.tracking_url(self.tracking_code) if self.carrier else ""
