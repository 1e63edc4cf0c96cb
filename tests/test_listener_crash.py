"""Guarantees 1 and 2 under a hard crash: SIGKILL the listener mid-stream, twice, restart it, and
every matched fact the simulator sent is stored exactly once."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from notifications.practices.client_csv import ClientRow
from notifications.practices.client_lists import import_rows
from streams.events import data_hash
from streams.models import Event, StreamState
from streams.simulator.generator import Generator
from streams.simulator.producers import generate
from streams.simulator.server import SimConfig
from tests.streamkit import STREAM_KEY, SimServer, checkpoint, process_env, wait_until

ROOT = Path(__file__).resolve().parent.parent
STREAMS = ("filings", "companies")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def busy_sim():
    """A simulator generating ~4,000 events over a few seconds, 1 in 10 for 150 watched companies."""
    watched = [f"{n:08d}" for n in range(10_000_001, 10_000_151)]
    server = SimServer(SimConfig(stream_key=STREAM_KEY, heartbeat=0.2))
    generator = Generator(seed=42, companies=3_000, watched=watched, watched_share=0.1)
    server.sim.background.append(generate(server.sim, generator, list(STREAMS), rate=400, count=4_000))
    server.watched = watched
    yield server.start()
    server.stop()


def start(sim) -> subprocess.Popen:
    args = [a for s in STREAMS for a in ("--stream", s)]
    return subprocess.Popen(
        [sys.executable, "manage.py", "runstreams", *args],
        cwd=ROOT,
        env=process_env(sim, LOG_LEVEL="WARNING"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def expected_facts(sim, stream: str, watched: set[str]) -> set[tuple[str, str | None]]:
    """What should be stored, worked out from the simulator's own record of the stream: a filing
    once per transaction (and its removal once more); anything else once per version of its
    resource, a deletion being a version of its own (a re-send of any earlier version, or a change
    of the etag alone, is no fact)."""
    facts: set[tuple] = set()
    latest: dict[str, tuple] = {}
    for envelope in sim.events(stream):
        number = envelope["resource_uri"].split("/")[2]
        if number not in watched:
            continue
        deleted = envelope["event"].get("type") == "deleted"
        if stream == "filings":
            facts.add((envelope["resource_uri"], "deleted" if deleted else None))
            continue
        version = (envelope["resource_uri"], _version(envelope["data"]), deleted)
        content = (data_hash(envelope["data"]), deleted)
        if version not in facts and latest.get(envelope["resource_uri"]) != content:
            facts.add(version)
            latest[envelope["resource_uri"]] = content
    return facts


def _version(data: dict) -> str:
    return hashlib.sha1(orjson.dumps(data, option=orjson.OPT_SORT_KEYS), usedforsecurity=False).hexdigest()


def test_sigkill_mid_stream_then_restart_stores_every_matched_event_exactly_once(busy_sim):
    sim = busy_sim
    client_list = _watch(sim.watched)
    for stream in STREAMS:  # read each stream from its beginning
        StreamState.objects.create(stream=stream, timepoint=sim.sim.feeds[stream].first_timepoint)

    for kill_after in (20, 60):  # two hard crashes, each after more events are stored
        process = start(sim)
        wait_until(lambda n=kill_after: Event.objects.count() >= n, timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    process = start(sim)
    try:
        heads = wait_until(lambda: _generated_all(sim), timeout=60)
        wait_until(lambda: all(checkpoint(s) == heads[s] for s in STREAMS), timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)

    watched = set(sim.watched)
    for stream in STREAMS:
        expected = expected_facts(sim, stream, watched)
        assert len(expected) > 20, "the test needs enough matched events to mean something"
        stored = Event.objects.filter(stream=stream)
        if stream == "filings":
            found = [(e.resource_uri, "deleted" if e.event_type == "deleted" else None) for e in stored]
        else:
            found = [(e.resource_uri, _version(e.data), e.event_type == "deleted") for e in stored]
        assert sorted(found, key=str) == sorted(expected, key=str)  # every one, once each
        sent = set(sim.sent(stream))
        assert all(tp in sent for tp in stored.values_list("timepoint", flat=True))
    assert client_list.entries.count() == len(sim.watched)


def _watch(numbers: list[str]):
    from notifications.models import ClientList, Organisation

    organisation = Organisation.objects.create(name="Crash Test Practice")
    client_list = ClientList.objects.create(organisation=organisation, name="Everyone")
    import_rows(client_list, [ClientRow(i, n) for i, n in enumerate(numbers, 1)], added_by=None)
    return client_list


def _generated_all(sim) -> dict[str, int] | None:
    state = sim.http.get("/_sim/state").json()
    heads = {s: state[s]["head"] for s in STREAMS}
    total = sum(heads[s] - sim.sim.feeds[s].first_timepoint + 1 for s in STREAMS)
    return heads if total >= 4_000 else None
