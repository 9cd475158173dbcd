"""Customer accounts made from order details (imports, manual orders): matched by email,
created without a usable password, never duplicated."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Expression, Field
from django.db.models.functions import Lower
from oscar.apps.customer.utils import normalise_email

#: Values per ``IN (…)`` when checking which usernames are taken.
USERNAME_CHUNK = 900
NAME_LENGTH = 150


def customer_by_email(email: str) -> Any:
    """The account with this email (case-insensitive; active and oldest first), or None."""
    key = normalise_email(email or "").lower()
    return accounts_by_email([key]).get(key) if key else None


def accounts_by_email(keys: Collection[str] | Expression) -> dict[str, Any]:
    """The account of each lower-case email in ``keys`` that has one (active and oldest
    first when several share it). Compares ``LOWER(email)``, which migration 0026 indexes:
    without it every lookup read the whole user table (a million-order import looked up
    333,000 customers 500 at a time). ``keys`` may be a sub-query (``value_chunks``)."""
    accounts: dict[str, Any] = {}
    if keys:
        for account in (get_user_model().objects.annotate(email_key=Lower("email"))
                        .filter(email_key__in=keys).order_by("-is_active", "pk")):
            accounts.setdefault(account.email_key, account)
    return accounts


def unsaved_customer(email: str, first_name: str = "", last_name: str = "") -> Any:
    """A new, unsaved customer who cannot sign in until they reset their password."""
    user = get_user_model()(email=normalise_email(email), first_name=first_name[:NAME_LENGTH],
                            last_name=last_name[:NAME_LENGTH])
    # What set_unusable_password() stores ("!" and 40 random characters), made from one call
    # to the OS's random source instead of 40: imports create customers by the ten thousand.
    user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
    return user


def assign_usernames(users: Sequence[Any]) -> None:
    """Give unsaved users a free username derived from their email (when the user model's
    ``USERNAME_FIELD`` is not the email itself), with one query per chunk of users."""
    user_model = get_user_model()
    field_name = user_model.USERNAME_FIELD
    if field_name == "email":
        return
    field = user_model._meta.get_field(field_name)
    max_length = (field.max_length if isinstance(field, Field) else None) or 150
    wanted = sorted({user.email[:max_length] for user in users})
    taken: set[str] = set()
    for start in range(0, len(wanted), USERNAME_CHUNK):
        chunk = wanted[start:start + USERNAME_CHUNK]
        taken.update(user_model.objects.filter(**{f"{field_name}__in": chunk})
                     .values_list(field_name, flat=True))
    for user in users:
        username = user.email[:max_length]
        suffix = 1
        while username in taken:
            suffix += 1
            username = f"{user.email[:max_length - 8]}-{suffix}"
        taken.add(username)
        setattr(user, field_name, username)


def fill_missing_names(user: Any, first_name: str, last_name: str) -> bool:
    """Fill the user's empty names from the order; returns whether anything changed."""
    changed = False
    if not user.first_name and first_name:
        user.first_name, changed = first_name[:NAME_LENGTH], True
    if not user.last_name and last_name:
        user.last_name, changed = last_name[:NAME_LENGTH], True
    return changed


def customer_for_details(email: str, first_name: str = "", last_name: str = ""
                         ) -> tuple[Any, bool]:
    """The customer with this email, names updated from the details given, or a new one.

    Returns ``(user, created)``. Non-empty names replace the stored ones: the operator typed
    them while talking to the customer.
    """
    user = customer_by_email(email)
    if user is None:
        user = unsaved_customer(email, first_name, last_name)
        assign_usernames([user])
        user.save()
        return user, True
    first_name, last_name = first_name[:NAME_LENGTH], last_name[:NAME_LENGTH]
    changed = [name for name, value in (("first_name", first_name), ("last_name", last_name))
               if value and getattr(user, name) != value]
    for name in changed:
        setattr(user, name, first_name if name == "first_name" else last_name)
    if changed:
        user.save(update_fields=changed)
    return user, False
