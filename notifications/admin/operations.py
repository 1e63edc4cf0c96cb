"""The operator's page in the admin, "Operations overview": is news flowing, and is anything piling
up or failing? Streams, queues (linking to django-rq's dashboard), failed deliveries of the last
day, bounced addresses."""

from __future__ import annotations

from datetime import timedelta

import django_rq
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from notifications.models import Delivery, EmailSuppression, OperationsOverview
from project.operators import OperatorReadOnly
from streams.models import StreamGap, StreamState


def overview() -> dict:
    now = timezone.now()
    streams = []
    for state in StreamState.objects.order_by("stream"):
        counters = state.counters or {}
        streams.append(
            {
                "state": state,
                "lag": state.lag_seconds(now),
                "heartbeat_age": (now - state.heartbeat_at).total_seconds() if state.heartbeat_at else None,
                "received": counters.get("received", 0),
                "matched": counters.get("matched", 0),
                "skipped": sum(state.skipped.values()),
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


@admin.register(OperationsOverview)
class OperationsOverviewAdmin(OperatorReadOnly, admin.ModelAdmin):
    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), **overview(), "title": "Operations overview"}
        return TemplateResponse(request, "admin/operations.html", context)
