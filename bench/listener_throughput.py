"""Benchmark: events/s of `runstreams` against the simulator, with 1 million watched companies,
beside a bare httpx + orjson read loop of the same stream, and the listener's peak memory.

Run by hand (not part of make test), on a machine with PostgreSQL and Redis:

    .venv/bin/python bench/listener_throughput.py [--events 300000] [--watched 1000000]

It creates (and afterwards drops) its own database `clientwatch_bench` next to DATABASE_URL's,
uses Redis database 14, serves a synthetic filings stream from `manage.py chsim --replay`, and
prints a table for BENCHMARKS.md. Ratios matter more than absolute numbers on shared machines.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-stream-key"
START_TIMEPOINT = 168_000_000  # the simulator's first filings timepoint (chsim --start-timepoint)


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    return urlunsplit(urlsplit(base)._replace(path="/clientwatch_bench"))


def admin_connect():
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test"))
    return psycopg.connect(urlunsplit(base._replace(path="/postgres")), autocommit=True)


def env(**extra: str) -> dict[str, str]:
    redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": urlunsplit(redis._replace(path="/14")),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "DEBUG": "false",  # as deployed: DEBUG keeps every query in memory
        **extra,
    }


def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env(), check=True, **kwargs)


def watched_numbers(count: int, rng: random.Random) -> list[str]:
    return [f"{n:08d}" for n in rng.sample(range(1, 20_000_000), count)]


def setup_database(numbers: list[str]) -> None:
    with admin_connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS clientwatch_bench")
        conn.execute("CREATE DATABASE clientwatch_bench")
    manage("migrate", "-v0")
    with psycopg.connect(bench_database_url()) as conn:
        org = conn.execute(
            "INSERT INTO notifications_organisation (name, time_zone, muted_categories, created_at) "
            "VALUES ('Bench', 'Europe/London', '[]', now()) RETURNING id"
        ).fetchone()[0]
        client_list = conn.execute(
            "INSERT INTO notifications_clientlist (organisation_id, name, description, created_at) "
            "VALUES (%s, 'Everyone', '', now()) RETURNING id",
            (org,),
        ).fetchone()[0]
        with conn.cursor().copy(
            "COPY notifications_company (company_number, name, status, updated_at) FROM STDIN"
        ) as cp:
            for n in numbers:
                cp.write_row((n, "", "", "2025-01-01T00:00:00Z"))
        with conn.cursor().copy(
            "COPY notifications_clientlistentry (client_list_id, company_number, client_reference, added_at) FROM STDIN"
        ) as cp:
            for n in numbers:
                cp.write_row((client_list, n, "", "2025-01-01T00:00:00Z"))


def write_stream(path: Path, events: int, watched: list[str], share: float, rng: random.Random) -> int:
    """Filing events shaped like CH's (about 700 bytes each); `share` of them for watched companies."""
    matched = 0
    with path.open("wb") as out:
        for i in range(events):
            # The last event is always watched: the listener commits a batch as soon as the stream
            # goes quiet, but a checkpoint alone only every few seconds, which would be timed too.
            if rng.random() < share or i == events - 1:
                number, matched = rng.choice(watched), matched + 1
            else:
                number = f"{rng.randrange(20_000_000, 99_999_999):08d}"
            tid = f"MzQw{i:012d}"
            out.write(
                orjson.dumps(
                    {
                        "resource_kind": "filing-history",
                        "resource_uri": f"/company/{number}/filing-history/{tid}",
                        "resource_id": tid,
                        "data": {
                            "transaction_id": tid,
                            "category": "accounts",
                            "type": "AA",
                            "description": "accounts-with-accounts-type-micro-entity",
                            "description_values": {"made_up_date": "2024-06-30"},
                            "date": "2025-03-14",
                            "barcode": f"X{i:07X}",
                            "pages": 3,
                            "links": {"self": f"/company/{number}/filing-history/{tid}"},
                        },
                        "event": {"type": "changed", "published_at": "2025-03-14T10:22:07"},
                    }
                )
                + b"\n"
            )
    return matched


def start_simulator(path: Path, port: int, events: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "chsim",
            "--port",
            str(port),
            "--key",
            KEY,
            "--replay",
            str(path),
            "--retention",
            str(events + 10),
            "--connection-limit",
            "5",
            "--start-timepoint",
            str(START_TIMEPOINT),
        ],
        cwd=ROOT,
        env=env(),
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            state = httpx.get(f"http://127.0.0.1:{port}/_sim/state", timeout=2).json()
            if state["filings"]["head"] >= START_TIMEPOINT + events - 1:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the simulator did not load the stream")


def bare_loop(port: int, events: int) -> float:
    """The primitive: read the same stream with httpx and parse every line with orjson."""
    started = time.perf_counter()
    seen = 0
    with httpx.stream(
        "GET",
        f"http://127.0.0.1:{port}/filings",
        params={"timepoint": START_TIMEPOINT},
        auth=(KEY, ""),
        timeout=60,
    ) as response:
        pending = b""
        for chunk in response.iter_bytes():
            pending, parsed = _parse_lines(pending, chunk)
            seen += parsed
            if seen >= events:
                break
    return seen / (time.perf_counter() - started)


def _parse_lines(pending: bytes, chunk: bytes) -> tuple[bytes, int]:
    """What both bare loops do per chunk: split lines, orjson every non-blank one."""
    lines = (pending + chunk).split(b"\n")
    pending = lines.pop()
    parsed = 0
    for line in lines:
        if line.strip():
            orjson.loads(line)
            parsed += 1
    return pending, parsed


def async_bare_loop(port: int, events: int) -> float:
    """The same primitive as the listener is built on: async httpx, one task, orjson per line."""
    import asyncio

    async def read() -> float:
        started = time.perf_counter()
        seen = 0
        async with httpx.AsyncClient(auth=(KEY, ""), timeout=60) as client:
            async with client.stream(
                "GET", f"http://127.0.0.1:{port}/filings", params={"timepoint": START_TIMEPOINT}
            ) as response:
                pending = b""
                async for chunk in response.aiter_bytes():
                    pending, parsed = _parse_lines(pending, chunk)
                    seen += parsed
                    if seen >= events:
                        break
        return seen / (time.perf_counter() - started)

    return asyncio.run(read())


def listener_run(port: int, events: int) -> tuple[float, int, int]:
    """(events/s, peak RSS in MB, events stored) of a real runstreams process."""
    last = START_TIMEPOINT + events - 1
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        conn.execute("DELETE FROM streams_event")
        conn.execute("DELETE FROM streams_streamstate")
        conn.execute(
            "INSERT INTO streams_streamstate (stream, timepoint, connected, last_error, reconnects, counters) "
            "VALUES ('filings', %s, false, '', 0, '{}')",
            (START_TIMEPOINT,),
        )
        command = [
            sys.executable,
            "manage.py",
            "runstreams",
            "--stream",
            "filings",
            "--batch-size",
            os.environ.get("BENCH_BATCH", "500"),
        ]
        if os.environ.get("BENCH_PROFILE"):  # py-spy's collapsed stacks, to find where time goes
            command = [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--format",
                "raw",
                "-o",
                os.environ["BENCH_PROFILE"],
                "--",
                *command,
            ]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env(CH_STREAM_URL=f"http://127.0.0.1:{port}", CH_STREAM_KEY=KEY),
            start_new_session=True,  # so py-spy and the listener under it stop together
        )
        try:
            started = None
            peak = 0
            while True:
                timepoint = conn.execute(
                    "SELECT timepoint FROM streams_streamstate WHERE stream='filings'"
                ).fetchone()[0]
                peak = max(peak, _rss_mb(process.pid))
                if started is None and timepoint and timepoint > START_TIMEPOINT:
                    started, first = time.perf_counter(), timepoint  # index loaded, reading has begun
                if timepoint == last:
                    elapsed = time.perf_counter() - started
                    break
                if process.poll() is not None:
                    raise RuntimeError("runstreams exited")
                time.sleep(0.05)
            stored = conn.execute("SELECT count(*) FROM streams_event").fetchone()[0]
        finally:
            os.killpg(process.pid, signal.SIGINT)  # py-spy writes its profile on SIGINT
            process.wait(30)
    return (last - first) / elapsed, peak, stored


def _descendants(pid: int) -> list[int]:
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return children + [d for c in children for d in _descendants(c)]


def _rss_mb(pid: int) -> int:
    """Peak resident memory of the listener and its database worker (py-spy, if present, too)."""
    total = 0
    for each in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) // 1024
        except OSError:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--watched", type=int, default=1_000_000)
    parser.add_argument("--share", type=float, default=0.05, help="share of events about watched companies")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--runs", type=int, default=3, help="runs of each loop; the best counts")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    rng = random.Random(7)

    print(f"setting up {args.watched:,} watched companies ...", flush=True)
    numbers = watched_numbers(args.watched, rng)
    setup_database(numbers)
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # or autovacuum of the 1M rows just loaded runs during a measurement
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "filings.ndjson"
        matched = write_stream(path, args.events, numbers, args.share, rng)
        print(
            f"stream: {args.events:,} events ({path.stat().st_size / 1e6:.0f} MB), {matched:,} for watched companies"
        )
        sim = start_simulator(path, args.port, args.events)
        try:
            # Interleaved, each the best of its runs: the machine is shared and its load drifts.
            bare, async_bare, runs = [], [], []
            for _ in range(args.runs):
                bare.append(bare_loop(args.port, args.events))
                async_bare.append(async_bare_loop(args.port, args.events))
                runs.append(listener_run(args.port, args.events))
        finally:
            sim.terminate()
            sim.wait(30)
    if not args.keep:
        with admin_connect() as conn:
            conn.execute("DROP DATABASE IF EXISTS clientwatch_bench")
    best_bare = max(bare)
    rate = max(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    stored = min(r[2] for r in runs)
    out = io.StringIO()
    out.write("| measure | value |\n|---|---|\n")
    best_async = max(async_bare)
    out.write(f"| bare loop, sync httpx + orjson, events/s (best of {len(bare)}) | {best_bare:,.0f} |\n")
    out.write(
        f"| bare loop, async httpx + orjson, events/s (best of {len(async_bare)}) | {best_async:,.0f} |\n"
    )
    out.write(f"| runstreams, events/s (best of {len(runs)}) | {rate:,.0f} |\n")
    out.write(f"| ratio runstreams / async bare loop | {rate / best_async:.2f} |\n")
    out.write(f"| ratio runstreams / sync bare loop | {rate / best_bare:.2f} |\n")
    out.write(f"| runstreams peak RSS (listener + database worker) | {peak} MB |\n")
    out.write(f"| events stored / expected | {stored:,} / {matched:,} |\n")
    print(out.getvalue())


if __name__ == "__main__":
    main()
