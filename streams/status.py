"""What each stream worker tells the operator, and the small database steps around checkpoints."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from .events import StreamEvent, published_at
from .models import StreamState

log = logging.getLogger(__name__)


@dataclass
class StreamStatus:
    stream: str
    is_connected: bool = False
    connected_since: datetime | None = None
    heartbeat_at: datetime | None = None
    last_event_at: datetime | None = None
    last_published: str | None = None
    last_error: str = ""
    reconnects: int = 0
    # Bumped for every event on the hot path, so plain attributes rather than Counter keys.
    received: int = 0
    matched: int = 0
    last_event: StreamEvent | None = None
    counters: Counter[str] = field(default_factory=Counter)
    _chunks_seen: int = -1

    def connected(self) -> None:
        self.is_connected = True
        self.connected_since = timezone.now()
        self.heartbeat_at = self.connected_since
        self.last_error = ""

    def disconnected(self) -> None:
        self.is_connected = False

    def error(self, message: str) -> None:
        self.last_error = message[:500]

    def beat(self) -> None:
        # Called per chunk read; the snapshot turns it into a time (cheap here, on the hot path).
        self.counters["chunks"] += 1

    def stored(self, result) -> None:
        self.counters["stored"] += len(result.new_ids)
        self.counters["updated"] += result.updated
        self.counters["duplicates"] += result.duplicates

    def snapshot(self) -> dict:
        now = timezone.now()
        if self.is_connected and self.counters["chunks"] != self._chunks_seen:
            self.heartbeat_at = now
            self._chunks_seen = self.counters["chunks"]
        if self.last_event is not None:
            self.last_event_at = now
            self.last_published = published_at(self.last_event.envelope)
            self.last_event = None
        return {
            "stream": self.stream,
            "connected": self.is_connected,
            "connected_since": self.connected_since,
            "heartbeat_at": self.heartbeat_at,
            "last_event_at": self.last_event_at,
            "last_published_at": self.last_published,
            "last_error": self.last_error,
            "reconnects": self.reconnects,
            "counters": {
                "received": self.received,
                "matched": self.matched,
                **{k: v for k, v in sorted(self.counters.items()) if k != "chunks"},
            },
        }


def load_checkpoints(streams: Iterable[str]) -> dict[str, int | None]:
    close_old_connections()
    for stream in streams:
        StreamState.objects.get_or_create(stream=stream)
    return dict(StreamState.objects.filter(stream__in=list(streams)).values_list("stream", "timepoint"))


def write_status(snapshots: list[dict]) -> None:
    close_old_connections()
    for snap in snapshots:
        fields = {k: v for k, v in snap.items() if k != "stream"}
        StreamState.objects.filter(stream=snap["stream"]).update(**fields)
