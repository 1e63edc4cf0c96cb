"""The `description_values` of a filing: exactly the placeholders its description text uses.

Values are of the kind the name calls for (ISO dates for *_date, a person's name for officer_name
and psc_name, a one-line address for *address, a charge code for charge_number) and, where the
company's state knows better, taken from it: accounts are made up to the period the profile says,
a terminated officer is one the company has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from streams.simulator import people
from streams.simulator.reference import constants, filing_descriptions, placeholders
from streams.simulator.state import CompanyState, add_months, choice, randint


@dataclass
class FilingContext:
    """What the value filler knows: the company, the filing's date, and the random stream."""

    rng: random.Random
    state: CompanyState
    filed_on: date
    category: str

    def recent(self, most: int = 28) -> str:
        return (self.filed_on - timedelta(days=randint(self.rng, 0, most))).isoformat()


def description_values(code: str, context: FilingContext) -> dict:
    """Exactly the placeholders the code's text uses, each with a value of the right kind."""
    values: dict = {}
    for name in placeholders(filing_descriptions()[code]):
        values[name] = _value(name.replace(" ", "_"), values, context, code)
    return values


def _value(name: str, values: dict, context: FilingContext, code: str) -> object:
    rng, state = context.rng, context.state  # state.profile only where needed: it is built on demand
    if name == "made_up_date":
        return _made_up_date(context)
    if name == "new_date":
        base = date.fromisoformat(values.get("made_up_date") or context.recent())
        return add_months(base, choice(rng, (-6, -3, 3, 6))).isoformat()
    if name == "brought_down_date":
        return (context.filed_on - timedelta(days=randint(rng, 20, 60))).isoformat()
    if name == "date" or name.endswith("_date"):
        return context.recent()
    if name == "officer_name":
        current = [o for o in state.officers if "resigned_on" not in o]
        if code.startswith(("termination", "change-person")) and current:
            return display_name(choice(rng, current)["name"])
        if "corporate" in code:
            return people.corporate_name(rng)
        return people.person(rng).full_name
    if name == "psc_name":
        return people.person(rng).full_name
    if name == "old_address":
        return people.one_line(state.profile["registered_office_address"])
    if name.endswith("address"):  # (an office move's own addresses are set by its effects)
        return people.one_line(people.address(rng, people.country_for(state.jurisdiction)))
    if name == "charge_number":
        return _charge_code(context, code)
    if name == "company_type":
        return constants()["company_type"].get(state.company_type, "Private limited company")
    if name == "company_number":
        return state.number
    if name in ("new_jurisdiction", "old_jurisdiction"):
        return choice(rng, ("England/Wales", "Wales", "England"))
    if name == "change_name":
        return people.company_name(rng, "LIMITED")
    if name in ("form_type", "form_attached"):
        return choice(rng, ("4.19", "CS01", "AP01", "SH01", "PSC01"))
    if name == "branch_number":
        return f"BR{randint(rng, 1, 30000):06d}"
    if name in ("original_description", "representative_details", "change_details", "change_type"):
        return f"{choice(rng, people.NAME_WORDS)} {choice(rng, ('details', 'update', 'statement'))}"
    return str(randint(rng, 1, 999))


def display_name(officer_name: str) -> str:
    """ "HUGHES, David John" -> "David John Hughes" (filings write names forename first)."""
    surname, _, forenames = officer_name.partition(", ")
    return f"{forenames} {surname.title()}".strip()


def _made_up_date(context: FilingContext) -> str:
    profile = context.state.profile
    if context.category == "accounts" and "accounts" in profile:
        end = profile["accounts"]["next_accounts"]["period_end_on"]
        if end <= context.filed_on.isoformat():
            return end
        return profile["accounts"].get("last_accounts", {}).get("made_up_to") or context.recent(300)
    if context.category == "confirmation-statement" and "confirmation_statement" in profile:
        made_up_to = profile["confirmation_statement"]["next_made_up_to"]
        if made_up_to <= context.filed_on.isoformat():
            return made_up_to
    return context.recent(14 if context.category == "confirmation-statement" else 300)


def _charge_code(context: FilingContext, code: str) -> str:
    state = context.state
    if "satisfy" in code or "release" in code or "cease" in code or "alter" in code:
        outstanding = [c for c in state.charges if c.get("status") != "fully-satisfied"]
        if outstanding:
            return choice(context.rng, outstanding)["charge_code"]
        return f"{state.number}{randint(context.rng, 1, 9):04d}"
    number = state.next_charge_number
    state.next_charge_number += 1
    return f"{state.number}{number:04d}"


def capital(rng: random.Random) -> list[dict]:
    """A statement of capital as CH shapes it inside description_values."""
    amount = choice(rng, (1, 2, 100, 1000, 10_000)) * choice(rng, (1, 1, 1, 3, 12.5, 50))
    result = [{"figure": f"{amount:,.2f}", "currency": "GBP"}]
    if rng.random() < 0.05:
        result.append({"figure": f"{randint(rng, 1, 500) * 100:,}", "currency": choice(rng, ("EUR", "USD"))})
    return result
