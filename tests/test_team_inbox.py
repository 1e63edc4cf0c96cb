"""The team's inbox: a notification is done (or not) for the whole practice, assigned to one of
its members, annotated; every change kept in the item's history and pushed live; "Mark all read"
marks only what the page held; search by what accountants use; an email about an item a colleague
has dealt with is not sent."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.delivery.sending import deliver
from notifications.fan_out import fan_out_events
from notifications.models import (
    ClientListEntry,
    Delivery,
    Notification,
    NotificationChange,
    UserNotification,
    UserPreferences,
)
from streams.models import Company
from tests.notifykit import stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def news(ashford_list, alice, carol):
    """An urgent officer change and routine accounts for Green Leaf Cafe (ASH-001), Ashford's."""
    fan_out_events([stored_officer_change("09876543").id, stored_filing("09876543").id])
    officer, accounts = Notification.objects.filter(organisation=ashford_list.organisation).order_by("id")
    return officer, accounts


def shown(client: Client, organisation, **query) -> list[int]:
    page = client.get(reverse("feed", args=[organisation.pk]), query)
    return [row.notification_id for row in page.context["page"].object_list]


def test_done_is_for_the_whole_practice_and_leaves_the_default_open_view(news, alice, carol, ashford):
    officer, accounts = news
    as_carol, as_alice = logged_in(carol), logged_in(alice)

    response = as_carol.post(reverse("feed_done", args=[ashford.pk, officer.pk]))

    assert response.status_code == 302
    assert shown(as_alice, ashford) == [accounts.pk]  # open: what still needs someone
    assert shown(as_alice, ashford, show="done") == [officer.pk]
    page = as_alice.get(reverse("feed", args=[ashford.pk]), {"show": "done"}).content.decode()
    assert "Done by carol" in page
    item = as_alice.get(reverse("feed_item", args=[ashford.pk, officer.pk])).content.decode()
    assert "Done by carol" in item and "carol marked it done" in item
    assert as_alice.post(reverse("feed_reopen", args=[ashford.pk, officer.pk])).status_code == 302
    assert shown(as_alice, ashford) == [accounts.pk, officer.pk]  # open again, newest first
    actions = list(
        NotificationChange.objects.filter(notification=officer).values_list("action", "actor_name")
    )
    assert actions == [("done", "carol"), ("reopened", "alice")]


def test_an_item_is_assigned_to_a_member_and_the_filters_find_it(news, alice, carol, bob, ashford):
    officer, accounts = news
    as_alice = logged_in(alice)

    as_alice.post(reverse("feed_assign", args=[ashford.pk, officer.pk]), {"assignee": carol.pk})
    refused = as_alice.post(
        reverse("feed_assign", args=[ashford.pk, accounts.pk]),
        {"assignee": bob.pk},
        HTTP_ACCEPT="application/json",
    )

    assert refused.status_code == 400 and "member of the practice" in refused.json()["error"]
    assert shown(logged_in(carol), ashford, show="mine") == [officer.pk]
    assert shown(as_alice, ashford, show="mine") == []
    assert shown(as_alice, ashford, show="unassigned") == [accounts.pk]
    item = as_alice.get(reverse("feed_item", args=[ashford.pk, officer.pk])).content.decode()
    assert "alice assigned it to carol" in item


def test_a_note_is_kept_escaped_with_its_author_and_time(news, alice, ashford):
    officer, _ = news
    as_alice = logged_in(alice)

    as_alice.post(
        reverse("feed_note", args=[ashford.pk, officer.pk]), {"text": "Rang the client <b>today</b>"}
    )
    empty = as_alice.post(reverse("feed_note", args=[ashford.pk, officer.pk]), {"text": "  "}, follow=True)

    page = as_alice.get(reverse("feed_item", args=[ashford.pk, officer.pk])).content.decode()
    assert "Rang the client &lt;b&gt;today&lt;/b&gt;" in page and "<b>today</b>" not in page
    assert "alice added a note" in page
    assert b"Write the note first" in empty.content


def test_the_json_answer_lets_the_page_act_in_place(news, alice, ashford):
    officer, _ = news

    answer = logged_in(alice).post(
        reverse("feed_done", args=[ashford.pk, officer.pk]), HTTP_ACCEPT="application/json"
    )

    item = answer.json()["item"]
    assert (item["id"], item["done"], item["done_by"], item["read"]) == (officer.pk, True, "alice", True)
    assert answer.json()["unread"] == 1


def test_mark_all_read_marks_only_the_filtered_view_and_nothing_that_came_after_the_page(
    news, alice, ashford
):
    officer, accounts = news
    as_alice = logged_in(alice)
    page = as_alice.get(reverse("feed", args=[ashford.pk]), {"category": "accounts"})
    upto = page.context["upto"]
    fan_out_events([stored_filing("09876543").id])  # arrives after the page was loaded
    later = Notification.objects.order_by("-id").first()

    response = as_alice.post(
        reverse("feed_read_all", args=[ashford.pk]),
        {"upto": upto, "category": "accounts", "next": f"/feed/{ashford.pk}/?category=accounts"},
    )

    assert response.url == f"/feed/{ashford.pk}/?category=accounts"  # the same filtered view
    read = dict(UserNotification.objects.filter(user=alice).values_list("notification_id", "read_at"))
    assert read[accounts.pk] is not None
    assert read[officer.pk] is None  # another category: not in the view
    assert read[later.pk] is None  # not on the page when it was loaded


def test_search_finds_the_practices_client_reference_an_earlier_name_and_words_of_the_title(
    news, alice, ashford
):
    officer, accounts = news
    Company.objects.filter(pk="09876543").update(
        profile={
            "company_name": "GREEN LEAF CAFE LTD",
            "previous_company_names": [{"name": "LEAFY BEANS LTD"}],
        }
    )
    as_alice = logged_in(alice)

    assert set(shown(as_alice, ashford, q="ash-001")) == {officer.pk, accounts.pk}
    assert set(shown(as_alice, ashford, q="leafy beans")) == {officer.pk, accounts.pk}
    assert shown(as_alice, ashford, q="micro company accounts") == [accounts.pk]
    assert shown(as_alice, ashford, q="09876543") != []
    assert shown(as_alice, ashford, q="no such thing") == []


def test_another_practices_item_is_404_under_either_practice(news, bob, baxter, alice, ashford):
    officer, _ = news

    assert logged_in(bob).get(reverse("feed_item", args=[ashford.pk, officer.pk])).status_code == 404
    assert logged_in(bob).get(reverse("feed_item", args=[baxter.pk, officer.pk])).status_code == 404
    assert logged_in(bob).post(reverse("feed_done", args=[baxter.pk, officer.pk])).status_code == 404
    assert not NotificationChange.objects.exists()


def test_the_item_page_shows_the_client_its_references_lists_and_other_recent_items(
    news, alice, ashford_list
):
    officer, accounts = news
    ClientListEntry.objects.filter(company_id="09876543").update(client_reference="ASH-001")

    page = (
        logged_in(alice)
        .get(reverse("feed_item", args=[ashford_list.organisation_id, officer.pk]))
        .content.decode()
    )

    assert "your ref ASH-001" in page and "Ashford clients" in page
    assert reverse("feed_item", args=[ashford_list.organisation_id, accounts.pk]) in page  # other news


def test_a_member_is_not_emailed_about_an_item_a_colleague_marked_done_before_it_left(
    news, alice, carol, ashford
):
    officer, _ = news
    UserPreferences.objects.update_or_create(user=alice, defaults={"email_enabled": True})
    delivery = Delivery.objects.filter(notification=officer, user=alice).first()
    if delivery is None:  # (urgent news is emailed at once by default)
        delivery = Delivery.objects.create(notification=officer, user=alice)
    logged_in(carol).post(reverse("feed_done", args=[ashford.pk, officer.pk]))

    outcome = deliver([delivery.pk])

    delivery.refresh_from_db()
    assert outcome.skipped == [delivery.pk]
    assert delivery.status == "skipped" and delivery.last_error.startswith("marked done by carol at ")


def test_the_item_page_links_the_filings_document_once_companies_house_has_one(ashford_list, alice):
    event = stored_filing("09876543", links={"document_metadata": "https://document-api.example/doc/ABC"})
    fan_out_events([event.id])
    n = Notification.objects.get(event=event)

    page = (
        logged_in(alice).get(reverse("feed_item", args=[ashford_list.organisation_id, n.pk])).content.decode()
    )

    tid = event.data["transaction_id"]
    assert f"/company/09876543/filing-history/{tid}/document?format=pdf&amp;download=0" in page


def test_each_item_links_to_its_clients_page_in_the_page_and_the_api(news, alice, ashford):
    client_page = reverse("feed_client", args=[ashford.pk, "09876543"])
    as_alice = logged_in(alice)

    assert f'href="{client_page}"' in as_alice.get(reverse("feed", args=[ashford.pk])).content.decode()
    items = as_alice.get(reverse("feed_api", args=[ashford.pk])).json()["items"]
    assert {item["client_url"] for item in items} == {client_page}
