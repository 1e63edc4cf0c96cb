"""A deterministic, seedable source of realistic Companies House streaming events.

`Generator.next_event(stream, published_at)` returns one event in CH's envelope (without
`event.timepoint`, which the server assigns); `next_mixed(published_at)` also chooses the stream,
in CH's proportions (mix.py). One `random.Random(seed)` drives every choice, so the same seed and
the same sequence of calls give the same events; "today" and the story's clock come from
`published_at`, never from the wall clock. What the generator has said is remembered per company,
so `profile()` and `filing_history()` can answer REST-style questions.

Behaviour worth knowing:
- stories: each company's events tell one coherent story (story.py): a filing is followed, on the
  stream of what it changed, by the change itself (a few calls of that stream later); a renamed
  company keeps its name; a dissolved company files nothing but a restoration; an incorporation
  is always of a new company number; a company has at most one ending (strike-off or insolvency);
- duplicates: with probability `duplicate_share` the event is a re-send of the latest version of
  one of the resources in the last `RECENT` events of that stream, with the same data, type and
  `fields_changed`; only `published_at` is the one passed in;
- no-ops (companies stream): once a company's baseline has been sent, an event about it changes
  nothing meaningful with probability `noop_share`: either only the `etag` changes or nothing does
  (an event is about a company with something to change, or a change pending, when there is one);
- document follow-ups: most filings are sent again a few filings-stream calls later, now with
  `links.document_metadata` and `pages`, as CH does when the document becomes available;
- watched companies: `watched_share` of each stream's events are about a company from `watched`,
  as far as one of them has something plausible to say there; the others go to the rest of the
  register. A practice's clients rarely fail (story.py), so the insolvency stream is nearly all
  the register's; paced, a client whose changes of a kind are pausing leaves those events to the
  register too. Their deadlines start spread as a practice's are (deadlines.py), and `names`
  gives them the names their practice knows;
- new companies: an incorporation is of a number CH never issued before; its first directors,
  PSCs and profile follow on their own streams.
"""

from __future__ import annotations

import marshal
import random
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from streams.company_numbers import is_company_number
from streams.events import DEFAULT_STREAMS
from streams.simulator import (
    appointments,
    filing_catalogue,
    filings,
    people,
    profile_changes,
    resources,
    story,
)
from streams.simulator.filing_catalogue import Form
from streams.simulator.mix import CH_DAILY_EVENTS, StreamMix
from streams.simulator.register import UNIVERSE_TRIES, Clock, FollowUps, Register
from streams.simulator.state import CompanyState, randint, weighted

STREAMS = DEFAULT_STREAMS  # the streams the generator feeds: the listener's defaults

RECENT = 25  # how far back a duplicate may reach, per stream
DOCUMENT_FOLLOW_UP_SHARE = 0.75
FORM_DRAWS = 8  # forms tried for a filing before taking any form some company can file
STORY_POOL_SHARE = 0.75  # insolvency events that carry an open case on rather than open one
# The companies stream's events that carry a filing's change, when one is due; the rest are the
# stream's own (a first profile, a no-op, new SIC codes). With every stream at the same rate the
# filings ask for more than the stream has; changes not yet carried wait in the company's state.
PROFILE_FOLLOW_UPS = 0.75
SAID = 100_000  # resource versions remembered, newest first (one forgotten is at worst said twice)
DEFAULT_TODAY = date(2025, 3, 14)  # "today" before any event has said otherwise; never the wall clock


def _copy(value: object) -> object:
    """Deep copy of JSON-shaped data, about three times faster than copy.deepcopy."""
    return _thaw(_freeze(value))


def _freeze(value: object) -> bytes:
    # marshal beats pickle and copy.deepcopy on these small, JSON-shaped events.
    return marshal.dumps(value)


def _thaw(frozen: bytes) -> Any:
    # Safe: only ever reads bytes this process has just written with _freeze.
    return marshal.loads(frozen)  # noqa: S302


_RESOURCES = {
    "officers": (resources.plan_officer, resources.officer_event),
    "persons-with-significant-control": (resources.plan_psc, resources.psc_event),
    "charges": (resources.plan_charge, resources.charge_event),
    "insolvency-cases": (resources.plan_insolvency, resources.insolvency_event),
}


class Generator:
    """Events for a universe of `companies` company numbers, plus the `watched` ones.

    `watched_share` of events are about a company from `watched` (when given; see the module's
    docstring); `duplicate_share` of events are re-sends; `noop_share` of profile events about
    known companies change nothing. `names` (number -> name) names watched companies; `today`
    is the day the run starts (before any event says otherwise); `mix` weighs the streams for
    `next_mixed` (default: CH's own volumes). `paced`: stories move at the pace of a demo
    watched by people (story.py's pauses; the watched companies file their accounts slowly),
    not as fast as the events come.
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
        names: Mapping[str, str] | None = None,
        today: date | None = None,
        mix: Mapping[str, float] | None = None,
        paced: bool = False,
    ) -> None:
        bad = [n for n in watched if not is_company_number(n)]
        if bad:
            raise ValueError(f"watched company numbers must be canonical CH numbers: {bad[:5]}")
        if companies < 1:
            raise ValueError("companies must be at least 1")
        self._rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self._duplicate_share = duplicate_share
        self._noop_share = noop_share
        start = today or DEFAULT_TODAY
        self._clock = Clock(start, datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
        self._published_at = ""
        self._register = Register(
            seed,
            self._rng,
            self._clock,
            companies=companies,
            watched=watched,
            watched_share=watched_share,
            names=names or {},
            paced=paced,
        )
        self._ids = people.Ids(seed, 3_400_000_000 + self._rng.randrange(50_000_000))
        self._mix = StreamMix(seed, mix or CH_DAILY_EVENTS)
        self._follow_ups = FollowUps(self._rng, STREAMS)
        # Recent events as (resource URI, marshalled bytes): a frozen snapshot, cheap to take and copy.
        self._recent: dict[str, deque[tuple[str, bytes]]] = {s: deque(maxlen=RECENT) for s in STREAMS}
        self._said: dict[str, int] = {}  # resource URI -> hash of the version last sent (resource streams)

    # --- the public interface --------------------------------------------------------------------

    def next_event(self, stream: str, published_at: str) -> dict:
        """One event envelope for `stream`, published at `published_at` (ISO, e.g. 2025-03-14T10:22:07)."""
        if stream not in self._recent:
            raise ValueError(f"unknown stream {stream!r}; expected one of {', '.join(STREAMS)}")
        if published_at != self._published_at:
            first = not self._published_at
            self._published_at = published_at
            moment = datetime.fromisoformat(published_at[:19]).replace(tzinfo=UTC)
            self._clock.today, self._clock.now = moment.date(), moment.timestamp()
            if first:
                self._register.start()
        recent = self._recent[stream]
        if recent and self._rng.random() < self._duplicate_share:
            uri = recent[int(self._rng.random() * len(recent))][0]
            # Its latest version: CH re-sends what a resource is, never what it was before a change.
            event = _thaw(next(frozen for u, frozen in reversed(recent) if u == uri))
            event["event"]["published_at"] = published_at
            return event
        self._follow_ups.calls[stream] += 1
        if stream == "filings":
            event = self._document_follow_up() or self._filing_event()
        elif stream == "companies":
            event = self._company_event()
        else:
            event = self._resource_event(stream)
        event["event"]["published_at"] = published_at
        # The event still shares dicts with the company's state: snapshot it before anything changes.
        frozen = _freeze(event)
        recent.append((event["resource_uri"], frozen))
        return _thaw(frozen)

    def next_mixed(self, published_at: str, streams: Sequence[str] = STREAMS) -> tuple[str, dict]:
        """The next event on any of `streams`, each chosen in proportion to the mix."""
        stream = self._mix.next(streams)
        return stream, self.next_event(stream, published_at)

    def company_numbers(self) -> list[str]:
        """The universe of company numbers, in a fixed order (watched numbers not included)."""
        return list(self._register.universe)

    def profile(self, company_number: str) -> dict | None:
        """The company's current profile, or None for a number the generator does not know."""
        state = self._register.state(company_number, create=company_number in self._register.known)
        return _copy(state.profile) if state else None

    def filing_history(self, company_number: str) -> list[dict]:
        """The filings generated for the company, newest first (deleted ones left out)."""
        state = self._register.states.get(company_number)
        return [_copy(item) for item in reversed(state.filings)] if state else []

    # --- helpers ---------------------------------------------------------------------------------

    def _follow(self, number: str, follow_ups: list[filings.FollowUp]) -> None:
        for stream, key in follow_ups:
            self._follow_ups.add(stream, number, key)

    def _due(self, stream: str) -> tuple[CompanyState, str | None] | None:
        due = self._follow_ups.next(stream)
        return (self._register.states[due[0]], due[1]) if due else None

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
        rng, today, now = self._rng, self._clock.today, self._clock.now

        def worth_an_event(s: CompanyState) -> Any:
            return s.pending or not s.announced or profile_changes.available_changes(s, today, now)

        # The watched companies have their share of this stream as of the others; then the
        # changes filings asked for; then changes of the stream's own.
        picked = self._register.pick(worth_an_event, register=False)
        state = picked[0] if picked else None
        if state is None and rng.random() < PROFILE_FOLLOW_UPS:
            while state is None and (due := self._due("companies")):
                if due[0].pending or not due[0].announced:  # (an event of its own may have carried it)
                    state = due[0]
        noop = False
        if state is None:
            picked = self._register.pick(worth_an_event, share=0.0)
            state = picked[0] if picked else self._register.any_company()
        if picked:
            noop = state.announced and rng.random() < self._noop_share
        fields: list[str] | None = None
        if noop:
            pass  # (a pending change waits for the company's next event)
        elif state.pending:
            fields = profile_changes.apply_pending(state, rng, today)
            if not state.announced:
                fields = None  # the first event carries the profile as it stands, changes and all
        elif not state.announced:
            pass  # the first event carries the baseline as it stands
        elif options := profile_changes.available_changes(state, today, now):
            fields = profile_changes.apply_change(state, weighted(rng, options), rng, today, now)
        else:
            noop = True  # (only when no company of the register had anything to change)
        if noop and rng.random() < 0.6:
            state.profile["etag"] = people.etag(rng)  # CH re-sends with only a new etag
        state.announced = True
        number = state.number
        event = self._envelope("company-profile", f"/company/{number}", number, state.profile)
        if fields:
            event["event"]["fields_changed"] = fields
        return event

    # --- filings stream --------------------------------------------------------------------------

    def _filing_event(self) -> dict:
        rng = self._rng
        if rng.random() < 0.002:  # CH occasionally withdraws a filing
            picked = self._register.pick(lambda s: bool(s.filings))
            if picked:
                state = picked[0]
                gone = state.filings.pop(rng.randrange(len(state.filings)))
                tx = gone["transaction_id"]
                return self._envelope("filing-history", gone["links"]["self"], tx, {}, "deleted")
        for _ in range(FORM_DRAWS):
            form = filing_catalogue.draw(rng)
            if form.rule == "incorporation":
                return self._incorporation(form)
            pool = None
            if form.rule in story.NEEDS_STORY:
                pool = self._register.dissolved if form.rule == "restoration" else self._register.stories
            picked = self._register.pick(partial(self._would_file, form), pool, self._otherwise)
            if picked:
                return self._file(*picked)
        for _ in range(UNIVERSE_TRIES):  # rare: any form a company of the register can file now
            state = self._register.any_company()
            form = self._any_filing(state)
            if form is not None:
                return self._file(state, form)
        return self._incorporation(next(f for f in filing_catalogue.CATALOGUE if f.rule == "incorporation"))

    def _would_file(self, form: Form, state: CompanyState) -> Form | None:
        chance = story.filing_weight(form.rule, state, self._clock.today, self._clock.now)
        return form if self._rng.random() < chance else None

    def _otherwise(self, state: CompanyState) -> Form | None:
        """What a watched company that cannot make the filing drawn files instead: paced, an
        everyday one (its clients' business is mostly paperwork); else anything it can."""
        if self._register.paced:
            return filing_catalogue.routine_for(self._rng, state, self._clock.today, self._clock.now)
        return self._any_filing(state)

    def _any_filing(self, state: CompanyState) -> Form | None:
        return filing_catalogue.for_company(self._rng, state, self._clock.today, self._clock.now)

    def _file(self, state: CompanyState, form: Form) -> dict:
        rng, clock = self._rng, self._clock
        data = filings.new_filing(rng, state, form, self._ids.transaction_id(), clock.today)
        self._follow(state.number, filings.effects(rng, state, self._ids, form, data, clock.today, clock.now))
        state.filings.append(data)
        self._register.track(state)
        tx, uri = data["transaction_id"], data["links"]["self"]
        if rng.random() < DOCUMENT_FOLLOW_UP_SHARE:
            self._follow_ups.add("filings", state.number, tx, 2, 12)
        return self._envelope("filing-history", uri, tx, data)

    def _incorporation(self, form: Form) -> dict:
        """A company incorporated today, under a number CH has never issued before: its first
        directors and owners follow on their own streams, and its first profile on the companies'."""
        rng, today = self._rng, self._clock.today.isoformat()
        state = self._register.incorporate()
        number = state.number
        first = "llp-designated-member" if state.is_llp else "director"
        for index in range(randint(rng, 1, 2)):
            officer = appointments.appoint(rng, state, self._ids, today, first if index == 0 else None)
            self._follow(number, [("officers", officer["links"]["self"])])
        for _ in range(randint(rng, 1, 2)):
            owner = appointments.notify(rng, state, self._ids, today)
            self._follow(number, [("persons-with-significant-control", owner["links"]["self"])])
        self._follow(number, [("companies", None)])
        return self._file(state, form)

    def _document_follow_up(self) -> dict | None:
        """The same filing again, now that its document is available, if one is due."""
        while due := self._due("filings"):
            state, tx = due
            item = next((f for f in state.filings if f["transaction_id"] == tx), None)
            if item is None:  # deleted meanwhile
                continue
            filings.add_document(item, self._rng)
            return self._envelope("filing-history", item["links"]["self"], tx, item)
        return None

    # --- officers, PSCs, charges, insolvency -----------------------------------------------------

    def _resource_event(self, stream: str) -> dict:
        rng, today, now = self._rng, self._clock.today, self._clock.now
        while due := self._due(stream):
            outcome = resources.announce(stream, *due)
            if outcome is not None and self._said.get(outcome.uri) != hash(_freeze(outcome.data)):
                return self._said_now(self._envelope(*outcome))
        plan, carry_out = _RESOURCES[stream]
        pool = (
            self._register.stories
            if stream == "insolvency-cases" and rng.random() < STORY_POOL_SHARE
            else None
        )
        picked = self._register.pick(lambda s: plan(rng, s, today, now), pool)
        if picked is None and pool is not None:
            picked = self._register.pick(lambda s: plan(rng, s, today, now), share=0.0)
        for _ in range(200 if picked is None else 0):  # rare: any company of the register will do
            state = self._register.any_company()
            action = plan(rng, state, today, now)
            picked = (state, action) if action else None
            if picked:
                break
        if picked is None:
            raise RuntimeError(f"no company of the register has anything to say on {stream}")
        state, action = picked
        outcome = carry_out(rng, state, self._ids, action, today, now)
        if state.pending:
            self._follow(state.number, [("companies", None)])
        self._register.track(state)
        return self._said_now(self._envelope(*outcome))

    def _said_now(self, event: dict) -> dict:
        """Remember the version sent, so that a follow-up never announces it a second time."""
        said, uri = self._said, event["resource_uri"]
        said.pop(uri, None)
        said[uri] = hash(_freeze(event["data"]))
        if len(said) > SAID:
            del said[next(iter(said))]
        return event
