"""Fan-out: one notification per watching organisation, read state per member, email per
preferences; idempotent; live push and delivery jobs after commit."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from notifications import queueing
from notifications.content.categories import Category, EmailMode, Severity
from notifications.fan_out import fan_out_events
from notifications.feed.live import group_name
from notifications.models import (
    ClientList,
    ClientListEntry,
    Delivery,
    Notification,
    Organisation,
    UserNotification,
    UserPreferences,
)
from streams.models import Event
from tests.notifykit import run_jobs, stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def baxter_watches_green_leaf(baxter, bob):
    client_list = ClientList.objects.create(organisation=baxter, name="Baxter main")
    ClientListEntry.objects.create(client_list=client_list, company_id="09876543", client_reference="BAX-9")
    return client_list


def test_each_watching_organisation_gets_one_notification_and_others_none(
    ashford_list, alice, carol, baxter_watches_green_leaf, bob
):
    Organisation.objects.create(name="Unrelated LLP")
    event = stored_filing("09876543")

    result = fan_out_events([event.id])

    notifications = {n.organisation.name: n for n in Notification.objects.select_related("organisation")}
    assert set(notifications) == {"Ashford & Co Chartered Accountants", "Baxter Partners"}
    ashford_note = notifications["Ashford & Co Chartered Accountants"]
    assert ashford_note.client_references == ["ASH-001"]
    assert notifications["Baxter Partners"].client_references == ["BAX-9"]
    assert ashford_note.company_name == "Green Leaf Cafe Ltd"
    assert (ashford_note.category, ashford_note.severity) == (Category.ACCOUNTS, Severity.INFO)
    assert ashford_note.timepoint == event.timepoint and ashford_note.published_at == event.published_at
    assert ashford_note.title and "09876543" in ashford_note.links[0]["url"]
    readers = {(r.notification.organisation.name, r.user.username) for r in UserNotification.objects.all()}
    assert readers == {
        ("Ashford & Co Chartered Accountants", "alice"),
        ("Ashford & Co Chartered Accountants", "carol"),
        ("Baxter Partners", "bob"),
    }
    assert result.notifications == 2
    event.refresh_from_db()
    assert event.fanned_out_at is not None


def test_an_event_fanned_out_again_creates_nothing_new(ashford_list, alice, carol):
    UserPreferences.objects.create(user=carol, modes={Category.ACCOUNTS: EmailMode.IMMEDIATE})
    event = stored_filing("09876543")
    fan_out_events([event.id])
    counts = (Notification.objects.count(), UserNotification.objects.count(), Delivery.objects.count())
    assert counts == (1, 2, 1)

    assert fan_out_events([event.id]).notifications == 0  # already fanned out: skipped
    Event.objects.filter(id=event.id).update(fanned_out_at=None)  # as if that commit was lost
    fan_out_events([event.id])

    assert (
        Notification.objects.count(),
        UserNotification.objects.count(),
        Delivery.objects.count(),
    ) == counts


def test_emails_follow_each_members_preferences_and_urgent_news_goes_at_once(ashford_list, alice, carol):
    UserPreferences.objects.create(user=carol, modes={Category.ACCOUNTS: EmailMode.IMMEDIATE})
    routine = stored_filing("09876543")  # accounts: alice's default is the digest
    urgent = stored_officer_change("09876543")
    fan_out_events([routine.id, urgent.id])

    emailed = sorted(
        (d.notification.category, d.user.username, d.status)
        for d in Delivery.objects.select_related("user", "notification")
    )
    assert emailed == [
        (Category.ACCOUNTS, "carol", "pending"),
        (Category.OFFICERS, "alice", "pending"),
        (Category.OFFICERS, "carol", "pending"),
    ]


def test_no_email_for_a_member_who_turned_email_or_urgent_emails_off(ashford_list, alice, carol):
    UserPreferences.objects.create(user=alice, email_enabled=False)
    UserPreferences.objects.create(
        user=carol, urgent_immediately=False, modes={Category.OFFICERS: EmailMode.DIGEST}
    )
    fan_out_events([stored_officer_change("09876543").id])
    assert Notification.objects.count() == 1
    assert UserNotification.objects.count() == 2  # both still see it in the feed
    assert not Delivery.objects.exists()


def test_an_organisation_that_mutes_a_category_gets_no_notification_of_it(ashford_list, alice):
    Organisation.objects.filter(pk=ashford_list.organisation_id).update(muted_categories=[Category.ACCOUNTS])
    fan_out_events([stored_filing("09876543").id, stored_officer_change("09876543").id])
    assert list(Notification.objects.values_list("category", flat=True)) == [Category.OFFICERS]


def test_after_commit_browsers_get_a_live_push_and_delivery_jobs_are_queued(
    ashford_list, alice, redis_client, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    group = group_name(ashford_list.organisation_id)
    event = stored_officer_change("09876543")

    def fan_out_and_commit():
        with django_capture_on_commit_callbacks(execute=True):
            fan_out_events([event.id])

    async def browser_meanwhile():  # (the pub/sub layer's channels live in one event loop)
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            await sync_to_async(fan_out_and_commit)()
            return await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            await layer.group_discard(group, channel)

    message = async_to_sync(browser_meanwhile)()
    notification = Notification.objects.get()
    assert message == {"type": "notifications.new", "ids": [notification.id]}
    delivery = Delivery.objects.get()
    queued = queueing.queue().get_jobs()
    assert [(j.func_name, j.args) for j in queued] == [("notifications.jobs.deliver", ([delivery.id],))]


def test_the_fan_out_job_runs_on_a_real_queue_with_ids_only(
    ashford_list, alice, redis_client, django_capture_on_commit_callbacks
):
    events = [stored_filing("09876543"), stored_filing("SC123456")]
    queueing.enqueue_fan_out([e.id for e in events])
    with django_capture_on_commit_callbacks(execute=True):
        assert run_jobs() == 1  # one job for the batch, not one per event
    assert Notification.objects.count() == 2
