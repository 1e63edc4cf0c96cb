"""Stored events -> one notification per watching organisation, read state per member, and
email deliveries per preferences. Idempotent: a unique constraint per (organisation, event) and
per (notification, user, channel), and events marked fanned out in the same transaction.

The RQ job (jobs.fan_out) passes ids in; after commit the organisations' browsers get a live
push and the delivery jobs are queued, ids only. `watchers_of`, `notify` and `announce` are
shared with the deadline reminders (deadlines.py), which make notifications without an event.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications import queueing
from notifications.content.categories import EmailMode
from notifications.content.describe import company_links, describe
from notifications.disqualified import disqualified_clients
from notifications.feed import live
from notifications.models import (
    ClientListEntry,
    Delivery,
    EmailSuppression,
    Membership,
    Notification,
    Organisation,
    UserNotification,
    UserPreferences,
)
from streams.events import PERSON_STREAMS
from streams.models import Company, Event

log = logging.getLogger(__name__)
BULK = 2000


@dataclass
class FanOutResult:
    events: int = 0
    notifications: int = 0
    deliveries: list[int] = field(default_factory=list)
    by_organisation: dict[int, list[int]] = field(default_factory=dict)


def fan_out_events(event_ids: list[int]) -> FanOutResult:
    """Fan out those of the events not fanned out yet. Safe to run twice, or concurrently."""
    with transaction.atomic():
        # Another worker fanning out the same events holds their rows: skip them, it does them.
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(id__in=event_ids, fanned_out_at=None)
            .order_by("id")
        )
        if not events:
            return FanOutResult()
        result = _fan_out(events)
        Event.objects.filter(id__in=[e.id for e in events]).update(fanned_out_at=timezone.now())
        announce(result)
    log.info(
        "fanned out %d events: %d notifications, %d email deliveries",
        result.events,
        result.notifications,
        len(result.deliveries),
        extra={
            "event_ids": [e.id for e in events][:100],
            "organisation_ids": sorted(result.by_organisation)[:100],
        },
    )
    return result


def announce(result: FanOutResult) -> None:
    """After the current transaction commits: the live push to the organisations' browsers and
    the delivery jobs (ids only). Call inside the transaction that made the notifications."""
    if result.by_organisation:
        transaction.on_commit(partial(live.push_new, result.by_organisation), robust=True)
    if result.deliveries:
        queueing.after_commit(queueing.enqueue_deliveries, result.deliveries)


def watchers_of(numbers) -> dict[str, dict[int, list[str]]]:
    """{company number: {organisation id: the practice's references for it}} over every list."""
    watchers: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for number, org_id, reference in ClientListEntry.objects.filter(company_id__in=numbers).values_list(
        "company_id", "client_list__organisation_id", "client_reference"
    ):
        refs = watchers[number][org_id]
        if reference and reference not in refs:
            refs.append(reference)
    return watchers


@dataclass
class Watching:
    """Who watches some companies: {number: {organisation id: its references}}, and the categories
    each of those organisations muted."""

    watchers: dict[str, dict[int, list[str]]]
    muted: dict[int, list[str]]

    @classmethod
    def of(cls, numbers) -> Watching:
        watchers = watchers_of(numbers)
        organisations = {org for by_org in watchers.values() for org in by_org}
        muted = Organisation.objects.filter(id__in=organisations).values_list("id", "muted_categories")
        return cls(watchers, dict(muted))


def per_watching_organisation(watching: Watching, number: str, category: str, **fields) -> list[Notification]:
    """A notification about one company for each practice that watches it and has not muted the
    category: the one rule fan-out and the deadline reminders share."""
    return [
        Notification(
            organisation_id=org_id,
            company_id=number,
            client_references=sorted(refs),
            category=category,
            **fields,
        )
        for org_id, refs in watching.watchers.get(number, {}).items()
        if category not in (watching.muted.get(org_id) or ())
    ]


def _fan_out(events: list[Event]) -> FanOutResult:
    # Whom each event is about: its company, or for a disqualified officer the clients it concerns.
    subjects = {
        e.id: disqualified_clients(e.data) if e.stream in PERSON_STREAMS else [e.company_number]
        for e in events
    }
    numbers = {number for found in subjects.values() for number in found}
    watching = Watching.of(numbers)
    names = dict(Company.objects.filter(company_number__in=numbers).values_list("company_number", "name"))

    rows = []
    for event in events:
        told: set[int] = set()  # one notification per practice and event, whichever client it names
        for number in subjects[event.id]:
            content = describe(event, client=f"{names.get(number) or number} ({number})")
            if content is None:
                continue
            links = company_links(number, "officers") if event.stream in PERSON_STREAMS else content.links
            made = per_watching_organisation(
                watching,
                number,
                content.category,
                event_id=event.id,
                company_name=names.get(number, ""),
                severity=content.severity,
                title=content.title,
                body=content.body,
                links=links,
                stream=event.stream,
                timepoint=event.timepoint,
                published_at=event.published_at,
            )
            rows += [row for row in made if row.organisation_id not in told]
            told |= {row.organisation_id for row in made}
    # Ours: the events are locked by this transaction and were not fanned out, so every
    # notification of theirs was made just now.
    result = notify(rows, Notification.objects.filter(event_id__in=[e.id for e in events]))
    result.events = len(events)
    return result


def notify(rows: list[Notification], made: QuerySet[Notification]) -> FanOutResult:
    """Store the notifications (a duplicate is skipped), then for those the queryset `made`
    selects (the caller's: made in this transaction) a read-state row per active member and an
    email delivery per member whose preferences say "at once". Call inside a transaction, then
    `announce` the result."""
    result = FanOutResult()
    if not rows:
        return result
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=BULK)
    notifications = list(made.values_list("id", "organisation_id", "category", "severity"))
    result.notifications = len(notifications)
    org_ids = {org_id for _, org_id, _, _ in notifications}

    members: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for org_id, user_id, email in Membership.objects.filter(
        organisation_id__in=org_ids, user__is_active=True
    ).values_list("organisation_id", "user_id", "user__email"):
        members[org_id].append((user_id, email))
    user_ids = {uid for people in members.values() for uid, _ in people}
    preferences = UserPreferences.for_users(user_ids)
    addresses = {EmailSuppression.normalise(email) for people in members.values() for _, email in people}
    suppressed = set(EmailSuppression.objects.filter(address__in=addresses).values_list("address", flat=True))

    reads, deliveries = [], []
    for notification_id, org_id, category, severity in notifications:
        result.by_organisation.setdefault(org_id, []).append(notification_id)
        for user_id, email in members.get(org_id, ()):
            reads.append(
                UserNotification(notification_id=notification_id, user_id=user_id, organisation_id=org_id)
            )
            if not email or preferences[user_id].mode_for(category, severity) != EmailMode.IMMEDIATE:
                continue
            blocked = EmailSuppression.normalise(email) in suppressed
            deliveries.append(
                Delivery(
                    notification_id=notification_id,
                    user_id=user_id,
                    address=email,
                    status=Delivery.Status.SUPPRESSED if blocked else Delivery.Status.PENDING,
                    last_error="the address bounced or complained earlier" if blocked else "",
                )
            )
    UserNotification.objects.bulk_create(reads, ignore_conflicts=True, batch_size=BULK)
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=BULK)
    result.deliveries = list(
        Delivery.objects.filter(
            notification_id__in=[n[0] for n in notifications], status=Delivery.Status.PENDING
        ).values_list("id", flat=True)
    )
    return result
