"""Fuzzing the listener's reading: good events among bad lines, cut into chunks anywhere.

A StreamWorker reads a body the way it reads CH's (StreamWorker._read_body over aiter_bytes),
then commits what is left (as _read_until_closed does when CH closes the connection). Its
database thread is replaced by a recorder, and the recorded commits are then run against the
real PostgreSQL in the test's transaction: the ORM refuses to run inside the event loop, and a
thread of its own would not see the test's transaction.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import orjson
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams import events
from streams.events import Skip, fast_path, parse_line, unwatched_number
from streams.listener import ListenerConfig, StreamWorker
from streams.models import Event, StreamState
from streams.store import BatchResult
from streams.watch_index import WatchIndex
from tests.fuzzkit import iso_moments
from tests.streamkit import Body, filing, profile

pytestmark = pytest.mark.django_db

WATCHED = ("09876543", "SC123456", "NI654321")
UNWATCHED = ("12345678", "OC301234", "R0000123")
MAX_LINE = 3_000


class RecordingDatabase:
    def __init__(self) -> None:
        self.commits: list[tuple] = []

    async def run(self, func, *args):
        self.commits.append((func, args))
        return BatchResult()


# --- lines ----------------------------------------------------------------------------------

published = st.one_of(
    st.just("2025-03-14T10:22:07"),
    iso_moments,
    st.text(max_size=20),
)
# NUL included: PostgreSQL refuses it in text and jsonb, so the parser replaces it (see
# test_a_nul_character_in_a_watched_companys_event_does_not_block_the_stream below).
text = st.text(max_size=20)


@st.composite
def envelopes(draw, stream: str, numbers: tuple[str, ...]) -> dict:
    number = draw(st.sampled_from(numbers))
    if stream == "filings":
        envelope = filing(number, "T", description=draw(text))
    else:
        envelope = profile(number, name=draw(text), company_status=draw(text))
    envelope["resource_id"] = draw(text)
    envelope["event"]["published_at"] = draw(published)
    envelope["event"]["type"] = draw(st.sampled_from(["changed", "deleted", ""]) | text)
    return envelope


def ch_line(envelope: dict) -> bytes:
    return orjson.dumps(envelope)


def spaced_line(envelope: dict) -> bytes:
    return ch_line(envelope).replace(b'":"', b'": "').replace(b'","', b'", "')


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.lists(st.none()),
)


@st.composite
def bad_lines(draw, stream: str) -> bytes:
    """A line the listener must skip, mostly about a watched company, so that losing count of it
    or storing it would show."""
    envelope = draw(envelopes(stream, WATCHED))
    envelope["event"]["timepoint"] = draw(st.integers(-(2**63), 2**64 - 1))
    line = ch_line(envelope)
    kind = draw(
        st.sampled_from(
            [
                "bytes",
                "cut",
                "utf8",
                "not_object",
                "wrong_type",
                "missing",
                "kind",
                "number",
                "huge",
                "huge_json",
            ]
        )
    )
    if kind == "bytes":
        return draw(st.binary(min_size=1, max_size=300))
    if kind == "cut":
        return line[: draw(st.integers(1, len(line) - 1))]
    if kind == "utf8":
        at = draw(st.integers(0, len(line)))
        return line[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"])) + line[at:]
    if kind == "not_object":
        return orjson.dumps(draw(st.lists(anything, max_size=3) | anything))
    if kind in ("wrong_type", "missing"):
        field = draw(st.sampled_from(["event", "timepoint", "resource_kind", "resource_uri", "data"]))
        target = envelope["event"] if field == "timepoint" else envelope
        if kind == "missing":
            del target[field]
        else:
            target[field] = draw(anything)
        return ch_line(envelope)
    if kind == "kind":
        envelope["resource_kind"] = draw(st.sampled_from(["company-profile", "filing-history"]) | text)
        return ch_line(envelope)
    if kind == "number":
        envelope["resource_uri"] = "/company/" + draw(st.sampled_from(["ABC", "S1234567", "123456789", ""]))
        return ch_line(envelope)
    if kind == "huge":  # a watched company's event, but too long to read
        envelope["data"]["pad"] = "x" * draw(st.integers(MAX_LINE, 3 * MAX_LINE))
        return ch_line(envelope)
    return b"[" * draw(st.integers(MAX_LINE // 2, 2 * MAX_LINE))  # too deep, and perhaps too long


def expected_reason(line: bytes, stream: str) -> str | None:
    """Why the listener must skip the line, or None if it is not bad after all."""
    if len(line) > MAX_LINE:
        return events.OVERSIZED
    try:
        parse_line(line, stream)
    except Skip as skip:
        return skip.reason
    return None


@st.composite
def feeds(draw) -> tuple[str, list[tuple[str, bytes]], list[bytes], int]:
    """(stream, [(what, line)], the body cut into chunks, batch size)."""
    stream = draw(st.sampled_from(["filings", "companies"]))
    kinds = draw(st.lists(st.sampled_from(["good", "good", "unwatched", "bad", "blank"]), max_size=24))
    lines = []
    for i, kind in enumerate(kinds):
        if kind == "blank":
            lines.append((kind, draw(st.sampled_from([b"", b" ", b"\r", b"\t "]))))
            continue
        if kind == "bad":
            line = draw(bad_lines(stream).filter(lambda line: b"\n" not in line and line.strip()))
            if expected_reason(line, stream) is None:
                continue  # broken in a way that happens to be valid (a kind the stream has, say)
            # A line about a company nobody watches, broken after its number, is passed over
            # unparsed (test_fuzz_stream_parser covers which); here every bad line must be counted.
            if unwatched_number(line, fast_path(stream), frozenset(WATCHED)) is None:
                lines.append(("bad", line))
            continue
        envelope = draw(envelopes(stream, WATCHED if kind == "good" else UNWATCHED))
        envelope["event"]["timepoint"] = 1000 + i
        envelope["resource_id"] = envelope["data"]["transaction_id"] = f"T{i}"
        envelope["resource_uri"] = envelope["resource_uri"].replace("/T", f"/T{i}")
        envelope["data"]["links"] = {"self": envelope["resource_uri"]}
        envelope["data"]["seq"] = i  # content of its own: an exact re-send is rightly no new fact
        layout = draw(st.sampled_from([ch_line, ch_line, spaced_line]))
        lines.append((kind, layout(envelope)))
    body = b"".join(line + b"\n" for _, line in lines)
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=12)))
    chunks = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return stream, lines, [chunk for chunk in chunks if chunk], draw(st.integers(1, 6))


async def read(worker: StreamWorker, chunks: list[bytes]) -> None:
    await worker._read_body(Body(chunks))
    if worker.committing is not None:  # as _read_until_closed: wait for the commit beside reading
        await worker.committing
    await worker.flush()


@dataclass
class Listened:
    worker: StreamWorker
    stored: set[tuple[int, str, str]]  # (timepoint, resource_id, company_number) of each event
    checkpoint: int | None


def listen(stream: str, chunks: list[bytes], batch_size: int = 500) -> Listened:
    """Read the chunks as one connection's body, then run the worker's commits (rolled back after)."""
    config = ListenerConfig(
        base_url="http://ch.invalid",
        key="k",
        streams=(stream,),
        batch_size=batch_size,
        max_line_bytes=MAX_LINE,
    )
    index = WatchIndex()
    index.replace(set(WATCHED), 0)
    db = RecordingDatabase()
    worker = StreamWorker(stream, config, index, db, None)
    asyncio.run(read(worker, chunks))
    with transaction.atomic():
        for func, args in db.commits:
            func(*args)
        stored = {(e.timepoint, e.resource_id, e.company_number) for e in Event.objects.filter(stream=stream)}
        assert len(list(Event.objects.all())) == len(stored)  # and every column reads back
        checkpoint = StreamState.objects.filter(stream=stream).values_list("timepoint", flat=True).first()
        transaction.set_rollback(True)
    return Listened(worker, stored, checkpoint)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(feed=feeds())
def test_among_bad_lines_every_watched_event_is_stored_and_every_bad_line_is_counted_by_reason(feed):
    stream, lines, chunks, batch_size = feed
    listened = listen(stream, chunks, batch_size)
    worker = listened.worker

    bad = Counter(expected_reason(line, stream) for kind, line in lines if kind == "bad")
    skipped = Counter(
        {k.removeprefix("skipped_"): v for k, v in worker.status.counters.items() if k.startswith("skipped_")}
    )
    assert skipped == bad
    good = [orjson.loads(line) for kind, line in lines if kind == "good"]
    unwatched = [line for kind, line in lines if kind == "unwatched"]
    assert (worker.status.received, worker.status.matched) == (len(good) + len(unwatched), len(good))
    assert listened.stored == {
        (e["event"]["timepoint"], e["resource_id"], e["resource_uri"].split("/")[2]) for e in good
    }
    if good:
        assert listened.checkpoint >= good[-1]["event"]["timepoint"]


def test_a_bad_line_with_a_timepoint_past_postgresqls_bigint_is_counted_and_blocks_nothing():
    # A bad line's timepoint still moves the checkpoint; one PostgreSQL cannot hold failed every
    # commit after it, and the listener read the same lines again and again.
    bad = filing("09876543", "BAD") | {"data": ["not", "an", "object"]}
    bad["event"]["timepoint"] = 2**64 - 1
    good = filing("09876543", "GOOD")
    good["event"]["timepoint"] = 8
    listened = listen("filings", [orjson.dumps(bad) + b"\n" + orjson.dumps(good) + b"\n"])
    assert listened.worker.status.counters["skipped_missing_fields"] == 1
    assert (listened.stored, listened.checkpoint) == ({(8, "GOOD", "09876543")}, 8)


@pytest.mark.parametrize("moment", ["2025-03-14T10:22:07+16:00", "9999-12-31T23:59:59-23:59"])
@pytest.mark.parametrize("stream", ["filings", "companies"])
def test_an_event_published_at_a_moment_postgresql_cannot_take_or_give_back_is_stored(stream, moment):
    # The first found by the fuzzing above: PostgreSQL refuses offsets past 15:59, failing every
    # commit from then on. The second it stores as the year 10000 (UTC), and cannot give back.
    envelope = filing("09876543", "T1") if stream == "filings" else profile("09876543")
    envelope["event"] |= {"timepoint": 9, "published_at": moment}
    assert listen(stream, [orjson.dumps(envelope) + b"\n"]).stored == {
        (9, envelope["resource_id"], "09876543")
    }


@pytest.mark.parametrize(
    ("stream", "field"),
    [
        ("companies", "company_status"),
        ("companies", "company_name"),
        ("companies", "resource_id"),
        ("companies", "resource_uri"),
    ],
)
def test_a_nul_character_in_a_watched_companys_event_does_not_block_the_stream(stream, field):
    envelope = profile("09876543")
    envelope["event"]["timepoint"] = 7
    if field == "resource_id":
        envelope["resource_id"] = "X\x00"
    elif field == "resource_uri":
        envelope["resource_uri"] += "/\x00"
    else:
        envelope["data"][field] = "X\x00"
    stored = listen(stream, [orjson.dumps(envelope) + b"\n"]).stored
    assert {(timepoint, number) for timepoint, _, number in stored} == {(7, "09876543")}
