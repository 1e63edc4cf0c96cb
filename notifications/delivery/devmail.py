"""Email for development (`make run`): each message becomes one `.eml` file in DEV_MAIL_DIR and one
log line, `email to <recipients>: <subject>`; the development mailbox page
(notifications/views/mailbox.py) lists and shows the files. This module owns that folder: it
writes the files and is the only reader of them.

Sending behaves as a provider's backend does for the delivery pipeline: the count of messages
taken comes back, a message with no recipients is not taken (as SMTP does), and a file that cannot
be written raises OSError, which the email transport treats as transient. There is no provider id
(`anymail_status`), so the transport records the message's own Message-ID, as with the console.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage as ParsedMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)

# What a file this backend writes is called; nothing else in the folder is listed or served (the
# temporary files being written start with a dot, and a name never holds a path separator).
NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*\.eml")
SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "List-Unsubscribe")


def mail_dir() -> Path:
    # getattr: the backend must work in a settings module that does not name the folder.
    configured = getattr(settings, "DEV_MAIL_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "mail"


class EmailBackend(BaseEmailBackend):
    """EMAIL_BACKEND=notifications.delivery.devmail.EmailBackend"""

    def __init__(self, fail_silently: bool = False, directory: str | Path | None = None, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = Path(directory) if directory else mail_dir()

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or ():
            if not message.recipients():
                continue
            try:
                self._keep(message)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def _keep(self, message) -> Path:
        data = message.message().as_bytes()
        self.directory.mkdir(parents=True, exist_ok=True)
        delivery_id = _delivery_id(message)
        path = self.directory / new_name(delivery_id)
        # Written whole, then renamed into place: the page never lists half a message.
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        log.info(
            "email to %s: %s",
            ", ".join(message.recipients()),
            message.subject,
            extra={"delivery_id": delivery_id},
        )
        return path


def new_name(delivery_id: int | None = None, now: datetime | None = None) -> str:
    """`20261201-201530-123456-delivery-42-1f0c9a2b.eml`: in UTC, so names sort by time across a
    clock change; the random tail keeps two messages of one microsecond (or two attempts at one
    delivery) apart."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S-%f")
    what = f"delivery-{delivery_id}-" if delivery_id is not None else ""
    return f"{stamp}-{what}{uuid.uuid4().hex[:8]}.eml"


def _delivery_id(message) -> int | None:
    """The delivery the email transport put in the message's metadata, if it is one of ours."""
    metadata = getattr(message, "metadata", None)
    value = metadata.get("delivery_id") if isinstance(metadata, dict) else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# --- reading the folder (the mailbox page) ----------------------------------------------------


@dataclass(frozen=True)
class Summary:
    name: str
    date: datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class Shown:
    name: str
    headers: list[tuple[str, str]]
    html: str | None
    text: str | None

    @property
    def subject(self) -> str:
        return next((value for header, value in self.headers if header == "Subject"), "")


def names(directory: Path | None = None) -> list[str]:
    """The messages in the folder, newest first (the names start with their time)."""
    directory = directory or mail_dir()
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    plain = (e.name for e in entries if NAME.fullmatch(e.name) and e.is_file(follow_symlinks=False))
    return sorted(plain, reverse=True)


def find(name: str, directory: Path | None = None) -> Path | None:
    """The file of that name in the folder; None for anything else, such as `../settings.py`,
    an absolute path, a dot file, or a symbolic link (this backend writes none, and one could lead
    out of the folder)."""
    directory = (directory or mail_dir()).resolve()
    if not NAME.fullmatch(name):
        return None
    path = directory / name
    if path.is_symlink() or not path.is_file() or path.resolve().parent != directory:
        return None
    return path


def summary(name: str, directory: Path | None = None) -> Summary:
    path = find(name, directory)
    if path is None:
        raise FileNotFoundError(name)
    with path.open("rb") as file:
        headers = BytesHeaderParser(policy=policy.default).parse(file)
    try:
        return Summary(name, _date(headers), _header(headers, "To"), _header(headers, "Subject"))
    except Exception:  # one damaged file must not take the list down with it
        return Summary(name, None, "", "(unreadable)")


def show(name: str, directory: Path | None = None) -> Shown | None:
    path = find(name, directory)
    if path is None:
        return None
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    headers = [(h, _header(message, h)) for h in SHOWN_HEADERS if message[h] is not None]
    return Shown(name, headers, _part(message, "html"), _part(message, "plain"))


def _header(message, name: str) -> str:
    value = message[name]
    # Stripped: a long header folded onto a second line comes back with the fold's leading space.
    return "" if value is None else str(value).strip()


def _date(message) -> datetime | None:
    value = message["Date"]
    try:
        return parsedate_to_datetime(str(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _part(message: ParsedMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding: show what is there
        return part.get_payload(decode=True).decode("utf-8", errors="replace")
