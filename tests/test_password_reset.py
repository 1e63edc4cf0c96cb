"""Password reset, from the site's login page and the admin's: Django's flow with our pages and an
email in the product's style, the same "sent" page whether or not the address has an account, and
reset emails limited per address and requests per client address (in Redis, on the machine's Redis
and on 6.2 alike; with Redis down, resets go on and the log says so)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications.practices import login_throttle
from tests.mailbackends import ScriptedBackend

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.redis_servers"]
UNREACHABLE = "redis://:not-a-real-password@127.0.0.1:1/0"  # nothing listens on port 1
RESET = "/accounts/password-reset/"
SENT = "/accounts/password-reset/sent/"
OFFICE = "198.51.100.7"  # the address the proxy saw, appended last to X-Forwarded-For


@pytest.fixture(autouse=True)
def _settings(settings, redis_client):
    settings.CLIENT_IP_HEADER = ""
    settings.PASSWORD_RESET_MAX_PER_ADDRESS = 3
    settings.PASSWORD_RESET_MAX_PER_IP = 20
    settings.PASSWORD_RESET_WINDOW = 3600
    settings.PASSWORD_RESET_TIMEOUT = 86400


def ask_for_reset(client: Client, email: str, forwarded_for: str | None = None, url: str = RESET):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(url, {"email": email}, headers=headers)


def emailed_link(message) -> str:
    (link,) = re.findall(r"https://watch\.example\.test(/accounts/reset/\S+/)", message.body)
    return link


def set_password(client: Client, link: str, password: str):
    form = client.get(link)  # the token's address puts the token in the session and redirects
    assert form.status_code == 302 and form["Location"].endswith("/set-password/")
    return client.post(form["Location"], {"new_password1": password, "new_password2": password})


def test_alice_resets_her_password_by_the_emailed_link_which_then_says_it_is_invalid(client, alice):
    assert b"Reset your password" in client.get(RESET).content

    response = ask_for_reset(client, "alice@example.com")

    assert response.status_code == 302 and response["Location"] == SENT
    assert b"Check your email" in client.get(SENT).content
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"] and message.subject == "Reset your Client Watch password"
    link = emailed_link(message)
    done = set_password(client, link, "a-new-battery-staple")
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert b"Your password is set" in client.get(done["Location"]).content
    assert authenticate(username="alice", password="a-new-battery-staple") == alice
    assert authenticate(username="alice", password="correct-horse") is None

    again = client.get(link)

    assert again.status_code == 200 and b"This link does not work" in again.content
    assert b"Set a new password" not in again.content


def test_the_new_password_logs_in_on_the_login_page_and_the_old_one_does_not(client, alice):
    ask_for_reset(client, "alice@example.com")
    set_password(client, emailed_link(mail.outbox[0]), "a-new-battery-staple")
    login = reverse("login")
    assert client.post(login, {"username": "alice", "password": "correct-horse"}).status_code == 200
    assert client.post(login, {"username": "alice", "password": "a-new-battery-staple"}).status_code == 302
    assert client.session["_auth_user_id"] == str(alice.id)


def test_an_address_without_an_account_gets_the_same_sent_page_and_no_email(client, alice):
    known = ask_for_reset(client, "alice@example.com")
    unknown = ask_for_reset(client, "nobody@example.com")
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == SENT
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]


def test_an_inactive_user_and_one_without_a_usable_password_get_no_email_as_in_django(client, alice, bob):
    alice.is_active = False
    alice.save()
    bob.set_unusable_password()
    bob.save()
    assert ask_for_reset(client, "alice@example.com")["Location"] == SENT
    assert ask_for_reset(client, "bob@example.com")["Location"] == SENT
    assert mail.outbox == []


def test_the_email_has_a_text_and_an_html_part_in_the_products_style(client, alice):
    ask_for_reset(client, "alice@example.com")
    (message,) = mail.outbox
    html, mimetype = message.alternatives[0]
    link = emailed_link(message)
    assert mimetype == "text/html"
    assert "Hello alice," in message.body and "within 24 hours" in message.body
    assert "<h1" in html and "Reset your Client Watch password" in html and "Set a new password" in html
    assert f'href="https://watch.example.test{link}"' in html
    assert "username <strong>alice</strong>" in html


def test_a_name_like_markup_is_escaped_in_the_html_part_and_plain_in_the_text(client, alice):
    alice.first_name = "<b>Bob</b>"
    alice.save()
    ask_for_reset(client, "alice@example.com")
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "Hello &lt;b&gt;Bob&lt;/b&gt;," in html and "<b>Bob</b>" not in html
    assert "Hello <b>Bob</b>," in message.body


def test_the_link_stops_working_after_password_reset_timeout(client, alice, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    ask_for_reset(client, "alice@example.com")
    link = emailed_link(mail.outbox[0])
    assert "within 1 hour" in mail.outbox[0].body
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=1)):
        response = client.get(link)
    assert response.status_code == 200 and b"This link does not work" in response.content


def test_a_provider_failure_is_logged_and_answers_like_an_address_without_an_account(
    client, alice, settings, caplog
):
    settings.EMAIL_BACKEND = "tests.mailbackends.ScriptedBackend"
    ScriptedBackend.script = [ConnectionError("provider down")]
    response = ask_for_reset(client, "alice@example.com")
    assert response.status_code == 302 and response["Location"] == SENT
    assert f"could not send a password reset email to user {alice.pk}" in caplog.text


@pytest.mark.usefixtures("redis_server")
def test_past_the_limit_per_address_the_same_sent_page_and_no_more_email(client, alice, settings):
    settings.PASSWORD_RESET_MAX_PER_ADDRESS = 2
    for email in ("alice@example.com", "ALICE@example.com", "alice@EXAMPLE.com", "alice@example.com"):
        response = ask_for_reset(client, email)
        assert response.status_code == 302 and response["Location"] == SENT
    assert len(mail.outbox) == 2


@pytest.mark.usefixtures("redis_server")
def test_one_address_at_its_limit_leaves_the_others_alone(client, alice, bob, settings):
    settings.PASSWORD_RESET_MAX_PER_ADDRESS = 1
    for email in ("alice@example.com", "alice@example.com", "bob@example.com"):
        ask_for_reset(client, email)
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["bob@example.com"]]


@pytest.mark.usefixtures("redis_server")
def test_past_the_limit_per_client_address_the_form_says_so_with_429(client, alice, settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.PASSWORD_RESET_MAX_PER_IP = 3
    for n in range(3):  # addresses with no account count too: the limit is on asking
        assert ask_for_reset(client, f"nobody{n}@example.com", f"203.0.113.9, {OFFICE}").status_code == 302

    refused = ask_for_reset(client, "alice@example.com", f"203.0.113.9, {OFFICE}")

    assert refused.status_code == 429 and mail.outbox == []
    assert (
        "Too many password reset requests from your network. Try again in 60 minutes."
        in refused.content.decode()
    )
    # What the client put before the proxy's address is the client's to invent: it changes nothing.
    assert ask_for_reset(client, "alice@example.com", f"192.0.2.1, {OFFICE}").status_code == 429
    assert ask_for_reset(client, "alice@example.com", "192.0.2.55").status_code == 302  # another network
    assert len(mail.outbox) == 1


def test_with_no_client_ip_header_set_there_is_no_limit_per_client_address_however_many_requests(
    client, settings
):
    settings.CLIENT_IP_HEADER = ""
    settings.PASSWORD_RESET_MAX_PER_IP = 2
    for n in range(8):
        assert ask_for_reset(client, f"nobody{n}@example.com", OFFICE).status_code == 302


def test_the_reset_form_shows_a_bad_address_next_to_the_field(client):
    response = ask_for_reset(client, "not an address")
    assert response.status_code == 200
    assert re.search(r'<ul class="errorlist[^"]*" id="id_email_error">', response.content.decode())


def test_a_reset_request_and_a_new_password_want_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    assert ask_for_reset(client, "alice@example.com").status_code == 403 and mail.outbox == []
    client.get(RESET)  # the form: it sets the cookie the next post must repeat
    token = client.cookies["csrftoken"].value
    assert client.post(RESET, {"email": "alice@example.com", "csrfmiddlewaretoken": token}).status_code == 302
    form = client.get(emailed_link(mail.outbox[0]))["Location"]
    forged = client.post(
        form, {"new_password1": "a-new-battery-staple", "new_password2": "a-new-battery-staple"}
    )
    assert forged.status_code == 403
    assert authenticate(username="alice", password="correct-horse") == alice


def test_the_sites_login_page_links_to_the_reset(client):
    assert (
        f'<a href="{reverse("password_reset")}">Forgot your password?</a>'
        in client.get("/accounts/login/").content.decode()
    )


def test_the_admin_login_page_links_to_the_reset_which_sends_the_same_email(client, alice):
    page = client.get(reverse("admin:login")).content.decode()
    url = reverse("admin_password_reset")
    assert f'<a href="{url}">Forgotten your login credentials?</a>' in page
    response = ask_for_reset(client, "alice@example.com", url=url)
    assert response.status_code == 302 and response["Location"] == SENT
    assert mail.outbox[0].subject == "Reset your Client Watch password"


def test_a_reset_ends_the_lockout_of_the_username_the_login_page_sent_here(client, alice, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert login_throttle.wait_seconds("alice") > 0
    ask_for_reset(client, "alice@example.com")
    set_password(client, emailed_link(mail.outbox[0]), "a-new-battery-staple")
    login = client.post("/accounts/login/", {"username": "alice", "password": "a-new-battery-staple"})
    assert login.status_code == 302


def test_redis_holds_neither_the_address_nor_the_client_address(client, alice, settings, redis_client):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    ask_for_reset(client, "alice@example.com", OFFICE)
    keys = redis_client.keys("clientwatch:password-resets*")
    assert len(keys) == 2
    assert not [k for k in keys if b"alice" in k or OFFICE.encode() in k]


def test_without_redis_resets_go_on_unlimited_and_the_log_says_so(client, alice, settings, caplog):
    settings.REDIS_URL = UNREACHABLE
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.PASSWORD_RESET_MAX_PER_ADDRESS = 1
    settings.PASSWORD_RESET_MAX_PER_IP = 1
    with caplog.at_level(logging.WARNING, logger="notifications.practices.forms"):
        for _ in range(2):
            assert ask_for_reset(client, "alice@example.com", OFFICE).status_code == 302
    assert len(mail.outbox) == 2
    messages = [
        r.getMessage() for r in caplog.records if "password reset limit unavailable" in r.getMessage()
    ]
    assert len(messages) == 4  # each request: the client address's count and the address's
    assert (
        "alice" not in caplog.text and OFFICE not in caplog.text and "not-a-real-password" not in caplog.text
    )
