"""The officers, PSC, charges and insolvency streams: what one event on each says about a company.

An event on these streams is either the announcement of a change a filing made (a follow-up: see
`announce`), or a change of its own that suits the company now (`plan_*` says which, or None when
the company has nothing plausible to say on that stream; `*_event` carries it out). Every function
returns an `Outcome`: the resource kind, URI, id, the resource's data (which the generator copies)
and the event type. A `deleted` event carries empty data, as in CH's samples.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple

from streams.simulator import appointments, people, story
from streams.simulator.appointments import ago
from streams.simulator.people import Ids
from streams.simulator.state import (
    ACTIVE,
    DISSOLVED,
    INSOLVENT,
    STRIKING_OFF,
    CompanyState,
    choice,
    randint,
    weighted_once,
)


class Outcome(NamedTuple):
    kind: str
    uri: str
    resource_id: str
    data: dict
    event_type: str = "changed"


def _id_of(data: dict) -> str:
    return data["links"]["self"].rsplit("/", 1)[1]


def _changed(kind: str, data: dict) -> Outcome:
    return Outcome(kind, data["links"]["self"], _id_of(data), data)


def _deleted(kind: str, data: dict) -> Outcome:
    return Outcome(kind, data["links"]["self"], _id_of(data), {}, "deleted")


def announce(stream: str, state: CompanyState, key: str | None) -> Outcome | None:
    """The resource `key` (its links.self; the record, for insolvency) as it stands now, or None
    if it has gone since the filing that changed it."""
    if stream == "insolvency-cases":
        return _insolvency_outcome(state) if state.insolvency else None
    if stream == "officers":
        found = next((o for o in state.officers if o["links"]["self"] == key), None)
        return _changed("company-officers", found) if found else None
    if stream == "charges":
        found = next((c for c in state.charges if c["links"]["self"] == key), None)
        return _changed("company-charges", found) if found else None
    found = next((p for p in state.pscs if p["links"]["self"] == key), None)
    return _changed(appointments.RESOURCE_KIND[found["kind"]], found) if found else None


# --- officers ----------------------------------------------------------------------------------


def plan_officer(rng: random.Random, state: CompanyState, today: date, now: float) -> str | None:
    if state.stage not in (ACTIVE, INSOLVENT, STRIKING_OFF):
        return None
    choices = appointments.officer_choices(state, today, secretaries=None)
    options = (
        (
            "details",
            6 if choices["change"] and state.rested("officer-details", story.OFFICER_DETAILS, now) else 0,
        ),
        (
            "appoint",
            2
            if state.stage == ACTIVE
            and len(appointments.current_officers(state)) < appointments.MAX_OFFICERS
            and state.rested("officers", story.OFFICERS, now)
            else 0,
        ),
        ("resign", 2 if choices["resign"] and state.rested("officers", story.OFFICERS, now) else 0),
        ("delete", 0.15 if any("resigned_on" in o for o in state.officers) else 0),
    )
    return weighted_once(rng, options)


def officer_event(
    rng: random.Random, state: CompanyState, ids: Ids, action: str, today: date, now: float
) -> Outcome:
    choices = appointments.officer_choices(state, today, secretaries=None)
    if action == "details":
        data = appointments.change_details(rng, state, choice(rng, choices["change"]))
        state.mark("officer-details", now)
    elif action == "appoint":
        data = appointments.appoint(rng, state, ids, ago(today, rng))
        state.mark("officers", now)
    elif action == "resign":
        data = appointments.resign(choice(rng, choices["resign"]), ago(today, rng, 10))
        state.mark("officers", now)
    else:
        data = choice(rng, [o for o in state.officers if "resigned_on" in o])
        state.officers.remove(data)
        return _deleted("company-officers", data)
    return _changed("company-officers", data)


# --- persons with significant control ----------------------------------------------------------


def plan_psc(rng: random.Random, state: CompanyState, today: date, now: float) -> str | None:
    if state.stage != ACTIVE or not state.rested("psc", story.PSC, now):
        return None
    choices = appointments.psc_choices(state, today)
    options = (
        ("change", 3 if choices["change"] else 0),
        ("notify", 2 if len(appointments.current_pscs(state)) < appointments.MAX_PSCS else 0),
        ("cease", 2 if choices["cease"] else 0),
        ("delete", 0.1 if any("ceased_on" in p for p in state.pscs) else 0),
    )
    return weighted_once(rng, options)


def psc_event(
    rng: random.Random, state: CompanyState, ids: Ids, action: str, today: date, now: float
) -> Outcome:
    choices = appointments.psc_choices(state, today)
    state.mark("psc", now)
    if action == "change":
        data = appointments.change_psc(rng, state, choice(rng, choices["change"]))
    elif action == "notify":
        data = appointments.notify(rng, state, ids, ago(today, rng, 30))
    elif action == "cease":
        data = appointments.cease(rng, choice(rng, choices["cease"]), ago(today, rng, 10))
    else:
        data = choice(rng, [p for p in state.pscs if "ceased_on" in p])
        state.pscs.remove(data)
        return _deleted(appointments.RESOURCE_KIND[data["kind"]], data)
    return _changed(appointments.RESOURCE_KIND[data["kind"]], data)


# --- charges -----------------------------------------------------------------------------------


def new_charge(
    rng: random.Random, state: CompanyState, ids: Ids, today: date, number: int | None = None
) -> dict:
    """A charge registered now (number: the one a filing already gave it)."""
    if number is None:
        number = state.next_charge_number
        state.next_charge_number += 1
    created = today - timedelta(days=randint(rng, 3, 25))
    delivered = min(today, created + timedelta(days=randint(rng, 1, 20)))
    floating = rng.random() < 0.6
    data = {
        "etag": people.etag(rng),
        "charge_code": f"{state.number}{number:04d}",
        "charge_number": number,
        "classification": {"type": "charge-description", "description": "A registered charge"},
        "status": "outstanding",
        "created_on": created.isoformat(),
        "delivered_on": delivered.isoformat(),
        "particulars": {
            "type": "brief-description",
            "description": choice(
                rng,
                (
                    "Freehold property known as " + people.one_line(people.address(rng)),
                    "Contains fixed charge.",
                    "All assets of the company.",
                ),
            ),
            "contains_fixed_charge": True,
            "contains_floating_charge": floating,
            "floating_charge_covers_all": floating and rng.random() < 0.8,
            "contains_negative_pledge": rng.random() < 0.7,
        },
        "persons_entitled": [{"name": choice(rng, people.LENDERS)}],
        "transactions": [{"filing_type": "create-charge-with-deed", "delivered_on": delivered.isoformat()}],
        "links": {"self": f"/company/{state.number}/charges/{ids.token('charge')}"},
    }
    state.charges.append(data)
    if not state.profile["has_charges"]:
        state.pend("has_charges", True)  # the profile says so at its next event
    return data


def outstanding(state: CompanyState) -> list[dict]:
    return [c for c in state.charges if c["status"] != "fully-satisfied"]


def satisfy(rng: random.Random, charge: dict, today: date, *, full: bool) -> dict:
    charge["status"] = "fully-satisfied" if full else "part-satisfied"
    if full:
        charge["satisfied_on"] = ago(today, rng, 15)
    filing = "charge-satisfaction" if full else "charge-part-release"
    charge["transactions"].append({"filing_type": filing, "delivered_on": ago(today, rng, 3)})
    charge["etag"] = people.etag(rng)
    return charge


def plan_charge(rng: random.Random, state: CompanyState, today: date, now: float) -> str | None:
    if state.stage == DISSOLVED or not state.rested("charges", story.CHARGES, now):
        return None
    owed = bool(outstanding(state))
    options = (
        ("create", 5 if state.stage == ACTIVE else 0),
        ("satisfy", 4 if owed else 0),
        ("lender", 1 if owed else 0),
        ("delete", 0.2 if state.charges else 0),
    )
    return weighted_once(rng, options)


def charge_event(
    rng: random.Random, state: CompanyState, ids: Ids, action: str, today: date, now: float
) -> Outcome:
    state.mark("charges", now)
    if action == "create":
        data = new_charge(rng, state, ids, today)
    elif action == "satisfy":
        data = satisfy(rng, choice(rng, outstanding(state)), today, full=rng.random() < 0.85)
    elif action == "lender":
        data = choice(rng, outstanding(state))
        data["persons_entitled"].append({"name": choice(rng, people.LENDERS)})
        data["etag"] = people.etag(rng)
    else:
        data = choice(rng, state.charges)
        state.charges.remove(data)
        return _deleted("company-charges", data)
    return _changed("company-charges", data)


# --- insolvency --------------------------------------------------------------------------------

# case type -> (weight, opening date type, closing date type, practitioner role, company status)
CASES = {
    "creditors-voluntary-liquidation": (
        45,
        "wound-up-on",
        "due-to-be-dissolved-on",
        "proposed-liquidator",
        "liquidation",
    ),
    "members-voluntary-liquidation": (
        15,
        "declaration-solvent-on",
        "concluded-winding-up-on",
        "final-liquidator",
        "liquidation",
    ),
    "compulsory-liquidation": (15, "petitioned-on", "dissolved-on", "provisional-liquidator", "liquidation"),
    "in-administration": (
        15,
        "administration-started-on",
        "administration-ended-on",
        "practitioner",
        "administration",
    ),
    "corporate-voluntary-arrangement": (
        5,
        "voluntary-arrangement-started-on",
        "voluntary-arrangement-ended-on",
        "practitioner",
        "voluntary-arrangement",
    ),
    "receiver-manager": (3, "instrumented-on", None, "receiver-manager", "receivership"),
    "moratorium": (
        2,
        "moratorium-started-on",
        "moratorium-ended-on",
        "practitioner",
        "insolvency-proceedings",
    ),
}
_CASE_WEIGHTS = tuple((kind, spec[0]) for kind, spec in CASES.items())
CONVERTED = 0.4  # administrations that end by moving to a creditors' voluntary liquidation


def _practitioner(rng: random.Random, role: str, today: date) -> dict:
    who = people.person(rng)
    return {
        "name": " ".join((*who.forenames, who.surname)),
        "role": role,
        "appointed_on": ago(today, rng, 10),
        "address": {
            "address_line_1": f"{choice(rng, people.INSOLVENCY_FIRMS)}",
            **{k: v for k, v in people.address(rng).items() if k in ("premises", "locality", "postal_code")},
        },
    }


def open_case(rng: random.Random, state: CompanyState, kind: str | None, today: date, now: float) -> None:
    """Open an insolvency case (of a kind the company has not had: `kind`, or any such)."""
    record = state.insolvency or {"cases": [], "status": []}
    had = {case["type"] for case in record["cases"]}
    if kind is None or kind in had:
        kind = weighted_once(rng, tuple((k, w) for k, w in _CASE_WEIGHTS if k not in had))
    _, opening, _, role, status = CASES[kind]
    case = {
        "type": kind,
        "number": str(len(record["cases"]) + 1),
        "dates": [{"type": opening, "date": ago(today, rng, 14)}],
        "practitioners": [_practitioner(rng, role, today) for _ in range(randint(rng, 1, 2))],
    }
    record["cases"].append(case)
    record["status"] = [status]
    record["etag"] = people.etag(rng)
    state.insolvency = record
    story.begin_insolvency(state, kind, status)
    state.mark("insolvency", now)


def _open_case(state: CompanyState) -> dict | None:
    cases = (state.insolvency or {}).get("cases", [])
    return next((c for c in reversed(cases) if not c.get("_closed")), None)


def progress_case(rng: random.Random, state: CompanyState, today: date, now: float) -> None:
    """A practitioner steps down and another takes over."""
    case = _open_case(state)
    if case is None:
        return
    leaving = next((p for p in case["practitioners"] if "ceased_to_act_on" not in p), None)
    if leaving:
        leaving["ceased_to_act_on"] = ago(today, rng, 5)
    case["practitioners"].append(_practitioner(rng, CASES[case["type"]][3], today))
    state.insolvency["etag"] = people.etag(rng)
    state.story_steps += 1
    state.mark("insolvency", now)


def close_case(rng: random.Random, state: CompanyState, today: date, now: float) -> None:
    """The case ends: the company is dissolved in time, rescued, or (from administration) moves
    to a liquidation, a case of another kind."""
    case = _open_case(state)
    if case is None:
        return
    closing = CASES[case["type"]][2]
    if closing:
        case["dates"].append({"type": closing, "date": ago(today, rng, 7)})
    case["_closed"] = True
    state.insolvency["etag"] = people.etag(rng)
    state.mark("insolvency", now)
    kind = case["type"]
    if kind == "in-administration" and rng.random() < CONVERTED:
        open_case(rng, state, "creditors-voluntary-liquidation", today, now)
    elif kind.endswith("liquidation") or (kind == "in-administration" and rng.random() < 0.5):
        story.end_insolvency(state, rescued=False)
    else:
        story.end_insolvency(state, rescued=True)


def plan_insolvency(rng: random.Random, state: CompanyState, today: date, now: float) -> str | None:
    if state.stage == INSOLVENT:
        if not state.rested("insolvency", story.INSOLVENCY_STEP, now):
            return None
        # A case is opened, changes hands once or twice, and ends: a few events, never dozens.
        if state.story_steps >= 2 or (state.story_steps == 1 and rng.random() < 0.5):
            return "close"
        return "progress"
    return "open" if rng.random() < story.starter_weight(state) else None


def insolvency_event(
    rng: random.Random, state: CompanyState, ids: Ids, action: str, today: date, now: float
) -> Outcome:
    if action == "open":
        open_case(rng, state, None, today, now)
    elif action == "progress":
        progress_case(rng, state, today, now)
    else:
        close_case(rng, state, today, now)
    return _insolvency_outcome(state)


def _insolvency_outcome(state: CompanyState) -> Outcome:
    return Outcome(
        "company-insolvency", f"/company/{state.number}/insolvency", state.number, _public(state.insolvency)
    )


def _public(record: dict) -> dict:
    """The record without the generator's own bookkeeping keys (those starting with "_")."""
    cases = [{k: v for k, v in case.items() if not k.startswith("_")} for case in record["cases"]]
    return {"etag": record["etag"], "cases": cases, "status": list(record["status"])}
