"""Benchmark: healing one filings gap for 10,000 watched companies through CH's REST API.

Run by hand (not part of make test), on a machine with PostgreSQL and Redis:

    .venv/bin/python bench/gap_heal.py [--companies 10000] [--scale 100] [--workers 2] [--runs 3]

It creates (and afterwards drops) its own database `clientwatch_bench_heal` next to DATABASE_URL's,
uses Redis database 13 (and deletes its RQ and rate-limiter keys there when done), loads the
companies onto one client list, seeds `manage.py chsim` with each one's profile and filings (1% of
them with a filing dated today, which the check must find), records one filings gap (416, from an
hour ago to now) and queues `check_gaps` as the listener does. Then:

  (a) CH's rate limit scaled down in time (600 requests per 300 s becomes 600 per 300/scale s, for
      the simulator and our limiter alike), healed by `--workers` RQ worker processes;
  (b) no effective limit, one worker: our own ceiling, against a bare httpx loop over the same
      requests.

and prints a table for BENCHMARKS.md. Nothing is asserted on time: the numbers are for reading.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "clientwatch_bench_heal"
REDIS_DB = 13
API_KEY = "bench-api-key"
STREAM_KEY = "bench-stream-key"
CH_LIMIT, CH_WINDOW = 600, 300  # CH's REST limit: requests per seconds
CH_RAISED_LIMIT = 1_200  # what CH grants on request, per the same 300 s
UNLIMITED = 1_000_000_000  # phase (b): a limit nothing reaches, in a 1 s window (peak = requests/s)
MAX_WAIT = 5  # streams.heal.MAX_WAIT: a longer wait for a slot hands the job to rq-scheduler
WORKER = ("rqworker", "default", "--burst", "--worker-class", "notifications.worker.WarmWorker")


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    return urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE}"))


def bench_redis_url() -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


def admin_connect():
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test"))
    return psycopg.connect(urlunsplit(base._replace(path="/postgres")), autocommit=True)


def env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": bench_redis_url(),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "DEBUG": "false",  # as deployed: DEBUG keeps every query in memory
        "CH_API_KEY": API_KEY,
        **extra,
    }


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env(), check=True)


# --- the data --------------------------------------------------------------------------------


def company_numbers(count: int, rng: random.Random) -> list[str]:
    return sorted(f"{n:08d}" for n in rng.sample(range(1, 20_000_000), count))


def seeded_companies(numbers: list[str], share_today: float, rng: random.Random) -> tuple[list[dict], int]:
    """What the simulator serves: a profile and three old filings each; `share_today` of the
    companies also filed today (UK), which is what the check must find. (seeds, how many)."""
    today = datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    news = set(rng.sample(numbers, round(len(numbers) * share_today)))
    seeds = []
    for number in numbers:
        dates = ["2023-03-14", "2024-03-12", "2025-03-11"] + ([today] if number in news else [])
        seeds.append(
            {
                "profile": {
                    "company_number": number,
                    "company_name": f"Client {number} Ltd",
                    "company_status": "active",
                    "type": "ltd",
                    "registered_office_address": {
                        "address_line_1": "1 High Street",
                        "postal_code": "LS1 4AB",
                    },
                    "etag": "0" * 40,
                },
                "filings": [_filing(number, f"MzQ{number}{i}", date) for i, date in enumerate(dates)],
            }
        )
    return seeds, len(news)


def _filing(number: str, transaction_id: str, date: str) -> dict:
    return {
        "transaction_id": transaction_id,
        "category": "accounts",
        "type": "AA",
        "description": "accounts-with-accounts-type-micro-entity",
        "description_values": {"made_up_date": "2024-06-30"},
        "date": date,
        "pages": 3,
        "links": {"self": f"/company/{number}/filing-history/{transaction_id}"},
    }


def setup_database(numbers: list[str]) -> None:
    with admin_connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    manage("migrate", "-v0")
    from notifications.models import ClientList, ClientListEntry, Organisation
    from streams.models import Company

    practice = Organisation.objects.create(name="Bench & Co Chartered Accountants")
    clients = ClientList.objects.create(organisation=practice, name="Everyone")
    Company.objects.bulk_create([Company(company_number=n) for n in numbers], batch_size=5_000)
    ClientListEntry.objects.bulk_create(  # (no signals: nothing is queued for backfill)
        [ClientListEntry(client_list=clients, company_id=n) for n in numbers], batch_size=5_000
    )


def fresh_gap() -> int:
    """A filings gap as the listener records it after a 416: from an hour ago to now."""
    from django.utils import timezone

    from streams.models import Event, StreamGap

    Event.objects.all().delete()  # what an earlier phase found (and its notifications)
    StreamGap.objects.all().delete()
    now = timezone.now()
    gap = StreamGap.objects.create(
        stream="filings",
        kind=StreamGap.OUT_OF_RANGE,
        from_timepoint=168_000_000,
        to_timepoint=168_004_000,
        from_time=now - timedelta(hours=1),
        to_time=now,
        detected_at=now,
    )
    return gap.pk


def clear_redis() -> None:
    """Our keys in database 13: RQ's and the rate limiter's (no FLUSHDB: others may share it)."""
    from project import redis_connection
    from streams.rate_limit import PREFIX

    connection = redis_connection.connection()
    for pattern in ("rq:*", f"{PREFIX}:*"):
        keys = list(connection.scan_iter(pattern, count=1_000))
        if keys:
            connection.delete(*keys)


# --- the simulator ---------------------------------------------------------------------------


def start_simulator(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "chsim",
            "--port",
            str(port),
            "--key",
            STREAM_KEY,
            "--api-key",
            API_KEY,
        ],
        cwd=ROOT,
        env=env(),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sim/state", timeout=2).raise_for_status()
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                raise RuntimeError("the simulator exited") from None
            time.sleep(0.2)
    raise RuntimeError("the simulator did not start")


def prepare_simulator(port: int, seeds: list[dict], limit: int, window: float) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as sim:
        sim.post("/_sim/api", json={"rate_limit": limit, "rate_window": window}).raise_for_status()
        for start in range(0, len(seeds), 2_000):
            sim.post("/_sim/companies", json={"companies": seeds[start : start + 2_000]}).raise_for_status()


def api_stats(port: int) -> dict:
    return httpx.get(f"http://127.0.0.1:{port}/_sim/api", timeout=10).json()


# --- the runs --------------------------------------------------------------------------------


def heal_with_workers(port: int, limit: int, window: int, workers: int) -> dict:
    """Queue check_gaps as the listener does and let `workers` burst workers run until the queue
    is empty; what the gap row and the simulator say afterwards."""
    from notifications.queueing import enqueue_gap_check
    from streams.models import Event, StreamGap

    gap_id = fresh_gap()
    clear_redis()
    enqueue_gap_check(gap_id)
    worker_env = env(
        CH_API_URL=f"http://127.0.0.1:{port}", CH_API_RATE_LIMIT=str(limit), CH_API_RATE_WINDOW=str(window)
    )
    with tempfile.TemporaryDirectory() as tmp:
        logs = [Path(tmp) / f"worker{i}.log" for i in range(workers)]
        started = time.monotonic()
        processes = []
        for log in logs:
            with log.open("wb") as out:
                command = [sys.executable, "manage.py", *WORKER]
                processes.append(subprocess.Popen(command, cwd=ROOT, env=worker_env, stderr=out))
        exits: dict[int, float] = {}
        while len(exits) < len(processes):
            for i, process in enumerate(processes):
                if i not in exits and process.poll() is not None:
                    exits[i] = time.monotonic() - started
                    if process.returncode != 0:
                        raise RuntimeError(
                            f"worker {i} exited {process.returncode}:\n{logs[i].read_text()[-3000:]}"
                        )
            time.sleep(0.05)
    gap = StreamGap.objects.get(pk=gap_id)
    if gap.heal_state != StreamGap.HEALED:
        raise RuntimeError(f"the workers stopped with the gap {gap.heal_state}, not healed")
    stats = api_stats(port)
    return {
        "wall": max(exits.values()),
        "exits": sorted(exits.values()),
        "check": (gap.healed_at - gap.heal_started_at).total_seconds(),
        "checked": gap.companies_checked,
        "requests": gap.requests,
        "found": gap.facts_found,
        "stored": Event.objects.filter(gap_id=gap_id).count(),
        "statuses": stats["statuses"],
        "peak": stats["peak"],
    }


def bare_loop(port: int, numbers: list[str]) -> float:
    """The primitive: the same GETs (one filing-history page a company) with one httpx client,
    each answer parsed with orjson; requests per second."""
    started = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=(API_KEY, ""), timeout=15) as client:
        for number in numbers:
            response = client.get(f"/company/{number}/filing-history", params={"items_per_page": "25"})
            response.raise_for_status()
            orjson.loads(response.content)
    return len(numbers) / (time.perf_counter() - started)


def minutes(seconds: float) -> str:
    return f"{seconds / 60:,.0f} min"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=100, help="how much faster than CH's 300 s window")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes in run (a)")
    parser.add_argument("--share-today", type=float, default=0.01, help="share of companies that filed today")
    parser.add_argument("--runs", type=int, default=3, help="runs of (b) and the bare loop; the best counts")
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    window = CH_WINDOW / args.scale
    # The worker processes read CH_API_RATE_WINDOW as whole seconds, and a window longer than
    # MAX_WAIT makes a job hand its work to rq-scheduler, which burst workers do not run.
    if window != int(window) or not 1 <= window <= MAX_WAIT:
        parser.error(
            f"--scale must divide 300 into whole seconds from 1 to {MAX_WAIT} (60, 75, 100, 150, 300)"
        )
    window = int(window)
    os.environ.update(env(CH_API_URL=f"http://127.0.0.1:{args.port}"))
    sys.path.insert(0, str(ROOT))  # this process uses the ORM and the queueing module too
    import django

    django.setup()
    from django.db import connections

    rng = random.Random(7)
    numbers = company_numbers(args.companies, rng)
    seeds, expected = seeded_companies(numbers, args.share_today, rng)
    print(f"setting up {args.companies:,} watched companies ({expected:,} filed today) ...", flush=True)
    setup_database(numbers)
    try:
        print(f"(a) {CH_LIMIT} requests per {window} s, {args.workers} worker(s) ...", flush=True)
        scaled = one_run(args.port, seeds, CH_LIMIT, window, args.workers)
        unlimited = []
        for i in range(args.runs):  # the machine is shared: the best of a few runs counts
            print(f"(b) no limit, 1 worker, run {i + 1} of {args.runs} ...", flush=True)
            unlimited.append(one_run(args.port, seeds, UNLIMITED, 1, 1, bare=numbers))
    finally:
        clear_redis()
        connections.close_all()
        if not args.keep:
            with admin_connect() as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    print(report(scaled, unlimited, args, window, expected))


def one_run(port: int, seeds: list[dict], limit: int, window: int, workers: int, bare=None) -> dict:
    """A simulator of its own (its counts and peak are this run's), the check by `workers`
    workers, and then, given `bare` numbers, the bare loop against the same simulator."""
    sim = start_simulator(port)
    try:
        prepare_simulator(port, seeds, limit, window)
        run = heal_with_workers(port, limit, window, workers)
        if bare is not None:
            run["bare"] = bare_loop(port, bare)
        return run
    finally:
        sim.terminate()
        sim.wait(30)


def report(a: dict, runs: list[dict], args, window: int, expected: int) -> str:
    for run in runs:
        run["rate"] = run["checked"] / run["check"]
    b = max(runs, key=lambda r: r["rate"])
    bare = max(r["bare"] for r in runs)
    best = f"best of {len(runs)}"
    spread = f"{min(r['rate'] for r in runs):,.0f} to {b['rate']:,.0f}"
    rows = [
        ("companies checked", f"{a['checked']:,}", f"{b['checked']:,}"),
        ("requests made (StreamGap.requests)", f"{a['requests']:,}", f"{b['requests']:,}"),
        ("REST answers by status (simulator)", _statuses(a["statuses"]), _statuses(b["statuses"])),
        ("429s the simulator answered", a["statuses"].get("429", 0), b["statuses"].get("429", 0)),
        (
            "most requests in one window (simulator)",
            f"{a['peak']:,} of {CH_LIMIT} per {window} s",
            f"{b['peak']:,} in 1 s",
        ),
        ("facts found / expected", f"{a['found']:,} / {expected:,}", f"{b['found']:,} / {expected:,}"),
        ("facts stored with the gap", f"{a['stored']:,}", f"{b['stored']:,}"),
        ("the check, claimed to healed", f"{a['check']:.1f} s", f"{b['check']:.1f} s"),
        (
            "workers started to all exited",
            f"{a['wall']:.1f} s (exits at {', '.join(f'{e:.1f}' for e in a['exits'])} s)",
            f"{b['wall']:.1f} s",
        ),
        ("the limit as a rate, requests a second", f"{CH_LIMIT / window:,.0f}", "none"),
        (
            "companies checked a second",
            f"{a['checked'] / a['check']:,.0f}",
            f"**{b['rate']:,.0f}** ({best}: {spread})",
        ),
        ("bare httpx loop, the same GETs, requests a second", "", f"{bare:,.0f} ({best})"),
        ("ratio ours / bare loop", "", f"{b['rate'] / bare:.2f}"),
        (
            f"limit-bound minimum: ({a['requests']:,} - {CH_LIMIT}) / {CH_LIMIT} windows",
            f"{max(0, a['requests'] - CH_LIMIT) / CH_LIMIT * window:.1f} s",
            "",
        ),
        (
            f"the check x {args.scale} (CH's window, if the limit set the pace)",
            minutes(a["check"] * args.scale),
            "",
        ),
        (
            f"at CH's {CH_LIMIT} per {CH_WINDOW} s: requests / {CH_LIMIT / CH_WINDOW:g} a second",
            f"**{minutes(a['requests'] * CH_WINDOW / CH_LIMIT)}**",
            "",
        ),
        (
            f"at {CH_RAISED_LIMIT:,} per {CH_WINDOW} s: requests / {CH_RAISED_LIMIT / CH_WINDOW:g} a second",
            f"**{minutes(a['requests'] * CH_WINDOW / CH_RAISED_LIMIT)}**",
            "",
        ),
    ]
    out = io.StringIO()
    out.write(
        f"| measure | (a) {CH_LIMIT} per {window} s, {args.workers} workers | (b) no limit, 1 worker |\n"
    )
    out.write("|---|---|---|\n")
    for row in rows:
        out.write("| " + " | ".join(str(cell) for cell in row) + " |\n")
    return out.getvalue()


def _statuses(statuses: dict) -> str:
    return ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items())) or "none"


if __name__ == "__main__":
    main()
