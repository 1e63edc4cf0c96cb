"""Email through Django's email API, so any anymail backend (or SMTP, or the console) sends it."""

from __future__ import annotations

import hashlib
import smtplib
from email.utils import parseaddr

from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailRequestsAPIError,
)
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.content.categories import Severity
from notifications.delivery.digests import digest_clients
from notifications.delivery.transports.base import PermanentDeliveryError, TransientDeliveryError
from notifications.delivery.unsubscribe import unsubscribe_url
from notifications.feed.queries import feed_url
from notifications.models import Delivery


class EmailTransport:
    channel = Delivery.Channel.EMAIL

    def send(self, delivery: Delivery) -> str:
        """Send it; the provider's message id (or our Message-ID). Raises Permanent- or
        TransientDeliveryError."""
        message = self.build(delivery)
        try:
            sent = message.send()
        except (AnymailRecipientsRefused, AnymailInvalidAddress, smtplib.SMTPRecipientsRefused) as exc:
            raise PermanentDeliveryError(f"{type(exc).__name__}: {_describe(exc)}") from exc
        except AnymailAPIError as exc:
            status = getattr(exc, "status_code", None)
            if isinstance(exc, AnymailRequestsAPIError) and status is None:
                raise TransientDeliveryError(f"no answer from the provider: {_describe(exc)}") from exc
            if status is not None and 400 <= status < 500 and status not in (408, 429):
                raise PermanentDeliveryError(f"provider refused it ({status}): {_describe(exc)}") from exc
            raise TransientDeliveryError(f"provider error ({status}): {_describe(exc)}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(f"{type(exc).__name__}: {_describe(exc)}") from exc
        if not sent:
            raise TransientDeliveryError("the email backend sent nothing")
        status = getattr(message, "anymail_status", None)
        provider_id = getattr(status, "message_id", None)
        if isinstance(provider_id, str) and provider_id:
            return provider_id[:200]
        return message.extra_headers["Message-ID"]

    def build(self, delivery: Delivery) -> EmailMultiAlternatives:
        user = delivery.user
        if delivery.notification_id:
            context = self._notification_context(delivery)
            template = "email/notification"
        else:
            context = self._digest_context(delivery)
            template = "email/digest"
        context |= {
            "user": user,
            "unsubscribe_url": unsubscribe_url(user.id),
            "preferences_url": settings.SITE_URL + reverse("preferences"),
        }
        message = EmailMultiAlternatives(
            subject=context["subject"],
            body=render_to_string(f"{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={
                # RFC 8058 one-click unsubscribe: mail clients POST to the link, no page to visit.
                "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                # The same for every attempt at this delivery: if a worker died between the
                # provider accepting it and our record of that, the resend is one message to
                # the mailbox that deduplicates by Message-ID.
                "Message-ID": _message_id(delivery),
            },
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        # Comes back on the provider's webhooks: how an event finds its delivery when the worker
        # died before recording the provider's message id (notifications/webhooks.py).
        message.metadata = {"delivery_id": str(delivery.id)}
        return message

    def _notification_context(self, delivery: Delivery) -> dict:
        n = delivery.notification
        flag = "URGENT: " if n.severity == Severity.URGENT else ""
        subject = f"{flag}{n.company_name or n.company_id} ({n.company_id}): {n.title}"
        return {
            # One line: Django refuses a header with a line break (no injection), so CH text with
            # one in it would leave the email unsendable, retried until it is given up.
            "subject": " ".join(subject.split())[:250],
            "notification": n,
            "feed_url": feed_url(n.id, n.organisation_id),
        }

    def _digest_context(self, delivery: Delivery) -> dict:
        day = delivery.digest_date
        clients = digest_clients(delivery.user_id, day)
        count = sum(len(items) for _, items in clients)
        updates = f"{count} update" + ("s" if count != 1 else "")
        return {
            "subject": f"Client Watch daily digest for {day:%-d %B %Y}: {updates}",
            "day": day,
            "clients": clients,
            "count": count,
            "feed_url": feed_url(),
        }


def _describe(exc: Exception) -> str:
    """The error's text; an anymail error without the provider's response cannot give its own."""
    try:
        return str(exc)
    except Exception:
        return repr(exc.args[0]) if exc.args else type(exc).__name__


def _message_id(delivery: Delivery) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    tag = hashlib.sha256(f"{settings.SECRET_KEY}:{delivery.id}".encode()).hexdigest()[:16]
    return f"<delivery-{delivery.id}.{tag}@{domain}>"
