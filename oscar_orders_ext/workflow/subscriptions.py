"""The subscription's state machine, declared like the order workflow: django-fsm transitions
with labels, permissions and conditions (conditions receive the ``Subscription``).

    scheduled ─► active ◄─► past_due
        ╲          │            │
         └──────► inactive ◄────┘   (cancelled, ended, or dunning exhausted)

Nothing here imports the app's models.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from oscar_orders_ext import permissions

from .base import State, condition, transition

ACTIVE = "active"
SCHEDULED = "scheduled"
PAST_DUE = "past_due"
INACTIVE = "inactive"

MANAGE = permissions.MANAGE_SUBSCRIPTIONS


@condition(_("A renewal of this subscription is still unpaid."))
def renewals_settled(subscription: Any) -> bool:
    """No renewal of the subscription is waiting for its payment."""
    return not subscription.renewals.filter(status="pending").exists()


class SubscriptionWorkflow:
    """Scheduled (not started yet), active, past due (a renewal is unpaid), inactive."""

    states: ClassVar[tuple[State, ...]] = (
        State(ACTIVE, _("Active"), "#198754"),
        State(SCHEDULED, _("Scheduled"), "#0d6efd",
              description=_("Not started yet: a trial or a later start.")),
        State(PAST_DUE, _("Past due"), "#fd7e14", description=_("A payment failed.")),
        State(INACTIVE, _("Inactive"), "#6c757d", final=True,
              description=_("Cancelled or ended.")),
    )
    initial_state: ClassVar[str] = ACTIVE

    @classmethod
    def get_state(cls, code: str) -> State:
        """The state with this code (an unknown code still renders)."""
        return next((state for state in cls.states if state.code == code),
                    State(code=code, label=code))

    @transition(source=SCHEDULED, target=ACTIVE, label=_("Start"), permission=MANAGE)
    def activate(self) -> None:
        """The first billed period begins (end of the trial, or the start date)."""

    @transition(source=ACTIVE, target=PAST_DUE, label=_("Mark past due"), style="warning",
                permission=MANAGE)
    def fall_past_due(self) -> None:
        """A renewal was not paid in time."""

    @transition(source=PAST_DUE, target=ACTIVE, label=_("Mark active"), style="success",
                permission=MANAGE, conditions=[renewals_settled])
    def recover(self) -> None:
        """The late renewal was paid."""

    @transition(source=[ACTIVE, SCHEDULED, PAST_DUE], target=INACTIVE, label=_("Cancel now"),
                style="danger", permission=MANAGE, confirm=True)
    def cancel(self) -> None:
        """Stop the subscription now: no further renewal."""

    @transition(source=[ACTIVE, SCHEDULED, PAST_DUE], target=INACTIVE, label=_("End"),
                permission=MANAGE)
    def end(self) -> None:
        """The last period is over, or the last payment reminder went unanswered."""


__all__ = ["ACTIVE", "INACTIVE", "PAST_DUE", "SCHEDULED", "SubscriptionWorkflow"]
