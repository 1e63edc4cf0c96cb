"""The feed's WebSocket, through the real ASGI stack and the real Redis channel layer: pushes
reach members of the organisation only; anonymous and foreign sockets are refused; an idle
socket stays open."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator  # (channels.testing wants daphne)
from django.conf import settings
from django.test import Client

from notifications.fan_out import fan_out_events
from project.asgi import application
from tests.notifykit import stored_officer_change

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://localhost")


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def open_socket(organisation_id: int, user=None, origin=ORIGIN):
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, f"/ws/feed/{organisation_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def fan_out_officer_change(number: str) -> list[int]:
    def run():
        return fan_out_events([stored_officer_change(number).id]).by_organisation

    return await sync_to_async(run)()


async def test_a_member_gets_the_ids_of_new_notifications_pushed(ashford_list, carol, redis_client):
    socket, connected, _ = await open_socket(ashford_list.organisation_id, carol)
    assert connected
    pushed = await fan_out_officer_change("09876543")
    message = await socket.receive_json_from(timeout=5)
    assert message == {"type": "new", "ids": pushed[ashford_list.organisation_id]}
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_another_organisations_pushes_never_reach_a_socket(
    ashford_list, carol, baxter_list, bob, redis_client
):
    socket, connected, _ = await open_socket(ashford_list.organisation_id, carol)
    assert connected
    await fan_out_officer_change("NI654321")  # Baxter's client
    assert await socket.receive_nothing(timeout=1)
    await socket.disconnect()


async def test_joining_another_organisations_group_is_refused(ashford_list, carol, baxter):
    _, connected, code = await open_socket(baxter.id, carol)
    assert not connected and code == 4403


async def test_an_anonymous_socket_is_closed(ashford):
    _, connected, code = await open_socket(ashford.id)
    assert not connected and code == 4401


async def test_a_socket_from_another_sites_page_is_refused(ashford_list, carol):
    _, connected, _ = await open_socket(
        ashford_list.organisation_id, carol, origin=(b"origin", b"https://evil.example")
    )
    assert not connected


@pytest.mark.slow
async def test_an_idle_socket_is_still_open_and_receiving_after_a_minute(ashford_list, carol, redis_client):
    socket, connected, _ = await open_socket(ashford_list.organisation_id, carol)
    assert connected
    await asyncio.sleep(61)  # redis-py 8 with a socket timeout would have dropped it after ~5 s
    pushed = await fan_out_officer_change("09876543")
    assert await socket.receive_json_from(timeout=5) == {
        "type": "new",
        "ids": pushed[ashford_list.organisation_id],
    }
    await socket.disconnect()


async def test_a_removed_members_open_socket_is_closed_at_once(ashford_list, alice, carol, redis_client):
    from notifications.models import Membership
    from notifications.practices.people import remove

    socket, connected, _ = await open_socket(ashford_list.organisation_id, carol)
    assert connected

    def remove_carol():
        remove(Membership.objects.get(user=carol), alice)

    await sync_to_async(remove_carol)()
    closed = await socket.receive_output(timeout=5)

    assert closed == {"type": "websocket.close", "code": 4403}


async def test_marking_done_pushes_the_changed_id_to_every_open_feed_of_the_practice(
    ashford_list, alice, carol, redis_client
):
    from notifications.feed.work import mark_done
    from notifications.models import Notification

    socket, connected, _ = await open_socket(ashford_list.organisation_id, carol)
    assert connected
    pushed = await fan_out_officer_change("09876543")
    await socket.receive_json_from(timeout=5)  # the "new" push
    [notification_id] = pushed[ashford_list.organisation_id]

    await sync_to_async(lambda: mark_done(Notification.objects.get(pk=notification_id), alice))()

    assert await socket.receive_json_from(timeout=5) == {"type": "changed", "ids": [notification_id]}
    await socket.disconnect()


async def test_another_practices_changes_never_reach_a_socket(
    ashford_list, alice, baxter_list, bob, redis_client
):
    from notifications.feed.work import mark_done
    from notifications.models import Notification

    socket, connected, _ = await open_socket(baxter_list.organisation_id, bob)
    assert connected
    pushed = await fan_out_officer_change("09876543")  # Ashford's client
    [notification_id] = pushed[ashford_list.organisation_id]

    await sync_to_async(lambda: mark_done(Notification.objects.get(pk=notification_id), alice))()

    assert await socket.receive_nothing(timeout=1)
    await socket.disconnect()
