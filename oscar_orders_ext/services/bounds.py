"""What a value must be for the database, the pages and the URLs to hold it: one place for the
bounds every entry point checks (line edits, manual orders, imports, forms).

Quantities follow Oscar's basket: at most ``OSCAR_MAX_BASKET_QUANTITY_THRESHOLD`` items in one
order (Oscar's own message), and never more than the ``PositiveIntegerField`` column holds.
Amounts must fit the ``DecimalField`` they land in (Oscar: 12 digits, 2 decimals) and be finite.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

Order = get_model("order", "Order")

#: The largest value a PositiveIntegerField holds on every database (PostgreSQL ``integer``).
LARGEST_STORED_INTEGER = 2_147_483_647
#: Dates outside these years are refused: the pages and the time zone conversions hold them.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


class BoundError(ValueError):
    """A value outside what can be stored; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def max_order_quantity() -> int:
    """The most items one order may hold: Oscar's basket threshold, else what the column holds."""
    threshold = getattr(settings, "OSCAR_MAX_BASKET_QUANTITY_THRESHOLD", None)
    return min(int(threshold), LARGEST_STORED_INTEGER) if threshold else LARGEST_STORED_INTEGER


def quantity_problem(quantity: int, *, order_items: int | None = None) -> str:
    """Why a line of ``quantity`` (in an order of ``order_items`` items) is refused, or ""."""
    limit = max_order_quantity()
    if quantity > limit or (order_items or 0) > limit:
        # Oscar's words (and its translations) for its basket threshold.
        return _("Due to technical limitations we are not able to ship more than "
                 "%(threshold)d items in one order.") % {"threshold": limit}
    return ""


def parse_quantity(value: Any, *, allow_zero: bool, negative: str = "") -> int:
    """A line quantity typed by a user: a whole number within the bounds, or BoundError
    (``negative``: the refusal of a negative number, when 0 is allowed)."""
    text = str(value if value is not None else "").strip()
    if len(text) > 20 or not text.removeprefix("-").removeprefix("+").isdigit():
        raise BoundError(_("“%(value)s” is not a quantity.") % {"value": text[:20]})
    quantity = int(text)
    if quantity < 0 and allow_zero:
        raise BoundError(negative or _("Quantities cannot be negative."))
    if quantity <= 0 and not allow_zero:
        raise BoundError(_("Quantities must be positive."))
    problem = quantity_problem(quantity)
    if problem:
        raise BoundError(problem)
    return quantity


def check_order_items(quantities: Iterable[int]) -> None:
    """Refuse (BoundError) an order whose lines add up to more items than Oscar allows."""
    total = sum(quantities)
    problem = quantity_problem(0, order_items=total)
    if problem:
        raise BoundError(problem)


def validate_line_quantity(value: Any) -> None:
    """A form validator: the line quantity rule above, as a ValidationError."""
    try:
        parse_quantity(value, allow_zero=True)
    except BoundError as error:
        raise ValidationError(error.message, code="quantity") from None


def amount_limit(field: models.DecimalField) -> Decimal:
    """The first amount a DecimalField can no longer hold (12 digits, 2 decimals: 10**10)."""
    return Decimal(10) ** (field.max_digits - field.decimal_places)


#: Oscar's money columns (every one is DecimalField(max_digits=12, decimal_places=2)).
MONEY_LIMIT = amount_limit(Order._meta.get_field("total_incl_tax"))


def amount_fits(value: Decimal | None) -> bool:
    """Whether Oscar's money columns hold the amount (no words: a check run on every amount
    of an import)."""
    return value is None or (value.is_finite() and -MONEY_LIMIT < value < MONEY_LIMIT)


def amount_problem(value: Decimal | None) -> str:
    """Why an amount cannot be stored in Oscar's money columns, or ""."""
    if value is None or amount_fits(value):
        return ""
    if not value.is_finite():
        return _("“%(value)s” is not an amount.") % {"value": value}
    return _("%(value)s is too large: amounts must stay below %(limit)s.") % {
        "value": value, "limit": f"{MONEY_LIMIT:,}"}


def check_amounts(amounts: Iterable[Decimal]) -> None:
    """Refuse (BoundError) the first amount Oscar's money columns cannot hold."""
    for amount in amounts:
        problem = amount_problem(amount)
        if problem:
            raise BoundError(problem)


def date_problem(value: datetime | None) -> str:
    """Why a date cannot be stored and shown, or ""."""
    if value is None:
        return ""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return _("%(value)s is out of range: dates must fall between the years %(first)d and "
                 "%(last)d.") % {"value": value.date().isoformat(), "first": EARLIEST_YEAR,
                                 "last": LATEST_YEAR}
    return ""


def text_problem(value: str, limit: int) -> str:
    """Why a text is too long for its column (``limit`` characters), or ""."""
    if len(value) > limit:
        return _("The text is %(length)d characters long; at most %(limit)d fit.") % {
            "length": len(value), "limit": limit}
    return ""


#: Characters an order number may not contain: "/" breaks its page's URL, controls the pages.
FORBIDDEN_IN_NUMBERS = frozenset("/\\") | frozenset(chr(code) for code in range(32)) | {"\x7f"}


def order_number_problem(number: str, limit: int = 128) -> str:
    """Why an order number cannot be stored or put in a URL, or ""."""
    if not number.strip():
        return _("The order number is missing.")
    bad = sorted({char for char in number if char in FORBIDDEN_IN_NUMBERS})
    if bad:
        return _("The order number “%(number)s” contains characters that cannot be part of a "
                 "web address: %(chars)s.") % {"number": number[:64],
                                               "chars": " ".join(repr(char) for char in bad)}
    return text_problem(number, limit)
