"""The changes CH streams for a company profile, one kind per event, with their `fields_changed`."""

from __future__ import annotations

import random
from datetime import date, timedelta

from streams.simulator import people, registers
from streams.simulator.profiles import ACCOUNT_TYPES, ard_date, sic_codes
from streams.simulator.state import CompanyState, add_months, choice, filing_deadline, month_end, weighted

CHANGES = (
    ("name", 6),
    ("status", 6),
    ("strike_off", 7),
    ("office", 14),
    ("accounts_filed", 16),
    ("accounts_overdue", 6),
    ("confirmation_filed", 16),
    ("confirmation_overdue", 5),
    ("sic_codes", 6),
    ("has_charges", 6),
    ("has_insolvency_history", 3),
    ("reference_date", 4),
    ("jurisdiction", 1),
)
_STATUS_NEXT = {
    "active": (
        ("dissolved", 4),
        ("liquidation", 3),
        ("administration", 1),
        ("voluntary-arrangement", 0.5),
        ("receivership", 0.3),
        ("insolvency-proceedings", 0.1),
    ),
    "liquidation": (("dissolved", 5), ("active", 0.3)),
    "administration": (("liquidation", 2), ("dissolved", 2), ("active", 1)),
    "receivership": (("liquidation", 1), ("active", 1)),
    "voluntary-arrangement": (("active", 2), ("liquidation", 1)),
    "insolvency-proceedings": (("liquidation", 1), ("dissolved", 1)),
    "dissolved": (("active", 1),),  # restoration
    "registered": (("removed", 1),),
    "removed": (("registered", 1),),
}
_INSOLVENT = {
    "liquidation",
    "administration",
    "receivership",
    "voluntary-arrangement",
    "insolvency-proceedings",
}


def available_changes(profile: dict) -> tuple[tuple[str, float], ...]:
    """The kinds of change that would really change this profile, with their weights."""
    active = profile["company_status"] == "active"
    result = []
    for kind, weight in CHANGES:
        if kind == "accounts_overdue":
            ok = active and "accounts" in profile and not profile["accounts"]["overdue"]
        elif kind.startswith("accounts") or kind == "reference_date":
            ok = active and "accounts" in profile
        elif kind == "confirmation_overdue":
            ok = (
                active
                and "confirmation_statement" in profile
                and not profile["confirmation_statement"]["overdue"]
            )
        elif kind.startswith("confirmation"):
            ok = active and "confirmation_statement" in profile
        elif kind == "strike_off":
            ok = active
        elif kind == "jurisdiction":
            ok = profile["jurisdiction"] in ("england-wales", "wales")
        elif kind == "sic_codes":
            ok = "sic_codes" in profile
        else:
            ok = True
        if ok:
            result.append((kind, weight))
    return tuple(result)


def apply_change(state: CompanyState, kind: str, rng: random.Random, today: date) -> list[str]:
    """Change the profile in place by one kind of change; return CH-style `fields_changed`."""
    profile = state.profile
    fields = _CHANGERS[kind](state, rng, today)
    profile["etag"] = people.etag(rng)
    return fields


def _name(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    profile = state.profile
    old = profile["company_name"]
    new = state.pending_name
    state.pending_name = None
    while new is None or new == old:
        new = new_name(rng, profile["type"])
    previous = profile.setdefault("previous_company_names", [])
    effective = previous[0]["ceased_on"] if previous else profile["date_of_creation"]
    previous.insert(0, {"name": old, "effective_from": effective, "ceased_on": today.isoformat()})
    profile["company_name"] = new
    return ["company_name", "previous_company_names"]


def new_name(rng: random.Random, company_type: str) -> str:
    """A fresh name with the ending the company's type calls for."""
    return people.company_name(rng, registers.suffix(rng, company_type))


def _status(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    profile = state.profile
    options = _STATUS_NEXT.get(profile["company_status"], (("active", 1),))
    new = weighted(rng, options)
    fields = ["company_status"]
    profile["company_status"] = new
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
    return list(dict.fromkeys(fields))


def _strike_off(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    profile = state.profile
    if profile.pop("company_status_detail", None) is None:
        profile["company_status_detail"] = "active-proposal-to-strike-off"
    return ["company_status_detail"]


def _office(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    profile = state.profile
    new = state.pending_address
    state.pending_address = None
    while new is None or new == profile["registered_office_address"]:
        new = people.address(rng, people.country_for(profile["jurisdiction"]))
    profile["registered_office_address"] = new
    return ["registered_office_address"]


def _accounts_filed(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    accounts = state.profile["accounts"]
    period = accounts["next_accounts"]
    kind = weighted(rng, ACCOUNT_TYPES)
    accounts["last_accounts"] = {
        "made_up_to": period["period_end_on"],
        "type": kind,
        "period_end_on": period["period_end_on"],
        "period_start_on": period["period_start_on"],
    }
    end = date.fromisoformat(period["period_end_on"])
    new_end = ard_date(accounts["accounting_reference_date"], end.year + 1)
    _set_next_accounts(state.profile, end + timedelta(days=1), new_end, today)
    return [
        "accounts.last_accounts",
        "accounts.next_accounts",
        "accounts.next_due",
        "accounts.next_made_up_to",
    ]


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


def _accounts_overdue(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    accounts = state.profile["accounts"]
    accounts["overdue"] = accounts["next_accounts"]["overdue"] = True
    return ["accounts.overdue", "accounts.next_accounts.overdue"]


def _confirmation_filed(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    statement = state.profile["confirmation_statement"]
    made_up_to = date.fromisoformat(statement["next_made_up_to"])
    following = add_months(made_up_to, 12)
    statement.update(
        last_made_up_to=made_up_to.isoformat(),
        next_made_up_to=following.isoformat(),
        next_due=(following + timedelta(days=14)).isoformat(),
        overdue=False,
    )
    return [
        "confirmation_statement.last_made_up_to",
        "confirmation_statement.next_made_up_to",
        "confirmation_statement.next_due",
    ]


def _confirmation_overdue(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    state.profile["confirmation_statement"]["overdue"] = True
    return ["confirmation_statement.overdue"]


def _sic(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    old = state.profile["sic_codes"]
    new = sic_codes(rng)
    while new == old:
        new = sic_codes(rng)
    state.profile["sic_codes"] = new
    return ["sic_codes"]


def _set_flag(profile: dict, flag: str, link: str, value: bool) -> list[str]:
    profile[flag] = value
    if value:
        profile["links"][link] = f"/company/{profile['company_number']}/{link}"
    else:
        profile["links"].pop(link, None)
    return [flag, f"links.{link}"]


def _has_charges(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    return _set_flag(state.profile, "has_charges", "charges", not state.profile["has_charges"])


def _has_insolvency_history(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    value = not state.profile["has_insolvency_history"]
    return _set_flag(state.profile, "has_insolvency_history", "insolvency", value)


def _reference_date(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    accounts = state.profile["accounts"]
    old_month = int(accounts["accounting_reference_date"]["month"])
    month = choice(rng, [m for m in range(1, 13) if m != old_month])
    accounts["accounting_reference_date"] = {"day": str(month_end(2001, month).day), "month": f"{month:02d}"}
    start = date.fromisoformat(accounts["next_accounts"]["period_start_on"])
    end = month_end(start.year, month)
    if end < start + timedelta(days=180):  # a period runs at least six months and at most eighteen
        end = month_end(start.year + 1, month)
    _set_next_accounts(state.profile, start, end, today)
    return [
        "accounts.accounting_reference_date",
        "accounts.next_accounts",
        "accounts.next_due",
        "accounts.next_made_up_to",
    ]


def _jurisdiction(state: CompanyState, rng: random.Random, today: date) -> list[str]:
    profile = state.profile
    profile["jurisdiction"] = "england-wales" if profile["jurisdiction"] == "wales" else "wales"
    profile["registered_office_address"] = people.address(rng, people.country_for(profile["jurisdiction"]))
    return ["jurisdiction", "registered_office_address"]


_CHANGERS = {
    "name": _name,
    "status": _status,
    "strike_off": _strike_off,
    "office": _office,
    "accounts_filed": _accounts_filed,
    "accounts_overdue": _accounts_overdue,
    "confirmation_filed": _confirmation_filed,
    "confirmation_overdue": _confirmation_overdue,
    "sic_codes": _sic,
    "has_charges": _has_charges,
    "has_insolvency_history": _has_insolvency_history,
    "reference_date": _reference_date,
    "jurisdiction": _jurisdiction,
}
