"""What the operator's page shows: is news flowing, and is anything piling up or failing?"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import StreamGap, StreamState


def overview() -> dict:
    import django_rq
    from django.conf import settings
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    from notifications.models import Delivery, EmailSuppression

    now = timezone.now()
    streams = []
    for state in StreamState.objects.order_by("stream"):
        counters = state.counters or {}
        streams.append(
            {
                "state": state,
                "lag": (now - state.last_published_at).total_seconds() if state.last_published_at else None,
                "heartbeat_age": (now - state.heartbeat_at).total_seconds() if state.heartbeat_at else None,
                "received": counters.get("received", 0),
                "matched": counters.get("matched", 0),
                "skipped": sum(v for k, v in counters.items() if k.startswith("skipped_")),
                "gaps": StreamGap.objects.filter(stream=state.stream).count(),
            }
        )
    queues = []
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name)
        queues.append(
            {
                "name": name,
                "waiting": queue.count,
                "running": StartedJobRegistry(queue=queue).count,
                "scheduled": ScheduledJobRegistry(queue=queue).count,
                "failed": FailedJobRegistry(queue=queue).count,
            }
        )
    since = now - timedelta(days=1)
    failed = Delivery.objects.filter(status=Delivery.Status.FAILED, updated_at__gte=since).select_related(
        "user", "notification"
    )
    return {
        "streams": streams,
        "gaps": StreamGap.objects.order_by("-detected_at")[:10],
        "queues": queues,
        "failed_deliveries": failed.order_by("-updated_at")[:50],
        "failed_count": failed.count(),
        "suppressed": EmailSuppression.objects.order_by("-created_at")[:50],
    }
