"""Benchmark: fan-out of one event to many organisations, beside a bare COPY of as many rows, and
emails sent per second by one RQ worker process, in chunks of 100 and one job per email.

Run by hand (not part of make test), on a machine with PostgreSQL and Redis:

    .venv/bin/python bench/fanout_throughput.py [--orgs 10000] [--members 2] [--emails 1000] [--runs 3]
        [--naive-emails 300] [--profile DIR] [--keep]

It creates (and afterwards drops) its own database `clientwatch_bench_fanout` next to
DATABASE_URL's, uses Redis database 14 (flushed at the start, between steps and at the end), and
prints a table for BENCHMARKS.md. Ratios matter more than absolute numbers on shared machines.

The baseline of one RQ job per email sends `--naive-emails` (300 by default, not 1,000: at about
11 a second it would take the default run past five minutes; its rate is steady after the first
few jobs).

With `--profile DIR`, after the measured runs (the table never includes a profiled run), one more
fan-out runs under cProfile (DIR/fanout.pstats, top functions printed) and one under py-spy
attached to this process (DIR/fanout-pyspy.txt), and one more of each worker run under py-spy
(DIR/worker-*.txt); py-spy's files are collapsed stacks with idle time, so they show wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "clientwatch_bench_fanout"
COMPANY = "09876543"
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"  # a provider with no network cost
PY_SPY = str(Path(sys.executable).parent / "py-spy")  # measurement only: pip install py-spy
NOTIFICATION_COLUMNS = (
    "organisation_id, event_id, company_number, company_name, client_references, category, severity, "
    "title, body, links, stream, timepoint, published_at, created_at"
)
USER_NOTIFICATION_COLUMNS = "notification_id, user_id, organisation_id, read_at"
DELIVERY_COLUMNS = (
    "notification_id, digest_date, user_id, channel, status, attempts, last_error, address, "
    "provider_message_id, claimed_at, retry_at, sent_at, created_at, updated_at"
)
FANNED_OUT = ("notifications_delivery", "notifications_usernotification", "notifications_notification")


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    return urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE}"))


def bench_redis_url() -> str:
    base = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunsplit(base._replace(path="/14"))


def admin_connect():
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test"))
    return psycopg.connect(urlunsplit(base._replace(path="/postgres")), autocommit=True)


def env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": bench_redis_url(),
        "CHANNEL_PREFIX": "clientwatch-bench",
        "EMAIL_BACKEND": EMAIL_BACKEND,
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "DEBUG": "false",  # as deployed: DEBUG keeps every query in memory
        **extra,
    }


def flush_redis() -> None:
    redis.Redis.from_url(bench_redis_url()).flushdb()


def setup_database(orgs: int, members: int) -> None:
    """`orgs` organisations, each with `members` active members who have email addresses and
    want officers news at once, and one client list holding COMPANY."""
    with admin_connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
    at = "2025-01-01T00:00:00Z"
    with psycopg.connect(bench_database_url()) as conn:
        conn.execute(
            "INSERT INTO notifications_company (company_number, name, status, updated_at) "
            "VALUES (%s, 'BENCH HOLDINGS LIMITED', 'active', now())",
            (COMPANY,),
        )
        with conn.cursor().copy(
            "COPY notifications_organisation (id, name, time_zone, muted_categories, created_at) FROM STDIN"
        ) as cp:
            for org in range(1, orgs + 1):
                cp.write_row((org, f"Practice {org:06d}", "Europe/London", "[]", at))
        with conn.cursor().copy(
            "COPY notifications_clientlist (id, organisation_id, name, description, created_at) FROM STDIN"
        ) as cp:
            for org in range(1, orgs + 1):
                cp.write_row((org, org, "Clients", "", at))
        with conn.cursor().copy(
            "COPY notifications_clientlistentry (client_list_id, company_number, client_reference, added_at) "
            "FROM STDIN"
        ) as cp:
            for org in range(1, orgs + 1):
                cp.write_row((org, COMPANY, f"REF-{org}", at))
        with conn.cursor().copy(
            "COPY auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) FROM STDIN"
        ) as cp:
            for user in range(1, orgs * members + 1):
                cp.write_row(
                    (user, "!", False, f"user{user}", "", "", f"user{user}@example.com", False, True, at)
                )
        with conn.cursor().copy(
            "COPY notifications_membership (organisation_id, user_id, role, joined_at) FROM STDIN"
        ) as cp:
            for user in range(1, orgs * members + 1):
                cp.write_row(((user - 1) // members + 1, user, "member", at))
        with conn.cursor().copy(
            "COPY notifications_userpreferences (user_id, email_enabled, urgent_immediately, modes, updated_at) "
            "FROM STDIN"
        ) as cp:
            for user in range(1, orgs * members + 1):
                cp.write_row((user, True, True, '{"officers": "immediate"}', at))
        for table in ("notifications_organisation", "notifications_clientlist", "auth_user"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        # Plain copies for the bare COPY baseline: same columns, indexes, unique and check
        # constraints and identity, no foreign keys.
        for table in FANNED_OUT:
            conn.execute(f"CREATE TABLE bare_{table} (LIKE {table} INCLUDING ALL)")
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def store_event() -> int:
    """One stored filing in CH's `officers` category (an appointment): urgent, emailed at once."""
    from tests.notifykit import stored_filing

    return stored_filing(
        COMPANY,
        category="officers",
        description="appointment-director-company-with-name-date",
        type="AP01",
        description_values={"officer_name": "Jane SMITH", "appointment_date": "2025-03-10"},
    ).id


def reset_fan_out(event_id: int) -> None:
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(FANNED_OUT)}")
        conn.execute("UPDATE streams_event SET fanned_out_at = NULL WHERE id = %s", (event_id,))
    flush_redis()


def fan_out_run(event_id: int, expected: tuple[int, int], profile: cProfile.Profile | None = None) -> float:
    """Seconds of `fan_out_events([event_id])`, its after-commit work (live push, delivery jobs)
    included, from a fresh start."""
    from django.db import connection

    from notifications.fan_out import fan_out_events

    reset_fan_out(event_id)
    connection.close()  # every run opens its connection, as a fresh job would
    started = time.perf_counter()
    run = profile.runcall if profile else (lambda func, *args: func(*args))
    result = run(fan_out_events, [event_id])
    elapsed = time.perf_counter() - started
    got = (result.notifications, len(result.deliveries))
    if got != expected:
        raise RuntimeError(f"fan-out made {got} (notifications, deliveries), expected {expected}")
    return elapsed


def fanned_out_rows() -> tuple[list[tuple], list[tuple], list[tuple]]:
    """What the last fan-out wrote, as rows for the bare COPY."""
    with psycopg.connect(bench_database_url()) as conn:
        return tuple(
            # JSON as its text: the primitive is COPY, not json.dumps
            conn.execute(
                f"SELECT {columns.replace('client_references', 'client_references::text').replace('links', 'links::text')} "
                f"FROM {table} ORDER BY id"
            ).fetchall()
            for table, columns in zip(
                FANNED_OUT, (DELIVERY_COLUMNS, USER_NOTIFICATION_COLUMNS, NOTIFICATION_COLUMNS), strict=True
            )
        )


def copy_run(rows: tuple[list[tuple], list[tuple], list[tuple]]) -> float:
    """Seconds to COPY the same rows into the plain copies, in one transaction, commit included."""
    deliveries, reads, notifications = rows
    with psycopg.connect(bench_database_url()) as conn:
        conn.execute(f"TRUNCATE {', '.join(f'bare_{t}' for t in FANNED_OUT)}")
        conn.commit()
        started = time.perf_counter()
        cur = conn.cursor()
        for table, columns, data in (
            ("bare_notifications_notification", NOTIFICATION_COLUMNS, notifications),
            ("bare_notifications_usernotification", USER_NOTIFICATION_COLUMNS, reads),
            ("bare_notifications_delivery", DELIVERY_COLUMNS, deliveries),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
                for row in data:
                    cp.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def pending_deliveries(count: int) -> list[int]:
    """`count` pending email deliveries, to distinct users, of the notifications last fanned out."""
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        conn.execute("TRUNCATE notifications_delivery")
        ids = [
            row[0]
            for row in conn.execute(
                f"INSERT INTO notifications_delivery ({DELIVERY_COLUMNS}) "
                "SELECT un.notification_id, NULL, un.user_id, 'email', 'pending', 0, '', u.email, '', "
                "NULL, NULL, NULL, now(), now() "
                "FROM notifications_usernotification un JOIN auth_user u ON u.id = un.user_id "
                "ORDER BY un.user_id LIMIT %s RETURNING id",
                (count,),
            )
        ]
    if len(ids) != count:
        raise RuntimeError(f"only {len(ids)} users to send to: raise --orgs or --members")
    return ids


def enqueue(ids: list[int], one_job_each: bool) -> int:
    """Queue the deliveries as our code does (`enqueue_deliveries`, 100 a job), or one job each."""
    from notifications import queueing

    flush_redis()
    if not one_job_each:
        queueing.enqueue_deliveries(ids)
    else:
        from rq import Retry

        from notifications.queueing import DELIVERY_RETRY_INTERVALS as RETRY_INTERVALS

        retry = Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS))
        queue = queueing.queue()
        queue.enqueue_many([queue.prepare_data(queueing.DELIVER, args=([i],), retry=retry) for i in ids])
    return queueing.queue().count


def worker_run(profile_to: Path | None = None) -> float:
    """Seconds from the start of one `rqworker default --burst` process to its exit."""
    command = [sys.executable, "manage.py", "rqworker", "default", "--burst"]
    if os.environ.get("BENCH_WORKER_CLASS"):  # e.g. notifications.worker.WarmWorker (the Procfile's)
        command += ["--worker-class", os.environ["BENCH_WORKER_CLASS"]]
    if profile_to:  # py-spy's collapsed stacks of the worker and the work-horses it forks
        command = [
            PY_SPY,
            "record",
            "--subprocesses",
            "--idle",
            "--format",
            "raw",
            "-o",
            str(profile_to),
            "--",
            *command,
        ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env(), capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"rqworker failed:\n{done.stderr.decode()[-3000:]}")
    return elapsed


def check_sent_once(ids: list[int]) -> int:
    """How many of the deliveries were sent exactly once (claimed once, status sent, a message id
    of their own); raises if any was not, or a job failed."""
    from notifications import queueing

    with psycopg.connect(bench_database_url()) as conn:
        statuses = dict(
            conn.execute(
                "SELECT status || '/' || attempts, count(*) FROM notifications_delivery "
                "WHERE id = ANY(%s) GROUP BY 1",
                (ids,),
            ).fetchall()
        )
        message_ids = conn.execute(
            "SELECT count(DISTINCT provider_message_id) FROM notifications_delivery "
            "WHERE id = ANY(%s) AND provider_message_id <> ''",
            (ids,),
        ).fetchone()[0]
    queue = queueing.queue()
    if statuses != {"sent/1": len(ids)} or message_ids != len(ids) or queue.count:
        raise RuntimeError(
            f"deliveries {statuses}, {message_ids} message ids, {queue.count} jobs left, "
            f"{queue.failed_job_registry.count} failed"
        )
    return len(ids)


def seconds_in_jobs() -> float:
    """Time the finished jobs spent in their function (RQ's started_at to ended_at, in the
    work-horse): the rest of the worker's time is start-up, forking and RQ's bookkeeping."""
    from rq.job import Job

    from notifications import queueing

    queue = queueing.queue()
    done = Job.fetch_many(queue.finished_job_registry.get_job_ids(), connection=queue.connection)
    return sum((job.ended_at - job.started_at).total_seconds() for job in done if job)


def email_run(
    count: int, one_job_each: bool, profile_to: Path | None = None
) -> tuple[float, int, int, float]:
    """(deliveries/s, jobs, sent once, share of the time inside jobs) of one worker process
    sending `count` emails."""
    ids = pending_deliveries(count)
    queued = enqueue(ids, one_job_each)
    elapsed = worker_run(profile_to)
    return count / elapsed, queued, check_sent_once(ids), seconds_in_jobs() / elapsed


def profile_fan_out(event_id: int, expected: tuple[int, int], directory: Path) -> None:
    profile = cProfile.Profile()
    elapsed = fan_out_run(event_id, expected, profile)
    path = directory / "fanout.pstats"
    profile.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    print(f"profiled fan-out: {elapsed:.2f} s under cProfile; stats in {path}")
    print(out.getvalue())
    # cProfile inflates Python's share; py-spy samples wall time, waiting on PostgreSQL included.
    path = directory / "fanout-pyspy.txt"
    spy = subprocess.Popen(
        [PY_SPY, "record", "--idle", "--pid", str(os.getpid()), "--format", "raw", "-o", str(path)]
    )
    time.sleep(2)  # attached
    elapsed = fan_out_run(event_id, expected)
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    spy.wait(60)
    print(f"profiled fan-out: {elapsed:.2f} s under py-spy; collapsed stacks in {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=10_000, help="organisations watching the company")
    parser.add_argument("--members", type=int, default=2, help="active members of each organisation")
    parser.add_argument("--emails", type=int, default=1_000, help="emails sent by the worker, each run")
    parser.add_argument(
        "--naive-emails", type=int, default=300, help="emails sent one job each, each run (see above)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure; the best counts")
    parser.add_argument("--profile", type=Path, help="directory for one profiled run of each (see above)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    expected = (args.orgs, args.orgs * args.members)

    os.environ.update(env())  # before django.setup(): this process fans out in-process
    flush_redis()
    print(f"setting up {args.orgs:,} organisations x {args.members} members ...", flush=True)
    setup_database(args.orgs, args.members)
    import django

    django.setup()
    from django.db import connections

    try:
        event_id = store_event()
        rows = None
        fan_out, bare, chunked, naive = [], [], [], []
        # Interleaved, each the best of its runs: the machine is shared and its load drifts.
        for run in range(args.runs):
            fan_out.append(fan_out_run(event_id, expected))
            if rows is None:
                rows = fanned_out_rows()
            bare.append(copy_run(rows))
            chunked.append(email_run(args.emails, one_job_each=False))
            naive.append(email_run(args.naive_emails, one_job_each=True))
            print(
                f"run {run + 1}: fan-out {fan_out[-1]:.2f} s, COPY {bare[-1]:.2f} s, "
                f"emails {chunked[-1][0]:,.0f}/s in chunks, {naive[-1][0]:,.0f}/s one job each",
                flush=True,
            )
        flush_redis()
        empty_worker = min(worker_run() for _ in range(args.runs))  # start-up and exit, no jobs
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            profile_fan_out(event_id, expected, args.profile)
            for name, one_job_each in (("chunked", False), ("naive", True)):
                count = args.naive_emails if one_job_each else args.emails
                rate = email_run(count, one_job_each, args.profile / f"worker-{name}.txt")[0]
                print(f"profiled worker ({name}): {rate:,.0f} emails/s under py-spy")
    finally:
        connections.close_all()
        flush_redis()
        if not args.keep:
            with admin_connect() as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")

    written = sum(len(r) for r in rows)
    fan_out_s, bare_s = min(fan_out), min(bare)
    chunked_rate, chunk_jobs, chunked_sent, chunked_inside = max(chunked)
    naive_rate, naive_jobs, naive_sent, naive_inside = max(naive)
    out = io.StringIO()
    out.write("| measure | value |\n|---|---|\n")
    out.write(
        f"| fan-out: 1 event, {args.orgs:,} organisations x {args.members} members | "
        f"{len(rows[2]):,} notifications + {len(rows[1]):,} user notifications + {len(rows[0]):,} deliveries "
        f"= {written:,} rows |\n"
    )
    out.write(f"| `fan_out_events`, seconds (best of {len(fan_out)}) | {fan_out_s:.2f} |\n")
    out.write(f"| fan-out, rows/s | {written / fan_out_s:,.0f} |\n")
    out.write(f"| fan-out, notifications/s | {len(rows[2]) / fan_out_s:,.0f} |\n")
    out.write(f"| bare COPY of the same rows, rows/s (best of {len(bare)}) | {written / bare_s:,.0f} |\n")
    out.write(f"| ratio fan-out / bare COPY | **{bare_s / fan_out_s:.2f}** |\n")
    out.write(
        f"| emails/s, one worker, our jobs ({chunk_jobs} jobs of 100) (best of {len(chunked)}) | "
        f"{chunked_rate:,.0f} |\n"
    )
    out.write(
        f"| emails/s, one worker, one job per email ({naive_jobs:,} jobs) (best of {len(naive)}) | "
        f"{naive_rate:,.0f} |\n"
    )
    out.write(f"| ratio ours / one job per email | **{chunked_rate / naive_rate:.1f}** |\n")
    out.write(
        f"| time inside the job functions, ms per email (share of the worker's time): ours, one job each | "
        f"{1000 * chunked_inside / chunked_rate:.1f} ({chunked_inside:.0%}), "
        f"{1000 * naive_inside / naive_rate:.1f} ({naive_inside:.0%}) |\n"
    )
    out.write(
        f"| worker start-up and exit, empty queue, seconds (best of {args.runs}) | {empty_worker:.2f} |\n"
    )
    out.write(
        f"| deliveries sent exactly once / expected | {chunked_sent:,} / {args.emails:,} (ours), "
        f"{naive_sent:,} / {args.naive_emails:,} (one job each) |\n"
    )
    print(out.getvalue())


if __name__ == "__main__":
    main()
