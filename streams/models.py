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
    """A stretch of a stream we did not see, and how far checking CH's REST API has healed it.

    Three ways a gap shows (streams.gaps): CH answers 416 to the resume (`out_of_range`); the
    resume's first event is far past the checkpoint (`skipped_ahead`: CH's stream code has
    answered a too-old timepoint with an empty replay); or a connected stream stays silent longer
    than its expected rate allows (`silent`: open until events come again). The watched companies
    are then checked through the REST API (streams.heal), in company-number order: the progress is
    kept here, so a check interrupted anywhere goes on where it stopped.
    """

    OUT_OF_RANGE, SKIPPED_AHEAD, SILENT = "out_of_range", "skipped_ahead", "silent"
    KINDS = [
        (OUT_OF_RANGE, "Companies House no longer had the events (416)"),
        (SKIPPED_AHEAD, "resumed far past the checkpoint"),
        (SILENT, "connected but silent"),
    ]
    WAITING, CHECKING, HEALED, NOT_CHECKED = "waiting", "checking", "healed", "not_checked"
    HEAL_STATES = [
        (WAITING, "waiting to be checked"),
        (CHECKING, "checking"),
        (HEALED, "checked"),
        (NOT_CHECKED, "cannot be checked"),  # a stream the REST API cannot replay, or no API key
    ]

    stream = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=KINDS, default=OUT_OF_RANGE)
    from_timepoint = models.BigIntegerField(
        null=True, blank=True, help_text="the checkpoint: the last timepoint before the gap"
    )
    to_timepoint = models.BigIntegerField(
        null=True, blank=True, help_text="the first timepoint received after"
    )
    from_time = models.DateTimeField(null=True, blank=True, help_text="until then, the record is complete")
    to_time = models.DateTimeField(
        null=True, blank=True, help_text="when events came again (empty: the gap is still open)"
    )
    detected_at = models.DateTimeField(default=timezone.now)
    heal_state = models.CharField(max_length=16, choices=HEAL_STATES, default=WAITING)
    companies_total = models.PositiveIntegerField(default=0, help_text="watched companies to check")
    companies_checked = models.PositiveIntegerField(default=0)
    checked_through = models.CharField(
        max_length=8, blank=True, help_text="the companies are checked in number order, up to this one"
    )
    facts_found = models.PositiveIntegerField(default=0, help_text="what the check found that we lacked")
    requests = models.PositiveIntegerField(default=0, help_text="REST API requests the check made")
    passes = models.PositiveIntegerField(default=0, help_text="checks started (a silent gap: two)")
    heal_started_at = models.DateTimeField(null=True, blank=True)
    healed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)  # a worker is checking until then

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.stream} gap after {self.from_timepoint}"

    @property
    def is_open(self) -> bool:
        return self.to_time is None

    @property
    def missed_timepoints(self) -> int | None:
        """How many timepoints the gap spans, where the sequence says (not after a silence)."""
        if self.kind == self.SILENT or self.from_timepoint is None or self.to_timepoint is None:
            return None
        return max(0, self.to_timepoint - self.from_timepoint - 1)


class Officer(models.Model):
    """An officer CH's REST API lists for a watched company (backfill and gap checks fetch them):
    who sits where, for matching a disqualified officer, who is named but not numbered."""

    appointment_uri = models.CharField(max_length=400, primary_key=True)  # /company/{n}/appointments/{id}
    company_number = models.CharField(max_length=8, db_index=True)
    name = models.CharField(max_length=300)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(null=True, blank=True)
    resigned_on = models.DateField(null=True, blank=True)
    data = models.JSONField()
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.company_number})"


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
    # Found by checking CH's REST API for a gap (streams.heal), not read from the stream.
    gap = models.ForeignKey(
        StreamGap, null=True, blank=True, on_delete=models.SET_NULL, related_name="facts", db_index=False
    )

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
            # Partial: the listener's rows (no gap) never touch it.
            models.Index(
                fields=["gap"], condition=models.Q(gap__isnull=False), name="event_found_by_gap_check"
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
