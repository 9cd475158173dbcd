"""What happened to an order, who did it and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import TimelineKind
from ..timeline import describe
from .process import ORDER_MODEL


class TimelineEntry(models.Model):
    """One thing that happened to an order, who did it and when."""

    # No index of its own: ooe_timeline_order starts with the order.
    order = models.ForeignKey(ORDER_MODEL, on_delete=models.CASCADE, db_index=False,
                              related_name="timeline_entries", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=TimelineKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    #: What changed, for rendering and reports, e.g. {"from": "new", "to": "shipped"}.
    data = models.JSONField(_("details"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["order", "-created_at"], name="ooe_timeline_order")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        """A one-line, translated description of the entry."""
        return describe(self.kind, self.data)
