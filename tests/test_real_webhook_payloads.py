"""Every real payload of the email providers' tracking webhooks (../shared/real-data/webhooks/, with
their sources in its SOURCES.md), posted to the provider's tracking URL the way the provider posts
it: what anymail answers, and what becomes of our deliveries and of the addresses we block.

Each payload meets a delivery whose provider message id is the one the payload names (written as
that provider's send API gives it to us), beside a bystander that no payload names.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import anymail.webhooks.amazon_ses
import pytest
from anymail.signals import tracking
from django.urls import reverse
from django.utils import timezone

from notifications.models import Delivery, EmailSuppression, Notification
from streams.models import Company

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "real-data" / "webhooks"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REAL.is_dir(), reason="needs ../shared/real-data beside the repository"),
]

WEBHOOK_SECRET = "hook-user:hook-secret-for-tests"
MAILGUN_SIGNING_KEY = "mailgun-signing-key-for-tests"
RIGHT_AUTH = "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()
WRONG_AUTH = "Basic " + base64.b64encode(b"hook-user:wrong-secret").decode()

Status = Delivery.Status
Reason = EmailSuppression.Reason


# --- the payloads, and how each provider posts them ---------------------------------------------


def real_line(provider: str, line: int) -> str:
    """Line `line` (from 1) of the provider's file, exactly as captured."""
    return (REAL / f"{provider}.ndjson").read_text().splitlines()[line - 1]


def mailgun_signature(timestamp: str, token: str, key: str) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun_signed(data: dict, key: str = MAILGUN_SIGNING_KEY) -> dict:
    """A current (JSON) Mailgun webhook with its signature block, signed as Mailgun signs: HMAC-SHA256
    of timestamp + token under the webhook signing key (a token and timestamp already there kept)."""
    block = data.setdefault("signature", {})
    token = block.setdefault("token", "1234567890abcdef1234567890abcdef")
    moment = data.get("event-data", {}).get("timestamp", "1234567890.123")
    timestamp = block.setdefault("timestamp", str(int(float(moment))))
    block["signature"] = mailgun_signature(timestamp, token, key)
    return data


def mailgun_legacy_signed(fields: dict, key: str = MAILGUN_SIGNING_KEY) -> dict:
    """A legacy Mailgun webhook: the signature is three more form fields among the event's."""
    fields.setdefault("timestamp", "1234567890")
    fields.setdefault("token", "1234567890abcdef1234567890abcdef")
    fields["signature"] = mailgun_signature(fields["timestamp"], fields["token"], key)
    return fields


def post_body(client, provider: str, body: str, auth: str | None = RIGHT_AUTH, **headers):
    """Postmark, SendGrid, Brevo, and Mailgun's current webhooks: a JSON body."""
    if auth:
        headers["HTTP_AUTHORIZATION"] = auth
    return client.post(f"/anymail/{provider}/tracking/", body, content_type="application/json", **headers)


def post_mailgun_form(client, fields: dict, auth: str | None = RIGHT_AUTH):
    """Mailgun's legacy webhooks: form fields (a list is a field given more than once)."""
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(
        "/anymail/mailgun/tracking/",
        urlencode(fields, doseq=True),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def post_sns(client, envelope: str, auth: str | None = RIGHT_AUTH, **headers):
    """Amazon SES through SNS: a text/plain JSON envelope, its type and id repeated in headers."""
    body = json.loads(envelope)
    headers.setdefault("HTTP_X_AMZ_SNS_MESSAGE_TYPE", body["Type"])
    headers.setdefault("HTTP_X_AMZ_SNS_MESSAGE_ID", body["MessageId"])
    if auth:
        headers["HTTP_AUTHORIZATION"] = auth
    return client.post(
        "/anymail/amazon_ses/tracking/", envelope, content_type="text/plain; charset=UTF-8", **headers
    )


def post_real(client, provider: str, line: int, auth: str | None = RIGHT_AUTH):
    """The real payload on `line`, posted as its provider posts it."""
    raw = real_line(provider, line)
    if provider == "amazon_ses":
        return post_sns(client, raw, auth=auth)
    if provider == "mailgun":
        if line <= 10:
            return post_body(client, provider, json.dumps(mailgun_signed(json.loads(raw))), auth=auth)
        return post_mailgun_form(client, mailgun_legacy_signed(json.loads(raw)), auth=auth)
    return post_body(client, provider, raw, auth=auth)


# --- what each payload should do ----------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What one real payload does: anymail's answer; the message id our delivery holds for it (as
    the provider's send API gave it) and the address it went to; the delivery's status afterwards;
    the suppression of that address, if any."""

    provider: str
    line: int
    answer: int
    message_id: str | None = None
    address: str = "alice@example.com"
    status: str = Status.SENT
    suppressed: str | None = None
    what: str = ""

    def __str__(self) -> str:
        words = self.what.replace(",", "").replace(":", "").split()
        return "-".join([self.provider, str(self.line), *words])


POSTMARK_BOUNCED = "2706ee8a-737c-4285-b032-ccd317af53ed"
POSTMARK_OPENED = "f4830d10-9c35-4f0c-bca3-3d9b459821f8"
POSTMARK_UNSUBSCRIBED = "a4909a96-73d7-4c49-b148-a54522d3f7ac"
# Brevo's send API answers with the id in angle brackets, as most of its events give it; its
# complaint, error and proxy-open samples write the other message's id without them.
BREVO = "<201803011158.9876543210@smtp-relay.mailin.fr>"
BREVO_OTHER = "<201798300811.5787683@relay.domain.com>"
SES_MULTI_BOUNCE = "00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000"
SES_SENT = "7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
MAILGUN_DEFERRED = "<20180812214638.1.4A7D468E9BC18C5D@example.org>"

CASES = [
    # Postmark: one JSON object per post; no event id on most events.
    Expected("postmark", 1, 200, POSTMARK_BOUNCED,
             "bounce@example.com", Status.BOUNCED, Reason.BOUNCED, "hard bounce"),
    Expected("postmark", 2, 200, "883953f4-6105-42a2-a16a-77a8eac79483",
             "recipient@example.com", Status.DELIVERED, what="delivery"),
    Expected("postmark", 3, 200, POSTMARK_OPENED, "recipient@example.com", what="open"),
    Expected("postmark", 4, 200, POSTMARK_OPENED, "recipient@example.com", what="click"),
    Expected("postmark", 5, 200, POSTMARK_BOUNCED,
             "spam@example.com", Status.COMPLAINED, Reason.COMPLAINED, "spam complaint"),
    Expected("postmark", 6, 200, POSTMARK_UNSUBSCRIBED,
             "john@example.com", what="manual suppression: unsubscribed"),
    Expected("postmark", 7, 200, POSTMARK_UNSUBSCRIBED, "john@example.com", what="resubscribed"),
    Expected("postmark", 8, 200, "b4cb783d-78ed-43f2-983b-63f55c712dc8",
             "john@example.com", Status.BOUNCED, Reason.BOUNCED, "suppressed after a hard bounce"),
    Expected("postmark", 9, 200, "5555555-5555555-5555-5555555", what="unsubscribe request"),
    # SendGrid: each post a JSON array of events; the id is anymail's own (anymail_id), or the
    # message's Message-ID header (smtp-id), which our transport keeps when the backend gives none.
    Expected("sendgrid", 1, 200, "3c2f4df8-c6dd-4cd2-9b91-6582b81a0349",
             "recipient@example.com", what="processed"),
    Expected("sendgrid", 2, 200, "3c2f4df8-c6dd-4cd2-9b91-6582b81a0349",
             "recipient@example.com", what="processed"),
    Expected("sendgrid", 3, 200, "4ab185c2-0171-492f-9ce0-27de258efc99",
             "recipient@example.com", Status.DELIVERED, what="delivered"),
    Expected("sendgrid", 4, 200, "c74002d9-7ccb-4f67-8b8c-766cec03c9a6",
             "invalid@invalid", Status.FAILED, Reason.REJECTED, "dropped invalid"),
    Expected("sendgrid", 5, 200, "<14c5d75ce93.dfd.64b469@ismtpd-555>",
             "example@example.com", Status.FAILED, Reason.REJECTED, "dropped bounced address"),
    Expected("sendgrid", 6, 200, "a36ec0f9-aabe-45c7-9a84-3e17afb5cb65",
             "unsubscribe@example.com", Status.FAILED, Reason.REJECTED, "dropped unsubscribed"),
    Expected("sendgrid", 7, 200, "de212213-bb66-4302-8f3f-20acdb7a104e",
             "noreply@example.com", Status.BOUNCED, Reason.BOUNCED, "bounce"),
    Expected("sendgrid", 8, 200, "ccf83222-0d7e-4542-8beb-893122afa757",
             "recipient@example.com", what="deferred"),
    Expected("sendgrid", 9, 200, "44920b35-3e31-478b-bb67-b4f5e0c85ebc",
             "recipient@example.com", what="open"),
    Expected("sendgrid", 10, 200, "75de5af9-a090-4325-87f9-8c599ad66f60",
             "recipient@example.com", what="click"),
    Expected("sendgrid", 11, 200, "<152712433591.85282.8340115595767222398@example.com>",
             "recipient@example.com", Status.DELIVERED, what="delivered by smtp-id"),
    # Mailgun: lines 1-10 current JSON webhooks, signed here; message ids in angle brackets as
    # Mailgun's send API answers (anymail adds them where an event leaves them out).
    Expected("mailgun", 1, 200, "<20180812211713.1.DF5966851B4BAA99@example.org>",
             "recipient@example.com", Status.DELIVERED, what="delivered"),
    Expected("mailgun", 2, 200, "<20180812214658.1.0DF563D0B3597700@example.org>",
             "invalid@example.com", Status.BOUNCED, Reason.BOUNCED, "failed permanently"),
    Expected("mailgun", 3, 200, MAILGUN_DEFERRED,
             "undeliverable@nomx.example.com", what="failed temporarily"),
    Expected("mailgun", 4, 200, MAILGUN_DEFERRED, "undeliverable@mx.example.com", what="greylisted"),
    Expected("mailgun", 5, 200, "<20180622220256.1.B31A451A2E5422BB@sandbox55887.mailgun.org>",
             "recipient@example.org", Status.FAILED, Reason.REJECTED, "rejected"),
    Expected("mailgun", 6, 200, "<20130718032413.263EE2E0926@example.org>",
             "recipient@example.com", Status.COMPLAINED, Reason.COMPLAINED, "complained"),
    Expected("mailgun", 7, 200, "<20130822232216.13966.79700@samples.mailgun.org>",
             "recipient@example.com", what="unsubscribed"),
    Expected("mailgun", 8, 200, "<20180812213139.1.BC6694A917BB7E6A@example.org>",
             "recipient@example.com", what="opened"),
    Expected("mailgun", 9, 200, what="clicked, no message id"),
    Expected("mailgun", 10, 200, what="accepted, no message id"),
    # Lines 11-18: legacy form webhooks, none naming a message: nothing of ours to settle, and an
    # address we did not send this message to is not ours to block.
    Expected("mailgun", 11, 200, what="legacy dropped, spam"),
    Expected("mailgun", 12, 200, what="legacy dropped, timed out"),
    Expected("mailgun", 13, 200, what="legacy bounced"),
    Expected("mailgun", 14, 200, what="legacy bounced, extended code"),
    Expected("mailgun", 15, 200, what="legacy clicked with metadata"),
    Expected("mailgun", 16, 200, what="legacy clicked"),
    Expected("mailgun", 17, 200, what="legacy opened"),
    Expected("mailgun", 18, 200, what="legacy delivered"),
    Expected("mailgun", 19, 500, what="inbound message at the tracking URL"),
    # Amazon SES: the SNS envelope (even lines) is what is posted; its Message is the event on the
    # line before. anymail reports each recipient of a message; ours have one each.
    Expected("amazon_ses", 2, 200, "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
             "jane@example.com", Status.BOUNCED, Reason.BOUNCED, "bounce"),
    Expected("amazon_ses", 4, 200, SES_MULTI_BOUNCE,
             "jane@example.com", Status.BOUNCED, Reason.BOUNCED, "bounce of two recipients"),
    Expected("amazon_ses", 6, 200, "000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
             "richard@example.com", Status.COMPLAINED, Reason.COMPLAINED, "complaint"),
    Expected("amazon_ses", 8, 200, "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000",
             "jane@example.com", Status.DELIVERED, what="delivery"),
    Expected("amazon_ses", 10, 200, SES_SENT, "recipient@example.com", what="send"),
    Expected("amazon_ses", 12, 200, SES_SENT,
             "recipient@example.com", Status.FAILED, Reason.REJECTED, "reject"),
    Expected("amazon_ses", 14, 200, SES_SENT, "recipient@example.com", what="open"),
    Expected("amazon_ses", 16, 200, SES_SENT, "recipient@example.com", what="click"),
    Expected("amazon_ses", 18, 200, "c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
             "recipient@example.com", Status.FAILED, what="rendering failure"),
    Expected("amazon_ses", 19, 500, what="inbound receipt at the tracking URL"),
    # Brevo: one JSON object per post, no event id; times from its UTC epoch (see below).
    Expected("brevo", 1, 200, "<201803062010.27287306012@smtp-relay.mailin.fr>",
             "recipient@example.com", what="request"),
    Expected("brevo", 2, 200, BREVO, "recipient@example.com", Status.DELIVERED, what="delivered"),
    Expected("brevo", 3, 200, BREVO, "not-a-user@example.com", Status.BOUNCED, Reason.BOUNCED, "hard bounce"),
    Expected("brevo", 4, 200, BREVO,
             "recipient@no-mx.example.com", Status.BOUNCED, Reason.BOUNCED, "soft bounce"),
    Expected("brevo", 5, 200, BREVO, "recipient@example.com", Status.FAILED, Reason.REJECTED, "blocked"),
    Expected("brevo", 6, 200, BREVO, "recipient@example.com", Status.COMPLAINED, Reason.COMPLAINED, "spam"),
    Expected("brevo", 7, 200, BREVO_OTHER,
             "example@domain.com", Status.COMPLAINED, Reason.COMPLAINED, "complaint, id without brackets"),
    Expected("brevo", 8, 200, BREVO,
             "recipient@example.com", Status.BOUNCED, Reason.BOUNCED, "invalid email"),
    Expected("brevo", 9, 200, BREVO_OTHER,
             "example@domain.com", Status.FAILED, what="error, id without brackets"),
    Expected("brevo", 10, 200, BREVO, "notauser@example.com", what="deferred"),
    Expected("brevo", 11, 200, BREVO, "recipient@example.com", what="opened"),
    Expected("brevo", 12, 200, BREVO, "recipient@example.com", what="unique opened"),
    Expected("brevo", 13, 200, BREVO_OTHER, "example@domain.com", what="proxy open"),
    Expected("brevo", 14, 200, BREVO_OTHER, "example@domain.com", what="unique proxy open"),
    Expected("brevo", 15, 200, BREVO, "recipient@example.com", what="click"),
    Expected("brevo", 16, 200, BREVO, "recipient@example.com", what="unsubscribe"),
]  # fmt: skip


# --- fixtures -----------------------------------------------------------------------------------


@dataclass
class SNSStandIn:
    """boto3 as anymail uses it to confirm an SNS subscription (`Session().client("sns")`), with
    nothing sent anywhere: the clients asked for and the confirmations made are recorded."""

    clients: list[tuple[str, dict]] = field(default_factory=list)
    confirmations: list[dict] = field(default_factory=list)

    def Session(self, **params) -> SNSStandIn:  # boto3's name
        return self

    def client(self, service: str, **params) -> SNSStandIn:
        self.clients.append((service, params))
        return self

    def confirm_subscription(self, **params) -> dict:
        self.confirmations.append(params)
        return {"SubscriptionArn": f"{params['TopicArn']}:1"}

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def providers(settings, monkeypatch) -> SNSStandIn:
    """Our webhook secret and a Mailgun signing key; for Amazon SES, boto3 stood in for (anymail
    needs it to confirm subscriptions, and no test may reach AWS)."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY}
    sns = SNSStandIn()
    monkeypatch.setattr(anymail.webhooks.amazon_ses, "boto3", SimpleNamespace(session=sns))
    monkeypatch.setattr(anymail.webhooks.amazon_ses, "_get_anymail_boto3_params", lambda **kw: ({}, {}))
    return sns


@pytest.fixture
def client(client):
    """A provider sees our 500s as answers (and retries), not as exceptions."""
    client.raise_request_exception = False
    return client


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
def bystander(notification, carol) -> Delivery:
    """Carol's email of the same notification: no payload names its message."""
    return Delivery.objects.create(
        notification=notification,
        user=carol,
        status=Status.SENT,
        address="carol@example.com",
        provider_message_id="a-message-no-payload-names",
    )


def sent_to_alice(
    notification, alice, message_id: str | None, address: str = "alice@example.com"
) -> Delivery:
    return Delivery.objects.create(
        notification=notification,
        user=alice,
        status=Status.SENT,
        attempts=1,
        address=address,
        provider_message_id=message_id or "a-message-this-payload-does-not-name",
    )


def everything() -> tuple[list[dict], list[dict]]:
    """Every delivery and suppression, every field (updated_at included)."""
    return (
        list(Delivery.objects.order_by("id").values()),
        list(EmailSuppression.objects.order_by("id").values()),
    )


# --- every payload ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_real_payload_gets_anymails_answer_and_settles_only_the_delivery_it_names(
    client, notification, alice, bystander, case
):
    ours = sent_to_alice(notification, alice, case.message_id, case.address)
    untouched = Delivery.objects.filter(pk=bystander.pk).values().get()

    response = post_real(client, case.provider, case.line)

    assert response.status_code == case.answer
    ours.refresh_from_db()
    assert ours.status == case.status
    assert bool(ours.last_error) == (case.status not in (Status.SENT, Status.DELIVERED))
    expected = {(case.address, case.suppressed)} if case.suppressed else set()
    assert set(EmailSuppression.objects.values_list("address", "reason")) == expected
    assert Delivery.objects.filter(pk=bystander.pk).values().get() == untouched


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_real_payload_posted_again_changes_nothing_the_second_time(client, notification, alice, case):
    """Providers retry until they see a 200; Postmark's and Brevo's events carry no id to spot it by."""
    sent_to_alice(notification, alice, case.message_id, case.address)
    first = post_real(client, case.provider, case.line).status_code
    before = everything()

    again = post_real(client, case.provider, case.line).status_code

    assert again == first == case.answer
    assert everything() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_real_payload_without_our_basic_auth_is_refused_and_changes_nothing(
    client, notification, alice, case
):
    sent_to_alice(notification, alice, case.message_id, case.address)
    before = everything()

    assert post_real(client, case.provider, case.line, auth=WRONG_AUTH).status_code == 400
    assert everything() == before


def test_every_real_payload_has_its_case_and_each_ses_envelope_carries_the_event_before_it():
    with (REAL / "index.tsv").open() as index:
        lines = {(row["file"], int(row["line"])) for row in csv.DictReader(index, delimiter="\t")}
    for line in sorted(n for f, n in lines if f == "webhooks/amazon_ses.ndjson" and n % 2 == 0):
        assert json.loads(json.loads(real_line("amazon_ses", line))["Message"]) == json.loads(
            real_line("amazon_ses", line - 1)
        )
    ses_events = {("webhooks/amazon_ses.ndjson", n) for n in range(1, 19, 2)}
    assert {(f"webhooks/{c.provider}.ndjson", c.line) for c in CASES} == lines - ses_events


# --- repeats, order and time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "line", "message_id", "address"),
    [("postmark", 1, POSTMARK_BOUNCED, "bounce@example.com"), ("brevo", 3, BREVO, "not-a-user@example.com")],
    ids=["postmark", "brevo"],
)
def test_a_repeated_bounce_does_not_block_again_an_address_its_owner_resumed(
    client, notification, alice, provider, line, message_id, address
):
    alice.email = address
    alice.save()
    ours = sent_to_alice(notification, alice, message_id, address)
    assert post_real(client, provider, line).status_code == 200
    assert EmailSuppression.objects.filter(address=address).exists()
    client.force_login(alice)
    client.post(reverse("resume_email"))  # "my address works again"
    assert not EmailSuppression.objects.exists()

    assert post_real(client, provider, line).status_code == 200  # the provider's retry

    assert not EmailSuppression.objects.exists()
    ours.refresh_from_db()
    assert ours.status == Status.BOUNCED


def test_a_second_recipients_bounce_of_one_ses_message_blocks_no_address_of_ours_twice(
    client, notification, alice
):
    """SES reports Jane and Richard for one message; ours went to Jane alone."""
    ours = sent_to_alice(notification, alice, SES_MULTI_BOUNCE, "jane@example.com")

    assert post_real(client, "amazon_ses", 4).status_code == 200

    ours.refresh_from_db()
    assert ours.status == Status.BOUNCED
    assert list(EmailSuppression.objects.values_list("address", flat=True)) == ["jane@example.com"]


def test_a_brevo_event_that_writes_the_message_id_without_brackets_still_finds_the_delivery(
    client, notification, alice
):
    """Brevo's send API gave "<id>"; its complaint says "id". A missed complaint would keep us
    emailing someone who called our email spam."""
    ours = sent_to_alice(notification, alice, BREVO_OTHER, "example@domain.com")
    assert json.loads(real_line("brevo", 7))["message-id"] == BREVO_OTHER.strip("<>")

    assert post_real(client, "brevo", 7).status_code == 200

    ours.refresh_from_db()
    assert ours.status == Status.COMPLAINED
    assert EmailSuppression.objects.get().reason == Reason.COMPLAINED


@pytest.mark.parametrize(
    ("lines", "settled"),
    [
        ((2, 3), Status.BOUNCED),  # delivered, then the bounce
        ((3, 2), Status.BOUNCED),  # the bounce, then a late "delivered"
        ((6, 2), Status.COMPLAINED),
        ((2, 6), Status.COMPLAINED),
        ((5, 2, 3), Status.BOUNCED),  # a bounce outranks a rejection, whichever comes first
        ((3, 5, 2), Status.BOUNCED),
    ],
    ids=[
        "delivered-bounced",
        "bounced-delivered",
        "spam-delivered",
        "delivered-spam",
        "blocked-1st",
        "blocked-2nd",
    ],
)
def test_brevos_events_settle_a_delivery_the_same_in_any_order(client, notification, alice, lines, settled):
    """Every Brevo sample of this message bears the same time: nothing may hang on the order."""
    ours = sent_to_alice(notification, alice, BREVO, "recipient@example.com")
    for line in lines:
        assert post_real(client, "brevo", line).status_code == 200
    ours.refresh_from_db()
    assert ours.status == settled


@pytest.fixture
def heard():
    events = []

    def listen(sender, event, esp_name, **kwargs):
        events.append(event)

    tracking.connect(listen, weak=False, dispatch_uid="test_real_webhook_payloads.heard")
    yield events
    tracking.disconnect(dispatch_uid="test_real_webhook_payloads.heard")


def test_brevos_local_time_date_is_not_its_time_anymail_reads_the_utc_epoch(client, heard):
    raw = json.loads(real_line("brevo", 1))
    assert (raw["date"], raw["ts_epoch"]) == ("2018-03-06 11:10:23", 1520363423000)

    post_real(client, "brevo", 1)
    post_real(client, "brevo", 7)  # no epoch at all
    post_real(client, "brevo", 9)  # an epoch in seconds, read as milliseconds

    assert [e.timestamp for e in heard] == [
        datetime(2018, 3, 6, 19, 10, 23, tzinfo=UTC),
        None,
        datetime(1970, 1, 19, 13, 48, 53, 623000, tzinfo=UTC),
    ]


def test_a_brevo_error_dated_1970_settles_an_unsent_delivery_without_dating_it_1970(
    client, notification, alice
):
    """The worker died after Brevo took the message; Brevo's error event (our delivery id in its
    metadata) says it took it and failed. The row says sent and failed, dated when it existed."""
    stuck = Delivery.objects.create(
        notification=notification,
        user=alice,
        status=Status.SENDING,
        attempts=1,
        address="example@domain.com",
        claimed_at=timezone.now(),
    )
    error = {
        **json.loads(real_line("brevo", 9)),
        "X-Mailin-custom": json.dumps({"delivery_id": str(stuck.id)}),
    }

    assert post_body(client, "brevo", json.dumps(error)).status_code == 200

    stuck.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert stuck.provider_message_id == "201798300811.5787683@relay.domain.com"
    assert stuck.created_at <= stuck.sent_at <= timezone.now()
    assert stuck.last_error.startswith("Not sent: the provider failed")
    assert not EmailSuppression.objects.exists()  # the provider's failure, not the address's


# --- SendGrid's batches -------------------------------------------------------------------------


def test_a_sendgrid_batch_settles_each_of_its_deliveries_and_a_resent_batch_changes_nothing(
    client, notification, alice, carol
):
    """One post carries many events; when one fails SendGrid sends the whole batch again."""
    delivered = sent_to_alice(notification, alice, "4ab185c2-0171-492f-9ce0-27de258efc99")
    bounced = Delivery.objects.create(
        notification=notification,
        user=carol,
        status=Status.SENT,
        address="noreply@example.com",
        provider_message_id="de212213-bb66-4302-8f3f-20acdb7a104e",
    )
    opened = Delivery.objects.create(  # Alice's digest of the day
        digest_date=date(2025, 3, 4),
        user=alice,
        status=Status.SENT,
        address="recipient@example.com",
        provider_message_id="44920b35-3e31-478b-bb67-b4f5e0c85ebc",
    )
    batch = json.dumps([event for line in (1, 3, 7, 9) for event in json.loads(real_line("sendgrid", line))])

    assert post_body(client, "sendgrid", batch).status_code == 200
    for delivery in (delivered, bounced, opened):
        delivery.refresh_from_db()
    assert (delivered.status, bounced.status, opened.status) == (
        Status.DELIVERED,
        Status.BOUNCED,
        Status.SENT,
    )
    assert list(EmailSuppression.objects.values_list("address", "reason")) == [
        ("noreply@example.com", Reason.BOUNCED)
    ]
    before = everything()

    assert post_body(client, "sendgrid", batch).status_code == 200
    assert everything() == before


# --- Amazon SES through SNS ---------------------------------------------------------------------

# SNS's first post to a new subscription (not among the captured payloads: its shape as SNS
# sends it, for a topic of ours).
TOPIC = "arn:aws:sns:eu-west-2:123456789012:client-watch-ses-events"
SNS_TOKEN = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb718"
SUBSCRIPTION_CONFIRMATION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": SNS_TOKEN,
    "TopicArn": TOPIC,
    "Message": f"You have chosen to subscribe to the topic {TOPIC}.\n"
    "To confirm the subscription, visit the SubscribeURL included in this message.",
    "SubscribeURL": f"https://sns.eu-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}"
    f"&Token={SNS_TOKEN}",
    "Timestamp": "2025-03-04T10:15:30.751Z",
    "SignatureVersion": "1",
    "Signature": "EXAMPLE-SIGNATURE==",
    "SigningCertURL": "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-12345abcde.pem",
}


def test_an_sns_subscription_is_confirmed_through_sns_in_the_topics_region_and_settles_nothing(
    client, notification, alice, providers, heard
):
    sent_to_alice(notification, alice, SES_SENT, "recipient@example.com")
    before = everything()

    assert post_sns(client, json.dumps(SUBSCRIPTION_CONFIRMATION)).status_code == 200

    assert providers.clients == [("sns", {"region_name": "eu-west-2"})]
    assert providers.confirmations == [
        {"TopicArn": TOPIC, "Token": SNS_TOKEN, "AuthenticateOnUnsubscribe": "true"}
    ]
    assert heard == [] and everything() == before


def test_with_auto_confirmation_off_an_sns_subscription_is_taken_and_not_confirmed(
    client, settings, providers, heard
):
    settings.ANYMAIL = {**settings.ANYMAIL, "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False}

    assert post_sns(client, json.dumps(SUBSCRIPTION_CONFIRMATION)).status_code == 200
    assert providers.confirmations == [] and heard == []


def test_an_sns_post_without_credentials_is_challenged_for_them_and_a_wrong_one_refused(
    client, notification, alice, providers
):
    """SNS sends the basic auth of its URL only after a 401 that asks for it."""
    sent_to_alice(notification, alice, SES_SENT, "recipient@example.com")
    before = everything()

    challenged = post_sns(client, real_line("amazon_ses", 12), auth=None)
    refused = post_sns(client, json.dumps(SUBSCRIPTION_CONFIRMATION), auth=WRONG_AUTH)

    assert challenged.status_code == 401
    assert challenged["WWW-Authenticate"].startswith("Basic ")
    assert refused.status_code == 400
    assert providers.confirmations == [] and everything() == before


def test_an_sns_post_whose_headers_disagree_with_its_body_is_refused(client, notification, alice):
    sent_to_alice(notification, alice, SES_SENT, "recipient@example.com")
    before = everything()

    response = post_sns(client, real_line("amazon_ses", 12), HTTP_X_AMZ_SNS_MESSAGE_ID="another-message")

    assert response.status_code == 400
    assert everything() == before


def test_without_a_webhook_secret_no_sns_subscription_is_confirmed(client, settings, providers):
    settings.ANYMAIL = {}

    assert post_sns(client, json.dumps(SUBSCRIPTION_CONFIRMATION)).status_code == 403
    assert providers.confirmations == []


# --- Mailgun's signatures -----------------------------------------------------------------------


def test_a_mailgun_webhook_signed_with_another_key_or_unsigned_is_refused_and_changes_nothing(
    client, notification, alice
):
    sent_to_alice(
        notification, alice, "<20180812214658.1.0DF563D0B3597700@example.org>", "invalid@example.com"
    )
    before = everything()
    bounce = json.loads(real_line("mailgun", 2))
    legacy = json.loads(real_line("mailgun", 13))

    answers = [
        post_body(client, "mailgun", json.dumps(mailgun_signed(dict(bounce), key="another-key"))),
        post_body(client, "mailgun", json.dumps(bounce)),  # no signature block
        post_mailgun_form(client, mailgun_legacy_signed(dict(legacy), key="another-key")),
        post_mailgun_form(client, legacy),  # no signature fields
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert everything() == before


def test_a_signed_mailgun_webhook_still_needs_our_basic_auth(client, notification, alice):
    ours = sent_to_alice(notification, alice, "<20180812214658.1.0DF563D0B3597700@example.org>")

    assert post_real(client, "mailgun", 2, auth=None).status_code == 400
    ours.refresh_from_db()
    assert ours.status == Status.SENT


def test_without_a_signing_key_mailgun_webhooks_fail_until_one_is_set(client, settings):
    """anymail cannot check a signature without the key: 500, so Mailgun retries the post."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}

    assert post_real(client, "mailgun", 1).status_code == 500
