"""Every query the feed's pages run for a member is served by an index, not by reading a whole big
table: the feed page (plain and with each filter), the feed API, an item page and a client page,
checked with PostgreSQL's EXPLAIN.

A test database holds a few hundred rows, and on a table that small PostgreSQL rightly prefers to
read it all; loading a practice's 100,000 notifications for each test would take minutes. So the
plans are asked for with `enable_seqscan = off`: the planner then reads a whole table only when
no index can serve the query at all, which is exactly what this file is here to catch.
bench/feed_load.py measures the same pages at full size (BENCHMARKS.md, "The feed under load").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import (
    ClientListEntry,
    Notification,
    NotificationChange,
    NotificationNote,
    NotificationWork,
    UserNotification,
)

pytestmark = pytest.mark.django_db

BIG_TABLES = {
    "notifications_notification",
    "notifications_usernotification",
    "notifications_notificationwork",
    "notifications_notificationnote",
    "notifications_notificationchange",
    "notifications_clientlistentry",
}
EXPLAINED = ("SELECT", "UPDATE", "DELETE")  # BEGIN, COMMIT, SAVEPOINT and the session's INSERT: no plan


@pytest.fixture
def a_busy_month(ashford_list, alice, carol):
    """Ashford's last month: 300 notifications about its two clients, a copy of each for Alice
    and Carol (most read), a third dealt with by Carol, some assigned to Alice, and notes."""
    ashford, now = ashford_list.organisation, timezone.now()
    numbers = list(
        ClientListEntry.objects.filter(client_list=ashford_list).values_list("company_id", flat=True)
    )
    made = Notification.objects.bulk_create(
        Notification(
            organisation=ashford,
            company_id=numbers[i % len(numbers)],
            company_name="Green Leaf Cafe Ltd" if i % 2 == 0 else "McLeod Fishing Ltd",
            client_references=["ASH-001" if i % 2 == 0 else "ASH-002"],
            category="officers" if i % 3 == 0 else "accounts",
            severity="urgent" if i % 3 == 0 else "info",
            title=f"Appointment of Jane SMITH as a director ({i})",
            stream="filings",
            timepoint=1000 + i,
            published_at=now - timedelta(hours=300 - i),
        )
        for i in range(300)
    )
    UserNotification.objects.bulk_create(
        UserNotification(notification=n, user=member, organisation=ashford, read_at=None if i > 280 else now)
        for i, n in enumerate(made)
        for member in (alice, carol)
    )
    NotificationWork.objects.bulk_create(
        NotificationWork(notification=n, done_at=now, done_by=carol, done_by_name="carol")
        if i % 6 == 0
        else NotificationWork(notification=n, assignee=alice)
        for i, n in enumerate(made[::3])
    )
    NotificationChange.objects.bulk_create(
        NotificationChange(notification=n, action="done", actor=carol, actor_name="carol") for n in made[::3]
    )
    NotificationNote.objects.bulk_create(
        NotificationNote(notification=n, author=carol, author_name="carol", text="Rang them.")
        for n in made[::7]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ashford, made


def whole_table_reads(sql: str) -> list[str]:
    """The big tables that the plan of `sql` reads whole (a Seq Scan), with index scans only as
    the planner's preference (see the module's docstring)."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("SET enable_seqscan = on")
    found, nodes = [], [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
            found.append(node["Relation Name"])
        nodes.extend(node.get("Plans", []))
    return found


def queries_of(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(EXPLAINED)]


def assert_indexed(client: Client, url: str) -> None:
    checked = queries_of(client, url)
    assert checked, f"{url} ran no query to check"
    unindexed = [(tables, sql) for sql in checked if (tables := whole_table_reads(sql))]
    assert not unindexed, f"{url}: whole-table reads {unindexed}"


def as_member(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?page=2",
        "?show=all&q=ASH-002",
        "?q=Green",
        "?q=09876543",
        "?show=done",
        "?show=mine",
        "?show=unassigned",
        "?unread=1",
        "?category=officers&severity=urgent",
        "?list={list}",
    ],
)
def test_every_query_of_alices_feed_page_uses_an_index(a_busy_month, alice, ashford_list, query):
    ashford, _ = a_busy_month
    url = reverse("feed", args=[ashford.pk]) + query.format(list=ashford_list.pk)
    assert_indexed(as_member(alice), url)


def test_every_query_of_the_feed_api_catching_alice_up_uses_an_index(a_busy_month, alice):
    ashford, made = a_busy_month
    api = reverse("feed_api", args=[ashford.pk])
    assert_indexed(as_member(alice), f"{api}?after={made[-20].pk}")
    assert_indexed(as_member(alice), f"{api}?ids={made[-1].pk},{made[-2].pk}")


def test_every_query_of_an_item_page_carol_opens_uses_an_index(a_busy_month, carol):
    ashford, made = a_busy_month
    assert_indexed(as_member(carol), reverse("feed_item", args=[ashford.pk, made[-7].pk]))


def test_every_query_of_a_client_page_uses_an_index(a_busy_month, alice):
    ashford, made = a_busy_month
    assert_indexed(as_member(alice), reverse("feed_client", args=[ashford.pk, made[0].company_id]))


def test_the_check_finds_a_query_that_reads_a_whole_big_table(a_busy_month):
    """The check can fail: a search of the notes' text has no index to use."""
    assert whole_table_reads("SELECT id FROM notifications_notificationnote WHERE text LIKE '%Rang%'") == [
        "notifications_notificationnote"
    ]
