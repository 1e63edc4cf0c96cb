"""One transport class per delivery channel ; `TRANSPORTS` maps a channel to it."""

from __future__ import annotations

from notifications.delivery.transports.base import PermanentDeliveryError, TransientDeliveryError
from notifications.delivery.transports.email import EmailTransport

TRANSPORTS = {EmailTransport.channel: EmailTransport}

__all__ = ["TRANSPORTS", "EmailTransport", "PermanentDeliveryError", "TransientDeliveryError"]
