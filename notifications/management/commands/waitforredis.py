from __future__ import annotations

import time

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Wait until REDIS_URL answers. The Procfile runs it before rqworker and rqscheduler, which "
        "exit at once when Redis is not up yet (the embedded Redis starts beside them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")

    def handle(self, *args, timeout: float, **options):
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return
            except redis.RedisError as exc:
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"Redis at REDIS_URL did not answer within {timeout:g} s: {exc}"
                    ) from None
                time.sleep(0.2)
