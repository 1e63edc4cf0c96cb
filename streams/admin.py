"""The operator's view of the streams: connection, checkpoint, lag, counters, gaps, events.

Read-only and for superusers: stream state spans every practice.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join

from notifications.admin.scoping import is_operator

from .models import Event, OperationsOverview, StreamGap, StreamState


class OperatorReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return is_operator(request)

    def has_view_permission(self, request, obj=None):
        return is_operator(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OperationsOverview)
class OperationsOverviewAdmin(OperatorReadOnly):
    """One page: streams, queues (linking to django-rq's dashboard), failed deliveries of the last
    day, bounced addresses."""

    def changelist_view(self, request, extra_context=None):
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        from .operations import overview

        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), **overview(), "title": "Operations overview"}
        return TemplateResponse(request, "admin/operations.html", context)


@admin.register(StreamState)
class StreamStateAdmin(OperatorReadOnly):
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
        seconds = state.lag_seconds
        if seconds is None:
            return "—"
        if seconds < 120:
            return f"{seconds:.0f} s"
        return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"

    @admin.display(description="counters")
    def counter_summary(self, state: StreamState) -> str:
        return format_html_join(", ", "{}: {}", sorted(state.counters.items())) or "—"


@admin.register(StreamGap)
class StreamGapAdmin(OperatorReadOnly):
    list_display = ["stream", "from_timepoint", "to_timepoint", "detected_at"]
    list_filter = ["stream"]


@admin.register(Event)
class EventAdmin(OperatorReadOnly):
    list_display = [
        "stream",
        "timepoint",
        "published_at",
        "company_number",
        "resource_kind",
        "event_type",
        "in_words",
        "revision",
        "fanned_out_at",
    ]
    list_filter = ["stream", "resource_kind", "event_type"]
    search_fields = ["company_number", "resource_id"]
    readonly_fields = ["in_words", *(f.name for f in Event._meta.fields)]

    @admin.display(description="in words")
    def in_words(self, event: Event) -> str:
        """What the notifications about it say (notifications.content): the same words everywhere."""
        from notifications.content import describe

        content = describe(event)
        if content is None:
            return "(no news: a first profile, or nothing meaningful changed)"
        return f"[{content.severity}] {content.title}" + (f" | {content.body}" if content.body else "")

    show_full_result_count = False  # counting millions of rows on every page view is slow
