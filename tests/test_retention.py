"""Nightly retention deletes exactly what is old or over the cap, in batches, and never the
stream's checkpoints, gaps or the latest company profiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.fan_out import fan_out_events
from notifications.models import Delivery, EmailConfirmation, Notification, UserNotification
from notifications.retention import trim
from streams.models import Company, Event, StreamGap, StreamState
from tests.notifykit import stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db


def age(queryset, days: int, field: str = "created_at") -> None:
    queryset.update(**{field: timezone.now() - timedelta(days=days)})


@pytest.fixture
def history(ashford_list, alice, carol):
    """Three urgent officer changes fanned out (notifications, read states, emails), one 100 days
    old; plus a stream checkpoint, a gap and a stored profile."""
    events = [stored_officer_change("09876543") for _ in range(3)]
    fan_out_events([e.id for e in events])
    old = Notification.objects.get(event=events[0])
    age(Notification.objects.filter(id=old.id), 100)
    age(Event.objects.filter(id=events[0].id), 100, "received_at")
    StreamState.objects.create(stream="filings", timepoint=123)
    StreamGap.objects.create(stream="filings", from_timepoint=1, to_timepoint=2)
    Company.objects.filter(pk="09876543").update(profile={"company_name": "GREEN LEAF CAFE LTD"})
    return events, old


def test_old_notifications_go_with_their_read_state_and_emails_and_nothing_else_does(history, settings):
    settings.RETENTION_BATCH = 1
    events, old = history
    result = trim()
    assert (result.notifications, result.read_states, result.deliveries, result.events) == (1, 2, 2, 1)
    assert result.batches >= 2
    assert not Notification.objects.filter(id=old.id).exists()
    assert Notification.objects.count() == 2 and UserNotification.objects.count() == 4
    assert Delivery.objects.count() == 4
    assert not Event.objects.filter(id=events[0].id).exists() and Event.objects.count() == 2
    assert StreamState.objects.get().timepoint == 123 and StreamGap.objects.count() == 1
    assert Company.objects.get(pk="09876543").profile == {"company_name": "GREEN LEAF CAFE LTD"}
    again = trim()
    assert (again.notifications, again.deliveries, again.events) == (0, 0, 0)


def test_an_old_event_still_waiting_for_fan_out_is_kept(ashford_list, alice):
    waiting = stored_filing("09876543")
    age(Event.objects.filter(id=waiting.id), 100, "received_at")
    trim()
    assert Event.objects.filter(id=waiting.id).exists()


def test_a_notification_outlives_its_trimmed_event_with_its_own_words(history, settings):
    events, _ = history
    settings.RETENTION_DAYS = 90
    kept = Notification.objects.get(event=events[1])
    age(Event.objects.filter(id=events[1].id), 100, "received_at")  # the event is old, its news is not
    trim()
    kept.refresh_from_db()
    assert kept.event_id is None and kept.title.startswith("Officer appointed")


def test_each_organisation_keeps_at_most_its_cap_of_newest_notifications(ashford_list, alice, settings):
    settings.RETENTION_MAX_PER_ORGANISATION = 3
    settings.RETENTION_BATCH = 2
    fan_out_events([stored_filing("09876543").id for _ in range(5)])
    newest = list(Notification.objects.order_by("-id").values_list("id", flat=True)[:3])
    result = trim()
    assert sorted(Notification.objects.values_list("id", flat=True)) == sorted(newest)
    assert result.per_organisation == {ashford_list.organisation_id: 2}
    assert UserNotification.objects.count() == 3


def test_old_digest_deliveries_are_trimmed_too(alice):
    Delivery.objects.create(user=alice, digest_date=timezone.localdate() - timedelta(days=100), status="sent")
    recent = Delivery.objects.create(user=alice, digest_date=timezone.localdate(), status="sent")
    age(Delivery.objects.exclude(id=recent.id), 100)
    assert trim().deliveries == 1
    assert list(Delivery.objects.values_list("id", flat=True)) == [recent.id]


def test_emailed_links_a_day_past_their_life_are_deleted_with_the_password_hash_they_hold():
    now = timezone.now()
    old = EmailConfirmation.objects.create(
        purpose="signup",
        token_hash="a" * 64,
        email="x@example.com",
        payload={"password": "pbkdf2$..."},
        expires_at=now - timedelta(days=2),
    )
    fresh = EmailConfirmation.objects.create(
        purpose="signup", token_hash="b" * 64, email="y@example.com", expires_at=now - timedelta(hours=1)
    )

    trim()

    assert list(EmailConfirmation.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert old.pk != fresh.pk
