"""A print shop's workflow, written the way a shop's developer would: its own states,
transitions, conditions and permissions, replacing the default workflow entirely."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.constants import StockEffect
from oscar_orders_ext.workflow import State, Workflow, condition, transition

BRIEFED, PROOFING, APPROVED, PRINTING, DISPATCHED, SCRAPPED = (
    "briefed", "proofing", "approved", "printing", "dispatched", "scrapped")


@condition(_("Dispatch needs a shipping address."))
def has_shipping_address(process: Any) -> bool:
    return process.order.shipping_address_id is not None


def is_print_operator(process: Any, user: Any) -> bool:
    """Only members of the "Printers" group may start the press."""
    return user.groups.filter(name="Printers").exists()


class PrintShopWorkflow(Workflow):
    states = (
        State(BRIEFED, _("Briefed"), "#0d6efd", oscar_status="Pending"),
        State(PROOFING, _("Proof sent"), "#6f42c1"),
        State(APPROVED, _("Proof approved"), "#20c997"),
        State(PRINTING, _("On the press"), "#fd7e14"),
        State(DISPATCHED, _("Dispatched"), "#198754", notify_customer=True),
        State(SCRAPPED, _("Scrapped"), "#6c757d", final=True, oscar_status="Cancelled"),
    )
    initial_state = BRIEFED
    stock_effects = {DISPATCHED: StockEffect.CONSUME, SCRAPPED: StockEffect.RELEASE}
    oscar_status_aliases = {"being processed": PRINTING, "complete": DISPATCHED}

    @transition(source=BRIEFED, target=PROOFING, label=_("Send proof"),
                permission="oscar_orders_ext.change_order_state")
    def send_proof(self) -> None:
        """Email the proof to the customer."""

    @transition(source=PROOFING, target=APPROVED, label=_("Customer approved"))
    def approve(self) -> None:
        """The customer accepted the proof."""

    @transition(source=APPROVED, target=PRINTING, label=_("Print"), permission=is_print_operator)
    def print(self) -> None:
        """Start the press."""

    @transition(source=PRINTING, target=DISPATCHED, label=_("Dispatch"),
                conditions=[has_shipping_address])
    def dispatch(self) -> None:
        """Send the prints."""

    @transition(source=[BRIEFED, PROOFING, APPROVED], target=SCRAPPED, label=_("Scrap"))
    def scrap(self) -> None:
        """Abandon the job."""
