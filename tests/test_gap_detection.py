"""Gaps noticed three ways (streams.gaps): a 416, a resume that starts far past the checkpoint (CH's
empty replay), and a connected stream that stays silent past its expected rate. Each is a
StreamGap with its times, and the product is told so that the companies get checked."""

from __future__ import annotations

from datetime import UTC, datetime

import django_rq
import pytest

from streams.gaps import silence_limit
from streams.models import StreamGap, StreamState
from tests.streamkit import checkpoint, filing, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def check_jobs_queued() -> int:
    return sum(
        1 for job in django_rq.get_queue("default").jobs if job.func_name == "notifications.jobs.check_gaps"
    )


def test_a_416_gap_records_when_the_record_stopped_being_complete_and_queues_the_check(
    sim, listener, ashford_list, redis_client
):
    complete_until = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
    StreamState.objects.create(stream="filings", timepoint=5, checkpoint_at=complete_until)
    listener("filings", wait=False)
    wait_until(lambda: any(c["status"] == 416 for c in sim.connections("filings")))
    sim.wait_connected("filings")
    (tp,) = sim.add("filings", filing("09876543", "AFTER-GAP"))
    wait_until(lambda: checkpoint("filings") == tp)

    gap = StreamGap.objects.get()
    assert (gap.kind, gap.from_timepoint, gap.to_timepoint) == ("out_of_range", 5, tp)
    assert gap.from_time == complete_until and gap.to_time is not None
    assert gap.heal_state == "waiting"
    assert check_jobs_queued() == 1


def test_a_resume_answered_from_the_live_head_is_a_gap_though_ch_said_nothing_wrong(
    sim, listener, ashford_list, redis_client
):
    old = sim.add("filings", *[filing("01234567", f"OLD-{i}") for i in range(30)])
    StreamState.objects.create(stream="filings", timepoint=old[2])
    sim.fault(stream="filings", status="empty_replay")
    listener("filings", gap_timepoints=10)
    (tp,) = sim.add("filings", filing("09876543", "LIVE"))
    wait_until(lambda: checkpoint("filings") == tp)

    gap = StreamGap.objects.get()
    assert (gap.kind, gap.from_timepoint, gap.to_timepoint) == ("skipped_ahead", old[2], tp)
    assert gap.missed_timepoints == tp - old[2] - 1
    assert check_jobs_queued() == 1


def test_an_ordinary_resume_records_no_gap(sim, listener, ashford_list):
    old = sim.add("filings", *[filing("01234567", f"OLD-{i}") for i in range(30)])
    StreamState.objects.create(stream="filings", timepoint=old[2])
    listener("filings", gap_timepoints=10)
    wait_until(lambda: checkpoint("filings") == old[-1])

    assert not StreamGap.objects.exists()


def test_a_connected_stream_silent_past_its_rate_opens_a_gap_that_closes_when_events_come(
    sim, listener, ashford_list, redis_client
):
    (first,) = sim.add("filings", filing("01234567", "BEFORE"))
    sim.http.post("/_sim/silence", json={"stream": "filings", "on": True}).raise_for_status()
    listener("filings", silence={"filings": (0.02, 0.02)}, silence_check_interval=0.1)  # 1.2 s

    wait_until(lambda: StreamGap.objects.filter(kind="silent").exists(), timeout=15)
    gap = StreamGap.objects.get()
    assert gap.to_time is None and gap.is_open and gap.heal_state == "waiting"
    assert check_jobs_queued() == 1
    assert StreamState.objects.get(stream="filings").connected  # connected, heart-beating, silent

    sim.http.post("/_sim/silence", json={"stream": "filings", "on": False}).raise_for_status()
    (tp,) = sim.add("filings", filing("09876543", "AFTER"))
    wait_until(lambda: StreamGap.objects.get().to_time is not None, timeout=15)
    gap.refresh_from_db()
    assert gap.to_timepoint == tp and gap.from_timepoint in (None, first)
    assert StreamGap.objects.count() == 1


def test_a_stream_without_a_silence_limit_is_never_taken_for_silent():
    assert (
        silence_limit("company-exemptions", datetime(2026, 12, 1, 10, tzinfo=UTC), {"filings": (20, 240)})
        is None
    )


def test_silence_is_judged_by_uk_working_hours():
    limits = {"filings": (20, 240)}
    tuesday_ten_am = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # GMT in December
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    summer_seven_thirty_utc = datetime(2026, 7, 7, 7, 30, tzinfo=UTC)  # 08:30 BST: working hours
    night = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)  # the nightly drop

    assert silence_limit("filings", tuesday_ten_am, limits) == 20 * 60
    assert silence_limit("filings", saturday, limits) == 240 * 60
    assert silence_limit("filings", summer_seven_thirty_utc, limits) == 20 * 60
    assert silence_limit("filings", night, limits) == 240 * 60
