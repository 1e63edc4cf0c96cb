"""The simulator's small HTTP helpers, shared by its streams, REST endpoints and control API."""

from __future__ import annotations

import base64
import binascii

import orjson


def basic_user(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:6].lower() == b"basic ":
            try:
                return base64.b64decode(value[6:]).decode().split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError):
                return None
    return None


async def respond(send, status: int, body, headers: list | None = None) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": payload})
