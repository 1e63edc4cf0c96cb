"""A deterministic, seedable source of realistic Companies House streaming events.

`Generator.next_event(stream, published_at)` returns one event in CH's envelope (without
`event.timepoint`, which the server assigns). One `random.Random(seed)` drives every choice, so the
same seed and the same sequence of calls give the same events. What the generator has said is
remembered per company, so `profile()` and `filing_history()` can answer REST-style questions.

Behaviour worth knowing:
- duplicates: with probability `duplicate_share` the event is a re-send of one of the last
  `RECENT` events of that stream, with the same resource, data, type and `fields_changed`; only
  `published_at` is the one passed in;
- no-ops (companies stream): once a company's baseline has been sent, an event about it changes
  nothing meaningful with probability `noop_share`: either only the `etag` changes or nothing does;
- document follow-ups: most filings are sent again a few filings-stream calls later, now with
  `links.document_metadata` and `pages`, as CH does when the document becomes available.
"""

from __future__ import annotations

import heapq
import itertools
import marshal
import random
from collections import deque
from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

from streams.company_numbers import is_company_number
from streams.events import DEFAULT_STREAMS
from streams.simulator import (
    filings,
    people,
    profile_changes,
    profiles,
    registers,
    resources,
)
from streams.simulator.state import CompanyState, choice, randint, weighted

STREAMS = DEFAULT_STREAMS  # the streams the generator feeds: the listener's defaults

RECENT = 25  # how far back a duplicate may reach, per stream
ACTIVE_POOL = 400  # recently active companies; half the events revisit one, as busy companies do
DOCUMENT_FOLLOW_UP_SHARE = 0.75
DEFAULT_TODAY = date(2025, 3, 14)  # "today" before any event has said otherwise; never the wall clock


_RESOURCE_EVENTS = {
    "officers": resources.officer_event,
    "persons-with-significant-control": resources.psc_event,
    "charges": resources.charge_event,
    "insolvency-cases": resources.insolvency_event,
}


def _copy(value: object) -> object:
    """Deep copy of JSON-shaped data, about three times faster than copy.deepcopy."""
    return _thaw(_freeze(value))


def _freeze(value: object) -> bytes:
    # marshal beats pickle and copy.deepcopy on these small, JSON-shaped events.
    return marshal.dumps(value)


def _thaw(frozen: bytes) -> Any:
    # Safe: only ever reads bytes this process has just written with _freeze.
    return marshal.loads(frozen)  # noqa: S302


class Generator:
    """Events for a universe of `companies` company numbers, plus the `watched` ones.

    `watched_share` of events are about a company from `watched` (when given); `duplicate_share`
    of events are re-sends; `noop_share` of profile events about known companies change nothing.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        companies: int = 20_000,
        watched: Sequence[str] = (),
        watched_share: float = 0.0,
        duplicate_share: float = 0.02,
        noop_share: float = 0.05,
    ) -> None:
        bad = [n for n in watched if not is_company_number(n)]
        if bad:
            raise ValueError(f"watched company numbers must be canonical CH numbers: {bad[:5]}")
        if companies < 1:
            raise ValueError("companies must be at least 1")
        self._seed = seed
        self._rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self._watched = tuple(watched)
        self._watched_share = watched_share
        self._duplicate_share = duplicate_share
        self._noop_share = noop_share
        self._universe = registers.universe(self._rng, companies)
        self._known = set(self._universe) | set(self._watched)  # membership only, never iterated
        self._ids = people.Ids(seed, 3_400_000_000 + self._rng.randrange(50_000_000))
        self._states: dict[str, CompanyState] = {}
        self._active: deque[str] = deque(maxlen=ACTIVE_POOL)
        # Recent events as marshalled bytes: a frozen snapshot that is cheap to take and to copy out.
        self._recent: dict[str, deque[bytes]] = {stream: deque(maxlen=RECENT) for stream in STREAMS}
        self._follow_ups: list[tuple[int, int, str, str]] = []  # heap of (due call, order, company, tx id)
        self._order = itertools.count()  # tie-breaker: the heap never compares company numbers
        self._filing_calls = 0
        self._today = DEFAULT_TODAY
        self._published_at = ""

    # --- the public interface --------------------------------------------------------------------

    def next_event(self, stream: str, published_at: str) -> dict:
        """One event envelope for `stream`, published at `published_at` (ISO, e.g. 2025-03-14T10:22:07)."""
        if stream not in self._recent:
            raise ValueError(f"unknown stream {stream!r}; expected one of {', '.join(STREAMS)}")
        if published_at != self._published_at:
            self._published_at = published_at
            self._today = date.fromisoformat(published_at[:10])
        recent = self._recent[stream]
        if recent and self._rng.random() < self._duplicate_share:
            event = _thaw(choice(self._rng, recent))
            event["event"]["published_at"] = published_at
            return event
        if stream == "filings":
            self._filing_calls += 1
            event = self._document_follow_up() or self._filing_event()
        elif stream == "companies":
            event = self._company_event()
        else:
            event = self._resource_event(stream)
        event["event"]["published_at"] = published_at
        # The event still shares dicts with the company's state: snapshot it before anything changes.
        frozen = _freeze(event)
        recent.append(frozen)
        return _thaw(frozen)

    def company_numbers(self) -> list[str]:
        """The universe of company numbers, in a fixed order (watched numbers not included)."""
        return list(self._universe)

    def profile(self, company_number: str) -> dict | None:
        """The company's current profile, or None for a number the generator does not know."""
        state = self._state(company_number, create=company_number in self._known)
        return _copy(state.profile) if state else None

    def filing_history(self, company_number: str) -> list[dict]:
        """The filings generated for the company, newest first (deleted ones left out)."""
        state = self._states.get(company_number)
        return [_copy(item) for item in reversed(state.filings)] if state else []

    # --- companies and their state ---------------------------------------------------------------

    def _state(self, number: str, *, create: bool = True) -> CompanyState | None:
        state = self._states.get(number)
        if state is None and create:
            identity = registers.identity(self._seed, number, self._today)
            build = partial(self._baseline, number, identity)
            state = CompanyState(number, identity, build)
            self._states[number] = state
            self._known.add(number)
        return state

    def _baseline(self, number: str, identity: tuple[str, str, str]) -> dict:
        return profiles.baseline(self._seed, number, identity, self._today)

    def _pick(self) -> CompanyState:
        rng = self._rng
        if self._watched and rng.random() < self._watched_share:
            number = choice(rng, self._watched)
        else:
            # Only companies reached this way join the active pool, so revisits never inflate the
            # watched share above `watched_share`.
            if self._active and rng.random() < 0.5:
                number = choice(rng, self._active)
            else:
                number = choice(rng, self._universe)
            self._active.append(number)
        return self._state(number)

    @staticmethod
    def _envelope(kind: str, uri: str, resource_id: str, data: dict, event_type: str = "changed") -> dict:
        return {
            "resource_kind": kind,
            "resource_uri": uri,
            "resource_id": resource_id,
            "data": data,
            "event": {"type": event_type, "published_at": ""},
        }

    # --- companies stream ------------------------------------------------------------------------

    def _company_event(self) -> dict:
        rng = self._rng
        state = self._pick()
        number = state.number
        fields: list[str] | None = None
        if not state.announced:
            state.announced = True  # the first event carries the baseline as it stands
        elif rng.random() < self._noop_share:
            if rng.random() < 0.6:
                state.profile["etag"] = people.etag(rng)  # CH re-sends with only a new etag
        else:
            options = profile_changes.available_changes(state.profile)
            kind = weighted(rng, options)
            fields = profile_changes.apply_change(state, kind, rng, self._today)
        event = self._envelope("company-profile", f"/company/{number}", number, state.profile)
        if fields:
            event["event"]["fields_changed"] = list(dict.fromkeys(fields))
        return event

    # --- filings stream --------------------------------------------------------------------------

    def _filing_event(self) -> dict:
        rng = self._rng
        state = self._pick()
        if state.filings and rng.random() < 0.002:  # CH occasionally withdraws a filing
            gone = state.filings.pop(rng.randrange(len(state.filings)))
            tx = gone["transaction_id"]
            return self._envelope("filing-history", gone["links"]["self"], tx, {}, "deleted")
        data = filings.new_filing(rng, state, self._ids.transaction_id(), self._today)
        tx, uri = data["transaction_id"], data["links"]["self"]
        state.filings.append(data)
        if rng.random() < DOCUMENT_FOLLOW_UP_SHARE:
            due = self._filing_calls + randint(rng, 2, 12)
            heapq.heappush(self._follow_ups, (due, next(self._order), state.number, tx))
        return self._envelope("filing-history", uri, tx, data)

    def _document_follow_up(self) -> dict | None:
        """The same filing again, now that its document is available, if one is due."""
        while self._follow_ups and self._follow_ups[0][0] <= self._filing_calls:
            _, _, number, tx = heapq.heappop(self._follow_ups)
            state = self._states[number]
            item = next((f for f in state.filings if f["transaction_id"] == tx), None)
            if item is None:  # deleted meanwhile
                continue
            filings.add_document(item, self._rng)
            return self._envelope("filing-history", item["links"]["self"], tx, item)
        return None

    # --- officers, PSCs, charges, insolvency -----------------------------------------------------

    def _resource_event(self, stream: str) -> dict:
        state = self._pick()
        outcome = _RESOURCE_EVENTS[stream](self._rng, state, self._ids, self._today)
        return self._envelope(
            outcome.kind, outcome.uri, outcome.resource_id, outcome.data, outcome.event_type
        )
