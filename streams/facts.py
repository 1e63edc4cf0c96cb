"""An event as the store writes it: the one spelling of Event's columns that the store, COPY and
the filings' SQL all follow (a test checks it against the Event model)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from functools import cache


@dataclass(slots=True)
class Fact:
    """An event about to be stored: Event's columns, without a model instance's cost."""

    stream: str
    timepoint: int
    published_at: datetime | None
    published_at_raw: str
    resource_kind: str
    resource_uri: str
    resource_id: str
    company_number: str
    event_type: str
    fields_changed: list | None
    data: dict
    previous_data: dict | None
    data_hash: str
    fact_key: str
    revision: int
    received_at: datetime
    updated_at: datetime


COLUMNS = tuple(f.name for f in dataclasses.fields(Fact))
# What a later event of the same fact replaces (the rest is the fact's identity or its history).
UPDATED_FIELDS = (
    "timepoint",
    "published_at",
    "published_at_raw",
    "event_type",
    "fields_changed",
    "data",
    "data_hash",
    "updated_at",
)


@cache
def column_types() -> tuple[str, ...]:
    """Each column's annotation as written above ("str", "int", "datetime | None", ...)."""
    return tuple(str(f.type) for f in dataclasses.fields(Fact))
