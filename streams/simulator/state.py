"""What the generator remembers about one company between events, and small date helpers."""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Protocol


@dataclass
class CompanyState:
    """One company's current resources, as CH's REST API would return them.

    The full profile is built only when first needed: most officer, PSC, charge and insolvency
    events need only the company's type, jurisdiction and date of creation (`identity`).
    """

    number: str
    identity: tuple[str, str, str]  # (type, jurisdiction, date_of_creation) at baseline
    build_profile: Callable[[], dict] = field(repr=False)
    built_profile: dict | None = field(default=None, repr=False)
    announced: bool = False  # has a company-profile event carried the baseline yet?
    filings: list[dict] = field(default_factory=list)  # oldest first
    officers: list[dict] = field(default_factory=list)  # appointment resources, current and resigned
    pscs: list[dict] = field(default_factory=list)
    charges: list[dict] = field(default_factory=list)
    insolvency: dict | None = None
    next_charge_number: int = 1
    # Changes a filing announced that the next matching profile change should carry out, so that
    # an AD01 or NM01 and the following company-profile event agree.
    pending_address: dict | None = None
    pending_name: str | None = None

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
