"""The stream listener: one asyncio task per CH stream, reading, matching and storing events.

Each stream worker connects from its checkpoint, splits the body into lines, matches each event
against the watch index and hands matched ones to save_batch (one transaction with the
checkpoint). Any failure of the connection or the database drops what is not yet committed and
reconnects from the checkpoint: CH sends it again, and storing is idempotent. So nothing
matched is lost, and nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from django.utils import timezone

from . import client as ch
from .database import Database
from .events import StreamEvent, fast_path
from .gaps import SILENCE_MINUTES, GapSeen, close_silent_gap, open_silent_gap, open_silent_gaps, silence_limit
from .models import StreamGap
from .reading import DatabaseFailed as _DatabaseFailed
from .reading import ReadPath
from .status import StreamStatus, load_checkpoints, write_status
from .store import save_batch
from .watch_index import WatchIndex, load_watch_index, prune_watch_changes, watch_changes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenerConfig:
    base_url: str
    key: str
    streams: tuple[str, ...]
    stall_timeout: float = 90.0
    connect_timeout: float = 10.0
    batch_size: int = 500
    flush_interval: float = 0.5  # seconds a matched event may wait before it is committed
    idle_flush: float = 0.05  # or, once the stream has been quiet this long (caught up), at once
    checkpoint_interval: float = 3.0  # seconds an unmatched-only checkpoint may wait
    status_interval: float = 2.0
    index_interval: float = 1.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    max_line_bytes: int = 1_000_000
    # A resume whose first event is further past the checkpoint than this is a gap (streams.gaps).
    gap_timepoints: int = 1000
    silence: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(SILENCE_MINUTES))
    silence_check_interval: float = 30.0


SWITCH_INTERVAL = 0.0005


class StreamKeyRejected(Exception):
    pass


class StreamWorker(ReadPath):
    def __init__(
        self, stream: str, config: ListenerConfig, index: WatchIndex, db: Database, checkpoint
    ) -> None:
        self.stream = stream
        self.config = config
        self.index = index
        self.db = db
        self.status = StreamStatus(stream)
        self.committed: int | None = checkpoint  # the checkpoint in the database
        self.seen: int | None = checkpoint  # the newest timepoint read
        self.batch: list[StreamEvent] = []
        self.last_flush = self.last_chunk = time.monotonic()
        self.flush_lock = asyncio.Lock()
        self.committing: asyncio.Future | None = None  # a batch commit running beside the reader
        self.failed = False  # a commit failed: nothing may be committed until we reconnect
        self.gap_from: int | None = None  # after a 416: the checkpoint CH could not resume from
        self.gap_to: int | None = None  # and the first timepoint it sent instead
        self.skipped: GapSeen | None = None  # a resume that began far past the checkpoint
        self._resumed_from: int | None = None  # the checkpoint of this connection, until its first event
        # Silence (streams.gaps): the open gap's id, and the last time events were seen to arrive.
        self.silent_gap: int | None = None
        self._news_count, self._news_at = 0, time.monotonic()
        self._skip_logged: Counter[str] = Counter()
        self._fast_path = fast_path(stream)
        # The current connection, for saying what happened when it ends.
        self._connected_at: float | None = None  # None: not connected (yet)
        self._received_at_connect = 0
        self._unfinished = 0  # bytes of a line the connection ended inside

    # --- the connection loop ----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        async with ch.stream_client(
            self.config.base_url,
            self.config.key,
            stall_timeout=self.config.stall_timeout,
            connect_timeout=self.config.connect_timeout,
        ) as http:
            while not stop.is_set():
                wait = 0.0
                try:
                    got_data = await self._read_until_closed(http, stop)
                    failures = 0 if got_data else failures + 1
                    wait = self._backoff(failures) if failures else 0.0
                    if not stop.is_set():  # CH ends every connection within a day: normal, so INFO
                        log.info(
                            "%s: %s; reconnecting in %.1f s",
                            self.stream,
                            self._what_happened(None),
                            wait,
                            extra={"stream": self.stream, "timepoint": self.seen},
                        )
                except ch.StreamUnauthorized as exc:
                    raise StreamKeyRejected(str(exc)) from None
                except ch.TimepointOutOfRange:
                    log.error(
                        "GAP on %s: CH no longer has events after timepoint %s (416); resuming from the "
                        "newest event. Events in between were never seen: see Streams > gaps in the admin.",
                        self.stream,
                        self.committed,
                        extra={"stream": self.stream, "timepoint": self.committed},
                    )
                    self.gap_from, self.committed, self.seen = self.committed, None, None
                except ch.RateLimited as exc:
                    wait = exc.retry_after
                    self.status.error(str(exc))
                    log.warning(
                        "%s: %s; waiting %.0f s", self.stream, exc, wait, extra={"stream": self.stream}
                    )
                except (ch.StreamError, httpx.HTTPError, OSError, _DatabaseFailed) as exc:
                    failures += 1
                    wait = self._backoff(failures)
                    what = self._what_happened(exc)
                    self.status.error(what)
                    log.warning(
                        "%s: %s; reconnecting in %.1f s",
                        self.stream,
                        what,
                        wait,
                        extra={"stream": self.stream, "timepoint": self.seen},
                    )
                finally:
                    self.status.disconnected()
                    self.batch.clear()  # not committed: CH sends it again from the checkpoint
                    self.seen = self.committed
                    self.skipped = None  # not committed either: the next resume is judged afresh
                    self.failed = False
                if wait and not stop.is_set():
                    self.status.reconnects += 1
                    await _sleep_unless(stop, wait)
                elif not stop.is_set():
                    self.status.reconnects += 1

    def _backoff(self, failures: int) -> float:
        return backoff(self.config, failures)

    def _what_happened(self, exc: Exception | None) -> str:
        """How the connection ended (exc None: CH ended the response), how long it lasted, how
        many events it brought and the last timepoint read: enough to tell a nightly close from a
        flapping link without the traceback."""
        if exc is None:
            words = "Companies House ended the response" + (" mid-line" if self._unfinished else "")
        elif isinstance(exc, httpx.TransportError):
            words = ch.why_the_stream_failed(
                exc,
                self.config.base_url,
                stall_timeout=self.config.stall_timeout,
                connect_timeout=self.config.connect_timeout,
                mid_line=self._unfinished > 0,
            )
        elif isinstance(exc, ch.StreamError | _DatabaseFailed):  # ours: already in words
            words = str(exc)
        else:
            words = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if self._connected_at is not None:
            seconds = time.monotonic() - self._connected_at
            events = self.status.received - self._received_at_connect
            words += f" after {_seconds(seconds)} and {events:,} event{'' if events == 1 else 's'}"
        if self._unfinished:
            words += f", {self._unfinished:,} bytes into a line that will be read again"
        return f"{words}; " + (
            f"last timepoint read {self.seen}" if self.seen is not None else "no timepoint yet"
        )

    async def _read_until_closed(self, http: httpx.AsyncClient, stop: asyncio.Event) -> bool:
        """Read one connection until CH closes it or stop is set. True if any event came."""
        received_before = self.status.received
        self._connected_at, self._unfinished = None, 0
        async with ch.open_stream(http, self.stream, self.committed) as response:
            self.status.connected()
            self._connected_at, self._received_at_connect = time.monotonic(), received_before
            self._resumed_from = self.committed
            log.info(
                "%s: connected from timepoint %s",
                self.stream,
                self.committed,
                extra={"stream": self.stream, "timepoint": self.committed},
            )
            reader = asyncio.ensure_future(self._read_body(response))
            stopper = asyncio.ensure_future(stop.wait())
            try:
                done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                if not reader.done():
                    reader.cancel()
                    await asyncio.gather(reader, return_exceptions=True)
            if self.committing is not None:
                await asyncio.wait({self.committing})
                committing, self.committing = self.committing, None
                committing.result()  # raises if that commit failed
            if reader in done:
                reader.result()  # raises what the read raised
            await self.flush()  # commit what was read before the close or the stop
            return self.status.received > received_before

    # --- committing -------------------------------------------------------------------------

    def due(self) -> bool:
        now = time.monotonic()
        age = now - self.last_flush
        if self.batch:  # batch while events pour in; when they stop, nobody waits for the timer
            return age >= self.config.flush_interval or now - self.last_chunk >= self.config.idle_flush
        return self.seen != self.committed and age >= self.config.checkpoint_interval

    async def _commit_beside_reading(self) -> None:
        """Commit the full batch while reading goes on; at most one commit in flight, so a slow
        database slows the reading down instead of filling memory."""
        if self.committing is not None:
            committing, self.committing = self.committing, None
            await committing  # raises if it failed
        self.committing = asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        async with self.flush_lock:
            if self.failed:
                raise _DatabaseFailed("an earlier commit failed; reconnecting from the checkpoint")
            events, checkpoint = self.batch, self.seen
            self.batch = []
            self.last_flush = time.monotonic()
            if not events and checkpoint == self.committed:
                return
            gap = self.skipped  # recorded in the commit that moves past it
            if self.gap_from is not None and self.gap_to is not None:
                gap = GapSeen(StreamGap.OUT_OF_RANGE, self.gap_from, self.gap_to)
            started = time.monotonic()
            commit = asyncio.ensure_future(self.db.run(save_batch, self.stream, events, checkpoint, gap))
            try:
                # Shielded: a stop that cancels the reader mid-commit must still learn whether the
                # commit happened, or the next checkpoint could pass events that were never stored.
                result = await asyncio.shield(commit)
            except asyncio.CancelledError:
                await asyncio.wait({commit})
                if not commit.cancelled() and commit.exception() is None:
                    self._committed(checkpoint, gap, commit.result())
                else:  # nothing past the checkpoint may be committed now
                    self.failed = True
                raise
            except Exception as exc:
                self.failed = True
                raise _DatabaseFailed(f"storing {len(events)} events failed: {exc}") from exc
            self._committed(checkpoint, gap, result)
            log.debug(
                "%s: committed %d events up to %s in %.0f ms",
                self.stream,
                len(events),
                checkpoint,
                (time.monotonic() - started) * 1000,
            )

    def _committed(self, checkpoint: int | None, gap: GapSeen | None, result) -> None:
        if gap is not None:
            self.gap_from = self.gap_to = self.skipped = None
        self.committed = checkpoint
        self.status.stored(result)

    # --- silence -----------------------------------------------------------------------------

    async def check_silence(self) -> None:
        """Open a silent gap when a connected stream has sent no event for longer than its
        expected rate allows; close it when events come again. Runs beside the reader every
        silence_check_interval, so the hot path does not look at clocks for it."""
        now = time.monotonic()
        if self.status.received != self._news_count:
            self._news_count, self._news_at = self.status.received, now
            if self.silent_gap is not None:
                await self.db.run(close_silent_gap, self.silent_gap, self.seen)
                self.silent_gap = None
            return
        if self.silent_gap is not None or not self.status.is_connected or self._connected_at is None:
            return
        since = max(self._news_at, self._connected_at)  # a reconnect's replay has not begun yet
        limit = silence_limit(self.stream, timezone.now(), self.config.silence)
        if limit is not None and now - since > limit:
            silent_since = timezone.now() - timedelta(seconds=now - since)
            self.silent_gap = await self.db.run(open_silent_gap, self.stream, self.seen, silent_since)


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:,.0f} s"


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _every(stop: asyncio.Event, seconds: float, step: Callable) -> None:
    while not stop.is_set():
        await _sleep_unless(stop, seconds)
        try:
            await step()
        except Exception as exc:  # the database restarting, usually: the next round retries
            log.warning(
                "%s failed (%s: %s); trying again in %.1f s", step.__name__, type(exc).__name__, exc, seconds
            )


def backoff(config: ListenerConfig, failures: int) -> float:
    """Seconds to wait after that many failures in a row: doubling from backoff_base up to
    backoff_cap, with jitter so that many streams (or listeners) do not retry in step."""
    ceiling = min(config.backoff_cap, config.backoff_base * 2 ** min(failures - 1, 16))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


async def _start_up(config: ListenerConfig, db: Database, index: WatchIndex, stop: asyncio.Event):
    """Load the watch index and checkpoints, waiting for the database if it is not up yet."""
    failures = 0
    while not stop.is_set():
        try:
            index.replace(*await db.run(load_watch_index))
            return await db.run(load_checkpoints, config.streams), await db.run(
                open_silent_gaps, config.streams
            )
        except Exception as exc:
            failures += 1
            wait = backoff(config, failures)
            log.warning(
                "cannot read the watch list (%s: %s); trying again in %.0f s", type(exc).__name__, exc, wait
            )
            await _sleep_unless(stop, wait)
    return None


async def run_listener(config: ListenerConfig, stop: asyncio.Event) -> None:
    """Listen until stop is set. Raises StreamKeyRejected on 401 (after committing the rest)."""
    db = Database()
    index = WatchIndex()
    try:
        started = await _start_up(config, db, index, stop)
        if started is None:
            return
        checkpoints, silent = started
        # A million-number index would be re-scanned by every full garbage collection, and the
        # reader allocates fast enough to trigger them: move what exists now out of the GC's way.
        gc.freeze()
        # The database thread waits on many short round trips, and each time must win the GIL back
        # from the busy reader: the default 5 ms switch interval made a 500-event commit take 30 to
        # 90 ms. A shorter one lets commits keep up with reading (see BENCHMARKS.md).
        sys.setswitchinterval(SWITCH_INTERVAL)
        log.info("watching %d companies; streams %s", len(index), ", ".join(config.streams))
        workers = [StreamWorker(s, config, index, db, checkpoints.get(s)) for s in config.streams]
        for worker in workers:
            worker.silent_gap = silent.get(worker.stream)

        async def refresh_index() -> None:
            index.apply(*await db.run(watch_changes, index.last_change_id))

        async def flush_due() -> None:
            for worker in workers:
                if worker.due() and not worker.flush_lock.locked() and not worker.failed:
                    await worker.flush()

        async def check_silence() -> None:
            for worker in workers:
                await worker.check_silence()

        async def write_statuses() -> None:
            await db.run(write_status, [w.status.snapshot() for w in workers])

        background = [
            asyncio.ensure_future(_every(stop, config.index_interval, refresh_index)),
            asyncio.ensure_future(_every(stop, config.idle_flush, flush_due)),
            asyncio.ensure_future(_every(stop, config.status_interval, write_statuses)),
            asyncio.ensure_future(_every(stop, 600, lambda: db.run(prune_watch_changes))),
            asyncio.ensure_future(_every(stop, config.silence_check_interval, check_silence)),
        ]
        tasks = [asyncio.ensure_future(w.run(stop)) for w in workers]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception():
                    stop.set()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    raise task.exception()
        finally:
            stop.set()
            await asyncio.gather(*background, *tasks, return_exceptions=True)
            for worker in workers:
                worker.status.disconnected()
            await db.run(write_status, [w.status.snapshot() for w in workers])
            committed = {w.stream: w.committed for w in workers}
            log.info("listener stopped; checkpoints committed: %s", committed)
    finally:
        db.close()
