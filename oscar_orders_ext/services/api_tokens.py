"""API tokens: created and revoked by their user; only a hash of the key is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import ApiToken

#: Every key starts with this, so a leaked one is easy to recognise (secret scanners).
KEY_PREFIX = "ooe_"
#: How often ``last_used_at`` is written (not on every request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token acting as ``user``, and its key (shown to the user this once)."""
    name = (name or "").strip()
    if not name:
        raise OrderWorkflowError(_("Give the token a name."))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:12],
                                    key_hash=_hash(key))
    return token, key


def revoke_token(token: ApiToken) -> ApiToken:
    """Stop the token working (kept, marked revoked, for the record)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_key(key: str) -> Any:
    """The active user of a live token with this key, or None."""
    if not key.startswith(KEY_PREFIX):
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=_hash(key), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
