"""Benchmark: latency from the CH simulator emitting a filing to 100 connected WebSocket clients
receiving the live push (p50, p99, max), beside a bare channel-layer `group_send` to the same 100
sockets measured in the same run, and where the end-to-end time goes.

Run by hand (not part of make test), on a machine with PostgreSQL and Redis:

    .venv/bin/python bench/websocket_latency.py [--clients 100] [--events 30] [--runs 3]

It creates (and afterwards drops) its own database `clientwatch_bench_ws` next to DATABASE_URL's:
one organisation with one client list watching one company, `--clients` members with a session
each. It uses Redis database 15 (flushed before and after) and channel prefix `bench-ws`, and
starts the real processes, as deployed: `manage.py chsim` (filings only), `manage.py runstreams
--stream filings`, one `manage.py rqworker default --worker-class rq.worker.SimpleWorker` (RQ's
default worker forks per job, about 20 ms, which would be timed too) and uvicorn serving
project.asgi. Every member opens the feed's socket (`/ws/feed/<org>/`) from this process.

Each run, interleaved: `--events` filings for the watched company POSTed one at a time to the
simulator's control API, the clock read just before the POST, each received by every socket as
`{"type": "new"}` before the next (then a pause, `--gap`, so the listener sees the stream go
quiet and commits at once, as it does in production); then `--events` bare `group_send`s from
this process, with the same channel layer settings, to the same group; then `--events` calls of
`notifications.feed.live.push_new` from a thread with no event loop, as the RQ worker makes them
(async_to_sync: a new loop, layer and Redis connection each time). Latency is counted per
(socket, event) pair. The breakdown of end to end uses the timestamps the system writes anyway
(`streams_event.received_at` and `fanned_out_at`, RQ's job `enqueued_at` and `started_at`), so
nothing polls the database while it is being timed, and a bare reader of the filings stream in
this process, beside the listener, for when each line reaches a stream client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "clientwatch_bench_ws"
REDIS_DB = 15
CHANNEL_PREFIX = "bench-ws"
KEY = "bench-ws-stream-key"
COMPANY = "09876543"
WARM_UP = 3  # events (and group_sends) before the first run, not counted: imports, connections


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    return urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE}"))


def bench_redis_url() -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


def admin_connect():
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test"))
    return psycopg.connect(urlunsplit(base._replace(path="/postgres")), autocommit=True)


def settings_env() -> dict[str, str]:
    """What every process (this one included, for the setup and the bare channel layer) runs with."""
    return {
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEBUG": "false",  # as deployed: DEBUG keeps every query in memory
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": bench_redis_url(),
        "CHANNEL_PREFIX": CHANNEL_PREFIX,
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flush_redis() -> None:
    with redis.Redis.from_url(bench_redis_url()) as conn:
        conn.flushdb()


# --- setup -------------------------------------------------------------------------------------


def setup_database(clients: int) -> tuple[int, list[str]]:
    """The database, one organisation watching COMPANY, `clients` members: (org id, session keys)."""
    with admin_connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env={**os.environ, **settings_env()},
        check=True,
    )
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connections

    from notifications.models import ClientList, ClientListEntry, Membership, Organisation
    from streams.models import Company

    org = Organisation.objects.create(name="Bench Practice")
    client_list = ClientList.objects.create(organisation=org, name="Clients")
    Company.objects.create(company_number=COMPANY, name="Green Leaf Cafe Ltd")
    ClientListEntry.objects.create(client_list=client_list, company_id=COMPANY, client_reference="GRE005")
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"bench{i:03d}", email=f"bench{i:03d}@example.com", password=make_password(None))
        for i in range(clients)
    )
    users = list(User.objects.order_by("id"))
    Membership.objects.bulk_create(Membership(organisation=org, user=user) for user in users)
    keys = []
    for user in users:  # what django.contrib.auth.login leaves in a session
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    connections.close_all()
    return org.id, keys


class Processes:
    """The system's processes, each in a session of its own, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**os.environ, **settings_env(), **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    def check(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}): {self.tail(name)}")

    def tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def wait_for(check, what: str, processes: Processes, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        try:
            value = check()
        except (httpx.HTTPError, redis.RedisError):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def start_system(processes: Processes, sim_port: int, web_port: int) -> None:
    sim_url = f"http://127.0.0.1:{sim_port}"
    processes.start(
        "chsim",
        "manage.py",
        "chsim",
        "--port",
        str(sim_port),
        "--key",
        KEY,
        "--stream",
        "filings",
        "--connection-limit",
        "4",  # the listener and this process's bare stream reader
    )
    wait_for(lambda: httpx.get(f"{sim_url}/_sim/state", timeout=2).is_success, "chsim", processes)
    processes.start(
        "runstreams",
        "manage.py",
        "runstreams",
        "--stream",
        "filings",
        CH_STREAM_URL=sim_url,
        CH_STREAM_KEY=KEY,
    )
    processes.start(
        "rqworker", "manage.py", "rqworker", "default", "--worker-class", "rq.worker.SimpleWorker"
    )
    processes.start(
        "uvicorn",
        "-m",
        "uvicorn",
        "project.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(web_port),
        "--log-level",
        "warning",
        "--no-access-log",
    )

    def listener_connected() -> bool:
        log = httpx.get(f"{sim_url}/_sim/connections", timeout=2).json()["connections"]
        return any(c["stream"] == "filings" and c.get("status") == 200 for c in log)

    def worker_up() -> bool:
        from rq import Worker

        with redis.Redis.from_url(bench_redis_url()) as conn:
            return bool(Worker.all(connection=conn))

    wait_for(listener_connected, "runstreams to connect to the simulator", processes)
    wait_for(worker_up, "the RQ worker", processes)
    wait_for(
        lambda: httpx.get(f"http://127.0.0.1:{web_port}/accounts/login/", timeout=2).status_code == 200,
        "uvicorn",
        processes,
    )


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Round:
    """One event (or one group_send): when it left, when each socket had it."""

    sent: float = 0.0
    received: dict[int, float] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    tid: str = ""

    def latencies_ms(self) -> list[float]:
        return [(t - self.sent) * 1000 for t in self.received.values()]


class Sockets:
    def __init__(self, count: int) -> None:
        self.count = count
        self.current: Round | None = None
        self.stray = 0  # messages outside any round (late, or twice): should stay 0

    async def read(self, index: int, ws) -> None:
        async for raw in ws:
            now = time.time()
            if orjson.loads(raw).get("type") != "new":
                continue
            current = self.current
            if current is None or index in current.received:
                self.stray += 1
                continue
            current.received[index] = now
            if len(current.received) == self.count:
                current.done.set()

    async def round(self, send, timeout: float = 15.0) -> Round:
        current = self.current = Round()
        current.sent = time.time()
        current.tid = await send()
        with contextlib.suppress(TimeoutError):  # what did not arrive is counted as missing
            await asyncio.wait_for(current.done.wait(), timeout)
        self.current = None
        return current


def filing_line(tid: str) -> bytes:
    uri = f"/company/{COMPANY}/filing-history/{tid}"
    return orjson.dumps(
        {
            "resource_kind": "filing-history",
            "resource_uri": uri,
            "resource_id": tid,
            "data": {
                "transaction_id": tid,
                "category": "accounts",
                "type": "AA",
                "description": "accounts-with-accounts-type-micro-entity",
                "description_values": {"made_up_date": "2024-06-30"},
                "date": "2025-03-14",
                "links": {"self": uri},
            },
            "event": {"type": "changed", "published_at": "2025-03-14T10:22:07"},
        }
    )


@dataclass
class Results:
    end_to_end: list[list[Round]] = field(default_factory=list)  # per run
    bare: list[list[Round]] = field(default_factory=list)
    push_new: list[list[Round]] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)  # per event, ms
    stray: int = 0


async def measure(args, org_id: int, keys: list[str], sim_port: int, web_port: int) -> Results:
    import websockets
    from channels.layers import get_channel_layer

    from notifications.feed import live
    from notifications.feed.live import group_name

    sockets = Sockets(len(keys))
    origin = f"http://127.0.0.1:{web_port}"
    uri = f"ws://127.0.0.1:{web_port}/ws/feed/{org_id}/"

    async def connect(key: str):
        return await websockets.connect(
            uri, origin=origin, additional_headers=[("Cookie", f"sessionid={key}")], open_timeout=30
        )

    connections = []
    for start in range(0, len(keys), 20):  # 20 at a time: each one asks the database
        connections += await asyncio.gather(*(connect(k) for k in keys[start : start + 20]))
    readers = [asyncio.ensure_future(sockets.read(i, ws)) for i, ws in enumerate(connections)]
    seen_on_stream: dict[str, float] = {}
    readers.append(asyncio.ensure_future(read_stream(sim_port, seen_on_stream)))
    layer = get_channel_layer()
    group = group_name(org_id)
    results = Results()
    serial = iter(range(1_000_000))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sim_port}", timeout=10) as http:

            async def emit() -> str:
                tid = f"BENCHWS{next(serial):06d}"
                response = await http.post("/_sim/streams/filings/events", content=filing_line(tid))
                response.raise_for_status()
                return tid

            async def bare_send() -> str:
                await layer.group_send(group, {"type": "notifications.new", "ids": [0]})
                return ""

            async def worker_push() -> str:
                # As the RQ worker pushes after the fan-out commits: live.push_new from a thread
                # with no event loop, so async_to_sync makes a loop (and a layer, and a Redis
                # connection) for each call.
                await asyncio.to_thread(live.push_new, {org_id: [0]})
                return ""

            for _ in range(WARM_UP):
                await sockets.round(emit)
                await asyncio.sleep(args.gap)
                await sockets.round(bare_send)
                await asyncio.sleep(args.gap / 2)
                await sockets.round(worker_push)
                await asyncio.sleep(args.gap / 2)
            for run in range(args.runs):
                print(f"run {run + 1} of {args.runs} ...", flush=True)
                rounds = []
                for _ in range(args.events):
                    rounds.append(await sockets.round(emit))
                    await asyncio.sleep(args.gap)
                results.end_to_end.append(rounds)
                # RQ keeps a finished job's timestamps for 500 s: read them now.
                results.stages += await asyncio.to_thread(stages, rounds, len(keys), seen_on_stream)
                rounds = []
                for _ in range(args.events):
                    rounds.append(await sockets.round(bare_send))
                    await asyncio.sleep(args.gap / 2)
                results.bare.append(rounds)
                rounds = []
                for _ in range(args.events):
                    rounds.append(await sockets.round(worker_push))
                    await asyncio.sleep(args.gap / 2)
                results.push_new.append(rounds)
    finally:
        results.stray = sockets.stray
        for ws in connections:
            await ws.close()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return results


async def read_stream(sim_port: int, seen: dict[str, float]) -> None:
    """A bare reader of the filings stream beside the listener: when each line reaches a client."""
    async with httpx.AsyncClient(auth=(KEY, ""), timeout=httpx.Timeout(10, read=None)) as http:
        async with http.stream("GET", f"http://127.0.0.1:{sim_port}/filings") as response:
            pending = b""
            async for chunk in response.aiter_bytes():
                now = time.time()
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    if line.strip():
                        seen[orjson.loads(line)["resource_id"]] = now


def stages(rounds: list[Round], clients: int, seen_on_stream: dict[str, float]) -> list[dict[str, float]]:
    """Per event, ms: where the time from the POST to the sockets went (wall clocks of one machine)."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    with psycopg.connect(bench_database_url()) as conn:
        rows = conn.execute(
            "SELECT resource_id, id, extract(epoch FROM received_at), extract(epoch FROM fanned_out_at) "
            "FROM streams_event WHERE resource_id = ANY(%s)",
            ([r.tid for r in rounds],),
        ).fetchall()
    events = {
        tid: (event_id, float(received), float(fanned or "nan")) for tid, event_id, received, fanned in rows
    }
    with redis.Redis.from_url(bench_redis_url()) as conn:
        registry = FinishedJobRegistry(queue=Queue("default", connection=conn))
        jobs = [j for j in Job.fetch_many(registry.get_job_ids(), connection=conn) if j is not None]
    by_event = {}
    for job in jobs:
        if job.func_name == "notifications.jobs.fan_out":
            for event_id in job.args[0]:
                by_event[event_id] = job
    out = []
    for r in rounds:
        if r.tid not in events or r.tid not in seen_on_stream or len(r.received) < clients:
            continue
        event_id, received_at, fanned_out_at = events[r.tid]
        job = by_event.get(event_id)
        if job is None:
            continue
        first, last = min(r.received.values()), max(r.received.values())
        marks = [
            r.sent,
            seen_on_stream[r.tid],
            received_at,
            job.enqueued_at.timestamp(),
            job.started_at.timestamp(),
            fanned_out_at,
            first,
            last,
        ]
        out.append({name: (b - a) * 1000 for name, a, b in zip(STAGES, marks, marks[1:], strict=False)})
    return out


STAGES = [
    "POST to the simulator -> line reaches a bare stream reader",
    "-> listener starts storing (its flush check runs every 50 ms)",
    "store + commit + enqueue fan-out job",
    "job waits in Redis until the worker takes it",
    "fan-out: queries and inserts, until fanned_out_at",
    "fan-out commit + push (async_to_sync, group_send) -> first socket",
    "first -> last of the sockets",
]


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(rounds: list[Round], clients: int) -> tuple[float, float, float, float, int, int]:
    values = [v for r in rounds for v in r.latencies_ms()]
    return (
        percentile(values, 50),
        percentile(values, 99),
        max(values),
        statistics.median(min(r.latencies_ms()) for r in rounds if r.received),
        len(values),
        clients * len(rounds),
    )


def report(results: Results, clients: int) -> str:
    out = io.StringIO()
    out.write(
        "| measure | run | p50 ms | p99 ms | max ms | first socket, median ms | received / expected |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    best = {}
    for label, runs in (
        (f"bare `group_send` -> {clients} sockets", results.bare),
        (f"`live.push_new` as the worker calls it -> {clients} sockets", results.push_new),
        (f"simulator emit -> {clients} sockets (end to end)", results.end_to_end),
    ):
        rows = [summary(rounds, clients) for rounds in runs]
        for number, (p50, p99, worst, first, got, expected) in enumerate(rows, 1):
            out.write(
                f"| {label} | {number} | {p50:.1f} | {p99:.1f} | {worst:.1f} | {first:.1f} | "
                f"{got:,} / {expected:,} |\n"
            )
        best[label] = (min(r[0] for r in rows), min(r[1] for r in rows))
    (bare50, bare99), (push50, push99), (e2e50, e2e99) = best.values()
    out.write(
        f"| **best of {len(results.bare)}**: bare / push_new / end to end | | "
        f"{bare50:.1f} / {push50:.1f} / {e2e50:.1f} | {bare99:.1f} / {push99:.1f} / {e2e99:.1f} | | | |\n"
    )
    out.write(f"| ratio end to end / bare | | {e2e50 / bare50:.1f} | {e2e99 / bare99:.1f} | | | |\n")
    if results.stray:
        out.write(f"\n{results.stray} messages arrived outside their round (late or twice).\n")
    if results.stages:
        totals = [sum(s.values()) for s in results.stages]
        out.write(
            f"\nWhere end to end goes, per event ({len(results.stages)} events of all runs; "
            "ms from the POST to the first and last socket):\n\n"
        )
        out.write("| stage | median ms | p90 ms | max ms | share of median total |\n|---|---|---|---|---|\n")
        total_median = statistics.median(totals)
        for name in STAGES:
            values = [s[name] for s in results.stages]
            median = statistics.median(values)
            out.write(
                f"| {name} | {median:.1f} | {percentile(values, 90):.1f} | {max(values):.1f} | "
                f"{median / total_median:.0%} |\n"
            )
        out.write(
            f"| total, POST -> last socket | {total_median:.1f} | {percentile(totals, 90):.1f} | "
            f"{max(totals):.1f} | |\n"
        )
    return out.getvalue()


def wait_for_other_benchmark() -> None:
    """Never measure beside bench/fanout_throughput.py: the two would disturb each other."""
    announced = False
    while subprocess.run(["pgrep", "-f", "fanout_throughput"], capture_output=True).stdout.strip():
        if not announced:
            print("waiting for bench/fanout_throughput.py to finish ...", flush=True)
            announced = True
        time.sleep(20)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100, help="members, one socket each")
    parser.add_argument("--events", type=int, default=30, help="events per run (and group_sends)")
    parser.add_argument("--runs", type=int, default=3, help="runs, interleaved; the best counts")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between events")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (and say where)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below runs

    wait_for_other_benchmark()
    os.environ.update(settings_env())
    processes = Processes(Path(tempfile.mkdtemp(prefix="bench-ws-")))
    try:
        flush_redis()
        print(f"setting up {DATABASE} with {args.clients} members ...", flush=True)
        org_id, keys = setup_database(args.clients)
        sim_port, web_port = free_port(), free_port()
        start_system(processes, sim_port, web_port)
        print(f"simulator :{sim_port}, web :{web_port}; opening {args.clients} sockets ...", flush=True)
        results = asyncio.run(measure(args, org_id, keys, sim_port, web_port))
        processes.check()
    finally:
        processes.stop_all()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        with admin_connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        flush_redis()
        if args.keep_logs:
            print(f"process logs in {processes.logs}")
        else:
            shutil.rmtree(processes.logs, ignore_errors=True)
    print()
    print(report(results, args.clients))


if __name__ == "__main__":
    main()
