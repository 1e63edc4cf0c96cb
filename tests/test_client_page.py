"""A client's page, the evidence for the client's file: what CH published about the company that
the practice was told (newest first, by category), its deadlines, its profile, the practice's
references and the notes on its items; the timeline as CSV; a page that prints; and nothing of
another practice's clients, whatever the address says."""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from notifications.deadlines.profiles import local_today
from notifications.fan_out import fan_out_events
from notifications.feed import work
from notifications.models import ClientListEntry, Notification
from streams.models import Company, Officer
from tests.notifykit import stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db

GREEN_LEAF = "09876543"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(organisation, number: str = GREEN_LEAF) -> str:
    return reverse("feed_client", args=[organisation.pk, number])


@pytest.fixture
def news(ashford_list, alice, carol):
    """For Green Leaf Cafe (ASH-001): an urgent officer change, then routine accounts."""
    fan_out_events([stored_officer_change(GREEN_LEAF).id, stored_filing(GREEN_LEAF).id])
    officer, accounts = Notification.objects.filter(organisation=ashford_list.organisation).order_by("id")
    return officer, accounts


def many_items(organisation, count: int) -> list[Notification]:
    """`count` plain accounts notifications about Green Leaf, told to `organisation`."""
    return Notification.objects.bulk_create(
        Notification(
            organisation=organisation,
            company_id=GREEN_LEAF,
            category="accounts",
            severity="info",
            title=f"Accounts filed ({i})",
            stream="filings",
        )
        for i in range(count)
    )


def test_the_page_lists_the_practices_items_newest_first_with_links_to_their_pages(news, carol, ashford):
    officer, accounts = news

    response = logged_in(carol).get(page_of(ashford))

    assert response.status_code == 200
    assert [n.pk for n in response.context["page"].object_list] == [accounts.pk, officer.pk]
    body = response.content.decode()
    for n in (accounts, officer):
        assert reverse("feed_item", args=[ashford.pk, n.pk]) in body
    assert "Green Leaf Cafe Ltd" in body and "ASH-001" in body and "Ashford clients" in body


def test_the_item_page_links_to_the_clients_page(news, carol, ashford):
    officer, _ = news
    item = logged_in(carol).get(reverse("feed_item", args=[ashford.pk, officer.pk])).content.decode()
    assert f'href="{page_of(ashford)}"' in item


def test_the_timeline_filters_by_category_and_ignores_an_unknown_one(news, carol, ashford):
    officer, accounts = news
    as_carol = logged_in(carol)

    only_officers = as_carol.get(page_of(ashford), {"category": "officers"})
    unknown = as_carol.get(page_of(ashford), {"category": "<nonsense>"})

    assert [n.pk for n in only_officers.context["page"].object_list] == [officer.pk]
    assert 'value="officers" selected' in only_officers.content.decode()
    assert [n.pk for n in unknown.context["page"].object_list] == [accounts.pk, officer.pk]


def test_the_timeline_is_paged_fifty_at_a_time(ashford_list, carol, ashford):
    made = many_items(ashford, 51)

    first = logged_in(carol).get(page_of(ashford))
    second = logged_in(carol).get(page_of(ashford), {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert [n.pk for n in second.context["page"].object_list] == [made[0].pk]
    assert "page=2" in first.content.decode()


def test_the_profile_shows_status_registered_office_officers_in_office_and_deadlines(
    ashford_list, carol, ashford
):
    due = local_today(ashford.time_zone) + timedelta(days=10)
    Company.objects.filter(pk=GREEN_LEAF).update(
        profile={
            "company_name": "GREEN LEAF CAFE LTD",
            "company_status": "active",
            "registered_office_address": {
                "address_line_1": "12 High Street",
                "locality": "Ashford",
                "postal_code": "TN24 8AA",
            },
            "accounts": {"next_due": due.isoformat()},
            "confirmation_statement": {"next_due": "2020-01-01"},
        }
    )
    for name, resigned in (("PATEL, Priya", None), ("GONE, Gordon", "2024-01-31")):
        Officer.objects.create(
            appointment_uri=f"/company/{GREEN_LEAF}/appointments/{name}",
            company_number=GREEN_LEAF,
            name=name,
            resigned_on=resigned,
            data={"officer_role": "director", "appointed_on": "2019-05-01"},
        )

    body = logged_in(carol).get(page_of(ashford)).content.decode()

    assert "GREEN LEAF CAFE LTD" in body and "Active" in body
    assert "12 High Street" in body and "Ashford" in body and "TN24 8AA" in body
    assert "PATEL, Priya" in body and "director" in body and "GONE, Gordon" not in body
    assert "10 days left" in body and "Overdue by" in body


def test_the_notes_on_its_items_are_shown_escaped_with_links_to_the_items(news, carol, alice, ashford):
    officer, _ = news
    work.add_note(officer, "Rang the client <b>about</b> it", alice)

    body = logged_in(carol).get(page_of(ashford)).content.decode()

    assert "Rang the client &lt;b&gt;about&lt;/b&gt; it" in body and "<b>about</b>" not in body
    notes = body[body.index('id="notes"') :]
    assert "alice" in notes and reverse("feed_item", args=[ashford.pk, officer.pk]) in notes


def test_companies_house_text_is_escaped(news, carol, ashford):
    officer, _ = news
    Notification.objects.filter(pk=officer.pk).update(title="<script>alert(1)</script> appointed")

    body = logged_in(carol).get(page_of(ashford)).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; appointed" in body
    assert "<script>alert(1)" not in body


def test_another_practices_client_is_not_found_even_under_ones_own_practice(
    ashford_list, baxter_list, carol, bob, ashford, baxter
):
    fan_out_events([stored_officer_change("NI654321").id])
    as_carol = logged_in(carol)

    for url in (page_of(baxter, "NI654321"), page_of(ashford, "NI654321"), page_of(baxter, GREEN_LEAF)):
        assert as_carol.get(url).status_code == 404, url
        assert as_carol.get(url + "csv/").status_code == 404, url
    assert logged_in(bob).get(page_of(baxter, "NI654321")).status_code == 200


def test_a_company_the_practice_neither_lists_nor_was_told_about_is_not_found(ashford_list, carol, ashford):
    Company.objects.create(company_number="01234567", name="Known Elsewhere Ltd")
    assert logged_in(carol).get(page_of(ashford, "01234567")).status_code == 404


def test_a_number_that_is_not_a_company_number_is_not_found(ashford_list, carol, ashford):
    as_carol = logged_in(carol)
    for number in ("nonsense", "123456789", "00000000", "X1234567"):
        assert as_carol.get(page_of(ashford, number)).status_code == 404, number


def test_a_number_written_another_way_goes_to_the_clients_one_address(ashford_list, carol, ashford):
    response = logged_in(carol).get(page_of(ashford, "9876543"), {"category": "officers"})
    assert response.status_code == 302 and response["Location"] == page_of(ashford) + "?category=officers"


def test_a_client_taken_off_the_lists_keeps_its_history_and_says_so(news, carol, ashford):
    ClientListEntry.objects.filter(company_id=GREEN_LEAF).delete()

    response = logged_in(carol).get(page_of(ashford))

    assert response.status_code == 200
    assert "No longer on any of" in response.content.decode()
    assert len(response.context["page"].object_list) == 2


def test_the_csv_has_a_header_the_rows_newest_first_and_neutralises_formulas(news, carol, alice, ashford):
    officer, accounts = news
    Notification.objects.filter(pk=accounts.pk).update(title='=HYPERLINK("https://evil.example")')
    work.mark_done(officer, alice)
    work.add_note(officer, "+44 called back", carol)

    response = logged_in(carol).get(reverse("feed_client_csv", args=[ashford.pk, GREEN_LEAF]))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="client-09876543-timeline.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "date",
        "category",
        "severity",
        "title",
        "body",
        "done by",
        "done at",
        "assignee",
        "notes",
    ]
    assert len(rows) == 3
    assert rows[1][3] == '\'=HYPERLINK("https://evil.example")'
    assert rows[2][1] == "Officers" and rows[2][5] == "alice" and rows[2][6]
    assert rows[2][8].startswith("carol, ") and rows[2][8].endswith(": +44 called back")


def test_the_page_carries_a_print_stylesheet_and_a_print_button(news, carol, ashford):
    body = logged_in(carol).get(page_of(ashford)).content.decode()

    assert "@media print" in body and 'a[href]::after { content: " (" attr(href) ")"' in body
    assert "Print for the client's file" in body and "window.print()" in body


def test_anonymous_visitors_are_sent_to_log_in(ashford_list, ashford):
    for url in (page_of(ashford), reverse("feed_client_csv", args=[ashford.pk, GREEN_LEAF])):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_takes_a_few_queries_however_many_items_and_notes(
    news, carol, alice, ashford, django_assert_max_num_queries
):
    officer, _ = news
    for n in many_items(ashford, 30):
        work.assign(n, alice, alice)
        work.add_note(n, "checked", alice)
    work.mark_done(officer, alice)
    as_carol = logged_in(carol)

    with django_assert_max_num_queries(10):
        assert as_carol.get(page_of(ashford)).status_code == 200
    with django_assert_max_num_queries(7):
        assert as_carol.get(reverse("feed_client_csv", args=[ashford.pk, GREEN_LEAF])).status_code == 200


@pytest.mark.slow
def test_on_a_390_pixel_phone_the_page_does_not_scroll_sideways(news, carol, alice, ashford):
    officer, _ = news
    Notification.objects.filter(pk=officer.pk).update(title="Director appointed: " + "LONGNAME" * 20)
    work.add_note(officer, "x" * 300, alice)
    html = logged_in(carol).get(page_of(ashford)).content.decode()

    from playwright.sync_api import sync_playwright  # only this test needs a browser

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_content(html)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        finally:
            browser.close()
    assert overflow <= 0
