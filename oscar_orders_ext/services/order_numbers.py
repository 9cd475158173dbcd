"""Order numbers: Oscar's ``OrderNumberGenerator``, or random non-guessable codes.

``OSCAR_ORDERS_EXT_ORDER_NUMBERS = "random"`` numbers manual orders with codes such as
``K7QX2M9PRT``. A shop that wants them at checkout too points its forked ``order.utils``
``OrderNumberGenerator`` at :class:`RandomOrderNumberGenerator`.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from oscar.core.loading import get_class, get_model

from oscar_orders_ext.conf import app_settings

Order = get_model("order", "Order")

#: No 0/O, 1/I/L: codes read aloud on the phone or copied from paper stay unambiguous.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class RandomOrderNumberGenerator:
    """Oscar-compatible generator of unique random codes (31^10 ≈ 8·10^14 possibilities)."""

    length = 10
    attempts = 20

    def order_number(self, basket: Any = None) -> str:
        """A code no order uses yet."""
        for _attempt in range(self.attempts):
            number = "".join(secrets.choice(ALPHABET) for _ in range(self.length))
            if not Order._default_manager.filter(number=number).exists():
                return number
        # Only reachable when the code space is nearly exhausted (e.g. a very short length).
        raise RuntimeError("No free random order number found; increase the length.")


def new_order_number(basket: Any) -> str:
    """The number of an order placed from ``basket``, as the setting asks."""
    scheme = app_settings.ORDER_NUMBERS
    if scheme == "random":
        return RandomOrderNumberGenerator().order_number(basket)
    if scheme == "oscar":
        return str(get_class("order.utils", "OrderNumberGenerator")().order_number(basket))
    raise ImproperlyConfigured(
        f"OSCAR_ORDERS_EXT_ORDER_NUMBERS must be 'oscar' or 'random', not {scheme!r}.")
