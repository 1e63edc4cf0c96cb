"""Building blocks for fan-out and delivery tests: stored events as the listener leaves them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import rq
from django.conf import settings

from streams.models import Event

_timepoints = itertools.count(500_000_000)


def stored_filing(
    number: str, *, category: str = "accounts", description: str | None = None, **data
) -> Event:
    timepoint = next(_timepoints)
    tid = f"TX{timepoint}"
    uri = f"/company/{number}/filing-history/{tid}"
    return Event.objects.create(
        stream="filings",
        timepoint=timepoint,
        published_at=datetime(2025, 3, 14, 10, 22, 7, tzinfo=UTC),
        resource_kind="filing-history",
        resource_uri=uri,
        resource_id=tid,
        company_number=number,
        event_type="changed",
        data={
            "transaction_id": tid,
            "category": category,
            "type": "AA",
            "description": description or "accounts-with-accounts-type-micro-entity",
            "description_values": {"made_up_date": "2024-06-30"},
            **data,
        },
        data_hash=tid,
        fact_key=f"filing:{uri}",
    )


def stored_officer_change(number: str, name: str = "SMITH, Jane") -> Event:
    timepoint = next(_timepoints)
    uri = f"/company/{number}/appointments/AP{timepoint}"
    return Event.objects.create(
        stream="officers",
        timepoint=timepoint,
        published_at=datetime(2025, 3, 14, 11, 0, 0, tzinfo=UTC),
        resource_kind="company-officers",
        resource_uri=uri,
        resource_id=f"AP{timepoint}",
        company_number=number,
        event_type="changed",
        data={"name": name, "officer_role": "director", "appointed_on": "2025-03-10"},
        data_hash=str(timepoint),
        fact_key=f"officers:{timepoint}",
    )


def run_jobs(queue_name: str = "default") -> int:
    """Run every queued job in this process (RQ's SimpleWorker, burst); how many ran."""
    import django_rq

    queue = django_rq.get_queue(queue_name)
    count = queue.count
    worker = rq.SimpleWorker([queue], connection=queue.connection)
    worker.work(burst=True)
    return count - queue.count


def process_env(**extra: str) -> dict[str, str]:
    """Environment for a real process of ours (a worker, the web server, the listener) against the
    test database and the suite's Redis database."""
    import os

    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        **extra,
    }
