"""The deadlines page's rows: every client of a practice by deadline, overdue first, then the
nearest, and those CH has not described yet last."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from notifications.content.describe import company_links
from notifications.deadlines.profiles import (
    STREAM,
    Deadline,
    company_deadlines,
    days_text,
    local_today,
    watched_profiles,
)
from notifications.models import ClientListEntry, Organisation
from streams.models import Company

log = logging.getLogger(__name__)


OVERDUE_GROUP, DUE_GROUP, NONE_GROUP, NO_DATA_GROUP = range(4)


@dataclass(frozen=True)
class ClientDeadline:
    """One row of an organisation's deadlines page: one deadline of one client, or a client
    with none (no profile yet, or none on it)."""

    company_number: str
    company_name: str
    references: tuple[str, ...]
    deadline: Deadline | None
    has_profile: bool

    @property
    def group(self) -> int:
        if self.deadline is None:
            return NONE_GROUP if self.has_profile else NO_DATA_GROUP
        return OVERDUE_GROUP if self.deadline.overdue else DUE_GROUP

    def sort_key(self) -> tuple:
        due = self.deadline.due_date if self.deadline else None
        return (self.group, due or date.min, self.company_number, self.deadline.kind if self.deadline else "")

    @property
    def overdue(self) -> bool:
        return self.group == OVERDUE_GROUP

    @property
    def ch_url(self) -> str:
        return company_links(self.company_number, STREAM)[0]["url"]

    @property
    def when(self) -> str:
        """Days left, in words."""
        if self.deadline is None:
            return "No deadlines on record" if self.has_profile else "No data yet"
        days = self.deadline.days_left
        if self.deadline.overdue:
            return f"Overdue by {days_text(-days)}" if days is not None and days < 0 else "Overdue"
        return "Due today" if days == 0 else f"{days_text(days)} left"


def deadlines_for(
    organisation_id: int, client_list_id: int | None = None, *, now: datetime | None = None
) -> list[ClientDeadline]:
    """Every deadline of the organisation's clients (on one of its lists, if given), days left
    counted in its time zone: overdue first (the longest overdue first), then the nearest due
    date, then clients with no deadlines, then those with no data yet."""
    time_zone = Organisation.objects.filter(id=organisation_id).values_list("time_zone", flat=True).first()
    if time_zone is None:
        return []
    today = local_today(time_zone, now)
    entries = ClientListEntry.objects.filter(client_list__organisation_id=organisation_id)
    if client_list_id:
        entries = entries.filter(client_list_id=client_list_id)
    references: dict[str, list[str]] = defaultdict(list)
    for number, reference in entries.values_list("company_id", "client_reference").order_by("client_list_id"):
        if reference not in references[number]:
            references[number].append(reference)
    rows = []
    companies = Company.objects.filter(company_number__in=list(references)).order_by()
    for number, name, profile in watched_profiles(companies):
        refs = tuple(r for r in references[number] if r)
        deadlines = company_deadlines(profile, today) if profile is not None else []
        rows.extend(ClientDeadline(number, name, refs, d, True) for d in deadlines)
        if not deadlines:
            rows.append(ClientDeadline(number, name, refs, None, profile is not None))
    return sorted(rows, key=ClientDeadline.sort_key)
