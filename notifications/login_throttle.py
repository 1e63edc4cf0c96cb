"""Failed logins, counted in Redis per username: after LOGIN_MAX_FAILURES within
LOGIN_FAILURE_WINDOW seconds, that username's logins are refused, right password or not, until
the window has passed. A password guesser gets a handful of tries an hour instead of thousands;
someone who mistyped is told plainly when to try again. A successful login clears the count.

Per username, not per address: behind a proxy every request would come from the proxy's address,
and one guesser would lock out the whole practice. The price: anyone can lock a known username
out for a while, by failing on purpose. With Redis unreachable, logins go on unthrottled (and the
log says so): locking everybody out would be worse.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
PREFIX = "clientwatch:login-failures"


def _key(username: str) -> str:
    # Hashed: the key names no one in Redis' memory or a dump of it.
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"{PREFIX}:{digest}"


def client(url: str) -> redis.Redis:
    """A client that gives up at once: with Redis down, a login must not wait out retries."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def _redis() -> redis.Redis:
    return client(settings.REDIS_URL)


def wait_seconds(username: str) -> int:
    """How long this username's logins stay refused; 0 when they are allowed."""
    try:
        with _redis().pipeline(transaction=False) as pipe:
            failures, ttl = pipe.get(_key(username)).ttl(_key(username)).execute()
    except redis.RedisError as exc:
        log.warning("login throttle unavailable (%s): this login is not throttled", type(exc).__name__)
        return 0
    if failures is None or int(failures) < settings.LOGIN_MAX_FAILURES:
        return 0
    return max(int(ttl), 1)


def record_failure(username: str) -> None:
    key = _key(username)
    try:
        with _redis().pipeline(transaction=True) as pipe:
            # The window starts at the first failure: a guesser cannot keep it open by retrying.
            failures, _ = pipe.incr(key).expire(key, settings.LOGIN_FAILURE_WINDOW, nx=True).execute()
    except redis.RedisError:
        return
    if failures == settings.LOGIN_MAX_FAILURES:
        log.warning(
            "logins refused for a username for %d s after %d failures",
            settings.LOGIN_FAILURE_WINDOW,
            failures,
        )


def clear(username: str) -> None:
    with contextlib.suppress(redis.RedisError):
        _redis().delete(_key(username))
