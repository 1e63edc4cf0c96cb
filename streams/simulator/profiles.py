"""Baseline company profiles: the state a company is in before the stream says anything about it.

A baseline is built from a random stream seeded by (generator seed, company number), so a
company's starting state does not depend on which stream first mentions it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache

from streams.simulator import people, registers
from streams.simulator.reference import constants
from streams.simulator.state import add_months, choice, filing_deadline, month_end, weighted

# Registers that file no accounts or confirmation statements with CH.
_NO_ACCOUNTS = {
    "limited-partnership",
    "registered-overseas-entity",
    "charitable-incorporated-organisation",
    "scottish-charitable-incorporated-organisation",
    "industrial-and-provident-society",
}
ACCOUNT_TYPES = (
    ("micro-entity", 40),
    ("total-exemption-full", 22),
    ("unaudited-abridged", 14),
    ("dormant", 12),
    ("small", 4),
    ("full", 5),
    ("group", 1),
    ("audit-exemption-subsidiary", 1),
    ("medium", 1),
)
_COMMON_SIC = (
    "62020",
    "68209",
    "70229",
    "41100",
    "82990",
    "96090",
    "99999",
    "47910",
    "56101",
    "43390",
    "74990",
    "62012",
    "68100",
    "86900",
    "64209",
    "46900",
    "49410",
    "69201",
    "70100",
    "73110",
    "43210",
    "10710",
)


@cache
def _sic_codes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    known = constants()["sic_descriptions"]
    return tuple(c for c in _COMMON_SIC if c in known), tuple(c for c in known if len(c) == 5)


def sic_codes(rng: random.Random) -> list[str]:
    common, every = _sic_codes()
    count = weighted(rng, ((1, 70), (2, 20), (3, 8), (4, 2)))
    codes = [choice(rng, common) if rng.random() < 0.7 else choice(rng, every) for _ in range(count)]
    return sorted(dict.fromkeys(codes))


def ard_date(ard: dict, year: int) -> date:
    return _reference_day(ard["day"], ard["month"], year)


@cache
def _reference_day(day: str, month: str, year: int) -> date:
    # Month-end references (28 February included) follow the month's real end in leap years.
    return month_end(year, int(month)) if int(day) >= 28 else date(year, int(month), int(day))


def _accounts(rng: random.Random, created: date, ard: dict, today: date, months_to_file: int) -> dict:
    """Accounts whose next period is the earliest not yet due (or, for a few companies, overdue)."""
    shortest = created + timedelta(days=180)  # a first period runs at least six months

    def is_first(end: date) -> bool:
        return ard_date(ard, end.year - 1) <= shortest

    def due_on(end: date) -> date:
        # First accounts are due 21 months after incorporation (or 3 after the period, if later).
        if is_first(end):
            return max(add_months(created, 21), filing_deadline(end, 3))
        return filing_deadline(end, months_to_file)

    end = ard_date(ard, today.year + 1)
    while not is_first(end) and due_on(ard_date(ard, end.year - 1)) >= today:
        end = ard_date(ard, end.year - 1)
    if not is_first(end) and rng.random() < 0.05:
        end = ard_date(ard, end.year - 1)  # one set of accounts late
    previous = ard_date(ard, end.year - 1)
    start = created if is_first(end) else previous + timedelta(days=1)
    due = due_on(end)
    overdue = due < today
    accounts = {
        "accounting_reference_date": dict(ard),
        "next_due": due.isoformat(),
        "next_made_up_to": end.isoformat(),
        "overdue": overdue,
        "next_accounts": {
            "due_on": due.isoformat(),
            "period_end_on": end.isoformat(),
            "period_start_on": start.isoformat(),
            "overdue": overdue,
        },
    }
    if is_first(end):
        accounts["last_accounts"] = {"type": "null"}
    else:
        kind = weighted(rng, ACCOUNT_TYPES)
        last_start = created if is_first(previous) else ard_date(ard, previous.year - 1) + timedelta(days=1)
        accounts["last_accounts"] = {
            "made_up_to": previous.isoformat(),
            "type": kind,
            "period_end_on": previous.isoformat(),
            "period_start_on": last_start.isoformat(),
        }
    return accounts


def _confirmation_statement(rng: random.Random, created: date, today: date) -> dict:
    years = max(1, today.year - created.year - 1)
    while add_months(created, 12 * years) + timedelta(days=14) < today:
        years += 1
    if rng.random() < 0.04 and years > 1:
        years -= 1  # one statement late
    next_made_up_to = add_months(created, 12 * years)
    next_due = next_made_up_to + timedelta(days=14)
    statement = {"next_due": next_due.isoformat(), "next_made_up_to": next_made_up_to.isoformat()}
    if years > 1:
        statement["last_made_up_to"] = add_months(created, 12 * (years - 1)).isoformat()
    statement["overdue"] = next_due < today
    return statement


def deadline_kinds(company_type: str) -> tuple[str, ...]:
    """Which deadlines a company of this type has with CH: "accounts", "confirmation"."""
    if company_type in _NO_ACCOUNTS:
        return ()
    return ("accounts",) if company_type == "oversea-company" else ("accounts", "confirmation")


def baseline(
    seed: int, number: str, identity: tuple[str, str, str], today: date, name: str | None = None
) -> dict:
    """The profile a company has before the stream says anything about it (`name`: the one it
    is known by, if given)."""
    # A str seed is hashed with SHA-512: stable across processes, unlike hash().
    rng = random.Random(f"{seed}:{number}")  # noqa: S311 - a simulation, not cryptography
    company_type, jurisdiction, creation = identity
    created = date.fromisoformat(creation)
    invented = people.company_name(rng, registers.suffix(rng, company_type))
    name = name.upper() if name else invented
    country = people.country_for(jurisdiction)
    profile: dict = {
        "company_number": number,
        "company_name": name,
        "company_status": "registered" if company_type == "registered-overseas-entity" else "active",
        "type": company_type,
        "jurisdiction": jurisdiction,
        "date_of_creation": creation,
        "registered_office_address": people.address(rng, country),
    }
    if company_type not in _NO_ACCOUNTS:
        if rng.random() < 0.6:
            ard = {"day": str(month_end(2001, created.month).day), "month": f"{created.month:02d}"}
        else:
            ard = choice(
                rng,
                ({"day": "31", "month": "03"}, {"day": "31", "month": "12"}, {"day": "30", "month": "06"}),
            )
        profile["accounts"] = _accounts(rng, created, ard, today, 6 if company_type == "plc" else 9)
        if company_type != "oversea-company":
            profile["confirmation_statement"] = _confirmation_statement(rng, created, today)
    if company_type not in ("limited-partnership", "oversea-company", "registered-overseas-entity"):
        profile["sic_codes"] = sic_codes(rng)
    if company_type == "ltd" and rng.random() < 0.03:
        profile["subtype"] = "community-interest-company"
    has_charges = rng.random() < 0.18 and created < today  # a company is not born with charges
    profile.update(
        has_charges=has_charges,
        has_insolvency_history=False,
        registered_office_is_in_dispute=False,
        undeliverable_registered_office_address=False,
        can_file=True,
        etag=people.etag(rng),
    )
    links = {"self": f"/company/{number}", "filing_history": f"/company/{number}/filing-history"}
    links["officers"] = f"/company/{number}/officers"
    links["persons_with_significant_control"] = f"/company/{number}/persons-with-significant-control"
    if has_charges:
        links["charges"] = f"/company/{number}/charges"
    profile["links"] = links
    return profile
