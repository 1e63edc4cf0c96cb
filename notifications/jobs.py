"""RQ job functions: thin, ids in, the work in a service module (STYLE.md).

Every job here is idempotent (a re-run, a duplicate from rq-scheduler, or the reconciler queueing
it again changes nothing twice) and has RQ's Retry, because RQ loses a job whose worker dies.
"""

from __future__ import annotations

import logging
import os
import random
from datetime import timedelta

import django_rq
from rq import Retry

log = logging.getLogger(__name__)

FAN_OUT_QUEUE = "default"
DELIVERY_QUEUE = "default"
FAN_OUT_CHUNK = 500  # event ids per job: one job per batch, never one per event
DELIVERY_CHUNK = 100  # deliveries per job: never one job per email
BACKFILL_QUEUE = "default"
BACKFILL_CHUNK = 50  # companies per backfill job (two CH requests each): 2,000 companies, 40 jobs
RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])

_queues: dict[tuple[int, str], object] = {}


def queue(name: str):
    """One Queue per process and name: a new one asks Redis its version (INFO) on every enqueue,
    which cost the listener a round trip in each commit."""
    key = (os.getpid(), name)
    if key not in _queues:
        _queues[key] = django_rq.get_queue(name, commit_mode="auto")
    return _queues[key]


def _enqueue_chunks(queue_name: str, func, ids: list[int], size: int, retry: Retry) -> None:
    q = queue(queue_name)
    chunks = [list(ids[i : i + size]) for i in range(0, len(ids), size)]
    q.enqueue_many([q.prepare_data(func, args=(chunk,), retry=retry) for chunk in chunks])


def enqueue_fan_out(event_ids: list[int]) -> None:
    """Queue fan-out for stored events. Called after the transaction that stored them commits."""
    _enqueue_chunks(FAN_OUT_QUEUE, fan_out, event_ids, FAN_OUT_CHUNK, RETRY)


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    """Queue sending. Called after the transaction that made the deliveries commits."""
    from notifications.delivery.sending import RETRY_INTERVALS

    retry = Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS))
    _enqueue_chunks(DELIVERY_QUEUE, deliver, delivery_ids, DELIVERY_CHUNK, retry)


def fan_out(event_ids: list[int]) -> int:
    from notifications.fan_out import fan_out_events

    return fan_out_events(event_ids).notifications


class DeliveriesToRetry(Exception):
    """Raised so RQ's Retry runs the job again after its back-off; sent ones are not resent."""


def deliver(delivery_ids: list[int]) -> int:
    from notifications.delivery.sending import deliver as deliver_all

    outcome = deliver_all(delivery_ids)
    if outcome.retry:
        raise DeliveriesToRetry(f"{len(outcome.retry)} of {len(delivery_ids)} deliveries failed transiently")
    return len(outcome.sent)


def enqueue_backfill(numbers: list[str]) -> None:
    """Queue backfill from CH's REST API. Called after the transaction that listed them commits."""
    _enqueue_chunks(BACKFILL_QUEUE, backfill, numbers, BACKFILL_CHUNK, RETRY)


def backfill(numbers: list[str]) -> int:
    """Fetch profile and filings of companies just added to lists; how many were recorded. What
    the rate limit does not allow soon is queued again for when it does (through rq-scheduler)."""
    from notifications.backfill import backfill_companies
    from streams.client import ApiUnauthorized

    try:
        outcome = backfill_companies(numbers)
    except ApiUnauthorized as exc:  # retrying cannot help; the companies stay un-backfilled
        log.error("backfill of %d companies given up: %s", len(numbers), exc)
        return 0
    if outcome.later:
        # Jitter, so jobs parked on the same full window do not all wake at the same moment.
        wait = timedelta(seconds=outcome.retry_in + random.uniform(1, 10))  # noqa: S311
        job = django_rq.get_scheduler(BACKFILL_QUEUE).enqueue_in(wait, backfill, outcome.later)
        job.retries_left, job.retry_intervals = RETRY.max, RETRY.intervals
        job.save()
        log.info("backfill: %d companies queued again in %.0f s", len(outcome.later), wait.total_seconds())
    return len(outcome.done) + len(outcome.not_found)


def reconcile() -> None:
    from notifications.reconcile import reconcile as run

    run()


def queue_digests() -> int:
    """Hourly: the digests of the practices whose local time has reached the digest hour."""
    from notifications.delivery.digests import queue_due_digests

    return len(queue_due_digests())


def trim_old_data() -> None:
    """Nightly retention."""
    from notifications.retention import trim

    trim()


def send_deadline_reminders() -> int:
    """Daily: reminders of accounts and confirmation statement deadlines, each stage once."""
    from notifications.deadlines.reminders import send_deadline_reminders as run

    return run().notifications
