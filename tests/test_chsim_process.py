"""manage.py chsim as `make run` and the chaos run start it: a real process with its switches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from streams.company_numbers import is_company_number
from tests.streamkit import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def chsim():
    processes = []

    def start(*args: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "chsim", "--port", str(port), "--key", "k", *args],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.test"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url), timeout=20)
        return url

    yield start
    for process in processes:
        process.terminate()
        assert process.wait(10) == 0  # SIGTERM: a clean exit


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_sim/state", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def read(url: str, stream: str, timepoint: int, count: int, key: str = "k") -> tuple[int, list[bytes]]:
    lines = []
    with httpx.stream(
        "GET", f"{url}/{stream}", params={"timepoint": timepoint}, auth=(key, ""), timeout=10
    ) as r:
        if r.status_code != 200:
            return r.status_code, []
        for line in r.iter_lines():
            if line.strip():
                lines.append(line.encode())
            if len(lines) >= count:
                break
    return 200, lines


def test_it_generates_seeded_events_with_broken_lines_and_refuses_a_wrong_key(chsim):
    url = chsim(
        "--seed", "3", "--rate", "200", "--count", "120", "--malformed-every", "10", "--stream", "filings"
    )
    state = wait_until(lambda: (s := httpx.get(f"{url}/_sim/state").json())["filings"]["head"] and s)
    first = state["filings"]["oldest"]
    assert read(url, "filings", first, 1, key="wrong")[0] == 401
    status, lines = read(url, "filings", first, 40)
    events, broken = [], 0
    for line in lines:
        try:
            events.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            broken += 1
    assert status == 200 and broken >= 3
    assert all(e["resource_kind"] == "filing-history" for e in events)
    assert all(is_company_number(e["resource_uri"].split("/")[2]) for e in events)
    timepoints = [e["event"]["timepoint"] for e in events]
    assert timepoints == sorted(timepoints) and timepoints[0] == first


def test_its_fault_switches_answer_the_first_connections(chsim):
    url = chsim("--fail-status", "429", "--fail-status", "503", "--replay", "tests/data/sample-events.ndjson")
    first = httpx.get(f"{url}/_sim/state").json()["filings"]["oldest"]
    assert read(url, "filings", first, 1)[0] == 429
    assert read(url, "filings", first, 1)[0] == 503
    status, lines = read(url, "filings", first, 3)
    assert status == 200 and len(lines) == 3
