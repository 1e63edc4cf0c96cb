"""One transport class per delivery channel (STYLE.md); `TRANSPORTS` maps a channel to it."""

from __future__ import annotations

from .base import PermanentDeliveryError, TransientDeliveryError
from .email import EmailTransport

TRANSPORTS = {EmailTransport.channel: EmailTransport}

__all__ = ["TRANSPORTS", "EmailTransport", "PermanentDeliveryError", "TransientDeliveryError"]
