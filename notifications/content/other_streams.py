"""The words for the streams beyond the six main ones (exemptions, PSC statements, disqualified
officers) and for kinds CH adds without notice."""

from __future__ import annotations

from notifications.content.categories import Category, Severity
from notifications.content.profile_diff import ch_date
from notifications.content.words import readable

# CH's statement codes, in the few words a partner reads (the codes themselves: CH's
# psc_descriptions.yml, statement_description).
_STATEMENTS = {
    "no-individual-or-entity-with-signficant-control": "no registrable person",
    "steps-to-find-psc-not-yet-completed": "steps to find a registrable person not yet completed",
    "psc-exists-but-not-identified": "a registrable person exists but has not been identified",
    "psc-details-not-confirmed": "a registrable person's details are not confirmed",
    "psc-contacted-but-no-response": "a registrable person was contacted but has not answered",
    "restrictions-notice-issued-to-psc": "a restrictions notice was issued to a registrable person",
}
# A partnership's statement says the same of the partnership.
STATEMENTS = {**_STATEMENTS, **{f"{code}-partnership": words for code, words in _STATEMENTS.items()}}


def psc_statement(data: dict, deleted: bool):
    code = str(data.get("statement") or "")
    words = STATEMENTS.get(code) or (readable(code).lower() if code else "a statement")
    if deleted:
        return Category.PSC, Severity.NORMAL, f"Statement removed: {words}", ""
    if data.get("ceased_on"):
        return (
            Category.PSC,
            Severity.NORMAL,
            f"Statement withdrawn: {words}",
            f"On {ch_date(data['ceased_on'])}",
        )
    body = f"Notified on {ch_date(data['notified_on'])}" if data.get("notified_on") else ""
    return Category.PSC, Severity.NORMAL, f"Statement: {words}", body


def exemptions(data: dict, deleted: bool):
    found = data.get("exemptions") if isinstance(data.get("exemptions"), dict) else {}
    kinds = sorted(
        readable(str(item.get("exemption_type") or key))
        for key, item in found.items()
        if isinstance(item, dict)
    )
    if deleted:
        return Category.PSC, Severity.NORMAL, "Exemptions from PSC disclosure removed", ""
    return Category.PSC, Severity.NORMAL, "Exemptions from PSC disclosure changed", "\n".join(kinds)


def disqualified_name(data: dict) -> str:
    """As CH writes a person: "PATEL, Ashwin Harji" (a corporate officer: its name)."""
    if data.get("name"):
        return str(data["name"])
    forenames = " ".join(str(data[k]) for k in ("forename", "other_forenames") if data.get(k))
    surname = str(data.get("surname") or "")
    return f"{surname}, {forenames}" if surname and forenames else surname or forenames or "An officer"


def disqualification(data: dict, client: str, deleted: bool):
    """About one of the practice's clients (fan-out found the client through the officer)."""
    who = disqualified_name(data)
    if deleted:
        return Category.OFFICERS, Severity.NORMAL, f"Disqualification record removed: {who}", ""
    lines = []
    for item in data.get("disqualifications") or []:
        if not isinstance(item, dict):
            continue
        since, until = item.get("disqualified_from"), item.get("disqualified_until")
        span = f"from {ch_date(since)}" + (f" until {ch_date(until)}" if until else "") if since else ""
        names = ", ".join(str(n) for n in item.get("company_names") or [])
        lines.append(
            " ".join(
                p for p in (readable(str(item.get("disqualification_type") or "disqualified")), span) if p
            )
        )
        if names:
            lines.append(f"Companies named: {names}")
    title = f"A director of {client} has been disqualified: {who}"
    return Category.OFFICERS, Severity.URGENT, title, "\n".join(lines)


def unknown_kind(kind: str):
    return Category.OTHER, Severity.INFO, f"{readable(kind)} changed", ""
