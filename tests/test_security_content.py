"""What pages and emails show: text from Companies House (company names, officers' names, filing
descriptions) is escaped everywhere it becomes HTML and left as it is where it does not (JSON,
plain-text email, subjects), and an email tells each practice only its own clients' details.

The feed page, the deadlines page and the HTML email each have one escaping test of their own
(test_feed_pages, test_deadlines, test_delivery); this one carries the same hostile texts through
every surface at once, attribute-breaking quotes included.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from notifications.content.categories import Category, EmailMode
from notifications.delivery.digests import queue_digests
from notifications.delivery.sending import deliver
from notifications.fan_out import fan_out_events
from notifications.models import ClientList, ClientListEntry, Delivery, Notification, UserPreferences
from streams.models import Company
from tests.notifykit import stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db

EVIL_NAME = 'Evil "><img src=x onerror=alert(1)> <script>alert("name")</script> Ltd'
EVIL_OFFICER = '<script>alert("officer")</script>"><img src=x onerror=alert(2)>'
EVIL_FILING = "<script>alert('filing')</script>\"><img src=x onerror=alert(3)>"
EVIL_REFERENCE = 'ASH-"><b>001</b>'  # typed by the practice, shown next to CH's words


@pytest.fixture
def hostile(ashford_list, alice, carol) -> list[str]:
    """An urgent officer change (emailed at once) and a filing (in carol's digest) about a company
    whose every text is hostile; the texts as stored, which each surface must show."""
    Company.objects.filter(pk="09876543").update(name=EVIL_NAME)
    ClientListEntry.objects.filter(company_id="09876543").update(client_reference=EVIL_REFERENCE)
    UserPreferences.objects.create(user=carol, modes={Category.ACCOUNTS: EmailMode.DIGEST})
    fan_out_events(
        [
            stored_officer_change("09876543", name=EVIL_OFFICER).id,
            stored_filing(
                "09876543", description="legacy", description_values={"description": EVIL_FILING}
            ).id,
        ]
    )
    texts = [EVIL_NAME, EVIL_REFERENCE]
    for notification in Notification.objects.all():
        texts.append(notification.title)
    assert any("onerror" in t for t in texts[2:]) and any("alert('filing')" in t for t in texts[2:])
    return texts


def assert_escaped(html: str, texts: list[str], where: str) -> None:
    for text in texts:
        assert text not in html, f"{where} shows {text!r} as markup"
        assert escape(text) in html, f"{where} does not show {text!r}"
    assert "<img src=x" not in html and "<script>alert" not in html, where


def assert_literal(plain: str, texts: list[str], where: str) -> None:
    for text in texts:
        assert text in plain, f"{where} does not carry {text!r} as it is"
    assert "&lt;" not in plain and "&quot;" not in plain and "&#x27;" not in plain, f"{where} is HTML-escaped"


def test_member_pages_escape_ch_text(client, hostile, carol, ashford_list):
    client.force_login(carol)
    organisation = ashford_list.organisation_id
    assert_escaped(client.get(reverse("feed", args=[organisation])).content.decode(), hostile, "the feed")
    deadlines = client.get(reverse("deadlines", args=[organisation])).content.decode()
    assert_escaped(deadlines, [EVIL_NAME, EVIL_REFERENCE], "the deadlines page")


def test_the_feed_api_gives_the_texts_as_json_data_for_the_script_to_write_as_text(
    client, hostile, carol, ashford_list
):
    client.force_login(carol)
    response = client.get(reverse("feed_api", args=[ashford_list.organisation_id]))
    assert response["Content-Type"] == "application/json"  # never parsed as a page (nosniff in production)
    items = response.json()["items"]
    values = {item["company_name"] for item in items} | {
        t for item in items for t in item["client_references"]
    }
    values |= {item["title"] for item in items}
    assert set(hostile) <= values  # the exact texts: not escaped twice, not lost


def test_the_feeds_script_writes_server_values_as_text_never_as_markup():
    script = (Path(__file__).parent.parent / "notifications/static/notifications/feed.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, f"feed.js uses {sink}"
    assert "textContent" in script


def test_the_admin_escapes_ch_text(client, hostile, alice):
    client.force_login(alice)
    notification = Notification.objects.filter(category=Category.OFFICERS).get()
    pages = {
        "the notification list": reverse("admin:notifications_notification_changelist"),
        "a notification": reverse("admin:notifications_notification_change", args=[notification.pk]),
        "the companies on lists": reverse("admin:notifications_clientlistentry_changelist"),
        "the delivery list": reverse("admin:notifications_delivery_changelist"),
    }
    for where, url in pages.items():
        page = client.get(url).content.decode()
        # Whole texts where the admin shows them whole; the delivery list cuts them at 80 characters.
        assert_escaped(page, [text for text in hostile if escape(text) in page], where)
        assert "&lt;script&gt;alert(" in page or "&lt;img src=x" in page, f"{where} shows none of the texts"


def test_html_emails_escape_ch_text_and_plain_text_emails_carry_it_as_it_is(hostile, alice, carol):
    day_ids = queue_digests()
    deliver(list(Delivery.objects.filter(notification__isnull=False).values_list("id", flat=True)) + day_ids)
    kinds = {"digest" if "digest" in m.subject else "notification" for m in mail.outbox}
    assert kinds == {"notification", "digest"} and len(mail.outbox) == 4  # alice's and carol's
    for message in mail.outbox:
        texts = [t for t in hostile if t in message.body]
        assert len(texts) >= 3, message.subject  # the name, the reference, the news
        assert_literal(message.body, texts, f"the text of {message.subject!r}")
        assert_escaped(message.alternatives[0][0], texts, f"the HTML of {message.subject!r}")
        if "digest" not in message.subject:
            assert EVIL_NAME in message.subject  # a header is text: no escaping there either


def test_a_line_break_in_ch_text_cannot_add_a_header_nor_stop_the_email(ashford_list, alice):
    Company.objects.filter(pk="09876543").update(name="Evil Ltd\r\nBcc: victim@example.com")
    fan_out_events([stored_officer_change("09876543").id])

    outcome = deliver(list(Delivery.objects.values_list("id", flat=True)))

    (message,) = mail.outbox
    assert outcome.sent and message.recipients() == ["alice@example.com"]
    assert message.subject.startswith("URGENT: Evil Ltd Bcc: victim@example.com (09876543): ")
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert not re.search(r"^Bcc:", headers, re.M)  # words in the subject, not a header of their own


def test_an_email_about_a_shared_client_names_only_the_readers_own_practice(ashford_list, alice, baxter, bob):
    """Both practices watch Green Leaf: each email carries its own practice's reference only."""
    theirs = ClientList.objects.create(organisation=baxter, name="Baxter main")
    ClientListEntry.objects.create(client_list=theirs, company_id="09876543", client_reference="BAX-SECRET-9")
    fan_out_events([stored_officer_change("09876543").id])
    deliver(list(Delivery.objects.values_list("id", flat=True)))
    by_reader = {m.to[0]: m.body + m.alternatives[0][0] for m in mail.outbox}
    assert set(by_reader) == {"alice@example.com", "bob@example.com"}
    assert "ASH-001" in by_reader["alice@example.com"] and "BAX-SECRET" not in by_reader["alice@example.com"]
    assert "BAX-SECRET-9" in by_reader["bob@example.com"] and "ASH-" not in by_reader["bob@example.com"]
    alice_feed = re.search(r"/feed/(\d+)/", by_reader["alice@example.com"])[1]
    assert int(alice_feed) == ashford_list.organisation_id  # the link opens her practice's feed
