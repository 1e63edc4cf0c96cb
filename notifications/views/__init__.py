"""Pages for members (the admin is for staff): the feed, deadlines, email preferences, the
unsubscribe link."""

from __future__ import annotations

from .deadlines import deadlines_page
from .feed import feed_api, feed_home, feed_page, mark_all_read, mark_read
from .logout import log_out
from .preferences import preferences, resume_email
from .unsubscribe import unsubscribe

__all__ = [
    "deadlines_page",
    "feed_api",
    "feed_home",
    "feed_page",
    "log_out",
    "mark_all_read",
    "mark_read",
    "preferences",
    "resume_email",
    "unsubscribe",
]
