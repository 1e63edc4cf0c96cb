"""What a notification says about a stored CH event: category, severity, title, body, links.

Plain texts from the event itself for now; the content issue (5) replaces `describe` with CH's own
filing descriptions and profile diffs. Returns None for an event that tells people nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .categories import category_of, severity_of

CH_SITE = "https://find-and-update.company-information.service.gov.uk"

_KIND_TITLES = {
    "officers": "Officer details changed",
    "persons-with-significant-control": "Person with significant control changed",
    "persons-with-significant-control-statements": "PSC statement changed",
    "charges": "Charge registered or changed",
    "insolvency-cases": "Insolvency case",
    "company-exemptions": "Exemptions changed",
}
_PAGES = {
    "filings": ("Filing history", "filing-history"),
    "officers": ("Officers", "officers"),
    "persons-with-significant-control": (
        "Persons with significant control",
        "persons-with-significant-control",
    ),
    "charges": ("Charges", "charges"),
    "insolvency-cases": ("Insolvency", "insolvency"),
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


def describe(event) -> Content | None:
    """The texts for an Event row (streams.models.Event)."""
    data = event.data if isinstance(event.data, dict) else {}
    category = category_of(event.stream, data)
    severity = severity_of(category)
    if event.stream == "filings":
        code = str(data.get("description") or data.get("type") or "filing")
        title = f"New filing: {code.replace('-', ' ').capitalize()}"
        values = data.get("description_values") if isinstance(data.get("description_values"), dict) else {}
        body = "\n".join(
            f"{k.replace('_', ' ')}: {v}" for k, v in values.items() if not isinstance(v, dict | list)
        )
        if data.get("type"):
            body = f"Form {data['type']}" + (f"\n{body}" if body else "")
    elif event.stream == "companies":
        previous = event.previous_data
        if previous is None:
            return None  # the first profile seen is the baseline: nothing happened
        changed = sorted(
            key
            for key in set(data) | set(previous)
            if key not in ("etag", "links") and data.get(key) != previous.get(key)
        )
        if not changed:
            return None
        title = "Company details changed"
        body = "Changed: " + ", ".join(key.replace("_", " ") for key in changed)
    else:
        title = _KIND_TITLES.get(event.stream, "Companies House update")
        name = (
            data.get("name") or data.get("classification", {}).get("description")
            if isinstance(data.get("classification"), dict)
            else data.get("name")
        )
        body = str(name or "")
    if event.event_type == "deleted":
        title = f"{title} (removed)"
    return Content(category, severity, title[:300], body, company_links(event.company_number, event.stream))
