"""PostgreSQL's fast path for storing events: COPY into a staging table, then one INSERT.

Used by store.save_batch on PostgreSQL (the ORM path serves SQLite under `make run`). Both keep
the same rules: a fact is inserted once (fact_key), and replaced only by a newer event with
other content; the same event again, or an older one read again after a crash, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter

import orjson
from django.db import connection

from .events import StreamEvent, content_hash, published_at
from .facts import COLUMNS, UPDATED_FIELDS, Fact, column_types

_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in UPDATED_FIELDS)
_UPSERT = (
    f"ON CONFLICT (fact_key) DO UPDATE SET {_UPDATES}, revision = streams_event.revision + 1 "
    "WHERE EXCLUDED.timepoint > streams_event.timepoint AND EXCLUDED.data_hash <> streams_event.data_hash "
    "RETURNING id, (xmax = 0) AS inserted"
)


def write_rows_copy(rows: list[Fact]) -> tuple[list[int], int]:
    """(new ids, number updated) for rows built in Python (every stream but filings)."""
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS streams_event_stage ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM streams_event WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY streams_event_stage ({columns}) FROM STDIN") as copy:
            # Text rows built here: psycopg's per-value adaptation costs more than the rest of
            # storing an event, and this runs beside the listener's reading (see BENCHMARKS.md).
            copy.write(_copy_lines(rows))
        cursor.execute(
            f"INSERT INTO streams_event ({columns}) SELECT {columns} FROM streams_event_stage {_UPSERT}"
        )
        return _ids(cursor.fetchall())


# Filings, the busiest stream, go in as the raw lines CH sent: PostgreSQL takes the columns out of
# the JSON itself, which costs the listener's Python (and so its reading) almost nothing per event.
# Python adds only what could fail in SQL and fail the whole batch: the normalised company number
# and published_at (CH gives it without a zone; read as UTC). The content hash is PostgreSQL's md5
# of the canonical jsonb text without the etag, so an exact re-send is recognised as such.
_FILINGS_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS streams_filing_stage "
    "(company_number text, published_at timestamptz, line jsonb) ON COMMIT DELETE ROWS"
)
# Each of Event's columns as PostgreSQL takes it out of a filing's raw line (staged above).
_FILING_COLUMNS = {
    "stream": "%(stream)s",
    "timepoint": "(line->'event'->>'timepoint')::bigint",
    "published_at": "published_at",
    "published_at_raw": "left(coalesce(line->'event'->>'published_at', ''), 64)",
    "resource_kind": "left(line->>'resource_kind', 64)",
    "resource_uri": "left(line->>'resource_uri', 400)",
    "resource_id": "left(coalesce(line->>'resource_id', ''), 200)",
    "company_number": "company_number",
    "event_type": "left(coalesce(nullif(line->'event'->>'type', ''), 'changed'), 16)",
    "fields_changed": "nullif(line->'event'->'fields_changed', 'null'::jsonb)",
    "data": "coalesce(line->'data', '{}'::jsonb)",
    # A deletion: the filing as last stored, so its words can say which filing was removed.
    "previous_data": (
        "CASE WHEN line->'event'->>'type' = 'deleted' THEN (SELECT e.data FROM streams_event e "
        "WHERE e.fact_key = left('filing:' || (line->>'resource_uri'), 450)) END"
    ),
    "data_hash": (
        "md5(CASE WHEN line->'event'->>'type' = 'deleted' THEN 'deleted:' ELSE '' END "
        "|| (coalesce(line->'data', '{}'::jsonb) - 'etag')::text)"
    ),
    "fact_key": (
        "left('filing:' || (line->>'resource_uri') "
        "|| CASE WHEN line->'event'->>'type' = 'deleted' THEN ':deleted' ELSE '' END, 450)"
    ),
    "revision": "1",
    "received_at": "%(now)s::timestamptz",
    "updated_at": "%(now)s::timestamptz",
}
assert list(_FILING_COLUMNS) == list(COLUMNS), "a column of Fact has no expression here"
_FILINGS_INSERT = f"""
INSERT INTO streams_event ({", ".join(COLUMNS)})
SELECT DISTINCT ON (fact_key) * FROM (
    SELECT {", ".join(f"{expression} AS {column}" for column, expression in _FILING_COLUMNS.items())}
    FROM streams_filing_stage
) AS fact
ORDER BY fact_key, timepoint DESC
{_UPSERT}
"""


def write_filings_raw(stream: str, events: Sequence[StreamEvent], now: datetime) -> tuple[list[int], int]:
    """(new ids, number updated) for filing events."""
    stamps: dict[str, str] = {}
    out = []
    for event in _one_per_filing(events):
        when = event.envelope["event"].get("published_at")
        stamp = stamps.get(when) if type(when) is str else "\\N"
        if stamp is None:
            moment = published_at(event.envelope)
            stamp = stamps[when] = moment.isoformat() if moment else "\\N"
        out.append(f"{event.company_number}\t{stamp}\t".encode())
        out.append(_line_text(event.line))
    with connection.cursor() as cursor:
        cursor.execute(_FILINGS_STAGE)
        with cursor.cursor.copy(
            "COPY streams_filing_stage (company_number, published_at, line) FROM STDIN"
        ) as copy:
            copy.write(b"".join(out))
        cursor.execute(_FILINGS_INSERT, {"stream": stream, "now": now})
        return _ids(cursor.fetchall())


def _one_per_filing(events: Sequence[StreamEvent]) -> Sequence[StreamEvent]:
    """The same filing twice in a batch: a later event replaces the first only if its content
    differs (as across batches), so a plain re-send keeps the first timepoint."""
    if len({(e.resource_uri, e.is_deletion) for e in events}) == len(events):
        return events
    kept: dict[tuple[str, bool], StreamEvent] = {}
    for event in events:
        fact = (event.resource_uri, event.is_deletion)  # a filing, and its removal: two facts
        first = kept.get(fact)
        if first is None or (
            event.timepoint > first.timepoint and content_hash(event) != content_hash(first)
        ):
            kept[fact] = event
    return list(kept.values())


def _line_text(line: bytes) -> bytes:
    """A raw JSON line as a COPY text value (a tab between tokens is valid JSON)."""
    line = line.replace(b"\\", b"\\\\")
    if b"\t" in line or b"\r" in line:
        line = line.replace(b"\t", b"\\t").replace(b"\r", b"\\r")
    if b"\\\\u0000" in line:  # jsonb refuses NUL: one such event must not block the stream
        line = line.replace(b"\\\\u0000", b"\\\\ufffd")
    return line + b"\n"


def _ids(returned) -> tuple[list[int], int]:
    new_ids = [pk for pk, inserted in returned if inserted]
    return new_ids, len(returned) - len(new_ids)


def _text(value: str) -> str:
    """A value in COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _json_text(value) -> str:
    # orjson escapes control characters inside strings, so only its backslashes need doubling;
    # jsonb refuses NUL, so one such character must not block the stream.
    text = orjson.dumps(value).decode().replace("\\", "\\\\")
    return text.replace("\\\\u0000", "\\\\ufffd") if "\\\\u0000" in text else text


def _copy_lines(rows: list[Fact]) -> str:
    stamps: dict[datetime, str] = {}  # a batch shares one or two: format them once

    def stamp(moment: datetime | None) -> str:
        if moment is None:
            return "\\N"
        text = stamps.get(moment)
        if text is None:
            text = stamps[moment] = moment.isoformat()
        return text

    def json(value) -> str:
        return "\\N" if value is None else _json_text(value)

    formats = {"str": _text, "int": str, "datetime | None": stamp, "datetime": stamp}
    each = [formats.get(kind, json) for kind in column_types()]
    values = attrgetter(*COLUMNS)
    return "".join("\t".join([fmt(v) for fmt, v in zip(each, values(f), strict=True)]) + "\n" for f in rows)
