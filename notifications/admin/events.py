"""The events the listener stored, for the operator, each with what the notifications about it
say (the same words as the feed and the emails)."""

from __future__ import annotations

from django.contrib import admin

from notifications.content.describe import describe
from project.operators import OperatorReadOnly
from streams.models import Event


@admin.register(Event)
class EventAdmin(OperatorReadOnly, admin.ModelAdmin):
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
        """What the notifications about it say: the same words everywhere."""
        content = describe(event)
        if content is None:
            return "(no news: a first profile, or nothing meaningful changed)"
        return f"[{content.severity}] {content.title}" + (f" | {content.body}" if content.body else "")

    show_full_result_count = False  # counting millions of rows on every page view is slow
