"""What each user keeps of the workspace: the table's columns, saved views, folded columns."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from oscar_orders_ext.models import BoardPreference, ColumnPreference, SavedView, Stage


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


def fold_stage(user: Any, stage: Stage, folded: bool) -> list[int]:
    """Fold (or unfold) a stage's column on ``user``'s board of its funnel; the folded stages
    of that board afterwards."""
    with transaction.atomic():
        preference, _created = BoardPreference.objects.select_for_update().get_or_create(
            user=user, funnel_id=stage.funnel_id)
        kept = [pk for pk in preference.collapsed_stages if pk != stage.pk]
        if folded:
            kept.append(stage.pk)
        preference.collapsed_stages = kept
        preference.save(update_fields=["collapsed_stages"])
    return kept

