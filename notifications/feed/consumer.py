"""The live feed's WebSocket: one socket per open page, in its organisation's group.

Behind AllowedHostsOriginValidator and the session auth middleware (project/asgi.py): an
anonymous socket is refused, and so is one for an organisation the user is not a member of.
Pushes carry notification ids only; the page fetches what its user may see over HTTP.
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from notifications.feed.live import group_name, mark_socket, member_group, unmark_socket
from notifications.feed.queries import is_member

log = logging.getLogger(__name__)

NOT_LOGGED_IN = 4401
NOT_A_MEMBER = 4403


class FeedConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    member: str | None = None  # this member's own group, for closing on removal

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_LOGGED_IN)
            return
        organisation_id = int(self.scope["url_route"]["kwargs"]["organisation_id"])
        if not await database_sync_to_async(is_member)(user, organisation_id):
            await self.close(code=NOT_A_MEMBER)
            return
        self.group = group_name(organisation_id)
        self.member = member_group(organisation_id, user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.member, self.channel_name)
        await self._count(mark_socket)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.member, self.channel_name)
            await self._count(unmark_socket)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            await self._count(mark_socket)

    async def _count(self, step) -> None:
        try:
            await sync_to_async(step, thread_sensitive=False)(self.channel_name)
        except Exception as exc:  # the count is for the metrics only: never drop a socket for it
            log.warning("could not record the socket for the metrics: %s", exc)

    async def notifications_new(self, message):
        await self.send_json({"type": "new", "ids": message.get("ids", [])})

    async def notifications_changed(self, message):
        await self.send_json({"type": "changed", "ids": message.get("ids", [])})

    async def member_removed(self, message):
        await self.close(code=NOT_A_MEMBER)
