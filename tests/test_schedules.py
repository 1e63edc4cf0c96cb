"""Periodic jobs are registered with rq-scheduler idempotently."""

from __future__ import annotations

import django_rq
import pytest

from notifications.schedules import register


@pytest.fixture
def scheduler(redis_client):
    return django_rq.get_scheduler("default")


def test_registering_twice_registers_each_job_once(scheduler):
    first = register(scheduler)
    second = register(scheduler)
    assert set(first.values()) == {"added"}
    assert set(second.values()) == {"unchanged"}
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == ["clientwatch-digests", "clientwatch-reconcile"]


def test_a_changed_schedule_replaces_the_old_one(scheduler, settings):
    register(scheduler)
    settings.DIGEST_CRON = "30 6 * * *"
    assert register(scheduler)["clientwatch-digests"] == "replaced"
    (digest,) = [job for job in scheduler.get_jobs() if job.id == "clientwatch-digests"]
    assert digest.meta["cron_string"] == "30 6 * * *"
    assert len(list(scheduler.get_jobs())) == 2


def test_the_reconciler_is_scheduled_every_minute(scheduler):
    register(scheduler)
    (job,) = [job for job in scheduler.get_jobs() if job.id == "clientwatch-reconcile"]
    assert (job.func_name, job.meta["interval"]) == ("notifications.jobs.reconcile", 60)
