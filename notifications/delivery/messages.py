"""Building an email for a delivery: subject, context, templates, one-click List-Unsubscribe,
a Message-ID of its own and the delivery's id as provider metadata. The email transport only
sends what this builds, so transports know nothing of the feed or the digests.
"""

from __future__ import annotations

import hashlib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.content.categories import Severity
from notifications.delivery.digests import digest_clients
from notifications.delivery.unsubscribe import unsubscribe_url
from notifications.feed.queries import feed_url
from notifications.models import Delivery


def email_message(delivery: Delivery) -> EmailMultiAlternatives:
    user = delivery.user
    if delivery.notification_id:
        context = _notification_context(delivery)
        template = "email/notification"
    else:
        context = _digest_context(delivery)
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


def _notification_context(delivery: Delivery) -> dict:
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


def _digest_context(delivery: Delivery) -> dict:
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


def _message_id(delivery: Delivery) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    tag = hashlib.sha256(f"{settings.SECRET_KEY}:{delivery.id}".encode()).hexdigest()[:16]
    return f"<delivery-{delivery.id}.{tag}@{domain}>"
