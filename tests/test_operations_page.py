"""The operator's one page in the admin: streams, queues, failed deliveries, bounced addresses."""

from __future__ import annotations

import re
from datetime import UTC, datetime

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


def gap_rows(page: str) -> list[list[str]]:
    table = page[page.index('<table class="gaps">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]


def test_each_recent_gap_shows_its_kind_times_and_how_far_its_check_has_got(client, operator, redis_client):
    night = datetime(2025, 12, 1, 2, 10, tzinfo=UTC)
    StreamGap.objects.create(
        stream="filings",
        kind=StreamGap.OUT_OF_RANGE,
        from_timepoint=168_000_100,
        to_timepoint=168_004_101,
        from_time=night,
        to_time=night.replace(hour=3, minute=40),
        detected_at=night.replace(hour=3, minute=41),
        heal_state=StreamGap.HEALED,
        companies_total=9000,
        companies_checked=9000,
        checked_through="SC999999",
        facts_found=17,
        requests=27_000,
        passes=1,
    )
    StreamGap.objects.create(
        stream="companies",
        kind=StreamGap.SILENT,
        from_time=night.replace(hour=14, minute=2),
        detected_at=night.replace(hour=14, minute=20),
        heal_state=StreamGap.CHECKING,
        companies_total=9000,
        companies_checked=1200,
        checked_through="01234567",
        requests=1300,
        passes=2,
    )
    client.force_login(operator)

    rows = gap_rows(client.get(URL).content.decode())

    assert rows == [
        ["companies", "silent", "-", "-", "1 Dec 14:02:00", "open", "checking (2 passes)",
         "1200 / 9000 (to 01234567)", "1300", "0", "1 Dec 14:20:00"],
        ["filings", "out_of_range", "after 168000100 up to 168004101", "4000", "1 Dec 02:10:00",
         "1 Dec 03:40:00", "checked", "9000 / 9000", "27000", "17", "1 Dec 03:41:00"],
    ]  # fmt: skip


def test_a_practice_admin_cannot_open_it(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 403
