"""Stand-ins for an email provider (the one thing outside our reach), on anymail's test backend."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from anymail.backends.test import EmailBackend as AnymailTestBackend


class ScriptedBackend(AnymailTestBackend):
    """anymail's test backend that first raises the exceptions in `script`, one per message."""

    script: list[Exception] = []

    def post_to_esp(self, payload, message):
        if ScriptedBackend.script:
            raise ScriptedBackend.script.pop(0)
        return super().post_to_esp(payload, message)


class FileSinkBackend(AnymailTestBackend):
    """For worker processes: each message sent becomes a file in TEST_MAIL_DIR, after a pause of
    TEST_MAIL_DELAY seconds (the provider's latency, during which a test can kill the worker)."""

    def post_to_esp(self, payload, message):
        time.sleep(float(os.environ.get("TEST_MAIL_DELAY", "0")))
        response = super().post_to_esp(payload, message)
        sink = Path(os.environ["TEST_MAIL_DIR"])
        (sink / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return response
