"""Reading single cells: the problem a cell can raise, and splitting a tag list. Shared by the
format readers and the round trip, and depending on neither."""

from __future__ import annotations


class RowProblem(ValueError):
    """A cell that cannot be read; becomes a RowError with the row number and column."""

    def __init__(self, column: str, reason: str, row: int | None = None) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.row = row


def split_tags(raw: str) -> list[str]:
    """Tags from a comma-separated cell, trimmed, without duplicates."""
    seen: dict[str, None] = {}
    for tag in raw.split(","):
        tag = " ".join(tag.split())  # the length is checked where the tag is used
        if tag:
            seen.setdefault(tag, None)
    return list(seen)
