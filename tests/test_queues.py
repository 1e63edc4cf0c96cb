"""RQ, rq-scheduler and django-rq as our code uses them, on the machine's Redis and on Redis 6.2:
jobs queued many at a time and run by a worker (in this process and as the Procfile runs one),
retries waiting in the scheduled registry, failures counted, and the scheduler healing its
schedules."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import django_rq
import pytest
import rq
from rq.job import Job

from notifications import queueing
from notifications.admin.operations import overview
from notifications.models import Notification
from tests.notifykit import process_env, run_jobs, stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.redis_servers"]
ROOT = Path(__file__).resolve().parent.parent


def explode() -> None:
    raise RuntimeError("this job always fails")


def queue_figures() -> dict:
    (figures,) = [q for q in overview()["queues"] if q["name"] == "default"]
    return {k: figures[k] for k in ("waiting", "running", "scheduled", "failed")}


def test_fan_out_jobs_are_queued_in_one_call_and_a_worker_runs_them(
    ashford_list, alice, redis_server, django_capture_on_commit_callbacks
):
    events = [stored_officer_change("09876543"), stored_filing("SC123456")]
    queueing.enqueue_fan_out([e.id for e in events])
    assert redis_server.client().llen("rq:queue:default") == 1  # on this server: one job, both events
    with django_capture_on_commit_callbacks(execute=True):
        assert run_jobs() == 1
    assert Notification.objects.count() == 2
    queued = queueing.queue().get_jobs()
    assert [j.func_name for j in queued] == ["notifications.jobs.deliver"]  # the officer change's email


def test_a_failing_job_waits_in_the_scheduled_registry_for_its_retry_then_counts_as_failed(redis_server):
    queue = queueing.queue()  # enqueues at once, as our code does (not after the test's commit)
    retried = queue.enqueue(explode, retry=rq.Retry(max=1, interval=60))
    assert run_jobs() == 1
    assert queue_figures() == {"waiting": 0, "running": 0, "scheduled": 1, "failed": 0}

    queue.enqueue(explode)  # no retries left to wait for
    assert run_jobs() == 1
    assert queue_figures() == {"waiting": 0, "running": 0, "scheduled": 1, "failed": 1}
    assert retried.get_status(refresh=True) == "scheduled"


@pytest.mark.filterwarnings("ignore:Version 0.22.0")  # crontab's, silenced in schedules.py too
def test_the_scheduler_holds_a_later_job_and_registers_lost_schedules_again(redis_server, monkeypatch):
    scheduler = django_rq.get_scheduler("default")
    later = scheduler.enqueue_in(timedelta(minutes=5), explode)
    assert [job.id for job in scheduler.get_jobs()] == [later.id]

    assert scheduler.ensure_schedules() is True  # Redis had none of ours
    assert scheduler.ensure_schedules() is False
    monkeypatch.setattr(scheduler, "_install_signal_handlers", lambda: None)  # pytest keeps its own
    scheduler.run(burst=True)  # one pass, as rqscheduler makes every 10 s
    queued = sorted(job.func_name for job in django_rq.get_queue("default").get_jobs())
    # The interval schedules are due now; the later job and the crons wait.
    assert queued == ["notifications.jobs.check_gaps", "notifications.jobs.reconcile"]


@pytest.mark.slow
def test_a_worker_process_as_the_procfile_starts_it_runs_a_job_and_keeps_its_result(redis_server):
    def manage(*command: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=process_env(),
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]

    manage("waitforredis", "--timeout", "5")
    job = queueing.queue().enqueue("operator.add", 2, 3)
    manage("rqworker", "default", "--burst", "--worker-class", "notifications.worker.WarmWorker")
    assert Job.fetch(job.id, connection=redis_server.client()).return_value() == 5
