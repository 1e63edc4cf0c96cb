"""Filing deadlines of watched companies, from their CH profiles, and the reminders about them.

CH's company profile gives the next accounts and confirmation statement due dates and whether
each is overdue. A member's page lists them per organisation (overdue first, then the nearest);
the daily job (jobs.send_deadline_reminders) sends a reminder at each configured number of days
before a due date (settings.DEADLINE_REMINDER_DAYS) and when it becomes overdue: each stage once
per company, kind and due date (DeadlineReminder is unique), however often the job runs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from notifications.content.categories import ENDED_STATUSES, Category, Severity
from notifications.content.describe import company_links
from notifications.content.words import long_date
from notifications.fan_out import Watching, announce, notify, per_watching_organisation
from notifications.models import ClientListEntry, DeadlineReminder, Notification, Organisation
from notifications.models.organisations import DEFAULT_TIME_ZONE, zone_of
from streams.models import Company

log = logging.getLogger(__name__)

Kind = DeadlineReminder.Kind
CH_TIME_ZONE = zone_of(DEFAULT_TIME_ZONE)  # a deadline is a day in the UK, wherever the practice is
OVERDUE = "overdue"
STREAM = "deadlines"
BATCH = 1000  # companies per transaction of the reminders job


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


# --- the page -------------------------------------------------------------------------------

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
            return f"Overdue by {_days(-days)}" if days is not None and days < 0 else "Overdue"
        return "Due today" if days == 0 else f"{_days(days)} left"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _watched_profiles(companies, limit: int | None = None):
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
    for number, name, profile in _watched_profiles(companies):
        refs = tuple(r for r in references[number] if r)
        deadlines = company_deadlines(profile, today) if profile is not None else []
        rows.extend(ClientDeadline(number, name, refs, d, True) for d in deadlines)
        if not deadlines:
            rows.append(ClientDeadline(number, name, refs, None, profile is not None))
    return sorted(rows, key=ClientDeadline.sort_key)


# --- reminders ------------------------------------------------------------------------------


@dataclass
class Reminded:
    reminders: int = 0
    notifications: int = 0
    deliveries: int = 0


def _rank(stage: str) -> int:
    """Later stages rank lower: 30, 7, 1, then overdue."""
    return -1 if stage == OVERDUE else int(stage) if stage.isdigit() else 1 << 30


def stage_for(deadline: Deadline, days: list[int]) -> str | None:
    """The stage a deadline has reached: "overdue", or the smallest configured day count not
    below the days left (so a reminder whose day the job missed still goes, late); None before
    the first."""
    if deadline.due_date is None:
        return None
    if deadline.overdue:
        return OVERDUE
    reached = [d for d in days if d >= deadline.days_left]
    return str(min(reached)) if reached else None


def reminder_text(deadline: Deadline, name: str, number: str) -> tuple[str, str]:
    """(title, body) of a reminder."""
    due = long_date(deadline.due_date)
    accounts = deadline.kind == Kind.ACCOUNTS
    company = f"{name} ({number})" if name else number
    what = "accounts" if accounts else "confirmation statement"
    if deadline.overdue:
        title = f"{deadline.label} {'are' if accounts else 'is'} overdue (due {due})"
        body = (
            f"Companies House shows the {what} of {company} as overdue: "
            f"{'they were' if accounts else 'it was'} due by {due}."
        )
        return title, body
    days = deadline.days_left
    title = (
        f"{deadline.label} due today ({due})"
        if days == 0
        else f"{deadline.label} due in {_days(days)} ({due})"
    )
    verb = "deliver its accounts to" if accounts else "file its confirmation statement at"
    return title, f"{company} must {verb} Companies House by {due}."


def _create_once(number: str, deadline: Deadline, stage: str) -> DeadlineReminder | None:
    """The reminder row, or None if it exists: a run at the same time made it first (the insert
    waits for that run's commit, then fails)."""
    try:
        with transaction.atomic():
            return DeadlineReminder.objects.create(
                company_id=number, kind=deadline.kind, due_date=deadline.due_date, stage=stage
            )
    except IntegrityError:
        return None


def _remind(companies: list[tuple], today: date, days: list[int]) -> Reminded:
    due = []
    for number, name, profile in companies:
        for deadline in company_deadlines(profile, today):
            stage = stage_for(deadline, days)
            if stage is not None:
                due.append((number, name, deadline, stage))
    if not due:
        return Reminded()
    with transaction.atomic():
        sent: dict[tuple, set[str]] = defaultdict(set)
        for number, kind, due_date, stage in DeadlineReminder.objects.filter(
            company_id__in={number for number, *_ in due}
        ).values_list("company_id", "kind", "due_date", "stage"):
            sent[(number, kind, due_date)].add(stage)
        made = []
        for number, name, deadline, stage in due:
            earlier = sent[(number, deadline.kind, deadline.due_date)]
            # This stage, or a later one, went already: never an older stage after a newer one.
            if any(_rank(s) <= _rank(stage) for s in earlier):
                continue
            reminder = _create_once(number, deadline, stage)
            if reminder is not None:
                made.append((reminder, name, deadline))
        result = Reminded(reminders=len(made))
        watching = Watching.of({r.company_id for r, _, _ in made})
        rows = []
        for reminder, name, deadline in made:
            title, body = reminder_text(deadline, name, reminder.company_id)
            rows += per_watching_organisation(
                watching,
                reminder.company_id,
                Category(deadline.kind),
                reminder=reminder,
                company_name=name,
                severity=Severity.URGENT if deadline.overdue or deadline.days_left <= 1 else Severity.NORMAL,
                title=title,
                body=body,
                links=company_links(reminder.company_id, "filings"),
                stream=STREAM,
            )
        # Ours: the reminders were made by this transaction.
        fanned = notify(rows, Notification.objects.filter(reminder__in=[r.id for r, _, _ in made]))
        announce(fanned)
    result.notifications, result.deliveries = fanned.notifications, len(fanned.deliveries)
    return result


def send_deadline_reminders(today: date | None = None) -> Reminded:
    """Send every reminder due today (the UK's today unless given). Safe to run twice, late, or
    at the same time as another run: each stage of each deadline is sent once."""
    today = today or local_today(CH_TIME_ZONE)
    days = sorted(set(settings.DEADLINE_REMINDER_DAYS))
    watched = Company.objects.filter(Exists(ClientListEntry.objects.filter(company_id=OuterRef("pk"))))
    total, last = Reminded(), ""
    while True:
        batch = list(
            _watched_profiles(watched.filter(company_number__gt=last).order_by("company_number"), BATCH)
        )
        if not batch:
            break
        last = batch[-1][0]
        done = _remind(batch, today, days)
        total.reminders += done.reminders
        total.notifications += done.notifications
        total.deliveries += done.deliveries
    log.info(
        "deadline reminders for %s: %d reminders, %d notifications, %d email deliveries",
        today,
        total.reminders,
        total.notifications,
        total.deliveries,
    )
    return total
