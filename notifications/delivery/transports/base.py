from __future__ import annotations


class PermanentDeliveryError(Exception):
    """Sending again would fail again (a refused or invalid address, a rejected message)."""


class TransientDeliveryError(Exception):
    """Worth trying again later (the provider down or rate limiting, the network)."""
