"""The oldest Redis the project runs on, and the check that refuses an older one at start-up.

Every command the project sends works on Redis 6.2: ours (the login throttle, the CH API rate
limiter's scripts, the live-socket keys), RQ's, rq-scheduler's and channels-redis'. An older
server fails in ways that are easy to miss (a command with an option it does not know is an
error inside a transaction, and the whole transaction is dropped), so a process refuses to start
on one instead (`manage.py waitforredis`, which the Procfile runs first).
"""

from __future__ import annotations

import re

import redis

MINIMUM = (6, 2)


class RedisTooOld(Exception):
    """The server is older than the project needs; the message says which version answered."""


def parse_version(text: str) -> tuple[int, ...]:
    """(6, 2, 14) from "6.2.14"; a part that is not a number ends the tuple ("7.2.4-rc1" is
    (7, 2, 4))."""
    numbers = []
    for part in text.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match.group()))
        if match.end() != len(part):
            break
    return tuple(numbers)


def server_version(client: redis.Redis) -> str:
    """The version the server reports in INFO (as RQ reads it too)."""
    return str(client.info("server")["redis_version"])


def require_redis_version(
    client: redis.Redis, minimum: tuple[int, ...] = MINIMUM, *, setting: str = "REDIS_URL"
) -> str:
    """The server's version, or RedisTooOld when it is older than `minimum`. `setting` names
    where the address came from, so the message says which server to upgrade."""
    version = server_version(client)
    if parse_version(version) < minimum:
        needed = ".".join(str(n) for n in minimum)
        raise RedisTooOld(
            f"Redis {needed} or newer is needed; {setting} answers with Redis {version}. "
            f"Upgrade that server, or point {setting} at a newer one."
        )
    return version
