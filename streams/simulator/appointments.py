"""Officers and persons with significant control: each company's people, and how they change.

A company has the people it had before the run (built on first use, from the seed and its number,
so they do not depend on which stream asks first): directors appointed when it was incorporated
or since, and PSCs notified then. During the run people are appointed, resign, cease or change
their details, within what a real company does: it keeps at least one director and one PSC, has
at most a handful of each, and does not change them every few minutes (see story.py's pauses).
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import date, timedelta

from streams.simulator import people
from streams.simulator.people import Ids
from streams.simulator.state import CompanyState, choice, randint, weighted

MAX_OFFICERS = 6
MAX_PSCS = 4
RECENT_DAYS = 90  # someone appointed or notified this recently is news of an appointment
PSC_REGISTER_STARTED = date(2016, 4, 6)  # no company notified a PSC before the register began

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


def ago(today: date, rng: random.Random, most: int = 20) -> str:
    return (today - timedelta(days=randint(rng, 0, most))).isoformat()


def _token(state: CompanyState, kind: str, index: int) -> str:
    """A stable id for someone the company had before the run (no shared counter involved)."""
    digest = hashlib.sha1(f"{state.seed}:{state.number}:{kind}:{index}".encode(), usedforsecurity=False)
    return base64.urlsafe_b64encode(digest.digest()).decode()[:27]


def is_secretary(officer: dict) -> bool:
    return officer["officer_role"] in ("secretary", "corporate-secretary")


def current_officers(state: CompanyState, *, secretaries: bool | None = None) -> list[dict]:
    ensure_officers(state)
    return [
        o
        for o in state.officers
        if "resigned_on" not in o and (secretaries is None or is_secretary(o) == secretaries)
    ]


def established(started_on: str, today: date) -> bool:
    """Someone whose details can change without it reading as a new appointment."""
    return (today - date.fromisoformat(started_on)).days > RECENT_DAYS


# --- officers ----------------------------------------------------------------------------------


def appointment(
    rng: random.Random,
    state: CompanyState,
    appointment_id: str,
    officer_id: str,
    appointed_on: str,
    role: str | None = None,
) -> dict:
    role = role or weighted(rng, _ROLES.get(state.company_type, _DEFAULT_ROLES))
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
        "self": f"/company/{state.number}/appointments/{appointment_id}",
        "officer": {"appointments": f"/officers/{officer_id}/appointments"},
    }
    return data


def ensure_officers(state: CompanyState) -> None:
    """The officers the company had before the run: one or two, appointed at incorporation or
    some years since (a company incorporated during the run appoints its own, on the day)."""
    if state.officers_built:
        return
    state.officers_built = True
    if state.new:
        return
    rng = random.Random(f"{state.seed}:{state.number}:officers")  # noqa: S311 - a simulation
    created = date.fromisoformat(state.date_of_creation)
    roles = _ROLES.get(state.company_type)
    # Someone who joined since incorporation joined well before the run, or they would be news.
    latest = date.fromisoformat(state.since) - timedelta(days=RECENT_DAYS + 30)
    for index in range(randint(rng, 1, 2)):
        role = weighted(rng, roles) if roles else "director"  # a company needs a director first
        when = created
        if index and latest > created:
            when = created + timedelta(days=int(rng.random() * (latest - created).days))
        ids = (_token(state, "appointment", index), _token(state, "officer", index))
        state.officers.append(appointment(rng, state, *ids, when.isoformat(), role))


def appoint(
    rng: random.Random, state: CompanyState, ids: Ids, appointed_on: str, role: str | None = None
) -> dict:
    ensure_officers(state)
    data = appointment(rng, state, ids.token("appointment"), ids.token("officer"), appointed_on, role)
    state.officers.append(data)
    return data


def officer_choices(state: CompanyState, today: date, *, secretaries: bool | None = False) -> dict:
    """Who could resign, and whose details could change, among the current officers (only the
    secretaries, only the others, or everyone: `secretaries` True, False or None)."""
    current = current_officers(state, secretaries=secretaries)
    directors = current_officers(state, secretaries=False)
    return {
        # A company keeps at least one director (or member, or partner); a secretary may go.
        "resign": [o for o in current if is_secretary(o) or len(directors) > 1],
        "change": [o for o in current if established(o["appointed_on"], today)],
    }


def resign(officer: dict, on: str) -> dict:
    officer["resigned_on"] = on
    return officer


def change_details(rng: random.Random, state: CompanyState, officer: dict) -> dict:
    officer["address"] = people.address(rng, people.country_for(state.jurisdiction))
    if "occupation" in officer and rng.random() < 0.3:
        officer["occupation"] = choice(rng, people.OCCUPATIONS)
    return officer


# --- persons with significant control ----------------------------------------------------------

_PSC_KINDS = (
    ("individual", "company-psc-individual", "individual-person-with-significant-control", 85),
    ("corporate-entity", "company-psc-corporate", "corporate-entity-person-with-significant-control", 12),
    ("legal-person", "company-psc-legal", "legal-person-person-with-significant-control", 3),
)
RESOURCE_KIND = {kind: resource for _, resource, kind, _ in _PSC_KINDS}
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


def psc(
    rng: random.Random, state: CompanyState, psc_id: str, notified_on: str, path: str | None = None
) -> dict:
    if path is None:
        path = weighted(rng, tuple((p, w) for p, _, _, w in _PSC_KINDS))
    kind = next(k for p, _, k, _ in _PSC_KINDS if p == path)
    country = people.country_for(state.jurisdiction)
    data: dict = {"kind": kind, "notified_on": notified_on}
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


def ensure_pscs(state: CompanyState) -> None:
    """The PSCs the company had before the run: one or two owners, notified when it was
    incorporated (or when the register began)."""
    if state.pscs_built:
        return
    state.pscs_built = True
    if state.new:
        return
    rng = random.Random(f"{state.seed}:{state.number}:pscs")  # noqa: S311 - a simulation
    notified = max(date.fromisoformat(state.date_of_creation), PSC_REGISTER_STARTED).isoformat()
    for index in range(randint(rng, 1, 2)):
        state.pscs.append(psc(rng, state, _token(state, "psc", index), notified))


def current_pscs(state: CompanyState) -> list[dict]:
    ensure_pscs(state)
    return [p for p in state.pscs if "ceased_on" not in p]


def notify(
    rng: random.Random, state: CompanyState, ids: Ids, notified_on: str, path: str | None = None
) -> dict:
    ensure_pscs(state)
    data = psc(rng, state, ids.token("psc"), notified_on, path)
    state.pscs.append(data)
    return data


def change_psc(rng: random.Random, state: CompanyState, data: dict) -> dict:
    data["natures_of_control"] = natures_of_control(rng, state.company_type)
    data["etag"] = people.etag(rng)
    return data


def cease(rng: random.Random, data: dict, on: str) -> dict:
    data["ceased_on"] = on
    data["ceased"] = True
    data["etag"] = people.etag(rng)
    return data


def psc_choices(state: CompanyState, today: date) -> dict:
    current = current_pscs(state)
    return {
        "cease": current if len(current) > 1 else [],  # a company keeps a PSC (or a statement)
        "change": [p for p in current if established(p["notified_on"], today)],
    }
