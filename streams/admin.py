"""The operator's view of the streams: connection, checkpoint, lag, counters, gaps. (The stored
events are listed with their words by notifications/admin/events.py.)

Read-only and for superusers: stream state spans every practice.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join

from project.operators import OperatorReadOnly
from streams.models import StreamGap, StreamState


@admin.register(StreamState)
class StreamStateAdmin(OperatorReadOnly, admin.ModelAdmin):
    list_display = [
        "stream",
        "connection",
        "timepoint",
        "last_event_at",
        "lag",
        "heartbeat_at",
        "reconnects",
        "counter_summary",
        "last_error",
    ]
    readonly_fields = [f.name for f in StreamState._meta.fields] + ["lag"]

    @admin.display(description="connected", boolean=True, ordering="connected")
    def connection(self, state: StreamState) -> bool:
        return state.connected

    @admin.display(description="lag")
    def lag(self, state: StreamState) -> str:
        seconds = state.lag_seconds()
        if seconds is None:
            return "—"
        if seconds < 120:
            return f"{seconds:.0f} s"
        return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"

    @admin.display(description="counters")
    def counter_summary(self, state: StreamState) -> str:
        return format_html_join(", ", "{}: {}", sorted(state.counters.items())) or "—"


@admin.register(StreamGap)
class StreamGapAdmin(OperatorReadOnly, admin.ModelAdmin):
    list_display = ["stream", "from_timepoint", "to_timepoint", "detected_at"]
    list_filter = ["stream"]
