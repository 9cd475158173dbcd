"""What each user keeps of the workspace: chosen columns, saved views, folded board columns."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ColumnPreference(models.Model):
    """The table columns a user chose, in their order."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("user"))
    columns = models.JSONField(_("columns"), default=list)

    class Meta:
        verbose_name = _("column preference")
        verbose_name_plural = _("column preferences")


class SavedView(models.Model):
    """A named filter and column set, private to its owner or shared with the team."""

    name = models.CharField(_("name"), max_length=128)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("owner"))
    shared = models.BooleanField(_("shared with the team"), default=False)
    #: The filter as a query string, e.g. "state=new&tags=3".
    query = models.TextField(_("filter"), blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name


class BoardPreference(models.Model):
    """How a user keeps one funnel's board: the stages whose columns are folded."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("user"))
    funnel = models.ForeignKey("oscar_orders_ext.Funnel", on_delete=models.CASCADE,
                               related_name="+", verbose_name=_("funnel"))
    #: Primary keys of the folded stages (a deleted stage's key is simply never drawn).
    collapsed_stages = models.JSONField(_("folded columns"), default=list, blank=True)

    class Meta:
        verbose_name = _("board preference")
        verbose_name_plural = _("board preferences")
        constraints = [models.UniqueConstraint(fields=["user", "funnel"],
                                               name="ooe_board_preference_once")]
