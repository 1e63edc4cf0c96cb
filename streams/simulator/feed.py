"""One simulated stream's history: the lines CH would send, by timepoint, and what was sent."""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from datetime import UTC, datetime

import orjson


def now_published_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Feed:
    """Lines in timepoint order. A raw (malformed) line takes no timepoint: it sorts with the
    event before it. Only the newest `retention` lines are kept; older timepoints get 416."""

    def __init__(self, stream: str, start_timepoint: int, retention: int) -> None:
        self.stream = stream
        self.first_timepoint = start_timepoint
        self.next_timepoint = start_timepoint
        self.retention = retention
        self.base = 0  # absolute position of lines[0]
        self.lines: list[bytes] = []
        self.keys: list[int] = []
        self.sent: set[int] = set()
        self._changed = asyncio.Event()

    @property
    def head(self) -> int:
        """The newest timepoint assigned (first_timepoint - 1 when there is none yet)."""
        return self.next_timepoint - 1

    @property
    def oldest_timepoint(self) -> int:
        return self.keys[0] if self.base and self.keys else self.first_timepoint

    def append_event(self, envelope: dict) -> int:
        event = envelope.setdefault("event", {})
        timepoint = event.get("timepoint")
        if not isinstance(timepoint, int) or timepoint < self.next_timepoint:
            timepoint = self.next_timepoint
            event["timepoint"] = timepoint
        event.setdefault("published_at", now_published_at())
        event.setdefault("type", "changed")
        self.next_timepoint = timepoint + 1
        self._push(timepoint, orjson.dumps(envelope) + b"\n")
        return timepoint

    def append_raw(self, line: bytes) -> None:
        self._push(self.head, line.rstrip(b"\n") + b"\n")

    def _push(self, key: int, line: bytes) -> None:
        self.keys.append(key)
        self.lines.append(line)
        excess = len(self.lines) - self.retention
        if excess > max(100, self.retention // 10):  # trim in steps, not on every append
            del self.lines[:excess]
            del self.keys[:excess]
            self.base += excess
        self.wake()

    def valid_start(self, timepoint: int) -> bool:
        return self.oldest_timepoint <= timepoint <= self.head + 1

    def position_for(self, timepoint: int | None) -> int:
        """Where a connection asking for `timepoint` (None: from now on) starts reading."""
        if timepoint is None:
            return self.base + len(self.lines)
        return self.base + bisect_left(self.keys, timepoint)

    def read(self, position: int, max_bytes: int = 65536) -> tuple[list[bytes], list[int], int]:
        """Lines from `position` up to about max_bytes: (lines, their keys, next position)."""
        start = max(position - self.base, 0)
        end, size = start, 0
        while end < len(self.lines) and size < max_bytes:
            size += len(self.lines[end])
            end += 1
        return self.lines[start:end], self.keys[start:end], self.base + end

    def wake(self) -> None:
        """Wake every connection waiting for more: a line was added, or the simulator is stopping."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for_more(self, timeout: float) -> bool:
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def events(self, from_timepoint: int = 0) -> list[dict]:
        found = []
        for key, line in zip(self.keys, self.lines, strict=True):
            if key >= from_timepoint:
                try:
                    found.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    continue
        return found
