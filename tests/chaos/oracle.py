"""What should have happened, worked out from the simulator's own record of what it sent; what
did happen, read from PostgreSQL and from the mail sink's files; and the difference.

Fact identity follows guarantees 2 and 8 (README, Guarantees): a filing is one fact per
transaction however often CH sends it (its removal one more); any other resource is one fact per
version (its whole data, etag included, a deletion being a version of its own), so CH re-sending
any earlier event is no new fact, and neither is an event that changes only the etag.
Whether a profile change says anything (and so makes a notification) is the product's own rule
(notifications.content.profile_diff): the run checks loss and duplication, not the words, which have
golden tests of their own.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email.utils import getaddresses
from pathlib import Path

import orjson

from notifications.content.profile_diff import diff_profiles
from notifications.models import Delivery, Notification
from streams.events import data_hash
from streams.models import Event

MESSAGE_ID = re.compile(r"<delivery-(\d+)\.")


@dataclass
class Expected:
    facts: set[str] = field(default_factory=set)  # every fact_key that should be stored
    notifications: set[tuple[int, str]] = field(default_factory=set)  # (organisation, fact_key)
    emails: set[tuple[int, str, str]] = field(default_factory=set)  # (organisation, fact_key, address)
    watched_events: int = 0
    resends: int = 0  # watched events that were re-sends or document follow-ups of a known fact
    silent: int = 0  # profile facts that change nothing anyone is told about


@dataclass
class Tally:
    name: str
    expected: int
    found: int
    missing: int
    duplicated: int
    unexpected: int

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicated or self.unexpected)


def expected_from(feeds: dict[str, list[dict]], watchers: dict[str, set[int]], members) -> Expected:
    """`feeds`: each stream's envelopes in timepoint order, as the simulator recorded them."""
    out = Expected()
    for stream, envelopes in feeds.items():
        latest: dict[str, tuple] = {}
        profiles: dict[str, dict] = {}
        for envelope in envelopes:
            uri = envelope["resource_uri"]
            number = uri.split("/")[2]
            if number not in watchers:
                continue
            out.watched_events += 1
            deleted = envelope["event"].get("type") == "deleted"  # a fact of its own, always news
            if stream == "filings":
                key = f"filing:{uri}" + (":deleted" if deleted else "")
                if key in out.facts:
                    out.resends += 1
                out.facts.add(key)
                speaks = True
            else:
                said = {"deleted": envelope["data"]} if deleted else envelope["data"]
                key = f"{stream}:{uri}#{version(said)}"
                content = (data_hash(envelope["data"]), deleted)
                if key in out.facts or latest.get(uri) == content:
                    out.resends += 1
                    continue
                latest[uri] = content
                out.facts.add(key)
                speaks = True
                if stream == "companies":
                    speaks = deleted or bool(diff_profiles(profiles.get(number), envelope["data"]))
                    if not deleted:
                        profiles[number] = envelope["data"]
            if not speaks:
                out.silent += 1
                continue
            for org in watchers[number]:
                out.notifications.add((org, key))
                out.emails.update((org, key, address) for address in members[org])
    return out


def version(data: dict) -> str:
    return hashlib.sha1(orjson.dumps(data, option=orjson.OPT_SORT_KEYS), usedforsecurity=False).hexdigest()


def stored_facts() -> Counter:
    return Counter(Event.objects.values_list("fact_key", flat=True))


def stored_notifications() -> Counter:
    return Counter(Notification.objects.values_list("organisation_id", "event__fact_key"))


def sent_emails(sink: Path) -> tuple[Counter, int]:
    """(organisation, fact_key, address) of every message the sink received, and how many
    messages it could not attribute (which count as unexpected)."""
    wanted = []
    unreadable = 0
    for path in sink.glob("*.eml"):
        message = message_from_bytes(path.read_bytes())
        match = MESSAGE_ID.search(message.get("Message-ID", ""))
        if not match:
            unreadable += 1
            continue
        for _, address in getaddresses(message.get_all("To", [])):
            wanted.append((int(match.group(1)), address.lower()))
    keys = {
        d: (org, fact)
        for d, org, fact in Delivery.objects.filter(id__in={d for d, _ in wanted}).values_list(
            "id", "notification__organisation_id", "notification__event__fact_key"
        )
    }
    found = Counter()
    for delivery_id, address in wanted:
        if delivery_id not in keys:
            unreadable += 1
            continue
        found[(*keys[delivery_id], address)] += 1
    return found, unreadable


def tally(name: str, expected: set, found: Counter, unattributed: int = 0) -> Tally:
    return Tally(
        name=name,
        expected=len(expected),
        found=sum(found.values()) + unattributed,
        missing=len(expected - found.keys()),
        duplicated=sum(n - 1 for n in found.values() if n > 1),
        unexpected=len(found.keys() - expected) + unattributed,
    )
