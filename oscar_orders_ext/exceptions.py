"""Errors the services raise; each carries a message an operator can read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class OrderWorkflowError(Exception):
    """Base class: the requested change was refused and nothing was written."""

    default_message = _("The change was refused.")

    def __init__(self, message: str | None = None, *, order_number: str | None = None) -> None:
        self.message = str(message or self.default_message)
        self.order_number = order_number
        super().__init__(self.message)


class TransitionNotAllowed(OrderWorkflowError):
    """The state machine refuses this move from the order's current state."""

    default_message = _("This move is not allowed from the order's current state.")


class ConditionNotMet(TransitionNotAllowed):
    """The move exists but one of its conditions is not met."""


class TransitionPermissionDenied(OrderWorkflowError):
    """The user lacks the permission the transition requires."""

    default_message = _("You do not have permission to make this change.")


class OrderConflict(OrderWorkflowError):
    """Someone else changed the order since the user loaded it."""

    default_message = _("Someone else changed this order in the meantime. "
                        "Reload it and try again.")


class StockEffectError(OrderWorkflowError):
    """Stock could not be updated as the transition requires."""


class FunnelError(OrderWorkflowError):
    """A change to funnels or stages was refused (e.g. orders would be left without a stage)."""

    default_message = _("This change to the funnels was refused.")


class ManualOrderError(OrderWorkflowError):
    """A manual order (or a change to its cart) was refused; nothing was saved."""

    default_message = _("The order could not be saved.")


class LineEditError(OrderWorkflowError):
    """A change to the lines of a placed order was refused; nothing was saved."""

    default_message = _("The lines of this order could not be changed.")


class CustomerExists(OrderWorkflowError):
    """An account with this email exists already: the directory links to that customer."""

    default_message = _("A customer with this email exists already.")

    def __init__(self, message: str | None = None, *, customer: object = None) -> None:
        super().__init__(message)
        self.customer = customer
class ConversationLinkError(OrderWorkflowError):
    """A conversation link was tampered with, or is not signed by this shop."""

    default_message = _("This link is not valid. Open the conversation from your account or "
                        "from the latest email about your order.")


class ConversationLinkExpired(ConversationLinkError):
    """A conversation link older than ``OSCAR_ORDERS_EXT_CHAT_LINK_MAX_AGE_DAYS``."""

    default_message = _("This link has expired. Open the conversation from your account or "
                        "from the latest email about your order.")


class QuoteError(OrderWorkflowError):
    """A price proposal cannot be sent, withdrawn, accepted or rejected as asked."""

    default_message = _("This price proposal is no longer open.")
class WebhookError(OrderWorkflowError):
    """A webhook endpoint (or a change to it) was refused; nothing was saved."""

    default_message = _("The webhook endpoint was refused.")
