"""Adding companies to client lists: the one path the admin form, CSV import and demo data use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from notifications import queueing
from notifications.models import ClientList, ClientListEntry
from notifications.practices.client_csv import ClientRow
from streams.backfill import not_backfilled
from streams.models import Company
from streams.watch_index import record_watch_changes


def queue_backfill(numbers: Iterable[str]) -> int:
    """Queue backfill of those companies not yet backfilled, after the current transaction commits
    (call it inside the transaction that adds them to a list). Returns how many; 0 without a key."""
    pending = not_backfilled(numbers)
    if pending:
        queueing.after_commit(queueing.enqueue_backfill, pending)
    return len(pending)


def watched_numbers(among: Iterable[str] | None = None) -> Iterable[str]:
    """The company numbers on any client list (of `among`, when given): what the stream listener
    watches (settings.STREAMS_WATCHED_NUMBERS, streams/hooks.py)."""
    numbers = ClientListEntry.objects.values_list("company_id", flat=True)
    if among is None:
        return numbers.distinct().iterator(chunk_size=20_000)
    return numbers.filter(company_id__in=list(among)).distinct()


@dataclass
class ImportPlan:
    """What importing rows into a list does: nothing happens twice on a second run."""

    new: list[ClientRow] = field(default_factory=list)
    updated: list[tuple[ClientRow, str]] = field(default_factory=list)  # (row, old reference)
    unchanged: list[ClientRow] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.new) + len(self.updated)


def plan_import(client_list: ClientList, rows: Sequence[ClientRow]) -> ImportPlan:
    existing = dict(
        ClientListEntry.objects.filter(
            client_list=client_list, company_id__in=[row.company_number for row in rows]
        ).values_list("company_id", "client_reference")
    )
    plan = ImportPlan()
    for row in rows:
        if row.company_number not in existing:
            plan.new.append(row)
        elif row.client_reference and row.client_reference != existing[row.company_number]:
            plan.updated.append((row, existing[row.company_number]))
        else:
            plan.unchanged.append(row)
    return plan


def ensure_companies(names_by_number: dict[str, str]) -> None:
    """A Company row for every number; a name from the practice fills one CH has not given yet."""
    Company.objects.bulk_create(
        [Company(company_number=n, name=name) for n, name in names_by_number.items()],
        ignore_conflicts=True,
        batch_size=1000,
    )
    named = {n: name for n, name in names_by_number.items() if name}
    if named:
        unnamed = list(Company.objects.filter(company_number__in=list(named), name=""))
        for company in unnamed:
            company.name = named[company.company_number]
        Company.objects.bulk_update(unnamed, ["name"], batch_size=1000)


@transaction.atomic
def import_rows(
    client_list: ClientList, rows: Sequence[ClientRow], *, added_by: AbstractBaseUser | None
) -> ImportPlan:
    """Add the new rows, update changed client references, leave the rest; returns what it did."""
    plan = plan_import(client_list, rows)
    ensure_companies({row.company_number: row.company_name for row in rows})
    ClientListEntry.objects.bulk_create(
        [
            ClientListEntry(
                client_list=client_list,
                company_id=row.company_number,
                client_reference=row.client_reference,
                added_by=added_by,
            )
            for row in plan.new
        ],
        # A concurrent import of the same file must not fail or add twice.
        ignore_conflicts=True,
        batch_size=1000,
    )
    record_watch_changes(row.company_number for row in plan.new)
    queue_backfill(row.company_number for row in plan.new)  # a job per 50 companies, after commit
    if plan.updated:
        entries = {
            e.company_id: e
            for e in ClientListEntry.objects.filter(
                client_list=client_list, company_id__in=[row.company_number for row, _ in plan.updated]
            )
        }
        for row, _old in plan.updated:
            entries[row.company_number].client_reference = row.client_reference
        ClientListEntry.objects.bulk_update(entries.values(), ["client_reference"], batch_size=1000)
    return plan


def export_rows(entries: Iterable[ClientListEntry]) -> Iterable[list[object]]:
    """Rows in client_csv.EXPORT_COLUMNS order."""
    for entry in entries:
        yield [
            entry.company_id,
            entry.client_reference,
            entry.company.name,
            entry.company.status,
            entry.client_list.name,
            entry.added_at.isoformat(timespec="seconds"),
            entry.added_by.get_username() if entry.added_by else "",
        ]
