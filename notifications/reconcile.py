"""The reconciler: Redis is a transport, PostgreSQL the record (guarantee 3 of DESIGN.md).

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

from streams.models import Event

from .models import Delivery

log = logging.getLogger(__name__)
LIMIT = 50_000  # per run: a backlog bigger than this is taken over the next minutes


@dataclass
class Reconciled:
    events: int = 0
    deliveries: int = 0
    unstuck: int = 0


def reconcile(now=None) -> Reconciled:
    from . import jobs

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
        jobs.enqueue_fan_out(event_ids)
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
        jobs.enqueue_deliveries(delivery_ids)
        result.deliveries = len(delivery_ids)
    if result.events or result.deliveries or result.unstuck:
        log.warning(
            "reconciler: queued %d events for fan-out and %d deliveries again; %d stuck deliveries released",
            result.events,
            result.deliveries,
            result.unstuck,
        )
    return result
