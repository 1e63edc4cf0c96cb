"""The in-process set of every company number on any client list, kept current while running.

Matching a stream event is one set lookup (never a database or Redis round trip per
event). Client list changes reach the set through WatchChange rows: the listener polls for new
ones every second and re-checks just those numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

from streams import hooks
from streams.models import WatchChange

KEEP_CHANGES = timedelta(hours=1)


def record_watch_changes(numbers: Iterable[str]) -> None:
    """Note that these companies were added to or removed from a list (call inside the change's
    transaction, so the note exists exactly when the change does)."""
    unique = sorted(set(numbers))
    if unique:
        WatchChange.objects.bulk_create([WatchChange(company_number=n) for n in unique], batch_size=1000)


class WatchIndex:
    def __init__(self) -> None:
        self.numbers: set[str] = set()
        self.last_change_id = 0

    def __contains__(self, number: str) -> bool:
        return number in self.numbers

    def __len__(self) -> int:
        return len(self.numbers)

    def replace(self, numbers: set[str], last_change_id: int) -> None:
        self.numbers = numbers
        self.last_change_id = last_change_id

    def apply(self, watched: set[str], unwatched: set[str], last_change_id: int) -> None:
        self.numbers |= watched
        self.numbers -= unwatched
        self.last_change_id = max(self.last_change_id, last_change_id)


def load_watch_index() -> tuple[set[str], int]:
    """Every watched number, and the change id to poll from. The id is read first, so changes
    made while reading are caught by the next poll."""
    close_old_connections()
    last_change_id = WatchChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    numbers = hooks.watched_numbers()
    return numbers, last_change_id


def watch_changes(since_id: int) -> tuple[set[str], set[str], int]:
    """(numbers now watched, numbers no longer watched, last change id) since `since_id`."""
    close_old_connections()
    rows = list(
        WatchChange.objects.filter(id__gt=since_id).order_by("id").values_list("id", "company_number")
    )
    if not rows:
        return set(), set(), since_id
    touched = {number for _, number in rows}
    watched = hooks.watched_numbers(touched)
    return watched, touched - watched, rows[-1][0]


def prune_watch_changes() -> int:
    deleted, _ = WatchChange.objects.filter(changed_at__lt=timezone.now() - KEEP_CHANGES).delete()
    return deleted
