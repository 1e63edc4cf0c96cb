"""What the email provider tells us after sending: delivered, bounced, marked as spam, rejected.

anymail's tracking webhooks (/anymail/<esp>/tracking/, basic auth from ANYMAIL_WEBHOOK_SECRET)
turn each provider's payload into an AnymailTrackingEvent and send the `tracking` signal; this
receiver finds the Delivery by the provider's message id (or, failing that, by the delivery id
our messages carry as metadata) and records what happened. A bounce, a complaint or a rejection
also blocks the address (EmailSuppression) until its owner fixes it.

Any event at all about a message says the provider has it. A delivery our record still shows as
unsent (the worker died between the provider taking the message and writing that down) is then
marked sent, so the reconciler does not send it a second time.

The same event may come more than once (providers retry a post until they see a 200, and resend
a whole batch when one event in it failed), and Postmark's and Brevo's events carry no id to tell
a repeat by. The delivery row is the memory instead: each outcome only replaces the statuses
before it (a conditional update), and only the event that moved a delivery blocks its address.
So a repeat changes nothing, and cannot block again an address its owner has since resumed.

Nothing here orders events by their time, so events taken in any order end the same. Providers'
times cannot be relied on: Brevo's dates are in the account's local time, and anymail reads only
its UTC epoch, which some of Brevo's samples lack and one gives in seconds, not milliseconds.

Events we have no use for, or for messages we did not send, are logged and ignored: raising
would make the provider retry them for days. Logs name only an address's domain.

anymail itself takes every post when no WEBHOOK_SECRET is set (it only warns): anyone could then
mark deliveries bounced and block any member's address. `webhook_urls()` mounts anymail's
webhooks so that, without the secret, they refuse instead.
"""

from __future__ import annotations

import logging
from functools import wraps

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from anymail.utils import get_anymail_setting
from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.dispatch import receiver
from django.http import HttpResponseForbidden
from django.urls import URLPattern
from django.utils import timezone

from notifications.models import Delivery, EmailSuppression

logger = logging.getLogger(__name__)

Status = Delivery.Status

# Bounces and complaints are final: a late "delivered" never undoes them, nor does one undo the
# other. A bounce can follow "delivered" (the receiving server accepted, then bounced), a
# complaint always does. A rejection comes before anything was delivered.
_NOT_YET_DELIVERED = frozenset({Status.PENDING, Status.SENDING, Status.SENT})
_NOT_FINAL = _NOT_YET_DELIVERED | {Status.DELIVERED, Status.FAILED}

# anymail's event type -> (our status, the statuses it may replace, the suppression reason).
# "failed" is the provider's own failure (an SES template that did not render, a Brevo error):
# the email will not arrive, but the address is not to blame.
_OUTCOMES: dict[str, tuple[str, frozenset[str], str | None]] = {
    EventType.DELIVERED: (Status.DELIVERED, frozenset({Status.SENT}), None),
    EventType.BOUNCED: (Status.BOUNCED, _NOT_FINAL, EmailSuppression.Reason.BOUNCED),
    EventType.COMPLAINED: (Status.COMPLAINED, _NOT_FINAL, EmailSuppression.Reason.COMPLAINED),
    EventType.REJECTED: (Status.FAILED, _NOT_YET_DELIVERED, EmailSuppression.Reason.REJECTED),
    EventType.FAILED: (Status.FAILED, _NOT_YET_DELIVERED, None),
}
_LABELS = {
    EventType.DELIVERED: "Delivered",
    EventType.BOUNCED: "Bounced",
    EventType.COMPLAINED: "Marked as spam",
    EventType.REJECTED: "Rejected by the provider",
    EventType.FAILED: "Not sent: the provider failed",
}
_MAX_ERROR = 500
WEBHOOKS_OFF = "Webhooks are off: ANYMAIL_WEBHOOK_SECRET is not set.\n"


def require_webhook_secret(view):
    """The view, refusing (403) while no webhook secret is configured; with one, anymail checks
    each post's basic auth against it. (`wraps` keeps the view's csrf_exempt mark.)"""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        # Read per request, as anymail reads it: the same setting, looked up the same way.
        if not get_anymail_setting("webhook_secret", default=None):
            logger.error("provider webhook %s refused: ANYMAIL_WEBHOOK_SECRET is not set", request.path)
            return HttpResponseForbidden(WEBHOOKS_OFF, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return guarded


def webhook_urls() -> tuple[list[URLPattern], str]:
    """anymail's URLs (/<esp>/tracking/, /<esp>/inbound/, namespace "anymail"), each guarded."""
    from anymail import urls  # here, not above: workers load this module but need no views

    patterns = [
        URLPattern(p.pattern, require_webhook_secret(p.callback), p.default_args, p.name)
        for p in urls.urlpatterns
    ]
    return patterns, urls.app_name


def domain_only(address: str | None) -> str:
    """An address fit for a log line: "***@example.com"."""
    _, at, domain = (address or "").rpartition("@")
    return f"***@{domain}" if at else "***"


def _message_id_forms(message_id: str) -> list[str]:
    """The ways a provider writes one message id: Brevo's send API answers "<id@host>", and some
    of its events say "id@host" for the same message."""
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    return list(dict.fromkeys([message_id, bare, f"<{bare}>"])) if bare else []


def _deliveries_for(message_id: str, metadata) -> QuerySet[Delivery]:
    if message_id:
        deliveries = Delivery.objects.filter(provider_message_id__in=_message_id_forms(message_id))
        if deliveries.exists():
            return deliveries
    delivery_id = str((metadata or {}).get("delivery_id") or "")
    if delivery_id.isdigit():  # (webhooks are authenticated: the metadata is what we sent)
        return Delivery.objects.filter(id=int(delivery_id))
    return Delivery.objects.none()


def _taken_by_the_provider(deliveries: QuerySet[Delivery], message_id: str, event) -> int:
    """Deliveries still pending or sending that the provider reports on: sent, not to be sent again."""
    now = timezone.now()
    # The provider's time for it, kept between the row's creation and now: an event's clock may be
    # wrong (one of Brevo's would date it to January 1970).
    when = Least(Greatest(Value(event.timestamp or now), F("created_at")), Value(now))
    taken = deliveries.filter(status__in=[Status.PENDING, Status.SENDING]).update(
        status=Status.SENT,
        provider_message_id=message_id[:200] if message_id else F("provider_message_id"),
        sent_at=Coalesce(F("sent_at"), when),
        retry_at=None,
        last_error="",
        updated_at=now,
    )
    if taken:
        logger.warning(
            "provider's %s event for message %s: %d deliveries our record showed unsent are sent "
            "(a worker died after handing them over); they will not be sent again",
            event.event_type,
            message_id,
            taken,
        )
    return taken


def describe(event: AnymailTrackingEvent) -> str:
    """A short text for Delivery.last_error and EmailSuppression.detail."""
    parts = [_LABELS.get(event.event_type, str(event.event_type))]
    if event.reject_reason:
        parts.append(f"({event.reject_reason})")
    text = " ".join(parts)
    said = " ".join(str(p) for p in (event.description, event.mta_response) if p).strip()
    if said:
        text = f"{text}: {said}"
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


@receiver(tracking, dispatch_uid="notifications.delivery.webhooks.record_tracking_event")
def record_tracking_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    message_id = str(event.message_id or "")
    deliveries = _deliveries_for(message_id, event.metadata)
    found = list(deliveries.values_list("id", "status", "address"))
    if not found:
        logger.info(
            "%s %s event for unknown message %r (to %s) ignored",
            esp_name,
            event.event_type,
            message_id,
            domain_only(event.recipient),
        )
        return
    with transaction.atomic():
        taken = _taken_by_the_provider(deliveries, message_id, event)
        outcome = _OUTCOMES.get(event.event_type)
        if outcome is None:
            logger.info(
                "%s %s event for message %s: %s",
                esp_name,
                event.event_type,
                message_id,
                f"{taken} deliveries the provider had taken recorded as sent" if taken else "ignored",
            )
            return
        status, replaces, reason = outcome
        description = describe(event)
        changes = {"status": status, "updated_at": timezone.now()}
        if status != Status.DELIVERED:
            changes["last_error"] = description
        updated = deliveries.filter(status__in=replaces).update(**changes)
        address = EmailSuppression.normalise(event.recipient or found[0][2])
        # Only the event that moved a delivery: a repeat (or a second bounce of one message) finds
        # it moved already, and an address its owner resumed since stays resumed.
        suppressed = bool(reason and address and updated)
        if suppressed:
            EmailSuppression.objects.update_or_create(
                address=address, defaults={"reason": reason, "detail": description}
            )
    if suppressed:
        note = "; address suppressed"
    else:
        note = "" if updated else "; changed nothing (a repeat, or the delivery is past it)"
    logger.info(
        "%s %s for message %s to %s: %d of %d deliveries now %s%s",
        esp_name,
        event.event_type,
        message_id,
        domain_only(address),
        updated,
        len(found),
        status,
        note,
        extra={"delivery_ids": [row[0] for row in found][:100]},
    )
