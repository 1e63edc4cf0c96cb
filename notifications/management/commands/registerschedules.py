from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications.schedules import register


class Command(BaseCommand):
    help = "Register the periodic jobs with rq-scheduler (idempotent: run it before every rqscheduler start)."

    def handle(self, *args, **options):
        for job_id, what in register().items():
            self.stdout.write(f"{job_id}: {what}")
