"""Funnels and their stages: the boards orders move across."""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ..timeline import funnel_name_shown, untranslated_default_funnel_name
from ..workflow import State, get_workflow



@lru_cache(maxsize=256)
def untranslated_state_label(state: str) -> str:
    """A workflow state's label as written in the code (the workflow is fixed at start-up)."""
    with translation.override(None):
        return str(get_workflow().get_state(state).label)


class FunnelQuerySet(models.QuerySet["Funnel"]):
    def get_default(self) -> Funnel:
        """The shop's default funnel, created from the workflow's states if there is none."""
        funnel = self.order_by("-is_default", "position", "pk").first()
        return funnel or Funnel.create_from_workflow()


class Funnel(models.Model):
    """A pipeline of stages; every order belongs to exactly one funnel."""

    name = models.CharField(_("name"), max_length=128)
    slug = models.SlugField(_("slug"), max_length=128, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(
        _("default"), default=False,
        help_text=_("New orders land in the default funnel."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = FunnelQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("funnel")
        verbose_name_plural = _("funnels")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="oscar_orders_ext_one_default_funnel"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name shown: a funnel still named as ``migrate`` named it ("Orders") shows that
        name in the reader's language, so an Italian shop's operators read "Ordini" and a
        French colleague "Commandes"; a name the shop gave it stays as typed."""
        return funnel_name_shown(self.name)

    @classmethod
    def create_from_workflow(cls, name: str | None = None, *, is_default: bool = True) -> Funnel:
        """A funnel with one stage per workflow state, in workflow order."""
        name = name or untranslated_default_funnel_name()
        slug = base = slugify(name) or "funnel"
        suffix = 1
        while cls.objects.filter(slug=slug).exists():
            suffix += 1
            slug = f"{base}-{suffix}"
        funnel = cls.objects.create(name=name, slug=slug, is_default=is_default)
        Stage.objects.bulk_create(
            # Named as the code names the state, so each reader sees it in their language
            # (Stage.display_name), whatever language the manager who created it spoke.
            Stage(funnel=funnel, name=untranslated_state_label(state.code), state=state.code,
                  colour=state.colour, position=position)
            for position, state in enumerate(get_workflow().get_states())
        )
        return funnel

    def stage_for_state(self, state: str) -> Stage | None:
        """The first stage of this funnel that holds orders in ``state``."""
        return self.stages.filter(state=state).order_by("position", "pk").first()


class Stage(models.Model):
    """A column of a funnel's board, mapped to one workflow state."""

    funnel = models.ForeignKey(Funnel, on_delete=models.CASCADE, related_name="stages",
                               verbose_name=_("funnel"))
    name = models.CharField(_("name"), max_length=128)
    state = models.CharField(_("workflow state"), max_length=50)
    colour = models.CharField(_("colour"), max_length=7, default="#6c757d")
    position = models.PositiveIntegerField(_("position"), default=0)
    time_limit = models.DurationField(
        _("time limit"), null=True, blank=True,
        help_text=_("Cards staying longer than this are highlighted as stale."))
    wip_limit = models.PositiveIntegerField(
        _("work-in-progress limit"), null=True, blank=True,
        help_text=_("The column is marked when it holds more orders than this."))

    class Meta:
        ordering = ["funnel", "position", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return f"{self.funnel} / {self.display_name}"

    def clean(self) -> None:
        if not get_workflow().has_state(self.state):
            raise ValidationError({"state": _("“%(state)s” is not a state of the workflow.")
                                   % {"state": self.state}})

    @property
    def display_name(self) -> str:
        """The name shown: a stage still named after its state (as ``migrate`` and new funnels
        create them) shows the state's label in the reader's language; a name the shop gave it
        stays as typed."""
        if self.name == untranslated_state_label(self.state):
            return str(get_workflow().get_state(self.state).label)
        return self.name

    @property
    def workflow_state(self) -> State:
        return get_workflow().get_state(self.state)
