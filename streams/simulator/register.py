"""The register the generator tells its stories about: every company it knows, its state, and
which company the next event is about.

Companies are the universe's (numbers drawn once from every register of CH), the watched ones
(some practice's clients), and those incorporated during the run. An event goes to a company
with something plausible to say (see `pick`); what a filing owes the other streams waits in
`FollowUps` until a few of that stream's events later.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from streams.simulator import deadlines, profiles, registers, story
from streams.simulator.state import (
    DISSOLVED,
    ENDING,
    INSOLVENT,
    STRIKING_OFF,
    Allowance,
    CompanyState,
    Pool,
    choice,
    randint,
)

ACTIVE_POOL = 400  # recently active companies; half the events revisit one, as busy companies do
WATCHED_TRIES = 3  # watched companies tried before an event goes to the rest of the register
UNIVERSE_TRIES = 12
WATCHED_RARITIES = 0.1  # share of the watched companies that may meet an end, or rename, in a run
FOLLOW_UP_CALLS = 6  # a filing's change reaches its own stream within this many of that stream's events
MAX_DUE = 5_000  # follow-ups waiting per stream; past it (a stream nobody asks for) they are dropped


@dataclass
class Clock:
    """The story's time: the day, and the moment in seconds, the latest event was published at."""

    today: date
    now: float


class Register:
    """The companies, and their states once an event (or a REST question) has touched them."""

    def __init__(
        self,
        seed: int,
        rng: random.Random,
        clock: Clock,
        *,
        companies: int,
        watched: Sequence[str],
        watched_share: float,
        names: Mapping[str, str],
        paced: bool,
    ) -> None:
        self._seed, self._rng, self._clock = seed, rng, clock
        self.watched = tuple(watched)
        self.watched_share = watched_share
        self.paced = paced
        self._names = dict(names)
        self.universe = registers.universe(rng, companies)
        self.known = set(self.universe) | set(self.watched)  # membership only, never iterated
        self._new_numbers = registers.NewNumbers(self.known)
        self.states: dict[str, CompanyState] = {}
        self._identities = {n: self._identity(n) for n in self.watched}
        self._plans = deadlines.plan(seed, list(self._identities.items()), clock.today)
        rare = math.ceil(len(self.watched) * WATCHED_RARITIES)
        self._allowance = Allowance(endings=rare, renames=rare)
        self.active: deque[str] = deque(maxlen=ACTIVE_POOL)
        self.stories = Pool()  # companies of the register (not watched) in the midst of an ending
        self.dissolved = Pool()  # ... and those dissolved during the run (a restoration may follow)

    def _identity(self, number: str, created: date | None = None) -> tuple[str, str, str]:
        company_type, jurisdiction, creation = registers.identity(
            self._seed, number, self._clock.today, created
        )
        if number in self._names:
            company_type = registers.named_type(company_type, self._names[number])
        return company_type, jurisdiction, creation

    def state(self, number: str, *, create: bool = True, new: bool = False) -> CompanyState | None:
        state = self.states.get(number)
        if state is None and create:
            today = self._clock.today
            identity = self._identities.get(number) or self._identity(number, today if new else None)
            build = partial(self._baseline, number, identity)
            state = CompanyState(number, identity, build, seed=self._seed, since=today.isoformat())
            state.new, state.paced = new, self.paced
            if number in self._identities:
                state.allowance = self._allowance
                if self.paced:
                    self._stagger(state)
            self.states[number] = state
            self.known.add(number)
        return state

    def incorporate(self) -> CompanyState:
        """A company incorporated today, under a number CH has never issued before."""
        state = self.state(self._new_numbers.issue(self._rng), new=True)
        self.active.append(state.number)
        return state

    def start(self) -> None:
        """The run begins: paced, the watched companies' pauses count from now."""
        if self.paced:
            for number in self.watched:
                if number in self.states:
                    self._stagger(self.states[number])

    def _stagger(self, state: CompanyState) -> None:
        state.last.clear()
        pauses = random.Random(f"{self._seed}:{state.number}:pauses")  # noqa: S311 - a simulation
        story.stagger(state, pauses, self._clock.now)

    def _baseline(self, number: str, identity: tuple[str, str, str]) -> dict:
        today = self._clock.today
        profile = profiles.baseline(self._seed, number, identity, today, self._names.get(number))
        if number in self._plans:
            deadlines.arrange(profile, self._plans[number], today)
        return profile

    def pick(
        self,
        accept: Callable[[CompanyState], Any],
        pool: Pool | None = None,
        otherwise: Callable[[CompanyState], Any] | None = None,
        *,
        share: float | None = None,
        register: bool = True,
    ) -> tuple[CompanyState, Any] | None:
        """A company for which `accept` says what it will do, and that plan: a watched company
        `share` of the time (default: the watched share), else one of `pool` or of the register.
        A watched company that would do nothing `accept` asks does what `otherwise` says, if anything.
        `register=False`: a watched company or none."""
        rng = self._rng
        if self.watched and rng.random() < (self.watched_share if share is None else share):
            for _ in range(WATCHED_TRIES):
                state = self.state(choice(rng, self.watched))
                plan = accept(state)
                if plan:
                    return state, plan
            if otherwise is not None and (plan := otherwise(state)):
                return state, plan
        if not register or (pool is not None and not len(pool)):
            return None
        for _ in range(UNIVERSE_TRIES):
            if pool is not None:
                number = pool.choose(rng)
            elif self.active and rng.random() < 0.5:
                number = choice(rng, self.active)
            else:
                number = choice(rng, self.universe)
            state = self.state(number)
            plan = accept(state)
            if plan:
                # Only companies reached this way join the active pool, so revisits never inflate
                # the watched share.
                self.active.append(number)
                return state, plan
        return None

    def any_company(self) -> CompanyState:
        return self.state(choice(self._rng, self.universe))

    def track(self, state: CompanyState) -> None:
        """Keep the story pools up to date with a company of the register whose stage may have moved."""
        if state.allowance is not None:
            return  # a watched company: its events come by way of the watched share
        if state.stage in (STRIKING_OFF, INSOLVENT, ENDING):
            self.stories.add(state.number)
        else:
            self.stories.discard(state.number)
        if state.stage == DISSOLVED:
            self.dissolved.add(state.number)
        else:
            self.dissolved.discard(state.number)


class FollowUps:
    """Per stream, what that stream owes: (company, key) due after so many of its own events."""

    def __init__(self, rng: random.Random, streams: Sequence[str]) -> None:
        self._rng = rng
        self._due: dict[str, list[tuple[int, int, str, str | None]]] = {s: [] for s in streams}
        self.calls: Counter[str] = Counter()
        self._order = itertools.count()  # tie-breaker: the heap never compares company numbers

    def add(
        self, stream: str, number: str, key: str | None, lowest: int = 1, highest: int = FOLLOW_UP_CALLS
    ) -> None:
        heap = self._due.get(stream)
        if heap is not None and len(heap) < MAX_DUE:
            due = self.calls[stream] + randint(self._rng, lowest, highest)
            heapq.heappush(heap, (due, next(self._order), number, key))

    def next(self, stream: str) -> tuple[str, str | None] | None:
        """(company number, key) of a follow-up now due on `stream`, if any."""
        heap = self._due[stream]
        if heap and heap[0][0] <= self.calls[stream]:
            _, _, number, key = heapq.heappop(heap)
            return number, key
        return None

    def waiting(self, stream: str) -> int:
        return len(self._due[stream])
