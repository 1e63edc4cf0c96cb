"""The simulator's control API, for tests, benchmarks and the chaos run (loopback only).

POST /_sim/streams/{stream}/events   NDJSON body: envelopes are given timepoints; other lines
                                     are sent as they are (malformed input on purpose)
GET  /_sim/streams/{stream}/events   ?from=N: the events the stream holds
GET  /_sim/streams/{stream}/sent     timepoints sent at least once, on any connection
POST /_sim/faults                    {"status": 401|416|429|503, "times": n, "retry_after": s}
                                     {"status": "empty_replay", "times": n}: the next n resumes
                                     (?timepoint=N) are answered 200 from the live head, skipping
                                     N onwards without an error (connections without a timepoint
                                     leave it waiting)
                                     {"drop_mid_line": n}  {"stall_seconds": s, "times": n}
                                     each with an optional "stream"
POST /_sim/silence                   {"stream": "filings", "on": true|false} (no "stream": every
                                     stream): while on, its connections send heartbeat blank lines
                                     only; events added meanwhile are kept (REST knows them) and
                                     an open connection sends them once it is off.
                                     Answers {"silenced": [streams]}
GET  /_sim/silence                   {"silenced": [streams]}
GET  /_sim/connections               every connection attempt: stream, timepoint, status, and
                                     for 200 "starts_at" (the first timepoint it can send) and
                                     "empty_replay": true when that fault answered it
GET  /_sim/state                     newest and oldest timepoint per stream
POST /_sim/companies                 {"companies": [{"profile": {...}, "filings": [...],
                                     "officers": [...], "pscs": [...]}]}: what the REST endpoints
                                     answer for those companies (each officer and PSC needs its
                                     links.self, /company/{n}/...)
GET  /_sim/api                       REST requests answered, by status ({"statuses": {"429": n}}),
                                     and the most ever inside one rate window ("peak")
POST /_sim/api                       {"rate_limit": n, "rate_window": s}: change the REST rate
                                     limit (the window of past requests is kept);
                                     {"fail_status": 500|502|503, "fail_times": n}: the next n
                                     REST requests get that status, as CH's gateway gives it
"""

from __future__ import annotations

import orjson

from streams.simulator.http import respond


async def read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def handle_control(sim, scope, path: str, query: dict, receive, send) -> None:
    parts = path.split("/")[2:]  # after "/_sim/"
    method = scope["method"]
    if parts[:1] == ["streams"] and len(parts) == 3 and parts[1] in sim.feeds:
        feed = sim.feeds[parts[1]]
        if parts[2] == "events" and method == "POST":
            await respond(send, 200, {"timepoints": sim.add_lines(parts[1], await read_body(receive))})
        elif parts[2] == "events":
            events = [e for e in feed.events(int(query.get("from", 0))) if "timepoint" in e.get("event", {})]
            await respond(send, 200, {"events": events})
        elif parts[2] == "sent":
            await respond(send, 200, {"timepoints": sorted(feed.sent)})
        else:
            await respond(send, 404, {"error": "unknown"})
    elif parts == ["faults"] and method == "POST":
        try:
            spec = orjson.loads(await read_body(receive))
            add_fault(sim, spec)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            await respond(send, 400, {"error": str(exc)})
            return
        await respond(send, 200, {"ok": True})
    elif parts == ["companies"] and method == "POST":
        try:
            spec = orjson.loads(await read_body(receive))
            added = [
                sim.add_company(c["profile"], c.get("filings", []), c.get("officers", []), c.get("pscs", []))
                for c in spec["companies"]
            ]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            await respond(send, 400, {"error": f"bad companies: {exc}"})
            return
        await respond(send, 200, {"added": len(added)})
    elif parts == ["silence"] and method == "POST":
        try:
            set_silence(sim, orjson.loads(await read_body(receive)))
        except (orjson.JSONDecodeError, AttributeError, ValueError) as exc:
            await respond(send, 400, {"error": str(exc)})
            return
        await respond(send, 200, {"silenced": sorted(sim.silenced)})
    elif parts == ["silence"]:
        await respond(send, 200, {"silenced": sorted(sim.silenced)})
    elif parts == ["api"] and method == "POST":
        try:
            spec = orjson.loads(await read_body(receive))
            limit = int(spec.get("rate_limit", sim.config.api_rate_limit))
            window = float(spec.get("rate_window", sim.config.api_rate_window))
            if limit < 1 or window <= 0:
                raise ValueError("rate_limit must be at least 1 and rate_window above 0")
            fail = int(spec.get("fail_status", 503)), int(spec.get("fail_times", 0))
            if fail[0] not in (500, 502, 503) or fail[1] < 0:
                raise ValueError("fail_status must be 500, 502 or 503 and fail_times at least 0")
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            await respond(send, 400, {"error": str(exc)})
            return
        sim.config.api_rate_limit, sim.config.api_rate_window = limit, window
        if fail[1]:
            sim.api_failures = [fail[0]] * fail[1]
        await respond(send, 200, {"rate_limit": limit, "rate_window": window})
    elif parts == ["api"]:
        statuses = {str(status): count for status, count in sorted(sim.api_statuses.items())}
        requests = sum(sim.api_statuses.values())
        await respond(send, 200, {"requests": requests, "statuses": statuses, "peak": sim.api_peak})
    elif parts == ["connections"]:
        await respond(send, 200, {"connections": sim.connection_log})
    elif parts == ["state"]:
        await respond(
            send, 200, {s: {"head": f.head, "oldest": f.oldest_timepoint} for s, f in sim.feeds.items()}
        )
    else:
        await respond(send, 404, {"error": "unknown control path"})


def add_fault(sim, spec: dict) -> None:
    stream = spec.get("stream")
    if stream is not None and stream not in sim.feeds:
        raise ValueError(f"unknown stream {stream!r}")
    times = int(spec.get("times", 1))
    if spec.get("status") == "empty_replay":
        for _ in range(times):
            sim.faults.empty_replays.append(stream)
    elif "status" in spec:
        status = int(spec["status"])
        if status not in (401, 404, 416, 429, 500, 503, 504):
            raise ValueError(f"status {status} is not a fault the simulator sends")
        for _ in range(times):
            sim.faults.statuses.append((stream, status, float(spec.get("retry_after", 60))))
    elif "drop_mid_line" in spec:
        for name in [stream] if stream else list(sim.feeds):
            sim.faults.drops[name] += int(spec["drop_mid_line"])
    elif "stall_seconds" in spec:
        for _ in range(times):
            sim.faults.stalls.append((stream, float(spec["stall_seconds"])))
    else:
        raise ValueError("a fault needs status, drop_mid_line or stall_seconds")


def set_silence(sim, spec: dict) -> None:
    stream, on = spec.get("stream"), spec.get("on")
    if stream is not None and stream not in sim.feeds:
        raise ValueError(f"unknown stream {stream!r}")
    if not isinstance(on, bool):  # the string "false" would otherwise read as true
        raise ValueError(f'"on" must be true or false, not {on!r}')
    for name in [stream] if stream else list(sim.feeds):
        sim.silence(name, on)
