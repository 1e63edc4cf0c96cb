"""Email through Django's email API, so any anymail backend (or SMTP, or the console) sends it.

It only sends: the message comes built (notifications/delivery/messages.py), and what comes back
is the provider's message id or the failure in one of the two kinds sending understands.
"""

from __future__ import annotations

import smtplib

from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailRequestsAPIError,
)
from django.core.mail import EmailMultiAlternatives

from notifications.delivery.transports.base import PermanentDeliveryError, TransientDeliveryError
from notifications.models import Delivery


class EmailTransport:
    channel = Delivery.Channel.EMAIL

    def send(self, message: EmailMultiAlternatives) -> str:
        """Send it; the provider's message id (or our Message-ID). Raises Permanent- or
        TransientDeliveryError."""
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


def _describe(exc: Exception) -> str:
    """The error's text; an anymail error without the provider's response cannot give its own."""
    try:
        return str(exc)
    except Exception:
        return repr(exc.args[0]) if exc.args else type(exc).__name__
