"""The one seam where the Companies House side hands over to the product built on it.

streams/ imports nothing of the product (an import-linter contract checks it). What it needs
from it, it calls through the functions the settings name by dotted path:
- STREAMS_WATCHED_NUMBERS: `watched(among=None)` gives the company numbers someone watches (of
  `among`, when given): the listener's watch index is made of them;
- STREAMS_EVENTS_STORED: `events_stored(event_ids)` runs after the commit that stored new events
  (the product queues their fan-out);
- STREAMS_GAP_RECORDED: `gap_recorded(gap_id)` runs after the commit that recorded a gap, or
  opened one again for checking (the product queues the check through CH's REST API).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _named(setting: str):
    return import_string(getattr(settings, setting))


def watched_numbers(among: Iterable[str] | None = None) -> set[str]:
    return set(_named("STREAMS_WATCHED_NUMBERS")(among))


def events_stored(event_ids: Sequence[int]) -> None:
    _named("STREAMS_EVENTS_STORED")(list(event_ids))


def gap_recorded(gap_id: int) -> None:
    _named("STREAMS_GAP_RECORDED")(gap_id)
