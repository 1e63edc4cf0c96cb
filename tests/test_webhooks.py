"""Postmark tells us what became of an email: through anymail's webhook to the Delivery row."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from notifications.models import Delivery, EmailSuppression, Notification
from streams.models import Company

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"
MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


def basic_auth(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


RIGHT_AUTH = basic_auth("hook-user:hook-secret-for-tests")


def post(client, payload: dict, auth: str | None = RIGHT_AUTH):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def hard_bounce(message_id: str = MESSAGE_ID, email: str = "alice@example.com") -> dict:
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "notification",
        "MessageID": message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "alerts@watch.example.test",
        "BouncedAt": "2025-03-04T10:15:30.0000000Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Green Leaf Cafe Ltd: director resigned",
    }


def spam_complaint(message_id: str = MESSAGE_ID, email: str = "alice@example.com") -> dict:
    return {
        "RecordType": "SpamComplaint",
        "MessageStream": "outbound",
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Tag": "notification",
        "MessageID": message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The subscriber explicitly marked this email as spam.",
        "Details": "Spam complaint from feedback loop",
        "Email": email,
        "From": "alerts@watch.example.test",
        "BouncedAt": "2025-03-04T11:00:00.0000000Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": False,
        "Subject": "Green Leaf Cafe Ltd: director resigned",
    }


def blocked(message_id: str = MESSAGE_ID, email: str = "alice@example.com") -> dict:
    return {**hard_bounce(message_id, email), "Type": "Blocked", "TypeCode": 100006, "Name": "ISP block"}


def delivery(message_id: str = MESSAGE_ID, email: str = "alice@example.com") -> dict:
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Recipient": email,
        "Tag": "notification",
        "DeliveredAt": "2025-03-04T10:14:59Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": {},
    }


@pytest.fixture
def notification(ashford) -> Notification:
    company = Company.objects.create(company_number="09876543", name="Green Leaf Cafe Ltd")
    return Notification.objects.create(
        organisation=ashford,
        company=company,
        company_name=company.name,
        category="officers",
        severity="urgent",
        title="Director resigned",
        stream="officers",
        timepoint=1001,
    )


@pytest.fixture
def sent(notification, alice) -> Delivery:
    return Delivery.objects.create(
        notification=notification,
        user=alice,
        status=Delivery.Status.SENT,
        attempts=1,
        address="alice@example.com",
        provider_message_id=MESSAGE_ID,
    )


def test_a_hard_bounce_marks_the_delivery_bounced_and_suppresses_the_address(client, sent):
    response = post(client, hard_bounce(email="Alice@Example.com"))

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED
    assert "Bounced" in sent.last_error
    assert "mailbox not found" in sent.last_error
    suppression = EmailSuppression.objects.get()
    assert suppression.address == "alice@example.com"
    assert suppression.reason == EmailSuppression.Reason.BOUNCED


def test_a_spam_complaint_marks_the_delivery_complained_and_suppresses_the_address(client, sent):
    Delivery.objects.filter(pk=sent.pk).update(status=Delivery.Status.DELIVERED)

    assert post(client, spam_complaint()).status_code == 200

    sent.refresh_from_db()
    assert sent.status == Delivery.Status.COMPLAINED
    assert "marked this email as spam" in sent.last_error
    suppression = EmailSuppression.objects.get(address="alice@example.com")
    assert suppression.reason == EmailSuppression.Reason.COMPLAINED


def test_a_rejection_fails_the_delivery_and_suppresses_the_address(client, sent):
    assert post(client, blocked()).status_code == 200

    sent.refresh_from_db()
    assert sent.status == Delivery.Status.FAILED
    assert sent.last_error.startswith("Rejected by the provider")
    assert EmailSuppression.objects.get(address="alice@example.com").reason == "rejected"


def test_a_delivery_event_moves_a_sent_delivery_to_delivered(client, sent):
    assert post(client, delivery()).status_code == 200

    sent.refresh_from_db()
    assert sent.status == Delivery.Status.DELIVERED
    assert sent.last_error == ""
    assert not EmailSuppression.objects.exists()


def test_a_delivered_event_after_a_bounce_does_not_undo_the_bounce(client, sent):
    post(client, hard_bounce())
    post(client, delivery())

    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED
    assert EmailSuppression.objects.filter(address="alice@example.com").exists()


def test_a_bounce_after_a_delivered_event_marks_the_delivery_bounced(client, sent):
    post(client, delivery())
    post(client, hard_bounce())

    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED


def test_a_second_bounce_for_a_suppressed_address_updates_the_one_suppression(
    client, sent, notification, carol
):
    other = Delivery.objects.create(
        notification=notification,
        user=carol,
        status=Delivery.Status.SENT,
        address="alice@example.com",
        provider_message_id="second-message",
    )
    post(client, hard_bounce())
    post(client, spam_complaint(message_id="second-message"))

    other.refresh_from_db()
    assert other.status == Delivery.Status.COMPLAINED
    assert EmailSuppression.objects.get().reason == EmailSuppression.Reason.COMPLAINED


def test_an_event_for_an_unknown_message_id_changes_nothing(client, sent, caplog):
    with caplog.at_level(logging.INFO, logger="notifications.delivery.webhooks"):
        response = post(client, hard_bounce(message_id="not-one-of-ours"))

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT
    assert sent.last_error == ""
    assert not EmailSuppression.objects.exists()
    assert "unknown message" in caplog.text


@pytest.mark.parametrize(
    "payload",
    [
        {**hard_bounce(), "Type": "Transient", "TypeCode": 2, "Name": "Message delayed"},
        {
            "RecordType": "Open",
            "MessageStream": "outbound",
            "FirstOpen": True,
            "MessageID": MESSAGE_ID,
            "Recipient": "alice@example.com",
            "ReceivedAt": "2025-03-04T10:20:00Z",
            "UserAgent": "Mozilla/5.0",
            "Metadata": {},
        },
    ],
    ids=["deferred", "opened"],
)
def test_deferred_and_opened_events_change_nothing(client, sent, payload):
    assert post(client, payload).status_code == 200

    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT
    assert not EmailSuppression.objects.exists()


@pytest.mark.parametrize(
    "auth", [None, basic_auth("hook-user:wrong-secret"), basic_auth("someone:hook-secret-for-tests")]
)
def test_a_webhook_without_the_right_basic_auth_is_refused_and_changes_nothing(client, sent, auth):
    response = post(client, hard_bounce(), auth=auth)

    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT
    assert not EmailSuppression.objects.exists()


def test_the_logs_name_only_the_domain_of_an_address(client, sent, caplog):
    with caplog.at_level(logging.INFO, logger="notifications.delivery.webhooks"):
        post(client, hard_bounce())
        post(client, hard_bounce(message_id="not-one-of-ours", email="dave@elsewhere.example"))

    assert "***@example.com" in caplog.text
    assert "***@elsewhere.example" in caplog.text
    assert "alice@" not in caplog.text
    assert "dave@" not in caplog.text


@pytest.fixture
def stuck(notification, alice) -> Delivery:
    """The worker died after the provider took the message, before recording it: still "sending",
    with no provider message id, claimed long ago."""
    from datetime import timedelta

    from django.utils import timezone

    return Delivery.objects.create(
        notification=notification,
        user=alice,
        status=Delivery.Status.SENDING,
        attempts=1,
        address="alice@example.com",
        claimed_at=timezone.now() - timedelta(hours=1),
    )


@pytest.mark.parametrize("event", [delivery, hard_bounce], ids=["delivered", "bounced"])
def test_an_event_for_a_delivery_our_record_shows_unsent_is_found_by_its_metadata(client, stuck, event):
    payload = {**event(message_id="provider-id-1"), "Metadata": {"delivery_id": str(stuck.id)}}
    assert post(client, payload).status_code == 200

    stuck.refresh_from_db()
    assert stuck.provider_message_id == "provider-id-1"
    assert stuck.sent_at is not None
    expected = Delivery.Status.DELIVERED if event is delivery else Delivery.Status.BOUNCED
    assert stuck.status == expected


def test_a_delivery_the_provider_reported_on_is_not_sent_again_by_the_reconciler(client, stuck, settings):
    from notifications.reconcile import reconcile

    opened = {
        "RecordType": "Open",
        "MessageStream": "outbound",
        "FirstOpen": True,
        "MessageID": "provider-id-2",
        "Recipient": "alice@example.com",
        "ReceivedAt": "2025-03-04T10:20:00Z",
        "Metadata": {"delivery_id": str(stuck.id)},
    }
    assert post(client, opened).status_code == 200  # any event at all: the provider has it

    stuck.refresh_from_db()
    assert (stuck.status, stuck.provider_message_id) == (Delivery.Status.SENT, "provider-id-2")
    settings.RECONCILE_DELIVERY_AFTER_SECONDS = 0
    assert (reconcile().unstuck, reconcile().deliveries) == (0, 0)


def test_metadata_naming_no_delivery_of_ours_changes_nothing(client, sent):
    payload = {**hard_bounce(message_id="unknown"), "Metadata": {"delivery_id": "999999"}}
    assert post(client, payload).status_code == 200
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT
    assert not EmailSuppression.objects.exists()
