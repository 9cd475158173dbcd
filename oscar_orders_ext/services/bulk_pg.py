"""The set-based bulk actions in PostgreSQL: per batch, one statement locks the rows (key
order, as every writer locks), one statement changes them and writes their timeline entries
(``INSERT … SELECT`` from the changed rows), so no per-order object is built in Python and
the ids travel as one array parameter. ``services/bulk.py`` uses these on PostgreSQL and its
ORM path elsewhere; both write the same rows.

Tag changes write only the tag links: the process row (its version, its last activity) is
left alone, so a batch of tags rewrites none of the wide, heavily indexed rows and fires none
of their triggers (docs/architecture.md, "Bulk actions", says what that means for forms).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection

from oscar_orders_ext.models import OrderProcess, TimelineEntry

PROCESS = OrderProcess._meta.db_table
LINKS = OrderProcess.tags.through._meta.db_table
TIMELINE = TimelineEntry._meta.db_table
#: Names, for one ``UPDATE``, the column it changes (the payment status, the operator): the
#: tally triggers then skip the tallies it cannot move (migration 0024).
UNKEYED = "ooe.unkeyed_update"

#: The timeline rows of a batch, from the rows a data-modifying CTE ``changed`` returns.
_TIMELINE = f"""
    INSERT INTO {TIMELINE} (order_id, kind, actor_id, created_at, data, note)
    SELECT changed.order_id, %(kind)s, %(actor)s, %(now)s, {{data}}, '' FROM changed
    RETURNING order_id, data ->> 'from'"""


def lock(pks: list[int]) -> int:
    """Lock the batch's process rows (``SELECT … FOR UPDATE`` in key order); how many exist.
    The change then runs as a statement of its own, whose snapshot sees everything committed
    by the writers this one waited for."""
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT count(*) FROM (SELECT id FROM {PROCESS} WHERE id = ANY(%s)
                           ORDER BY id FOR UPDATE) AS locked""", [pks])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _run(sql: str, params: dict[str, Any]) -> dict[int, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: row[1] for row in cursor.fetchall()}


def set_field(pks: list[int], column: str, value: Any, *, kind: str, actor: int | None,
              now: datetime, names: dict[str, str] | None = None,
              to_name: str = "") -> dict[int, str | None]:
    """Set ``column`` (payment status, operator) to ``value`` on the locked batch's rows that
    differ, with a new version and last activity, and write their timeline entries
    ``{"from", "to"}``: the previous values, or with ``names`` (previous value to its name)
    the names, ``to_name`` then naming the new one. Returns order id to the "from" written."""
    if names is None:
        data = "jsonb_build_object('from', changed.previous, 'to', %(value)s::text)"
    else:
        data = ("jsonb_build_object('from', COALESCE(%(names)s::jsonb ->> "
                "changed.previous::text, ''), 'to', %(to_name)s::text)")
    sql = f"""
        WITH changed AS (
            UPDATE {PROCESS} AS p SET {column} = %(value)s, version = p.version + 1,
                                      last_activity_at = %(now)s
            FROM (SELECT id, {column} AS previous FROM {PROCESS}
                  WHERE id = ANY(%(pks)s) AND {column} IS DISTINCT FROM %(value)s) AS old
            WHERE p.id = old.id AND p.id = ANY(%(pks)s)
            RETURNING p.order_id, old.previous)
        {_TIMELINE.format(data=data)}"""
    with connection.cursor() as cursor:
        # The tally triggers read which column this one statement changes (migration 0024):
        # no key of the tag, day and customer tallies, one facet of the facet tally.
        # (A failed statement rolls the setting back with it.)
        cursor.execute("SELECT set_config(%s, %s, true)", [UNKEYED, column])
        previous = _run(sql, {"pks": pks, "value": value, "kind": kind, "actor": actor,
                              "now": now, "names": json.dumps(names or {}),
                              "to_name": to_name})
        cursor.execute("SELECT set_config(%s, '', true)", [UNKEYED])
    return previous


def change_tag(pks: list[int], tag_id: int, add: bool, *, kind: str, actor: int | None,
               now: datetime, data: dict[str, Any]) -> list[int]:
    """Add (or remove) the tag on the locked batch's orders that lack (or have) it, in one
    insert (delete) of links, and write the timeline entry ``data`` of each changed order.
    Returns the changed orders' ids."""
    if add:
        # ON CONFLICT: a link another writer added since this statement's snapshot is kept.
        change = f"""
            INSERT INTO {LINKS} (orderprocess_id, tag_id)
            SELECT id, %(tag)s FROM {PROCESS} WHERE id = ANY(%(pks)s) ORDER BY id
            ON CONFLICT (orderprocess_id, tag_id) DO NOTHING
            RETURNING orderprocess_id"""
    else:
        # One probe of the (order, tag) key per order of the batch: the tag's own index
        # would walk every link of the tag (and its dead ones) for each batch.
        change = f"""
            DELETE FROM {LINKS} AS link USING unnest(%(pks)s::bigint[]) AS batch (id)
            WHERE link.orderprocess_id = batch.id AND link.tag_id = %(tag)s
            RETURNING link.orderprocess_id"""
    # Each changed link's order id by its primary key: the planner cannot guess how many
    # links change, and a join back to the batch planned for one row rescans it per link.
    sql = f"""
        WITH links AS ({change}),
        changed AS (SELECT (SELECT p.order_id FROM {PROCESS} AS p
                            WHERE p.id = links.orderprocess_id) AS order_id FROM links)
        {_TIMELINE.format(data="%(data)s::jsonb")}"""
    return list(_run(sql, {"pks": pks, "tag": tag_id, "kind": kind, "actor": actor,
                           "now": now, "data": json.dumps(data)}))
