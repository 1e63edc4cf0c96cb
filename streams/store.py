"""Writing a batch of matched events and the stream's checkpoint in one transaction.

Guarantee 1 of DESIGN.md lives here: the checkpoint only moves in the transaction that stores
the events before it, so after any crash the listener resumes where the record ends. Guarantee 2
starts here: a replayed or re-sent event never becomes a second fact (see Event.fact_key).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.jobs import enqueue_fan_out
from notifications.models import Company

from .events import StreamEvent, data_hash, published_at
from .models import Event, ResourceState, StreamState

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    new_ids: list[int] = field(default_factory=list)
    updated: int = 0
    duplicates: int = 0


def fact_key(stream: str, event: StreamEvent) -> str:
    if event.is_filing:
        return f"filing:{event.resource_uri}"
    return f"{stream}:{event.timepoint}"


def save_batch(stream: str, events: Sequence[StreamEvent], checkpoint: int | None) -> BatchResult:
    """Store events (in stream order) and move the checkpoint to `checkpoint`, atomically.

    After commit the new facts' ids are queued for fan-out. Runs in a worker thread.
    """
    close_old_connections()  # a connection broken by a database restart is replaced here
    with transaction.atomic():
        result = _store(stream, events) if events else BatchResult()
        if checkpoint is not None:
            _move_checkpoint(stream, checkpoint)
        if result.new_ids:
            transaction.on_commit(partial(enqueue_fan_out, result.new_ids), robust=True)
    return result


def _move_checkpoint(stream: str, timepoint: int) -> None:
    now = timezone.now()
    moved = StreamState.objects.filter(Q(timepoint__lt=timepoint) | Q(timepoint__isnull=True), stream=stream)
    if not moved.update(timepoint=timepoint, checkpoint_at=now):
        StreamState.objects.get_or_create(
            stream=stream, defaults={"timepoint": timepoint, "checkpoint_at": now}
        )


def _store(stream: str, events: Sequence[StreamEvent]) -> BatchResult:
    result = BatchResult()
    now = timezone.now()
    keys = [fact_key(stream, e) for e in events]
    existing = {row.fact_key: row for row in Event.objects.filter(fact_key__in=keys)}
    uris = [e.resource_uri for e in events if not e.is_filing]
    latest = {
        s.resource_uri: (s.timepoint, s.data_hash)
        for s in ResourceState.objects.filter(resource_uri__in=uris)
    }
    profiles = _profiles_for([e for e in events if e.resource_kind == "company-profile"])

    new: dict[str, Event] = {}
    changed: dict[str, Event] = {}
    states: dict[str, ResourceState] = {}
    for event, key in zip(events, keys, strict=True):
        envelope = event.envelope
        content = data_hash(envelope["data"])
        stored = new.get(key) or changed.get(key) or existing.get(key)
        if stored is not None:
            # A filing seen before (or this very event replayed): newer data updates the fact.
            if event.is_filing and event.timepoint > stored.timepoint and content != stored.data_hash:
                _refresh(stored, event, content, now, stored=stored.pk is not None)
                if stored.pk:
                    changed[key] = stored
            else:
                result.duplicates += 1
            continue
        if not event.is_filing:
            seen = latest.get(event.resource_uri)
            if seen is not None and seen[1] == content:
                result.duplicates += 1  # CH re-sent the resource as it already was
                continue
            if seen is None or event.timepoint > seen[0]:
                latest[event.resource_uri] = (event.timepoint, content)
                states[event.resource_uri] = ResourceState(
                    resource_uri=event.resource_uri, data_hash=content, timepoint=event.timepoint
                )
        row = Event(
            stream=stream,
            timepoint=event.timepoint,
            published_at=published_at(envelope),
            resource_kind=event.resource_kind,
            resource_uri=event.resource_uri,
            resource_id=str(envelope.get("resource_id") or "")[:200],
            company_number=event.company_number,
            event_type=str(envelope["event"].get("type") or "changed")[:16],
            fields_changed=envelope["event"].get("fields_changed"),
            data=envelope["data"],
            data_hash=content,
            fact_key=key,
            received_at=now,
            updated_at=now,
        )
        if event.resource_kind == "company-profile":
            row.previous_data = _advance_profile(profiles, event)
        new[key] = row

    # ignore_conflicts: a second listener started by mistake may have stored the same fact.
    Event.objects.bulk_create(new.values(), ignore_conflicts=True, batch_size=500)
    if changed:
        Event.objects.bulk_update(
            changed.values(),
            [
                "timepoint",
                "published_at",
                "event_type",
                "fields_changed",
                "data",
                "data_hash",
                "revision",
                "updated_at",
            ],
        )
    if states:
        ResourceState.objects.bulk_create(
            states.values(),
            update_conflicts=True,
            unique_fields=["resource_uri"],
            update_fields=["data_hash", "timepoint"],
        )
    _save_profiles(profiles)
    result.new_ids = list(
        Event.objects.filter(fact_key__in=list(new), revision=1).values_list("id", flat=True)
    )
    result.updated = len(changed)
    return result


def _refresh(row: Event, event: StreamEvent, content: str, now, *, stored: bool) -> None:
    envelope = event.envelope
    row.timepoint = event.timepoint
    row.published_at = published_at(envelope)
    row.event_type = str(envelope["event"].get("type") or "changed")[:16]
    row.fields_changed = envelope["event"].get("fields_changed")
    row.data = envelope["data"]
    row.data_hash = content
    row.revision += stored  # a row not yet written is still its first revision
    row.updated_at = now


def _profiles_for(events: Sequence[StreamEvent]) -> dict[str, Company]:
    numbers = {e.company_number for e in events}
    companies = {c.company_number: c for c in Company.objects.filter(company_number__in=numbers)}
    for number in numbers - companies.keys():
        companies[number] = Company(company_number=number)
    for company in companies.values():
        company._changed = False
    return companies


def _advance_profile(companies: dict[str, Company], event: StreamEvent) -> dict | None:
    """Record the profile on the company, returning the one it replaces (the diff's "before")."""
    company = companies[event.company_number]
    previous = company.profile
    if event.envelope["event"].get("type") == "deleted":
        return previous
    if company.profile_timepoint is None or event.timepoint > company.profile_timepoint:
        data = event.envelope["data"]
        company.profile = data
        company.profile_timepoint = event.timepoint
        company.name = str(data.get("company_name") or company.name)[:300]
        company.status = str(data.get("company_status") or company.status)[:50]
        company._changed = True
    return previous


def _save_profiles(companies: dict[str, Company]) -> None:
    changed = [c for c in companies.values() if c._changed]
    if not changed:
        return
    Company.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["company_number"],
        update_fields=["name", "status", "profile", "profile_timepoint", "updated_at"],
    )
