"""Whether a practice's record is complete: a line at the top of the feed for each recent gap in
a Companies House stream (streams.models.StreamGap), saying when it was, how far the check of
the practice's own clients has gone, and what it found.

Shown: every gap still open or still to be checked, and one that has finished (checked, or known
not to be checkable) for RECENT after it finished, so a practice that looks the next morning still
learns that the night had a hole in it and that it has been filled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from notifications.content.words import MONTHS
from notifications.models import ClientListEntry, Notification, Organisation
from streams.models import StreamGap

RECENT = timedelta(hours=48)
MOST = 6  # a longer outage than this many lines is still one block that fits a phone's screen

CHECKING, COMPLETE, INCOMPLETE = "checking", "complete", "incomplete"

# A stream's name as an accountant would say it, after "Companies House's ... stream".
STREAM_WORDS = {
    "filings": "filings",
    "companies": "company records",
    "officers": "officers",
    "persons-with-significant-control": "people with significant control",
    "persons-with-significant-control-statements": "statements about people with significant control",
    "charges": "charges",
    "insolvency-cases": "insolvency",
    "company-exemptions": "exemptions",
    "disqualified-officers": "disqualified directors",
}


@dataclass(frozen=True)
class CoverageNotice:
    """One line: `level` is checking (not yet known to be complete), complete (checked, and what
    was missed is now in the feed) or incomplete (it cannot be checked: something may be missing)."""

    gap_id: int
    stream: str
    level: str
    text: str
    clients: int
    done: int
    found: int

    def as_json(self) -> dict:
        return asdict(self)


def stream_words(stream: str) -> str:
    return STREAM_WORDS.get(stream, stream.replace("-", " "))


def shown_gaps(now: datetime | None = None):
    """The gaps a practice should hear about now, newest first."""
    since = (now or timezone.now()) - RECENT
    return StreamGap.objects.filter(
        Q(to_time=None)
        | Q(heal_state__in=[StreamGap.WAITING, StreamGap.CHECKING])
        | Q(heal_state=StreamGap.HEALED, healed_at__gte=since)
        | Q(heal_state=StreamGap.NOT_CHECKED, to_time__gte=since)
    ).order_by("-detected_at", "-id")[:MOST]


def coverage_notices(organisation: Organisation, now: datetime | None = None) -> list[CoverageNotice]:
    """The practice's lines, newest gap first; none for a practice with no clients (nothing of
    theirs can have been missed)."""
    now = now or timezone.now()
    gaps = list(shown_gaps(now))
    if not gaps:
        return []
    numbers = set(
        ClientListEntry.objects.filter(client_list__organisation=organisation).values_list(
            "company_id", flat=True
        )
    )
    clients = len(numbers)
    if not clients:
        return []
    found = dict(
        Notification.objects.filter(organisation=organisation, event__gap__in=gaps)
        .values_list("event__gap")
        .annotate(n=Count("id"))
    )
    notices = []
    for gap in gaps:
        if gap.heal_state == StreamGap.HEALED:
            done = clients
        else:
            # Compared as streams.heal orders the companies it goes through (Python's string order).
            through = gap.checked_through
            done = sum(1 for number in numbers if number <= through) if through else 0
        level, outcome = _outcome(gap, clients, done, found.get(gap.id, 0))
        text = (
            f"Companies House's {stream_words(gap.stream)} stream {_when(gap, organisation, now)}; {outcome}"
        )
        notices.append(CoverageNotice(gap.id, gap.stream, level, text, clients, done, found.get(gap.id, 0)))
    return notices


def _outcome(gap: StreamGap, clients: int, done: int, found: int) -> tuple[str, str]:
    your = f"your {clients} client{'s' if clients != 1 else ''}"
    if gap.heal_state == StreamGap.NOT_CHECKED:
        return (
            INCOMPLETE,
            "Companies House cannot replay this stream, so changes in that time may be missing.",
        )
    if gap.heal_state == StreamGap.WAITING:
        return CHECKING, f"{your} will be checked shortly."
    if gap.heal_state == StreamGap.CHECKING:
        return CHECKING, f"checking {your}: {done} done."
    if found:
        missed = "1 change we had missed: it is" if found == 1 else f"{found} changes we had missed: they are"
        result = f"we checked {your} and found {missed} in your feed below."
    else:
        result = f"we checked {your} and nothing was missed."
    # A silent stream is checked while silent and again once it speaks: not complete until then.
    if gap.is_open:
        return CHECKING, f"{result} We will check again when it resumes."
    return COMPLETE, result


def _when(gap: StreamGap, organisation: Organisation, now: datetime) -> str:
    zone = organisation.zone
    today = now.astimezone(zone).date()
    start = gap.from_time.astimezone(zone) if gap.from_time else None
    end = gap.to_time.astimezone(zone) if gap.to_time else None
    if end is None:
        since = start or gap.detected_at.astimezone(zone)
        verb = "has sent nothing since" if gap.kind == StreamGap.SILENT else "has been interrupted since"
        return f"{verb} {_moment(since, today)}"
    if start is None:
        return f"was interrupted until {_moment(end, today)}"
    if start.date() == end.date():
        return f"was interrupted from {start:%H:%M} to {end:%H:%M} on {_day(end.date(), today)}"
    return f"was interrupted from {_moment(start, today)} to {_moment(end, today)}"


def _moment(moment: datetime, today) -> str:
    return f"{moment:%H:%M} on {_day(moment.date(), today)}"


def _day(day, today) -> str:
    """ "1 December", with the year when it is not this one (a gap seen over New Year)."""
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"
