"""Periodic jobs for rq-scheduler, registered idempotently: `manage.py registerschedules` (run
before `rqscheduler` starts) puts each job under a fixed id, leaves one that is unchanged, and
replaces one whose schedule changed. rq-scheduler can still enqueue a job twice: each of these
jobs is idempotent."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

import django_rq
from django.conf import settings

# rq-scheduler asks crontab for the next run without saying which default it wants, and crontab
# warns about a change of its default on every call. The scheduler cannot pass the argument and
# an operator cannot act on the warning: it is silenced here, where
# every scheduling call starts (registerschedules and the scheduler both import this module).
warnings.filterwarnings("ignore", message=r"Version 0\.22\.0\+ of crontab", category=FutureWarning)


@dataclass(frozen=True)
class Schedule:
    id: str
    func: str
    interval: int | None = None  # seconds
    cron: str | None = None  # crontab, UTC

    def matches(self, job) -> bool:
        return (
            job.func_name == self.func
            and job.meta.get("interval") == self.interval
            and job.meta.get("cron_string") == self.cron
        )


def schedules() -> list[Schedule]:
    return [
        Schedule(
            "clientwatch-reconcile", "notifications.jobs.reconcile", interval=settings.RECONCILE_EVERY_SECONDS
        ),
        # A safety net under the listener's own queueing: a check lost with Redis starts again.
        Schedule("clientwatch-gap-checks", "notifications.jobs.check_gaps", interval=60),
        # Hourly: each practice's digest goes at DIGEST_HOUR in its own time zone.
        Schedule("clientwatch-digests", "notifications.jobs.queue_digests", cron="0 * * * *"),
        Schedule("clientwatch-retention", "notifications.jobs.trim_old_data", cron=settings.RETENTION_CRON),
        # Daily, early in the UK's morning; a missed day's reminders go the next day.
        Schedule(
            "clientwatch-deadline-reminders", "notifications.jobs.send_deadline_reminders", cron="0 7 * * *"
        ),
    ]


def register(scheduler=None) -> dict[str, str]:
    """{schedule id: "added" | "unchanged" | "replaced"}; jobs under our prefix no longer wanted
    are cancelled ("removed")."""
    scheduler = scheduler or django_rq.get_scheduler("default")
    wanted = {s.id: s for s in schedules()}
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith("clientwatch-")}
    report = {}
    for job_id, job in existing.items():
        if job_id not in wanted:
            scheduler.cancel(job)
            job.delete()
            report[job_id] = "removed"
    for schedule in wanted.values():
        job = existing.get(schedule.id)
        if job is not None and schedule.matches(job):
            report[schedule.id] = "unchanged"
            continue
        if job is not None:
            scheduler.cancel(job)
            job.delete()
        if schedule.cron:
            scheduler.cron(schedule.cron, func=schedule.func, id=schedule.id, queue_name="default")
        else:
            scheduler.schedule(
                datetime.now(UTC),
                func=schedule.func,
                interval=schedule.interval,
                id=schedule.id,
                queue_name="default",
            )
        report[schedule.id] = "replaced" if job is not None else "added"
    return report
