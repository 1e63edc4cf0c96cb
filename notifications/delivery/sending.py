"""Sending deliveries: each claimed with a conditional update (pending -> sending), so a job run
twice, or two workers, send nothing twice; every attempt counted on the row.

Transient failures go back to pending (the job raises, and RQ's Retry runs it again later);
permanent ones are marked failed at once, as is a delivery past DELIVERY_MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from notifications.delivery import messages
from notifications.delivery.transports import TRANSPORTS, PermanentDeliveryError, TransientDeliveryError
from notifications.feed.work import done_before_sending
from notifications.models import Delivery, EmailSuppression
from notifications.queueing import DELIVERY_RETRY_INTERVALS

log = logging.getLogger(__name__)
# What each channel's transport is given to send, made from the delivery.
BUILDERS = {Delivery.Channel.EMAIL: messages.email_message}
Status = Delivery.Status


@dataclass
class DeliveryOutcome:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # claimed by someone else, or done already


def deliver(delivery_ids: list[int]) -> DeliveryOutcome:
    outcome = DeliveryOutcome()
    for delivery_id in delivery_ids:
        getattr(outcome, deliver_one(delivery_id)).append(delivery_id)
    if outcome.sent or outcome.failed or outcome.retry:
        log.info(
            "deliveries: %d sent, %d failed, %d to retry, %d skipped",
            len(outcome.sent),
            len(outcome.failed),
            len(outcome.retry),
            len(outcome.skipped),
        )
    return outcome


def deliver_one(delivery_id: int) -> str:
    """'sent', 'failed', 'retry' or 'skipped'."""
    now = timezone.now()
    claimed = Delivery.objects.filter(id=delivery_id, status=Status.PENDING).update(
        status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, updated_at=now
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("user", "notification").get(id=delivery_id)
    done = done_before_sending(delivery.notification_id)
    if done is not None:  # a colleague dealt with it before this email left: it would only be noise
        when = timezone.localtime(done.done_at).strftime("%d %b %Y %H:%M")
        return _finish(
            delivery,
            Status.SKIPPED,
            f"marked done by {done.done_by_name or 'a colleague'} at {when}",
            "skipped",
        )
    address = delivery.user.email
    if not address:
        return _finish(delivery, Status.FAILED, "the user has no email address", "failed")
    if EmailSuppression.objects.filter(address=EmailSuppression.normalise(address)).exists():
        return _finish(delivery, Status.SUPPRESSED, "the address bounced or complained earlier", "failed")
    try:
        message_id = TRANSPORTS[delivery.channel]().send(BUILDERS[delivery.channel](delivery))
    except PermanentDeliveryError as exc:
        log.warning("delivery %s failed for good: %s", delivery.id, exc, extra={"delivery_id": delivery.id})
        return _finish(delivery, Status.FAILED, str(exc), "failed")
    except Exception as exc:  # TransientDeliveryError, or a bug: tried again, but not for ever
        if not isinstance(exc, TransientDeliveryError):
            log.exception("delivery %s: unexpected error", delivery.id)
        error = f"{type(exc).__name__}: {exc}"
        if delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
            log.warning(
                "delivery %s given up after %d attempts: %s",
                delivery.id,
                delivery.attempts,
                error,
                extra={"delivery_id": delivery.id},
            )
            return _finish(
                delivery, Status.FAILED, f"gave up after {delivery.attempts} attempts: {error}", "failed"
            )
        log.info(
            "delivery %s: attempt %d failed, will retry: %s",
            delivery.id,
            delivery.attempts,
            error,
            extra={"delivery_id": delivery.id},
        )
        return _finish(delivery, Status.PENDING, error, "retry", retry_at=now + backoff(delivery.attempts))
    Delivery.objects.filter(id=delivery.id, status=Status.SENDING).update(
        status=Status.SENT,
        retry_at=None,
        provider_message_id=message_id,
        address=address,
        sent_at=timezone.now(),
        last_error="",
        updated_at=timezone.now(),
    )
    return "sent"


def backoff(attempts: int) -> timedelta:
    """How long after the n-th failed attempt the next may run: RQ's Retry of the job waits as
    long, and the reconciler does not take the delivery before then either."""
    return timedelta(seconds=DELIVERY_RETRY_INTERVALS[min(attempts, len(DELIVERY_RETRY_INTERVALS)) - 1])


def _finish(delivery: Delivery, status: str, error: str, outcome: str, retry_at=None) -> str:
    Delivery.objects.filter(id=delivery.id, status=Status.SENDING).update(
        status=status,
        last_error=error[:2000],
        address=delivery.user.email,
        retry_at=retry_at,
        updated_at=timezone.now(),
    )
    return outcome


def retry_failed(delivery_ids) -> list[int]:
    """The admin's "retry": failed (or suppressed) deliveries go back to pending, attempts from 0."""
    ids = list(
        Delivery.objects.filter(
            id__in=delivery_ids, status__in=[Status.FAILED, Status.SUPPRESSED]
        ).values_list("id", flat=True)
    )
    Delivery.objects.filter(id__in=ids).update(
        status=Status.PENDING, attempts=0, retry_at=None, updated_at=timezone.now()
    )
    return ids
