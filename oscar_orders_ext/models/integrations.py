"""What headless clients and automations use: API tokens, webhook endpoints and deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token of the JSON API, acting as its user; only its SHA-256 hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    #: The first characters of the key, shown so a user can tell their tokens apart.
    prefix = models.CharField(_("prefix"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookEndpoint(models.Model):
    """A URL that receives signed events (Standard Webhooks)."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    #: Event types sent to it; empty means every event.
    events = models.JSONField(_("events"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    #: Why it was switched off by the app (a 410 answer), if it was.
    disabled_reason = models.CharField(_("disabled because"), max_length=200, blank=True)
    #: The signing secret ("whsec_…"); HMAC needs it in clear, so it is kept, never shown again.
    secret = models.CharField(max_length=100, editable=False)
    #: The secret before the last rotation, still signing until ``previous_secret_expires_at``.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        """Whether the endpoint is subscribed to ``event``."""
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent, retried on the schedule, or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries", verbose_name=_("endpoint"))
    #: The ``webhook-id`` header: the same on every attempt and on a redelivery.
    message_id = models.CharField(_("message id"), max_length=64)
    event = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    #: When a worker should (re)try; None once delivered or given up. A worker claims a
    #: delivery by pushing it forward (a lease), so two workers never send it at once.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True,
                                                        blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="ooe_webhook_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log", verbose_name=_("delivery"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
