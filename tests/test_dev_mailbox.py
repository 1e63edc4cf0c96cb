"""Email under `make run`: one log line and one `.eml` file per message (notifications/devmail.py),
read on the development mailbox page, which only superusers reach and only in development."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from html.parser import HTMLParser

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse

from notifications.delivery import devmail
from notifications.delivery.mailbox import links_in_new_tabs
from notifications.delivery.sending import deliver
from notifications.fan_out import fan_out_events
from notifications.models import Delivery
from tests.notifykit import stored_officer_change

pytestmark = pytest.mark.django_db
BACKEND = "notifications.delivery.devmail.EmailBackend"


@pytest.fixture
def mail_dir(settings, tmp_path):
    """make run's settings: this backend, DEBUG on, the folder in the test's own directory."""
    settings.EMAIL_BACKEND = BACKEND
    settings.DEV_MAIL_DIR = tmp_path / "mail"
    settings.DEBUG = True
    return tmp_path / "mail"


def email(
    subject="Filing due: Green Leaf Cafe Ltd", to="alice@example.com", html="<p>Hello <b>Alice</b></p>"
):
    message = EmailMultiAlternatives(
        subject=subject,
        body="Hello Alice\nThe accounts are due.",
        from_email="Client Watch <alerts@localhost>",
        to=[to],
        headers={"List-Unsubscribe": "<https://watch.example.test/email/unsubscribe/t/>"},
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def kept(directory) -> list:
    return sorted(directory.iterdir())


# --- the backend ------------------------------------------------------------------------------


def test_an_email_sent_under_make_run_is_one_log_line_and_an_eml_file(mail_dir, caplog):
    with caplog.at_level(logging.INFO, logger="notifications.delivery.devmail"):
        assert email().send() == 1
    lines = [r for r in caplog.records if r.name == "notifications.delivery.devmail"]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    # The console handler's filter writes the address as its domain only; either way, one line.
    assert lines[0].getMessage() in (
        "email to alice@example.com: Filing due: Green Leaf Cafe Ltd",
        "email to ***@example.com: Filing due: Green Leaf Cafe Ltd",
    )
    (path,) = kept(mail_dir)
    assert path.suffix == ".eml"
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "alice@example.com"
    assert parsed["Subject"] == "Filing due: Green Leaf Cafe Ltd"
    assert "<b>Alice</b>" in parsed.get_body(preferencelist=("html",)).get_content()
    assert "The accounts are due." in parsed.get_body(preferencelist=("plain",)).get_content()


def test_every_message_is_a_file_of_its_own_and_nothing_half_written_is_left(mail_dir):
    sent = get_connection(BACKEND).send_messages([email(subject=f"Number {i}") for i in range(5)])
    assert sent == 5
    files = kept(mail_dir)
    assert len(files) == 5 and all(devmail.NAME.fullmatch(f.name) for f in files)
    subjects = {message_from_bytes(f.read_bytes())["Subject"] for f in files}
    assert subjects == {f"Number {i}" for i in range(5)}


def test_names_sort_by_the_time_they_were_sent_and_never_collide():
    moment = datetime(2026, 12, 1, 20, 15, 30, 123456, tzinfo=UTC)
    assert devmail.new_name(42, now=moment).startswith("20261201-201530-123456-delivery-42-")
    same = {devmail.new_name(42, now=moment) for _ in range(100)}
    assert len(same) == 100
    later = devmail.new_name(now=moment + timedelta(microseconds=1))
    assert max(same) < later


def test_without_dev_mail_dir_the_emails_go_to_var_mail(settings, tmp_path):
    del settings.DEV_MAIL_DIR  # a settings module that does not name the folder
    settings.VAR_DIR = tmp_path
    assert get_connection(BACKEND).send_messages([email()]) == 1
    assert len(kept(tmp_path / "mail")) == 1


def test_a_message_without_recipients_is_not_sent(mail_dir):
    message = email()
    message.to = []
    assert message.send() == 0
    assert not mail_dir.exists() or kept(mail_dir) == []


def test_a_notification_email_through_the_delivery_path_is_marked_sent_and_kept(
    mail_dir, ashford_list, alice
):
    fan_out_events([stored_officer_change("09876543").id])
    delivery = Delivery.objects.get(user=alice)
    assert deliver([delivery.id]).sent == [delivery.id]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.address) == ("sent", "alice@example.com")
    (path,) = kept(mail_dir)
    assert f"-delivery-{delivery.id}-" in path.name
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    # No provider here: the delivery records the message's own Message-ID, as with the console.
    assert delivery.provider_message_id == parsed["Message-ID"]
    assert parsed["List-Unsubscribe"].strip().startswith("<https://watch.example.test/email/unsubscribe/")
    assert parsed.get_body(preferencelist=("html",)) and parsed.get_body(preferencelist=("plain",))


# --- the page ---------------------------------------------------------------------------------


def test_a_superuser_with_debug_on_sees_the_emails_newest_first(mail_dir, client, operator):
    connection = get_connection(BACKEND)
    connection.send_messages([email(subject="The older one")])
    connection.send_messages([email(subject="The newer one", to="bob@example.com")])
    client.force_login(operator)
    page = client.get(reverse("dev_mailbox"))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("The newer one") < body.index("The older one")
    assert "To bob@example.com" in body
    for path in kept(mail_dir):
        assert reverse("dev_mailbox_message", args=[path.name]) in body


def test_the_mailbox_shows_fifty_emails_a_page(mail_dir, client, operator):
    raw = email().message().as_bytes()
    mail_dir.mkdir()
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    names = [devmail.new_name(now=start + timedelta(seconds=i)) for i in range(51)]
    for name in names:
        (mail_dir / name).write_bytes(raw)
    client.force_login(operator)
    first = client.get(reverse("dev_mailbox")).content.decode()
    second = client.get(reverse("dev_mailbox"), {"page": 2}).content.decode()
    assert first.count('class="item"') == 50 and "Page 1 of 2" in first
    assert second.count('class="item"') == 1 and names[0] in second  # the oldest, last


def test_one_email_shows_its_headers_both_parts_and_a_download(mail_dir, client, operator):
    email().send()
    (path,) = kept(mail_dir)
    client.force_login(operator)
    body = client.get(reverse("dev_mailbox_message", args=[path.name])).content.decode()
    for header in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
        assert f"<dt>{header}</dt>" in body, header
    assert "https://watch.example.test/email/unsubscribe/t/" in body
    assert "<pre>Hello Alice\nThe accounts are due.</pre>" in body
    assert "<iframe" in body and "&lt;b&gt;Alice&lt;/b&gt;" in body
    raw = client.get(reverse("dev_mailbox_raw", args=[path.name]))
    assert raw.status_code == 200 and raw["Content-Type"] == "message/rfc822"
    assert raw["Content-Disposition"] == f'attachment; filename="{path.name}"'
    assert raw.content == path.read_bytes()


def test_an_email_without_an_html_part_says_so(mail_dir, client, operator):
    email(html=None).send()
    (path,) = kept(mail_dir)
    client.force_login(operator)
    body = client.get(reverse("dev_mailbox_message", args=[path.name])).content.decode()
    assert "<iframe" not in body and "no HTML part" in body


# --- who may see it ---------------------------------------------------------------------------


def mailbox_urls(name: str) -> list[str]:
    return [
        reverse("dev_mailbox"),
        reverse("dev_mailbox_message", args=[name]),
        reverse("dev_mailbox_raw", args=[name]),
    ]


def test_a_member_or_a_practice_admin_gets_404_and_an_anonymous_visitor_is_sent_to_log_in(
    mail_dir, client, alice, carol
):
    email().send()
    (path,) = kept(mail_dir)
    for url in mailbox_urls(path.name):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for person in (alice, carol):  # staff both, alice a practice admin: not superusers
        client.force_login(person)
        for url in mailbox_urls(path.name):
            assert client.get(url).status_code == 404, (person.username, url)


def test_with_debug_and_dev_mailbox_off_even_a_superuser_gets_404(mail_dir, client, operator, settings):
    email().send()
    (path,) = kept(mail_dir)
    settings.DEBUG = False
    client.force_login(operator)
    for url in mailbox_urls(path.name):
        assert client.get(url).status_code == 404, url
    settings.DEV_MAILBOX = True  # a staging site that sends no real email may turn it on
    for url in mailbox_urls(path.name):
        assert client.get(url).status_code == 200, url


def test_a_name_that_is_not_a_plain_file_in_the_folder_is_refused(mail_dir, client, operator, tmp_path):
    email().send()
    secret = tmp_path / "secret.eml"
    secret.write_bytes(b"Subject: not for the mailbox\n\nTHE-SECRET-ITSELF")
    (mail_dir / "link.eml").symlink_to(secret)
    (mail_dir / ".hidden.eml").write_bytes(b"Subject: hidden\n\n")
    (mail_dir / "notes.txt").write_bytes(b"notes")
    for name in ("../secret.eml", str(secret), "link.eml", ".hidden.eml", "notes.txt", "..", ""):
        assert devmail.find(name) is None, name
        assert devmail.show(name) is None, name
    client.force_login(operator)
    for url in (
        "/dev/mailbox/..%2Fsecret.eml/",
        "/dev/mailbox/%2E%2E%2Fsecret.eml/raw/",
        "/dev/mailbox/..%5Csecret.eml/",
        "/dev/mailbox/link.eml/",
        "/dev/mailbox/link.eml/raw/",
        "/dev/mailbox/.hidden.eml/",
        "/dev/mailbox/notes.txt/raw/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"THE-SECRET-ITSELF" not in response.content, url
        assert b"not for the mailbox" not in response.content, url
    listing = client.get(reverse("dev_mailbox")).content.decode()
    assert listing.count('class="item"') == 1
    assert "link.eml" not in listing and ".hidden.eml" not in listing, listing


# --- what an email holds cannot act on the page ------------------------------------------------


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_and_script_in_an_email_are_escaped_and_cannot_run_in_the_page(mail_dir, client, operator):
    email(
        subject='<script>alert("subject")</script> Filing',
        html='<html><head><title>x</title></head><body><p>Hi</p><script>alert("body")</script>'
        '<a href="https://find-and-update.company-information.service.gov.uk/">CH</a>'
        '<img src=x onerror="alert(1)">"quotes" &amp; \'apostrophes\'</body></html>',
    ).send()
    (path,) = kept(mail_dir)
    client.force_login(operator)
    for url in (reverse("dev_mailbox"), reverse("dev_mailbox_message", args=[path.name])):
        response = client.get(url)
        parser = Tags()
        parser.feed(response.content.decode())
        names = [tag for tag, _ in parser.tags]
        assert "script" not in names and "img" not in names, url
        assert "&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt; Filing" in response.content.decode()
        assert response["Content-Security-Policy"] == "script-src 'none'; object-src 'none'"
    (frame,) = [attrs for tag, attrs in parser.tags if tag == "iframe"]
    assert set(frame["sandbox"].split()) == {"allow-popups", "allow-popups-to-escape-sandbox"}
    # The parser gives the attribute back unescaped: the email's HTML exactly, inside the sandbox.
    assert frame["srcdoc"].startswith('<html><head><base target="_blank"><title>x</title>')
    assert '<script>alert("body")</script>' in frame["srcdoc"]
    assert "\"quotes\" &amp; 'apostrophes'" in frame["srcdoc"]


def test_links_in_the_html_part_open_in_a_new_tab():
    assert links_in_new_tabs('<HEAD lang="en"><title>t</title>') == (
        '<HEAD lang="en"><base target="_blank"><title>t</title>'
    )
    assert links_in_new_tabs("<p>a fragment</p>") == '<base target="_blank"><p>a fragment</p>'
    assert links_in_new_tabs("<header>not the head</header>").startswith('<base target="_blank">')
