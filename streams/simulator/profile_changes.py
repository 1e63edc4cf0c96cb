"""How a company profile changes, with CH-style `fields_changed`.

Most changes follow something else the company did: a filing (accounts, a confirmation
statement, an office move, a change of name, a new charge) or a step of its story (a strike-off,
an insolvency, a dissolution). Those wait in `state.pending` and the next company-profile event
carries them all. A few happen on their own (`available_changes`): new SIC codes, an office
corrected, a deadline passing unmet.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from streams.simulator import people, registers, story
from streams.simulator.profiles import ard_date, sic_codes
from streams.simulator.state import (
    ACTIVE,
    INSOLVENT,
    CompanyState,
    add_months,
    filing_deadline,
    month_end,
)

_INSOLVENT = {
    "liquidation",
    "administration",
    "receivership",
    "voluntary-arrangement",
    "insolvency-proceedings",
}
_ACCOUNTS_FIELDS = ["accounts.next_accounts", "accounts.next_due", "accounts.next_made_up_to"]


def new_name(rng: random.Random, company_type: str) -> str:
    """A fresh name with the ending the company's type calls for."""
    return people.company_name(rng, registers.suffix(rng, company_type))


# --- changes a filing or the company's story asked for --------------------------------------------


def apply_pending(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    """Carry out every pending change, in the order made; return CH-style `fields_changed`."""
    fields: list[str] = []
    for kind, value in state.pending.items():
        fields += _PENDING[kind](state, value, today)
    state.pending.clear()
    state.profile["etag"] = people.etag(rng)
    return list(dict.fromkeys(fields))


def _name(state: CompanyState, new: str, today: date) -> list[str]:
    profile = state.profile
    previous = profile.setdefault("previous_company_names", [])
    effective = previous[0]["ceased_on"] if previous else profile["date_of_creation"]
    previous.insert(
        0, {"name": profile["company_name"], "effective_from": effective, "ceased_on": today.isoformat()}
    )
    profile["company_name"] = new
    return ["company_name", "previous_company_names"]


def _office(state: CompanyState, address: dict, today: date) -> list[str]:
    if state.profile["registered_office_address"] == address:
        return []
    state.profile["registered_office_address"] = address
    return ["registered_office_address"]


def _accounts_filed(state: CompanyState, kind: str, today: date) -> list[str]:
    """The accounts (of type `kind`) for the current period are in: the next are due a year on."""
    accounts = state.profile["accounts"]
    period = accounts["next_accounts"]
    accounts["last_accounts"] = {
        "made_up_to": period["period_end_on"],
        "type": kind,
        "period_end_on": period["period_end_on"],
        "period_start_on": period["period_start_on"],
    }
    end = date.fromisoformat(period["period_end_on"])
    new_end = ard_date(accounts["accounting_reference_date"], end.year + 1)
    _set_next_accounts(state.profile, end + timedelta(days=1), new_end, today)
    return ["accounts.last_accounts", *_ACCOUNTS_FIELDS]


def _set_next_accounts(profile: dict, start: date, end: date, today: date) -> None:
    accounts = profile["accounts"]
    due = filing_deadline(end, 6 if profile["type"] == "plc" else 9)
    overdue = due < today
    accounts["next_accounts"] = {
        "due_on": due.isoformat(),
        "period_end_on": end.isoformat(),
        "period_start_on": start.isoformat(),
        "overdue": overdue,
    }
    accounts.update(next_due=due.isoformat(), next_made_up_to=end.isoformat(), overdue=overdue)


def _confirmation_filed(state: CompanyState, made_up_to: str, today: date) -> list[str]:
    """A statement made up to `made_up_to`: the next is made up to a year after it."""
    following = add_months(date.fromisoformat(made_up_to), 12)
    state.profile["confirmation_statement"].update(
        last_made_up_to=made_up_to,
        next_made_up_to=following.isoformat(),
        next_due=(following + timedelta(days=14)).isoformat(),
        overdue=False,
    )
    return [
        "confirmation_statement.last_made_up_to",
        "confirmation_statement.next_made_up_to",
        "confirmation_statement.next_due",
    ]


def _reference_date(state: CompanyState, new_end: str, today: date) -> list[str]:
    """The current period now ends on `new_end` (an AA01), and later ones on its anniversary."""
    accounts = state.profile["accounts"]
    end = date.fromisoformat(new_end)
    accounts["accounting_reference_date"] = {"day": str(end.day), "month": f"{end.month:02d}"}
    start = date.fromisoformat(accounts["next_accounts"]["period_start_on"])
    _set_next_accounts(state.profile, start, end, today)
    return ["accounts.accounting_reference_date", *_ACCOUNTS_FIELDS]


def _status(state: CompanyState, new: str, today: date) -> list[str]:
    profile = state.profile
    if profile["company_status"] == new:
        return []
    profile["company_status"] = new
    fields = ["company_status"]
    if profile.pop("company_status_detail", None) is not None:
        fields.append("company_status_detail")
    if new in ("dissolved", "removed"):
        profile["date_of_cessation"] = today.isoformat()
        profile["can_file"] = False
        fields += ["date_of_cessation", "can_file"]
    elif new in ("active", "registered"):
        if profile.pop("date_of_cessation", None) is not None:
            fields.append("date_of_cessation")
        if not profile["can_file"]:
            profile["can_file"] = True
            fields.append("can_file")
    if new in _INSOLVENT and not profile["has_insolvency_history"]:
        fields += _set_flag(profile, "has_insolvency_history", "insolvency", True)
    if new == "liquidation":
        profile["has_been_liquidated"] = True
        profile["can_file"] = False
        fields += ["has_been_liquidated", "can_file"]
    return fields


def _strike_off(state: CompanyState, proposed: bool, today: date) -> list[str]:
    profile = state.profile
    if proposed and profile.get("company_status_detail") != "active-proposal-to-strike-off":
        profile["company_status_detail"] = "active-proposal-to-strike-off"
        return ["company_status_detail"]
    if not proposed and profile.pop("company_status_detail", None) is not None:
        return ["company_status_detail"]
    return []


def _set_flag(profile: dict, flag: str, link: str, value: bool) -> list[str]:
    profile[flag] = value
    if value:
        profile["links"][link] = f"/company/{profile['company_number']}/{link}"
    else:
        profile["links"].pop(link, None)
    return [flag, f"links.{link}"]


def _has_charges(state: CompanyState, value: bool, today: date) -> list[str]:
    if state.profile["has_charges"] == value:
        return []
    return _set_flag(state.profile, "has_charges", "charges", value)


_PENDING: dict[str, Callable[[CompanyState, Any, date], list[str]]] = {
    "name": _name,
    "office": _office,
    "accounts": _accounts_filed,
    "confirmation": _confirmation_filed,
    "reference": _reference_date,
    "status": _status,
    "strike_off": _strike_off,
    "has_charges": _has_charges,
}


# --- changes of their own ------------------------------------------------------------------------


def available_changes(state: CompanyState, today: date, now: float) -> tuple[tuple[str, float], ...]:
    """The changes that could happen to this profile now on their own, with their weights."""
    profile = state.profile
    active = state.stage == ACTIVE
    accounts, statement = profile.get("accounts"), profile.get("confirmation_statement")
    result = []
    if active and "sic_codes" in profile and state.rested("sic", story.SIC, now):
        result.append(("sic_codes", 6))
    if state.stage in (ACTIVE, INSOLVENT) and state.rested("office", story.OFFICE, now):
        result.append(("office", 2))
        if active and profile["jurisdiction"] in ("england-wales", "wales"):
            result.append(("jurisdiction", 0.5))
    # A deadline that passed unmet: CH marks it overdue the next day.
    if active and accounts and not accounts["overdue"] and accounts["next_due"] < today.isoformat():
        result.append(("accounts_overdue", 30))
    if active and statement and not statement["overdue"] and statement["next_due"] < today.isoformat():
        result.append(("confirmation_overdue", 30))
    return tuple(result)


def apply_change(state: CompanyState, kind: str, rng: random.Random, today: date, now: float) -> list[str]:
    """Change the profile in place by one kind of change; return CH-style `fields_changed`."""
    profile = state.profile
    if kind == "sic_codes":
        old, new = profile["sic_codes"], sic_codes(rng)
        while new == old:
            new = sic_codes(rng)
        profile["sic_codes"] = new
        state.mark("sic", now)
        fields = ["sic_codes"]
    elif kind == "office":
        new = profile["registered_office_address"]
        while new == profile["registered_office_address"]:
            new = people.address(rng, people.country_for(profile["jurisdiction"]))
        fields = _office(state, new, today)
        state.mark("office", now)
    elif kind == "jurisdiction":
        profile["jurisdiction"] = "england-wales" if profile["jurisdiction"] == "wales" else "wales"
        profile["registered_office_address"] = people.address(
            rng, people.country_for(profile["jurisdiction"])
        )
        state.mark("office", now)
        fields = ["jurisdiction", "registered_office_address"]
    elif kind == "accounts_overdue":
        accounts = profile["accounts"]
        accounts["overdue"] = accounts["next_accounts"]["overdue"] = True
        fields = ["accounts.overdue", "accounts.next_accounts.overdue"]
    else:
        profile["confirmation_statement"]["overdue"] = True
        fields = ["confirmation_statement.overdue"]
    profile["etag"] = people.etag(rng)
    return fields


def reference_end(accounts: dict, months: int) -> str:
    """The current period's end moved by `months` (an AA01), kept between 6 and 18 months long."""
    start = date.fromisoformat(accounts["next_accounts"]["period_start_on"])
    end = date.fromisoformat(accounts["next_accounts"]["period_end_on"])
    moved = month_end(*_year_month(add_months(end, months)))
    shortest, longest = add_months(start, 6), add_months(start, 18) - timedelta(days=1)
    if moved < shortest or moved > longest:
        moved = month_end(*_year_month(add_months(end, 3 if months < 0 else -3)))
    return min(max(moved, shortest), longest).isoformat()


def _year_month(day: date) -> tuple[int, int]:
    return day.year, day.month
