"""The rq-scheduler class `manage.py rqscheduler` runs (settings.RQ["SCHEDULER_CLASS"]).

rq-scheduler keeps its schedule in Redis only. Redis is a transport here, not the record
(README, Guarantees, 3): if it loses its data, the periodic jobs vanish with it, the reconciler
among them, and nothing would ever queue lost work again. So before each pass the scheduler
checks that our schedules are still there and registers them again when they are not.
"""

from __future__ import annotations

import logging

from django_rq.queues import DjangoScheduler

from notifications.schedules import register, schedules

log = logging.getLogger(__name__)


class SelfHealingScheduler(DjangoScheduler):
    def enqueue_jobs(self):
        self.ensure_schedules()
        return super().enqueue_jobs()

    def ensure_schedules(self) -> bool:
        """Register the schedules again if any is missing; whether it had to."""
        wanted = [s.id for s in schedules()]
        with self.connection.pipeline(transaction=False) as pipe:
            for job_id in wanted:
                pipe.zscore(self.scheduled_jobs_key, job_id)
            if all(score is not None for score in pipe.execute()):
                return False
        report = register(self)
        log.warning(
            "scheduler: periodic jobs were missing from Redis (flushed or restarted?); registered again: %s",
            ", ".join(f"{job_id} {what}" for job_id, what in sorted(report.items())),
        )
        return True
