"""What a notification says about a stored CH event: category, severity, title, body, links.

The same texts serve the feed, the emails and the admin (they are fixed on the notification).
`describe` returns None for an event that tells people nothing: a first profile (the baseline)
or a profile event in which nothing meaningful changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from notifications.content import other_streams
from notifications.content.categories import (
    ENDED_STATUSES,
    INSOLVENT_STATUSES,
    SEVERITY_ORDER,
    STRIKE_OFF_DETAILS,
    Category,
    Severity,
    filing_category,
    filing_severity,
)
from notifications.content.filing_text import filing_body, filing_title
from notifications.content.profile_diff import Change, ch_date, diff_profiles
from notifications.content.words import psc_nature, readable, word
from streams.events import kind_allowed

CH_SITE = "https://find-and-update.company-information.service.gov.uk"
RECENT_DAYS = 90  # an officer or PSC whose start is this recent is news of an appointment

_PAGES = {
    "filings": ("Filing history", "filing-history"),
    "officers": ("Officers", "officers"),
    "persons-with-significant-control": (
        "Persons with significant control",
        "persons-with-significant-control",
    ),
    "charges": ("Charges", "charges"),
    "insolvency-cases": ("Insolvency", "insolvency"),
    "persons-with-significant-control-statements": (
        "Persons with significant control",
        "persons-with-significant-control",
    ),
}


@dataclass(frozen=True)
class Content:
    category: str
    severity: str
    title: str
    body: str
    links: list[dict] = field(default_factory=list)


def company_links(company_number: str, stream: str) -> list[dict]:
    links = [{"label": "Company overview on Companies House", "url": f"{CH_SITE}/company/{company_number}"}]
    if stream in _PAGES:
        label, page = _PAGES[stream]
        links.append(
            {"label": f"{label} on Companies House", "url": f"{CH_SITE}/company/{company_number}/{page}"}
        )
    return links


def describe(event, *, client: str = "") -> Content | None:
    """The texts for an Event row (streams.models.Event). `client`: for an event about a person
    (a disqualified officer), the practice's client it concerns, as fan-out found it."""
    data = event.data if isinstance(event.data, dict) else {}
    deleted = event.event_type == "deleted"
    if deleted and not data and event.stream != "companies":
        # A deletion without data: the words come from the resource as last stored.
        data = event.previous_data if isinstance(event.previous_data, dict) else {}
    if not kind_allowed(event.stream, event.resource_kind):
        made = other_streams.unknown_kind(event.resource_kind)
    elif event.stream == "filings":
        made = _filing(data, deleted)
    elif event.stream == "companies":
        made = _company_removed() if deleted else _profile(event.previous_data, data)
    elif event.stream == "officers":
        made = _officer(data, deleted, event.published_at)
    elif event.stream == "persons-with-significant-control-statements":
        made = other_streams.psc_statement(data, deleted)
    elif event.stream == "persons-with-significant-control":
        made = _psc(data, deleted, event.published_at)
    elif event.stream == "charges":
        made = _charge(data, deleted)
    elif event.stream == "insolvency-cases":
        made = _insolvency(data, deleted)
    elif event.stream == "company-exemptions":
        made = other_streams.exemptions(data, deleted)
    elif event.stream == "disqualified-officers":
        made = other_streams.disqualification(data, client or "a client", deleted)
    else:
        made = other_streams.unknown_kind(event.resource_kind)
    if made is None:
        return None
    category, severity, title, body = made
    return Content(category, severity, title[:300], body, company_links(event.company_number, event.stream))


def _company_removed():
    return Category.DISSOLUTION, Severity.URGENT, "Company record removed from the register", ""


def _filing(data: dict, deleted: bool):
    category = filing_category(data)
    title = filing_title(data)
    if deleted:  # (CH sends a deleted filing with little or no data)
        what = f": {title}" if data.get("description") or data.get("type") else ""
        return category, Severity.NORMAL, f"Filing removed from the register{what}", ""
    return category, filing_severity(category, str(data.get("description") or "")), title, filing_body(data)


# The order a change is named in the title: the first change in this order decides the category.
def _profile(before, after: dict):
    changes = diff_profiles(before, after)
    if not changes:
        return None
    ranked = sorted(changes, key=lambda c: (SEVERITY_ORDER[_change_severity(c)], _RANK.get(c.key, 99)))
    lead = ranked[0]
    severity = _change_severity(lead)
    return _change_category(lead), severity, _change_title(lead), "\n".join(str(c) for c in changes)


_RANK = {
    "company_status": 0,
    "company_status_detail": 1,
    "registered_office_address": 2,
    "accounts.overdue": 3,
    "confirmation_statement.overdue": 4,
    "company_name": 5,
    "has_insolvency_history": 6,
}


def _change_severity(change: Change) -> str:
    new = change.raw_after
    if change.key == "company_status" and (new in INSOLVENT_STATUSES or new in ENDED_STATUSES):
        return Severity.URGENT
    if change.key == "company_status_detail" and new in STRIKE_OFF_DETAILS:
        return Severity.URGENT
    if change.key == "registered_office_address":
        return Severity.URGENT
    if change.key in ("accounts.overdue", "confirmation_statement.overdue", "has_insolvency_history"):
        return Severity.URGENT if new is True else Severity.NORMAL
    if change.key in ("accounts.next_due", "accounts.next_made_up_to", "confirmation_statement.next_due"):
        return Severity.INFO
    return Severity.NORMAL


def _change_category(change: Change) -> str:
    key, new = change.key, change.raw_after
    if key == "company_status":
        return Category.INSOLVENCY if new in INSOLVENT_STATUSES else Category.DISSOLUTION
    if key == "company_status_detail":
        return Category.DISSOLUTION
    if key == "registered_office_address":
        return Category.ADDRESS
    if key == "company_name":
        return Category.CHANGE_OF_NAME
    if key.startswith("accounts."):
        return Category.ACCOUNTS
    if key.startswith("confirmation_statement."):
        return Category.CONFIRMATION_STATEMENT
    if key == "has_insolvency_history":
        return Category.INSOLVENCY
    return Category.OTHER


def _change_title(change: Change) -> str:
    key, new = change.key, change.raw_after
    if key == "company_status":
        return f"Company status changed to {change.after}"
    if key == "company_status_detail":
        return (
            "Proposal to strike off"
            if new in STRIKE_OFF_DETAILS
            else f"Company status detail: {change.after}"
        )
    if key == "registered_office_address":
        return "Registered office address changed"
    if key == "accounts.overdue":
        return "Accounts are overdue" if new is True else "Accounts are no longer overdue"
    if key == "confirmation_statement.overdue":
        return (
            "Confirmation statement is overdue"
            if new is True
            else "Confirmation statement is no longer overdue"
        )
    if key == "company_name":
        return f"Company name changed to {change.after}"
    return f"{change.label} changed"


def _recent(day, published_at) -> bool:
    try:
        started = date.fromisoformat(str(day)[:10])
    except ValueError:
        return False
    reference = published_at.date() if published_at else date.today()
    return 0 <= (reference - started).days <= RECENT_DAYS


def _officer(data: dict, deleted: bool, published_at):
    name = str(data.get("name") or "an officer")
    role = word("officer_role", data.get("officer_role")) if data.get("officer_role") else ""
    who = f"{name} ({role})" if role else name
    if deleted:
        return Category.OFFICERS, Severity.NORMAL, f"Officer record removed: {who}", ""
    if data.get("resigned_on"):
        return (
            Category.OFFICERS,
            Severity.URGENT,
            f"Officer resigned: {who}",
            f"Resigned on {ch_date(data['resigned_on'])}",
        )
    if data.get("appointed_on") and _recent(data["appointed_on"], published_at):
        body = f"Appointed on {ch_date(data['appointed_on'])}"
        return Category.OFFICERS, Severity.URGENT, f"Officer appointed: {who}", body
    return Category.OFFICERS, Severity.NORMAL, f"Officer details changed: {who}", ""


def _psc(data: dict, deleted: bool, published_at):
    name = str(data.get("name") or data.get("description") or "A person with significant control")
    natures = data.get("natures_of_control") if isinstance(data.get("natures_of_control"), list) else []
    body = "\n".join(psc_nature(n) for n in natures)
    if deleted:
        return Category.PSC, Severity.URGENT, f"Person with significant control removed: {name}", body
    if data.get("ceased_on"):
        title = f"Person with significant control ceased: {name}"
        return Category.PSC, Severity.URGENT, title, f"Ceased on {ch_date(data['ceased_on'])}\n{body}".strip()
    if data.get("notified_on") and _recent(data["notified_on"], published_at):
        title = f"New person with significant control: {name}"
        return (
            Category.PSC,
            Severity.URGENT,
            title,
            f"Notified on {ch_date(data['notified_on'])}\n{body}".strip(),
        )
    return Category.PSC, Severity.URGENT, f"Person with significant control details changed: {name}", body


def _charge(data: dict, deleted: bool):
    classification = data.get("classification") if isinstance(data.get("classification"), dict) else {}
    what = str(classification.get("description") or "Charge")
    number = f" (charge {data['charge_number']})" if data.get("charge_number") else ""
    entitled = data.get("persons_entitled") if isinstance(data.get("persons_entitled"), list) else []
    holders = ", ".join(str(p.get("name")) for p in entitled if isinstance(p, dict) and p.get("name"))
    body = f"In favour of {holders}" if holders else ""
    status = str(data.get("status") or "")
    if deleted:
        return Category.MORTGAGE, Severity.NORMAL, f"Charge record removed{number}", body
    if status in ("fully-satisfied", "satisfied"):
        return Category.MORTGAGE, Severity.NORMAL, f"Charge satisfied: {what}{number}", body
    if data.get("created_on"):
        body = f"Created on {ch_date(data['created_on'])}" + (f"\n{body}" if body else "")
    return Category.MORTGAGE, Severity.NORMAL, f"Charge registered: {what}{number}", body


def _insolvency(data: dict, deleted: bool):
    cases = (
        [c for c in data.get("cases") or [] if isinstance(c, dict)]
        if isinstance(data.get("cases"), list)
        else []
    )
    if deleted:
        return Category.INSOLVENCY, Severity.NORMAL, "Insolvency record removed", ""
    kinds = [word("insolvency_case_type", c.get("type")) for c in cases if c.get("type")]
    title = f"Insolvency: {kinds[-1]}" if kinds else "Insolvency case"
    lines = []
    for case in cases:
        for when in case.get("dates") or []:
            if isinstance(when, dict) and when.get("date"):
                lines.append(
                    f"{word('insolvency_case_date_type', when.get('type'))}: {ch_date(when['date'])}"
                )
        for person in case.get("practitioners") or []:
            if isinstance(person, dict) and person.get("name"):
                role = readable(person.get("role") or "practitioner")
                lines.append(f"{role}: {person['name']}")
    return Category.INSOLVENCY, Severity.URGENT, title, "\n".join(lines)
