"""Pages for members (the admin is for staff): their email preferences and the unsubscribe link."""

from __future__ import annotations

from .preferences import preferences, resume_email
from .unsubscribe import unsubscribe

__all__ = ["preferences", "resume_email", "unsubscribe"]
