"""Settings for the test suite: the base settings against the PostgreSQL and Redis of the
environment, with a Redis database number of the suite's own (the machine's Redis is shared)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import CHANNEL_LAYERS, REDIS_URL, RQ_QUEUES
from .env import env_int, env_str

TEST_REDIS_DB = env_int("TEST_REDIS_DB", 13, minimum=0)


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = _with_db(REDIS_URL, TEST_REDIS_DB)
for _queue in RQ_QUEUES.values():
    _queue["URL"] = REDIS_URL

CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] = REDIS_URL
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "clientwatch-test"

# anymail's test backend; tests of a real worker process name a backend that records to files.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "anymail.backends.test.EmailBackend")
ANYMAIL = {"WEBHOOK_SECRET": "hook-user:hook-secret-for-tests"}
SITE_URL = "https://watch.example.test"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests only
