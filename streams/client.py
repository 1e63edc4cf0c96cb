"""The one place that speaks HTTP to Companies House (or the simulator standing in for it)."""

from __future__ import annotations

import contextlib
import socket
import ssl
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


def stream_client(
    base_url: str, key: str, *, stall_timeout: float, connect_timeout: float = 10.0
) -> httpx.AsyncClient:
    """A client for the stream endpoints. A read that gets no byte for `stall_timeout` seconds
    raises httpx.ReadTimeout: CH sends blank lines when idle, so silence means a dead link."""
    return httpx.AsyncClient(
        base_url=base_url,
        auth=httpx.BasicAuth(key, ""),
        timeout=httpx.Timeout(connect=connect_timeout, read=stall_timeout, write=10.0, pool=10.0),
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


def why_the_stream_failed(
    exc: httpx.TransportError,
    base_url: str,
    *,
    stall_timeout: float,
    connect_timeout: float,
    mid_line: bool = False,
) -> str:
    """What happened to a stream connection, in words, for the log and the admin. httpx's own
    messages are often empty (a reset reads `ReadError: `), so the cause is found in the chain of
    exceptions; the exception's own text follows in brackets when it has any."""
    host = _host(base_url)
    if isinstance(exc, httpx.ConnectTimeout):
        words = f"connect timeout: {host} did not answer within {connect_timeout:g} s"
    elif isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, ConnectionRefusedError):
            words = f"connection refused by {host}"
        elif _caused_by(exc, socket.gaierror):
            words = f"could not look up the address of {host}"
        elif _caused_by(exc, ssl.SSLError):
            words = f"the TLS handshake with {host} failed"
        else:
            words = f"could not connect to {host}"
    elif isinstance(exc, httpx.ReadTimeout):
        words = f"stall timeout: no bytes for {stall_timeout:g} s"
    elif isinstance(exc, httpx.RemoteProtocolError):
        # Hanging up is told apart from bad HTTP only by the text httpcore and h11 give it.
        text = str(exc)
        if "without sending a response" in text:
            words = "Companies House closed the connection without answering"
        elif "closed" in text:  # "peer closed connection without sending complete message body"
            words = (
                "Companies House closed the connection mid-line"
                if mid_line
                else "Companies House closed the connection before the end of the response"
            )
        else:
            words = "Companies House sent something that is not HTTP"
    elif _caused_by(exc, ConnectionResetError):
        words = "the connection was reset by Companies House"
    elif isinstance(exc, httpx.ReadError):
        words = "the connection broke while reading"
    elif isinstance(exc, httpx.TimeoutException):
        words = "timed out sending the request"
    else:
        words = "the connection failed"
    text = str(exc)
    return f"{words} ({type(exc).__name__}: {text})" if text else f"{words} ({type(exc).__name__})"


def _host(base_url: str) -> str:
    url = httpx.URL(base_url)
    return f"{url.host}:{url.port}" if url.port else url.host  # never the user info


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


# --- the public data REST API (backfill) --------------------------------------------------------

API_USER_AGENT = "client-watch/1.0 (+backfill)"


class ApiError(Exception):
    """CH's REST API answered a request with something we cannot use."""


class ApiUnauthorized(ApiError):
    """401: the REST API key is wrong (or is a stream key). Retrying cannot help."""


class ApiRateLimited(ApiError):
    """429: past CH's limit for this key; `retry_after` seconds from its Retry-After header."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ApiUnavailable(ApiError):
    """Any other status, a timeout or a dropped connection: worth a retry after a back-off."""


def rest_client(base_url: str, key: str, *, timeout: float = 15.0) -> httpx.Client:
    """A client for the REST API: HTTP Basic with the API key as user name and no password."""
    return httpx.Client(
        base_url=base_url,
        auth=httpx.BasicAuth(key, ""),
        timeout=timeout,
        headers={"User-Agent": API_USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )


def _get_json(client: httpx.Client, path: str, params: dict | None = None) -> dict | None:
    """GET `path`: its JSON object on 200, None on 404, else an ApiError."""
    try:
        response = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise ApiUnavailable(f"{path}: {exc.__class__.__name__}: {exc}") from exc
    status = response.status_code
    if status == 404:
        return None
    if status == 401:
        raise ApiUnauthorized(f"{path} answered 401 Unauthorized: check CH_API_KEY (a REST API key)")
    if status == 429:
        wait = _retry_after(response)
        raise ApiRateLimited(f"{path} answered 429 Too Many Requests (Retry-After {wait:g} s)", wait)
    if status != 200:
        raise ApiUnavailable(f"{path} answered {status}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ApiUnavailable(f"{path} answered 200 with a body that is not JSON") from exc
    if not isinstance(body, dict):
        raise ApiUnavailable(f"{path} answered 200 with JSON that is not an object")
    return body


def fetch_company_profile(client: httpx.Client, number: str) -> dict | None:
    """GET /company/{number}: CH's company profile, or None when CH does not know the number."""
    return _get_json(client, f"/company/{number}")


def fetch_filing_history(client: httpx.Client, number: str, *, items: int = 25) -> list[dict] | None:
    """The newest `items` filing-history items (one page, newest first), or None on 404."""
    page = _get_json(client, f"/company/{number}/filing-history", {"items_per_page": str(items)})
    if page is None:
        return None
    found = page.get("items") or []
    return [item for item in found if isinstance(item, dict)]


def _items(page: dict | None) -> list[dict] | None:
    if page is None:
        return None
    return [item for item in page.get("items") or [] if isinstance(item, dict)]


def fetch_officers(client: httpx.Client, number: str) -> list[dict] | None:
    """The company's officers, current and resigned (one page of up to 100), or None on 404."""
    return _items(_get_json(client, f"/company/{number}/officers", {"items_per_page": "100"}))


def fetch_pscs(client: httpx.Client, number: str) -> list[dict] | None:
    """The company's persons with significant control (one page of up to 100), or None on 404."""
    page = _get_json(client, f"/company/{number}/persons-with-significant-control", {"items_per_page": "100"})
    return _items(page)
