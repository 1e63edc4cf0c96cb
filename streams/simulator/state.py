"""What the generator remembers about one company between events, and small helpers."""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Protocol

# A company's stage in its story (see story.py): what it may still do depends on it.
ACTIVE = "active"
STRIKING_OFF = "striking-off"  # a strike-off under way (applied for, or proposed by CH)
INSOLVENT = "insolvent"  # an insolvency case open
ENDING = "ending"  # a liquidation concluded: only the notice of dissolution is left
DISSOLVED = "dissolved"


@dataclass
class Allowance:
    """How many more companies of a group (the watched ones) may meet an end, or change name."""

    endings: int
    renames: int


@dataclass
class CompanyState:
    """One company's current resources, as CH's REST API would return them, and its story so far.

    The full profile is built only when first needed: most officer, PSC, charge and insolvency
    events need only the company's type, jurisdiction and date of creation (`identity`).
    """

    number: str
    identity: tuple[str, str, str]  # (type, jurisdiction, date_of_creation) at baseline
    build_profile: Callable[[], dict] = field(repr=False)
    seed: int = 0  # the generator's: what the company had before the run follows from it and the number
    since: str = ""  # the day (ISO) the generator first knew the company: "before the run" is before it
    built_profile: dict | None = field(default=None, repr=False)
    announced: bool = False  # has a company-profile event carried the baseline yet?
    filings: list[dict] = field(default_factory=list)  # oldest first
    officers: list[dict] = field(default_factory=list)  # appointment resources, current and resigned
    pscs: list[dict] = field(default_factory=list)
    charges: list[dict] = field(default_factory=list)
    insolvency: dict | None = None
    next_charge_number: int = 1
    officers_built: bool = False  # the officers (and PSCs) it had before the run, made on first use
    pscs_built: bool = False
    # The story: see story.py.
    stage: str = ACTIVE
    story: str | None = None  # the ending under way: "voluntary"/"compulsory" strike-off, or a case type
    gazetted: bool = False  # the strike-off under way has had its first gazette notice
    ended_once: bool = False  # an ending story has begun: a company gets at most one per run
    allowance: Allowance | None = None  # the group's allowance of rare events (None: no limit)
    renamed: bool = False
    reference_changed: bool = False
    new: bool = False  # incorporated during the run
    story_steps: int = 0  # insolvency-case events since the case opened
    paced: bool = False  # do its changes pause between one another (story.py)? For a demo, not tests
    last: dict[str, float] = field(default_factory=dict)  # kind of change -> when (seconds) it last happened
    # Changes the company's next company-profile event carries (kind -> what), in the order made:
    # a filing changes the register first, and CH's profile follows.
    pending: dict[str, Any] = field(default_factory=dict)

    @property
    def profile(self) -> dict:
        if self.built_profile is None:
            self.built_profile = self.build_profile()
        return self.built_profile

    @property
    def company_type(self) -> str:
        return self.built_profile["type"] if self.built_profile else self.identity[0]

    @property
    def jurisdiction(self) -> str:
        return self.built_profile["jurisdiction"] if self.built_profile else self.identity[1]

    @property
    def date_of_creation(self) -> str:
        return self.identity[2]

    @property
    def is_llp(self) -> bool:
        return self.company_type == "llp"

    def rested(self, kind: str, seconds: float, now: float) -> bool:
        """Has `kind` of change not happened to the company within the last `seconds`? (Always,
        for a company whose story is not paced.)"""
        return not self.paced or now - self.last.get(kind, float("-inf")) >= seconds

    def mark(self, kind: str, now: float) -> None:
        self.last[kind] = now

    def pend(self, kind: str, value: Any) -> None:
        """A change for the next profile event; a later change of the same kind comes after the rest."""
        self.pending.pop(kind, None)
        self.pending[kind] = value


class Pool:
    """A set of company numbers to draw from at random: add, discard and choose in O(1)."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: str) -> None:
        if item not in self._index:
            self._index[item] = len(self._items)
            self._items.append(item)

    def discard(self, item: str) -> None:
        index = self._index.pop(item, None)
        if index is None:
            return
        last = self._items.pop()
        if index < len(self._items):
            self._items[index] = last
            self._index[last] = index

    def choose(self, rng: Draws) -> str:
        return choice(rng, self._items)


class Draws(Protocol):
    """Anything with random(): a random.Random, or a cheaper throwaway stream."""

    def random(self) -> float: ...


# random.Random.choice and .randint spend most of their time in rejection sampling; one call to
# random() is three or four times faster and just as deterministic.
def choice(rng: Draws, items: Sequence) -> Any:
    return items[int(rng.random() * len(items))]


def randint(rng: Draws, low: int, high: int) -> int:
    """Like random.randint: low <= n <= high."""
    return low + int(rng.random() * (high - low + 1))


def weighted(rng: Draws, pairs: tuple[tuple, ...]) -> Any:
    """The first item of one of `pairs`, each (value, ..., weight), chosen by its weight.

    One draw from `rng`; the cumulative table is built once per distinct `pairs`.
    """
    values, cumulative = _table(pairs)
    return values[bisect(cumulative, rng.random() * cumulative[-1])]


def weighted_once(rng: Draws, pairs: Sequence[tuple[Any, float]]) -> Any:
    """Like `weighted`, for weights that change from call to call (nothing is cached); None when
    every weight is zero."""
    total = sum(weight for _, weight in pairs)
    if total <= 0:
        return None
    target = rng.random() * total
    for value, weight in pairs:
        target -= weight
        if target < 0 and weight > 0:
            return value
    return next(value for value, weight in reversed(pairs) if weight > 0)


@cache
def _table(pairs: tuple[tuple, ...]) -> tuple[tuple, tuple[float, ...]]:
    total, cumulative = 0.0, []
    for pair in pairs:
        total += pair[-1]
        cumulative.append(total)
    return tuple(pair[0] if len(pair) == 2 else pair[:-1] for pair in pairs), tuple(cumulative)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(year: int, month: int) -> int:
    # calendar.monthrange also works out the weekday, which costs more than the rest of this module.
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _days_in(year, month)))


def filing_deadline(period_end: date, months: int) -> date:
    """When accounts for a period are due: `months` later, month end to month end (30 Jun -> 31 Mar)."""
    due = add_months(period_end, months)
    return (
        month_end(due.year, due.month)
        if period_end.day == _days_in(period_end.year, period_end.month)
        else due
    )


def month_end(year: int, month: int) -> date:
    return date(year, month, _days_in(year, month))
