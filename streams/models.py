"""What we hold from Companies House: companies as CH describes them, and what the stream listener
records (events, per-stream state and checkpoints, gaps, watch changes)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from streams.fields import CompanyNumberField


class Company(models.Model):
    """What we last heard from Companies House about one company, shared by every list.

    A row exists for every company on any client list (created when it is added) and for every
    company the streams have told us about that someone watches; `profile` is CH's company
    profile resource as last seen, at `profile_timepoint` of the companies stream.
    """

    company_number = CompanyNumberField(primary_key=True)
    name = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=50, blank=True)
    profile = models.JSONField(null=True, blank=True)
    profile_timepoint = models.BigIntegerField(null=True, blank=True)
    # From CH's REST API when the company is added to a list (backfill): a baseline at once.
    recent_filings = models.JSONField(null=True, blank=True, help_text="the newest filing-history items")
    backfilled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notifications_company"  # where it was made, before it moved to this app
        verbose_name_plural = "companies"
        ordering = ["company_number"]

    def __str__(self) -> str:
        return f"{self.company_number} {self.name}".strip()


class StreamState(models.Model):
    """One row per CH stream: the checkpoint and what an operator needs to see.

    `timepoint` is the checkpoint: the last timepoint processed, written in the same transaction
    as the events it covers. The other fields are status, written separately and often.
    """

    stream = models.CharField(max_length=64, primary_key=True)
    timepoint = models.BigIntegerField(null=True, blank=True)
    checkpoint_at = models.DateTimeField(null=True, blank=True)
    connected = models.BooleanField(default=False)
    connected_since = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    reconnects = models.PositiveIntegerField(default=0)
    counters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["stream"]
        verbose_name = "stream"

    def __str__(self) -> str:
        return self.stream

    def lag_seconds(self, now=None) -> float | None:
        """How far behind CH the listener is: now minus published_at of the last event."""
        if self.last_published_at is None:
            return None
        return max(0.0, ((now or timezone.now()) - self.last_published_at).total_seconds())

    @property
    def skipped(self) -> dict[str, int]:
        """Lines skipped, by reason (the listener counts them as `skipped_<reason>`)."""
        counters = self.counters or {}
        return {key.removeprefix("skipped_"): n for key, n in counters.items() if key.startswith("skipped_")}


class StreamGap(models.Model):
    """Timepoints CH could no longer give us (416 on resume): events there were never seen."""

    stream = models.CharField(max_length=64)
    from_timepoint = models.BigIntegerField(help_text="the checkpoint we tried to resume from")
    to_timepoint = models.BigIntegerField(
        null=True, blank=True, help_text="the first timepoint received after"
    )
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.stream} gap after {self.from_timepoint}"


class Event(models.Model):
    """A fact from CH about a watched company.

    `fact_key` makes a fact unique: a filing is one fact per transaction (a later event for the
    same transaction updates the row: `revision` counts those); any other event is one fact per
    version of its resource (its whole data, etag included: streams.store.fact_key), so a re-send
    of any earlier version is not stored, nor is an event that changes nothing but the etag.
    """

    stream = models.CharField(max_length=64)
    timepoint = models.BigIntegerField()
    published_at = models.DateTimeField(null=True, blank=True)
    # As CH wrote it (it has come in several shapes, one of them a 12-hour clock without AM/PM):
    # the moment above is our reading of it; order and dedupe use timepoints, never either.
    published_at_raw = models.CharField(max_length=64, blank=True, default="")
    resource_kind = models.CharField(max_length=64)
    resource_uri = models.CharField(max_length=400)
    resource_id = models.CharField(max_length=200, blank=True)
    company_number = models.CharField(max_length=8)
    event_type = models.CharField(max_length=16)
    fields_changed = models.JSONField(null=True, blank=True)
    data = models.JSONField()
    # For company-profile events: the profile we held before this one (None: the first we saw,
    # which only sets the baseline). The diff for people is made from these two.
    previous_data = models.JSONField(null=True, blank=True)
    data_hash = models.CharField(max_length=40)
    fact_key = models.CharField(max_length=450)
    revision = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]  # newest first, by the primary key's index
        # Every index costs the listener on each stored event (BENCHMARKS.md): the unique fact key
        # as a constraint (unique=True would add a LIKE twin), and the reconciler's, partial. Nothing
        # reads events by company or timepoint: people read notifications.
        constraints = [models.UniqueConstraint(fields=["fact_key"], name="event_fact_key_unique")]
        indexes = [
            models.Index(
                fields=["received_at"], condition=models.Q(fanned_out_at=None), name="event_not_fanned_out"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream}@{self.timepoint} {self.resource_kind} {self.company_number}"


class ResourceState(models.Model):
    """The hash of the latest data seen for a non-filing resource, to drop exact re-sends."""

    resource_uri = models.CharField(max_length=400, primary_key=True)
    data_hash = models.CharField(max_length=40)
    timepoint = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.resource_uri}@{self.timepoint}"


class WatchChange(models.Model):
    """A company was added to or removed from some client list.

    The listener polls this (id > last seen) to update its in-process watch index within a
    second, without reloading a million numbers. Rows older than an hour are pruned.
    """

    company_number = models.CharField(max_length=8)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.company_number} changed at {self.changed_at:%Y-%m-%d %H:%M:%S}"
