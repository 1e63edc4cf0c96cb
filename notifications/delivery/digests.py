"""Daily digests: one email per person per day with the day's notifications they chose to get so,
grouped by client; none when there is nothing; never two for the same day (a unique row per
person and day, claimed like any delivery).

The scheduler runs `queue_due_digests` hourly; a practice's members get theirs once its local
time has passed DIGEST_HOUR (a run missed at that hour is made up by the next one that day).
A person's day is that of their first practice's time zone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import queueing
from notifications.content.categories import EmailMode
from notifications.models import Delivery, Membership, Organisation, UserNotification, UserPreferences
from notifications.models.organisations import zone_of

log = logging.getLogger(__name__)


def user_zone(user_id: int) -> ZoneInfo:
    first = (
        Membership.objects.filter(user_id=user_id)
        .order_by("organisation_id")
        .values_list("organisation__time_zone", flat=True)
        .first()
    )
    return zone_of(first)


def digest_clients(user_id: int, day: date) -> list[tuple[str, list]]:
    """The day's notifications this person wants in their digest, grouped by client company:
    [(company heading, [notification, ...]), ...], companies by name."""
    start = datetime.combine(day, time.min, tzinfo=user_zone(user_id))
    end = start + timedelta(days=1)
    preferences = UserPreferences.for_users([user_id])[user_id]
    rows = (
        UserNotification.objects.filter(
            user_id=user_id, notification__created_at__gte=start, notification__created_at__lt=end
        )
        .select_related("notification")
        .order_by("notification__company_name", "notification_id")
    )
    grouped = defaultdict(list)
    for row in rows:
        n = row.notification
        if preferences.mode_for(n.category, n.severity) == EmailMode.DIGEST:
            grouped[f"{n.company_name or n.company_id} ({n.company_id})"].append(n)
    return sorted(grouped.items())


def queue_due_digests(now: datetime | None = None) -> list[int]:
    """Digests for the members of every practice whose local time has passed the digest hour."""
    now = now or timezone.now()
    ids: list[int] = []
    for organisation_id, time_zone in Organisation.objects.values_list("id", "time_zone"):
        local = now.astimezone(zone_of(time_zone))
        if local.hour < settings.DIGEST_HOUR:
            continue
        members = Membership.objects.filter(organisation_id=organisation_id).values_list("user_id", flat=True)
        ids += queue_digests(local.date(), user_ids=list(members))
    return ids


def queue_digests(day: date | None = None, user_ids: list[int] | None = None) -> list[int]:
    """Pending digest deliveries for `day` (default: today here) for those people (default:
    every member) with something in it and none yet for that day; their ids, queued after commit."""
    day = day or timezone.localdate()
    people = Membership.objects.filter(user__is_active=True).exclude(user__email="")
    if user_ids is not None:
        people = people.filter(user_id__in=user_ids)
    done = set(Delivery.objects.filter(digest_date=day).values_list("user_id", flat=True))
    users = sorted(
        {(uid, email) for uid, email in people.values_list("user_id", "user__email") if uid not in done}
    )
    rows = [
        Delivery(digest_date=day, user_id=uid, address=email)
        for uid, email in users
        if digest_clients(uid, day)
    ]
    if not rows:
        return []
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            Delivery.objects.filter(
                digest_date=day, user_id__in=[r.user_id for r in rows], status=Delivery.Status.PENDING
            ).values_list("id", flat=True)
        )
        if ids:
            queueing.after_commit(queueing.enqueue_deliveries, ids)
    log.info("digests for %s: %d people have news, %d to send", day, len(rows), len(ids))
    return ids
