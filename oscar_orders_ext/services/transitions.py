"""The one way an order changes state: views, the Kanban board, bulk actions, imports and
management commands all call :func:`transition_order` (or :func:`move_to_stage`).

Each call locks the order's process row, checks the django-fsm state machine, its conditions
and the user's permission, applies stock effects once, records the timeline, mirrors the state
into Oscar's ``Order.status`` and sends ``order_state_changed`` (its ``in_transaction`` twin in
the move's transaction, where the webhooks record their deliveries; the signal itself after
commit) and schedules the customer email. A refused call raises an
:class:`~oscar_orders_ext.exceptions.OrderWorkflowError` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connections, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import Transition

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import OrderType, TimelineKind
from oscar_orders_ext.exceptions import (ConditionNotMet, OrderWorkflowError,
                                         TransitionNotAllowed, TransitionPermissionDenied)
from oscar_orders_ext.models import OrderProcess, Stage, TimelineEntry
from oscar_orders_ext.signals import order_process_changed, order_state_changed
from oscar_orders_ext.workflow import get_workflow

from .customer_summaries import process_changed
from .locking import OrderLike, locked_process
from .notifications import send_state_email_task
from .oscar_status import mirror_oscar_status, mirror_oscar_statuses
from .stock import EFFECT_STEPS, apply_stock_effect, stock_effect_for
from .timeline import record


@dataclass(frozen=True)
class TransitionOption:
    """A move an operator can make now, as the front ends draw it."""

    name: str
    label: str
    target: str
    style: str
    confirm: bool


@dataclass
class TransitionResult:
    """What a successful move did."""

    process: OrderProcess
    transition: str
    source: str
    target: str
    stock_changes: list[dict[str, Any]] = field(default_factory=list)
    #: Whether the customer is emailed about the move (after the commit).
    notified: bool = False

    @property
    def changed_state(self) -> bool:
        return self.source != self.target


def _option(transition: Transition) -> TransitionOption:
    custom = transition.custom
    return TransitionOption(
        name=transition.name,
        label=str(custom.get("label") or transition.name.replace("_", " ").capitalize()),
        target=str(transition.target), style=custom.get("style", "secondary"),
        confirm=bool(custom.get("confirm")))


def available_transitions(process: OrderProcess, user: Any = None) -> list[TransitionOption]:
    """Moves allowed from the current state whose conditions hold and ``user`` may make."""
    transitions = (process.get_available_user_state_transitions(user) if user is not None
                   else process.get_available_state_transitions())
    return [_option(t) for t in transitions]


@dataclass(frozen=True)
class TransitionChoice:
    """A move from the current state the user may make, and why it is refused, if it is."""

    option: TransitionOption
    refusal: str = ""

    @property
    def allowed(self) -> bool:
        return not self.refusal


def transition_choices(process: OrderProcess, user: Any) -> list[TransitionChoice]:
    """Every move leaving the current state that ``user`` has permission for, each with the
    reason it is refused now (an unmet condition), so a page can show why a button is off."""
    choices = []
    met: dict[Any, bool] = {}  # a condition shared by several moves is asked once (a query)
    for transition in process.get_all_state_transitions():
        if transition.source not in {process.state, "*", "+"}:
            continue
        if user is not None and not transition.has_perm(process, user):
            continue
        refusal = ""
        for condition in transition.conditions:
            if condition not in met:
                met[condition] = bool(condition(process))
            if not met[condition]:
                refusal = str(getattr(condition, "failure_message", "") or _(
                    "A condition of this move is not met."))
                break
        choices.append(TransitionChoice(option=_option(transition), refusal=refusal))
    order = _declaration_order(type(process))
    return sorted(choices, key=lambda choice: order.get(choice.option.name, len(order)))


@lru_cache(maxsize=8)
def _declaration_order(model: type) -> dict[str, int]:
    """Attribute names in the order the workflow classes declare them (bases first), so the
    buttons follow the workflow's own order rather than the alphabet."""
    order: dict[str, int] = {}
    for klass in reversed(model.__mro__):
        for name in vars(klass):
            order.setdefault(name, len(order))
    return order


def _declared_transition(process: OrderProcess, name: str) -> Transition:
    """The transition ``name`` from the current state, or a clear refusal."""
    state = process.state_info
    if name not in process.transition_names():
        raise TransitionNotAllowed(_("“%(name)s” is not an action of this workflow.")
                                   % {"name": name}, order_number=process.order.number)
    transition = process.workflow.declared_transition(name, process.state)
    if transition is None:
        raise TransitionNotAllowed(
            _("Order %(number)s is “%(state)s”: it cannot be moved with “%(action)s”.")
            % {"number": process.order.number, "state": state.label, "action": name},
            order_number=process.order.number)
    return transition


def _check(process: OrderProcess, transition: Transition, user: Any) -> None:
    for condition in transition.conditions:
        if not condition(process):
            message = getattr(condition, "failure_message", None) or _(
                "A condition of this move is not met (%(condition)s).") % {
                "condition": getattr(condition, "__name__", condition)}
            raise ConditionNotMet(
                _("Order %(number)s: %(reason)s") % {"number": process.order.number,
                                                    "reason": message},
                order_number=process.order.number)
    if user is not None and not transition.has_perm(process, user):
        raise TransitionPermissionDenied(
            _("You do not have permission to “%(action)s” order %(number)s.")
            % {"action": _option(transition).label, "number": process.order.number},
            order_number=process.order.number)


def _finish_move(process: OrderProcess, *, transition: str, source: str, user: Any, note: str,
                 stage: Stage | None, notify_customer: bool | None, customer_message: str,
                 mirror: bool = True, timeline_kind: str = TimelineKind.STATE
                 ) -> TransitionResult:
    """Everything that follows a state change; the process is locked by the caller."""
    target = process.state
    now = timezone.now()
    process.stage = stage or process.funnel.stage_for_state(target)
    stock_changes: list[dict[str, Any]] = []
    effect = stock_effect_for(process, target)
    if effect:
        stock_changes = apply_stock_effect(process, effect, user=user)
    process.state_changed_at = process.last_activity_at = now
    process.version += 1
    process.save()
    if mirror:
        mirror_oscar_status(process.order, target)
    record(process.order_id, timeline_kind, actor=user, note=note, at=now,
           data={"transition": transition, "from": source, "to": target})
    if effect:
        record(process.order_id, TimelineKind.STOCK, actor=user, at=now,
               data={"effect": effect, "lines": stock_changes})

    notify = will_notify(process, target, notify_customer)
    order_id = process.order_id
    # In the move's transaction for what must share its commit (the webhooks' deliveries),
    # then after commit for the shop's receivers.
    order_state_changed.send_on_commit(sender=OrderProcess, process=process,
                                       order=process.order, transition=transition,
                                       source=source, target=target, user=user, note=note)
    if notify:
        transaction.on_commit(lambda: send_state_email_task.enqueue(order_id, target,
                                                                    customer_message))
    return TransitionResult(process=process, transition=transition, source=source,
                            target=target, stock_changes=stock_changes, notified=notify)


def starts_subscriptions(process: OrderProcess, source: str, target: str) -> bool:
    """Whether a move from ``source`` to ``target`` starts the subscriptions of the order of
    ``process`` (and so starts billing the customer): a subscription order entering
    ``SUBSCRIPTION_CONFIRMED_STATE``. Nothing else may make that move by itself."""
    return (target == app_settings.SUBSCRIPTION_CONFIRMED_STATE and source != target
            and process.order_type == OrderType.SUBSCRIPTION)


def notifies_by_default(target: str) -> bool:
    """Whether a move into ``target`` emails the customer unless the operator says otherwise
    (the workflow state's default, off when ``NOTIFY_CUSTOMERS`` is): the initial value of
    every "notify the customer" choice."""
    return bool(app_settings.NOTIFY_CUSTOMERS
                and get_workflow().get_state(target).notify_customer)


def will_notify(process: OrderProcess, target: str, notify_customer: bool | None = None
                ) -> bool:
    """Whether moving the order into ``target`` emails its customer: the operator's choice
    (None: the state's default), the ``NOTIFY_CUSTOMERS`` switch, and an address to write to.
    Dry runs count with it what a move would send."""
    wanted = (process.workflow.get_state(target).notify_customer if notify_customer is None
              else notify_customer)
    return bool(wanted and app_settings.NOTIFY_CUSTOMERS and process.customer_email)


def _perform(process: OrderProcess, name: str, *, user: Any, note: str, stage: Stage | None,
             notify_customer: bool | None, customer_message: str) -> TransitionResult:
    transition = _declared_transition(process, name)
    _check(process, transition, user)
    if stage is not None and stage.state != transition.target:
        raise TransitionNotAllowed(_("Stage “%(stage)s” does not hold “%(state)s” orders.")
                                   % {"stage": stage.name,
                                      "state": process.workflow.get_state(
                                          str(transition.target)).label})
    source = process.state
    getattr(process, name)()  # django-fsm moves the state and runs the transition's body
    return _finish_move(process, transition=name, source=source, user=user, note=note,
                        stage=stage, notify_customer=notify_customer,
                        customer_message=customer_message)


def transition_order(order: OrderLike, name: str, *, user: Any = None, note: str = "",
                     notify_customer: bool | None = None, customer_message: str = "",
                     expected_version: int | None = None, stage: Stage | None = None
                     ) -> TransitionResult:
    """Move an order with the workflow transition ``name``.

    ``user`` None means the system (imports, scripts): permissions are not checked.
    ``notify_customer`` None follows the target state's default. ``expected_version`` makes
    the call fail with ``OrderConflict`` if the order changed since the caller read it.
    """
    with locked_process(order, expected_version=expected_version) as process:
        return _perform(process, name, user=user, note=note, stage=stage,
                        notify_customer=notify_customer, customer_message=customer_message)


def move_to_stage(order: OrderLike, stage: Stage, *, user: Any = None, note: str = "",
                  expected_version: int | None = None, notify_customer: bool | None = None
                  ) -> TransitionResult:
    """Move an order to a stage of its funnel (a Kanban drop), transitioning if needed.
    ``notify_customer`` None follows the target state's default."""
    with locked_process(order, expected_version=expected_version) as process:
        if stage.funnel_id != process.funnel_id:
            raise TransitionNotAllowed(_("Stage “%(stage)s” belongs to another funnel.")
                                       % {"stage": stage.name})
        if stage.state == process.state:
            return _change_stage(process, stage, user=user, note=note)
        return _perform_to_state(process, stage.state, user=user, note=note, stage=stage,
                                 notify_customer=notify_customer)


@dataclass(frozen=True)
class StageMove:
    """A stage the order may be moved to now, and the transition that takes it there (None
    when the stage holds the order's current state: only the stage changes)."""

    stage: Stage
    option: TransitionOption | None = None

    @property
    def confirm(self) -> bool:
        """Whether the move asks first (the transition's ``confirm``: cancel, refund)."""
        return bool(self.option and self.option.confirm)

    @property
    def style(self) -> str:
        """The transition's style (``danger`` for destructive moves), else ``secondary``."""
        return self.option.style if self.option else "secondary"


def _stage_move(process: OrderProcess, stage: Stage, user: Any) -> StageMove | None:
    if stage.state == process.state:
        return StageMove(stage=stage)
    # The same candidate, in the same order, as move_to_stage would take.
    for candidate in transitions_to_state(process, stage.state):
        try:
            _check(process, candidate, user)
        except OrderWorkflowError:
            continue
        return StageMove(stage=stage, option=_option(candidate))
    return None


def stage_moves(process: OrderProcess, user: Any = None) -> list[StageMove]:
    """The stages of the order's funnel that ``move_to_stage`` would accept now for ``user``
    (the workflow's moves whose conditions hold and permissions are granted), in board order,
    without the stage the order is in: what "Move to…" offers."""
    if process.funnel_id is None:
        return []
    moves = []
    for stage in process.funnel.stages.all():
        if stage.pk == process.stage_id:
            continue
        found = _stage_move(process, stage, user)
        if found is not None:
            moves.append(found)
    return moves


def stage_move(process: OrderProcess, stage: Stage, user: Any = None) -> StageMove | None:
    """The move to one ``stage`` as :func:`stage_moves` describes it; None if refused."""
    if stage.funnel_id != process.funnel_id or stage.pk == process.stage_id:
        return None
    return _stage_move(process, stage, user)


def transitions_to_state(process: OrderProcess, target: str) -> list[Transition]:
    """The declared transitions leading from the order's current state to ``target``."""
    return [t for t in process.get_all_state_transitions()
            if t.target == target and t.source in {process.state, "*", "+"}]


def _perform_to_state(process: OrderProcess, target: str, *, user: Any, note: str,
                      stage: Stage | None, notify_customer: bool | None = None
                      ) -> TransitionResult:
    """The first transition to ``target`` whose conditions hold and ``user`` may make."""
    candidates = transitions_to_state(process, target)
    if not candidates:
        raise TransitionNotAllowed(
            _("Order %(number)s cannot go from “%(source)s” to “%(target)s”.")
            % {"number": process.order.number, "source": process.state_info.label,
               "target": process.workflow.get_state(target).label},
            order_number=process.order.number)
    refusal: OrderWorkflowError | None = None
    for candidate in candidates:
        try:
            _check(process, candidate, user)
        except OrderWorkflowError as error:
            refusal = refusal or error
            continue
        return _perform(process, candidate.name, user=user, note=note, stage=stage,
                        notify_customer=notify_customer, customer_message="")
    assert refusal is not None
    raise refusal


def transition_to_state(order: OrderLike, target: str, *, user: Any = None, note: str = "",
                        expected_version: int | None = None,
                        notify_customer: bool | None = None) -> TransitionResult | None:
    """Move an order to the state ``target`` by whichever declared transition leads there
    (imports, spreadsheets); None when it is already there. Refused like transition_order;
    ``notify_customer`` None follows the state's default."""
    with locked_process(order, expected_version=expected_version) as process:
        if process.state == target:
            return None
        return _perform_to_state(process, target, user=user, note=note, stage=None,
                                 notify_customer=notify_customer)


def _change_stage(process: OrderProcess, stage: Stage, *, user: Any, note: str
                  ) -> TransitionResult:
    source_stage = process.stage
    process.stage = stage
    process.version += 1
    process.state_changed_at = process.last_activity_at = timezone.now()  # time in stage
    process.save(update_fields=["stage", "version", "state_changed_at", "last_activity_at"])
    data = {"from_stage": source_stage.name if source_stage else "", "to_stage": stage.name}
    record(process.order_id, TimelineKind.STAGE, actor=user, note=note, data=data)
    order_process_changed.send_on_commit(sender=OrderProcess, process=process,
                                         order=process.order, kind=TimelineKind.STAGE,
                                         user=user, data=data)
    return TransitionResult(process=process, transition="", source=process.state,
                            target=process.state)


def follow_oscar_status(order: Any, new_status: str, *, user: Any = None
                        ) -> TransitionResult | None:
    """Bring the workflow state in line with a status set outside the app (Oscar's dashboard).

    The status change already happened, so the state machine is not consulted: the state
    follows, with its stage, stock effect and a timeline entry naming ``user`` (None: system).

    It runs inside Oscar's own status change, so a move without a stock effect costs one
    statement on PostgreSQL (the row locked, updated and its timeline entry written by one
    data-modifying ``WITH``, atomic without a transaction of its own) and three elsewhere, in
    the caller's transaction or a short one: the row locked and read, one ``UPDATE`` (the
    stage looked up inside it), the timeline entry. A move with a stock effect, or one taking
    the order out of (or back into) its customer's count, takes the full path.
    """
    pk = getattr(order, "pk", order)
    if connections[OrderProcess.objects.db].vendor == "postgresql":
        followed = _follow_in_one_statement(order, pk, new_status, user=user)
        if followed is not None:
            return followed
    # No savepoint of its own inside a caller's transaction: a failure here fails Oscar's
    # status change, which is what a savepoint would have let through half done.
    with transaction.atomic(savepoint=False):
        process = OrderProcess.objects.select_for_update().filter(order_id=pk).first()
        if process is None:
            return _follow_fully(order, new_status, user=user)
        target = process.workflow.state_for_oscar_status(new_status)
        if target == process.state:
            return None
        if stock_effect_for(process, target):
            return _follow_fully(order, new_status, user=user)
        source, now = process.state, timezone.now()
        stage = Stage.objects.filter(funnel_id=OuterRef("funnel_id"), state=target).order_by(
            "position", "pk").values("pk")[:1]
        OrderProcess.objects.filter(pk=process.pk).update(
            state=target, stage_id=Subquery(stage), version=F("version") + 1,
            state_changed_at=now, last_activity_at=now)
        record(process.order_id, TimelineKind.OSCAR_STATUS, actor=user, at=now,
               data={"transition": "", "from": source, "to": target})
        process.__dict__["state"] = target  # bypasses FSMField protection on purpose
        process.version += 1
        process.state_changed_at = process.last_activity_at = now
        process_changed(process)  # the customer's aggregates, by the difference
        order_state_changed.send_on_commit(sender=OrderProcess, process=process, order=order,
                                           transition="", source=source, target=target,
                                           user=user, note="")
        return TransitionResult(process=process, transition="", source=source, target=target)


def _follow_in_one_statement(order: Any, pk: int, new_status: str, *, user: Any
                             ) -> TransitionResult | None:
    """``follow_oscar_status``'s move without a stock effect as one PostgreSQL statement: the
    row locked, updated (its stage looked up inside) and its timeline entry written together,
    so no transaction of its own is needed. None when it matched no row (no process, the
    state already there, or a stock effect to apply): the caller takes the general path."""
    workflow = get_workflow()
    target = workflow.state_for_oscar_status(new_status)
    excluded = list(app_settings.CUSTOMER_EXCLUDED_STATES)
    if target in excluded:
        return None  # the order leaves the customer's count: the delta needs the transaction
    effect = workflow.get_stock_effects().get(target)
    # Neither a stock effect to apply (it applies from one stock status only) nor an order
    # joining the customer's count again: those take the general path.
    guard_params: list[Any] = [excluded] if excluded else []
    if effect in EFFECT_STEPS:
        guard_params.append(EFFECT_STEPS[effect][0])
    now = timezone.now()
    actor = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    using = OrderProcess.objects.db
    connection = connections[using]
    # Outside a transaction the statement commits alone, after Oscar's order UPDATE and before
    # its OrderStatusChange INSERT: that commit need not wait for its own WAL flush, the
    # INSERT's commit, next in set_status(), flushes both (see _follow_statement).
    sql, attnames = _follow_statement(using, bool(excluded), effect in EFFECT_STEPS,
                                      connection.get_autocommit())
    params = [pk, target, *guard_params, target, target, now, now,
              str(TimelineKind.OSCAR_STATUS), actor, now, target]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    process = OrderProcess.from_db(using, attnames, row[:len(attnames)])
    # No excluded state on either side: what the order contributes to its customer is
    # unchanged, so the directory needs nothing (post_init noted the contribution).
    source = row[len(attnames)]
    # In this statement's transaction (the caller's, if any) for what must share its commit
    # (the webhooks' deliveries), then after commit for the shop's receivers.
    order_state_changed.send_on_commit(sender=OrderProcess, process=process, order=order,
                                       transition="", source=source, target=target,
                                       user=user, note="")
    return TransitionResult(process=process, transition="", source=source, target=target)


@lru_cache(maxsize=32)
def _follow_statement(using: str, excluded: bool, stock_guard: bool, alone: bool
                      ) -> tuple[str, list[str]]:
    """The SQL of :func:`_follow_in_one_statement` (made once per shape: with the guard on
    excluded states, on the stock status, committing alone) and the process fields its row
    returns, in order, before the source state. Parameters: order id, target, [excluded
    states], [stock status], target, target, now, now, the entry's kind, actor id, time,
    target.

    ``alone``: the statement is its own transaction (autocommit, Oscar's status change), so
    it sets ``synchronous_commit`` off for that transaction only: its commit returns without
    waiting for the disk (a few milliseconds, most of what following cost Oscar's POST), and
    becomes durable with the next synchronous commit, which ``set_status()`` makes at once
    (its ``OrderStatusChange``) and which flushes the log up to itself. A crash in between
    loses the move together with that row, as a crash just before the statement would have:
    Oscar's status change is not atomic either. Inside a caller's transaction the setting
    would be that transaction's, so it is never used there."""
    quote = connections[using].ops.quote_name
    guard = (" AND NOT (state = ANY(%s))" if excluded else "") + (
        " AND stock_status <> %s" if stock_guard else "")
    fields = list(OrderProcess._meta.concrete_fields)
    columns = ", ".join(f"p.{quote(f.column)}" for f in fields)
    process_table = quote(OrderProcess._meta.db_table)
    sql = (
        f"WITH old AS (SELECT id, state FROM {process_table}"
        f" WHERE order_id = %s AND state <> %s{guard} FOR UPDATE),"
        f" moved AS (UPDATE {process_table} AS p SET state = %s,"
        f" stage_id = (SELECT s.id FROM {quote(Stage._meta.db_table)} AS s"
        f" WHERE s.funnel_id = p.funnel_id AND s.state = %s ORDER BY s.position, s.id LIMIT 1),"
        f" version = p.version + 1, state_changed_at = %s, last_activity_at = %s"
        f" FROM old WHERE p.id = old.id RETURNING {columns}, old.state AS ooe_source),"
        f" entry AS (INSERT INTO {quote(TimelineEntry._meta.db_table)}"
        f" (order_id, kind, actor_id, created_at, data, note)"
        f" SELECT order_id, %s::text, %s::bigint, %s::timestamptz,"
        f" jsonb_build_object('transition', '', 'from', ooe_source, 'to', %s::text), ''"
        f" FROM moved)"
        f" SELECT moved.*"
        + (", set_config('synchronous_commit', 'off', true)" if alone else "")
        + " FROM moved")
    return sql, [f.attname for f in fields]


def _follow_fully(order: Any, new_status: str, *, user: Any) -> TransitionResult | None:
    """``follow_oscar_status`` with everything a move may do (stock effects, a new process)."""
    with locked_process(order) as process:
        target = process.workflow.state_for_oscar_status(new_status)
        if target == process.state:
            return None
        source = process.state
        process.__dict__["state"] = target  # bypasses FSMField protection on purpose
        return _finish_move(process, transition="", source=source, user=user, note="",
                            stage=None, notify_customer=False, customer_message="",
                            mirror=False, timeline_kind=TimelineKind.OSCAR_STATUS)


@dataclass
class BulkOutcome:
    """Per-order result of a bulk move."""

    order_number: str
    ok: bool
    message: str = ""


def bulk_transition(orders: Iterable[Any], name: str, *, user: Any = None, note: str = ""
                    ) -> list[BulkOutcome]:
    """Apply ``name`` to each order in its own transaction; refusals are reported, not raised."""
    outcomes = []
    for order in orders:
        number = str(getattr(order, "number", order))
        try:
            with transaction.atomic():
                transition_order(order, name, user=user, note=note)
        except OrderWorkflowError as error:
            outcomes.append(BulkOutcome(error.order_number or number, False, error.message))
        else:
            outcomes.append(BulkOutcome(number, True))
    return outcomes


@dataclass
class BatchTransition:
    """What :func:`transition_orders` did: the moves made and the refusals, order by order."""

    moved: list[TransitionResult] = field(default_factory=list)
    refused: list[OrderWorkflowError] = field(default_factory=list)


def transition_orders(process_pks: Iterable[int], name: str, *, user: Any = None,
                      note: str = "", notify_customer: bool | None = None,
                      customer_message: str = "") -> BatchTransition:
    """Move a batch of orders with the transition ``name`` (bulk actions on the worker).

    The same rules as :func:`transition_order`, order by order: each row locked, the state
    machine, its conditions and the user's permission checked, refusals reported one by
    one. What follows the moves is written for the batch at once, in one transaction: the
    rows in one ``UPDATE`` per target stage, Oscar's status mirrored set-based, the timeline
    entries in one insert, the signals and emails after commit. Orders whose move has a
    stock effect (or a target decided at run time) take the one-order path, each in its own
    transaction; so does the whole batch if a transition's body refuses an order.
    """
    pks = list(process_pks)
    outcome = BatchTransition()
    alone: list[int] = []
    try:
        with transaction.atomic():
            moves = _start_moves(pks, name, user, outcome, alone)
            outcome.moved = _finish_moves(moves, transition=name, user=user, note=note,
                                          notify_customer=notify_customer,
                                          customer_message=customer_message)
    except OrderWorkflowError:  # a transition's body refused: every order on its own
        outcome, alone = BatchTransition(), pks
    for pk in alone:
        try:
            outcome.moved.append(transition_order(
                OrderProcess.objects.filter(pk=pk).values_list("order_id", flat=True).get(),
                name, user=user, note=note, notify_customer=notify_customer,
                customer_message=customer_message))
        except OrderWorkflowError as error:
            outcome.refused.append(error)
    return outcome


def _start_moves(pks: list[int], name: str, user: Any, outcome: BatchTransition,
                 alone: list[int]) -> list[_Move]:
    """Lock the batch, check each order's move and make it in memory (django-fsm runs the
    transition's body); refusals go to ``outcome``, orders needing the full path to
    ``alone``. The (process, source state) pairs moved."""
    # Lock first (in key order, as every writer locks), then read: see locked_process.
    locked = list(OrderProcess.objects.select_for_update().filter(pk__in=pks).order_by("pk")
                  .values_list("pk", flat=True))
    workflow = get_workflow()
    moves = []
    for process in OrderProcess.objects.filter(pk__in=locked).order_by("pk").select_related(
            "order", "funnel", "stage"):
        try:
            transition = _declared_transition(process, name)
            _check(process, transition, user)
        except OrderWorkflowError as error:
            outcome.refused.append(error)
            continue
        target = transition.target
        if not isinstance(target, str) or not workflow.has_state(target) or stock_effect_for(
                process, target):
            alone.append(process.pk)
            continue
        source, before = process.state, _field_values(process)
        getattr(process, name)()
        after = _field_values(process)
        moves.append(_Move(process, source, [column for column, value in after.items()
                                             if value != before[column]
                                             and column not in _MOVE_FIELDS]))
    return moves


@dataclass
class _Move:
    process: OrderProcess
    source: str
    #: Fields the transition's body changed, besides the state.
    changed: list[str]


def _field_values(process: OrderProcess) -> dict[str, Any]:
    return {f.attname: getattr(process, f.attname) for f in process._meta.concrete_fields}


def _save_body_changes(moves: list[_Move]) -> None:
    """Save the fields transitions' bodies changed (rare: the default workflow's change
    nothing), one ``bulk_update`` per set of fields."""
    by_fields: dict[tuple[str, ...], list[OrderProcess]] = {}
    for move in moves:
        if move.changed:
            by_fields.setdefault(tuple(sorted(move.changed)), []).append(move.process)
    for fields, processes in by_fields.items():
        OrderProcess.objects.bulk_update(processes, fields)


#: What the transition service itself writes on a process; any other field a transition's
#: body changes is saved too (``_finish_moves``).
_MOVE_FIELDS = ("state", "stage_id", "state_changed_at", "last_activity_at", "version")


def _finish_moves(moves: list[_Move], *, transition: str, user: Any,
                  note: str, notify_customer: bool | None, customer_message: str
                  ) -> list[TransitionResult]:
    """``_finish_move`` for a batch of moves without stock effects, set-based."""
    if not moves:
        return []
    now = timezone.now()
    stages: dict[tuple[int, str], Stage | None] = {}
    groups: dict[tuple[str, int | None], list[OrderProcess]] = {}
    for move in moves:
        process, target = move.process, move.process.state
        if (process.funnel_id, target) not in stages:
            stages[process.funnel_id, target] = process.funnel.stage_for_state(target)
        process.stage = stages[process.funnel_id, target]
        process.state_changed_at = process.last_activity_at = now
        process.version += 1
        groups.setdefault((target, process.stage_id), []).append(process)
    processes = [move.process for move in moves]
    for move in moves:
        pre_save.send(sender=OrderProcess, instance=move.process, raw=False,
                      using=move.process._state.db,
                      update_fields=frozenset((*_MOVE_FIELDS, *move.changed)))
    for (target, stage_id), group in groups.items():
        OrderProcess.objects.filter(pk__in=[process.pk for process in group]).update(
            state=target, stage_id=stage_id, state_changed_at=now, last_activity_at=now,
            version=F("version") + 1)
    _save_body_changes(moves)
    for move in moves:
        # The fields written, as save(update_fields=…) names them: receivers that follow
        # payments (installments, renewals, tag rules) know a move changed none.
        written = frozenset(("state", "stage", "state_changed_at", "last_activity_at",
                             "version", *move.changed))
        post_save.send(sender=OrderProcess, instance=move.process, created=False, raw=False,
                       using=move.process._state.db, update_fields=written)
    for target, _stage in groups:
        mirror_oscar_statuses([process.order for process in processes
                               if process.state == target], target)
    actor = user if getattr(user, "is_authenticated", False) else None
    TimelineEntry.objects.bulk_create(
        TimelineEntry(order_id=move.process.order_id, kind=TimelineKind.STATE, actor=actor,
                      note=note or "", created_at=now,
                      data={"transition": transition, "from": move.source,
                            "to": move.process.state})
        for move in moves)
    results = [TransitionResult(process=move.process, transition=transition,
                                source=move.source, target=move.process.state,
                                notified=will_notify(move.process, move.process.state,
                                                     notify_customer))
               for move in moves]

    # One in-transaction send for the batch (the webhooks record its deliveries in one
    # INSERT), then the per-order signal after commit.
    order_state_changed.send_many_on_commit(OrderProcess, [
        {"process": result.process, "order": result.process.order, "transition": transition,
         "source": result.source, "target": result.target, "user": user, "note": note}
        for result in results])
    emails = [(result.process.order_id, result.target) for result in results
              if result.notified]
    if emails:
        transaction.on_commit(lambda: [send_state_email_task.enqueue(order_id, target,
                                                                     customer_message)
                                       for order_id, target in emails])
    return results
