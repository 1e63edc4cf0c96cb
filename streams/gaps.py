"""Noticing gaps: stretches of a stream the listener did not see, recorded as StreamGap rows.

Three signs, each seen from CH:
- CH answers the resume with 416: it no longer has the checkpoint's events (`out_of_range`);
- the resume's first event is further past the checkpoint than GAP_TIMEPOINTS (`skipped_ahead`):
  resume is inclusive, so the first event is normally the checkpoint itself, and CH's published
  stream code has answered a too-old timepoint with an empty replay, a gap without an error;
- a connected stream sends nothing but heartbeats for longer than its expected rate allows
  (`silent`): CH has been seen connected and silent for days. Open until events come again.

Each gap is recorded in the transaction that moves the checkpoint past it (or, for a silence, as
soon as it is noticed), and after the commit the product is told (hooks.gap_recorded) so that the
watched companies are checked through the REST API for what happened inside it (streams.heal).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from streams import hooks
from streams.models import StreamGap, StreamState

log = logging.getLogger(__name__)

UK = ZoneInfo("Europe/London")
# The streams whose news the REST API can replay (streams.heal); a gap on another is recorded
# and shown, but cannot be checked.
HEALABLE = ("companies", "officers", "persons-with-significant-control", "filings")

# Minutes a connected stream may send no event before it counts as silent: in UK working hours
# (Monday to Friday, 08:00 to 18:00) and otherwise. From CH's daily volumes (README: filings
# ~95k a day, companies ~50k, officers and PSC ~12k, charges and insolvency ~1.5k), published in
# per-minute batches: a working-hours silence this long is many times the usual. Outside working
# hours, the nightly drop and quiet weekends fit easily. Streams not listed (exemptions,
# disqualified officers, PSC statements) are too sparse for silence to mean anything.
SILENCE_MINUTES = {
    "filings": (20, 240),
    "companies": (20, 240),
    "officers": (60, 480),
    "persons-with-significant-control": (60, 480),
    "charges": (240, 1440),
    "insolvency-cases": (240, 1440),
}


def silence_minutes(overrides: dict[str, tuple[int, int] | None]) -> dict[str, tuple[int, int]]:
    """SILENCE_MINUTES with the operator's changes (None: that stream is never taken for silent)."""
    merged = {**SILENCE_MINUTES, **overrides}
    return {stream: minutes for stream, minutes in merged.items() if minutes is not None}


@dataclass(frozen=True)
class GapSeen:
    """A gap the listener noticed on resuming, to record with the commit that moves past it."""

    kind: str
    from_timepoint: int | None
    to_timepoint: int


def _first_state(stream: str) -> str:
    """A new gap waits for its check, unless the REST API cannot replay its stream."""
    return StreamGap.WAITING if stream in HEALABLE else StreamGap.NOT_CHECKED


def silence_limit(stream: str, moment: datetime, limits: dict[str, tuple[int, int]]) -> float | None:
    """Seconds `stream` may be silent at `moment` (aware), or None: silence never counts."""
    minutes = limits.get(stream)
    if minutes is None:
        return None
    local = moment.astimezone(UK)
    working = local.weekday() < 5 and 8 <= local.hour < 18
    return 60.0 * (minutes[0] if working else minutes[1])


def record_gap(stream: str, seen: GapSeen) -> StreamGap:
    """In the transaction that moves the checkpoint past the gap: the record was complete until
    the last checkpoint was committed (read before it moves)."""
    complete_until = StreamState.objects.filter(stream=stream).values_list("checkpoint_at", flat=True).first()
    now = timezone.now()
    gap = StreamGap.objects.create(
        stream=stream,
        kind=seen.kind,
        from_timepoint=seen.from_timepoint,
        to_timepoint=seen.to_timepoint,
        from_time=complete_until or now,
        to_time=now,
        detected_at=now,
        heal_state=_first_state(stream),
    )
    log.error(
        "GAP recorded on %s (%s): timepoints after %s and before %s were never received",
        stream,
        gap.get_kind_display(),
        seen.from_timepoint,
        seen.to_timepoint,
        extra={"stream": stream, "timepoint": seen.from_timepoint},
    )
    transaction.on_commit(partial(hooks.gap_recorded, gap.pk), robust=True)
    return gap


def open_silent_gap(stream: str, from_timepoint: int | None, silent_since: datetime) -> int:
    """The stream has sent nothing since `silent_since`: an open gap (one per stream at a time)."""
    _fresh_connection()
    with transaction.atomic():
        existing = StreamGap.objects.filter(stream=stream, kind=StreamGap.SILENT, to_time=None).first()
        if existing is not None:
            return existing.pk
        gap = StreamGap.objects.create(
            stream=stream,
            kind=StreamGap.SILENT,
            from_timepoint=from_timepoint,
            from_time=silent_since,
            heal_state=_first_state(stream),
        )
        transaction.on_commit(partial(hooks.gap_recorded, gap.pk), robust=True)
    log.error(
        "GAP on %s: connected but no event since %s (%s); checking the watched companies through the "
        "REST API",
        stream,
        silent_since.isoformat(timespec="seconds"),
        _ago(timezone.now() - silent_since),
        extra={"stream": stream, "timepoint": from_timepoint},
    )
    return gap.pk


def close_silent_gap(gap_id: int, to_timepoint: int | None) -> None:
    """Events came again: the gap ends now. What came in its last part is checked too: a check
    already done or under way starts again from the first company (dedupe makes it harmless)."""
    _fresh_connection()
    now = timezone.now()
    with transaction.atomic():
        gap = StreamGap.objects.select_for_update().filter(pk=gap_id, to_time=None).first()
        if gap is None:
            return
        gap.to_time, gap.to_timepoint = now, to_timepoint
        fields = ["to_time", "to_timepoint"]
        if gap.heal_state in (StreamGap.HEALED, StreamGap.CHECKING):
            gap.heal_state, gap.checked_through, gap.companies_checked = StreamGap.WAITING, "", 0
            gap.claimed_until = None  # a check under way stops at its next company (streams.heal)
            fields += ["heal_state", "checked_through", "companies_checked", "claimed_until"]
        gap.save(update_fields=fields)
        if gap.heal_state == StreamGap.WAITING:
            transaction.on_commit(partial(hooks.gap_recorded, gap.pk), robust=True)
    log.warning(
        "%s: events again after %s of silence (from timepoint %s)",
        gap.stream,
        _ago(now - gap.from_time) if gap.from_time else "a stretch",
        to_timepoint,
        extra={"stream": gap.stream, "timepoint": to_timepoint},
    )


def open_silent_gaps(streams: tuple[str, ...]) -> dict[str, int]:
    """{stream: id} of silences still open (a listener restarted during one closes it later)."""
    _fresh_connection()
    return dict(
        StreamGap.objects.filter(stream__in=streams, kind=StreamGap.SILENT, to_time=None).values_list(
            "stream", "pk"
        )
    )


def _fresh_connection() -> None:
    """In the listener's database thread, a connection broken by a restart is replaced here (the
    tests call these inside their own transaction, which must stay)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h"
