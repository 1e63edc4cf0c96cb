"""Healing a gap (streams.gaps): every watched company is checked through CH's REST API for what
happened inside it, and what we did not already have becomes facts exactly like streamed ones.

One request per company per gap, by stream: filings, the filing history's first page (a filing
dated on or after the day the gap began, not known before, is news); companies, the profile (news
when it differs from the one we hold); officers and PSC, their lists (news: an appointment,
resignation, notification or cessation dated inside the gap, of a resource the stream has not told
us about since). The facts go through the listener's own store (streams.store.save_batch), so the
dedupe is the stream's: a filing by its transaction, anything else by its content. A later replay,
or the stream coming back, therefore never makes a second fact. They carry `gap`, for the feed's
coverage notice.

Work goes newest outage first and, within an outage (gaps detected within OUTAGE of each other,
as all streams drop together), the urgent streams first (URGENCY). A check claims its gap for a
lease, works through the companies in number order and writes its progress as it goes, so a
worker killed anywhere is followed by another that goes on where it stopped. Requests go through
the shared rate limiter; a job hands the rest back when it must wait long (the caller re-queues).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from streams import hooks
from streams.backfill import backfill_enabled, rate_limiter
from streams.client import (
    fetch_company_profile,
    fetch_filing_history,
    fetch_officers,
    fetch_pscs,
    rest_client,
)
from streams.events import StreamEvent, data_hash
from streams.gaps import UK
from streams.models import Company, Event, ResourceState, StreamGap
from streams.officers import listed_uri, remember_officers
from streams.rate_limit import SlotUnavailable, limited_call
from streams.store import save_batch

log = logging.getLogger(__name__)

URGENCY = {"officers": 0, "persons-with-significant-control": 1, "companies": 2, "filings": 3}
OUTAGE = timedelta(minutes=10)
LEASE = timedelta(minutes=6)  # longer than a job's budget and its last request
MAX_WAIT = 5.0
JOB_BUDGET = 120.0
# A gap recorded before gaps had times (or without a checkpoint time): CH keeps about 3 days.
UNKNOWN_START = timedelta(days=3)
FILINGS_PER_COMPANY = 25
# The REST API's PSC kinds, as the PSC stream names them.
PSC_KINDS = {
    "individual-person-with-significant-control": "company-psc-individual",
    "corporate-entity-person-with-significant-control": "company-psc-corporate",
    "legal-person-person-with-significant-control": "company-psc-legal",
    "super-secure-person-with-significant-control": "company-psc-supersecure",
}


@dataclass
class HealOutcome:
    gap_id: int | None = None
    checked: int = 0
    found: int = 0
    requests: int = 0
    more: bool = False  # gaps (or companies) are left: queue the job again
    retry_in: float = 0.0  # seconds the rate limit asks to wait first


def heal_next(*, sleep: Callable[[float], None] = time.sleep, budget: float = JOB_BUDGET) -> HealOutcome:
    """Check companies for the most pressing gap for up to `budget` seconds."""
    if not backfill_enabled():
        _cannot_check()
        return HealOutcome()
    gap = _claim_next()
    if gap is None:
        return HealOutcome()
    outcome = HealOutcome(gap_id=gap.pk)
    numbers = sorted(hooks.watched_numbers())
    if not gap.checked_through:
        StreamGap.objects.filter(pk=gap.pk).update(companies_total=len(numbers))
    todo = [n for n in numbers if n > gap.checked_through]
    since = _since(gap)
    limiter = rate_limiter(sleep)
    started = time.monotonic()
    with rest_client(settings.CH_API_URL, settings.CH_API_KEY) as client:
        sent = [0]  # requests not yet written with the progress

        def get(fetch, *args, **kwargs):
            result = limited_call(limiter, fetch, client, *args, max_wait=MAX_WAIT, log=log, **kwargs)
            sent[0] += 1
            outcome.requests += 1
            return result

        for index, number in enumerate(todo):
            if index and time.monotonic() - started > budget:  # (at least one company a job)
                outcome.more = True
                break
            try:
                found = _check(gap, number, since, get)
            except SlotUnavailable as exc:
                outcome.more, outcome.retry_in = True, exc.wait
                break
            except Exception:  # CH failing (the job's Retry runs it again): the gap is free at once
                _release(gap, requests=sent[0])
                raise
            outcome.checked += 1
            outcome.found += found
            if not _progress(gap, number, found, requests=sent[0]):
                log.info("gap %s: reopened or taken over while checking; stopping here", gap.pk)
                return outcome
            sent[0] = 0
        else:
            _finish(gap)
    if not outcome.more:
        left = StreamGap.objects.filter(heal_state__in=[StreamGap.WAITING, StreamGap.CHECKING])
        outcome.more = left.exists()
    else:
        _release(gap, requests=0)
    return outcome


def _release(gap: StreamGap, *, requests: int) -> None:
    StreamGap.objects.filter(pk=gap.pk, heal_state=StreamGap.CHECKING, passes=gap.passes).update(
        claimed_until=None, requests=F("requests") + requests
    )


def _cannot_check() -> None:
    waiting = StreamGap.objects.filter(heal_state=StreamGap.WAITING)
    if waiting.update(heal_state=StreamGap.NOT_CHECKED):
        log.error("gaps cannot be checked: set CH_API_KEY (a REST API key) to heal them")


def _claim_next() -> StreamGap | None:
    now = timezone.now()
    candidates = list(
        StreamGap.objects.filter(heal_state__in=[StreamGap.WAITING, StreamGap.CHECKING])
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("-detected_at")[:100]
    )
    newest = candidates[0].detected_at if candidates else None
    candidates.sort(
        key=lambda g: (
            # gaps within OUTAGE of each other are one outage: the newest outage first
            int((newest - g.detected_at) / OUTAGE),
            URGENCY.get(g.stream, 9),
            -g.detected_at.timestamp(),
        )
    )
    for gap in candidates:
        claimed = (
            StreamGap.objects.filter(pk=gap.pk, heal_state__in=[StreamGap.WAITING, StreamGap.CHECKING])
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claimed_until=now + LEASE, heal_state=StreamGap.CHECKING)
        )
        if claimed:
            if not gap.checked_through:  # a new pass (a silence's second one included)
                StreamGap.objects.filter(pk=gap.pk).update(passes=F("passes") + 1, heal_started_at=now)
            gap.refresh_from_db()
            return gap
    return None


def _progress(gap: StreamGap, number: str, found: int, *, requests: int) -> bool:
    """Record that `number` is checked; False when the gap is no longer ours to check."""
    return bool(
        StreamGap.objects.filter(pk=gap.pk, heal_state=StreamGap.CHECKING, passes=gap.passes).update(
            checked_through=number,
            companies_checked=F("companies_checked") + 1,
            facts_found=F("facts_found") + found,
            requests=F("requests") + requests,
            claimed_until=timezone.now() + LEASE,
        )
    )


def _finish(gap: StreamGap) -> None:
    now = timezone.now()
    if StreamGap.objects.filter(pk=gap.pk, heal_state=StreamGap.CHECKING, passes=gap.passes).update(
        heal_state=StreamGap.HEALED, healed_at=now, claimed_until=None
    ):
        gap.refresh_from_db()
        log.warning(
            "gap %s on %s checked: %d companies, %d requests, %d facts we had missed",
            gap.pk,
            gap.stream,
            gap.companies_checked,
            gap.requests,
            gap.facts_found,
            extra={"stream": gap.stream, "timepoint": gap.from_timepoint},
        )


def _since(gap: StreamGap) -> dt.date:
    """The UK day the gap began: CH dates filings and appointments by day."""
    began = gap.from_time or (gap.detected_at - UNKNOWN_START)
    return began.astimezone(UK).date()


# --- one company -------------------------------------------------------------------------------


def _check(gap: StreamGap, number: str, since: dt.date, get) -> int:
    """Check one company for the gap's stream; how many facts were new to us."""
    if gap.stream == "filings":
        events = _filings(gap, number, since, get(fetch_filing_history, number, items=FILINGS_PER_COMPANY))
    elif gap.stream == "companies":
        events = _profile(gap, number, get(fetch_company_profile, number))
    elif gap.stream == "officers":
        items = get(fetch_officers, number)
        if items is not None:
            remember_officers(number, items)
        events = _people(gap, number, since, items, lambda item: "company-officers", _OFFICER_DATES)
    elif gap.stream == "persons-with-significant-control":
        items = get(fetch_pscs, number)
        events = _people(gap, number, since, items, _psc_kind, _PSC_DATES)
    else:
        return 0
    if not events:
        return 0
    with transaction.atomic():
        result = save_batch(gap.stream, events, None)
        Event.objects.filter(pk__in=result.new_ids).update(gap=gap)
        if gap.stream == "companies" and result.new_ids:
            _hold_profile(number, events[0].envelope["data"])
    return len(result.new_ids)


def _timepoint(gap: StreamGap) -> int:
    """Where a found fact sits in the stream: inside the gap, before anything after it."""
    if gap.to_timepoint is not None:
        return max(0, gap.to_timepoint - 1)
    return gap.from_timepoint or 0


def _event(gap: StreamGap, kind: str, uri: str, data: dict) -> StreamEvent:
    number = uri.split("/")[2]
    envelope = {
        "resource_kind": kind,
        "resource_uri": uri,
        "resource_id": uri.rsplit("/", 1)[-1],
        "data": data,
        "event": {"timepoint": _timepoint(gap), "type": "changed"},
    }
    return StreamEvent(_timepoint(gap), number, kind, envelope, orjson.dumps(envelope))


def _filings(gap: StreamGap, number: str, since: dt.date, items: list[dict] | None) -> list[StreamEvent]:
    if not items:
        return []
    baseline = Company.objects.filter(pk=number).values_list("recent_filings", flat=True).first() or []
    known = {f.get("transaction_id") for f in baseline if isinstance(f, dict)}
    events = []
    for item in items:
        tid = item.get("transaction_id")
        if not isinstance(tid, str) or not tid or tid in known or not _on_or_after(item.get("date"), since):
            continue
        events.append(_event(gap, "filing-history", f"/company/{number}/filing-history/{tid}", item))
    return events


def _meaningful(profile: dict | None) -> str | None:
    if not isinstance(profile, dict):
        return None
    return data_hash({k: v for k, v in profile.items() if k not in ("etag", "links")})


def _profile(gap: StreamGap, number: str, profile: dict | None) -> list[StreamEvent]:
    """The profile as it is now, when it differs from the one we hold (none held: a baseline,
    as backfill would set it, and no news)."""
    if profile is None:
        return []
    held = Company.objects.filter(pk=number).values_list("profile", flat=True).first()
    if held is None:
        _hold_profile(number, profile)
        return []
    if _meaningful(held) == _meaningful(profile):
        return []
    return [_event(gap, "company-profile", f"/company/{number}", profile)]


def _hold_profile(number: str, profile: dict) -> None:
    """The profile found is now the one we hold, whatever timepoint the last streamed one had: a
    stream event arriving after it (the stream coming back) is compared with it, not with the
    older one, so a change is never told twice."""
    Company.objects.filter(pk=number).update(
        profile=profile,
        name=str(profile.get("company_name") or "")[:300] or F("name"),
        status=str(profile.get("company_status") or "")[:50] or F("status"),
        updated_at=timezone.now(),
    )


_OFFICER_DATES = ("appointed_on", "resigned_on")
_PSC_DATES = ("notified_on", "ceased_on")


def _psc_kind(item: dict) -> str:
    kind = str(item.get("kind") or "")
    return PSC_KINDS.get(kind, kind or "company-psc-individual")


def _people(gap, number, since, items, kind_of, dates) -> list[StreamEvent]:
    """Appointments, resignations, notifications and cessations dated inside the gap, of people
    the stream has not told us about since it began."""
    if not items:
        return []
    found = {}
    for item in items:
        uri = listed_uri(number, item)
        if uri and any(_on_or_after(item.get(name), since) for name in dates):
            found[uri] = item
    if not found:
        return []
    after = _timepoint(gap)
    told_since = set(
        ResourceState.objects.filter(resource_uri__in=list(found), timepoint__gt=after).values_list(
            "resource_uri", flat=True
        )
    )
    events = []
    for uri, item in found.items():
        if uri in told_since:
            continue
        # As the stream carries it: the list's extra links (an officer's other appointments) are
        # not part of the resource, and would make a stream re-send of it look like a change.
        data = {**item, "links": {"self": uri}}
        events.append(_event(gap, kind_of(item), uri, data))
    return events


def _on_or_after(value, since: dt.date) -> bool:
    try:
        return isinstance(value, str) and dt.date.fromisoformat(value[:10]) >= since
    except ValueError:
        return False
