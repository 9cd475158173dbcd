"""The default order workflow, modelled on the lifecycles merchants know from other platforms.

    new ─► processing ─► shipped ─► completed
     │  ╲       │  ╲         ╲          ╲
     │   awaiting_payment, on_hold,      returned ─► refunded
     │   awaiting_customer (quotes)
     └─► cancelled / rejected / error ─► (reopen) new
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext import permissions
from oscar_orders_ext.constants import PaymentStatus, StockEffect

from .base import State, Workflow, condition, transition

NEW = "new"
PROCESSING = "processing"
AWAITING_PAYMENT = "awaiting_payment"
ON_HOLD = "on_hold"
AWAITING_CUSTOMER = "awaiting_customer"
SHIPPED = "shipped"
COMPLETED = "completed"
CANCELLED = "cancelled"
REJECTED = "rejected"
RETURNED = "returned"
REFUNDED = "refunded"
ERROR = "error"

OPEN_STATES = [NEW, PROCESSING, AWAITING_PAYMENT, ON_HOLD, AWAITING_CUSTOMER]

CHANGE_STATE = permissions.CHANGE_STATE
CANCEL = permissions.CANCEL
REFUND = permissions.REFUND
REOPEN = permissions.REOPEN


@condition(_("The order has no lines to ship."))
def has_lines(process: Any) -> bool:
    """The order contains at least one line."""
    return process.order.lines.exists()


@condition(_("Record a shipment with a tracking code before shipping the order."))
def has_tracking_code(process: Any) -> bool:
    """A tracking code was recorded, when OSCAR_ORDERS_EXT_REQUIRE_TRACKING_TO_SHIP asks for one."""
    if not app_settings.REQUIRE_TRACKING_TO_SHIP:
        return True
    # Through Oscar's ShippingEvent to our Shipment: the workflow must not import our models.
    return process.order.shipping_events.filter(shipment__tracking_code__gt="").exists()


@condition(_("Only an order that was paid can be refunded."))
def has_been_paid(process: Any) -> bool:
    """Money was received for the order."""
    return process.payment_status in {PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED}


class DefaultWorkflow(Workflow):
    """Inbox → preparation → shipping → completion, with the usual detours and endings."""

    states = (
        State(NEW, _("New"), "#0d6efd", oscar_status="Pending",
              description=_("Inbox: placed and not yet looked at.")),
        State(PROCESSING, _("In preparation"), "#6f42c1", oscar_status="Being processed"),
        State(AWAITING_PAYMENT, _("Awaiting payment"), "#fd7e14", oscar_status="Awaiting payment"),
        State(ON_HOLD, _("On hold"), "#ffc107", oscar_status="On hold"),
        State(AWAITING_CUSTOMER, _("Awaiting customer response"), "#20c997",
              oscar_status="Awaiting customer"),
        State(SHIPPED, _("Shipped"), "#0dcaf0", oscar_status="Shipped", notify_customer=True),
        State(COMPLETED, _("Completed"), "#198754", oscar_status="Complete", final=True),
        State(CANCELLED, _("Cancelled"), "#6c757d", oscar_status="Cancelled", final=True,
              notify_customer=True),
        State(REJECTED, _("Rejected"), "#343a40", oscar_status="Rejected", final=True,
              notify_customer=True),
        State(RETURNED, _("Returned"), "#d63384", oscar_status="Returned"),
        State(REFUNDED, _("Refunded"), "#adb5bd", oscar_status="Refunded", final=True,
              notify_customer=True),
        State(ERROR, _("Error"), "#dc3545", oscar_status="Error"),
    )
    initial_state = NEW
    stock_effects = {
        SHIPPED: StockEffect.CONSUME,
        COMPLETED: StockEffect.CONSUME,  # orders collected in store skip "shipped"
        CANCELLED: StockEffect.RELEASE,
        REJECTED: StockEffect.RELEASE,
        RETURNED: StockEffect.RESTOCK,
        NEW: StockEffect.ALLOCATE,  # re-opening a cancelled order reserves its goods again
    }
    # Once goods have left (or the order is closed), lines change only with a permission.
    lines_locked_states = (SHIPPED, COMPLETED, RETURNED, REFUNDED, CANCELLED, REJECTED)
    cancel_transition = "cancel"
    oscar_status_aliases = {
        "pending": NEW,
        "new": NEW,
        "open": NEW,
        "being processed": PROCESSING,
        "processing": PROCESSING,
        "in progress": PROCESSING,
        "pending payment": AWAITING_PAYMENT,
        "on-hold": ON_HOLD,
        "on hold": ON_HOLD,
        "dispatched": SHIPPED,
        "sent": SHIPPED,
        "fulfilled": SHIPPED,
        "complete": COMPLETED,
        "completed": COMPLETED,
        "canceled": CANCELLED,
        "cancelled": CANCELLED,
        "declined": REJECTED,
        "failed": ERROR,
    }

    @transition(source=[NEW, AWAITING_PAYMENT, ON_HOLD, AWAITING_CUSTOMER, ERROR],
                target=PROCESSING, label=_("Confirm"), style="primary", permission=CHANGE_STATE)
    def confirm(self) -> None:
        """Accept the order and start preparing it."""

    @transition(source=[NEW, PROCESSING, ON_HOLD], target=AWAITING_PAYMENT,
                label=_("Await payment"), permission=CHANGE_STATE)
    def request_payment(self) -> None:
        """Wait for the customer's payment before going on."""

    @transition(source=[NEW, PROCESSING, AWAITING_PAYMENT, AWAITING_CUSTOMER], target=ON_HOLD,
                label=_("Put on hold"), style="warning", permission=CHANGE_STATE)
    def hold(self) -> None:
        """Suspend the order."""

    @transition(source=[NEW, PROCESSING, ON_HOLD], target=AWAITING_CUSTOMER,
                label=_("Ask the customer"), permission=CHANGE_STATE)
    def await_customer(self) -> None:
        """Wait for the customer to answer (a quote, a question)."""

    @transition(source=[NEW, PROCESSING], target=SHIPPED, label=_("Ship"), style="info",
                permission=CHANGE_STATE, conditions=[has_lines, has_tracking_code])
    def ship(self) -> None:
        """Hand the goods to the carrier."""

    @transition(source=[PROCESSING, SHIPPED], target=COMPLETED, label=_("Complete"),
                style="success", permission=CHANGE_STATE, conditions=[has_lines])
    def complete(self) -> None:
        """The customer has the goods: nothing is left to do."""

    @transition(source=[*OPEN_STATES, ERROR], target=CANCELLED, label=_("Cancel"),
                style="danger", permission=CANCEL, confirm=True)
    def cancel(self) -> None:
        """Cancel the order and free its stock."""

    @transition(source=[NEW, AWAITING_PAYMENT, AWAITING_CUSTOMER, ON_HOLD], target=REJECTED,
                label=_("Reject"), style="danger", permission=CANCEL, confirm=True)
    def reject(self) -> None:
        """Decline the order (or the customer declined the quote)."""

    @transition(source=[SHIPPED, COMPLETED], target=RETURNED, label=_("Mark returned"),
                permission=CHANGE_STATE)
    def mark_returned(self) -> None:
        """The goods came back; they go back into stock."""

    @transition(source=[SHIPPED, COMPLETED, RETURNED, CANCELLED, REJECTED], target=REFUNDED,
                label=_("Refund"), style="danger", permission=REFUND, conditions=[has_been_paid],
                confirm=True)
    def refund(self) -> None:
        """Give the money back in full."""
        self.payment_status = PaymentStatus.REFUNDED

    @transition(source=OPEN_STATES, target=ERROR, label=_("Flag an error"), style="danger",
                permission=CHANGE_STATE)
    def flag_error(self) -> None:
        """Something went wrong (payment failure, address problem) and needs attention."""

    @transition(source=[CANCELLED, REJECTED], target=NEW, label=_("Reopen"), permission=REOPEN)
    def reopen(self) -> None:
        """Bring a cancelled or rejected order back to the inbox."""
