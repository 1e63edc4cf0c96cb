"""The one place that speaks HTTP to Companies House (or the simulator standing in for it)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

USER_AGENT = "client-watch/1.0 (+stream listener)"
DEFAULT_RATE_LIMIT_WAIT = 60.0  # CH's forum: wait at least a minute after a 429


class StreamError(Exception):
    """CH answered a stream request with something other than 200."""


class StreamUnauthorized(StreamError):
    """401: the stream key is wrong, or is a REST API key. Retrying cannot help."""


class TimepointOutOfRange(StreamError):
    """416: the timepoint is older than CH keeps (about 3 days) or invalid."""


class RateLimited(StreamError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StreamUnavailable(StreamError):
    """Any other status (5xx, 404...): worth a retry after a back-off."""


def stream_client(base_url: str, key: str, *, stall_timeout: float) -> httpx.AsyncClient:
    """A client for the stream endpoints. A read that gets no byte for `stall_timeout` seconds
    raises httpx.ReadTimeout: CH sends blank lines when idle, so silence means a dead link."""
    return httpx.AsyncClient(
        base_url=base_url,
        auth=httpx.BasicAuth(key, ""),
        timeout=httpx.Timeout(connect=10.0, read=stall_timeout, write=10.0, pool=10.0),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return DEFAULT_RATE_LIMIT_WAIT


@contextlib.asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, stream: str, timepoint: int | None
) -> AsyncIterator[httpx.Response]:
    """GET /{stream}[?timepoint=N] and yield the 200 response, or raise a StreamError."""
    params = {"timepoint": str(timepoint)} if timepoint is not None else None
    async with client.stream("GET", f"/{stream}", params=params) as response:
        status = response.status_code
        if status == 200:
            yield response
            return
        if status == 401:
            raise StreamUnauthorized(f"/{stream} answered 401 Unauthorized")
        if status == 416:
            raise TimepointOutOfRange(f"/{stream} answered 416 for timepoint {timepoint}")
        if status == 429:
            wait = _retry_after(response)
            raise RateLimited(f"/{stream} answered 429 Too Many Requests (Retry-After {wait:g} s)", wait)
        raise StreamUnavailable(f"/{stream} answered {status}")
