"""Delivery: every email a row, claimed so it is sent once; transient errors retried with
back-off, permanent ones failed at once; the admin lists failures and retries them."""

from __future__ import annotations

import pytest
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core import mail

from notifications import jobs
from notifications.content.categories import Category, EmailMode
from notifications.delivery.sending import deliver
from notifications.delivery.unsubscribe import user_id_for
from notifications.fan_out import fan_out_events
from notifications.models import Delivery, EmailSuppression, Notification, UserPreferences
from tests.mailbackends import ScriptedBackend
from tests.notifykit import run_jobs, stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db
SCRIPTED = "tests.mailbackends.ScriptedBackend"


@pytest.fixture
def urgent_delivery(ashford_list, alice) -> Delivery:
    fan_out_events([stored_officer_change("09876543", name="<script>alert(1)</script> SMITH").id])
    return Delivery.objects.get()


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = SCRIPTED
    ScriptedBackend.script = []
    yield ScriptedBackend.script
    ScriptedBackend.script = []


def test_a_delivery_is_sent_once_and_a_second_run_sends_nothing(urgent_delivery):
    assert deliver([urgent_delivery.id]).sent == [urgent_delivery.id]
    assert deliver([urgent_delivery.id]).skipped == [urgent_delivery.id]
    assert len(mail.outbox) == 1
    urgent_delivery.refresh_from_db()
    assert (urgent_delivery.status, urgent_delivery.attempts) == ("sent", 1)
    assert urgent_delivery.sent_at and urgent_delivery.provider_message_id
    assert urgent_delivery.address == "alice@example.com"
    # The provider's webhooks carry it back: how they find a delivery a dead worker never recorded.
    assert mail.outbox[0].metadata == {"delivery_id": str(urgent_delivery.id)}


def test_the_email_has_text_and_html_a_one_click_unsubscribe_and_escapes_ch_text(urgent_delivery, alice):
    deliver([urgent_delivery.id])
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject.startswith("URGENT: Green Leaf Cafe Ltd (09876543): ")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://watch.example.test/email/unsubscribe/")
    assert user_id_for(link.rstrip("/").rsplit("/", 1)[1]) == alice.id
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    n = urgent_delivery.notification
    feed_link = f"https://watch.example.test/feed/{n.organisation_id}/n/{n.id}/"  # the item's own page
    assert feed_link in html and feed_link in message.body
    assert "ASH-001" in message.body and "find-and-update.company-information.service.gov.uk" in html


def test_a_transient_error_goes_back_to_pending_and_the_job_raises_for_rqs_retry(urgent_delivery, scripted):
    scripted.append(AnymailAPIError("provider unavailable", status_code=503))
    with pytest.raises(jobs.DeliveriesToRetry):
        jobs.deliver([urgent_delivery.id])
    urgent_delivery.refresh_from_db()
    assert (urgent_delivery.status, urgent_delivery.attempts) == ("pending", 1)
    assert "503" in urgent_delivery.last_error and urgent_delivery.retry_at is not None
    assert jobs.deliver([urgent_delivery.id]) == 1  # RQ runs it again: now it goes
    urgent_delivery.refresh_from_db()
    assert (urgent_delivery.status, urgent_delivery.attempts) == ("sent", 2)


def test_a_permanent_error_fails_at_once_without_retry(urgent_delivery, scripted):
    scripted.append(AnymailRecipientsRefused("recipient refused"))
    assert jobs.deliver([urgent_delivery.id]) == 0  # does not raise: nothing to retry
    urgent_delivery.refresh_from_db()
    assert (urgent_delivery.status, urgent_delivery.attempts) == ("failed", 1)
    assert "refused" in urgent_delivery.last_error


def test_a_client_error_from_the_provider_is_permanent_but_rate_limiting_is_not(urgent_delivery, scripted):
    scripted.extend([AnymailAPIError("slow down", status_code=429), AnymailAPIError("bad", status_code=422)])
    assert deliver([urgent_delivery.id]).retry == [urgent_delivery.id]
    assert deliver([urgent_delivery.id]).failed == [urgent_delivery.id]


def test_a_delivery_failing_every_time_is_given_up_after_the_maximum_attempts(
    urgent_delivery, scripted, settings
):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    scripted.extend(AnymailAPIError("down", status_code=500) for _ in range(5))
    outcomes = [deliver([urgent_delivery.id]) for _ in range(4)]
    assert [bool(o.retry) for o in outcomes] == [True, True, False, False]
    urgent_delivery.refresh_from_db()
    assert (urgent_delivery.status, urgent_delivery.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in urgent_delivery.last_error


def test_no_email_goes_to_an_address_that_bounced(urgent_delivery):
    EmailSuppression.objects.create(address="alice@example.com", reason="bounced")
    assert deliver([urgent_delivery.id]).failed == [urgent_delivery.id]
    urgent_delivery.refresh_from_db()
    assert urgent_delivery.status == "suppressed" and not mail.outbox


def test_fan_out_marks_deliveries_to_a_bounced_address_suppressed_without_queueing_them(ashford_list, alice):
    EmailSuppression.objects.create(address="alice@example.com", reason="complained")
    result = fan_out_events([stored_officer_change("09876543").id])
    assert result.deliveries == []
    assert Delivery.objects.get().status == "suppressed"


def test_failed_deliveries_are_listed_in_the_admin_and_retry_sends_them(
    urgent_delivery, scripted, operator, client, redis_client, django_capture_on_commit_callbacks
):
    scripted.append(AnymailRecipientsRefused("refused"))
    deliver([urgent_delivery.id])
    client.force_login(operator)
    page = client.get("/admin/notifications/delivery/?status=failed")
    assert page.status_code == 200 and f"{urgent_delivery.id}" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/notifications/delivery/",
            {"action": "retry", "_selected_action": [urgent_delivery.id]},
            follow=True,
        )
    urgent_delivery.refresh_from_db()
    assert (urgent_delivery.status, urgent_delivery.attempts) == ("pending", 0)
    run_jobs()
    urgent_delivery.refresh_from_db()
    assert urgent_delivery.status == "sent" and len(mail.outbox) == 1


def test_a_practice_admin_sees_only_their_own_organisations_deliveries(
    urgent_delivery, bob, baxter_list, client
):
    fan_out_events([stored_officer_change("NI654321").id])
    client.force_login(bob)
    page = client.get("/admin/notifications/delivery/").content.decode()
    baxter_delivery = Delivery.objects.get(user=bob)
    assert f'value="{baxter_delivery.id}"' in page
    assert f'value="{urgent_delivery.id}"' not in page


def test_a_daily_digest_groups_the_days_news_by_client_and_is_sent_once(
    ashford_list, alice, redis_client, django_capture_on_commit_callbacks
):
    from notifications.delivery.digests import queue_digests

    UserPreferences.objects.create(user=alice, modes={Category.ACCOUNTS: EmailMode.DIGEST})
    fan_out_events([stored_filing("09876543").id, stored_filing("SC123456").id, stored_filing("09876543").id])
    assert not Delivery.objects.exists()  # accounts go in the digest, not at once

    with django_capture_on_commit_callbacks(execute=True):
        queue_digests()
        queue_digests()  # the scheduler may run it twice
    run_jobs()

    (message,) = mail.outbox
    assert message.subject.startswith("Client Watch daily digest for ") and message.subject.endswith(
        "3 updates"
    )
    body = message.body
    assert body.index("Green Leaf Cafe Ltd (09876543)") < body.index("McLeod Fishing Ltd (SC123456)")
    assert body.count("Green Leaf Cafe Ltd (09876543)") == 1
    assert Delivery.objects.get().digest_date is not None
    assert Notification.objects.count() == 3


def test_no_digest_when_there_is_nothing_to_tell(ashford_list, alice):
    from notifications.delivery.digests import queue_digests

    assert queue_digests() == []
    assert not Delivery.objects.exists()
