"""The feed over HTTP: each member sees their own organisation's notifications, filtered and
paginated, with exact unread counts; read state per user; isolation; CH text escaped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from notifications.fan_out import fan_out_events
from notifications.models import ClientList, ClientListEntry, Membership, Notification, UserNotification
from streams.models import Company
from tests.notifykit import stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def news(ashford_list, alice, carol, baxter_list, bob):
    """Ashford: an urgent officer change (Green Leaf) and a routine filing (McLeod); Baxter: one."""
    events = [stored_filing("SC123456"), stored_officer_change("09876543"), stored_officer_change("NI654321")]
    fan_out_events([e.id for e in events])
    return events


def feed_url(org) -> str:
    return reverse("feed", args=[org.id])


def titles(response) -> list[str]:
    return [row.notification.title for row in response.context["page"].object_list]


def test_the_feed_needs_a_login(client, ashford):
    response = client.get(feed_url(ashford))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/").url == "/feed/"


def test_a_member_sees_their_organisations_news_newest_first_with_what_an_accountant_needs(
    client, news, carol
):
    client.force_login(carol)
    response = client.get("/feed/", follow=True)
    page = response.content.decode()
    assert titles(response) == [
        "Officer appointed: SMITH, Jane (Director)",
        "Micro company accounts made up to 30 June 2024",
    ]
    assert "Green Leaf Cafe Ltd" in page and "(09876543)" in page and "Your ref: ASH-001" in page
    assert "Published 14 March 2025" in page
    assert 'class="item unread urgent"' in page
    assert "https://find-and-update.company-information.service.gov.uk/company/09876543" in page
    assert "<title>(2) Feed: Ashford &amp; Co Chartered Accountants | Client Watch</title>" in page
    assert "BAX-SECRET-1" not in page and "Byrne" not in page


def test_another_organisations_feed_and_api_do_not_exist_for_a_non_member(client, news, carol, baxter):
    client.force_login(carol)
    assert client.get(feed_url(baxter)).status_code == 404
    assert client.get(reverse("feed_api", args=[baxter.id])).status_code == 404
    assert client.post(reverse("feed_read_all", args=[baxter.id])).status_code == 404
    assert UserNotification.objects.filter(user__username="bob", read_at=None).count() == 1


def test_filters_by_category_severity_client_list_company_and_unread(client, news, carol, ashford_list):
    client.force_login(carol)
    url = feed_url(ashford_list.organisation)
    assert len(titles(client.get(url, {"category": "officers"}))) == 1
    assert len(titles(client.get(url, {"severity": "urgent"}))) == 1
    assert len(titles(client.get(url, {"company": "mcleod"}))) == 1
    assert len(titles(client.get(url, {"company": "09876543"}))) == 1
    assert len(titles(client.get(url, {"company": "sc 123456"}))) == 1
    other = ClientList.objects.create(organisation=ashford_list.organisation, name="Scottish clients")
    ClientListEntry.objects.create(client_list=other, company_id="SC123456")
    assert len(titles(client.get(url, {"list": other.id}))) == 1
    client.post(reverse("feed_read", args=[ashford_list.organisation_id, titles_ids(client, url)[0]]))
    assert len(titles(client.get(url, {"unread": "1"}))) == 1
    assert len(titles(client.get(url, {"category": "nonsense"}))) == 2  # an unknown filter is no filter


def titles_ids(client, url) -> list[int]:
    return [row.notification_id for row in client.get(url).context["page"].object_list]


def test_reading_one_and_all_is_per_user_and_the_unread_count_is_exact(client, news, alice, carol, ashford):
    client.force_login(carol)
    url = feed_url(ashford)
    first, second = titles_ids(client, url)
    client.post(reverse("feed_read", args=[ashford.id, first]))
    assert client.get(url).context["unread"] == 1
    answer = client.post(reverse("feed_read", args=[ashford.id, second]), HTTP_ACCEPT="application/json")
    assert answer.json() == {"unread": 0}
    client.force_login(alice)
    assert client.get(url).context["unread"] == 2  # alice has read nothing
    client.post(reverse("feed_read_all", args=[ashford.id]), {"upto": client.get(url).context["upto"]})
    assert client.get(url).context["unread"] == 0


def test_the_api_gives_everything_after_an_id_for_catch_up(client, news, carol, ashford):
    client.force_login(carol)
    api = reverse("feed_api", args=[ashford.id])
    everything = client.get(api).json()
    ids = [item["id"] for item in everything["items"]]
    assert ids == sorted(ids) and len(ids) == 2 and everything["unread"] == 2
    assert [i["id"] for i in client.get(api, {"after": ids[0]}).json()["items"]] == ids[1:]
    assert client.get(api, {"after": ids[-1]}).json()["items"] == []
    assert client.get(api, {"after": "x"}).json()["items"][0]["id"] == ids[0]
    item = everything["items"][1]
    assert item["title"].startswith("Officer appointed") and item["client_references"] == ["ASH-001"]


def test_pages_of_older_news(client, ashford_list, carol, settings):
    fan_out_events([stored_filing("09876543").id for _ in range(30)])
    client.force_login(carol)
    first = client.get(feed_url(ashford_list.organisation))
    assert len(titles(first)) == 25 and first.context["live"]
    older = client.get(feed_url(ashford_list.organisation), {"page": 2})
    assert len(titles(older)) == 5 and not older.context["live"]


def test_a_member_of_two_practices_switches_between_them_and_the_choice_is_remembered(
    client, news, carol, baxter
):
    Membership.objects.create(organisation=baxter, user=carol)
    fan_out_events([stored_officer_change("NI654321").id])
    client.force_login(carol)
    page = client.get(feed_url(baxter)).content.decode()
    assert "Baxter Partners" in page and "Ashford &amp; Co" in page  # the switcher names both
    assert "BAX-SECRET-1" in page
    assert client.get("/feed/").url == feed_url(baxter)


def test_someone_in_no_practice_is_told_so(client, operator):
    client.force_login(operator)
    assert "not a member of any practice" in client.get("/feed/").content.decode()


def test_text_from_companies_house_cannot_inject_markup(client, ashford_list, carol):
    Company.objects.filter(pk="09876543").update(name='<img src=x onerror="alert(1)">Evil Ltd')
    fan_out_events([stored_officer_change("09876543", name="<script>alert('x')</script>").id])
    client.force_login(carol)
    page = client.get(feed_url(ashford_list.organisation)).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_an_item_that_reached_us_long_after_ch_published_it_says_how_late(client, carol, ashford_list):
    fan_out_events([stored_officer_change("09876543").id])
    item = Notification.objects.get(organisation=ashford_list.organisation)
    Notification.objects.filter(pk=item.pk).update(published_at=item.created_at - timedelta(hours=3))
    client.force_login(carol)

    page = client.get(f"/feed/{ashford_list.organisation_id}/").content.decode()
    api = client.get(f"/feed/{ashford_list.organisation_id}/api/").json()["items"][0]

    assert "reached us 3 hours later" in page
    assert api["late_by"] == "3 hours"
    Notification.objects.filter(pk=item.pk).update(published_at=item.created_at - timedelta(minutes=4))
    assert "reached us" not in client.get(f"/feed/{ashford_list.organisation_id}/").content.decode()
