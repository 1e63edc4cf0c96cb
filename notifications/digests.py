"""Daily digests: one email per user per day with the day's notifications they chose to get so,
grouped by client; none when there is nothing; never two for the same day (a unique row per
user and day, claimed like any delivery). The scheduler runs `queue_digests` daily (issue 7
adds the per-organisation hour and time zone)."""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from .models import Delivery, Membership
from .transports.email import digest_clients

log = logging.getLogger(__name__)


def queue_digests(day: date | None = None) -> list[int]:
    """Delivery rows (pending) for everyone with something in their digest on `day` (default:
    today in TIME_ZONE); their ids, queued after commit."""
    from . import jobs

    day = day or timezone.localdate()
    users = set(
        Membership.objects.filter(user__is_active=True)
        .exclude(user__email="")
        .values_list("user_id", "user__email")
    )
    rows = [
        Delivery(digest_date=day, user_id=user_id, address=email)
        for user_id, email in sorted(users)
        if digest_clients(user_id, day)
    ]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            Delivery.objects.filter(
                digest_date=day, user_id__in=[r.user_id for r in rows], status=Delivery.Status.PENDING
            ).values_list("id", flat=True)
        )
        if ids:
            transaction.on_commit(lambda: jobs.enqueue_deliveries(ids), robust=True)
    log.info("digests for %s: %d users have news, %d to send", day, len(rows), len(ids))
    return ids
