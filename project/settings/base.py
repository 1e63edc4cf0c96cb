"""Settings for every environment, read from the environment (see .env.example).

Defaults suit a developer's machine (`make run`): SQLite, local Redis, console email and the
local CH simulator. `project.settings.production` adds the checks a real deployment needs.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from streams.events import STREAM_KINDS

from .env import (
    database_from_url,
    env_bool,
    env_int,
    env_int_list,
    env_list,
    env_minute_pairs,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Known to everyone who has read this file: production.py refuses to start with it.
INSECURE_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_secret("SECRET_KEY", INSECURE_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "anymail",
    "notifications",
    "streams",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.practices.navigation.navigation",
                "notifications.practices.signup_views.signup_context",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "sqlite:///var/db.sqlite3")
DATABASES = {"default": database_from_url(DATABASE_URL, base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300},
}
# django-rq's dashboard sits in the admin under "Django RQ"; notifications/admin/queues.py
# narrows it to superusers.
RQ_SHOW_ADMIN_LINK = False
# rqscheduler: re-registers the periodic jobs should Redis lose them (notifications/scheduler.py).
RQ = {"SCHEDULER_CLASS": "notifications.scheduler.SelfHealingScheduler"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Email: console by default (make run uses notifications.delivery.devmail: files and one log line each);
# any anymail backend by EMAIL_BACKEND plus its ANYMAIL_* settings,
# e.g. EMAIL_BACKEND=anymail.backends.postmark.EmailBackend ANYMAIL_POSTMARK_SERVER_TOKEN=...
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# notifications.delivery.devmail (make run's email): one .eml file per message here, shown at /dev/mailbox/.
DEV_MAIL_DIR = Path(env_str("DEV_MAIL_DIR", str(VAR_DIR / "mail")))
# The mailbox page for superusers even with DEBUG off (a staging site whose email goes to files).
DEV_MAILBOX = env_bool("DEV_MAILBOX", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Client Watch <alerts@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)


def _anymail_settings() -> dict[str, str]:
    names = {
        key.removeprefix("ANYMAIL_").removesuffix("_FILE") for key in os.environ if key.startswith("ANYMAIL_")
    }
    return {name: env_secret(f"ANYMAIL_{name}", "") for name in sorted(names)}


ANYMAIL = _anymail_settings()
# Provider webhooks (delivered, bounced, complained) post to /anymail/<esp>/tracking/ with HTTP
# basic auth "user:password" from ANYMAIL_WEBHOOK_SECRET; anymail refuses them without it.

# Where people reach the site: absolute links in emails (feed, unsubscribe).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
LOGIN_URL = "login"
# A username's logins are refused for the rest of the window after this many failures in it.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 10, minimum=1)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900, minimum=1)  # seconds
LOGIN_REDIRECT_URL = "feed_home"
# Logins refused per client address too, across usernames (spraying), only where the address is
# known: CLIENT_IP_HEADER names where it comes from: "" (off), REMOTE_ADDR (no proxy), or the
# header the proxy sets, e.g. X-Forwarded-For (its last address, the one the proxy added).
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 50, minimum=1)
# Password reset emails: at most this many per address and per client address in the window.
PASSWORD_RESET_MAX_PER_ADDRESS = env_int("PASSWORD_RESET_MAX_PER_ADDRESS", 3, minimum=1)
PASSWORD_RESET_MAX_PER_IP = env_int("PASSWORD_RESET_MAX_PER_IP", 20, minimum=1)
PASSWORD_RESET_WINDOW = env_int("PASSWORD_RESET_WINDOW", 3600, minimum=60)  # seconds
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 86400, minimum=600)  # a link's life, seconds
# An invitation's link lives this many days; a sign-up's or a new address's confirmation, hours.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7, minimum=1)
EMAIL_CONFIRMATION_HOURS = env_int("EMAIL_CONFIRMATION_HOURS", 48, minimum=1)
# Who may create a practice: "open" (anyone, confirmed by email) or "invite-only" (the operator
# creates practices in the admin). Production's default is invite-only.
SIGNUP = env_str("SIGNUP", "open")
if SIGNUP not in ("open", "invite-only"):
    raise ImproperlyConfigured(f"SIGNUP must be open or invite-only, not {SIGNUP!r}")

# /readyz: the streams the listener should be running, and how old their last heartbeat may be.
READY_STREAMS = env_list(
    "READY_STREAMS",
    ["filings", "companies", "officers", "persons-with-significant-control", "charges", "insolvency-cases"],
)
READY_HEARTBEAT_SECONDS = env_int("READY_HEARTBEAT_SECONDS", 120, minimum=1)
# /metrics: when set, scrapers must send "Authorization: Bearer <token>".
METRICS_TOKEN = env_secret("METRICS_TOKEN", "")

# Delivery: attempts before a transiently failing email is given up, and when the reconciler
# takes work whose job was lost (Redis flushed, a worker killed) and queues it again.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 6, minimum=1)
RECONCILE_EVERY_SECONDS = env_int("RECONCILE_EVERY_SECONDS", 60, minimum=1)
RECONCILE_EVENT_AFTER_SECONDS = env_int("RECONCILE_EVENT_AFTER_SECONDS", 60, minimum=0)
RECONCILE_DELIVERY_AFTER_SECONDS = env_int("RECONCILE_DELIVERY_AFTER_SECONDS", 300, minimum=0)
DIGEST_HOUR = env_int("DIGEST_HOUR", 17, minimum=0, maximum=23)  # in each organisation's time zone


# Days before an accounts or confirmation statement deadline that a reminder goes out (and once
# overdue), largest first.
DEADLINE_REMINDER_DAYS = sorted(
    set(env_int_list("DEADLINE_REMINDER_DAYS", [30, 7, 1], minimum=0, maximum=366)), reverse=True
)
# Retention: what is older than this is deleted nightly, in batches; and each organisation keeps at
# most RETENTION_MAX_PER_ORGANISATION notifications. Checkpoints, gaps and profiles are kept.
RETENTION_DAYS = env_int("RETENTION_DAYS", 90, minimum=1)
RETENTION_MAX_PER_ORGANISATION = env_int("RETENTION_MAX_PER_ORGANISATION", 10_000, minimum=1)
RETENTION_BATCH = env_int("RETENTION_BATCH", 5_000, minimum=1)
RETENTION_CRON = env_str("RETENTION_CRON", "30 2 * * *")  # nightly (crontab, UTC)

# Live push to browsers: channels-redis' pub/sub layer (the default layer drops past 100 queued
# messages per process, silently). socket_timeout None: with redis-py 8 a timeout closes idle
# WebSockets after about 5 s (a channels-redis bug; tests/test_feed_socket.py keeps one idle a minute).
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
            "prefix": env_str("CHANNEL_PREFIX", "clientwatch"),
        },
    }
}

# The seam between the CH side (streams/) and the product (streams/hooks.py): which companies are
# watched, and what happens once new events are stored.
STREAMS_WATCHED_NUMBERS = "notifications.practices.client_lists.watched_numbers"
STREAMS_EVENTS_STORED = "notifications.queueing.enqueue_fan_out"
STREAMS_GAP_RECORDED = "notifications.queueing.enqueue_gap_check"

# Companies House. The defaults point at the simulator that `make run` starts (manage.py chsim).
CH_STREAM_URL = env_str("CH_STREAM_URL", "http://127.0.0.1:8765").rstrip("/")
CH_STREAM_KEY = env_secret("CH_STREAM_KEY", "simulator-stream-key")
CH_API_URL = env_str("CH_API_URL", "http://127.0.0.1:8765").rstrip("/")
CH_API_KEY = env_secret("CH_API_KEY", "")
# CH's REST limit per key (600 requests per 5 minutes); backfill never sends past it.
CH_API_RATE_LIMIT = env_int("CH_API_RATE_LIMIT", 600, minimum=1)
CH_API_RATE_WINDOW = env_int("CH_API_RATE_WINDOW", 300, minimum=1)  # seconds

# Gaps (streams.gaps): a resume whose first event is more than this many timepoints past the
# checkpoint, and, per stream, minutes of silence (UK working hours/otherwise) that make a gap;
# e.g. CH_STREAM_SILENCE_MINUTES="filings=30/300,charges=off" changes the defaults there.
CH_STREAM_GAP_TIMEPOINTS = env_int("CH_STREAM_GAP_TIMEPOINTS", 1000, minimum=1)
CH_STREAM_SILENCE_MINUTES = env_minute_pairs("CH_STREAM_SILENCE_MINUTES", STREAM_KINDS)

# The largest client-list CSV the admin accepts, in bytes.
CLIENT_CSV_MAX_BYTES = env_int("CLIENT_CSV_MAX_BYTES", 5_000_000, minimum=1_000)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "plain").lower()  # plain (for people) or json (for a log pipeline)
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "project.logs.RedactSecrets"},
        "quiet_request_errors": {"()": "project.logs.QuietRequestErrors"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "project.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Ours only: Django's own console handler (with DEBUG on) would write every line twice.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # A 403 or 404 in one line without a traceback; a failing readiness probe not at all.
        "django.request": {"filters": ["quiet_request_errors"]},
        # A line per HTTP request to CH is the listener's and backfill's to write, with context.
        "httpx": {"level": "WARNING"},
        # rq-scheduler adds a handler of its own unless the logger has one; with ours here (and no
        # propagation) each line is written once, in our format.
        "rq_scheduler.scheduler": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
