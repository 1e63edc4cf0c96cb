"""Officers CH's REST API lists for watched companies, kept for matching disqualified officers:
a disqualification names a person (name, date of birth), never a company number."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from streams.models import Officer


def remember_officers(number: str, items: list[dict]) -> int:
    """Replace what we hold for company `number` with CH's list; how many were kept."""
    now = timezone.now()
    rows = {}
    for item in items:
        uri = listed_uri(number, item)
        name = str(item.get("name") or "").strip()
        if not uri or not name:
            continue
        born = item.get("date_of_birth") if isinstance(item.get("date_of_birth"), dict) else {}
        rows[uri] = Officer(
            appointment_uri=uri,
            company_number=number,
            name=name[:300],
            birth_year=_small(born.get("year")),
            birth_month=_small(born.get("month")),
            resigned_on=_date(item.get("resigned_on")),
            data=item,
            seen_at=now,
        )
    Officer.objects.filter(company_number=number).exclude(appointment_uri__in=list(rows)).delete()
    Officer.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["appointment_uri"],
        update_fields=[f.name for f in Officer._meta.concrete_fields if not f.primary_key],
    )
    return len(rows)


def listed_uri(number: str, item: dict) -> str:
    """An item's resource as the streams name it (an officer: /company/{n}/appointments/{id}), from
    its links.self in a REST list; "" when it is missing or names another company."""
    links = item.get("links") if isinstance(item.get("links"), dict) else {}
    uri = str(links.get("self") or "")
    if uri.startswith("company/"):  # CH has been seen to drop the leading slash
        uri = "/" + uri
    return uri[:400] if uri.startswith(f"/company/{number}/") else ""


def _small(value) -> int | None:
    return value if isinstance(value, int) and 0 < value < 10_000 else None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
