"""Counters in Redis that limit what one person or one client address may try in a window (failed
logins, password reset emails), and where a request's client address comes from.

A count's window starts at its first hit and ends on its own (Redis expires the key): nothing has to
sweep old counts, and retrying cannot keep a window open. Keys hold a hash of what they count (a
username, an email address, a client address), so Redis' memory and its dumps name no one.

Failure policy: each step that cannot reach Redis, or that Redis refuses, gives up at once (no
retries, half-second timeouts), logs a warning saying which step failed, and lets the request go on
as if nothing had been counted. Refusing everyone because Redis is down would be worse than a few
unthrottled tries.

Only commands of Redis 6.2 (the oldest the project runs on, streams/redis_version.py).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from django.http import HttpRequest
from redis.backoff import NoBackoff
from redis.retry import Retry

# KEYS: the count. ARGV: the window (s). Returns {the count after this hit, its seconds left}.
# Redis 6.2 has no EXPIRE ... NX (expire only what has no expiry: Redis 7), and SET NX EX then INCR
# could leave a count with no expiry (were the old count to expire between the two). The script
# gives an expiry to whatever count it leaves without one, so nothing is ever refused for good.
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


def client(url: str) -> redis.Redis:
    # Not project.redis_connection's: that one retries, and a login must not wait for Redis.
    """A client that gives up at once: with Redis down, a request must not wait out retries."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def hashed_key(prefix: str, identity: str) -> str:
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    return f"{prefix}:{digest}"


@dataclass(frozen=True)
class Counter:
    """Hits per identity in a window, under `prefix`. `subject` starts each warning ("login
    throttle unavailable: could not ..."), logged to `logger`, the module that uses the counter."""

    prefix: str
    subject: str
    logger: str

    def key(self, identity: str) -> str:
        return hashed_key(self.prefix, identity)

    def _unavailable(self, step: str, exc: redis.RedisError) -> None:
        # The error's type and text say what broke (refused, timed out, a command the server refused);
        # they name the server's address but never a password, and what is counted is not logged.
        logging.getLogger(self.logger).warning(
            "%s unavailable: could not %s (%s: %s)", self.subject, step, type(exc).__name__, exc
        )

    def wait_seconds(self, identity: str, limit: int, step: str) -> int:
        """How long `identity` stays refused, having reached `limit`; 0 when it is not."""
        try:
            with client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
                count, ttl = pipe.get(self.key(identity)).ttl(self.key(identity)).execute()
        except redis.RedisError as exc:
            self._unavailable(step, exc)
            return 0
        if count is None or int(count) < limit:
            return 0
        return max(int(ttl), 1)

    def hit(self, identity: str, window: int, step: str) -> tuple[int, int] | None:
        """Count one more for `identity`: (the count now, seconds left in its window), or None when
        Redis could not count it."""
        try:
            count, ttl = client(settings.REDIS_URL).register_script(_HIT)(
                keys=[self.key(identity)], args=[window]
            )
        except redis.RedisError as exc:
            self._unavailable(step, exc)
            return None
        return int(count), max(int(ttl), 1)

    def clear(self, identity: str, step: str) -> None:
        try:
            client(settings.REDIS_URL).delete(self.key(identity))
        except redis.RedisError as exc:
            self._unavailable(step, exc)


def minutes(seconds: int) -> str:
    """'1 minute', '15 minutes': a wait, rounded up, for a person to read."""
    count = -(-seconds // 60)
    return f"{count} minute{'s' if count != 1 else ''}"


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the client behind this request, from where settings.CLIENT_IP_HEADER says it
    is; None when that is off ("") or what it holds is not an address.

    For a header, its last address: a proxy appends the address it saw to what the client sent, so
    the last one is the trusted proxy's and everything before it is the client's to invent. (A
    header of one address, such as X-Real-IP, is its own last.) Counting per address is only as
    good as this setting: a header no proxy of ours sets is the client's to invent too.
    """
    source = settings.CLIENT_IP_HEADER
    if not source or request is None:
        return None
    if source == "REMOTE_ADDR":
        value = request.META.get("REMOTE_ADDR", "")
    else:
        value = request.META.get("HTTP_" + source.upper().replace("-", "_"), "").rsplit(",", 1)[-1]
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def network(ip: str) -> str:
    """What a per-address limit counts: an IPv4 address itself, an IPv6 address's /64 (one home or
    office gets a whole /64 and may use any address in it, so counting single addresses would give
    each client billions of fresh counts)."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)
