"""Which watched companies a disqualified officer concerns. CH's event names no company number
(it is about a person): the companies are named in `disqualifications[].company_names`, and the
person by name and date of birth, which the officers the product knows for its clients (from the
officers stream, and the officer lists backfill and gap checks fetch: streams.officers) can be
matched against."""

from __future__ import annotations

import re

from django.db.models.functions import Upper

from streams.models import Company, Event, Officer

_SUFFIXES = (
    (" LIMITED", " LTD"),
    (" LTD", " LIMITED"),
    (" PUBLIC LIMITED COMPANY", " PLC"),
    (" PLC", " PUBLIC LIMITED COMPANY"),
)


def name_variants(name: str) -> set[str]:
    """A company name as CH may write it: upper case, single spaces, LIMITED or LTD."""
    plain = re.sub(r"\s+", " ", re.sub(r"[.,]", "", str(name).upper())).strip()
    variants = {plain}
    for long, short in _SUFFIXES:
        if plain.endswith(long):
            variants.add(plain[: -len(long)] + short)
    return variants


def disqualified_clients(data: dict) -> list[str]:
    """Numbers of the companies on some client list that this disqualified officer concerns:
    named in the disqualification, or where an officer of the same name and month of birth sits."""
    if not isinstance(data, dict):
        return []
    named = set()
    for item in data.get("disqualifications") or []:
        if isinstance(item, dict):
            for company in item.get("company_names") or []:
                named |= name_variants(company)
    found = set()
    if named:
        found |= set(
            Company.objects.annotate(upper=Upper("name"))
            .filter(upper__in=named, entries__isnull=False)
            .values_list("company_number", flat=True)
        )
    surname, forename = str(data.get("surname") or "").strip(), str(data.get("forename") or "").strip()
    born = str(data.get("date_of_birth") or "")
    if surname and forename and re.fullmatch(r"\d{4}-\d{2}-\d{2}", born):
        year, month = int(born[:4]), int(born[5:7])
        sits_at = Event.objects.filter(
            stream="officers",
            data__name__istartswith=f"{surname}, {forename}",
            data__date_of_birth__year=year,
            data__date_of_birth__month=month,
        ).values_list("company_number", flat=True)
        listed = Officer.objects.filter(
            name__istartswith=f"{surname}, {forename}", birth_year=year, birth_month=month, resigned_on=None
        ).values_list("company_number", flat=True)
        # Still on a list: the officers stream's events outlive a client's removal.
        watched = Company.objects.filter(company_number__in=set(sits_at) | set(listed), entries__isnull=False)
        found |= set(watched.values_list("company_number", flat=True))
    return sorted(found)
