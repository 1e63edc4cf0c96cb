"""RQ's entry points: thin, ids in, the work in the service modules imported here.

Jobs are queued only through notifications/queueing.py, by these functions' dotted paths; the
paths stay as they are, so that jobs already queued and deployments running survive a release.
Every job here is idempotent (a re-run, a duplicate from rq-scheduler, or the reconciler queueing
it again changes nothing twice) and has RQ's Retry, because RQ loses a job whose worker dies.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from notifications import queueing
from notifications.deadlines.reminders import send_deadline_reminders as _send_deadline_reminders
from notifications.delivery.digests import queue_due_digests
from notifications.delivery.sending import deliver as _deliver
from notifications.fan_out import fan_out_events
from notifications.models import Membership
from notifications.practices import people
from notifications.reconcile import reconcile as _reconcile
from notifications.retention import trim
from streams.backfill import backfill_companies
from streams.client import ApiUnauthorized
from streams.heal import heal_next

log = logging.getLogger(__name__)


class DeliveriesToRetry(Exception):
    """Raised so RQ's Retry runs the job again after its back-off; sent ones are not resent."""


def fan_out(event_ids: list[int]) -> int:
    return fan_out_events(event_ids).notifications


def deliver(delivery_ids: list[int]) -> int:
    outcome = _deliver(delivery_ids)
    if outcome.retry:
        raise DeliveriesToRetry(f"{len(outcome.retry)} of {len(delivery_ids)} deliveries failed transiently")
    return len(outcome.sent)


def backfill(numbers: list[str]) -> int:
    """Fetch profile and filings of companies just added to lists; how many were recorded. What
    the rate limit does not allow soon is queued again for when it does."""
    try:
        outcome = backfill_companies(numbers)
    except ApiUnauthorized as exc:  # retrying cannot help; the companies stay un-backfilled
        log.error("backfill of %d companies given up: %s", len(numbers), exc)
        return 0
    if outcome.later:
        # Jitter, so jobs parked on the same full window do not all wake at the same moment.
        wait = timedelta(seconds=outcome.retry_in + random.uniform(1, 10))  # noqa: S311
        queueing.enqueue_backfill_in(wait, outcome.later)
        log.info("backfill: %d companies queued again in %.0f s", len(outcome.later), wait.total_seconds())
    return len(outcome.done) + len(outcome.not_found)


def check_gaps() -> int:
    """Check watched companies for what the most pressing gap hid; queued again while any gap
    is left (the schedule also runs it every minute, so a lost job only delays the check)."""
    try:
        outcome = heal_next()
    except ApiUnauthorized as exc:
        log.error("checking gaps given up: %s", exc)
        return 0
    if outcome.retry_in:
        queueing.enqueue_gap_check_in(timedelta(seconds=outcome.retry_in + random.uniform(1, 10)))  # noqa: S311
    elif outcome.more:
        queueing.enqueue_gap_check()
    return outcome.checked


def copy_history(organisation_id: int, user_id: int, since: str, before_id: int) -> int:
    """A chunk of a new member's last 30 days; queues the next chunk until none is left. Nothing
    for someone who has left the practice meanwhile."""
    if not Membership.objects.filter(organisation_id=organisation_id, user_id=user_id).exists():
        return 0
    made, oldest = people.copy_history(
        organisation_id,
        user_id,
        datetime.fromisoformat(since),
        before_id=before_id,
        limit=people.HISTORY_CHUNK,
    )
    if made == people.HISTORY_CHUNK:
        queueing.enqueue_history(organisation_id, user_id, since, oldest)
    return made


def reconcile() -> None:
    _reconcile()


def queue_digests() -> int:
    """Hourly: the digests of the practices whose local time has reached the digest hour."""
    return len(queue_due_digests())


def trim_old_data() -> None:
    """Nightly retention."""
    trim()


def send_deadline_reminders() -> int:
    """Daily: reminders of accounts and confirmation statement deadlines, each stage once."""
    return _send_deadline_reminders().notifications
