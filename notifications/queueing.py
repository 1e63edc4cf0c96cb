"""The one way onto RQ: every job is queued from here, by its dotted path, ids and primitives only.

Services call these; none imports `notifications.jobs` (the jobs import the services, at the
top). Work is queued after the transaction that made it commits (`after_commit`), so a job never
looks for rows that are not there yet. Every job has RQ's Retry, because RQ loses a job whose
worker dies, and every job is idempotent, so a second run changes nothing twice.

`after_commit` is robust: should Redis refuse the job, the error is logged and the caller's commit
stands. Nothing is lost by that: PostgreSQL is the record, and the reconciler queues again what
it finds not done (README, "Guarantees").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial

import django_rq
from django.db import transaction
from rq import Retry

QUEUE = "default"  # fan-out, delivery and backfill share it; more workers, not more queues
FAN_OUT = "notifications.jobs.fan_out"
DELIVER = "notifications.jobs.deliver"
BACKFILL = "notifications.jobs.backfill"
CHECK_GAPS = "notifications.jobs.check_gaps"
COPY_HISTORY = "notifications.jobs.copy_history"
FAN_OUT_CHUNK = 500  # event ids per job: one job per batch, never one per event
DELIVERY_CHUNK = 100  # deliveries per job: never one job per email
BACKFILL_CHUNK = 50  # companies per backfill job (three CH requests each): 2,000 companies, 40 jobs
RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])
# A delivery that failed transiently waits this long before its next attempt (the 1st, 2nd, ...
# failure); RQ's Retry runs its job again on the same schedule.
DELIVERY_RETRY_INTERVALS = (30, 120, 600, 1800, 3600)
DELIVERY_RETRY = Retry(max=len(DELIVERY_RETRY_INTERVALS), interval=list(DELIVERY_RETRY_INTERVALS))

_queues: dict[tuple[int, str], object] = {}


def queue(name: str = QUEUE):
    """One Queue per process and name: a new one asks Redis its version (INFO) on every enqueue,
    which cost the listener a round trip in each commit."""
    key = (os.getpid(), name)
    if key not in _queues:
        _queues[key] = django_rq.get_queue(name, commit_mode="auto")
    return _queues[key]


def after_commit(enqueue: Callable[..., None], *args) -> None:
    """Run `enqueue(*args)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(enqueue, *args), robust=True)


def _in_chunks(path: str, ids: Sequence, size: int, retry: Retry) -> None:
    q = queue()
    chunks = [list(ids[i : i + size]) for i in range(0, len(ids), size)]
    q.enqueue_many([q.prepare_data(path, args=(chunk,), retry=retry) for chunk in chunks])


def enqueue_fan_out(event_ids: Sequence[int]) -> None:
    """Fan-out for stored events (the listener calls it after the commit that stored them)."""
    _in_chunks(FAN_OUT, list(event_ids), FAN_OUT_CHUNK, RETRY)


def enqueue_deliveries(delivery_ids: Sequence[int]) -> None:
    _in_chunks(DELIVER, list(delivery_ids), DELIVERY_CHUNK, DELIVERY_RETRY)


def enqueue_backfill(numbers: Sequence[str]) -> None:
    _in_chunks(BACKFILL, list(numbers), BACKFILL_CHUNK, RETRY)


def _enqueue_in(wait: timedelta, path: str, *args) -> None:
    """Later, through RQ's scheduled registry, keeping RQ's Retry (enqueue_in takes none)."""
    job = django_rq.get_scheduler(QUEUE).enqueue_in(wait, path, *args)
    job.retries_left, job.retry_intervals = RETRY.max, RETRY.intervals
    job.save()


def enqueue_backfill_in(wait: timedelta, numbers: Sequence[str]) -> None:
    """Backfill again later, when CH's rate limit allows (through RQ's scheduled registry)."""
    _enqueue_in(wait, BACKFILL, list(numbers))


def enqueue_gap_check(gap_id: int | None = None) -> None:
    """Check the watched companies for what a gap hid (the listener calls it after recording
    one; the job takes the most pressing gap, whichever that is)."""
    queue().enqueue(CHECK_GAPS, retry=RETRY)


def enqueue_gap_check_in(wait: timedelta) -> None:
    _enqueue_in(wait, CHECK_GAPS)


def enqueue_history(organisation_id: int, user_id: int, since: str, before_id: int) -> None:
    """The rest of a new member's last 30 days, older than `before_id` (people.give_recent_history)."""
    queue().enqueue(COPY_HISTORY, organisation_id, user_id, since, before_id, retry=RETRY)
