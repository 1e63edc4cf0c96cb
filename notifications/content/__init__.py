"""What a notification says: categories, descriptions, profile diffs, CH's words."""

from __future__ import annotations

from notifications.content.filing_text import _descriptions
from notifications.content.words import _psc_short
from streams import enumerations


def load_words() -> None:
    """Read CH's files and what is made of them now, not on first use (the worker does, before it
    forks, so that no work-horse reads them again)."""
    enumerations.load_all()
    _descriptions()
    _psc_short()
