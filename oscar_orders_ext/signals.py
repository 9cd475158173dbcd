"""Signals the app sends, always after the database transaction commits.

``order_state_changed``: sender is the OrderProcess class; kwargs ``process``, ``order``,
``transition`` (name), ``source``, ``target`` (state codes), ``user`` (or None), ``note``.

``order_process_changed``: any other change made through the services; kwargs ``process``,
``order``, ``kind`` (a ``TimelineKind`` value), ``user``, ``data``.
"""

from django.dispatch import Signal

order_state_changed = Signal()
order_process_changed = Signal()
