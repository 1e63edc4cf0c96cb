"""Bad input and a misbehaving CH: counted, logged, skipped, survived; nothing valid lost."""

from __future__ import annotations

import time

import orjson
import pytest
import rq

from notifications.models import ClientListEntry
from streams.listener import StreamKeyRejected
from streams.models import Event, StreamGap, StreamState
from tests.streamkit import checkpoint, filing, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def counters(stream: str) -> dict:
    return StreamState.objects.get(stream=stream).counters


def stored_transactions() -> list[str]:
    return sorted(Event.objects.values_list("resource_id", flat=True))


def test_every_class_of_bad_line_is_counted_logged_and_skipped_and_the_good_ones_kept(
    sim, listener, ashford_list, caplog
):
    """A kind the stream does not list is no bad line: CH adds kinds without notice, so it is
    kept (and counted apart)."""
    listener("filings", max_line_bytes=10_000)
    unknown_kind = filing("09876543", "K") | {"resource_kind": "company-profile"}
    bad_number = filing("09876543", "N") | {"resource_uri": "/company/ABC/filing-history/N"}
    wrong_types = filing("09876543", "W") | {"data": ["not", "an", "object"]}
    tps = sim.add(
        "filings",
        filing("09876543", "GOOD-1"),
        b'{"resource_kind": "filing-history", "resource_uri": "/comp',  # broken JSON
        b'{"resource_kind": "filing-history", "x": "\xff\xfe"}',  # invalid UTF-8
        b"[1, 2, 3]",  # JSON, but not an object
        b'{"resource_kind": "filing-history", "event": {"timepoint": "seven"}}',  # no integer timepoint
        unknown_kind,
        bad_number,
        wrong_types,
        b'{"pad": "' + b"x" * 20_000 + b'"}',  # oversized
        filing("SC123456", "GOOD-2"),
    )
    wait_until(lambda: checkpoint("filings") == tps[-1])
    assert stored_transactions() == ["GOOD-1", "GOOD-2", "K"]
    wait_until(lambda: counters("filings").get("skipped_oversized_line") == 1)
    skipped = {k: v for k, v in counters("filings").items() if k.startswith("skipped_")}
    assert skipped == {
        "skipped_malformed_json": 1,
        "skipped_invalid_utf8": 1,
        "skipped_not_an_object": 1,
        "skipped_missing_fields": 2,  # the string timepoint, and data of the wrong type
        "skipped_invalid_company_number": 1,
        "skipped_oversized_line": 1,
    }
    warnings = [r.getMessage() for r in caplog.records if "skipped a line" in r.getMessage()]
    assert counters("filings").get("unknown_kind") == 1
    assert len(warnings) == 7
    assert any("invalid_company_number" in w and "/company/ABC" in w for w in warnings)
    assert all("after timepoint" in w for w in warnings)


def test_a_wrong_stream_key_stops_the_listener(sim, listener, ashford_list):
    running = listener("filings", key="a-rest-api-key", wait=False)
    wait_until(lambda: not running.thread.is_alive(), timeout=10)
    assert isinstance(running.error, StreamKeyRejected)
    assert "401" in str(running.error)


def test_a_timepoint_ch_no_longer_has_resumes_from_the_newest_and_records_the_gap(
    sim, listener, ashford_list
):
    StreamState.objects.create(stream="filings", timepoint=5)  # far older than the simulator keeps
    listener("filings", wait=False)
    wait_until(lambda: any(c["status"] == 416 for c in sim.connections("filings")))
    sim.wait_connected("filings")
    (tp,) = sim.add("filings", filing("09876543", "AFTER-GAP"))
    wait_until(lambda: checkpoint("filings") == tp)
    gap = StreamGap.objects.get()
    assert (gap.stream, gap.from_timepoint, gap.to_timepoint) == ("filings", 5, tp)
    assert stored_transactions() == ["AFTER-GAP"]


def test_a_429_waits_for_retry_after_before_reconnecting(sim, listener, ashford_list):
    sim.fault(stream="filings", status=429, retry_after=1)
    listener("filings", wait=False)
    sim.wait_connected("filings")
    refused, accepted = [c for c in sim.connections("filings") if c["status"] in (429, 200)][:2]
    assert refused["status"] == 429 and accepted["status"] == 200
    assert accepted["at"] - refused["at"] >= 0.9


def test_a_connection_dropped_mid_line_is_resumed_and_loses_nothing(sim, listener, ashford_list):
    listener("filings")
    (first,) = sim.add("filings", filing("09876543", "A"))
    wait_until(lambda: checkpoint("filings") == first)
    sim.fault(stream="filings", drop_mid_line=1)
    tps = sim.add("filings", filing("SC123456", "B"), filing("09876543", "C"))
    wait_until(lambda: checkpoint("filings") == tps[-1])
    assert stored_transactions() == ["A", "B", "C"]
    assert len([c for c in sim.connections("filings") if c["status"] == 200]) == 2


def test_a_stall_without_heartbeats_is_taken_for_a_dead_connection(sim, listener, ashford_list):
    sim.fault(stream="filings", stall_seconds=30)
    started = time.monotonic()
    listener("filings", stall_timeout=0.5, wait=False)
    sim.wait_connected("filings", 2)  # gave up on the silent one and connected again
    assert time.monotonic() - started < 10
    (tp,) = sim.add("filings", filing("09876543", "AFTER-STALL"))
    wait_until(lambda: checkpoint("filings") == tp)
    assert stored_transactions() == ["AFTER-STALL"]


def test_a_company_added_to_or_removed_from_a_list_is_matched_or_not_within_two_seconds(
    sim, listener, ashford_list
):
    listener("filings")
    ClientListEntry.objects.create(client_list=ashford_list, company_id=_company("12345678"))
    time.sleep(2)
    (added,) = sim.add("filings", filing("12345678", "NEWLY-WATCHED"))
    wait_until(lambda: checkpoint("filings") == added)
    ClientListEntry.objects.filter(company_id="09876543").delete()
    time.sleep(2)
    (removed,) = sim.add("filings", filing("09876543", "NO-LONGER-WATCHED"))
    wait_until(lambda: checkpoint("filings") == removed)
    assert stored_transactions() == ["NEWLY-WATCHED"]


def _company(number: str) -> str:
    from notifications.practices.client_lists import ensure_companies

    ensure_companies({number: ""})
    return number


def test_stored_events_are_queued_for_fan_out_after_commit_by_id(sim, listener, ashford_list, redis_client):
    listener("filings")
    tps = sim.add("filings", filing("09876543", "Q1"), filing("SC123456", "Q2"))
    wait_until(lambda: checkpoint("filings") == tps[-1])
    queue = rq.Queue("default", connection=redis_client)
    jobs = wait_until(lambda: queue.get_jobs())
    ids = sorted(i for job in jobs for i in job.args[0])
    assert ids == sorted(Event.objects.values_list("id", flat=True))
    assert all(job.func_name == "notifications.jobs.fan_out" for job in jobs)
    assert jobs[0].retries_left == 5


def test_a_failed_commit_loses_nothing_the_batch_is_read_again_from_the_checkpoint(
    sim, listener, ashford_list, monkeypatch
):
    from django.db import OperationalError

    from streams import listener as listener_module

    real_save = listener_module.save_batch
    failures = []

    def flaky_save(stream, events, checkpoint, gap=None):
        if any(e.envelope["resource_id"] == "B" for e in events) and not failures:
            failures.append(checkpoint)
            raise OperationalError("server closed the connection unexpectedly")  # as in a restart
        return real_save(stream, events, checkpoint, gap)

    monkeypatch.setattr(listener_module, "save_batch", flaky_save)
    listener("filings")
    (first,) = sim.add("filings", filing("09876543", "A"))
    wait_until(lambda: checkpoint("filings") == first)
    tps = sim.add("filings", filing("SC123456", "B"), filing("09876543", "C"))
    wait_until(lambda: checkpoint("filings") == tps[-1])
    assert failures, "the failure was never injected"
    assert stored_transactions() == ["A", "B", "C"]
    assert sim.connections("filings")[-1]["timepoint"] == str(first)  # resumed from the checkpoint


def test_after_a_gap_the_checkpoint_follows_a_sequence_that_restarted_lower(sim, listener, ashford_list):
    # A checkpoint beyond anything the simulator has: CH answers 416, as after a reset.
    StreamState.objects.create(stream="filings", timepoint=10**12)
    listener("filings", wait=False)
    sim.wait_connected("filings")
    (tp,) = sim.add("filings", filing("09876543", "AFTER-RESET"))
    wait_until(lambda: checkpoint("filings") == tp)
    assert StreamGap.objects.get().from_timepoint == 10**12
    assert stored_transactions() == ["AFTER-RESET"]


def test_lines_about_unwatched_companies_are_counted_and_passed_and_a_cut_one_still_counts_as_malformed(
    sim, listener, ashford_list
):
    listener("filings")
    unwatched = [filing(f"{n:08d}", f"U{n}") for n in range(20_000_001, 20_000_041)]
    cut_short = orjson.dumps(filing("20000099", "CUT"))[:-30]
    spaced = orjson.dumps(filing("09876543", "SPACED")).replace(b'":"', b'": "')  # not CH's layout
    tps = sim.add("filings", *unwatched, cut_short, spaced, *unwatched[:3])
    wait_until(lambda: checkpoint("filings") == tps[-1])
    assert stored_transactions() == ["SPACED"]
    wait_until(lambda: StreamState.objects.get(stream="filings").counters.get("received") == 44)
    assert counters("filings")["skipped_malformed_json"] == 1
