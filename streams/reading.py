"""The stream worker's read path: bytes to lines to matched events, the hot path of the listener.

StreamWorker (streams.listener) inherits it: the connection loop and the commits live there, the
reading here. Everything in `_handle_lines` runs for every line of every stream (95% and more
about companies nobody watches), so it works on locals and adds its counters up once per chunk.
"""

from __future__ import annotations

import logging
import time

import httpx

from .events import OVERSIZED, Skip, parse_line, stored, unwatched_number
from .gaps import GapSeen
from .models import StreamGap
from .peek import HEAD, TAIL, UNKNOWN, keep_tail, peek, peek_line

log = logging.getLogger("streams.listener")


class DatabaseFailed(Exception):
    """A commit beside the reading failed: the connection ends and resumes from the checkpoint."""


class ReadPath:
    """Needs of its host: stream, config, index, status, batch, seen, gap_from/gap_to, skipped,
    _resumed_from, failed, last_chunk, _fast_path, _skip_logged, _unfinished and
    `_commit_beside_reading()`."""

    async def _read_body(self, response: httpx.Response) -> None:
        pending = b""
        # An oversized line is dropped as it arrives; its first and last bytes and its size are
        # kept to log it once it ends, when its tail (where CH puts the timepoint) has been seen.
        skipping = False
        head = tail = b""
        size = 0
        max_line = self.config.max_line_bytes
        try:
            async for chunk in response.aiter_bytes():
                if self.failed:  # a commit beside the reading failed: resume from the checkpoint
                    raise DatabaseFailed("a batch could not be committed")
                self.status.beat()
                self.last_chunk = time.monotonic()
                if skipping:  # the rest of an oversized line
                    end = chunk.find(b"\n")
                    if end == -1:
                        size += len(chunk)
                        tail = keep_tail(tail, chunk)
                        continue
                    size += end
                    tail = keep_tail(tail, chunk[max(0, end - TAIL) : end])
                    self._skipped(Skip(OVERSIZED, f"{size:,} bytes"), head, tail=tail)
                    chunk, skipping, head, tail = chunk[end + 1 :], False, b"", b""
                lines = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
                pending = lines.pop()
                self._handle_lines(lines)
                if len(pending) > max_line:
                    head, tail, size = pending[:HEAD], pending[-TAIL:], len(pending)
                    pending, skipping = b"", True
                if len(self.batch) >= self.config.batch_size:
                    await self._commit_beside_reading()
        finally:  # for _what_happened: did the connection end inside a line?
            self._unfinished = size if skipping else len(pending.strip())

    def _handle_lines(self, lines: list[bytes]) -> None:
        """Match each complete line. The hot path: locals, and the counters added up once.

        A line in CH's own layout about a company nobody watches is skipped from its first
        hundred bytes (see events.unwatched_number); every other line is parsed and validated
        in full. Of a run of skipped lines only the first and last are parsed, for the timepoints.
        """
        stream, watched, batch = self.stream, self.index.numbers, self.batch
        max_line = self.config.max_line_bytes
        path = self._fast_path
        received = matched = unwatched = 0
        first = newest = last = None
        first_unwatched = last_unwatched = None
        for line in lines:
            if not line or line.isspace():
                continue  # heartbeat
            if len(line) > max_line:
                after = newest if newest is not None else self.seen
                self._skipped(Skip(OVERSIZED, f"{len(line):,} bytes"), line, after=after)
                continue
            if unwatched_number(line, path, watched) is not None:
                unwatched += 1
                if first_unwatched is None:
                    first_unwatched = line
                last_unwatched = line
                continue
            try:
                event = parse_line(line, stream)
            except Skip as skip:
                self._skipped(skip, line, after=newest if newest is not None else self.seen)
                timepoint = skip.timepoint
            else:
                received += 1
                last = event
                if stored(event, watched):
                    batch.append(event)
                    matched += 1
                if not event.known_kind:
                    self.status.counters["unknown_kind"] += 1
                timepoint = event.timepoint
            if timepoint is not None:
                if first is None:
                    first = timepoint
                if newest is None or timepoint > newest:
                    newest = timepoint
        if unwatched:
            received += unwatched
            ends = (first_unwatched, last_unwatched)
            for line in ends[: 1 if first_unwatched is last_unwatched else 2]:
                try:
                    event = parse_line(line, stream)
                except Skip as skip:  # broken beyond the part that was checked
                    self._skipped(skip, line, after=self.seen)
                    received -= 1
                    continue
                if first is None or event.timepoint < first:
                    first = event.timepoint
                if newest is None or event.timepoint >= newest:
                    newest, last = event.timepoint, event
        if received:
            self.status.received += received
            self.status.matched += matched
            self.status.last_event = last
        if newest is not None:
            if self._resumed_from is not None:
                self._judge_resume(first)
            self._advance(first)
            self._advance(newest)

    def _judge_resume(self, first: int) -> None:
        """The first event after resuming from a checkpoint is normally the checkpoint itself
        (resume is inclusive); far past it, CH skipped what was between (streams.gaps)."""
        checkpoint, self._resumed_from = self._resumed_from, None
        if first - checkpoint > self.config.gap_timepoints:
            log.error(
                "GAP on %s: resumed from timepoint %s but the first event is %s, %s past it; the events "
                "in between were never sent",
                self.stream,
                checkpoint,
                first,
                f"{first - checkpoint:,}",
                extra={"stream": self.stream, "timepoint": checkpoint},
            )
            self.skipped = GapSeen(StreamGap.SKIPPED_AHEAD, checkpoint, first)

    def _advance(self, timepoint: int) -> None:
        if self.seen is None or timepoint > self.seen:
            if self.seen is None and self.gap_from is not None:
                self.gap_to = timepoint
            self.seen = timepoint

    def _skipped(self, skip: Skip, line: bytes = b"", after: int | None = None, tail: bytes = b"") -> None:
        """Count a skipped line and log the first ten of each reason, then every thousandth, with
        which event it was (`tail`: the end of a line too long to keep whole)."""
        self.status.counters[f"skipped_{skip.reason}"] += 1
        self._skip_logged[skip.reason] += 1
        count = self._skip_logged[skip.reason]
        if count <= 10 or count % 1000 == 0:  # enough context to act on, without flooding the log
            after = after if after is not None else self.seen
            facts = peek(line, tail) if tail else peek_line(line)
            extra = {"stream": self.stream, "timepoint": after}
            if facts.company_number != UNKNOWN:
                extra["company_number"] = facts.company_number
            log.warning(
                "%s: skipped a line (%s, %s) after timepoint %s: %s; it starts %r%s",
                self.stream,
                skip.reason,
                skip.detail,
                after,
                facts,
                line[:200],
                f" [{count} so far]" if count > 10 else "",
                extra=extra,
            )
