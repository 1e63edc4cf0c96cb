from __future__ import annotations

import time

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from streams.redis_version import RedisTooOld, require_redis_version


class Command(BaseCommand):
    help = (
        "Wait until REDIS_URL answers, then stop with a message if it is older than Redis 6.2 "
        "(streams/redis_version.py). The Procfile runs it before each process that uses Redis: "
        "rqworker and rqscheduler exit at once when Redis is not up yet (the embedded Redis "
        "starts beside them), and on an older Redis parts of the system would fail quietly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")

    def handle(self, *args, timeout: float, **options):
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            _wait_for_ping(client, timeout)
            # Checked once, not retried: waiting cannot make the server newer.
            require_redis_version(client)
        except RedisTooOld as exc:
            raise CommandError(str(exc)) from None
        except redis.RedisError as exc:
            raise CommandError(f"Redis at REDIS_URL answered PING but not INFO: {exc}") from None
        finally:
            client.close()


def _wait_for_ping(client: redis.Redis, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except redis.RedisError as exc:
            if time.monotonic() >= deadline:
                raise CommandError(f"Redis at REDIS_URL did not answer within {timeout:g} s: {exc}") from None
            time.sleep(0.2)
