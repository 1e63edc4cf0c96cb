"""How the code reaches Redis.

One way for almost everything: `connection()`, RQ's own connection to REDIS_URL (one pool per
process), for queues, the rate limiter, the feed's socket keys, health and metrics. Two others,
each for a reason it states where it is:
- the login throttle's client gives up at once, without retries (a login must never wait for
  Redis): notifications/practices/throttle.py;
- the channel layer keeps its own asyncio connections for the WebSockets (channels-redis, as
  CHANNEL_LAYERS in the settings configures it).
Before the processes start, `manage.py waitforredis` and make run's runner ask Redis with plain
clients whether it answers at all.
"""

from __future__ import annotations

import django_rq
import redis


def connection() -> redis.Redis:
    return django_rq.get_connection("default")
