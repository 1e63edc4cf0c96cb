"""LOG_FORMAT=json: one JSON object per line with its context; no secret in any log line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from project.logs import JsonFormatter, RedactSecrets
from tests.streamkit import process_env

ROOT = Path(__file__).resolve().parent.parent


def emitted(message: str, *args, exc_info=None, **extra) -> str:
    record = logging.LogRecord(
        "notifications.delivery.sending", logging.WARNING, __file__, 1, message, args, exc_info
    )
    record.__dict__.update(extra)
    RedactSecrets().filter(record)
    return JsonFormatter().format(record)


def test_a_json_line_carries_the_context_it_was_given(settings):
    line = json.loads(emitted("delivery %s failed for good", 42, delivery_id=42, organisation_id=7))
    assert line["message"] == "delivery 42 failed for good"
    assert (line["level"], line["logger"], line["delivery_id"], line["organisation_id"]) == (
        "WARNING",
        "notifications.delivery.sending",
        42,
        7,
    )
    assert "time" in line and "stream" not in line


def test_keys_and_email_addresses_never_reach_a_log_line(settings):
    settings.CH_STREAM_KEY = "stream-key-0123456789"
    settings.CH_API_KEY = "rest-key-9876543210"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "postmark-token-abcdef"}
    try:
        raise RuntimeError("401 for rest-key-9876543210 sending to jane.doe@example.co.uk")
    except RuntimeError:
        exc_info = sys.exc_info()
    raw = emitted(
        "connecting with %s and %s, token %s, for %s",
        "stream-key-0123456789",
        "rest-key-9876543210",
        "postmark-token-abcdef",
        "alice@example.com",
        exc_info=exc_info,
    )
    line = json.loads(raw)
    for secret in (
        "stream-key-0123456789",
        "rest-key-9876543210",
        "postmark-token-abcdef",
        "alice@",
        "jane.doe",
    ):
        assert secret not in raw
    assert line["message"] == "connecting with *** and ***, token ***, for ***@example.com"
    assert "***@example.co.uk" in line["exception"]


@pytest.mark.django_db(transaction=True)
def test_a_real_process_logs_json_lines_that_parse_and_hold_no_key(sim, ashford_list):
    process = subprocess.run(
        [sys.executable, "manage.py", "runstreams", "--stream", "filings"],
        cwd=ROOT,
        env=process_env(sim, LOG_FORMAT="json", LOG_LEVEL="INFO", CH_STREAM_KEY="wrong-key-for-this-test"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2  # the wrong key stops it, naming the setting
    output = process.stderr.splitlines()
    lines = [json.loads(line) for line in output if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["message"].startswith("listener stopped") for line in lines)
    # Besides the log lines, only the command's own exit message, naming the setting to fix.
    (exit_message,) = [line for line in output if not line.startswith("{")]
    assert exit_message.startswith("CommandError: Companies House rejected the stream key")
    assert "CH_STREAM_KEY" in exit_message
    assert "wrong-key-for-this-test" not in process.stderr + process.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "status"), [("/feed/999999/", 404), ("/admin/django_rq/dashboard/", 403)])
def test_a_403_or_404_is_one_log_line_without_a_traceback(client, carol, path, status, caplog, settings):
    client.force_login(carol)
    caplog.set_level(logging.WARNING, logger="django.request")

    assert client.get(path).status_code == status

    lines = [r for r in caplog.records if r.name == "django.request"]
    assert len(lines) == 1
    assert lines[0].exc_info is None and lines[0].exc_text is None
    # One handler for Django's lines (ours): its own DEBUG console handler would print each twice.
    django = settings.LOGGING["loggers"]["django"]
    assert (django["handlers"], django["propagate"]) == (["console"], False)
