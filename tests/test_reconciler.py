"""Redis is a transport, PostgreSQL the record: with jobs lost (Redis flushed, a worker killed
mid-job) the reconciler queues the work again, and nothing is lost or sent twice."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import psutil
import pytest
from django.core import mail
from django.utils import timezone

from notifications.fan_out import fan_out_events
from notifications.models import Delivery, Membership, Notification
from notifications.reconcile import reconcile
from tests.mailbackends import postmark_delivery_event
from tests.notifykit import process_env, run_jobs, stored_filing, stored_officer_change
from tests.streamkit import wait_until

ROOT = Path(__file__).resolve().parent.parent
LATER = timedelta(hours=1)  # "the reconciler's next run, long after": every timeout has passed
WORKER_CLASS = ("--worker-class", "notifications.worker.WarmWorker")  # as the Procfile runs it


def test_with_redis_flushed_the_reconciler_loses_nothing_and_sends_nothing_twice(
    db, ashford_list, alice, carol, redis_client, django_capture_on_commit_callbacks
):
    events = [stored_officer_change("09876543"), stored_officer_change("SC123456"), stored_filing("09876543")]
    redis_client.flushdb()  # the listener's fan-out jobs are gone

    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile(timezone.now() + LATER).events == 3
        run_jobs()  # fan-out: notifications and deliveries, delivery jobs queued
        redis_client.flushdb()  # ... and those jobs are lost too
        assert reconcile(timezone.now() + LATER).deliveries == 4  # 2 urgent events x 2 members
        run_jobs()
    assert len(mail.outbox) == 4
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == sorted(
        {(m.to[0], m.subject) for m in mail.outbox}
    )

    with django_capture_on_commit_callbacks(execute=True):  # nothing left to do: nothing happens
        redis_client.flushdb()
        result = reconcile(timezone.now() + LATER)
        run_jobs()
    assert (result.events, result.deliveries, result.unstuck) == (0, 0, 0)
    assert len(mail.outbox) == 4 and Notification.objects.count() == 3
    assert all(e.notifications.exists() for e in events)


def test_the_reconciler_leaves_recent_work_and_a_delivery_waiting_out_its_back_off(
    db, ashford_list, alice, redis_client
):
    fan_out_events([stored_officer_change("09876543").id])
    assert reconcile().deliveries == 0  # just made: its job is in the queue
    Delivery.objects.update(retry_at=timezone.now() + timedelta(hours=2))
    assert reconcile(timezone.now() + LATER).deliveries == 0
    assert reconcile(timezone.now() + timedelta(hours=3)).deliveries == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_then_reconciled_sends_each_email_exactly_once(
    ashford_list, alice, carol, django_user_model, redis_client, tmp_path
):
    for name in ("dan", "erin"):
        user = django_user_model.objects.create_user(username=name, email=f"{name}@example.com")
        Membership.objects.create(organisation=ashford_list.organisation, user=user)
    fan_out_events([stored_officer_change("09876543").id])  # commits, queues one job of 4 emails
    assert Delivery.objects.filter(status="pending").count() == 4
    env = process_env(
        EMAIL_BACKEND="tests.mailbackends.FileSinkBackend", TEST_MAIL_DIR=str(tmp_path), TEST_MAIL_DELAY="1.5"
    )
    # One sent, the next claimed and inside the provider's 1.5 s: kill it there.
    _kill_worker_when(env, lambda: _statuses() == ["pending", "pending", "sending", "sent"])
    assert _statuses() == ["pending", "pending", "sending", "sent"]
    assert len(list(tmp_path.iterdir())) == 1

    result = reconcile(timezone.now() + LATER)
    assert (result.unstuck, result.deliveries) == (1, 3)
    _burst_worker(env | {"TEST_MAIL_DELAY": "0"})
    recipients = sorted(
        line.split(b":", 1)[1].strip().decode()
        for path in tmp_path.iterdir()
        for line in path.read_bytes().splitlines()
        if line.startswith(b"To:")
    )
    assert recipients == ["alice@example.com", "carol@example.com", "dan@example.com", "erin@example.com"]
    assert _statuses() == ["sent"] * 4


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_provider_took_an_email_does_not_send_it_twice(
    ashford_list, alice, carol, redis_client, tmp_path, client
):
    """The narrow window: the provider has the message, the worker dies before recording it. The
    provider's webhook (any event; it carries our delivery id as metadata) settles it before the
    reconciler would take the delivery as stuck and send it again."""
    fan_out_events([stored_officer_change("09876543").id])  # one job of 2 emails
    env = process_env(
        EMAIL_BACKEND="tests.mailbackends.FileSinkBackend",
        TEST_MAIL_DIR=str(tmp_path),
        TEST_MAIL_AFTER_DELAY="3",
    )
    # The provider has taken the first email; its answer has not come back yet: kill it there.
    _kill_worker_when(env, lambda: len(list(tmp_path.glob("*.eml"))) == 1)
    assert _statuses() == ["pending", "sending"]
    (taken,) = tmp_path.glob("*.eml")

    response = client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(postmark_delivery_event(taken)),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook-user:hook-secret-for-tests").decode(),
    )
    assert response.status_code == 200
    assert _statuses() == ["delivered", "pending"]

    result = reconcile(timezone.now() + LATER)
    assert (result.unstuck, result.deliveries) == (0, 1)  # only the one never handed over
    _burst_worker(env | {"TEST_MAIL_AFTER_DELAY": "0"})
    recipients = sorted(message_from_bytes(p.read_bytes())["To"] for p in tmp_path.glob("*.eml"))
    assert recipients == ["alice@example.com", "carol@example.com"]  # each once
    assert _statuses() == ["delivered", "sent"]


def _kill_worker_when(env: dict[str, str], moment) -> None:
    """A real worker, SIGKILLed with the work-horse it forked as soon as `moment()` holds."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default", "--burst", *WORKER_CLASS],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(moment, timeout=30)
    finally:  # the worker and its work-horse die at once, as with the host they run on
        for process in [*psutil.Process(worker.pid).children(recursive=True), psutil.Process(worker.pid)]:
            process.send_signal(signal.SIGKILL)
        worker.wait(10)


def _burst_worker(env: dict[str, str]) -> None:
    """A worker that runs what is queued, then stops."""
    done = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "default", "--burst", *WORKER_CLASS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def _statuses() -> list[str]:
    return sorted(Delivery.objects.values_list("status", flat=True))
