"""Every long-running process of the Procfile exits cleanly on SIGTERM and says so (the listener's
and the simulator's own tests cover theirs)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.notifykit import process_env
from tests.streamkit import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (
            ["manage.py", "rqworker", "default", "--with-scheduler", "--worker-class",
             "notifications.worker.WarmWorker"],
            "Scheduler with PID",
        ),
        (["manage.py", "rqscheduler", "--interval", "1"], "Registering death"),
        (["-m", "project.serve", "--port", "PORT"], "Finished server process"),
    ],
    ids=["worker", "scheduler", "web"],
)  # fmt: skip
def test_sigterm_stops_the_process_cleanly_and_it_says_what_it_finished(command, said, redis_client):
    command = [str(free_port()) if part == "PORT" else part for part in command]
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        env=process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(4)  # started and idle
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output[-2000:]
    assert said in output
