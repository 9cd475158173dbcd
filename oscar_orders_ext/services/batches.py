"""Helpers of long batch loops (imports, tag rules, customer recounts), shared by services."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def forget_queries() -> None:
    """Forget the queries DEBUG logged so far, between chunks of a bulk phase (as Django does
    at each request): the lookups of a large file carry arrays of thousands of values, and
    Django keeps 9,000 queries (at a million orders, the customer directory's updates alone
    kept 140 MB). Left alone while a test counts queries."""
    if settings.DEBUG and not connection.force_debug_cursor:
        connection.queries_log.clear()
