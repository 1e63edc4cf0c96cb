"""Writing a batch of matched events and the stream's checkpoint in one transaction.

Guarantee 1 (README, Guarantees) lives here: the checkpoint only moves in the transaction that stores
the events before it, so after any crash the listener resumes where the record ends. Guarantee 2
starts here: a replayed or re-sent event never becomes a second fact (see Event.fact_key).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from streams import hooks
from streams.models import Company

from .copy_rows import write_filings_raw, write_rows_copy
from .events import StreamEvent, content_hash, digest, published_at, raw_published_at
from .facts import COLUMNS, UPDATED_FIELDS, Fact
from .gaps import GapSeen, record_gap
from .models import Event, ResourceState, StreamState

log = logging.getLogger(__name__)
KEY_LENGTH = 450  # Event.fact_key's max_length


@dataclass
class BatchResult:
    new_ids: list[int] = field(default_factory=list)
    updated: int = 0
    duplicates: int = 0


def fact_key(stream: str, event: StreamEvent) -> str:
    """A filing: its transaction. Anything else: the resource in this exact version (its whole
    data, etag included), so that CH re-sending any earlier event is recognised, not only its
    latest; a change back to earlier content comes with a new etag and is a new fact."""
    if event.is_filing:
        return f"filing:{event.resource_uri}" + (":deleted" if event.is_deletion else "")
    data = event.envelope["data"]
    version = digest({"deleted": data}) if event.is_deletion else digest(data)
    key = f"{stream}:{event.resource_uri}#{version}"
    if len(key) > KEY_LENGTH:
        return f"{stream}:#{hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()}"
    return key


def save_batch(
    stream: str,
    events: Sequence[StreamEvent],
    checkpoint: int | None,
    gap: GapSeen | None = None,
    *,
    bulk_copy: bool | None = None,
) -> BatchResult:
    """Store events (in stream order) and move the checkpoint to `checkpoint`, atomically.

    After commit the new facts' ids are queued for fan-out. Runs in a worker thread. On
    PostgreSQL rows go in by COPY (bulk_copy); elsewhere (SQLite under make run) by the ORM.
    """
    if not connection.in_atomic_block:  # (tests call this inside their own transaction)
        close_old_connections()  # a connection broken by a database restart is replaced here
    if bulk_copy is None:
        bulk_copy = connection.vendor == "postgresql"
    with transaction.atomic():
        result = _store(stream, events, bulk_copy=bulk_copy) if events else BatchResult()
        if gap is not None:  # (before the checkpoint moves: its time is where the record ends)
            record_gap(stream, gap)
        if checkpoint is not None:
            # After a gap the sequence may have restarted below the old checkpoint: follow it.
            _move_checkpoint(stream, checkpoint, backwards=gap is not None)
        if result.new_ids:
            transaction.on_commit(partial(hooks.events_stored, result.new_ids), robust=True)
    return result


def _move_checkpoint(stream: str, timepoint: int, *, backwards: bool = False) -> None:
    """Forward only (a second listener by mistake must not drag it back), unless told otherwise."""
    now = timezone.now()
    moved = StreamState.objects.filter(stream=stream)
    if not backwards:
        moved = moved.filter(Q(timepoint__lt=timepoint) | Q(timepoint__isnull=True))
    if not moved.update(timepoint=timepoint, checkpoint_at=now):
        StreamState.objects.get_or_create(
            stream=stream, defaults={"timepoint": timepoint, "checkpoint_at": now}
        )


def _store(stream: str, events: Sequence[StreamEvent], *, bulk_copy: bool) -> BatchResult:
    result = BatchResult()
    now = timezone.now()
    if bulk_copy and all(e.is_filing for e in events):
        result.new_ids, result.updated = write_filings_raw(stream, events, now)
        result.duplicates = len(events) - len(result.new_ids) - result.updated
        return result
    uris = [e.resource_uri for e in events if not e.is_filing]
    latest = {}
    if uris:
        latest = {
            s.resource_uri: (s.timepoint, s.data_hash)
            for s in ResourceState.objects.filter(resource_uri__in=uris)
        }
    profiles = _profiles_for([e for e in events if e.resource_kind == "company-profile"])
    keys = [fact_key(stream, e) for e in events]
    # Versions stored before (CH re-sending an older event): no new fact, and no state wound back.
    known = set(
        Event.objects.filter(
            fact_key__in=[k for k, e in zip(keys, events, strict=True) if not e.is_filing]
        ).values_list("fact_key", flat=True)
    )

    rows: dict[str, Fact] = {}
    states: dict[str, ResourceState] = {}
    for key, event in zip(keys, events, strict=True):
        envelope = event.envelope
        if key in known:
            result.duplicates += 1
            continue
        content = content_hash(event)
        if key in rows and not event.is_filing:  # a version re-sent within this batch
            result.duplicates += 1
            continue
        if key in rows:  # the same filing twice in this batch: the later event wins
            if event.timepoint > rows[key].timepoint and content != rows[key].data_hash:
                _refresh(rows[key], event, content, now)
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
        row = Fact(
            stream=stream,
            timepoint=event.timepoint,
            published_at=published_at(envelope),
            published_at_raw=raw_published_at(envelope),
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
            previous_data=None,
            revision=1,
        )
        if event.resource_kind == "company-profile":
            row.previous_data = _advance_profile(profiles, event)
        elif event.is_deletion:
            row.previous_data = _last_version(event.resource_uri)
        rows[key] = row

    write = write_rows_copy if bulk_copy else _write_rows_orm
    result.new_ids, result.updated = write(list(rows.values())) if rows else ([], 0)
    result.duplicates += len(rows) - len(result.new_ids) - result.updated
    if states:
        ResourceState.objects.bulk_create(
            states.values(),
            update_conflicts=True,
            unique_fields=["resource_uri"],
            update_fields=["data_hash", "timepoint"],
        )
    _save_profiles(profiles)
    return result


def _write_rows_orm(rows: list[Fact]) -> tuple[list[int], int]:
    existing = {e.fact_key: e for e in Event.objects.filter(fact_key__in=[r.fact_key for r in rows])}
    new, changed = [], []
    for row in rows:
        stored = existing.get(row.fact_key)
        if stored is None:
            new.append(Event(**{name: getattr(row, name) for name in COLUMNS}))
        elif row.timepoint > stored.timepoint and row.data_hash != stored.data_hash:
            for name in UPDATED_FIELDS:
                setattr(stored, name, getattr(row, name))
            stored.revision += 1
            changed.append(stored)
    # ignore_conflicts: a second listener started by mistake may have stored the same fact.
    Event.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    if changed:
        Event.objects.bulk_update(changed, [*UPDATED_FIELDS, "revision"])
    ids = list(
        Event.objects.filter(fact_key__in=[r.fact_key for r in new], revision=1).values_list("id", flat=True)
    )
    return ids, len(changed)


def _last_version(resource_uri: str) -> dict | None:
    """The data of the resource as last stored, for a deletion that carries none: the words say
    who or what was removed (deletions are rare: a query each is cheap)."""
    last = (
        Event.objects.filter(resource_uri=resource_uri)
        .exclude(event_type="deleted")
        .order_by("-timepoint")
        .values_list("data", flat=True)
        .first()
    )
    return last or None


def _refresh(row: Fact, event: StreamEvent, content: str, now) -> None:
    """A later event for a fact not yet written (same batch): it replaces the first."""
    envelope = event.envelope
    row.timepoint = event.timepoint
    row.published_at = published_at(envelope)
    row.published_at_raw = raw_published_at(envelope)
    row.event_type = str(envelope["event"].get("type") or "changed")[:16]
    row.fields_changed = envelope["event"].get("fields_changed")
    row.data = envelope["data"]
    row.data_hash = content
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
