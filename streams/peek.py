"""Which event a skipped line was, read from its raw bytes without parsing it.

A line the listener skips (over the size limit, broken JSON, a field missing) is logged, and the
operator then wants to know which event it was: its timepoint, resource kind and company number.
Such a line may be megabytes long, cut short or not JSON at all, so this only looks at its first
and last few kilobytes with tolerant patterns and says "unknown" for whatever it cannot find.
It runs only for lines being logged, never for the lines the listener keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# CH writes resource_kind and resource_uri first and the event (with its timepoint) last, so the
# timepoint of a long line is in its tail; a line in another layout may have it at the start.
HEAD = 4096
TAIL = 4096

UNKNOWN = "unknown"

_TIMEPOINT = re.compile(rb'"timepoint"\s*:\s*(\d{1,20})')
# Nothing that could break the log line (quotes, backslashes, control characters) is captured.
_KIND = re.compile(rb'"resource_kind"\s*:\s*"([^"\\\x00-\x1f]{1,100})"')
# CH has been seen to drop the leading slash of resource_uri: either is read.
_COMPANY = re.compile(rb'"resource_uri"\s*:\s*"/?company/([^/"\\\x00-\x20]{1,20})')


@dataclass(frozen=True, slots=True)
class LineFacts:
    timepoint: str
    kind: str
    company_number: str

    def __str__(self) -> str:
        return f"timepoint {self.timepoint}, kind {self.kind}, company {self.company_number}"


def peek(head: bytes, tail: bytes = b"") -> LineFacts:
    """What the line says about itself. `head` is its start and `tail` its end, when the line was
    too long to keep whole (the listener drops an oversized line as it arrives)."""
    start = head[:HEAD]
    timepoint = _TIMEPOINT.search(start)
    if timepoint is None and tail:
        # The last one: a "timepoint" inside the resource's data would come before the event's.
        timepoint = next(reversed(list(_TIMEPOINT.finditer(tail[-TAIL:]))), None)
    kind = _KIND.search(start)
    company = _COMPANY.search(start)
    return LineFacts(_text(timepoint), _text(kind), _text(company))


def peek_line(line: bytes) -> LineFacts:
    """peek for a line read whole."""
    return peek(line, line[-TAIL:] if len(line) > HEAD else b"")


def keep_tail(tail: bytes, more: bytes) -> bytes:
    """The last TAIL bytes of `tail` followed by `more`, without copying all of a long `more`."""
    if len(more) >= TAIL:
        return more[-TAIL:]
    return (tail + more)[-TAIL:]


def _text(match: re.Match[bytes] | None) -> str:
    return UNKNOWN if match is None else match.group(1).decode("utf-8", "replace")
