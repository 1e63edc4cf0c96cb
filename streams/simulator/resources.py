"""Officer appointments, PSCs, charges and insolvency cases: each stream's resource and its life.

Every `*_event` function changes one company's state and returns an `Outcome`: the resource kind,
URI, id, the resource's new data (which the generator copies) and the event type. A `deleted`
event carries empty data, as in CH's samples.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple

from streams.simulator import people
from streams.simulator.people import Ids
from streams.simulator.state import CompanyState, choice, randint, weighted


class Outcome(NamedTuple):
    kind: str
    uri: str
    resource_id: str
    data: dict
    event_type: str = "changed"


def _ago(today: date, rng: random.Random, most: int = 20) -> str:
    return (today - timedelta(days=randint(rng, 0, most))).isoformat()


def _id_of(data: dict) -> str:
    return data["links"]["self"].rsplit("/", 1)[1]


# --- officers ----------------------------------------------------------------------------------

_ROLES = {
    "llp": (("llp-designated-member", 55), ("llp-member", 40), ("corporate-llp-designated-member", 5)),
    "limited-partnership": (
        ("general-partner-in-a-limited-partnership", 50),
        ("limited-partner-in-a-limited-partnership", 40),
        ("corporate-general-partner-in-a-limited-partnership", 10),
    ),
    "oversea-company": (
        ("director", 60),
        ("person-authorised-to-represent", 25),
        ("person-authorised-to-accept", 15),
    ),
}
_DEFAULT_ROLES = (("director", 85), ("secretary", 9), ("corporate-director", 3), ("corporate-secretary", 3))


def _appointment(rng: random.Random, state: CompanyState, ids: Ids, appointed_on: str, today: date) -> dict:
    roles = _ROLES.get(state.company_type, _DEFAULT_ROLES)
    role = weighted(rng, roles)
    appointment_id = ids.token("appointment")
    self_uri = f"/company/{state.number}/appointments/{appointment_id}"
    country = people.country_for(state.jurisdiction)
    data: dict = {"officer_role": role, "appointed_on": appointed_on}
    if role.startswith("corporate"):
        data["name"] = people.corporate_name(rng)
        data["identification"] = {
            "identification_type": "uk-limited-company",
            "registration_number": f"{randint(rng, 1, 16_000_000):08d}",
            "place_registered": "Companies House",
        }
    else:
        who = people.person(rng)
        data["name"] = who.officer_name
        data["nationality"] = who.nationality
        if role != "secretary":  # CH shows no date of birth or occupation for secretaries
            data["occupation"] = choice(rng, people.OCCUPATIONS)
            data["country_of_residence"] = country
            data["date_of_birth"] = {"month": who.birth_month, "year": who.birth_year}
    data["address"] = people.address(rng, country)
    data["links"] = {
        "self": self_uri,
        "officer": {"appointments": f"/officers/{ids.token('officer')}/appointments"},
    }
    return data


def officer_event(rng: random.Random, state: CompanyState, ids: Ids, today: date) -> Outcome:
    if not state.officers:  # the directors a company already had before the stream began
        created = state.date_of_creation
        state.officers = [_appointment(rng, state, ids, created, today) for _ in range(randint(rng, 1, 2))]
    current = [o for o in state.officers if "resigned_on" not in o]
    roll = rng.random()
    if roll < 0.5 or not current:
        data = _appointment(rng, state, ids, _ago(today, rng), today)
        state.officers.append(data)
    elif roll < 0.8:
        data = choice(rng, current)
        data["resigned_on"] = _ago(today, rng, 10)
    elif roll < 0.985:
        data = choice(rng, current)
        data["address"] = people.address(rng, people.country_for(state.jurisdiction))
    else:
        data = choice(rng, state.officers)
        state.officers.remove(data)
        return Outcome("company-officers", data["links"]["self"], _id_of(data), {}, "deleted")
    return Outcome("company-officers", data["links"]["self"], _id_of(data), data)


# --- persons with significant control ----------------------------------------------------------

_PSC_KINDS = (
    ("individual", "company-psc-individual", "individual-person-with-significant-control", 85),
    ("corporate-entity", "company-psc-corporate", "corporate-entity-person-with-significant-control", 12),
    ("legal-person", "company-psc-legal", "legal-person-person-with-significant-control", 3),
)
_RESOURCE_KIND = {kind: resource for _, resource, kind, _ in _PSC_KINDS}
_BANDS = (("25-to-50", 40), ("50-to-75", 20), ("75-to-100", 40))


def natures_of_control(rng: random.Random, company_type: str) -> list[str]:
    """A combination of CH's nature-of-control codes that fits the kind of company."""
    band = weighted(rng, _BANDS)
    if company_type == "llp":
        natures = [
            f"right-to-share-surplus-assets-{band}-percent-limited-liability-partnership",
            f"voting-rights-{band}-percent-limited-liability-partnership",
        ]
        if rng.random() < 0.3:
            natures.append("right-to-appoint-and-remove-members-limited-liability-partnership")
        return natures
    if company_type == "limited-partnership":
        natures = [f"part-right-to-share-surplus-assets-{band}-percent"]
        return [*natures, "right-to-appoint-and-remove-person"] if rng.random() < 0.4 else natures
    if company_type == "registered-overseas-entity":
        return [
            "ownership-of-shares-more-than-25-percent-registered-overseas-entity",
            "voting-rights-more-than-25-percent-registered-overseas-entity",
        ]
    if rng.random() < 0.08:
        return ["significant-influence-or-control"]
    tail = "-as-trust" if rng.random() < 0.05 else ""
    natures = [f"ownership-of-shares-{band}-percent{tail}", f"voting-rights-{band}-percent{tail}"]
    if band != "25-to-50" and rng.random() < 0.3:
        natures.append(f"right-to-appoint-and-remove-directors{tail}")
    return natures


def _psc(rng: random.Random, state: CompanyState, ids: Ids, today: date) -> dict:
    path, _, kind = weighted(rng, _PSC_KINDS)
    psc_id = ids.token("psc")
    country = people.country_for(state.jurisdiction)
    data: dict = {"kind": kind, "notified_on": _ago(today, rng, 30)}
    if path == "individual":
        who = people.person(rng)
        data["name"] = who.full_name
        elements = {"title": who.title, "forename": who.forenames[0], "surname": who.surname}
        if len(who.forenames) > 1:
            elements["middle_name"] = who.forenames[1]
        data["name_elements"] = elements
        data["nationality"] = who.nationality
        data["country_of_residence"] = country
        data["date_of_birth"] = {"month": who.birth_month, "year": who.birth_year}
    elif path == "corporate-entity":
        data["name"] = people.corporate_name(rng)
        data["identification"] = {
            "legal_authority": "Companies Act 2006",
            "legal_form": "Private Limited Company",
            "place_registered": "Register Of Companies For England And Wales",
            "country_registered": "England",
            "registration_number": f"{randint(rng, 1, 16_000_000):08d}",
        }
    else:
        data["name"] = choice(
            rng, ("The Secretary of State for Business and Trade", "The Crown Estate Commissioners")
        )
        data["identification"] = {"legal_authority": "United Kingdom", "legal_form": "Government Department"}
    data["address"] = people.address(rng, country)
    data["natures_of_control"] = natures_of_control(rng, state.company_type)
    data["etag"] = people.etag(rng)
    data["links"] = {"self": f"/company/{state.number}/persons-with-significant-control/{path}/{psc_id}"}
    return data


def psc_event(rng: random.Random, state: CompanyState, ids: Ids, today: date) -> Outcome:
    current = [p for p in state.pscs if "ceased_on" not in p]
    roll = rng.random()
    if roll < 0.6 or not current:
        data = _psc(rng, state, ids, today)
        state.pscs.append(data)
    elif roll < 0.8:
        data = choice(rng, current)
        data["natures_of_control"] = natures_of_control(rng, state.company_type)
        data["etag"] = people.etag(rng)
    elif roll < 0.98:
        data = choice(rng, current)
        data["ceased_on"] = _ago(today, rng, 10)
        data["ceased"] = True
        data["etag"] = people.etag(rng)
    else:
        data = choice(rng, state.pscs)
        state.pscs.remove(data)
        return Outcome(_RESOURCE_KIND[data["kind"]], data["links"]["self"], _id_of(data), {}, "deleted")
    return Outcome(_RESOURCE_KIND[data["kind"]], data["links"]["self"], _id_of(data), data)


# --- charges -----------------------------------------------------------------------------------


def _charge(rng: random.Random, state: CompanyState, ids: Ids, today: date) -> dict:
    number = state.next_charge_number
    state.next_charge_number += 1
    created = today - timedelta(days=randint(rng, 3, 25))
    delivered = min(today, created + timedelta(days=randint(rng, 1, 20)))
    floating = rng.random() < 0.6
    return {
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


def charge_event(rng: random.Random, state: CompanyState, ids: Ids, today: date) -> Outcome:
    outstanding = [c for c in state.charges if c["status"] != "fully-satisfied"]
    roll = rng.random()
    if roll < 0.55 or not outstanding:
        data = _charge(rng, state, ids, today)
        state.charges.append(data)
    elif roll < 0.9:
        data = choice(rng, outstanding)
        full = rng.random() < 0.85
        data["status"] = "fully-satisfied" if full else "part-satisfied"
        if full:
            data["satisfied_on"] = _ago(today, rng, 15)
        filing = "charge-satisfaction" if full else "charge-part-release"
        data["transactions"].append({"filing_type": filing, "delivered_on": _ago(today, rng, 3)})
        data["etag"] = people.etag(rng)
    elif roll < 0.98:
        data = choice(rng, outstanding)
        data["persons_entitled"].append({"name": choice(rng, people.LENDERS)})
        data["etag"] = people.etag(rng)
    else:
        data = choice(rng, state.charges)
        state.charges.remove(data)
        return Outcome("company-charges", data["links"]["self"], _id_of(data), {}, "deleted")
    return Outcome("company-charges", data["links"]["self"], _id_of(data), data)


# --- insolvency --------------------------------------------------------------------------------

# case type -> (weight, opening date type, closing date type, practitioner role, status)
_CASES = {
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
_CASE_WEIGHTS = tuple((kind, spec[0]) for kind, spec in _CASES.items())


def _practitioner(rng: random.Random, role: str, today: date) -> dict:
    who = people.person(rng)
    return {
        "name": " ".join((*who.forenames, who.surname)),
        "role": role,
        "appointed_on": _ago(today, rng, 10),
        "address": {
            "address_line_1": f"{choice(rng, people.INSOLVENCY_FIRMS)}",
            **{k: v for k, v in people.address(rng).items() if k in ("premises", "locality", "postal_code")},
        },
    }


def insolvency_event(rng: random.Random, state: CompanyState, ids: Ids, today: date) -> Outcome:
    uri = f"/company/{state.number}/insolvency"
    record = state.insolvency
    if record is not None and rng.random() < 0.01:
        state.insolvency = None
        return Outcome("company-insolvency", uri, state.number, {}, "deleted")
    open_cases = [c for c in (record or {}).get("cases", []) if not c.get("_closed")]
    if record is None or not open_cases or rng.random() < 0.15:
        record = record or {"cases": [], "status": []}
        kind = weighted(rng, _CASE_WEIGHTS)
        _, opening, _, role, status = _CASES[kind]
        case = {
            "type": kind,
            "number": str(len(record["cases"]) + 1),
            "dates": [{"type": opening, "date": _ago(today, rng, 14)}],
            "practitioners": [_practitioner(rng, role, today) for _ in range(randint(rng, 1, 2))],
        }
        record["cases"].append(case)
        record["status"] = [status]
    else:
        case = choice(rng, open_cases)
        _, _, closing, role, _ = _CASES[case["type"]]
        if closing and rng.random() < 0.5:
            case["dates"].append({"type": closing, "date": _ago(today, rng, 7)})
            case["_closed"] = True
        else:  # a practitioner steps down and another takes over
            leaving = next((p for p in case["practitioners"] if "ceased_to_act_on" not in p), None)
            if leaving:
                leaving["ceased_to_act_on"] = _ago(today, rng, 5)
            case["practitioners"].append(_practitioner(rng, role, today))
    record["etag"] = people.etag(rng)
    state.insolvency = record
    return Outcome("company-insolvency", uri, state.number, _public(record))


def _public(record: dict) -> dict:
    """The record without the generator's own bookkeeping keys (those starting with "_")."""
    cases = [{k: v for k, v in case.items() if not k.startswith("_")} for case in record["cases"]]
    return {"etag": record["etag"], "cases": cases, "status": list(record["status"])}
