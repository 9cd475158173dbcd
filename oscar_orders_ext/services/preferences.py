"""What each user keeps of the workspace: the table's columns and saved views."""

from __future__ import annotations

from typing import Any

from oscar_orders_ext.models import ColumnPreference, SavedView


def remember_columns(user: Any, columns: list[str]) -> None:
    """Keep the columns (in order) a user picked."""
    ColumnPreference.objects.update_or_create(user=user, defaults={"columns": columns})


def save_view(user: Any, *, name: str, query: str, shared: bool, columns: list[str]
              ) -> SavedView:
    """Save a filter under a name for ``user``, with ``columns`` or, when none are given, the
    user's remembered columns."""
    if not columns:
        preference = ColumnPreference.objects.filter(user=user).first()
        columns = preference.columns if preference else []
    return SavedView.objects.create(owner=user, name=name, query=query, shared=shared,
                                    columns=columns)


def delete_saved_view(saved: SavedView) -> None:
    """Delete a saved view (its owner's decision: the caller checks)."""
    saved.delete()
