"""The daily digest goes at DIGEST_HOUR in each practice's own time zone, once a day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from notifications.content.categories import Category, EmailMode
from notifications.delivery.digests import queue_due_digests
from notifications.fan_out import fan_out_events
from notifications.models import Delivery, Organisation, UserPreferences
from tests.notifykit import run_jobs, stored_filing

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_york_practice(ashford_list, alice, settings):
    settings.DIGEST_HOUR = 17
    Organisation.objects.filter(pk=ashford_list.organisation_id).update(time_zone="America/New_York")
    UserPreferences.objects.create(user=alice, modes={Category.ACCOUNTS: EmailMode.DIGEST})
    return ashford_list.organisation


def test_the_digest_waits_for_the_hour_in_the_practices_time_zone_and_goes_once(
    new_york_practice, alice, redis_client, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 11, 23, 15, 0, tzinfo=UTC)):  # 10:00 in New York
        fan_out_events([stored_filing("09876543").id])
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_due_digests(datetime(2026, 11, 23, 21, 0, tzinfo=UTC)) == []  # 16:00 there
        assert len(queue_due_digests(datetime(2026, 11, 23, 22, 0, tzinfo=UTC))) == 1  # 17:00 there
        assert queue_due_digests(datetime(2026, 11, 23, 23, 0, tzinfo=UTC)) == []  # same day: no second
    run_jobs()
    (message,) = mail.outbox
    assert "23 November 2026" in message.subject and message.to == ["alice@example.com"]
    assert Delivery.objects.get().digest_date.isoformat() == "2026-11-23"


def test_a_practice_in_london_gets_its_digest_at_its_own_hour(ashford_list, alice, settings):
    settings.DIGEST_HOUR = 17
    UserPreferences.objects.create(user=alice, modes={Category.ACCOUNTS: EmailMode.DIGEST})
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC)):
        fan_out_events([stored_filing("09876543").id])
    assert queue_due_digests(datetime(2026, 6, 1, 15, 30, tzinfo=UTC)) == []  # 16:30 British Summer Time
    assert len(queue_due_digests(datetime(2026, 6, 1, 16, 0, tzinfo=UTC))) == 1  # 17:00 BST
