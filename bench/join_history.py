"""Benchmark: a new member's last 30 days. On joining a practice, `give_recent_history` gives them
an unread copy (UserNotification) of each of the practice's notifications of the last 30 days: the
newest 500 in the join's own transaction, the rest by jobs in chunks of 5,000, each one INSERT ...
SELECT ... ON CONFLICT DO NOTHING inside PostgreSQL. The target: joining a practice with 100,000
notifications takes under a second.

Run by hand (not part of make test), on a machine with PostgreSQL:

    .venv/bin/python bench/join_history.py [--notifications 100000] [--runs 3] [--keep]

It creates (and afterwards drops, unless --keep) its own database `clientwatch_bench_join` next to
DATABASE_URL's, migrates it and loads with COPY:

- the practice joined: `--notifications` notifications spread over the last 30 days, and 20,000
  older ones (31 to 89 days old, inside the retention period) that must not be copied;
- another practice with 50,000 notifications of the last 30 days, which must not be copied either;
- the rows the existing members already have, as fan-out made them: 5 members of the practice with
  a UserNotification for every one of its notifications, 3 of the other's; 90% of them read.

Then, for `--runs` fresh users each, interleaved (each way first in turn):

- **ours**: the join's part of `give_recent_history` in a transaction, commit included, as
  `accept` calls it, and then the chunks its jobs copy, each in its own transaction;
- **naive**, the baseline: the ORM reads the ids of the same notifications and
  `UserNotification.objects.bulk_create(..., batch_size=1000, ignore_conflicts=True)` writes them
  (`ignore_conflicts` for the same meaning as ON CONFLICT DO NOTHING), in a transaction;
- **bare**, the floor: ours's statement into `bare_usernotification`, a plain copy of the table
  (same columns, indexes, unique constraint and existing rows, no foreign keys), in a transaction.

Ours and naive are timed with the commit apart too: Django makes foreign keys DEFERRABLE INITIALLY
DEFERRED, so their checks (three a row here) run at the commit. Each run of ours and naive is
checked: as many rows as expected, all unread, all of that practice and of the last 30 days, once
each. After the first run of ours the same call again (nothing left to add) is timed, and after
each the feed page's queries for the new member (the paginator's count, the first 25 rows, the
unread count); after the last run, the same for an existing member, and for the last new member
once more after `ANALYZE`. It prints a table for BENCHMARKS.md and the plan of the new member's
first page; nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "clientwatch_bench_join"
PRACTICE, OTHER = 1, 2  # organisation ids
OLDER = 20_000  # the practice's notifications older than 30 days
OTHERS = 50_000  # the other practice's, of the last 30 days
MEMBERS, OTHER_MEMBERS = 5, 3  # existing members, with their UserNotification rows
COMPANIES = 200
READ_SHARE = 0.9  # of the existing members' rows
DAYS = 30  # notifications.practices.people.HISTORY_DAYS
# The recent notifications start MARGIN inside the 30 days (the older ones a day outside), so the
# runs must end within MARGIN / 2 of the load for the expected count to hold.
MARGIN = timedelta(hours=2)
# As bench/fanout_throughput.py loads them
NOTIFICATION_COLUMNS = (
    "id, organisation_id, event_id, company_number, company_name, client_references, category, severity, "
    "title, body, links, stream, timepoint, published_at, created_at"
)
USER_NOTIFICATION_COLUMNS = "notification_id, user_id, organisation_id, read_at"
BARE = "bare_usernotification"
CATEGORIES = ("officers", "accounts", "confirmation-statement", "address", "persons-with-significant-control")
SEVERITIES = {"officers": "urgent", "address": "urgent", "accounts": "normal"}


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    return urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE}"))


def admin_connect():
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test"))
    return psycopg.connect(urlunsplit(base._replace(path="/postgres")), autocommit=True)


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": bench_database_url(),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "DEBUG": "false",  # as deployed: DEBUG keeps every query in memory
    }


def company_number(i: int) -> str:
    return f"{9_000_000 + i:08d}"


def notification_times(count: int, older: int, others: int, now: datetime, rng: random.Random) -> list:
    """(created_at, organisation) of every notification, oldest first, so ids grow with time."""
    window = (timedelta(days=DAYS) - MARGIN).total_seconds()
    rows = [(now - timedelta(seconds=rng.uniform(60, window)), PRACTICE) for _ in range(count)]
    rows += [(now - timedelta(days=rng.uniform(DAYS + 1, 89)), PRACTICE) for _ in range(older)]
    rows += [(now - timedelta(seconds=rng.uniform(60, window)), OTHER) for _ in range(others)]
    rows.sort()
    return rows


def notification_row(id_: int, created_at: datetime, org: int, rng: random.Random) -> tuple:
    number = company_number(rng.randrange(COMPANIES))
    category = rng.choice(CATEGORIES)
    link = f"https://find-and-update.company-information.service.gov.uk/company/{number}/filing-history"
    return (
        id_,
        org,
        None,
        number,
        f"BENCH {number} LIMITED",
        f'["REF-{org}-{number[-3:]}"]',
        category,
        SEVERITIES.get(category, "info"),
        f"Appointment of Jane SMITH as a director ({category})",
        "Jane SMITH was appointed a director on 10 March 2025. Filed on 12 March 2025 (AP01).",
        f'[{{"label": "Filing history", "url": "{link}"}}]',
        "filings",
        1_000_000 + id_,
        created_at - timedelta(minutes=1),
        created_at,
    )


def setup_database(count: int, fresh_users: int) -> tuple[datetime, dict[str, int]]:
    """Loads everything (see the docstring); returns when the 30 days were counted from, and the
    rows loaded."""
    with admin_connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
    rng = random.Random(20261201)
    now = datetime.now(UTC)
    at = now - timedelta(days=400)
    times = notification_times(count, OLDER, OTHERS, now, rng)
    members = {PRACTICE: range(1, MEMBERS + 1), OTHER: range(MEMBERS + 1, MEMBERS + OTHER_MEMBERS + 1)}
    users = MEMBERS + OTHER_MEMBERS + fresh_users
    reads = 0
    with psycopg.connect(bench_database_url()) as conn:
        cur = conn.cursor()
        with cur.copy(
            "COPY notifications_company (company_number, name, status, updated_at) FROM STDIN"
        ) as cp:
            for i in range(COMPANIES):
                cp.write_row((company_number(i), f"BENCH {company_number(i)} LIMITED", "active", at))
        with cur.copy(
            "COPY notifications_organisation (id, name, time_zone, muted_categories, created_at) FROM STDIN"
        ) as cp:
            cp.write_row((PRACTICE, "Bench Practice", "Europe/London", "[]", at))
            cp.write_row((OTHER, "Other Practice", "Europe/London", "[]", at))
        with cur.copy(
            "COPY auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) FROM STDIN"
        ) as cp:
            for user in range(1, users + 1):
                cp.write_row(
                    (user, "!", False, f"user{user}", "", "", f"user{user}@example.com", False, True, at)
                )
        with cur.copy(
            "COPY notifications_membership (organisation_id, user_id, role, joined_at) FROM STDIN"
        ) as cp:
            for org, people in members.items():
                for user in people:
                    cp.write_row((org, user, "admin" if user == people[0] else "member", at))
        with cur.copy(f"COPY notifications_notification ({NOTIFICATION_COLUMNS}) FROM STDIN") as cp:
            for id_, (created_at, org) in enumerate(times, start=1):
                cp.write_row(notification_row(id_, created_at, org, rng))
        with cur.copy(f"COPY notifications_usernotification ({USER_NOTIFICATION_COLUMNS}) FROM STDIN") as cp:
            for id_, (created_at, org) in enumerate(times, start=1):
                for user in members[org]:
                    read_at = created_at + timedelta(hours=3) if rng.random() < READ_SHARE else None
                    cp.write_row((id_, user, org, read_at))
                    reads += 1
        for table in ("notifications_organisation", "auth_user", "notifications_notification"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cur.execute(f"CREATE TABLE {BARE} (LIKE notifications_usernotification INCLUDING ALL)")
        cur.execute(f"INSERT INTO {BARE} SELECT * FROM notifications_usernotification")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{BARE}', 'id'), (SELECT max(id) FROM {BARE}))")
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return now, {"notifications": len(times), "reads": reads, "first_fresh_user": MEMBERS + OTHER_MEMBERS + 1}


def join(user_id: int):
    """The user becomes a member (not timed: `accept` makes the membership, then the history)."""
    from django.contrib.auth import get_user_model

    from notifications.models import Membership

    user = get_user_model().objects.get(pk=user_id)
    Membership.objects.create(organisation_id=PRACTICE, user=user, role=Membership.Role.MEMBER)
    return user


def ours(organisation, user) -> tuple[float, int, float]:
    """(seconds of the join, rows made in all, seconds of the rest): what `give_recent_history`
    does in the join's transaction (the newest HISTORY_AT_ONCE, commit included, as `accept` calls
    it), then the jobs it queues, each chunk of HISTORY_CHUNK its own transaction, run here in turn
    (RQ's own overhead left out)."""
    from django.db import transaction
    from django.utils import timezone

    from notifications.practices import people

    since = timezone.now() - timedelta(days=people.HISTORY_DAYS)
    started = time.perf_counter()
    with transaction.atomic():
        made, before = people.copy_history(
            organisation.pk, user.pk, since, before_id=None, limit=people.HISTORY_AT_ONCE
        )
    joined = time.perf_counter()
    if made == people.HISTORY_AT_ONCE:  # the rest, as the queued jobs copy it
        while True:
            with transaction.atomic():
                chunk, oldest = people.copy_history(
                    organisation.pk, user.pk, since, before_id=before, limit=people.HISTORY_CHUNK
                )
            made += chunk
            if chunk < people.HISTORY_CHUNK:
                break
            before = oldest
    done = time.perf_counter()
    return joined - started, made, done - joined


def naive(organisation, user) -> tuple[float, int, float]:
    from django.db import transaction
    from django.utils import timezone

    from notifications.models import Notification, UserNotification

    started = time.perf_counter()
    with transaction.atomic():
        since = timezone.now() - timedelta(days=DAYS)
        ids = list(
            Notification.objects.filter(organisation=organisation, created_at__gte=since).values_list(
                "id", flat=True
            )
        )
        UserNotification.objects.bulk_create(
            [UserNotification(notification_id=i, user=user, organisation=organisation) for i in ids],
            batch_size=1000,
            ignore_conflicts=True,
        )
        stated = time.perf_counter()
    done = time.perf_counter()
    return done - started, len(ids), done - stated


def bare(organisation, user) -> tuple[float, int, float]:
    """The floor: `give_recent_history`'s statement into BARE, a plain copy of the table (same
    columns, indexes, unique constraint and rows, no foreign keys), in a transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE} (notification_id, user_id, organisation_id, read_at) "
            "SELECT id, %s, organisation_id, NULL FROM notifications_notification "
            "WHERE organisation_id = %s AND created_at >= %s "
            "ON CONFLICT (notification_id, user_id) DO NOTHING",
            [user.pk, organisation.pk, timezone.now() - timedelta(days=DAYS)],
        )
        made = cursor.rowcount
        stated = time.perf_counter()
    done = time.perf_counter()
    return done - started, made, done - stated


def check(user_id: int, expected: int, since: datetime) -> int:
    """The user's rows: exactly the practice's notifications since `since`, each once, unread."""
    with psycopg.connect(bench_database_url()) as conn:
        total, unread, practice_only, recent, distinct = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE un.read_at IS NULL), "
            "count(*) FILTER (WHERE un.organisation_id = %(org)s AND n.organisation_id = %(org)s), "
            "count(*) FILTER (WHERE n.created_at >= %(since)s), count(DISTINCT un.notification_id) "
            "FROM notifications_usernotification un JOIN notifications_notification n ON n.id = un.notification_id "
            "WHERE un.user_id = %(user)s",
            {"org": PRACTICE, "since": since, "user": user_id},
        ).fetchone()
    if not total == unread == practice_only == recent == distinct == expected:
        raise RuntimeError(
            f"user {user_id}: {total} rows, {unread} unread, {practice_only} of the practice, {recent} of "
            f"the last {DAYS} days, {distinct} distinct; expected {expected} of each"
        )
    return total


def feed_page(user, organisation_id: int, unread_share: float = 1.0) -> tuple[float, float, float]:
    """Seconds of the feed page's queries for the member, as `feed_page` runs them: the paginator's
    count, the first page's rows, the unread count."""
    from django.core.paginator import Paginator

    from notifications.feed import queries as feed

    paginator = Paginator(feed.items(user, organisation_id), feed.PAGE_SIZE)
    started = time.perf_counter()
    count = paginator.count
    counted = time.perf_counter()
    rows = list(paginator.page(1).object_list)
    listed = time.perf_counter()
    unread = feed.unread_count(user, organisation_id)
    done = time.perf_counter()
    if len(rows) != feed.PAGE_SIZE or not 0 < unread <= count or (unread_share == 1 and unread != count):
        raise RuntimeError(f"feed: {count} items, {len(rows)} on the page, {unread} unread")
    return counted - started, listed - counted, done - listed


def plan(user) -> str:
    """PostgreSQL's plan for the feed's first page of the member, for reading."""
    from notifications.feed import queries as feed

    return feed.items(user, PRACTICE)[: feed.PAGE_SIZE].explain(analyze=True, buffers=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--notifications", type=int, default=100_000, help="the practice's notifications of the last 30 days"
    )
    parser.add_argument("--runs", type=int, default=3, help="fresh users for each way; the best run counts")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    expected = args.notifications

    os.environ.update(env())  # before django.setup(): this process joins in-process
    print(
        f"setting up {args.notifications:,} + {OLDER:,} older + {OTHERS:,} other notifications ...",
        flush=True,
    )
    started = time.perf_counter()
    loaded_at, loaded = setup_database(args.notifications, 2 * args.runs)
    print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    since = loaded_at - timedelta(days=DAYS) + MARGIN / 2  # between the newest older and the oldest recent
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, connections

    from notifications.models import Organisation

    results: dict[str, list[tuple[float, int, float]]] = {"ours": [], "naive": [], "bare": []}
    feeds, checked = [], []
    again, first_plan = None, ""
    try:
        organisation = Organisation.objects.get(pk=PRACTICE)
        user_id = loaded["first_fresh_user"]
        ways = [("ours", ours), ("naive", naive), ("bare", bare)]
        for run in range(args.runs):
            # Interleaved, each first in turn: the machine is shared and its load drifts.
            for name, way in ways[run % 3 :] + ways[: run % 3]:
                if datetime.now(UTC) - loaded_at > MARGIN / 2:
                    raise RuntimeError("the run took so long that the 30 days moved past the data's margin")
                user = join(user_id) if name != "bare" else get_user_model()(pk=user_id + 1_000_000)
                result = way(organisation, user)
                if result[1] != expected:
                    raise RuntimeError(f"{name}: made {result[1]:,} rows, expected {expected:,}")
                results[name].append(result)
                if name == "bare":
                    continue
                checked.append(check(user_id, expected, since))
                if name == "ours":
                    feeds.append(feed_page(user, PRACTICE))
                    newest = user
                    if again is None:
                        first_plan = plan(user)
                        again = ours(organisation, user)  # (it looks at every row again, adds none)
                        check(user_id, expected, since)
                user_id += 1
            print(
                f"run {run + 1}: "
                + ", ".join(f"{name} {times[-1][0]:.3f} s" for name, times in results.items())
                + f", feed page {1000 * sum(feeds[-1]):.0f} ms",
                flush=True,
            )
        member = feed_page(
            get_user_model().objects.get(pk=2), PRACTICE, 1 - READ_SHARE
        )  # there from the start
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notifications_usernotification")
        analysed = feed_page(newest, PRACTICE)
    finally:
        connections.close_all()
        if not args.keep:
            with admin_connect() as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")

    print(report(args, loaded, results, again, checked, feeds, member, analysed))
    print("The new member's first feed page, as PostgreSQL ran it in run 1 (before ANALYZE):")
    print(first_plan)


def report(args, loaded, results, again, checked, feeds, member, analysed) -> str:
    expected = args.notifications
    best = {name: min(times) for name, times in results.items()}  # by total seconds
    ours_s, naive_s, bare_s = best["ours"][0], best["naive"][0], best["bare"][0]

    def runs(name: str) -> str:
        return ", ".join(f"{t[0]:.2f}" for t in results[name])

    def ms(seconds: tuple[float, float, float]) -> str:
        return " / ".join(f"{1000 * s:.1f}" for s in seconds)

    out = io.StringIO()
    out.write("| measure | value |\n|---|---|\n")
    out.write(
        f"| loaded | the practice: {expected:,} notifications of the last {DAYS} days + {OLDER:,} older; "
        f"another: {OTHERS:,}; {loaded['reads']:,} UserNotification rows of {MEMBERS + OTHER_MEMBERS} "
        f"existing members ({READ_SHARE:.0%} read) |\n"
    )
    out.write(
        f"| the join: the newest 500 in its transaction, commit included, seconds (best of "
        f"{len(results['ours'])}; all: {runs('ours')}) | **{ours_s:.3f}** |\n"
    )
    out.write(
        f"| then the rest by jobs, chunks of 5,000 each its own transaction, seconds | "
        f"{best['ours'][2]:.2f} |\n"
    )
    whole = ours_s + best["ours"][2]
    out.write(f"| join and jobs together, seconds / rows/s | {whole:.2f} / {expected / whole:,.0f} |\n")
    out.write(
        f"| naive: ORM ids + `bulk_create(batch_size=1000)`, seconds (best of {len(results['naive'])}; all: "
        f"{runs('naive')}) | {naive_s:.2f} (commit {best['naive'][2]:.2f}) |\n"
    )
    out.write(f"| naive, rows/s | {expected / naive_s:,.0f} |\n")
    out.write(f"| ratio naive / ours (join and jobs together), seconds | **{naive_s / whole:.1f}x** |\n")
    out.write(
        f"| bare: the same statement into a copy of the table without foreign keys, seconds (best of "
        f"{len(results['bare'])}; all: {runs('bare')}) | {bare_s:.2f} (commit {best['bare'][2]:.3f}) |\n"
    )
    out.write(f"| ratio bare / ours (join and jobs together) | {bare_s / whole:.2f} |\n")
    slowest = max(t[0] for t in results["ours"])
    met = "met" if slowest < 1 else ("met at best" if ours_s < 1 else "NOT met")
    out.write(f"| target: joining under 1 s with {expected:,} | **{met}** (slowest join {slowest:.3f} s) |\n")
    out.write(
        f"| the same join and jobs again (nothing left to add), seconds | {again[0] + again[2]:.2f} |\n"
    )
    out.write(
        f"| rows checked / expected (each run of ours and naive: unread, that practice's, last {DAYS} "
        f"days, once each) | {sum(checked):,} / {expected * len(checked):,} |\n"
    )
    best_feed = tuple(min(f[i] for f in feeds) for i in range(3))
    out.write(
        f"| feed page for the new member, ms (best of {len(feeds)}): count / first 25 rows / unread count | "
        f"{ms(best_feed)} |\n"
    )
    out.write(f"| the same, for the last new member after `ANALYZE` | {ms(analysed)} |\n")
    out.write(f"| the same, for a member there from the start (10% unread) | {ms(member)} |\n")
    return out.getvalue()


if __name__ == "__main__":
    main()
