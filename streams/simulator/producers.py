"""What puts events into the simulator's streams: the seeded generator, or an NDJSON replay."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import orjson

from .feed import now_published_at
from .server import Simulator

log = logging.getLogger(__name__)

MALFORMED_LINE = b'{"resource_kind": "filing-history", "resource_uri": "/company/0987'


async def generate(
    sim: Simulator,
    generator,
    streams: list[str],
    *,
    rate: float,
    count: int = 0,
    malformed_every: int = 0,
    mixed: bool = False,
) -> None:
    """Generate events until `count` in all (0: for ever); every `malformed_every`-th line is a
    broken one. `mixed`: `rate` events a second in all, each on a stream chosen in CH's
    proportions (Generator.next_mixed); otherwise `rate` a second on each stream in turn. A rate
    of 0 is as fast as possible."""
    if mixed:
        produced = await _generate_mixed(sim, generator, streams, rate, count, malformed_every)
    else:
        produced = await _generate_each(sim, generator, streams, rate, count, malformed_every)
    log.info("chsim: generated %d events; now only heartbeats", produced)


def _add(sim: Simulator, stream: str, event: dict, produced: int, malformed_every: int) -> None:
    sim.add_event(stream, event)
    if malformed_every and produced % malformed_every == 0:
        sim.feeds[stream].append_raw(MALFORMED_LINE)


async def _generate_each(sim, generator, streams, rate: float, count: int, malformed_every: int) -> int:
    produced = 0
    pause = 1.0 / rate if rate > 0 else 0.0
    while not count or produced < count:
        for stream in streams:
            produced += 1
            _add(sim, stream, generator.next_event(stream, now_published_at()), produced, malformed_every)
        await asyncio.sleep(pause)  # also yields to the connections when rate is 0
    return produced


async def _generate_mixed(sim, generator, streams, rate: float, count: int, malformed_every: int) -> int:
    loop = asyncio.get_running_loop()
    started, produced = loop.time(), 0
    while not count or produced < count:
        produced += 1
        stream, event = generator.next_mixed(now_published_at(), streams)
        _add(sim, stream, event, produced, malformed_every)
        if rate > 0:  # on a schedule, so the time spent generating does not slow the rate
            await asyncio.sleep(max(0.0, started + produced / rate - loop.time()))
        elif produced % len(streams) == 0:
            await asyncio.sleep(0)  # yield to the connections now and then
    return produced


def read_replay(sim: Simulator, path: Path) -> list[tuple[str, dict | bytes]]:
    """Lines of an NDJSON file with the stream each belongs on (by resource_kind)."""
    items: list[tuple[str, dict | bytes]] = []
    last_stream = "filings"
    with path.open("rb") as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            try:
                envelope = orjson.loads(line)
            except orjson.JSONDecodeError:
                items.append((last_stream, line))
                continue
            stream = sim.stream_for(envelope) if isinstance(envelope, dict) else None
            if stream is None:
                items.append((last_stream, line))
            else:
                last_stream = stream
                items.append((stream, envelope))
    return items


def add_replayed(sim: Simulator, item: tuple[str, dict | bytes]) -> None:
    stream, content = item
    if isinstance(content, dict):
        content.setdefault("event", {})["published_at"] = now_published_at()
        content["event"].pop("timepoint", None)  # this simulator's own sequence
        sim.add_event(stream, content)
    else:
        sim.feeds[stream].append_raw(content)


async def replay(sim: Simulator, items: list[tuple[str, dict | bytes]], *, rate: float, loop: bool) -> None:
    while True:
        for item in items:
            add_replayed(sim, orjson.loads(orjson.dumps(item[1])) if isinstance(item[1], dict) else item)
            await asyncio.sleep(1.0 / rate if rate > 0 else 0)
        if not loop:
            return
