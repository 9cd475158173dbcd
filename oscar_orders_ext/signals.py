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
"""

from django.dispatch import Signal

order_state_changed = Signal()
order_process_changed = Signal()
orders_bulk_changed = Signal()
quote_accepted = Signal()
quote_rejected = Signal()
quote_sent = Signal()
quote_withdrawn = Signal()
order_message_posted = Signal()
orders_imported = Signal()
