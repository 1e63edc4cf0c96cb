"""One filing history item, in CH's shape, and its later re-send once the document is available."""

from __future__ import annotations

import random
from datetime import date

from streams.simulator import filing_catalogue, filing_values, profile_changes
from streams.simulator.people import barcode
from streams.simulator.state import CompanyState, randint

DOCUMENT_API = "https://document-api.company-information.service.gov.uk/document"
# The description value CH also shows as the item's action date, in order of preference.
_ACTION_DATES = ("made_up_date", "appointment_date", "termination_date", "change_date")


def new_filing(rng: random.Random, state: CompanyState, transaction_id: str, filed_on: date) -> dict:
    """A new filing history item for the company, as CH first sends it (no document yet)."""
    form_type, category, subcategory, code, with_capital = filing_catalogue.choose(rng, state)
    context = filing_values.FilingContext(rng, state, filed_on, category)
    values = filing_values.description_values(code, context)
    if with_capital:
        values["capital"] = filing_values.capital(rng)
    uri = f"/company/{state.number}/filing-history/{transaction_id}"
    data: dict = {"transaction_id": transaction_id, "category": category}
    if subcategory:
        data["subcategory"] = subcategory
    data.update(type=form_type, description=code, date=filed_on.isoformat(), barcode=barcode(rng))
    if values:
        data["description_values"] = values
    action_date = next((values[k] for k in _ACTION_DATES if k in values), None)
    if action_date:
        data["action_date"] = action_date
    if form_type == "NEWINC":
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
    if category == "change-of-name":
        state.pending_name = profile_changes.new_name(rng, state.company_type)  # the profile follows suit
    if rng.random() < 0.3:
        data["pages"] = randint(rng, 1, 40)
    data["links"] = {"self": uri}
    return data


def add_document(item: dict, rng: random.Random) -> None:
    """Mark the item's document as available: CH then re-sends it with links.document_metadata."""
    item["links"]["document_metadata"] = f"{DOCUMENT_API}/{item['transaction_id']}"
    item.setdefault("pages", randint(rng, 1, 40))
