"""The building blocks of a workflow: states, transitions, conditions.

A workflow class is mixed into :class:`oscar_orders_ext.models.OrderProcess`, so its
transitions are ordinary django-fsm transitions on the ``state`` field and its conditions
receive the ``OrderProcess`` instance. Nothing here imports the app's models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import django_fsm
from django.utils.functional import Promise
from django_fsm import Transition

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import StockEffect

StateCode = str
Condition = Callable[[Any], bool]


@dataclass(frozen=True)
class State:
    """One workflow state: its code (stored in the database), label, colour and behaviour."""

    code: StateCode
    label: str | Promise
    colour: str = "#6c757d"
    #: Value written into Oscar's ``Order.status``; defaults to the English label.
    oscar_status: str | None = None
    #: No transition leaves a final state except explicit re-openings.
    final: bool = False
    #: Email the customer when an order enters this state (unless the operator says otherwise).
    notify_customer: bool = False
    description: str | Promise = ""

    def get_oscar_status(self) -> str:
        """The status string mirrored into Oscar's ``Order.status``."""
        if self.oscar_status:
            return self.oscar_status
        return self.code.replace("_", " ").capitalize()


def condition(message: str | Promise) -> Callable[[Condition], Condition]:
    """Attach the message shown to operators when this transition condition fails."""

    def decorate(func: Condition) -> Condition:
        func.failure_message = message  # type: ignore[attr-defined]
        return func

    return decorate


def transition(
    *,
    source: StateCode | Sequence[StateCode],
    target: StateCode,
    label: str | Promise | None = None,
    permission: str | Callable[[Any, Any], bool] | None = None,
    conditions: Iterable[Condition] = (),
    style: str = "secondary",
    **custom: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a django-fsm transition of the order's ``state`` field.

    ``label`` and ``style`` (a Bootstrap colour name) tell the front ends how to draw the
    button; any other keyword lands in django-fsm's ``custom`` dictionary.
    """
    custom.update(label=label, style=style)
    return django_fsm.transition(
        field="state",
        source=list(source) if not isinstance(source, str) else source,
        target=target,
        conditions=list(conditions),
        permission=permission,
        custom=custom,
    )


class Workflow:
    """Base class of every workflow: subclass it, list ``states`` and declare transitions.

    Point ``OSCAR_ORDERS_EXT_WORKFLOW`` at the subclass. Class attributes only: the class is
    mixed into the ``OrderProcess`` model, whose instances are ``self`` in transition bodies
    and the argument of conditions.
    """

    states: ClassVar[Sequence[State]] = ()
    initial_state: ClassVar[StateCode] = ""
    #: Target state -> stock effect; each effect still applies at most once per order.
    stock_effects: ClassVar[Mapping[StateCode, str]] = {}
    #: Lower-cased Oscar status -> state code, for orders placed before the app was installed.
    oscar_status_aliases: ClassVar[Mapping[str, StateCode]] = {}
    #: States in which an order's lines may only be edited with the
    #: ``edit_shipped_order_lines`` permission; None: every final state and every state whose
    #: stock effect consumes or restocks goods (the goods have left the warehouse).
    lines_locked_states: ClassVar[Sequence[StateCode] | None] = None
    #: Name of the transition that cancels an order: the table's row "Cancel" button and the
    #: bulk "Cancel" action use it. None: the workflow has no cancel move and neither is shown.
    cancel_transition: ClassVar[str | None] = None

    @classmethod
    def get_states(cls) -> list[State]:
        """The workflow's states in display order."""
        return list(cls.states)

    @classmethod
    def get_state(cls, code: StateCode) -> State:
        """The state with this code; an unknown code (left by an older workflow) still renders."""
        for state in cls.states:
            if state.code == code:
                return state
        return State(code=code, label=code)

    @classmethod
    def has_state(cls, code: StateCode) -> bool:
        """Whether the workflow declares this state code."""
        return any(state.code == code for state in cls.states)

    @classmethod
    def state_choices(cls) -> list[tuple[str, str | Promise]]:
        """``(code, label)`` pairs for form fields and filters."""
        return [(state.code, state.label) for state in cls.states]

    @classmethod
    def get_stock_effects(cls) -> Mapping[StateCode, str]:
        """Stock effects per target state: the setting when given, else the workflow's."""
        configured = app_settings.STOCK_EFFECTS
        return cls.stock_effects if configured is None else configured

    @classmethod
    def lines_locked(cls, code: StateCode) -> bool:
        """Whether editing an order's lines in this state needs the shipped-orders permission."""
        if cls.lines_locked_states is not None:
            return code in cls.lines_locked_states
        effect = cls.get_stock_effects().get(code)
        return cls.get_state(code).final or effect in {StockEffect.CONSUME, StockEffect.RESTOCK}

    @classmethod
    def declared_transition(cls, name: str, state: StateCode) -> Transition | None:
        """The move ``name`` out of ``state``, if the workflow declares one."""
        fsm = getattr(getattr(cls, name, None), "_django_fsm", None)
        return fsm.get_transition(state) if fsm is not None else None

    @classmethod
    def cancel_transition_from(cls, state: StateCode) -> str | None:
        """Name of the workflow's cancel move when it leaves ``state``, else None."""
        name = cls.cancel_transition
        return name if name and cls.declared_transition(name, state) is not None else None

    @classmethod
    def may_ever_run(cls, name: str, user: Any) -> bool:
        """Whether ``user`` holds the permission of move ``name`` out of some state (a
        permission given as a function needs the order: it counts as held here, and the
        transition service decides on the order)."""
        fsm = getattr(getattr(cls, name, None), "_django_fsm", None)
        if fsm is None:
            return False
        return any(move.permission is None or callable(move.permission)
                   or user.has_perm(move.permission) for move in fsm.transitions.values())

    @classmethod
    def state_for_oscar_status(cls, status: str | None) -> StateCode:
        """The state that best describes an order carrying this Oscar status."""
        if status:
            if status in app_settings.STATUS_MAP:
                return app_settings.STATUS_MAP[status]
            folded = status.strip().casefold()
            for state in cls.states:
                if folded in {state.get_oscar_status().casefold(), state.code.casefold()}:
                    return state.code
            if folded in cls.oscar_status_aliases:
                return cls.oscar_status_aliases[folded]
        return cls.initial_state


__all__ = ["State", "Workflow", "condition", "transition"]
