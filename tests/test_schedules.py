"""Periodic jobs are registered with rq-scheduler idempotently."""

from __future__ import annotations

import django_rq
import pytest

from notifications.schedules import register, schedules


@pytest.fixture
def scheduler(redis_client):
    return django_rq.get_scheduler("default")


def test_registering_twice_registers_each_job_once(scheduler):
    first = register(scheduler)
    second = register(scheduler)
    assert set(first.values()) == {"added"}
    assert set(second.values()) == {"unchanged"}
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == sorted(s.id for s in schedules())
    assert {"clientwatch-digests", "clientwatch-reconcile", "clientwatch-retention"} <= set(ids)


def test_a_changed_schedule_replaces_the_old_one(scheduler, settings):
    register(scheduler)
    settings.RETENTION_CRON = "45 3 * * *"
    assert register(scheduler)["clientwatch-retention"] == "replaced"
    (retention,) = [job for job in scheduler.get_jobs() if job.id == "clientwatch-retention"]
    assert retention.meta["cron_string"] == "45 3 * * *"
    assert len(list(scheduler.get_jobs())) == len(schedules())


def test_the_reconciler_is_scheduled_every_minute(scheduler):
    register(scheduler)
    (job,) = [job for job in scheduler.get_jobs() if job.id == "clientwatch-reconcile"]
    assert (job.func_name, job.meta["interval"]) == ("notifications.jobs.reconcile", 60)


def test_a_schedule_no_longer_wanted_is_cancelled(scheduler):
    scheduler.cron("0 0 * * *", func="notifications.jobs.reconcile", id="clientwatch-old-job")
    assert register(scheduler)["clientwatch-old-job"] == "removed"
    assert "clientwatch-old-job" not in {job.id for job in scheduler.get_jobs()}


def test_rqscheduler_runs_the_self_healing_scheduler():
    from notifications.scheduler import SelfHealingScheduler

    assert isinstance(django_rq.get_scheduler("default", interval=10), SelfHealingScheduler)


def test_the_scheduler_registers_the_schedules_again_after_redis_lost_them(scheduler, redis_client):
    register(scheduler)
    redis_client.flushdb()  # Redis restarted empty, or flushed: rq-scheduler's schedule is gone
    assert list(scheduler.get_jobs()) == []

    scheduler.enqueue_jobs()  # the scheduler's next pass

    assert sorted(job.id for job in scheduler.get_jobs()) == sorted(s.id for s in schedules())
    assert scheduler.ensure_schedules() is False  # all there: nothing registered twice
    assert len(list(scheduler.get_jobs())) == len(schedules())


def test_the_reconciler_interval_comes_from_the_settings(scheduler, settings):
    settings.RECONCILE_EVERY_SECONDS = 10
    register(scheduler)
    (job,) = [job for job in scheduler.get_jobs() if job.id == "clientwatch-reconcile"]
    assert job.meta["interval"] == 10
