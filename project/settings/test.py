"""Settings for the test suite: the base settings against the PostgreSQL and Redis of the
environment, with a Redis database number of the suite's own (the machine's Redis is shared)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import REDIS_URL, RQ_QUEUES
from .env import env_int

TEST_REDIS_DB = env_int("TEST_REDIS_DB", 13, minimum=0)


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = _with_db(REDIS_URL, TEST_REDIS_DB)
for _queue in RQ_QUEUES.values():
    _queue["URL"] = REDIS_URL

EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests only
