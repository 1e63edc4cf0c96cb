"""The operator's one page in the admin: streams, queues, failed deliveries, bounced addresses."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications import queueing
from notifications.models import Delivery, EmailSuppression
from streams.models import StreamGap, StreamState

pytestmark = pytest.mark.django_db
URL = "/admin/notifications/operationsoverview/"


def test_the_operator_sees_streams_queues_failures_and_bounces_at_a_glance(
    client, operator, alice, redis_client
):
    now = timezone.now()
    StreamState.objects.create(
        stream="filings",
        timepoint=168_000_123,
        connected=True,
        heartbeat_at=now,
        last_published_at=now,
        counters={"received": 1000, "matched": 40, "skipped_malformed_json": 3},
    )
    StreamState.objects.create(stream="companies", connected=False, last_error="ConnectError: refused")
    StreamGap.objects.create(stream="companies", from_timepoint=10, to_timepoint=20)
    Delivery.objects.create(
        user=alice, digest_date=now.date(), status="failed", last_error="provider refused it (422)"
    )
    EmailSuppression.objects.create(address="bounced@example.com", reason="bounced")
    queueing.enqueue_fan_out([1, 2])
    client.force_login(operator)

    page = client.get(URL).content.decode()

    assert "168000123" in page and "1000" in page and "ConnectError: refused" in page
    assert "after 10 up to 20" in page
    assert "/admin/django_rq/dashboard/" in page
    assert "Deliveries failed in the last day: 1" in page and "provider refused it (422)" in page
    assert "bounced@example.com" in page


def test_a_practice_admin_cannot_open_it(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 403
