"""Funnel settings: create funnels, choose the default, reorder, remap and delete stages.

Every front end (Oscar dashboard, Wagtail admin) calls these functions, so the rules live here:
a funnel or stage that still holds orders is deleted only after its orders have moved, in
bulk (one UPDATE per workflow state, one timeline entry per order), and never into another
workflow state: changing state is the transition service's job, with its permissions, stock
effects and emails. Refusals raise :class:`~oscar_orders_ext.exceptions.FunnelError` and write
nothing. Moved orders get their ``version`` bumped (open Kanban cards and forms then see a
conflict instead of acting on a stage that is gone); no per-order ``order_process_changed``
signal is sent for these bulk moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Max, QuerySet, Value, When
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext import selectors
from oscar_orders_ext.exceptions import FunnelError
from oscar_orders_ext.models import Funnel, OrderProcess, Stage, TimelineEntry
from oscar_orders_ext.workflow import get_workflow

# Rows per INSERT when writing one timeline entry per moved order.
TIMELINE_BATCH_SIZE = 1000
SLUG_MAX_LENGTH = Funnel._meta.get_field("slug").max_length or 128


def unique_funnel_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """A slug for ``name`` that no other funnel uses: "orders", then "orders-2", …"""
    base = slugify(name)[:SLUG_MAX_LENGTH - 6] or "funnel"
    others = Funnel.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = set(others.values_list("slug", flat=True))
    slug, suffix = base, 1
    while slug in taken:
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


def create_funnel(name: str, *, is_default: bool = False, from_workflow: bool = False
                  ) -> Funnel:
    """A new funnel after the existing ones, empty or with one stage per workflow state."""
    with transaction.atomic():
        last = Funnel.objects.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
        if from_workflow:
            # Not the default yet: the unique constraint wants the old default cleared first.
            funnel = Funnel.create_from_workflow(name, is_default=False)
            funnel.position = position
            funnel.save(update_fields=["position"])
        else:
            funnel = Funnel.objects.create(name=name, slug=unique_funnel_slug(name),
                                           position=position)
        if is_default:
            set_default_funnel(funnel)
    return funnel


def set_default_funnel(funnel: Funnel) -> Funnel:
    """Make ``funnel`` the one new orders land in; the previous default stops being it."""
    with transaction.atomic():
        # At most one default may exist at any moment (a unique constraint), so the old one is
        # cleared before the new one is set, inside one transaction.
        Funnel.objects.filter(is_default=True).exclude(pk=funnel.pk).update(is_default=False)
        Funnel.objects.filter(pk=funnel.pk).update(is_default=True)
    funnel.is_default = True
    return funnel


def next_stage_position(funnel: Funnel) -> int:
    """The position a stage appended to ``funnel`` gets."""
    last = funnel.stages.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def check_stage_state_change(stage: Stage, state: str) -> None:
    """Refuse remapping a stage that holds orders: they would sit in a stage of another state."""
    if stage.pk is None or stage.state == state:
        return
    count = OrderProcess.objects.filter(stage=stage).count()
    if count:
        raise FunnelError(ngettext(
            "“%(stage)s” holds %(count)d order in the state “%(state)s”: move it or delete the "
            "stage (its orders move to another stage) before mapping it to another state.",
            "“%(stage)s” holds %(count)d orders in the state “%(state)s”: move them or delete "
            "the stage (its orders move to another stage) before mapping it to another state.",
            count) % {"stage": stage.display_name, "count": count,
                      "state": _state_label(stage.state)})


def reorder_stages(funnel: Funnel, stage_ids: Sequence[int | str]) -> list[Stage]:
    """Give ``funnel``'s stages the order of ``stage_ids``; unlisted stages follow, as they were.
    """
    try:
        wanted = [int(pk) for pk in stage_ids]
    except (TypeError, ValueError):
        raise FunnelError(_("Stage ids must be whole numbers.")) from None
    if not wanted:
        raise FunnelError(_("No stages were given."))
    if len(set(wanted)) != len(wanted):
        raise FunnelError(_("A stage appears more than once in the new order."))
    with transaction.atomic():
        stages = list(Stage.objects.select_for_update().filter(funnel=funnel)
                      .order_by("position", "pk"))
        by_pk = {stage.pk: stage for stage in stages}
        foreign = [pk for pk in wanted if pk not in by_pk]
        if foreign:
            raise FunnelError(ngettext(
                "Stage %(ids)s does not belong to the funnel “%(funnel)s”.",
                "Stages %(ids)s do not belong to the funnel “%(funnel)s”.", len(foreign))
                % {"ids": ", ".join(map(str, foreign)), "funnel": funnel.display_name})
        listed = set(wanted)
        ordered = [by_pk[pk] for pk in wanted] + [s for s in stages if s.pk not in listed]
        changed = []
        for position, stage in enumerate(ordered):
            if stage.position != position:
                stage.position = position
                changed.append(stage)
        Stage.objects.bulk_update(changed, ["position"])
    return ordered


def stage_move_targets(stage: Stage) -> QuerySet[Stage]:
    """Stages that can take ``stage``'s orders: the same workflow state, its own funnel first."""
    own_funnel_first = Case(When(funnel_id=stage.funnel_id, then=Value(0)), default=Value(1),
                            output_field=IntegerField())
    return (Stage.objects.filter(state=stage.state).exclude(pk=stage.pk)
            .select_related("funnel")
            .order_by(own_funnel_first, "funnel__position", "funnel__pk", "position", "pk"))


def delete_stage(stage: Stage, *, move_to: Stage | None = None, user: Any = None) -> int:
    """Delete ``stage``, first moving the orders it holds to ``move_to``; returns how many moved.
    """
    with transaction.atomic():
        stage = Stage.objects.select_for_update().select_related("funnel").get(pk=stage.pk)
        held = list(OrderProcess.objects.select_for_update().filter(stage=stage)
                    .order_by("pk").values_list("order_id", "state"))  # the global lock order
        if held:
            if move_to is None:
                raise FunnelError(ngettext(
                    "“%(stage)s” holds %(count)d order: choose the stage it moves to.",
                    "“%(stage)s” holds %(count)d orders: choose the stage they move to.",
                    len(held)) % {"stage": stage.display_name, "count": len(held)})
            target = _existing_stage(move_to)
            _check_stage_target(stage, target, states={state for _order_id, state in held})
            now = timezone.now()
            # state_changed_at ("in stage since") is kept on purpose: the stage was merged
            # away, the order did not progress, and a stale order should still look stale.
            OrderProcess.objects.filter(stage=stage).update(
                stage=target, funnel=target.funnel, version=F("version") + 1,
                last_activity_at=now)
            data = {"from_stage": stage.name, "to_stage": target.name, "reason": "stage_deleted"}
            if target.funnel_id != stage.funnel_id:
                data.update({"from": stage.funnel.name, "to": target.funnel.name})
            _record_moves(((order_id, data) for order_id, _state in held), user=user, at=now)
        stage.delete()
    return len(held)


def delete_funnel(funnel: Funnel, *, move_to: Funnel | None = None, user: Any = None) -> int:
    """Delete ``funnel``, first moving its orders to ``move_to`` (the stage holding each order's
    state); returns how many moved. ``move_to`` becomes the default if ``funnel`` was."""
    with transaction.atomic():
        funnel = Funnel.objects.select_for_update().get(pk=funnel.pk)
        if not Funnel.objects.exclude(pk=funnel.pk).exists():
            raise FunnelError(_("“%(funnel)s” is the only funnel, and every order needs one: "
                                "create another funnel first.") % {"funnel": funnel.display_name})
        if move_to is not None and move_to.pk == funnel.pk:
            raise FunnelError(_("Choose a funnel other than the one being deleted."))
        held = list(OrderProcess.objects.select_for_update().filter(funnel=funnel)
                    .order_by("pk").values_list("order_id", "state", "stage_id"))
        if move_to is None:
            if held:
                raise FunnelError(ngettext(
                    "“%(funnel)s” holds %(count)d order: choose the funnel it moves to.",
                    "“%(funnel)s” holds %(count)d orders: choose the funnel they move to.",
                    len(held)) % {"funnel": funnel.display_name, "count": len(held)})
            if funnel.is_default:
                raise FunnelError(_("“%(funnel)s” is the default funnel: choose the funnel that "
                                    "becomes the default.") % {"funnel": funnel.display_name})
        if move_to is not None:
            move_to = Funnel.objects.filter(pk=move_to.pk).first()
            if move_to is None:
                raise FunnelError(_("The chosen funnel no longer exists."))
        if held:
            assert move_to is not None
            _move_funnel_orders(funnel, move_to, held, user=user)
        if funnel.is_default:
            assert move_to is not None
            set_default_funnel(move_to)
        funnel.delete()
    return len(held)


def missing_states(funnel: Funnel, states: Iterable[str]) -> list[str]:
    """The states among ``states`` that no stage of ``funnel`` holds."""
    covered = set(funnel.stages.values_list("state", flat=True))
    return sorted(set(states) - covered, key=_workflow_order)


def _move_funnel_orders(funnel: Funnel, target: Funnel,
                        held: Sequence[tuple[int, str, int | None]], *, user: Any) -> None:
    first_stage_for: dict[str, Stage] = {}
    for stage in target.stages.order_by("-position", "-pk"):
        first_stage_for[stage.state] = stage  # the lowest position wins
    states = {state for _order_id, state, _stage_id in held}
    absent = sorted(states - first_stage_for.keys(), key=_workflow_order)
    if absent:
        raise FunnelError(ngettext(
            "“%(funnel)s” has no stage for the state %(states)s: add one there, or choose "
            "another funnel.",
            "“%(funnel)s” has no stage for the states %(states)s: add them there, or choose "
            "another funnel.", len(absent))
            % {"funnel": target.display_name, "states": _quoted_states(absent)})
    now = timezone.now()
    for state in states:  # one UPDATE per state in use, whatever the number of orders
        OrderProcess.objects.filter(funnel=funnel, state=state).update(
            funnel=target, stage=first_stage_for[state], version=F("version") + 1,
            last_activity_at=now)
    old_stage_names = dict(funnel.stages.values_list("pk", "name"))
    entries = (
        (order_id, {"from": funnel.name, "to": target.name,
                    "from_stage": old_stage_names.get(stage_id, "") if stage_id else "",
                    "to_stage": first_stage_for[state].name, "reason": "funnel_deleted"})
        for order_id, state, stage_id in held)
    _record_moves(entries, user=user, at=now)


def _record_moves(entries: Iterable[tuple[int, dict[str, Any]]], *, user: Any,
                  at: datetime) -> None:
    """One "moved in funnel" timeline entry per order, written in batches."""
    actor = _actor(user)
    TimelineEntry.objects.bulk_create(
        (TimelineEntry(order_id=order_id, kind=TimelineKind.STAGE, actor=actor, data=data,
                       created_at=at) for order_id, data in entries),
        batch_size=TIMELINE_BATCH_SIZE)


def _existing_stage(stage: Stage) -> Stage:
    found = Stage.objects.select_related("funnel").filter(pk=stage.pk).first()
    if found is None:
        raise FunnelError(_("The chosen stage no longer exists."))
    return found


def _check_stage_target(stage: Stage, target: Stage, *, states: set[str]) -> None:
    if target.pk == stage.pk:
        raise FunnelError(_("Choose a stage other than the one being deleted."))
    other_states = sorted(states - {target.state}, key=_workflow_order)
    if other_states:
        raise FunnelError(ngettext(
            "“%(target)s” holds orders in the state “%(target_state)s”, but the orders to move "
            "are in the state %(states)s. Orders change state only through the workflow: "
            "choose a stage mapped to the same state.",
            "“%(target)s” holds orders in the state “%(target_state)s”, but the orders to move "
            "are in the states %(states)s. Orders change state only through the workflow: "
            "choose a stage mapped to the same state.", len(other_states))
            % {"target": f"{target.funnel.display_name} › {target.display_name}",
               "target_state": _state_label(target.state),
               "states": _quoted_states(other_states)})


def _actor(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _state_label(code: str) -> str:
    return str(get_workflow().get_state(code).label)


def _quoted_states(codes: Iterable[str]) -> str:
    return ", ".join(f"“{_state_label(code)}”" for code in codes)


def _workflow_order(code: str) -> tuple[int, str]:
    codes = [state.code for state in get_workflow().get_states()]
    return (codes.index(code) if code in codes else len(codes), code)


def save_funnel_settings(save_funnel: Callable[[], Funnel], save_stages: Callable[[], Any], *,
                         make_default: bool) -> Funnel:
    """Save a funnel's settings and its stages (a valid model form's and formset's ``save``)
    together, then make it the default funnel if asked."""
    with transaction.atomic():
        funnel = save_funnel()
        save_stages()
        if make_default and not funnel.is_default:
            set_default_funnel(funnel)
    return funnel


# --- Counts for the settings pages ------------------------------------------------------------

def order_counts(**filters: Any) -> dict[tuple[int, int | None], int]:
    """Orders per (funnel id, stage id): ``selectors.funnel_order_counts`` (kept for callers)."""
    return selectors.funnel_order_counts(**filters)


def state_counts(**filters: Any) -> list[tuple[str, int]]:
    """Orders per workflow state as (label, count), in workflow order."""
    rows = dict(OrderProcess.objects.filter(**filters).order_by()
                .values_list("state").annotate(count=Count("pk")))
    workflow = get_workflow()
    known = [state.code for state in workflow.get_states()]
    ordered = [code for code in known if code in rows] + sorted(set(rows) - set(known))
    return [(str(workflow.get_state(code).label), rows[code]) for code in ordered]
