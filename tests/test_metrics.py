"""Prometheus metrics: present, and moving as streams are read, notifications made and emails
sent, queues fill and feed pages connect."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing.websocket import WebsocketCommunicator  # (channels.testing wants daphne)
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications import queueing
from notifications.delivery.sending import deliver
from notifications.fan_out import fan_out_events
from notifications.models import Delivery
from project.asgi import application
from streams.models import StreamGap
from tests.notifykit import stored_officer_change
from tests.streamkit import checkpoint, filing, wait_until


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.mark.django_db(transaction=True)
def test_stream_metrics_move_as_the_listener_reads(client, sim, listener, ashford_list):
    listener("filings", status_interval=0.2)
    first = sim.add("filings", filing("09876543", "M1"), filing("20000001", "M2"), b"{broken")
    wait_until(lambda: checkpoint("filings") == first[1])
    wait_until(
        lambda: (
            scrape(client).get(("clientwatch_stream_events_received_total", (("stream", "filings"),))) == 2
        )
    )
    before = scrape(client)
    assert before[("clientwatch_stream_events_matched_total", (("stream", "filings"),))] == 1
    skipped = (("reason", "malformed_json"), ("stream", "filings"))
    assert before[("clientwatch_stream_lines_skipped_total", skipped)] == 1
    assert before[("clientwatch_stream_connected", (("stream", "filings"),))] == 1
    assert before[("clientwatch_stream_last_timepoint", (("stream", "filings"),))] == first[1]
    assert before[("clientwatch_stream_lag_seconds", (("stream", "filings"),))] > 0

    more = sim.add("filings", *(filing(f"2000{n:04d}", f"N{n}") for n in range(10)))
    wait_until(lambda: checkpoint("filings") == more[-1])
    wait_until(
        lambda: scrape(client)[("clientwatch_stream_events_received_total", (("stream", "filings"),))] == 12
    )


@pytest.mark.django_db
def test_notifications_deliveries_and_queues_are_counted(client, ashford_list, alice, carol, redis_client):
    fan_out_events([stored_officer_change("09876543").id])
    deliver([Delivery.objects.order_by("id").first().id])
    queueing.enqueue_fan_out([123])
    metrics = scrape(client)
    assert metrics[("clientwatch_notifications_created_total", ())] >= 1
    assert metrics[("clientwatch_deliveries", (("channel", "email"), ("status", "sent")))] == 1
    assert metrics[("clientwatch_deliveries", (("channel", "email"), ("status", "pending")))] == 1
    assert metrics[("clientwatch_rq_jobs_waiting", (("queue", "default"),))] == 1
    assert metrics[("clientwatch_rq_jobs_failed", (("queue", "default"),))] == 0
    assert metrics[("clientwatch_delivery_latency_seconds", (("quantile", "0.5"),))] >= 0


@pytest.mark.django_db
def test_gaps_are_counted_by_kind_and_open_unhealed_and_healed_with_what_their_checks_did(
    client, redis_client
):
    now = timezone.now()
    StreamGap.objects.create(
        stream="filings",
        from_timepoint=100,
        to_timepoint=4101,
        to_time=now,
        heal_state=StreamGap.HEALED,
        companies_total=900,
        companies_checked=900,
        facts_found=17,
        requests=2700,
    )
    StreamGap.objects.create(
        stream="filings",
        kind=StreamGap.SKIPPED_AHEAD,
        from_timepoint=5000,
        to_timepoint=5051,
        to_time=now,
        heal_state=StreamGap.CHECKING,
        companies_total=900,
        companies_checked=300,
        facts_found=2,
    )
    StreamGap.objects.create(stream="filings", kind=StreamGap.SILENT, from_timepoint=6000, from_time=now)
    StreamGap.objects.create(
        stream="charges",
        kind=StreamGap.SILENT,
        from_timepoint=10,
        to_timepoint=20,
        from_time=now,
        to_time=now,
        heal_state=StreamGap.NOT_CHECKED,
    )

    metrics = scrape(client)

    def value(name, stream, **labels):
        return metrics[(name, tuple(sorted({"stream": stream, **labels}.items())))]

    assert value("clientwatch_stream_gaps_total", "filings", kind="out_of_range") == 1
    assert value("clientwatch_stream_gaps_total", "filings", kind="skipped_ahead") == 1
    assert value("clientwatch_stream_gaps_total", "filings", kind="silent") == 1
    assert value("clientwatch_stream_gaps_total", "charges", kind="silent") == 1
    assert [value("clientwatch_stream_gaps_open", s) for s in ("filings", "charges")] == [1, 0]
    assert [value("clientwatch_stream_gaps_unhealed", s) for s in ("filings", "charges")] == [2, 0]
    assert [value("clientwatch_stream_gaps_healed", s) for s in ("filings", "charges")] == [1, 0]
    # 4000 + 50 between the timepoints; a silence spans no known timepoints, even once closed
    assert [value("clientwatch_stream_gap_missed_timepoints", s) for s in ("filings", "charges")] == [4050, 0]
    assert value("clientwatch_stream_gap_facts_found", "filings") == 19
    assert value("clientwatch_stream_gap_companies_checked", "filings") == 1200


@pytest.mark.django_db(transaction=True)
def test_connected_feed_pages_are_counted(client, ashford_list, carol, redis_client):
    from tests.test_feed_socket import ORIGIN, session_cookie

    async def open_count_close():
        cookie = await sync_to_async(session_cookie)(carol)
        socket = WebsocketCommunicator(
            application, f"/ws/feed/{ashford_list.organisation_id}/", headers=[ORIGIN, (b"cookie", cookie)]
        )
        connected, _ = await socket.connect(timeout=5)
        assert connected
        while_open = await sync_to_async(scrape)(client)
        await socket.disconnect()
        return while_open, await sync_to_async(scrape)(client)

    while_open, after = async_to_sync(open_count_close)()
    assert while_open[("clientwatch_websocket_clients", ())] == 1
    assert after[("clientwatch_websocket_clients", ())] == 0


@pytest.mark.django_db
def test_with_a_token_set_metrics_want_it(client, settings, redis_client):
    settings.METRICS_TOKEN = "scrape-secret-123"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer scrape-secret-123")
