"""Live push to an organisation's open browsers through the channel layer: best-effort.

The feed is the record (README, Guarantees, 4): a browser that missed a push asks for every
notification after the last one it has. So a push failing is logged, never raised.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from project import redis_connection

log = logging.getLogger(__name__)


def group_name(organisation_id: int) -> str:
    return f"org-{organisation_id}"


def member_group(organisation_id: int, user_id: int) -> str:
    """One member's sockets on one organisation's feed: closed when they leave it."""
    return f"org-{organisation_id}-user-{user_id}"


def close_member_sockets(organisation_id: int, user_id: int) -> None:
    """Close the feed pages a removed member has open (best-effort, like every push: the next
    request they make finds no membership anyway)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(member_group(organisation_id, user_id), {"type": "member.removed"})
    except Exception as exc:
        log.warning("closing the sockets of a removed member failed: %s", exc)


def push_new(by_organisation: dict[int, list[int]]) -> None:
    """Tell each organisation's browsers which notifications are new (ids only: each socket
    fetches what its user may see)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(_send_all)(layer, by_organisation)
    except Exception as exc:  # Redis down: the browsers catch up when they reconnect
        log.warning("live push to %d organisations failed: %s", len(by_organisation), exc)


def push_changed(by_organisation: dict[int, list[int]]) -> None:
    """Tell each organisation's browsers which notifications changed state (done, assigned, a
    note): ids only, as for new ones."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(_send_all)(layer, by_organisation, "notifications.changed")
    except Exception as exc:
        log.warning("live push of changes to %d organisations failed: %s", len(by_organisation), exc)


async def _send_all(layer, by_organisation: dict[int, list[int]], kind: str = "notifications.new") -> None:
    for organisation_id, ids in by_organisation.items():
        await layer.group_send(group_name(organisation_id), {"type": kind, "ids": sorted(ids)})


# Connected feed pages, for the metrics: a key per socket that expires if its process dies
# (the page pings every 25 s, each ping renews it).
SOCKET_TTL = 90
SOCKET_KEY_PREFIX = "clientwatch:ws:"  # project/metrics.py counts these keys


def mark_socket(channel_name: str) -> None:

    redis_connection.connection().set(f"{SOCKET_KEY_PREFIX}{channel_name}", "1", ex=SOCKET_TTL)


def unmark_socket(channel_name: str) -> None:

    redis_connection.connection().delete(f"{SOCKET_KEY_PREFIX}{channel_name}")
