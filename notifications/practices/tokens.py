"""The tokens in the links we email (invitations, sign-ups, changes of address): random, stored
only as their SHA-256, so the database can check a link but cannot make one. Password resets use
Django's own tokens (bound to the password, so a reset link dies once it is used)."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """(the token for the link, its hash for the database)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
