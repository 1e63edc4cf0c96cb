"""Benchmark: the feed under load. One practice with 100,000 notifications and 20 members; 20
concurrent users, each logged in through the login form, keep asking the real web process for the
feed page, a filtered feed, the feed API, item pages and client pages. The target: each of those
answers in under 100 ms at p99.

Run by hand (not part of make test), on a machine with PostgreSQL and Redis:

    .venv/bin/python bench/feed_load.py [--notifications 100000] [--members 20] [--users 20]
        [--seconds 60] [--think 0.5] [--saturate 20] [--keep]

It creates (and afterwards drops, unless --keep) its own database `clientwatch_bench_feedload`
next to DATABASE_URL's, migrates it and loads with COPY one practice:

- 500 companies on its client list "Clients" (each with the practice's reference, e.g. GRE0042),
  60 of them on a second list "Payroll" too;
- `--notifications` notifications over the last 90 days (ids grow with time), about those
  companies (a few busy ones, many quiet), with CH-like titles, categories and severities;
- `--members` members, each with a UserNotification row for every notification, as fan-out makes
  them: 97% of those older than two days read, half of the newer ones;
- the practice's work: about 40% of the notifications dealt with or assigned (NotificationWork),
  a history line for each (NotificationChange), and 3,000 notes.

Then it starts the web process as the Procfile does (`python -m project.serve`, one uvicorn
process, `project.settings` with DEBUG=false and a SECRET_KEY of its own, Redis database 13) on a
free port, logs `--users` members in by POSTing the login form (CSRF token from the GET), and runs
`--users` concurrent clients (asyncio + httpx, one connection each) for `--seconds`, each taking
the endpoints in a shuffled round, one request in flight at a time and a random pause of 0 to
2 x `--think` seconds between requests (a person reading; `--think 0` for back-to-back):

- feed: `/feed/<org>/`; feed filtered: `?show=all&q=<a client reference>`;
- API: `/feed/<org>/api/?after=<one of the newest 200 ids>` (the page's catch-up);
- item: `/feed/<org>/n/<id>/` (of the newest 2,000: what people open);
- client: `/feed/<org>/c/<number>/` (measured only if the URL resolves);
- baseline: `/healthz`, in the same round, so it is measured under the same load: what the bare
  web process costs (routing, middleware, the event loop), with no query.

With `--saturate N`, a second phase of N seconds runs with no pause (the process's capacity).
Afterwards, in this process, each page once through Django's test client against the same
database, counting its queries and their time (CaptureQueriesContext). It prints tables for
BENCHMARKS.md; nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from notifications.content.words import MONTHS  # noqa: E402  (the project's own, once on the path)

DATABASE = "clientwatch_bench_feedload"
REDIS_DB = 13
PRACTICE = 1
COMPANIES = 500
PAYROLL = 60  # of the companies, also on a second list
DAYS = 90
NOTES = 3_000
WORK_SHARE, DONE_SHARE = 0.4, 0.85  # of the notifications: with work; of those: done (else assigned)
PASSWORD = "bench-feed-password"  # noqa: S105 (a throwaway database's)
NOTIFICATION_COLUMNS = (
    "id, organisation_id, event_id, company_number, company_name, client_references, category, severity, "
    "title, body, links, stream, timepoint, published_at, created_at"
)
ENDPOINTS = ("feed", "feed filtered", "API", "item", "client", "/healthz (baseline)")
WORDS = [
    "Green",
    "Leaf",
    "Harbour",
    "Oak",
    "Northern",
    "Bright",
    "Cedar",
    "Summit",
    "Riverside",
    "Meadow",
    "Kestrel",
    "Anchor",
    "Copper",
    "Willow",
    "Highland",
    "Thistle",
    "Beacon",
    "Orchard",
    "Granite",
    "Falcon",
    "Heron",
    "Maple",
    "Silver",
    "Redbrick",
    "Lantern",
    "Ashby",
    "Fenwick",
]
TRADES = [
    "Cafe",
    "Builders",
    "Consulting",
    "Dental",
    "Logistics",
    "Holdings",
    "Joinery",
    "Property",
    "Design",
    "Motors",
    "Farms",
]
NAMES = ("Jane SMITH", "Amir KHAN", "Eilidh MACLEOD", "Tom BROWN", "Priya PATEL", "Owen JONES")


def _day(at: datetime) -> str:
    return f"{at.day} {MONTHS[at.month - 1]} {at.year}"


# (category, severity, title, body) made from a person's name and a date
KINDS = (
    ("accounts", "info", "Micro company accounts made up to 31 March {y}", "Filed on {d} (AA)."),
    ("accounts", "info", "Total exemption full accounts made up to 31 December {y}", "Filed on {d} (AA)."),
    ("confirmation-statement", "info", "Confirmation statement made on {d} with no updates", "CS01."),
    ("officers", "urgent", "Appointment of {p} as a director", "{p} was appointed a director on {d} (AP01)."),
    ("officers", "urgent", "Termination of appointment of {p} as a director", "{p} resigned on {d} (TM01)."),
    ("officers", "normal", "Director's details changed for {p}", "Changed on {d} (CH01)."),
    ("address", "urgent", "Registered office address changed", "Changed on {d} (AD01)."),
    ("persons-with-significant-control", "urgent", "Notification of {p} as a person with significant control",
     "Notified on {d} (PSC01)."),
    ("mortgage", "normal", "Registration of a charge", "A charge was registered on {d} (MR01)."),
    ("gazette", "urgent", "First Gazette notice for compulsory strike-off", "Published on {d} (GAZ1)."),
    ("capital", "normal", "Statement of capital following an allotment of shares", "On {d} (SH01)."),
    ("resolution", "normal", "Resolutions", "Resolution passed on {d} (RESOLUTIONS)."),
)  # fmt: skip
KIND_WEIGHTS = (18, 8, 20, 8, 6, 10, 6, 6, 5, 2, 6, 5)


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    return urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE}"))


def bench_redis_url() -> str:
    base = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunsplit(base._replace(path=f"/{REDIS_DB}"))


def admin_connect():
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test"))
    return psycopg.connect(urlunsplit(base._replace(path="/postgres")), autocommit=True)


SECRET_KEY = secrets.token_urlsafe(50)


def env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": bench_redis_url(),
        "CHANNEL_PREFIX": "clientwatch-bench",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "DEBUG": "false",  # as deployed: DEBUG keeps every query in memory
        "SECRET_KEY": SECRET_KEY,
        **extra,
    }


def company_number(i: int) -> str:
    return f"SC{600_000 + i:06d}" if i % 10 == 9 else f"{11_000_000 + i:08d}"


def company_name(i: int) -> str:
    return f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7 + 3) % len(WORDS)]} {TRADES[i % len(TRADES)]} Ltd"


def reference(i: int) -> str:
    return f"{WORDS[i % len(WORDS)][:3].upper()}{i:04d}"


def company_weights(rng: random.Random) -> list[float]:
    """A few busy companies, many quiet ones (a long tail), as a practice's clients are."""
    weights = [1 / (1 + i) ** 0.8 for i in range(COMPANIES)]
    rng.shuffle(weights)
    return weights


def what_to_ask(count: int, weights: list[float]) -> dict:
    """What the load generator needs to know of the data: the newest id, and references and
    numbers of the busier clients (those people look up)."""
    busy = sorted(range(COMPANIES), key=lambda i: -weights[i])
    return {
        "newest": count,
        "references": [reference(i) for i in busy[:50]],
        "numbers": [company_number(i) for i in busy[:200]],
    }


def reuse_database(count: int) -> dict:
    """--reuse: the database of an earlier run with --keep, migrated (a new index is made here)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        loaded = conn.execute("SELECT count(*) FROM notifications_notification").fetchone()[0]
        conn.execute("ANALYZE")
    if loaded != count:
        raise RuntimeError(
            f"the kept database has {loaded:,} notifications, not {count:,}: run without --reuse"
        )
    return {**what_to_ask(count, company_weights(random.Random(20261201))), "rows": {"notifications": count}}


def setup_database(count: int, members: int) -> dict:
    """Loads everything (see the docstring); returns what the load generator needs to know."""
    from django.contrib.auth.hashers import make_password

    with admin_connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
    rng = random.Random(20261201)
    weights = company_weights(rng)
    now = datetime.now(UTC)
    at = now - timedelta(days=400)
    password = make_password(PASSWORD)
    users = range(1, members + 1)
    times = sorted(now - timedelta(seconds=rng.uniform(30, DAYS * 86400)) for _ in range(count))
    companies = rng.choices(range(COMPANIES), weights=weights, k=count)
    with psycopg.connect(bench_database_url()) as conn:
        cur = conn.cursor()
        with cur.copy(
            "COPY notifications_company (company_number, name, status, updated_at) FROM STDIN"
        ) as cp:
            for i in range(COMPANIES):
                cp.write_row((company_number(i), company_name(i).upper(), "active", at))
        cur.execute(
            "INSERT INTO notifications_organisation (id, name, time_zone, muted_categories, created_at) "
            "VALUES (%s, 'Bench & Co Chartered Accountants', 'Europe/London', '[]', %s)",
            (PRACTICE, at),
        )
        cur.execute(
            "INSERT INTO notifications_clientlist (id, organisation_id, name, description, created_at) "
            "VALUES (1, %s, 'Clients', '', %s), (2, %s, 'Payroll', '', %s)",
            (PRACTICE, at, PRACTICE, at),
        )
        with cur.copy(
            "COPY notifications_clientlistentry (client_list_id, company_number, client_reference, added_at) "
            "FROM STDIN"
        ) as cp:
            for i in range(COMPANIES):
                cp.write_row((1, company_number(i), reference(i), at))
            for i in range(0, COMPANIES, COMPANIES // PAYROLL)[:PAYROLL]:
                cp.write_row((2, company_number(i), f"PAY-{i:04d}", at))
        with cur.copy(
            "COPY auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) FROM STDIN"
        ) as cp:
            for user in users:
                first, last = NAMES[user % len(NAMES)].split()
                cp.write_row(
                    (user, password, False, f"member{user}", first, last.title(), f"member{user}@example.com",
                     False, True, at)
                )  # fmt: skip
        with cur.copy(
            "COPY notifications_membership (organisation_id, user_id, role, joined_at) FROM STDIN"
        ) as cp:
            for user in users:
                cp.write_row((PRACTICE, user, "admin" if user == 1 else "member", at))
        with cur.copy(f"COPY notifications_notification ({NOTIFICATION_COLUMNS}) FROM STDIN") as cp:
            for id_, (created_at, i) in enumerate(zip(times, companies, strict=True), start=1):
                category, severity, title, body = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
                words = {"p": rng.choice(NAMES), "d": _day(created_at), "y": created_at.year - 1}
                number = company_number(i)
                link = f"https://find-and-update.company-information.service.gov.uk/company/{number}/filing-history"
                cp.write_row(
                    (id_, PRACTICE, None, number, company_name(i).upper(), f'["{reference(i)}"]', category,
                     severity, title.format(**words), body.format(**words),
                     f'[{{"label": "Filing history", "url": "{link}"}}]', "filings", 5_000_000 + id_,
                     created_at - timedelta(minutes=3), created_at)
                )  # fmt: skip
        recent = now - timedelta(days=2)
        with cur.copy(
            "COPY notifications_usernotification (notification_id, user_id, organisation_id, read_at) FROM STDIN"
        ) as cp:
            for id_, created_at in enumerate(times, start=1):
                share = 0.97 if created_at < recent else 0.5
                for user in users:
                    read = created_at + timedelta(hours=2) if rng.random() < share else None
                    cp.write_row((id_, user, PRACTICE, read))
        history = []  # one line per work row (one COPY at a time on a connection)
        with cur.copy(
            "COPY notifications_notificationwork (notification_id, done_at, done_by_id, done_by_name, "
            "assignee_id, updated_at) FROM STDIN"
        ) as cp:
            for id_, created_at in enumerate(times, start=1):
                if rng.random() >= WORK_SHARE:
                    continue
                who = rng.choice(users)
                name = NAMES[who % len(NAMES)].title()
                when = min(now, created_at + timedelta(hours=rng.uniform(1, 72)))
                if rng.random() < DONE_SHARE:
                    cp.write_row((id_, when, who, name, None, when))
                    history.append((id_, "done", who, name, "", when))
                else:
                    assignee = rng.choice(users)
                    cp.write_row((id_, None, None, "", assignee, when))
                    history.append((id_, "assigned", who, name, NAMES[assignee % len(NAMES)].title(), when))
        with cur.copy(
            "COPY notifications_notificationchange (notification_id, action, actor_id, actor_name, detail, at) "
            "FROM STDIN"
        ) as cp:
            for row in history:
                cp.write_row(row)
        with cur.copy(
            "COPY notifications_notificationnote (notification_id, author_id, author_name, text, created_at) "
            "FROM STDIN"
        ) as cp:
            for _ in range(NOTES):
                id_ = rng.randrange(1, count + 1)
                who = rng.choice(users)
                when = min(now, times[id_ - 1] + timedelta(hours=rng.uniform(1, 48)))
                cp.write_row((id_, who, NAMES[who % len(NAMES)].title(), "Rang the client: they knew.", when))
        for table in ("notifications_organisation", "notifications_clientlist", "auth_user"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cur.execute("SELECT setval(pg_get_serial_sequence('notifications_notification', 'id'), %s)", (count,))
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        **what_to_ask(count, weights),
        "rows": {
            "notifications": count,
            "user notifications": count * members,
            "work": len(history),
            "changes": len(history),
            "notes": NOTES,
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(port: int) -> subprocess.Popen:
    """The Procfile's web process: one uvicorn process serving project.asgi."""
    process = subprocess.Popen(
        [sys.executable, "-m", "project.serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the web process did not answer /healthz within 30 s")


def stop_web(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def log_in(base: str, user: int) -> httpx.AsyncClient:
    """A client with the member's session, through the login form as a browser does."""
    client = httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1))
    form = await client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    done = await client.post(
        "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": f"member{user}", "password": PASSWORD, "next": ""},
        headers={"Referer": base + "/accounts/login/"},
    )
    if done.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"member{user} could not log in: {done.status_code}")
    return client


def targets(data: dict, rng: random.Random, measured: tuple[str, ...]) -> list[tuple[str, str]]:
    """One round: each endpoint once, in a random order, with random arguments."""
    org, newest = PRACTICE, data["newest"]
    urls = {
        "feed": f"/feed/{org}/",
        "feed filtered": f"/feed/{org}/?show=all&q={rng.choice(data['references'])}",
        "API": f"/feed/{org}/api/?after={newest - rng.randrange(1, 200)}",
        "item": f"/feed/{org}/n/{newest - rng.randrange(0, 2000)}/",
        "client": f"/feed/{org}/c/{rng.choice(data['numbers'])}/",
        "/healthz (baseline)": "/healthz",
    }
    round_ = [(name, urls[name]) for name in measured]
    rng.shuffle(round_)
    return round_


async def user_loop(
    client: httpx.AsyncClient, data, measured, seed: int, until: float, think: float, times, errors
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        for name, url in targets(data, rng, measured):
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            response = await client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                errors[name] = errors.get(name, 0) + 1
            else:
                times[name].append(elapsed)
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))


async def load(base: str, users: int, members: int, data, measured, seconds: float, think: float, seed: int):
    clients = [await log_in(base, 1 + u % members) for u in range(users)]
    try:
        for client in clients:  # warm: one round each (templates, connections)
            for _name, url in targets(data, random.Random(0), measured):
                await client.get(url)
        times: dict[str, list[float]] = {name: [] for name in measured}
        errors: dict[str, int] = {}
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *(
                user_loop(c, data, measured, seed + i, until, think, times, errors)
                for i, c in enumerate(clients)
            )
        )
        return times, errors, time.monotonic() - started
    finally:
        for client in clients:
            await client.aclose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def table(times, errors, elapsed: float, baseline: str = "/healthz (baseline)") -> str:
    out = io.StringIO()
    total = sum(len(v) for v in times.values())
    base_p99 = percentile(times[baseline], 0.99)
    out.write("| endpoint | requests | p50 ms | p95 ms | p99 ms | p99 / baseline's | errors |\n")
    out.write("|---|---|---|---|---|---|---|\n")
    for name, values in times.items():
        p99 = percentile(values, 0.99)
        out.write(
            f"| {name} | {len(values):,} | {1000 * statistics.median(values):.1f} | "
            f"{1000 * percentile(values, 0.95):.1f} | **{1000 * p99:.1f}** | {p99 / base_p99:.1f} | "
            f"{errors.get(name, 0)} |\n"
        )
    out.write(f"| all | {total:,} in {elapsed:.0f} s = **{total / elapsed:.1f} requests/s** | | | | | |\n")
    return out.getvalue()


def query_counts(data: dict, measured) -> str:
    """Each page once through Django's test client in this process: its queries and their time."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(pk=2))
    rng = random.Random(1)
    out = io.StringIO()
    out.write("| endpoint | queries | their time, ms | slowest query, ms |\n|---|---|---|---|\n")
    for name, url in sorted(targets(data, rng, measured), key=lambda t: measured.index(t[0])):
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        spent = [float(q["time"]) * 1000 for q in queries.captured_queries]
        out.write(
            f"| {name} {'' if status == 200 else f'({status})'} | {len(spent)} | {sum(spent):.1f} | "
            f"{max(spent, default=0):.1f} |\n"
        )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--users", type=int, default=20, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a user's requests, s")
    parser.add_argument("--saturate", type=float, default=0, help="seconds of a second phase with no pause")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database an earlier --keep kept")
    args = parser.parse_args()
    # This process: make_password for the load, Django's test client for the query counts.
    os.environ.update(env(ALLOWED_HOSTS="testserver,127.0.0.1"))
    import django

    django.setup()
    started = time.perf_counter()
    data = (
        reuse_database(args.notifications) if args.reuse else setup_database(args.notifications, args.members)
    )
    print(f"loaded in {time.perf_counter() - started:.0f} s: {data['rows']}", flush=True)
    port = free_port()
    web = start_web(port)
    base = f"http://127.0.0.1:{port}"
    try:
        probe = httpx.get(f"{base}/feed/{PRACTICE}/c/{data['numbers'][0]}/", timeout=10)
        # Unauthenticated: a known URL redirects to the login page; an unknown one is a 404.
        measured = (
            ENDPOINTS if probe.status_code in (200, 302) else tuple(e for e in ENDPOINTS if e != "client")
        )
        if "client" not in measured:
            print("the client page's URL does not resolve: not measured")
        phases = [("paced", args.think, args.seconds)] + (
            [("saturated", 0.0, args.saturate)] if args.saturate else []
        )
        results = []
        for label, think, seconds in phases:
            times, errors, elapsed = asyncio.run(
                load(base, args.users, args.members, data, measured, seconds, think, seed=len(results))
            )
            results.append((label, think, table(times, errors, elapsed)))
    finally:
        stop_web(web)
    counts = query_counts(data, measured)
    from django.db import connections

    connections.close_all()
    if not args.keep:
        with admin_connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    print(
        f"\n{args.notifications:,} notifications, {args.members} members, {args.users} concurrent users, "
        f"one web process (python -m project.serve, DEBUG=false)\n"
    )
    for label, think, text in results:
        pause = f"pause 0 to {2 * think:.1f} s between requests" if think else "no pause"
        print(f"{label} ({pause}):\n\n{text}")
    print(f"queries per page (one request each, Django's test client):\n\n{counts}")


if __name__ == "__main__":
    main()
