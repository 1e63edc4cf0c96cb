"""Backfill: when a company joins a client list, fetch its current profile, newest filings and
officers from CH's REST API, so profile diffs and deadlines have a baseline at once instead of
after the first stream event, and a disqualified officer can be matched to the companies they sit
on (streams.officers).

A company is fetched once: those with `backfilled_at` set are skipped (after that the streams keep
it current while it is watched). A number CH does not know (404) is recorded as backfilled with no
profile, so it is not asked about again. Requests go through the shared Redis rate limiter
(streams.rate_limit); a job that would have to wait long for a slot hands the rest of its numbers
back to be queued again later (the caller queues them: this module queues nothing). Without
CH_API_KEY nothing is fetched at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from project import redis_connection
from streams.client import fetch_company_profile, fetch_filing_history, fetch_officers, rest_client
from streams.models import Company
from streams.officers import remember_officers
from streams.rate_limit import RateLimiter, SlotUnavailable, limited_call

log = logging.getLogger(__name__)

FILINGS_PER_COMPANY = 25  # one page of filing history, newest first
MAX_WAIT = 5.0  # seconds a job sleeps for a request slot or a Retry-After; longer, it re-queues
JOB_BUDGET = 120.0  # seconds a job works before handing the rest back (RQ's job timeout is 300 s)
BACKFILL_OFF_MESSAGE = (
    "Backfill from Companies House is off: set CH_API_KEY (a REST API key) so that companies added "
    "to a list get their current profile and recent filings at once. Until then a company has no "
    "baseline until the streams report a change to it."
)


def backfill_enabled() -> bool:
    return bool(settings.CH_API_KEY)


def not_backfilled(numbers: Iterable[str]) -> list[str]:
    """Those of the numbers whose company has not been backfilled yet (sorted); none without a key."""
    if not backfill_enabled():
        return []
    return sorted(
        Company.objects.filter(
            company_number__in=sorted(set(numbers)), backfilled_at__isnull=True
        ).values_list("company_number", flat=True)
    )


def rate_limiter(sleep: Callable[[float], None] = time.sleep) -> RateLimiter:
    return RateLimiter(
        redis_connection.connection(),
        limit=settings.CH_API_RATE_LIMIT,
        window=settings.CH_API_RATE_WINDOW,
        sleep=sleep,
    )


@dataclass
class BackfillOutcome:
    done: list[str] = field(default_factory=list)  # profile and filings stored
    not_found: list[str] = field(default_factory=list)  # CH answered 404: recorded, never asked again
    later: list[str] = field(default_factory=list)  # not reached: the rate limit says wait
    retry_in: float = 0.0  # seconds until `later` may be tried


def backfill_companies(
    numbers: Sequence[str], *, sleep: Callable[[float], None] = time.sleep, budget: float = JOB_BUDGET
) -> BackfillOutcome:
    """Fetch and store profile and filings for each of `numbers` not yet backfilled.

    Raises streams.client.ApiError on anything but 200, 404 and 429 (the job's Retry runs it
    again; companies done so far are kept). A 429 blocks every worker for its Retry-After.
    """
    outcome = BackfillOutcome()
    pending = set(
        Company.objects.filter(company_number__in=list(numbers), backfilled_at__isnull=True).values_list(
            "company_number", flat=True
        )
    )
    todo = [n for n in dict.fromkeys(numbers) if n in pending]
    if not todo:
        return outcome
    limiter = rate_limiter(sleep)
    with rest_client(settings.CH_API_URL, settings.CH_API_KEY) as client:

        def get(fetch, *args, **kwargs):
            return limited_call(limiter, fetch, client, *args, max_wait=MAX_WAIT, log=log, **kwargs)

        started = time.monotonic()
        for index, number in enumerate(todo):
            if time.monotonic() - started > budget:
                outcome.later = todo[index:]
                break
            try:
                profile = get(fetch_company_profile, number)
                filings = get(fetch_filing_history, number, items=FILINGS_PER_COMPANY) if profile else None
                officers = get(fetch_officers, number) if profile else None
            except SlotUnavailable as exc:
                outcome.later, outcome.retry_in = todo[index:], exc.wait
                break
            if _record(number, profile, filings or []):
                if officers is not None:
                    remember_officers(number, officers)
                (outcome.done if profile else outcome.not_found).append(number)
    return outcome


def _record(number: str, profile: dict | None, filings: list[dict]) -> bool:
    """Store what CH said; False if the company row has gone meanwhile.

    A profile the stream gave (profile_timepoint set) is as new as ours or newer and is kept: the
    first UPDATE only matches while there is none, so a stream write that commits first wins,
    and one that commits after ours replaces our baseline, as it should.
    """
    now = timezone.now()
    companies = Company.objects.filter(pk=number)
    if profile is None:
        log.warning("backfill: Companies House does not know company %s (404)", number)
        return companies.update(backfilled_at=now, updated_at=now) == 1
    name = str(profile.get("company_name") or "")[:300]
    status = str(profile.get("company_status") or "")[:50]
    common = {"recent_filings": filings, "backfilled_at": now, "updated_at": now}
    if companies.filter(profile_timepoint__isnull=True).update(
        # The baseline, with CH's name and status, as a first stream event would set them.
        profile=profile,
        name=Coalesce(NullIf(Value(name), Value("")), F("name")),
        status=Coalesce(NullIf(Value(status), Value("")), F("status")),
        **common,
    ):
        return True
    return (
        companies.update(
            name=Case(When(name="", then=Value(name)), default=F("name")),
            status=Case(When(status="", then=Value(status)), default=F("status")),
            **common,
        )
        == 1
    )
