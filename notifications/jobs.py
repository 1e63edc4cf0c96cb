"""RQ job functions: thin, ids in, the work in a service module.

Enqueued after commit with ids only (STYLE.md). The fan-out itself is issue 4; until then the
job records nothing and says so, and events wait with fanned_out_at empty for it.
"""

from __future__ import annotations

import logging
import os

import django_rq
from rq import Retry

log = logging.getLogger(__name__)

FAN_OUT_QUEUE = "default"
FAN_OUT_CHUNK = 500  # event ids per job: one job per batch, never one per event
RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])


_queues: dict[tuple[int, str], object] = {}


def queue(name: str):
    """One Queue per process and name: a new one asks Redis its version (INFO) on every enqueue,
    which cost the listener a round trip in each commit."""
    key = (os.getpid(), name)
    if key not in _queues:
        _queues[key] = django_rq.get_queue(name, commit_mode="auto")
    return _queues[key]


def enqueue_fan_out(event_ids: list[int]) -> None:
    """Queue fan-out for stored events. Called after the transaction that stored them commits."""
    fan_out_queue = queue(FAN_OUT_QUEUE)
    chunks = [event_ids[i : i + FAN_OUT_CHUNK] for i in range(0, len(event_ids), FAN_OUT_CHUNK)]
    fan_out_queue.enqueue_many(
        [fan_out_queue.prepare_data(fan_out, args=(chunk,), retry=RETRY) for chunk in chunks]
    )


def fan_out(event_ids: list[int]) -> None:
    log.warning(
        "fan_out: received %d event ids; turning events into notifications is issue 4", len(event_ids)
    )
