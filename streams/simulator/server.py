"""The simulator as an ASGI app: CH's stream endpoints, the REST endpoints backfill needs, and a
control API (/_sim/...) through which tests, benchmarks and the chaos run steer it.

Protocol as CH's streams speak it (README, "The simulator"): HTTP Basic with the stream key as user name,
one JSON event per line, blank heartbeat lines when idle, ?timepoint=N to resume (inclusive),
416 for a timepoint older than kept or beyond the newest, 429 past the per-key connection limit.
Two ways CH has been seen to lose events without an error can be switched on (README's
"Streaming API"): an empty replay (a resume answered from the live head, as CH's published
stream code of 2023 did) and a silent stream (connected and heart-beating, but sending nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import orjson

from streams.events import STREAM_KINDS, kind_allowed
from streams.simulator.control import handle_control
from streams.simulator.feed import Feed
from streams.simulator.http import basic_user, respond
from streams.simulator.rest import handle_rest

log = logging.getLogger(__name__)

# Roughly where CH's own sequences stood in 2025 (filings ~168M, companies ~82M).
BASE_TIMEPOINTS = {
    "filings": 168_000_000,
    "companies": 82_000_000,
    "officers": 41_000_000,
    "persons-with-significant-control": 23_000_000,
    "charges": 9_000_000,
    "insolvency-cases": 2_000_000,
    "company-exemptions": 1_000_000,
    "persons-with-significant-control-statements": 3_000_000,
    "disqualified-officers": 500_000,
}


def default_start(stream: str) -> int:
    """Where a new simulator's sequence starts: later each second, so a restarted simulator
    (whose history is gone, as after a long CH outage) never reuses timepoints. A listener
    resuming from before it gets 416 and records the gap, as it would with CH."""
    return BASE_TIMEPOINTS[stream] + int(time.time()) - 1_735_689_600  # seconds since 2025-01-01


@dataclass
class SimConfig:
    stream_key: str = "simulator-stream-key"
    api_key: str = "simulator-api-key"
    heartbeat: float = 30.0
    retention: int = 1_000_000
    connection_limit: int = 2  # per key and stream
    start_timepoints: dict[str, int] = field(default_factory=dict)
    api_rate_limit: int = 600
    api_rate_window: float = 300.0


@dataclass
class Faults:
    """Pending faults; each applies to the next matching connections or lines, then is used up."""

    statuses: deque = field(default_factory=deque)  # (stream or None, status, retry_after)
    drops: Counter = field(default_factory=Counter)  # stream -> connections to drop mid-line
    stalls: deque = field(default_factory=deque)  # (stream or None, seconds)
    empty_replays: deque = field(default_factory=deque)  # stream or None, one per resume to answer so

    def take_status(self, stream: str) -> tuple[int, float] | None:
        for item in list(self.statuses):
            if item[0] in (None, stream):
                self.statuses.remove(item)
                return item[1], item[2]
        return None

    def take_stall(self, stream: str) -> float:
        for item in list(self.stalls):
            if item[0] in (None, stream):
                self.stalls.remove(item)
                return item[1]
        return 0.0

    def take_empty_replay(self, stream: str) -> bool:
        for item in list(self.empty_replays):
            if item in (None, stream):
                self.empty_replays.remove(item)
                return True
        return False


class Simulator:
    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.feeds = {
            stream: Feed(
                stream,
                self.config.start_timepoints.get(stream, default_start(stream)),
                self.config.retention,
            )
            for stream in STREAM_KINDS
        }
        self.faults = Faults()
        self.connections: Counter = Counter()
        self.connection_log: list[dict] = []
        self.profiles: dict[str, dict] = {}
        self.filings: dict[str, dict[str, dict]] = {}
        # company number -> resource_uri -> the officer or PSC as its stream last carried it
        self.officers: dict[str, dict[str, dict]] = {}
        self.pscs: dict[str, dict[str, dict]] = {}
        self.silenced: set[str] = set()  # streams whose connections send heartbeats only
        self.api_calls: deque = deque()  # when each REST request inside the rate window arrived
        self.api_statuses: Counter = Counter()  # REST responses by status, 429s included
        self.api_failures: list[int] = []  # statuses the next REST requests get (control API)
        self.api_peak = 0  # the most REST requests ever inside one rate window
        self.closing = asyncio.Event()
        self.background: list = []  # producer coroutines started with the app (see chsim)

    def close(self) -> None:
        """End every open stream now: CH's streams never end by themselves, and a stop must not
        wait out the server's graceful timeout and then cancel them mid-response."""
        self.closing.set()
        for feed in self.feeds.values():
            feed.wake()

    # --- adding events ----------------------------------------------------------------------

    def add_event(self, stream: str, envelope: dict) -> int:
        timepoint = self.feeds[stream].append_event(envelope)
        self._remember(envelope)
        return timepoint

    def _remember(self, envelope: dict) -> None:
        """Keep the REST view in step with what the streams said: the latest profile and each
        filing, and each officer and PSC as last carried until a `deleted` event removes it."""
        uri = envelope.get("resource_uri")
        if not isinstance(uri, str):
            return
        if uri.startswith("company/"):  # CH drops the slash at times (streams.events.company_number_of)
            uri = "/" + uri
        if not uri.startswith("/company/"):
            return
        number, kind, data = uri.split("/")[2], envelope.get("resource_kind"), envelope.get("data")
        people = self._people_for(kind) if isinstance(kind, str) else None
        if people is not None:
            listed = people.setdefault(number, {})  # the company is known even once they are all gone
            event = envelope.get("event")
            if isinstance(event, dict) and event.get("type") == "deleted":
                listed.pop(uri, None)  # a deletion may still carry the last state: it is gone all the same
            elif isinstance(data, dict):
                # A copy: the generator's envelopes carry its live records, which change before
                # the stream says so, and this view is what the stream carried.
                data = orjson.loads(orjson.dumps(data))
                links = data.get("links")
                if not isinstance(links, dict):
                    links = data["links"] = {}
                links.setdefault("self", uri)
                listed[uri] = data
        elif not isinstance(data, dict):
            return
        elif kind == "company-profile":
            self.profiles[number] = data
        elif kind == "filing-history" and data.get("transaction_id"):
            self.filings.setdefault(number, {})[data["transaction_id"]] = data

    def _people_for(self, kind: str) -> dict[str, dict[str, dict]] | None:
        if kind_allowed("officers", kind):
            return self.officers
        if kind_allowed("persons-with-significant-control", kind):
            return self.pscs
        return None

    def add_company(
        self,
        profile: dict,
        filings: Iterable[dict] = (),
        officers: Iterable[dict] = (),
        pscs: Iterable[dict] = (),
    ) -> str:
        """Seed the REST view with a company CH knows (as if the streams had said it). Officers
        and PSCs are keyed by their `links.self` (/company/{n}/appointments/{id},
        /company/{n}/persons-with-significant-control/{kind}/{id}), which each must carry: it is
        the resource_uri their stream events name, so a later event replaces the seeded one."""
        number = profile["company_number"]
        people = [(self.officers, item) for item in officers] + [(self.pscs, item) for item in pscs]
        for _, item in people:  # check them all before keeping any
            uri = item["links"]["self"]
            if not isinstance(uri, str) or not uri.startswith(f"/company/{number}/"):
                raise ValueError(f"links.self {uri!r} is not a resource of company {number}")
        self.profiles[number] = profile
        for item in filings:
            self.filings.setdefault(number, {})[item["transaction_id"]] = item
        self.officers.setdefault(number, {})
        self.pscs.setdefault(number, {})
        for listed, item in people:
            listed[number][item["links"]["self"]] = item
        return number

    def silence(self, stream: str, on: bool) -> None:
        """Make a stream's connections send heartbeats only (on) or go on sending (off). Events
        added meanwhile join the feed as usual; an open connection sends them once it is off."""
        if on:
            self.silenced.add(stream)
        else:
            self.silenced.discard(stream)
        self.feeds[stream].wake()  # a waiting connection sees the change now, not a heartbeat later

    def add_lines(self, stream: str, body: bytes) -> list[int | None]:
        """NDJSON from the control API: envelopes get timepoints; anything else is sent as is."""
        added: list[int | None] = []
        for line in body.split(b"\n"):
            if not line.strip():
                continue
            try:
                envelope = orjson.loads(line)
            except orjson.JSONDecodeError:
                envelope = None
            if isinstance(envelope, dict) and isinstance(envelope.get("event", {}), dict):
                added.append(self.add_event(stream, envelope))
            else:
                self.feeds[stream].append_raw(line)
                added.append(None)
        return added

    def stream_for(self, envelope: dict) -> str | None:
        kind = envelope.get("resource_kind")
        if not isinstance(kind, str):
            return None
        return next((s for s in STREAM_KINDS if kind_allowed(s, kind)), None)

    # --- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        if path.startswith("/_sim/"):
            await handle_control(self, scope, path, query, receive, send)
        elif path.lstrip("/") in self.feeds and scope["method"] == "GET":
            await self._stream(scope, path.lstrip("/"), query, receive, send)
        elif path.startswith("/company/") and scope["method"] == "GET":
            await handle_rest(self, scope, path, query, send)
        else:
            await respond(send, 404, {"error": "Not Found"})

    async def _lifespan(self, receive, send) -> None:
        tasks = []
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                tasks = [asyncio.ensure_future(coro) for coro in self.background]
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.closing.set()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _stream(self, scope, stream: str, query: dict, receive, send) -> None:
        key = basic_user(scope)
        timepoint_arg = query.get("timepoint")
        entry = {"stream": stream, "timepoint": timepoint_arg, "at": time.time()}
        self.connection_log.append(entry)
        if key != self.config.stream_key:
            entry["status"] = 401
            await respond(send, 401, {"error": "Invalid Authorization"})
            return
        fault = self.faults.take_status(stream)
        if fault:
            entry["status"] = fault[0]
            headers = [(b"retry-after", str(int(fault[1])).encode())] if fault[0] == 429 else []
            await respond(send, fault[0], {"error": f"simulated {fault[0]}"}, headers)
            return
        if self.connections[(key, stream)] >= self.config.connection_limit:
            entry["status"] = 429
            await respond(
                send, 429, {"error": "Too many connections for this key"}, [(b"retry-after", b"60")]
            )
            return
        feed = self.feeds[stream]
        try:
            timepoint = int(timepoint_arg) if timepoint_arg is not None else None
        except ValueError:
            timepoint = -1
        if timepoint_arg is not None and self.faults.take_empty_replay(stream):
            # Even a timepoint too old or invalid gets 200 here: CH's 2023 code sent no 416 either.
            entry["empty_replay"] = True
            timepoint = None
        elif timepoint is not None and not feed.valid_start(timepoint):
            entry["status"] = 416
            await respond(send, 416, {"error": "Requested Range Not Satisfiable"})
            return
        entry["status"] = 200
        entry["starts_at"] = feed.head + 1 if timepoint is None else timepoint
        self.connections[(key, stream)] += 1
        try:
            await self._serve(feed, feed.position_for(timepoint), receive, send)
        finally:
            self.connections[(key, stream)] -= 1

    async def _serve(self, feed: Feed, position: int, receive, send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        gone = asyncio.ensure_future(_wait_disconnect(receive))
        clock = asyncio.get_running_loop().time
        last_sent = clock()
        try:
            while not gone.done() and not self.closing.is_set():
                stall = self.faults.take_stall(feed.stream)
                if stall:
                    await asyncio.sleep(stall)  # no bytes at all, not even heartbeats
                    continue
                if feed.stream in self.silenced:
                    # Heartbeats on their own clock: events arriving meanwhile wake this loop, and
                    # must not put the next blank line off. `position` stays where it stopped.
                    wait = last_sent + self.config.heartbeat - clock()
                    if wait > 0:
                        await feed.wait_for_more(wait)
                    else:
                        await send({"type": "http.response.body", "body": b"\n", "more_body": True})
                        last_sent = clock()
                    continue
                lines, keys, next_position = feed.read(position)
                if lines and self.faults.drops[feed.stream] > 0:
                    self.faults.drops[feed.stream] -= 1
                    first = lines[0]
                    await send(
                        {
                            "type": "http.response.body",
                            "body": first[: max(1, len(first) // 2)],
                            "more_body": True,
                        }
                    )
                    return  # ends the response without its last message: the connection drops
                if lines:
                    await send({"type": "http.response.body", "body": b"".join(lines), "more_body": True})
                    feed.sent.update(keys)
                    position = next_position
                    last_sent = clock()
                elif not await feed.wait_for_more(self.config.heartbeat):
                    await send({"type": "http.response.body", "body": b"\n", "more_body": True})
                    last_sent = clock()
            if not gone.done():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()


async def _wait_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
