"""CH's REST API rate limit (600 requests per 5 minutes per key), shared by every worker process.

A sliding-window log in Redis: a sorted set holds one member per request, scored with a time
from Redis' own clock (so worker hosts need not agree on the time). A request may start while
fewer than `limit` members are younger than `window`. When it has finished, its member is moved
to the finishing time: CH received the request before then, so once the member has aged out,
CH's window has certainly let go of it too. That makes the log stricter than any window CH can
keep (sliding or fixed), without a guessed safety margin.

A 429 that arrives anyway (another program using the same key) blocks every process until its
Retry-After has passed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from streams.client import ApiRateLimited

PREFIX = "clientwatch:ch-api"

# Times are whole milliseconds from Redis' clock (13 digits: exact in Lua's numbers and strings).
# The scripts use commands of Redis 6.2 only, the oldest the project runs on (redis_version.py);
# writing after TIME is allowed there, as Redis replicates a script's writes, not the script.
# KEYS: log, block. ARGV: limit, window (ms), member.
# Returns 0 when the member was added, else the milliseconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return blocked
end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window * 2 + 60000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
"""

# KEYS: log. ARGV: member, window (ms). The request is over: it counts from now (rounded up, so
# never before CH saw it).
_FINISH = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + 1, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2 + 60000)
return 1
"""

# KEYS: block. ARGV: milliseconds. Never shortens a longer block already in place.
_BLOCK = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""


class SlotUnavailable(Exception):
    """No request may be sent for `wait` seconds, longer than the caller is willing to wait."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"CH API rate limit: next request possible in {wait:.1f} s")
        self.wait = wait


class RateLimiter:
    def __init__(
        self,
        connection: redis.Redis,
        *,
        limit: int,
        window: float,
        prefix: str = PREFIX,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window_ms = max(1, int(window * 1000))
        self.log_key = f"{prefix}:requests"
        self.block_key = f"{prefix}:blocked"
        self.sleep = sleep
        self._acquire = connection.register_script(_ACQUIRE)
        self._finish = connection.register_script(_FINISH)
        self._block = connection.register_script(_BLOCK)

    def try_acquire(self) -> tuple[str | None, float]:
        """(a token, 0) when a request may start now, else (None, seconds to wait)."""
        token = uuid.uuid4().hex
        wait_ms = int(
            self._acquire(keys=[self.log_key, self.block_key], args=[self.limit, self.window_ms, token])
        )
        if wait_ms == 0:
            return token, 0.0
        return None, wait_ms / 1000

    def finish(self, token: str) -> None:
        self._finish(keys=[self.log_key], args=[token, self.window_ms])

    def block(self, seconds: float) -> None:
        """Hold every process back for `seconds` (CH said 429 with this Retry-After)."""
        self._block(keys=[self.block_key], args=[max(1, int(seconds * 1000))])

    @contextmanager
    def slot(self, *, max_wait: float) -> Iterator[None]:
        """Wait for a request slot (sleeping while the wait is at most `max_wait` seconds, else
        SlotUnavailable), run the request in the body, then mark it finished. Waits add up to at
        most `max_wait`: a job never holds its worker longer waiting for one slot."""
        deadline = time.monotonic() + max_wait
        while True:
            token, wait = self.try_acquire()
            if token is not None:
                break
            if time.monotonic() + wait > deadline:
                raise SlotUnavailable(wait)
            self.sleep(wait)
        try:
            yield
        finally:
            self.finish(token)


def limited_call(limiter: RateLimiter, fetch: Callable, *args, max_wait: float, log, **kwargs):
    """`fetch(*args, **kwargs)` in a request slot; a 429 blocks every process for its Retry-After
    and the request waits its turn again. SlotUnavailable when no slot comes within `max_wait`."""
    while True:
        try:
            with limiter.slot(max_wait=max_wait):
                return fetch(*args, **kwargs)
        except ApiRateLimited as exc:
            log.warning("%s; every worker waits", exc)
            limiter.block(max(exc.retry_after, 1.0))
