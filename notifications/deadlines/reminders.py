"""Reminders of filing deadlines. The daily job (jobs.send_deadline_reminders) sends one at each
configured number of days before a due date (settings.DEADLINE_REMINDER_DAYS) and when it becomes
overdue: each stage once per company, kind and due date (DeadlineReminder is unique), however
often the job runs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from notifications.content.categories import Category, Severity
from notifications.content.describe import company_links
from notifications.content.words import long_date
from notifications.deadlines.profiles import (
    CH_TIME_ZONE,
    OVERDUE,
    STREAM,
    Deadline,
    Kind,
    company_deadlines,
    days_text,
    local_today,
    watched_profiles,
)
from notifications.fan_out import Watching, announce, notify, per_watching_organisation
from notifications.models import ClientListEntry, DeadlineReminder, Notification
from streams.models import Company

log = logging.getLogger(__name__)
BATCH = 1000  # companies per transaction of the reminders job


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
        else f"{deadline.label} due in {days_text(days)} ({due})"
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
            watched_profiles(watched.filter(company_number__gt=last).order_by("company_number"), BATCH)
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
