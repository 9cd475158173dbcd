"""Gapless numbers for legal documents: one locked counter row per kind, series and year."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.models import DocumentSequence


def series_for(kind: str) -> str:
    """The numbering series configured for a legal document kind ("" is the default)."""
    return str((app_settings.DOCUMENT_SERIES or {}).get(kind, ""))


def format_number(series: str, year: int, sequence: int) -> str:
    """``2026/00001``, or ``CN-2026/00001`` in series ``CN``."""
    number = f"{year}/{sequence:0{int(app_settings.DOCUMENT_NUMBER_DIGITS)}d}"
    return f"{series}-{number}" if series else number


def take_next_number(kind: str, series: str, year: int) -> int:
    """Lock the counter of (kind, series, year) and advance it; returns the new number.

    Must run inside the issuing transaction: the row stays locked until it commits, so a
    concurrent issuer waits and then reads the advanced counter, and a rollback gives the
    number back (no gaps, no duplicates).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_next_number() must run inside the issuing transaction.")
    key = {"kind": kind, "series": series, "year": year}
    locked = DocumentSequence.objects.select_for_update()
    counter = locked.filter(**key).first()
    if counter is None:  # the first number of the series this year
        try:
            with transaction.atomic():  # a savepoint: losing the race to create is fine
                DocumentSequence.objects.create(**key)
        except IntegrityError:
            pass
        counter = locked.get(**key)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number
