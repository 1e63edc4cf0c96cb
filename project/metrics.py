"""Prometheus metrics at /metrics, read at scrape time from the shared record (PostgreSQL) and
transport (Redis), so the listener's, the workers' and every web process's numbers are one view
whichever host they run on, with nothing to aggregate between processes.

- streams: events received, matched and skipped by reason (the listener's counters, written
  every 2 s), last timepoint, lag (now minus the last event's published_at), connected,
  reconnects; gaps by kind (all time), open, still to be checked, checked, and what the checks
  found, asked and covered;
- notifications created (the id sequence: monotonic, whatever retention deletes);
- deliveries by channel and status; delivery latency (notification made -> sent) over the last
  15 minutes, as quantiles;
- RQ: jobs waiting per queue, failed jobs;
- WebSocket clients connected (each live socket holds a key in Redis that expires if its
  process dies).
"""

from __future__ import annotations

from datetime import timedelta

import django_rq
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Q, Sum, Value
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from rq.registry import FailedJobRegistry

from notifications.feed.live import SOCKET_KEY_PREFIX
from notifications.models import Delivery, Notification
from project import redis_connection
from streams.models import StreamGap, StreamState

LATENCY_WINDOW = timedelta(minutes=15)


class ClientWatchCollector:
    def collect(self):
        yield from _streams()
        yield from _gaps()
        yield from _notifications()
        yield from _queues()
        yield _websockets()


def _streams():

    received = CounterMetricFamily("clientwatch_stream_events_received", "Events read", labels=["stream"])
    matched = CounterMetricFamily(
        "clientwatch_stream_events_matched", "Events about a watched company", labels=["stream"]
    )
    skipped = CounterMetricFamily(
        "clientwatch_stream_lines_skipped", "Lines skipped, by reason", labels=["stream", "reason"]
    )
    timepoint = GaugeMetricFamily("clientwatch_stream_last_timepoint", "Checkpoint", labels=["stream"])
    lag = GaugeMetricFamily(
        "clientwatch_stream_lag_seconds", "Now minus the last event's published_at", labels=["stream"]
    )
    connected = GaugeMetricFamily("clientwatch_stream_connected", "1 when connected", labels=["stream"])
    reconnects = CounterMetricFamily("clientwatch_stream_reconnects", "Reconnections", labels=["stream"])
    now = timezone.now()
    for state in StreamState.objects.all():
        counters = state.counters or {}
        received.add_metric([state.stream], counters.get("received", 0))
        matched.add_metric([state.stream], counters.get("matched", 0))
        for reason, value in state.skipped.items():
            skipped.add_metric([state.stream, reason], value)
        if state.timepoint is not None:
            timepoint.add_metric([state.stream], state.timepoint)
        if state.last_published_at:
            lag.add_metric([state.stream], state.lag_seconds(now))
        connected.add_metric([state.stream], 1 if state.connected else 0)
        reconnects.add_metric([state.stream], state.reconnects)
    yield from (received, matched, skipped, timepoint, lag, connected, reconnects)


def _gaps():

    gaps = CounterMetricFamily(
        "clientwatch_stream_gaps",
        "Gaps recorded (a 416, a resume far ahead, a silence)",
        labels=["stream", "kind"],
    )
    for stream, kind, count in (
        StreamGap.objects.values_list("stream", "kind").annotate(n=Count("id")).order_by()
    ):
        gaps.add_metric([stream, kind], count)
    yield gaps
    # Gauges, not counters: a silent gap's check starts again when events resume, so the healed
    # count and the companies checked go down as well as up.
    families = {
        "open": ("clientwatch_stream_gaps_open", "Gaps still open (a stream still silent)"),
        "unhealed": ("clientwatch_stream_gaps_unhealed", "Gaps waiting for or under their check"),
        "healed": ("clientwatch_stream_gaps_healed", "Gaps checked through the REST API"),
        "missed": ("clientwatch_stream_gap_missed_timepoints", "Timepoints inside gaps (not silences)"),
        "facts": ("clientwatch_stream_gap_facts_found", "Facts the gap checks found that we lacked"),
        "checked": ("clientwatch_stream_gap_companies_checked", "Companies the gap checks have covered"),
    }
    gauges = {key: GaugeMetricFamily(name, text, labels=["stream"]) for key, (name, text) in families.items()}
    spanned = ~Q(kind=StreamGap.SILENT) & Q(from_timepoint__isnull=False, to_timepoint__isnull=False)
    totals = (
        StreamGap.objects.values("stream")
        .annotate(
            open=Count("id", filter=Q(to_time=None)),
            unhealed=Count("id", filter=Q(heal_state__in=[StreamGap.WAITING, StreamGap.CHECKING])),
            healed=Count("id", filter=Q(heal_state=StreamGap.HEALED)),
            # As StreamGap.missed_timepoints reckons it, summed in the database.
            missed=Sum(Greatest(F("to_timepoint") - F("from_timepoint") - 1, Value(0)), filter=spanned),
            facts=Sum("facts_found"),
            checked=Sum("companies_checked"),
        )
        .order_by("stream")
    )
    for row in totals:
        for key, gauge in gauges.items():
            gauge.add_metric([row["stream"]], row[key] or 0)
    yield from gauges.values()


def _notifications():

    created = CounterMetricFamily("clientwatch_notifications_created", "Notifications made (all time)")
    created.add_metric([], Notification.objects.aggregate(n=Max("id"))["n"] or 0)
    yield created
    deliveries = GaugeMetricFamily(
        "clientwatch_deliveries", "Delivery rows by channel and status", labels=["channel", "status"]
    )
    for channel, status, count in Delivery.objects.values_list("channel", "status").annotate(n=Count("id")):
        deliveries.add_metric([channel, status], count)
    yield deliveries
    if connection.vendor == "postgresql":
        latency = GaugeMetricFamily(
            "clientwatch_delivery_latency_seconds",
            "Notification made to email sent, over the last 15 minutes",
            labels=["quantile"],
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY "
                "extract(epoch FROM d.sent_at - n.created_at)) FROM notifications_delivery d "
                "JOIN notifications_notification n ON n.id = d.notification_id WHERE d.sent_at >= %s",
                [timezone.now() - LATENCY_WINDOW],
            )
            quantiles = cursor.fetchone()[0]
        for q, value in zip(("0.5", "0.95", "0.99"), quantiles or (), strict=False):
            if value is not None:
                latency.add_metric([q], float(value))
        yield latency


def _queues():

    waiting = GaugeMetricFamily("clientwatch_rq_jobs_waiting", "Jobs waiting in a queue", labels=["queue"])
    failed = GaugeMetricFamily("clientwatch_rq_jobs_failed", "Jobs in the failed registry", labels=["queue"])
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name)
        waiting.add_metric([name], queue.count)
        failed.add_metric([name], FailedJobRegistry(queue=queue).count)
    yield from (waiting, failed)


def _websockets():

    redis = redis_connection.connection()
    count = sum(1 for _ in redis.scan_iter(match=f"{SOCKET_KEY_PREFIX}*", count=1000))
    gauge = GaugeMetricFamily("clientwatch_websocket_clients", "Feed pages connected now")
    gauge.add_metric([], count)
    return gauge


def monitoring_allowed(request: HttpRequest) -> bool:
    """Whether the request may read operator detail: always when METRICS_TOKEN is unset, else
    only with "Authorization: Bearer <token>"."""

    token = settings.METRICS_TOKEN
    return not token or constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}")


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not monitoring_allowed(request):
        return HttpResponse(
            "metrics need the bearer token (METRICS_TOKEN)\n", status=401, content_type="text/plain"
        )
    registry = CollectorRegistry()
    registry.register(ClientWatchCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
