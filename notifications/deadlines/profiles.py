"""Filing deadlines of watched companies, from their CH profiles: CH's company profile gives the
next accounts and confirmation statement due dates and whether each is overdue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from notifications.content.categories import ENDED_STATUSES
from notifications.models import DeadlineReminder
from notifications.models.organisations import DEFAULT_TIME_ZONE, zone_of

log = logging.getLogger(__name__)

Kind = DeadlineReminder.Kind
CH_TIME_ZONE = zone_of(DEFAULT_TIME_ZONE)  # a deadline is a day in the UK, wherever the practice is
OVERDUE = "overdue"
STREAM = "deadlines"


@dataclass(frozen=True)
class Deadline:
    kind: str
    due_date: date | None  # none when CH says overdue but gives no date
    overdue: bool
    days_left: int | None  # negative once the day has passed

    @property
    def label(self) -> str:
        return Kind(self.kind).label


def parse_date(value) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _section(container, key: str) -> dict:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def company_deadlines(profile, today: date) -> list[Deadline]:
    """The deadlines a CH company profile gives, as of `today`: none for a company that has ended,
    nor for a kind with neither a due date nor an overdue flag. Overdue when CH says so, or when
    the due date has passed (CH's flag can lag a day behind)."""
    if not isinstance(profile, dict) or profile.get("company_status") in ENDED_STATUSES:
        return []
    accounts = _section(profile, "accounts")
    next_accounts = _section(accounts, "next_accounts")
    statement = _section(profile, "confirmation_statement")
    found = [
        (
            Kind.ACCOUNTS,
            parse_date(accounts.get("next_due")) or parse_date(next_accounts.get("due_on")),
            accounts.get("overdue") is True or next_accounts.get("overdue") is True,
        ),
        (
            Kind.CONFIRMATION_STATEMENT,
            parse_date(statement.get("next_due")),
            statement.get("overdue") is True,
        ),
    ]
    deadlines = []
    for kind, due, flagged in found:
        if due is None and not flagged:
            continue
        days = (due - today).days if due else None
        deadlines.append(Deadline(str(kind), due, flagged or (days is not None and days < 0), days))
    return deadlines


def local_today(time_zone: str | ZoneInfo, now: datetime | None = None) -> date:
    """Today in a time zone (the UK's when the name is not a time zone)."""
    zone = time_zone if isinstance(time_zone, ZoneInfo) else zone_of(time_zone)
    return (now or timezone.now()).astimezone(zone).date()


def days_text(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def watched_profiles(companies, limit: int | None = None):
    """(number, name, profile) with only the parts of the profile deadlines need, fetched by the
    database (a profile is kilobytes); profile None for a company CH has not told us about."""
    rows = companies.annotate(
        has_profile=ExpressionWrapper(Q(profile__isnull=False), output_field=BooleanField())
    ).values_list(
        "company_number",
        "name",
        "has_profile",
        "profile__company_status",
        "profile__accounts",
        "profile__confirmation_statement",
    )
    for number, name, has_profile, status, accounts, statement in rows[:limit]:
        profile = (
            {"company_status": status, "accounts": accounts, "confirmation_statement": statement}
            if has_profile
            else None
        )
        yield number, name, profile
