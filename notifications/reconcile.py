"""The reconciler: Redis is a transport, PostgreSQL the record (README, Guarantees, 3).

Run every minute by the scheduler. Finds work whose job was lost (Redis flushed, a worker killed)
and queues it again; every job it queues is idempotent, so queueing what is merely slow is safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notifications import queueing
from notifications.models import ClientListEntry, Delivery
from notifications.practices.client_lists import queue_backfill
from project import redis_connection
from streams.backfill import backfill_enabled
from streams.models import Event

log = logging.getLogger(__name__)
LIMIT = 50_000  # per run: a backlog bigger than this is taken over the next minutes


BACKFILL_EVERY = 3600  # seconds: a backlog at CH's rate limit can take hours; no need to pile on jobs
BACKFILL_AFTER = timedelta(hours=1)


@dataclass
class Reconciled:
    events: int = 0
    deliveries: int = 0
    unstuck: int = 0
    backfills: int = 0


def reconcile(now=None) -> Reconciled:
    now = now or timezone.now()
    result = Reconciled()
    event_ids = list(
        Event.objects.filter(
            fanned_out_at=None,
            received_at__lt=now - timedelta(seconds=settings.RECONCILE_EVENT_AFTER_SECONDS),
        )
        .order_by("id")
        .values_list("id", flat=True)[:LIMIT]
    )
    if event_ids:
        queueing.enqueue_fan_out(event_ids)
        result.events = len(event_ids)

    stale = now - timedelta(seconds=settings.RECONCILE_DELIVERY_AFTER_SECONDS)
    # Claimed long ago and never finished: the worker died while sending. Sent again (with the
    # same Message-ID): if the provider had taken it, that is the one duplicate we can't rule out.
    stuck = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).values_list(
            "id", flat=True
        )
    )
    result.unstuck = Delivery.objects.filter(id__in=stuck, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, updated_at=now
    )
    # Pending for a while (its job lost), and not waiting out a back-off after a failure.
    waiting = Delivery.objects.filter(status=Delivery.Status.PENDING, updated_at__lt=stale).filter(
        Q(retry_at=None) | Q(retry_at__lte=now)
    )
    delivery_ids = sorted({*stuck, *waiting.order_by("id").values_list("id", flat=True)[:LIMIT]})
    if delivery_ids:
        queueing.enqueue_deliveries(delivery_ids)
        result.deliveries = len(delivery_ids)
    result.backfills = _reconcile_backfill(now)
    if result.events or result.deliveries or result.unstuck or result.backfills:
        log.warning(
            "reconciler: queued %d events for fan-out, %d deliveries and %d backfills again; "
            "%d stuck deliveries released",
            result.events,
            result.deliveries,
            result.backfills,
            result.unstuck,
        )
    return result


def _reconcile_backfill(now) -> int:
    """Companies on a list for an hour and still without a baseline (a lost job, a key set only
    later): queued again, at most hourly (each backfill job skips what is done meanwhile)."""
    if not backfill_enabled():
        return 0
    if not redis_connection.connection().set(
        "clientwatch:reconcile:backfill", "1", nx=True, ex=BACKFILL_EVERY
    ):
        return 0
    numbers = list(
        ClientListEntry.objects.filter(company__backfilled_at=None, added_at__lt=now - BACKFILL_AFTER)
        .values_list("company_id", flat=True)
        .distinct()[:LIMIT]
    )
    return queue_backfill(numbers) if numbers else 0
