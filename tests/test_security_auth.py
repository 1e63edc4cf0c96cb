"""What stands in for a login where there is none: the signed unsubscribe link, the provider
webhooks' basic auth, and the WebSocket's Origin check.

Proven elsewhere and not repeated: a tampered or foreign-key token, another salt, a deleted user
and one-click without CSRF (test_preferences_pages); right and wrong basic auth on Postmark's
tracking webhook (test_webhooks); the socket's session and organisation checks and a foreign
Origin (test_feed_socket); the metrics token (test_metrics).
"""

from __future__ import annotations

import base64
import json

import pytest
from anymail.signals import tracking
from channels.testing.websocket import WebsocketCommunicator
from django.apps import apps
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.test import Client
from django.urls import reverse

from notifications.delivery.unsubscribe import make_token
from notifications.models import EmailSuppression, UserPreferences
from project.asgi import application
from tests.test_security_urls import WEBHOOK, protection_of, routes
from tests.test_webhooks import RIGHT_AUTH, basic_auth, hard_bounce

# --- the unsubscribe link ---------------------------------------------------------------------


def unsubscribe(client: Client, token: str):
    return client.post(reverse("unsubscribe", args=[token]))


OTHER_PURPOSES = {
    # Tokens this site, or Django on its behalf, signs for something else with the same SECRET_KEY.
    "a password reset token": lambda user: PasswordResetTokenGenerator().make_token(user),
    "signing.dumps with its default salt": lambda user: signing.dumps({"u": user.pk}),
    "TimestampSigner with its default salt": lambda user: signing.TimestampSigner().sign_object(
        {"u": user.pk}
    ),
    "Signer with its default salt": lambda user: signing.Signer().sign_object({"u": user.pk}),
    "the CSV import preview's salt": lambda user: signing.dumps(
        {"u": user.pk}, salt="notifications.client-import.1"
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", OTHER_PURPOSES)
def test_a_token_signed_for_another_purpose_does_not_unsubscribe(client, alice, purpose):
    token = OTHER_PURPOSES[purpose](alice)

    assert client.get(reverse("unsubscribe", args=[token])).status_code == 400
    assert unsubscribe(client, token).status_code == 400
    assert not UserPreferences.objects.exists()


def _payload(token: str) -> dict:
    part = token.split(":")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _with_payload(token: str, value: dict) -> str:
    part = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=")
    return part.decode() + token[token.index(":") :]


@pytest.mark.django_db
def test_one_users_link_cannot_be_made_into_anothers(client, alice, bob):
    alices, bobs = make_token(alice.pk), make_token(bob.pk)
    assert _payload(alices) == {"u": alice.pk}  # the payload is readable (signed, not secret)

    forged = [
        _with_payload(alices, {"u": bob.pk}),  # bob's id under alice's signature
        alices.split(":")[0] + bobs[bobs.index(":") :],  # alice's payload, bob's signature
    ]
    for token in forged:
        assert unsubscribe(client, token).status_code == 400
    assert not UserPreferences.objects.exists()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, by model."""
    return {
        model._meta.label: sorted(model.objects.values_list(), key=repr)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


@pytest.mark.django_db
def test_the_link_turns_off_its_users_email_and_changes_nothing_else(client, alice, bob, ashford_list):
    UserPreferences.objects.create(user=alice, urgent_immediately=False, modes={"accounts": "off"})
    before = snapshot()

    assert unsubscribe(client, make_token(alice.pk)).status_code == 200

    after = snapshot()
    changed = {label for label in before if before[label] != after[label]}
    assert changed == {"notifications.UserPreferences"}  # no login, no session, no other row
    preferences = UserPreferences.objects.get()
    assert (preferences.user, preferences.email_enabled) == (alice, False)
    assert (preferences.urgent_immediately, preferences.modes) == (False, {"accounts": "off"})


# --- provider webhooks ------------------------------------------------------------------------


@pytest.fixture
def heard():
    """Every tracking event anymail passes on to our receiver."""
    events = []

    def listen(sender, event, esp_name, **kwargs):
        events.append((esp_name, event.event_type))

    tracking.connect(listen, weak=False)
    yield events
    tracking.disconnect(listen)


def webhook_urls() -> list[str]:
    return [reverse(r.name) for r in routes() if protection_of(r) == WEBHOOK]


@pytest.mark.django_db
def test_no_provider_webhook_takes_a_post_without_the_right_basic_auth(heard, alice):
    client = Client(raise_request_exception=False)  # a provider we are not set up for fails (500)
    body = json.dumps(hard_bounce())
    urls = webhook_urls()
    assert len(urls) > 20  # every provider's tracking and inbound webhook
    for url in urls:
        for auth in (None, basic_auth("hook-user:wrong-secret")):
            headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
            response = client.post(url, body, content_type="application/json", **headers)
            assert response.status_code in (400, 500), (url, auth, response.status_code)
    assert heard == [] and not EmailSuppression.objects.exists()
    # The control: with the right credentials the same post is heard.
    response = client.post(
        reverse("anymail:postmark_tracking_webhook"), body, "application/json", HTTP_AUTHORIZATION=RIGHT_AUTH
    )
    assert response.status_code == 200 and heard == [("Postmark", "bounced")]


@pytest.mark.django_db
def test_without_a_webhook_secret_the_webhooks_refuse_everyone(settings, heard, alice, caplog):
    """anymail alone takes any post when WEBHOOK_SECRET is unset (it only warns): anyone could
    block any member's address with a made-up bounce. (The hole this pass closed.)"""
    settings.ANYMAIL = {}
    client = Client(raise_request_exception=False)
    body = json.dumps(hard_bounce())
    statuses = {
        url: client.post(url, body, content_type="application/json").status_code for url in webhook_urls()
    }
    assert set(statuses.values()) == {403}, statuses
    assert heard == [] and not EmailSuppression.objects.exists()
    assert "ANYMAIL_WEBHOOK_SECRET is not set" in caplog.text


# --- the WebSocket ----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("origin", [None, b"https://evil.example", b"null"])
async def test_a_socket_without_our_origin_is_refused_before_the_consumer_runs(origin):
    """Refused by the Origin check (close 1000), not by the consumer's login check (4401): a page
    on another site, or a script that sends no Origin, never reaches the session at all."""
    headers = [(b"origin", origin)] if origin else []
    communicator = WebsocketCommunicator(application, "/ws/feed/1/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    assert not connected and code == 1000
    allowed = WebsocketCommunicator(application, "/ws/feed/1/", headers=[(b"origin", b"http://localhost")])
    assert await allowed.connect(timeout=5) == (False, 4401)  # past the Origin check: wants a login
