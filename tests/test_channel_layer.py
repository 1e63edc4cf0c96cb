"""Live push through the channel layer as configured (channels-redis' pub/sub layer), on the
machine's Redis and on Redis 6.2: a group_send reaches the channels of that group and no other,
and the keys that count connected feed pages expire."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from notifications.feed import live

pytest_plugins = ["tests.redis_servers"]


def new(*ids: int) -> dict:
    return {"type": "notifications.new", "ids": list(ids)}


async def subscribed(layer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


@pytest.mark.asyncio
async def test_a_group_send_reaches_the_browsers_of_that_group_and_no_other(redis_server):
    layer = get_channel_layer()
    ashford = await subscribed(layer, "org-1")
    baxter = await subscribed(layer, "org-2")
    try:
        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        assert redis_server.client().pubsub_channels(f"{prefix}__group__org-1")  # on this server
        await layer.group_send("org-1", new(7))
        assert await asyncio.wait_for(layer.receive(ashford), 5) == new(7)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(baxter), 0.5)
    finally:
        await layer.group_discard("org-1", ashford)
        await layer.group_discard("org-2", baxter)
        await layer.flush()


@pytest.mark.asyncio
async def test_a_push_after_fan_out_gives_each_organisation_its_new_ids_in_order(redis_server):
    layer = get_channel_layer()
    ashford = await subscribed(layer, live.group_name(1))
    baxter = await subscribed(layer, live.group_name(2))
    try:
        await sync_to_async(live.push_new)({1: [12, 10], 2: [11]})  # as fan-out calls it, from sync code
        assert await asyncio.wait_for(layer.receive(ashford), 5) == new(10, 12)
        assert await asyncio.wait_for(layer.receive(baxter), 5) == new(11)
    finally:
        await layer.group_discard(live.group_name(1), ashford)
        await layer.group_discard(live.group_name(2), baxter)
        await layer.flush()


@pytest.mark.django_db
def test_each_connected_feed_page_is_counted_by_a_key_that_expires(client, redis_server):
    live.mark_socket("specific.carol-on-the-feed")
    (key,) = redis_server.client().keys(f"{live.SOCKET_KEY_PREFIX}*")
    assert 0 < redis_server.client().ttl(key) <= live.SOCKET_TTL
    assert websocket_clients(client) == 1
    live.unmark_socket("specific.carol-on-the-feed")
    assert websocket_clients(client) == 0


def websocket_clients(client) -> float:
    response = client.get("/metrics")
    assert response.status_code == 200
    (sample,) = [
        sample
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if sample.name == "clientwatch_websocket_clients"
    ]
    return sample.value
