"""Signals the app sends, always after the database transaction commits.

``order_state_changed``: sender is the OrderProcess class; kwargs ``process``, ``order``,
``transition`` (name), ``source``, ``target`` (state codes), ``user`` (or None), ``note``.

``order_process_changed``: any other change made through the services; kwargs ``process``,
``order``, ``kind`` (a ``TimelineKind`` value), ``user``, ``data``.

``orders_bulk_changed``: a set-based bulk action (tags, operator, payment status) changed a
batch of orders at once; sender is the OrderProcess class; kwargs ``kind`` (a ``TimelineKind``
value), ``order_ids``, ``user``, ``changes`` (order id to the timeline data). Such a batch sends
``order_process_changed`` per order only while a webhook endpoint is active.

``quote_accepted`` / ``quote_rejected``: the customer decided on a price proposal; sender is
the Quote class; kwargs ``quote``, ``order``, ``user`` (the customer, or None for a guest).

``quote_sent`` / ``quote_withdrawn``: the shop sent or took back a price proposal; sender is the
Quote class; kwargs ``quote``, ``order``, ``user`` (the staff user).

``order_message_posted``: a message of the order's conversation, either side; sender is the
OrderMessage class; kwargs ``message``, ``order_id``.

``orders_imported``: an import created orders in bulk (no ``post_save`` for them); sender is
None; kwargs ``order_ids`` (a sequence of Oscar order ids: an ``array`` for imports, where a
million ids as a list would take 40 MB), ``user``.

Each of them (but ``orders_bulk_changed``) is a :class:`CommitSignal`: beside the signal sent
after commit, its ``in_transaction`` twin is sent at once, inside the transaction that makes
the change, with ``items``: the list of the keyword arguments the signal will be sent with
(one per order; a batch of moves or of bulk edits is one ``in_transaction`` send). A receiver
that must write in the same commit (the webhooks' deliveries) connects there: what it writes
is rolled back with the change, and committed with it.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal


class CommitSignal(Signal):
    """A signal sent once the transaction commits, with an ``in_transaction`` twin sent
    inside it (``sender``, ``items``: the keyword arguments of each send to come)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_transaction = Signal()

    def send_on_commit(self, sender: Any, **named: Any) -> None:
        """Tell ``in_transaction`` receivers now, and send the signal after commit."""
        self.send_many_on_commit(sender, [named])

    def send_many_on_commit(self, sender: Any, items: list[dict[str, Any]]) -> None:
        """One ``in_transaction`` send for every item now, then the signal once per item after
        commit (a batch's moves or edits)."""
        if not items:
            return
        self.in_transaction.send(sender=sender, items=items)
        transaction.on_commit(lambda: [self.send(sender=sender, **named) for named in items])


order_state_changed = CommitSignal()
order_process_changed = CommitSignal()
orders_bulk_changed = Signal()
quote_accepted = CommitSignal()
quote_rejected = CommitSignal()
quote_sent = CommitSignal()
quote_withdrawn = CommitSignal()
order_message_posted = CommitSignal()
orders_imported = CommitSignal()
