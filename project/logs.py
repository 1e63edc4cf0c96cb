"""Log lines for people (plain) or for a log pipeline (LOG_FORMAT=json), and never a secret.

Context given as `extra=` (stream, timepoint, event_id, organisation_id, delivery_id,
company_number, ...) becomes fields of the JSON line. The redacting filter, on every handler,
replaces the configured secrets (stream key, API keys, ESP credentials, SECRET_KEY) with "***" and
writes email addresses as their domain only, in messages and tracebacks alike.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import orjson
from django.conf import settings

CONTEXT = (
    "stream",
    "timepoint",
    "event_id",
    "event_ids",
    "organisation_id",
    "organisation_ids",
    "delivery_id",
    "delivery_ids",
    "company_number",
)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return _EMAIL.sub(r"***@\1", text)


def _secrets() -> tuple[str, ...]:

    values = [settings.SECRET_KEY, settings.CH_STREAM_KEY, settings.CH_API_KEY, *settings.ANYMAIL.values()]
    # Long enough to be a credential (not "1" or "true"), longest first so one never hides another.
    return tuple(sorted({str(v) for v in values if v and len(str(v)) >= 6}, key=len, reverse=True))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            secrets = _secrets()
        except Exception:  # settings not ready yet (very early start-up): emails still redacted
            secrets = ()
        record.msg = redact(record.getMessage(), secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), secrets)
            record.exc_info = None
        return True


class QuietRequestErrors(logging.Filter):
    """For `django.request`. A 403 (PermissionDenied) or 404 is the visitor's mistake, not ours:
    Django logs it with the exception's traceback, noise that hides real errors; the line stays,
    the traceback goes. A failing readiness probe's 503 is its answer, reasons in the body: a
    probe polled every few seconds during start-up or an outage is not an error line each time."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(getattr(record, "request", None), "readiness_probe", False):
            return False
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key in CONTEXT:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_text or record.exc_info:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()
