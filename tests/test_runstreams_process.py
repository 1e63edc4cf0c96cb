"""runstreams as the operator runs it: a real process, real signals, real exit codes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streams.models import Event, StreamState
from tests.streamkit import checkpoint, filing, process_env, wait_until

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def runstreams(sim, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "runstreams", *args],
        cwd=ROOT,
        env=process_env(sim, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_commits_the_checkpoint_and_exits_within_five_seconds(sim, ashford_list):
    process = runstreams(sim, "--stream", "filings", "--stream", "companies")
    try:
        sim.wait_connected("filings")
        sim.wait_connected("companies")
        tps = sim.add("filings", filing("09876543", "BEFORE-TERM"), filing("12345678", "UNWATCHED"))
        wait_until(lambda: Event.objects.exists())
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        assert time.monotonic() - started < 5
        assert code == 0
    finally:
        process.kill()
    assert checkpoint("filings") == tps[-1]
    assert StreamState.objects.get(stream="filings").connected is False
    assert "listener stopped; checkpoints committed" in process.stderr.read()


def test_a_wrong_stream_key_exits_non_zero_naming_the_setting(sim, ashford_list):
    process = runstreams(sim, "--stream", "filings", CH_STREAM_KEY="a-rest-api-key")
    try:
        code = process.wait(timeout=30)
    finally:
        process.kill()
    error = process.stderr.read()
    assert code == 2
    assert "Companies House rejected the stream key" in error
    assert "401" in error and "CH_STREAM_KEY" in error
    assert "Traceback" not in error
