"""`make run` the first time, as a newcomer meets it: a copy of the tree with an empty var/, no
Redis answering at REDIS_URL (or the machine's, the second time), the same entry point the
Makefile runs (bin/run; the existing .venv is reused so nothing is reinstalled). It must print the
URL and the logins, let the demo user log in and see a notification arrive live over the feed's
WebSocket, run the demo list's backfill, and stop on SIGINT (or SIGTERM) with every process
exiting 0 and no traceback anywhere in the output."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import orjson
import pytest
import redis
import websockets

from tests.streamkit import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
PROCESSES = ("web", "worker", "scheduler", "streams", "chsim")
DEMO_NUMBERS = ("12345678", "00445566", "SC123456")  # three of the demo list's companies
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "var", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "node_modules"
)


@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    tree = tmp_path / "clientwatch"
    shutil.copytree(ROOT, tree, ignore=IGNORED, symlinks=True)
    (tree / ".venv").symlink_to(ROOT / ".venv")
    (tree / ".env").unlink(missing_ok=True)
    return tree


def newcomer_env(**extra: str) -> dict[str, str]:
    """A shell's environment, not the test run's: no settings module, database or test Redis."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        WEB_PORT=str(free_port()),
        CHSIM_PORT=str(free_port()),
        EMBEDDED_REDIS_PORT=str(free_port()),
        CHSIM_RATE="0.2",
        **extra,
    )
    return env


class Run:
    def __init__(self, tree: Path, env: dict[str, str]):
        self.tree, self.env = tree, env
        self.log = tree / "make-run.log"
        self.process = subprocess.Popen(
            ["bin/run"],
            cwd=tree,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal gives a command
        )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['WEB_PORT']}"

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"bin/run exited early:\n{self.output[-4000:]}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{self.output[-4000:]}"
            time.sleep(0.25)

    def stop(self, signum: int) -> int:
        os.killpg(self.process.pid, signum)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)


def log_in_as_demo(run: Run) -> tuple[httpx.Client, int]:
    client = httpx.Client(base_url=run.url, timeout=10)
    client.get("/accounts/login/")
    answer = client.post(
        "/accounts/login/",
        data={"username": "demo", "password": "demo", "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{run.url}/accounts/login/"},
    )
    assert answer.status_code == 302, answer.text[:500]
    feed = client.get("/feed/")
    assert feed.status_code == 302
    organisation_id = int(re.search(r"/feed/(\d+)/", feed.headers["location"]).group(1))
    return client, organisation_id


def a_filing_for(number: str) -> bytes:
    """A filing about a demo company, for the simulator to send on its filings stream now."""
    envelope = {
        "resource_kind": "filing-history",
        "resource_uri": f"/company/{number}/filing-history/TESTMAKERUN{number}",
        "resource_id": f"TESTMAKERUN{number}",
        "data": {
            "transaction_id": f"TESTMAKERUN{number}",
            "category": "accounts",
            "type": "AA",
            "description": "accounts-with-accounts-type-micro-entity",
            "description_values": {"made_up_date": "2026-03-31"},
            "date": "2026-11-30",
            "links": {"self": f"/company/{number}/filing-history/TESTMAKERUN{number}"},
        },
        "event": {"type": "changed", "published_at": "2026-11-30T10:00:00"},
    }
    return orjson.dumps(envelope) + b"\n"


async def a_live_push(run: Run, client: httpx.Client, organisation_id: int) -> dict:
    """Open the feed's WebSocket as the browser does, have CH publish a filing, and return the
    push the socket receives."""
    ws_url = f"ws://127.0.0.1:{run.env['WEB_PORT']}/ws/feed/{organisation_id}/"
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    async with websockets.connect(ws_url, additional_headers={"Cookie": cookie, "Origin": run.url}) as socket:
        await asyncio.sleep(0.5)  # subscribed to the practice's group
        sim = f"http://127.0.0.1:{run.env['CHSIM_PORT']}/_sim/streams/filings/events"
        async with httpx.AsyncClient() as http:
            (await http.post(sim, content=a_filing_for("12345678"))).raise_for_status()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            if message.get("type") != "ping":
                return message
    raise AssertionError("no push on the feed's WebSocket within 30 s")


def backfilled(tree: Path) -> set[str]:
    with sqlite3.connect(tree / "var" / "db.sqlite3") as db:
        rows = db.execute("SELECT company_number FROM notifications_company WHERE backfilled_at IS NOT NULL")
        return {number for (number,) in rows}


def assert_stopped_cleanly(run: Run, code: int) -> None:
    output = run.output
    assert code == 0, output[-4000:]
    assert "Traceback" not in output, output[output.index("Traceback") - 2000 :][:5000]
    # No line a newcomer cannot act on: uvicorn's lifespan notice, crontab's FutureWarning.
    assert "lifespan" not in output and "FutureWarning" not in output
    for name in PROCESSES:
        assert re.search(rf"\| {name} stopped \(rc=0\)", output), f"{name} did not exit 0:\n{output[-3000:]}"


def exercise(run: Run) -> None:
    run.wait_for("Client Watch is starting at", timeout=120)  # printed before the processes start
    run.wait_for("Client Watch is up at", timeout=120)  # and again once all of them answer
    assert "demo / demo" in run.output.split("Client Watch is up at")[-1]
    client, organisation_id = log_in_as_demo(run)

    push = asyncio.run(a_live_push(run, client, organisation_id))

    assert push["ids"], push
    items = client.get(f"/feed/{organisation_id}/api/", params={"after": 0}).json()["items"]
    assert any(item["id"] in push["ids"] and item["company_number"] == "12345678" for item in items), items
    deadline = time.monotonic() + 30
    while not set(DEMO_NUMBERS) <= backfilled(run.tree):  # the demo list's backfill ran
        assert time.monotonic() < deadline, f"not backfilled: {set(DEMO_NUMBERS) - backfilled(run.tree)}"
        time.sleep(0.5)


def test_make_run_works_the_first_time_without_redis_and_stops_cleanly_on_ctrl_c(fresh_clone):
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    run = Run(fresh_clone, newcomer_env(REDIS_URL=nothing_there))
    try:
        exercise(run)
        assert "starting an embedded Redis" in run.output
    finally:
        code = run.stop(signal.SIGINT)

    assert_stopped_cleanly(run, code)
    tail = run.output[run.output.index("SIGINT received") :]
    last_process = max(tail.index(f"| {name} stopped") for name in PROCESSES)
    assert tail.index("embedded redis stopped (rc=0)") > last_process  # Redis stops last


def test_make_run_uses_a_redis_that_answers_and_stops_cleanly_on_sigterm(fresh_clone, settings):
    db = int(os.environ.get("MAKE_RUN_REDIS_DB", "9"))
    url = f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{db}"  # the machine's Redis, a database of our own
    redis.Redis.from_url(url).flushdb()
    run = Run(fresh_clone, newcomer_env(REDIS_URL=url))
    try:
        exercise(run)
        assert f"Using Redis at {url}" in run.output
    finally:
        code = run.stop(signal.SIGTERM)
        redis.Redis.from_url(url).flushdb()

    assert_stopped_cleanly(run, code)
