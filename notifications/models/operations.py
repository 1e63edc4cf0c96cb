from __future__ import annotations

from streams.models import StreamState


class OperationsOverview(StreamState):
    """The admin's one-page operator view (streams, queues, failed deliveries, bounced addresses):
    a proxy so the admin can list it; it stores nothing of its own."""

    class Meta:
        proxy = True
        verbose_name = "operations overview"
        verbose_name_plural = "operations overview"
