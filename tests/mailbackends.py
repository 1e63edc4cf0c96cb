"""Stand-ins for an email provider (the one thing outside our reach), on anymail's test backend."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.message import AnymailRecipientStatus


class ScriptedBackend(AnymailTestBackend):
    """anymail's test backend that first raises the exceptions in `script`, one per message."""

    script: list[Exception] = []

    def post_to_esp(self, payload, message):
        if ScriptedBackend.script:
            raise ScriptedBackend.script.pop(0)
        return super().post_to_esp(payload, message)


class FileSinkBackend(AnymailTestBackend):
    """For worker processes, a provider of sorts: each message it takes becomes a file in
    TEST_MAIL_DIR, headed by the provider's message id and the message's metadata (what the
    provider's webhooks would report), after a pause of TEST_MAIL_DELAY seconds (the provider's
    latency, during which a test can kill the worker before the provider has it) and followed by
    one of TEST_MAIL_AFTER_DELAY (the answer's way back: a kill then leaves a message the provider
    has taken and our record does not show)."""

    def post_to_esp(self, payload, message):
        time.sleep(float(os.environ.get("TEST_MAIL_DELAY", "0")))
        super().post_to_esp(payload, message)
        provider_id = uuid.uuid4().hex
        sink = Path(os.environ["TEST_MAIL_DIR"])
        taken = (
            f"X-Provider-Message-ID: {provider_id}\n"
            f"X-Provider-Metadata: {json.dumps(getattr(message, 'metadata', None) or {})}\n"
        ).encode() + message.message().as_bytes()
        partial = sink / f"{provider_id}.partial"
        partial.write_bytes(taken)
        partial.rename(sink / f"{provider_id}.eml")  # whole or not at all, for whoever reads the sink
        time.sleep(float(os.environ.get("TEST_MAIL_AFTER_DELAY", "0")))
        status = AnymailRecipientStatus(message_id=provider_id, status="sent")
        return {"recipient_status": {email: status for email in payload.recipient_emails}}


def provider_record(path: Path) -> tuple[str, dict]:
    """The provider's message id and the metadata of a message the file sink took."""
    from email import message_from_bytes

    message = message_from_bytes(path.read_bytes())
    return message["X-Provider-Message-ID"], json.loads(message["X-Provider-Metadata"])


def postmark_delivery_event(path: Path) -> dict:
    """The webhook Postmark would post once the message in `path` reached the mailbox."""
    from email import message_from_bytes

    message_id, metadata = provider_record(path)
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Recipient": message_from_bytes(path.read_bytes())["To"],
        "Tag": "",
        "DeliveredAt": "2025-03-04T10:14:59Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": metadata,
    }
