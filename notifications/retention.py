"""Nightly retention: old notifications (with their read state and deliveries), old deliveries,
old stored event payloads and emailed links past their life are deleted in bounded batches, and
each organisation keeps at most RETENTION_MAX_PER_ORGANISATION notifications. Never trimmed:
stream checkpoints and gaps, and the latest company profiles (the baseline for diffs and
deadlines).

Batches of RETENTION_BATCH rows, each its own short transaction, so the listener and the workers
are never held up by one long delete. Idempotent: running it twice deletes nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import Delivery, EmailConfirmation, Notification, Organisation, UserNotification
from streams.models import Event

log = logging.getLogger(__name__)


@dataclass
class Trimmed:
    notifications: int = 0
    read_states: int = 0
    deliveries: int = 0
    events: int = 0
    batches: int = 0
    per_organisation: dict[int, int] = field(default_factory=dict)


def trim(now: datetime | None = None) -> Trimmed:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    result = Trimmed()
    _delete_notifications(Notification.objects.filter(created_at__lt=cutoff), result)
    for organisation_id in Organisation.objects.values_list("id", flat=True):
        keep_from = (
            Notification.objects.filter(organisation_id=organisation_id)
            .order_by("-id")
            .values_list("id", flat=True)[
                settings.RETENTION_MAX_PER_ORGANISATION : settings.RETENTION_MAX_PER_ORGANISATION + 1
            ]
        )
        oldest_kept_beyond = list(keep_from)
        if oldest_kept_beyond:  # the newest one past the cap: it and everything older goes
            before = result.notifications
            _delete_notifications(
                Notification.objects.filter(organisation_id=organisation_id, id__lte=oldest_kept_beyond[0]),
                result,
            )
            result.per_organisation[organisation_id] = result.notifications - before
    # Digest deliveries have no notification to go with.
    result.deliveries += _in_batches(
        Delivery.objects.filter(notification=None, created_at__lt=cutoff), result
    )
    # Events fanned out long ago: their notifications carry their own texts (event becomes NULL).
    old_events = Event.objects.filter(received_at__lt=cutoff).filter(~Q(fanned_out_at=None))
    result.events = _in_batches(old_events, result)
    # Emailed links past their life: a sign-up's holds a password's hash, kept no longer than it
    # can be used (a day's grace, so the page can still say "expired" rather than "not valid").
    EmailConfirmation.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    if result.notifications or result.deliveries or result.events:
        log.info(
            "retention: deleted %d notifications (%d read states), %d deliveries, %d events in %d batches",
            result.notifications,
            result.read_states,
            result.deliveries,
            result.events,
            result.batches,
        )
    return result


def _delete_notifications(queryset, result: Trimmed) -> None:
    while True:
        ids = list(queryset.order_by("id").values_list("id", flat=True)[: settings.RETENTION_BATCH])
        if not ids:
            return
        with transaction.atomic():
            result.deliveries += Delivery.objects.filter(notification_id__in=ids)._raw_delete("default")
            result.read_states += UserNotification.objects.filter(notification_id__in=ids)._raw_delete(
                "default"
            )
            result.notifications += Notification.objects.filter(id__in=ids)._raw_delete("default")
        result.batches += 1


def _in_batches(queryset, result: Trimmed) -> int:
    """Delete in batches; a notification about a deleted event keeps its texts (event -> NULL)."""
    deleted = 0
    model = queryset.model
    while True:
        ids = list(queryset.order_by("id").values_list("id", flat=True)[: settings.RETENTION_BATCH])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += model.objects.filter(id__in=ids).delete()[1].get(model._meta.label, 0)
        result.batches += 1
