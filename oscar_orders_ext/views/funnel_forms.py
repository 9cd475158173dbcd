"""Forms of the funnel settings screens; the rules they enforce live in ``services.funnels``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.exceptions import FunnelError
from oscar_orders_ext.models import Funnel, Stage
from oscar_orders_ext.services.funnels import (check_stage_state_change, next_stage_position,
                                               stage_move_targets)
from oscar_orders_ext.workflow import get_workflow

DEFAULT_STAGE_COLOUR = "#6c757d"


def format_hours(value: timedelta) -> str:
    """A duration as a number of hours: "36", "1.5"."""
    hours = value.total_seconds() / 3600
    return str(int(hours)) if hours.is_integer() else str(round(hours, 2))


class HoursField(forms.DecimalField):
    """A duration typed in hours ("36", "1.5"), cleaned to a ``timedelta``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_digits", 8)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any", "min": "0"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        """Show a stored ``timedelta`` as a number of hours."""
        return format_hours(value) if isinstance(value, timedelta) else value

    def clean(self, value: Any) -> timedelta | None:
        """The hours as a ``timedelta``, or None when left empty."""
        hours = super().clean(value)
        return None if hours is None else timedelta(seconds=round(float(hours) * 3600))

    def has_changed(self, initial: Any, data: Any) -> bool:
        """Compare in hours, so an untouched row does not count as edited."""
        return super().has_changed(self.to_python(self.prepare_value(initial)), data)


class ColourField(forms.CharField):
    """A ``#rrggbb`` colour picked with the browser's colour input."""

    default_validators = [RegexValidator(r"^#[0-9a-fA-F]{6}$",
                                         _("Enter a colour such as #ff8800."))]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "color"}))
        super().__init__(**kwargs)


class FunnelCreateForm(forms.Form):
    """Name a new funnel, and choose whether it starts with the workflow's states as stages."""

    WORKFLOW = "workflow"
    EMPTY = "empty"

    name = forms.CharField(label=_("Name"), max_length=128)
    is_default = forms.BooleanField(
        label=_("Default funnel"), required=False,
        help_text=_("New orders land in the default funnel."))
    stages = forms.ChoiceField(
        label=_("Stages"), widget=forms.RadioSelect, initial=WORKFLOW,
        choices=[(WORKFLOW, _("Start with one stage per workflow state")),
                 (EMPTY, _("Start empty and add stages yourself"))])


def show_name_translated(form: forms.ModelForm[Any]) -> None:
    """Fill the name field of a funnel or stage still named as the app named it ("Orders", a
    state's label) with the name as its pages show it: in the reader's language."""
    instance = form.instance
    if instance.pk and instance.display_name != instance.name:
        form.initial["name"] = instance.display_name


def kept_name(form: forms.ModelForm[Any]) -> str:
    """The typed name, or the stored one when the translated name came back untouched: it
    goes on showing in each reader's language."""
    name: str = form.cleaned_data["name"]
    instance = form.instance
    return instance.name if instance.pk and name == instance.display_name else name


class FunnelForm(forms.ModelForm):
    """A funnel's name, slug and whether it is the default."""

    is_default = forms.BooleanField(
        label=_("Default funnel"), required=False,
        help_text=_("New orders land in the default funnel."))

    class Meta:
        model = Funnel
        fields = ["name", "slug"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["is_default"].initial = self.instance.is_default
        show_name_translated(self)

    def clean_name(self) -> str:
        """The stored name when its translation came back untouched."""
        return kept_name(self)

    def clean_is_default(self) -> bool:
        """The shop always has a default funnel: it changes by choosing another one."""
        wanted = bool(self.cleaned_data.get("is_default"))
        if self.instance.is_default and not wanted:
            raise forms.ValidationError(_("The shop always has a default funnel: make another "
                                          "funnel the default instead."))
        return wanted


class StageForm(forms.ModelForm):
    """One stage row: name, colour, mapped state, limits and (hidden) position."""

    colour = ColourField(label=_("Colour"), initial=DEFAULT_STAGE_COLOUR)
    # A plain select rather than a ChoiceField: Stage.clean() owns the "is a workflow state"
    # rule and says so in words an operator understands.
    state = forms.CharField(label=_("Workflow state"), widget=forms.Select)
    time_limit = HoursField(label=_("Time limit (hours)"), required=False,
                            help_text=_("Cards staying longer are highlighted as stale."))
    position = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = Stage
        fields = ["name", "colour", "state", "time_limit", "wip_limit", "position"]
        labels = {"wip_limit": _("WIP limit")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_name_translated(self)
        choices = [(code, str(label)) for code, label in get_workflow().state_choices()]
        current = self.instance.state if self.instance.pk else ""
        if current and not get_workflow().has_state(current):
            # A state left by an earlier workflow: show it, so the row is not silently remapped.
            choices.append((current, _("%(state)s (not in the workflow)") % {"state": current}))
        self.fields["state"].widget.choices = choices
        if not self.instance.pk and choices:
            # The browser submits the first option anyway; as the initial value, an untouched
            # extra row counts as empty instead of failing validation.
            self.fields["state"].initial = choices[0][0]

    def clean_name(self) -> str:
        """The stored name when its translation came back untouched."""
        return kept_name(self)

    def clean(self) -> dict[str, Any]:
        """Refuse remapping a stage that holds orders to another workflow state."""
        cleaned = super().clean() or {}
        state = cleaned.get("state")
        if state and get_workflow().has_state(state):
            try:
                check_stage_state_change(self.instance, state)
            except FunnelError as error:
                self.add_error("state", error.message)
        return cleaned


class BaseStageFormSet(forms.BaseInlineFormSet):
    """The funnel's stages in board order (``Stage.Meta.ordering``); new rows go last."""

    def save(self, commit: bool = True) -> list[Stage]:
        """Save the rows, appending new stages that have no position yet."""
        stages = super().save(commit=False)
        placed = [stage.position for stage in stages if stage.position is not None]
        next_position = max([next_stage_position(self.instance), *(p + 1 for p in placed)])
        for stage in stages:
            if stage.position is None:
                stage.position = next_position
                next_position += 1
            if commit:
                stage.save()
        return stages


StageFormSet = forms.inlineformset_factory(
    Funnel, Stage, form=StageForm, formset=BaseStageFormSet, extra=1, can_delete=False)


class StageDeleteForm(forms.Form):
    """Where the orders of a stage being deleted go; asked only when it holds some."""

    move_to = forms.ModelChoiceField(queryset=Stage.objects.none(), required=False,
                                     label=_("Move its orders to"))

    def __init__(self, *args: Any, stage: Stage, order_count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["move_to"])
        # Any other stage is accepted here so that a target of another state reaches the
        # service and gets its explanation; only same-state stages are offered.
        field.queryset = Stage.objects.exclude(pk=stage.pk).select_related("funnel")
        self.targets = list(stage_move_targets(stage)) if order_count else []
        field.widget.choices = [(target.pk,
                                 f"{target.funnel.display_name} › {target.display_name}")
                                for target in self.targets]
        field.required = bool(order_count)
        if self.targets:
            field.initial = self.targets[0].pk
        if not order_count:
            field.widget = forms.HiddenInput()


class FunnelDeleteForm(forms.Form):
    """Which funnel takes the orders (and the default flag) of a funnel being deleted."""

    move_to = forms.ModelChoiceField(queryset=Funnel.objects.none(), required=False,
                                     label=_("Move its orders to"))

    def __init__(self, *args: Any, funnel: Funnel, order_count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["move_to"])
        field.queryset = Funnel.objects.exclude(pk=funnel.pk).order_by("position", "pk")
        field.required = bool(order_count) or funnel.is_default
        field.empty_label = None if field.required else field.empty_label
        if not order_count and funnel.is_default:
            field.label = _("New default funnel")
        elif order_count and funnel.is_default:
            field.label = _("Move its orders to (it becomes the default funnel)")
        if not field.required:
            field.widget = forms.HiddenInput()
