"""Signed one-click unsubscribe links: single-purpose (their own salt), naming one user."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe.v1"


def make_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=SALT, compress=False)


def user_id_for(token: str) -> int | None:
    """The user a token was made for, or None if it was not made by us for this purpose."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    user_id = value.get("u") if isinstance(value, dict) else None
    return user_id if isinstance(user_id, int) else None


def unsubscribe_url(user_id: int) -> str:
    return settings.SITE_URL + reverse("unsubscribe", args=[make_token(user_id)])
