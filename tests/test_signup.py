"""Sign-up of a new practice, end to end through Django's test client: the form, the emailed link,
and what exists (nothing) until the link is followed."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from anymail.exceptions import AnymailAPIError
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from notifications.models import EmailConfirmation, Membership, Organisation, PeopleEvent
from notifications.practices import signup_views
from notifications.practices.signup_views import signup_context
from notifications.practices.tokens import new_token, token_hash
from tests.mailbackends import ScriptedBackend

pytestmark = pytest.mark.django_db
User = get_user_model()

DOROTHY = {
    "practice": "Dunn & Daughters Accountants",
    "first_name": "Dorothy",
    "last_name": "Dunn",
    "email": "Dorothy.Dunn@example.com",
    "password": "ledger-kestrel-harbour",
    "password_again": "ledger-kestrel-harbour",
}


OFFICE = "198.51.100.7"  # the address the proxy saw, appended last to X-Forwarded-For


@pytest.fixture(autouse=True)
def _no_counts(settings, redis_client):
    """Each test starts with no sign-ups counted (the limits are in Redis), and no client address."""
    settings.CLIENT_IP_HEADER = ""


def sign_up(client: Client, forwarded_for: str | None = None, **changes: str):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(reverse("signup"), {**DOROTHY, **changes}, headers=headers)


def link_in(message) -> str:
    """The path of the confirmation link in an email's text."""
    (url,) = re.findall(r"https?://\S+/accounts/signup/confirm/\S+/", message.body)
    return urlsplit(url).path


def nothing_created() -> bool:
    return not Organisation.objects.exists() and not User.objects.exists()


def form_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


# --- the way through ------------------------------------------------------------------------


def test_dorothys_link_creates_her_practice_logs_her_in_and_lands_on_its_feed(client):
    response = sign_up(client)

    assert response.status_code == 302 and response["Location"] == reverse("signup_sent")
    assert "Check your email" in client.get(response["Location"]).content.decode()
    (message,) = mail.outbox
    assert message.to == ["Dorothy.Dunn@example.com"]
    link = link_in(message)
    assert nothing_created()  # nothing watched, no account, until the link is followed

    confirmation = EmailConfirmation.objects.get()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert confirmation.purpose == EmailConfirmation.SIGNUP
    assert confirmation.token_hash == token_hash(token) and token not in str(confirmation.__dict__)
    assert DOROTHY["password"] not in str(confirmation.payload)
    assert check_password(DOROTHY["password"], confirmation.payload["password"])
    expected_expiry = timezone.now() + timedelta(hours=48)
    assert abs(confirmation.expires_at - expected_expiry) < timedelta(minutes=1)

    page = client.get(link)
    assert page.status_code == 200 and "Create Dunn &amp; Daughters Accountants" in page.content.decode()
    assert nothing_created()  # a mail filter fetching the link creates nothing either

    response = client.post(link)

    practice = Organisation.objects.get()
    user = User.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("feed", args=[practice.id])
    assert practice.name == "Dunn & Daughters Accountants"
    assert (user.username, user.email) == ("dorothy.dunn@example.com", "Dorothy.Dunn@example.com")
    assert (user.first_name, user.last_name, user.is_staff, user.is_superuser) == (
        "Dorothy",
        "Dunn",
        True,
        False,
    )
    assert user.check_password(DOROTHY["password"])
    assert Membership.objects.get().role == Membership.Role.ADMIN
    event = PeopleEvent.objects.get()
    assert (event.organisation, event.action, event.actor, event.subject) == (
        practice,
        PeopleEvent.Action.PRACTICE_CREATED,
        user,
        user,
    )
    assert event.actor_name == event.subject_name == "Dorothy Dunn" and event.detail == "by signing up"
    confirmation.refresh_from_db()
    assert confirmation.used_at is not None and "password" not in confirmation.payload

    feed = client.get(response["Location"])
    assert feed.status_code == 200 and feed.context["user"] == user  # logged in
    body = feed.content.decode()
    assert "Your practice Dunn &amp; Daughters Accountants is ready" in body
    assert f'href="{reverse("admin:notifications_clientlist_changelist")}"' in body
    assert client.get(reverse("admin:notifications_clientlist_changelist")).status_code == 200


def test_dorothy_can_log_in_with_her_address_and_password_afterwards(client):
    sign_up(client)
    client.post(link_in(mail.outbox[0]))
    client.logout()

    response = client.post(
        reverse("login"), {"username": "dorothy.dunn@example.com", "password": DOROTHY["password"]}
    )

    assert response.status_code == 302 and client.session["_auth_user_id"] == str(User.objects.get().pk)


# --- links that cannot be used --------------------------------------------------------------


def test_the_link_works_once_and_then_says_it_was_used_and_to_log_in(client):
    sign_up(client)
    link = link_in(mail.outbox[0])
    client.post(link)
    client.logout()

    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 410
        assert "already used" in response.content.decode() and reverse("login") in response.content.decode()
    assert Organisation.objects.count() == 1 and User.objects.count() == 1


def test_an_expired_link_creates_nothing_and_says_to_sign_up_again(client):
    sign_up(client)
    link = link_in(mail.outbox[0])

    with time_machine.travel(timezone.now() + timedelta(hours=48, seconds=1), tick=False):
        response = client.post(link)

    assert response.status_code == 410
    assert "expired" in response.content.decode() and reverse("signup") in response.content.decode()
    assert nothing_created() and EmailConfirmation.objects.get().used_at is None


def test_an_email_change_token_is_not_valid_at_the_signup_link(client, alice):
    token, hashed = new_token()
    EmailConfirmation.objects.create(
        purpose=EmailConfirmation.EMAIL_CHANGE,
        token_hash=hashed,
        email="alice.new@example.com",
        user=alice,
        payload={"practice": "Hijacked Ltd", "first_name": "A", "last_name": "B", "password": "x"},
        expires_at=timezone.now() + timedelta(hours=1),
    )
    link = reverse("signup_confirm", args=[token])

    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 404 and "This link is not valid" in response.content.decode()
    assert not Organisation.objects.filter(name="Hijacked Ltd").exists()
    assert EmailConfirmation.objects.get().used_at is None


def test_a_link_that_is_not_ours_is_not_valid(client):
    response = client.get(reverse("signup_confirm", args=["made-up-token"]))

    assert response.status_code == 404 and "This link is not valid" in response.content.decode()


def test_a_name_taken_since_signing_up_asks_to_sign_up_again_with_another_name(client):
    sign_up(client)
    Organisation.objects.create(name="DUNN & DAUGHTERS ACCOUNTANTS")  # the operator, meanwhile

    response = client.post(link_in(mail.outbox[0]))

    assert response.status_code == 409
    body = response.content.decode()
    assert "sign up again" in body and "another name" in body and reverse("signup") in body
    assert not User.objects.exists() and Organisation.objects.count() == 1
    assert EmailConfirmation.objects.get().used_at is None


def test_an_address_given_an_account_since_signing_up_creates_nothing(client):
    sign_up(client)
    User.objects.create_user(username="dorothy", email="dorothy.dunn@EXAMPLE.com", password="x-y-z-w-v")

    response = client.post(link_in(mail.outbox[0]))

    assert response.status_code == 409 and "already have an account" in response.content.decode()
    assert not Organisation.objects.exists()


# --- the form -------------------------------------------------------------------------------


def test_an_address_with_an_account_gets_the_same_page_and_an_email_pointing_at_login_and_reset(
    client, alice
):
    fresh = sign_up(Client(), email="newcomer@example.com", practice="Newcomer Ltd")
    mail.outbox.clear()
    EmailConfirmation.objects.all().delete()

    response = sign_up(client, email="ALICE@example.com")

    assert (response.status_code, response["Location"]) == (fresh.status_code, fresh["Location"])
    assert not EmailConfirmation.objects.exists()
    assert Organisation.objects.filter(name=DOROTHY["practice"]).exists() is False
    (message,) = mail.outbox
    assert message.to == ["ALICE@example.com"]
    assert "already has an account" in message.body and "Dorothy" not in message.body
    assert "https://watch.example.test/accounts/login/" in message.body
    assert "https://watch.example.test/accounts/password-reset/" in message.body
    assert "/accounts/signup/confirm/" not in message.body


def test_a_practice_name_taken_in_any_letter_case_is_refused_next_to_the_field(client, ashford):
    response = sign_up(client, practice="ashford & co CHARTERED accountants")

    assert response.status_code == 200
    assert "already uses Client Watch" in " ".join(form_errors(response, "practice"))
    assert 'id="id_practice_error"' in response.content.decode()
    assert not mail.outbox and not EmailConfirmation.objects.exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "too common"),
        ("short1", "too short"),
        ("2718281828459", "entirely numeric"),
        ("dorothy.dunn", "too similar"),  # her own address
    ],
)
def test_a_weak_password_is_refused_next_to_the_field(client, password, reason):
    response = sign_up(client, password=password, password_again=password)

    assert response.status_code == 200
    assert reason in " ".join(form_errors(response, "password"))
    assert 'id="id_password_error"' in response.content.decode()
    assert not mail.outbox and not EmailConfirmation.objects.exists()


def test_passwords_that_differ_are_refused_next_to_the_second(client):
    response = sign_up(client, password_again="ledger-kestrel-harbor")

    assert form_errors(response, "password_again") == ["The two passwords differ."]
    assert not mail.outbox


@pytest.mark.parametrize("email", ["dorothy", "dorothy@", "dorothy@example", "a b@example.com", ""])
def test_an_address_that_is_not_one_is_refused_next_to_the_field(client, email):
    response = sign_up(client, email=email)

    assert response.status_code == 200 and form_errors(response, "email")
    assert not mail.outbox


def test_a_name_with_a_line_break_is_refused(client):
    response = sign_up(client, practice="Dunn\r\nBcc: everyone@example.com")

    assert form_errors(response, "practice") and not mail.outbox


def test_the_html_email_escapes_a_practice_name_and_so_does_the_welcome(client):
    sign_up(client, practice="<b>Evil & Co</b>")

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in html and "<b>Evil" not in html
    assert "create <b>Evil & Co</b> on Client Watch" in message.body  # the text part is plain text
    feed = client.post(link_in(message), follow=True).content.decode()
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt; is ready" in feed and "<b>Evil" not in feed


# --- limits and failures -------------------------------------------------------------------


def test_past_three_emails_to_one_address_in_an_hour_the_page_is_the_same_and_none_is_sent(client, alice):
    for email in ("dorothy.dunn@example.com", "alice@example.com"):  # no account, and an account
        for n in range(4):
            response = sign_up(client, email=email, practice=f"Practice {n}")
            assert response.status_code == 302 and response["Location"] == reverse("signup_sent")
    assert [m.to[0] for m in mail.outbox] == ["dorothy.dunn@example.com"] * 3 + ["alice@example.com"] * 3
    assert EmailConfirmation.objects.count() == 3
    assert sign_up(client, email="dorothy@example.org").status_code == 302 and len(mail.outbox) == 7


def test_past_the_limit_per_client_address_the_form_says_so_with_429(client, settings, monkeypatch):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    monkeypatch.setattr(signup_views, "SIGNUP_MAX_PER_IP", 2)
    for n in range(2):
        assert sign_up(client, f"203.0.113.9, {OFFICE}", email=f"person{n}@example.com").status_code == 302

    refused = sign_up(client, f"203.0.113.9, {OFFICE}")

    assert refused.status_code == 429
    assert "Too many sign-ups from your network. Try again in 60 minutes." in refused.content.decode()
    assert len(mail.outbox) == 2 and EmailConfirmation.objects.count() == 2
    assert sign_up(client, "192.0.2.55").status_code == 302  # another network


def test_when_the_email_cannot_be_sent_the_form_says_so_and_keeps_no_link(client, settings):
    settings.EMAIL_BACKEND = "tests.mailbackends.ScriptedBackend"
    ScriptedBackend.script = [AnymailAPIError("the provider is down")]

    response = sign_up(client)

    assert response.status_code == 503
    assert "We could not send you the email just now" in response.content.decode()
    assert not EmailConfirmation.objects.exists() and not mail.outbox
    assert sign_up(client).status_code == 302 and EmailConfirmation.objects.count() == 1


# --- the setting, CSRF, the login page's flag -----------------------------------------------


def test_invite_only_answers_404_at_all_three_urls(client, settings):
    sign_up(client)  # a link sent while sign-up was open
    link = link_in(mail.outbox[0])
    settings.SIGNUP = "invite-only"

    for url in (reverse("signup"), reverse("signup_sent"), link):
        assert client.get(url).status_code == 404, url
    assert sign_up(client, email="other@example.com").status_code == 404
    assert client.post(link).status_code == 404
    assert nothing_created() and len(mail.outbox) == 1


def test_the_signup_form_and_the_links_button_need_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("signup"))
    token = client.cookies["csrftoken"].value

    assert sign_up(client).status_code == 403
    assert not mail.outbox
    assert sign_up(client, csrfmiddlewaretoken=token).status_code == 302
    link = link_in(mail.outbox[0])

    assert client.post(link).status_code == 403
    assert nothing_created()
    page = client.get(link).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert client.post(link, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}).status_code == 302
    assert Organisation.objects.filter(name=DOROTHY["practice"]).exists()


def test_the_login_pages_flag_says_whether_sign_up_is_open(settings):
    request = RequestFactory().get(reverse("login"))
    assert signup_context(request) == {"signup_open": True}

    settings.SIGNUP = "invite-only"

    assert signup_context(request) == {"signup_open": False}
