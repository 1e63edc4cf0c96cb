"""Every real event captured from Companies House's streams (../shared/real-data/stream/, with
their sources in its SOURCES.md), through the listener's own read loop and store, then fan-out:
each is stored as a fact (or is a re-send of one already stored), none is skipped, and what the
feed says about each is in a golden file (tests/data/real_events_golden.tsv).

Regenerate the golden file after a deliberate change of words with
`UPDATE_GOLDEN=1 make test` (then read the diff before committing it).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

import orjson
import pytest

from notifications.fan_out import fan_out_events
from notifications.models import ClientList, ClientListEntry, Notification, Organisation
from streams.events import STREAM_KINDS, company_number_of, kind_allowed
from streams.listener import ListenerConfig, StreamWorker
from streams.models import Company, Event
from streams.watch_index import WatchIndex
from tests.streamkit import Body
from tests.test_fuzz_listener import RecordingDatabase

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real-data" / "stream"
GOLDEN = Path(__file__).resolve().parent / "data" / "real_events_golden.tsv"
# The one real disqualification names a company, not a number: a client of that name is on the
# practice's list (a made-up number), so fan-out has a client to find.
DISQUALIFIED_CLIENT = ("00000099", "ASH ELECTRIC LIMITED")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REAL.is_dir(), reason="needs ../shared/real-data beside the repository"),
]


def stream_of(envelope: dict, file_stream: str) -> str:
    """The stream a line came from: its file's, or for the consumer-annotated file its kind's."""
    if file_stream in STREAM_KINDS:
        return file_stream
    return next(s for s in STREAM_KINDS if kind_allowed(s, envelope["resource_kind"]))


def real_lines() -> dict[str, list[bytes]]:
    """Per stream, every real line in the order the files give (timepoints may go down across
    sources: each source is its own capture)."""
    by_stream: dict[str, list[bytes]] = {}
    for path in sorted(REAL.glob("*.ndjson")):
        for line in path.read_bytes().splitlines():
            if line.strip():
                by_stream.setdefault(stream_of(orjson.loads(line), path.stem), []).append(line)
    return by_stream


def watch_every_company(lines: dict[str, list[bytes]]) -> set[str]:
    practice = Organisation.objects.create(name="Real Data & Co")
    client_list = ClientList.objects.create(organisation=practice, name="Everyone CH told us about")
    numbers = {DISQUALIFIED_CLIENT[0]}
    for stream_lines in lines.values():
        for line in stream_lines:
            number = company_number_of(orjson.loads(line)["resource_uri"])
            if number:
                numbers.add(number)
    Company.objects.bulk_create([Company(company_number=n) for n in sorted(numbers)])
    Company.objects.filter(pk=DISQUALIFIED_CLIENT[0]).update(name=DISQUALIFIED_CLIENT[1])
    ClientListEntry.objects.bulk_create(
        [ClientListEntry(client_list=client_list, company_id=n, client_reference=f"R{n}") for n in numbers]
    )
    return numbers


def listen(stream: str, lines: list[bytes], watched: set[str]) -> StreamWorker:
    config = ListenerConfig(base_url="http://ch.invalid", key="k", streams=(stream,))
    index = WatchIndex()
    index.replace(watched, 0)
    db = RecordingDatabase()
    worker = StreamWorker(stream, config, index, db, None)

    async def read() -> None:
        # One line a chunk, each batch committed as the listener commits it.
        for line in lines:
            await worker._read_body(Body([line + b"\n"]))
            if worker.committing is not None:
                await worker.committing
            await worker.flush()

    asyncio.run(read())
    for func, args in db.commits:
        func(*args)
    return worker


def feed_says(event: Event) -> str:
    told = Notification.objects.filter(event=event).first()
    if told is None:
        return "(no notification)"
    return f"{told.category}\t{told.severity}\t{told.title}"


def table() -> tuple[list[str], Counter]:
    lines = real_lines()
    watched = watch_every_company(lines)
    skipped: Counter = Counter()
    for stream in sorted(lines):
        worker = listen(stream, lines[stream], watched)
        skipped.update({k: v for k, v in worker.status.counters.items() if k.startswith("skipped_")})
    fan_out_events(list(Event.objects.order_by("id").values_list("id", flat=True)))
    rows = [
        "\t".join(
            (e.stream, str(e.timepoint), e.resource_kind, e.event_type, e.company_number or "-", feed_says(e))
        )
        for e in Event.objects.order_by("stream", "timepoint", "id")
    ]
    return rows, skipped


def test_every_real_event_is_stored_or_a_resend_and_the_feed_says_what_the_golden_file_says():
    rows, skipped = table()

    assert skipped == Counter(), "a real line was skipped: CH sent something the listener did not take"
    for stream, stream_lines in real_lines().items():
        for line in stream_lines:
            envelope = orjson.loads(line)
            kind = envelope["event"].get("type") or "changed"
            fact = Event.objects.filter(stream=stream, resource_uri=envelope["resource_uri"], event_type=kind)
            assert fact.exists(), f"{stream} {envelope['event']['timepoint']}: no fact"
    text = "\n".join(rows) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_the_real_deletion_without_data_is_stored_and_says_the_company_record_was_removed():
    table()

    deletion = Event.objects.get(resource_uri="/company/SL037194", event_type="deleted")
    assert deletion.data == {}
    told = Notification.objects.get(event=deletion)
    assert told.title == "Company record removed from the register"
    assert told.severity == "urgent"


def test_the_real_disqualification_reaches_the_practice_of_the_client_it_names():
    table()

    told = Notification.objects.get(stream="disqualified-officers")
    assert told.company_id == DISQUALIFIED_CLIENT[0]
    assert told.title.startswith("A director of ASH ELECTRIC LIMITED (00000099) has been disqualified")
    assert told.severity == "urgent"
