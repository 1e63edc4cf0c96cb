"""chsim --replay: CH's sample events served on the streams they belong to."""

from __future__ import annotations

from pathlib import Path

import orjson

from streams.simulator.producers import add_replayed, read_replay
from streams.simulator.server import SimConfig, Simulator

# CH's sample events (tests/data/sample-events.ndjson): CH's envelope and field names, invented values.
SAMPLES = Path(__file__).resolve().parent / "data" / "sample-events.ndjson"


def test_replayed_events_go_to_their_streams_with_fresh_timepoints_and_broken_lines_stay(tmp_path):
    source = tmp_path / "events.ndjson"
    lines = [line for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    source.write_bytes(b"\n".join([*lines, b'{"broken": ']) + b"\n")
    sim = Simulator(SimConfig(start_timepoints={"filings": 500, "companies": 900}))
    items = read_replay(sim, source)
    for item in items:
        add_replayed(sim, item)
    kinds = {s: {e["resource_kind"] for e in sim.feeds[s].events()} for s in sim.feeds}
    assert kinds["filings"] == {"filing-history"}
    assert kinds["companies"] == {"company-profile"}
    assert kinds["officers"] == {"company-officers"}
    filings = sim.feeds["filings"].events()
    assert [e["event"]["timepoint"] for e in filings] == list(range(500, 500 + len(filings)))
    assert sum(len(f.events()) for f in sim.feeds.values()) == len(lines)
    assert any(line.startswith(b'{"broken"') for feed in sim.feeds.values() for line in feed.lines)
    assert orjson.loads(sim.feeds["companies"].lines[0])["event"]["published_at"]  # stamped "now"
