"""One filing history item, in CH's shape; what it changes in the register; and its later re-send
once the document is available.

A filing is news on the filings stream first, and then, as at CH, on the stream of whatever it
changed: accounts move the profile's deadlines on, an AD01 moves the registered office, an AP01
appoints the officer it names, an MR01 registers the charge it numbers. `effects` makes the
change in the company's state (so the filing's own description values name the real officer or
charge) and says which other streams should announce it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from streams.simulator import appointments, filing_values, people, profile_changes, resources, story
from streams.simulator.filing_catalogue import Form
from streams.simulator.people import Ids
from streams.simulator.reference import constants
from streams.simulator.state import CompanyState, choice, randint

DOCUMENT_API = "https://document-api.company-information.service.gov.uk/document"
# The description value CH also shows as the item's action date, in order of preference.
_ACTION_DATES = ("made_up_date", "appointment_date", "termination_date", "change_date")
FollowUp = tuple[str, str | None]  # (stream, the resource's links.self; None for the profile or record)


def new_filing(
    rng: random.Random, state: CompanyState, form: Form, transaction_id: str, filed_on: date
) -> dict:
    """A new filing history item for the company, as CH first sends it (no document yet)."""
    form_type, code = form.for_company(state)
    context = filing_values.FilingContext(rng, state, filed_on, form.category)
    values = filing_values.description_values(code, context)
    if form.capital:
        values["capital"] = filing_values.capital(rng)
    uri = f"/company/{state.number}/filing-history/{transaction_id}"
    data: dict = {"transaction_id": transaction_id, "category": form.category}
    if form.subcategory:
        data["subcategory"] = form.subcategory
    data.update(type=form_type, description=code, date=filed_on.isoformat(), barcode=people.barcode(rng))
    if values:
        data["description_values"] = values
    if form_type in ("NEWINC", "LLIN01"):
        # CH files the statement of capital with the incorporation, as an associated filing.
        capital = {"date": filed_on.isoformat(), "capital": filing_values.capital(rng)}
        data["associated_filings"] = [
            {
                "type": "SH01",
                "date": filed_on.isoformat(),
                "description": "statement-of-capital",
                "description_values": capital,
            }
        ]
    elif form_type == "RESOLUTIONS":
        data["resolutions"] = [
            {
                "category": "miscellaneous",
                "subcategory": "resolution",
                "type": "RES01",
                "description": "resolution-adopt-articles",
            }
        ]
    if rng.random() < 0.3:
        data["pages"] = randint(rng, 1, 40)
    data["links"] = {"self": uri}
    return data


def set_action_date(data: dict) -> None:
    values = data.get("description_values", {})
    action_date = next((values[k] for k in _ACTION_DATES if k in values), None)
    if action_date:
        data["action_date"] = action_date


def add_document(item: dict, rng: random.Random) -> None:
    """Mark the item's document as available: CH then re-sends it with links.document_metadata."""
    item["links"]["document_metadata"] = f"{DOCUMENT_API}/{item['transaction_id']}"
    item.setdefault("pages", randint(rng, 1, 40))


# --- what a filing changes -----------------------------------------------------------------------


class Effects:
    """One filing's effects on its company: the context every effect needs."""

    def __init__(self, rng: random.Random, state: CompanyState, ids: Ids, today: date, now: float) -> None:
        self.rng, self.state, self.ids, self.today, self.now = rng, state, ids, today, now
        self.follow_ups: list[FollowUp] = []

    def announce(self, stream: str, resource: dict | None = None) -> None:
        self.follow_ups.append((stream, resource["links"]["self"] if resource else None))


def effects(
    rng: random.Random, state: CompanyState, ids: Ids, form: Form, data: dict, today: date, now: float
) -> list[FollowUp]:
    """Make the filing's change in the company's state; the follow-ups other streams owe."""
    effect = Effects(rng, state, ids, today, now)
    values = data.setdefault("description_values", {})
    handler = _EFFECTS.get(form.rule)
    if handler:
        handler(effect, data["type"], data["description"], values)
    if not values:
        del data["description_values"]
    set_action_date(data)
    if state.pending:
        effect.announce("companies")
    return effect.follow_ups


def _accounts(e: Effects, form_type: str, code: str, values: dict) -> None:
    kind = code.removeprefix("accounts-with-accounts-type-").replace("subsiduary", "subsidiary")
    e.state.pend("accounts", kind if kind in constants()["account_type"] else "micro-entity")


def _confirmation(e: Effects, form_type: str, code: str, values: dict) -> None:
    e.state.pend("confirmation", values.get("made_up_date") or e.today.isoformat())


def _reference(e: Effects, form_type: str, code: str, values: dict) -> None:
    accounts = e.state.profile["accounts"]
    months = -3 if code.endswith("shortened") else choice(e.rng, (3, 6))
    values["made_up_date"] = accounts["next_accounts"]["period_end_on"]
    values["new_date"] = profile_changes.reference_end(accounts, months)
    e.state.pend("reference", values["new_date"])
    e.state.reference_changed = True


_ROLE_OF = {
    "AP01": "director",
    "AP02": "corporate-director",
    "AP03": "secretary",
    "AP04": "corporate-secretary",
}
_ROLE_OF |= {"LLAP01": "llp-designated-member"}


def _appoint(e: Effects, form_type: str, code: str, values: dict) -> None:
    on = values.get("appointment_date") or e.today.isoformat()
    officer = appointments.appoint(e.rng, e.state, e.ids, on, _ROLE_OF.get(form_type))
    values["officer_name"] = filing_values.display_name(officer["name"])
    e.state.mark("officers", e.now)
    e.announce("officers", officer)


def _officer(secretaries: bool, key: str) -> Callable[[Effects, str, str, dict], None]:
    def effect(e: Effects, form_type: str, code: str, values: dict) -> None:
        officer = choice(e.rng, appointments.officer_choices(e.state, e.today, secretaries=secretaries)[key])
        if key == "resign":
            appointments.resign(officer, values.get("termination_date") or e.today.isoformat())
            e.state.mark("officers", e.now)
        else:
            appointments.change_details(e.rng, e.state, officer)
            e.state.mark("officer-details", e.now)
        if "officer_name" in values:
            values["officer_name"] = filing_values.display_name(officer["name"])
        e.announce("officers", officer)

    return effect


def _psc(e: Effects, form_type: str, code: str, values: dict) -> None:
    state, rng = e.state, e.rng
    if form_type in ("PSC01", "PSC02"):
        on = values.get("notification_date") or e.today.isoformat()
        person = appointments.notify(
            rng, state, e.ids, on, "individual" if form_type == "PSC01" else "corporate-entity"
        )
    elif form_type == "PSC07":
        person = choice(rng, appointments.psc_choices(state, e.today)["cease"])
        appointments.cease(rng, person, values.get("cessation_date") or e.today.isoformat())
    else:
        person = appointments.change_psc(
            rng, state, choice(rng, appointments.psc_choices(state, e.today)["change"])
        )
    values["psc_name"] = person["name"]
    state.mark("psc", e.now)
    e.announce("persons-with-significant-control", person)


def _office(e: Effects, form_type: str, code: str, values: dict) -> None:
    profile = e.state.profile
    old = e.state.pending.get("office") or profile["registered_office_address"]
    new = old
    while new == old:
        new = people.address(e.rng, people.country_for(e.state.jurisdiction))
    values["old_address"], values["new_address"] = people.one_line(old), people.one_line(new)
    e.state.pend("office", new)
    e.state.mark("office", e.now)


def _charge_create(e: Effects, form_type: str, code: str, values: dict) -> None:
    number = int(values["charge_number"][-4:]) if "charge_number" in values else None
    charge = resources.new_charge(e.rng, e.state, e.ids, e.today, number)
    values["charge_number"] = charge["charge_code"]
    if "charge_creation_date" in values:
        charge["created_on"] = min(values["charge_creation_date"], charge["delivered_on"])
    e.state.mark("charges", e.now)
    e.announce("charges", charge)


def _charge_satisfy(e: Effects, form_type: str, code: str, values: dict) -> None:
    owed = resources.outstanding(e.state)
    charge = next((c for c in owed if c["charge_code"] == values.get("charge_number")), None) or choice(
        e.rng, owed
    )
    resources.satisfy(e.rng, charge, e.today, full=form_type == "MR04")
    values["charge_number"] = charge["charge_code"]
    e.state.mark("charges", e.now)
    e.announce("charges", charge)


def _opens(kind: str | None) -> Callable[[Effects, str, str, dict], None]:
    def effect(e: Effects, form_type: str, code: str, values: dict) -> None:
        case = kind or (
            "creditors-voluntary-liquidation" if e.rng.random() < 0.75 else "members-voluntary-liquidation"
        )
        resources.open_case(e.rng, e.state, case, e.today, e.now)
        e.announce("insolvency-cases")

    return effect


def _closes(e: Effects, form_type: str, code: str, values: dict) -> None:
    resources.close_case(e.rng, e.state, e.today, e.now)
    e.announce("insolvency-cases")


def _marks(kind: str) -> Callable[[Effects, str, str, dict], None]:
    return lambda e, form_type, code, values: e.state.mark(kind, e.now)


def _moves(step: Callable[..., None], **options: object) -> Callable[[Effects, str, str, dict], None]:
    def effect(e: Effects, form_type: str, code: str, values: dict) -> None:
        step(e.state, **options)
        e.state.mark("story", e.now)

    return effect


def _rename(e: Effects, form_type: str, code: str, values: dict) -> None:
    story.rename(e.state, profile_changes.new_name(e.rng, e.state.company_type))


_EFFECTS: dict[str, Callable[[Effects, str, str, dict], None]] = {
    "accounts": _accounts,
    "confirmation": _confirmation,
    "reference": _reference,
    "appoint": _appoint,
    "terminate": _officer(False, "resign"),
    "terminate-secretary": _officer(True, "resign"),
    "officer-details": _officer(False, "change"),
    "secretary-details": _officer(True, "change"),
    "psc-notify": _psc,
    "psc-change": _psc,
    "psc-cease": _psc,
    "psc-statement": _marks("psc"),
    "office": _office,
    "sail": _marks("sail"),
    "capital": _marks("capital"),
    "resolution": _marks("resolution"),
    "charge-create": _charge_create,
    "charge-satisfy": _charge_satisfy,
    "charge-other": _marks("charges"),
    "liquidation-start": _opens(None),
    "winding-up": _opens("compulsory-liquidation"),
    "administration-start": _opens("in-administration"),
    "cva": _opens("corporate-voluntary-arrangement"),
    "statement-of-affairs": _marks("statement-of-affairs"),
    "liquidation-progress": _marks("insolvency"),
    "administration-progress": _marks("insolvency"),
    "insolvency-other": _marks("insolvency"),
    "members-final": _closes,
    "creditors-final": _closes,
    "strike-off-apply": _moves(story.begin_strike_off, kind="voluntary", gazetted=False),
    "gazette-compulsory": _moves(story.begin_strike_off, kind="compulsory", gazetted=True),
    "gazette-voluntary": _moves(story.gazette),
    "strike-off-withdraw": _moves(story.withdraw_strike_off),
    "strike-off-suspend": _moves(story.withdraw_strike_off),
    "strike-off-discontinued": _moves(story.withdraw_strike_off),
    "dissolved-voluntary": _moves(story.dissolve),
    "dissolved-compulsory": _moves(story.dissolve),
    "dissolved-liquidation": _moves(story.dissolve),
    "restoration": _moves(story.restore),
    "rename": _rename,
    "routine": _marks("routine"),
}
