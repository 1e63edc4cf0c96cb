"""Failed logins, counted in Redis per username: after LOGIN_MAX_FAILURES within
LOGIN_FAILURE_WINDOW seconds, that username's logins are refused, right password or not, until
the window has passed. A password guesser gets a handful of tries an hour instead of thousands;
someone who mistyped is told plainly when to try again. A successful login clears the count.

Per username, not per address: behind a proxy every request would come from the proxy's address,
and one guesser would lock out the whole practice. The price: anyone can lock a known username
out for a while, by failing on purpose. With Redis unreachable, logins go on unthrottled (and the
log says so, for every step that failed): locking everybody out would be worse.

Only commands of Redis 6.2 (the oldest the project runs on, streams/redis_version.py).
"""

from __future__ import annotations

import hashlib
import logging

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
PREFIX = "clientwatch:login-failures"

# KEYS: the count. ARGV: the window (s). Returns the count after this failure. The window starts at
# the first failure, so a guesser cannot keep it open by retrying. Redis 6.2 has no EXPIRE ... NX
# (expire only what has no expiry: Redis 7), and SET NX EX then INCR could leave a count with no
# expiry (were the old count to expire between the two). The script gives an expiry to whatever
# count it leaves without one, so no username is ever locked out for good.
_RECORD_FAILURE = """
local failures = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return failures
"""


def _key(username: str) -> str:
    # Hashed: the key names no one in Redis' memory or a dump of it.
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"{PREFIX}:{digest}"


def client(url: str) -> redis.Redis:
    # Not project.redis_connection's: that one retries, and a login must not wait for Redis.
    """A client that gives up at once: with Redis down, a login must not wait out retries."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def _redis() -> redis.Redis:
    return client(settings.REDIS_URL)


def _unavailable(step: str, exc: redis.RedisError) -> None:
    # The error's type and text say what broke (refused, timed out, a command the server refused);
    # they name the server's address but never a password, and the username is not logged.
    log.warning("login throttle unavailable: could not %s (%s: %s)", step, type(exc).__name__, exc)


def wait_seconds(username: str) -> int:
    """How long this username's logins stay refused; 0 when they are allowed."""
    try:
        with _redis().pipeline(transaction=False) as pipe:
            failures, ttl = pipe.get(_key(username)).ttl(_key(username)).execute()
    except redis.RedisError as exc:
        _unavailable("check for a lockout, so this login is not throttled", exc)
        return 0
    if failures is None or int(failures) < settings.LOGIN_MAX_FAILURES:
        return 0
    return max(int(ttl), 1)


def record_failure(username: str) -> None:
    try:
        connection = _redis()
        failures = connection.register_script(_RECORD_FAILURE)(
            keys=[_key(username)], args=[settings.LOGIN_FAILURE_WINDOW]
        )
    except redis.RedisError as exc:
        _unavailable("count a failed login", exc)
        return
    if failures == settings.LOGIN_MAX_FAILURES:
        log.warning(
            "logins refused for a username for %d s after %d failures",
            settings.LOGIN_FAILURE_WINDOW,
            failures,
        )


def clear(username: str) -> None:
    try:
        _redis().delete(_key(username))
    except redis.RedisError as exc:
        _unavailable("clear the failures before a successful login", exc)
