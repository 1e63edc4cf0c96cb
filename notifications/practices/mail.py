"""Emails about people's accounts (an invitation, a sign-up's confirmation, a change of address, a
password reset), in the product's style: a plain-text part and an HTML part from
templates/email/account/<name>.txt and .html, which extend one layout. They are sent at once,
from the request (one message, and the person waits for it), not through the delivery pipeline,
which is for news."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_account_email(to: str, subject: str, template: str, context: dict) -> None:
    """Send templates/email/account/<template>.txt/.html to `to` (names in the context are
    escaped in the HTML part by the template engine, as everywhere)."""
    context = {"subject": subject, "site_url": settings.SITE_URL, **context}
    text = render_to_string(f"email/account/{template}.txt", context)
    html = render_to_string(f"email/account/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
