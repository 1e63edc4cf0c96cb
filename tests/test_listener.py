"""The listener against the simulator and the real PostgreSQL: what is stored, once."""

from __future__ import annotations

import pytest

from streams.models import Company, Event, StreamState
from tests.streamkit import checkpoint, filing, profile, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_stores_matched_events_and_advances_the_checkpoint_past_unmatched_ones(
    sim, listener, ashford_list
):
    listener("filings")
    watched = sim.add("filings", filing("09876543", "T1"), filing("SC123456", "T2"))
    unwatched = sim.add("filings", filing("12345678", "T3"), filing("00000001", "T4"))
    wait_until(lambda: checkpoint("filings") == unwatched[-1])
    assert sorted(Event.objects.values_list("timepoint", flat=True)) == watched
    stored = Event.objects.get(timepoint=watched[0])
    assert (stored.company_number, stored.resource_kind, stored.event_type) == (
        "09876543",
        "filing-history",
        "changed",
    )
    assert stored.data["transaction_id"] == "T1"
    assert stored.published_at.isoformat() == "2025-03-14T10:22:07+00:00"


def test_it_resumes_from_the_checkpoint_after_a_restart(sim, listener, ashford_list):
    first = listener("filings")
    before = sim.add("filings", filing("09876543", "T1"))
    wait_until(lambda: checkpoint("filings") == before[0])
    first.stop()
    during = sim.add("filings", filing("09876543", "T2"), filing("SC123456", "T3"))  # while it was down
    listener("filings")
    wait_until(lambda: Event.objects.count() == 3)
    resumed = sim.connections("filings")[-1]
    assert resumed["timepoint"] == str(before[0])
    assert sorted(Event.objects.values_list("timepoint", flat=True)) == before + during


def test_events_read_again_from_an_older_checkpoint_are_not_stored_twice(sim, listener, ashford_list):
    run = listener("filings", "companies")
    tps = sim.add("filings", filing("09876543", "T1"), filing("SC123456", "T2"))
    ptp = sim.add("companies", profile("09876543"), profile("09876543", company_name="Green Leaf Ltd"))
    wait_until(lambda: checkpoint("filings") == tps[-1] and checkpoint("companies") == ptp[-1])
    run.stop()
    # As after a crash between storing events and a later checkpoint: everything comes again.
    StreamState.objects.filter(stream="filings").update(timepoint=tps[0])
    StreamState.objects.filter(stream="companies").update(timepoint=ptp[0])
    listener("filings", "companies")
    wait_until(lambda: sim.connections("companies")[-1]["timepoint"] == str(ptp[0]))
    wait_until(lambda: StreamState.objects.get(stream="companies").counters.get("duplicates") == 2)
    assert Event.objects.filter(stream="filings").count() == 2
    assert Event.objects.filter(stream="companies").count() == 2
    assert Company.objects.get(pk="09876543").name == "Green Leaf Ltd"


def test_a_filing_is_one_fact_and_a_later_event_for_it_updates_the_record(sim, listener, ashford_list):
    listener("filings")
    (first,) = sim.add("filings", filing("09876543", "T1"))
    wait_until(lambda: checkpoint("filings") == first)
    second, resent = sim.add(
        "filings",
        filing("09876543", "T1", document=True),  # the document became available
        filing("09876543", "T1", document=True),  # CH sending the same again
    )
    wait_until(lambda: checkpoint("filings") == resent)
    row = Event.objects.get()
    assert row.fact_key == "filing:/company/09876543/filing-history/T1"
    assert row.timepoint == second
    assert row.revision == 2
    assert "document_metadata" in row.data["links"]


def test_within_one_batch_a_filing_sent_twice_is_still_one_fact(sim, listener, ashford_list):
    listener("filings")
    tps = sim.add("filings", filing("SC123456", "T9"), filing("SC123456", "T9", document=True))
    wait_until(lambda: checkpoint("filings") == tps[-1])
    row = Event.objects.get()
    assert (row.timepoint, row.revision) == (tps[-1], 1)
    assert "document_metadata" in row.data["links"]


def test_a_profile_event_keeps_the_profile_before_it_and_an_exact_resend_is_no_fact(
    sim, listener, ashford_list
):
    listener("companies")
    moved = {"address_line_1": "Suite 4, 20 Bank Road", "locality": "London", "postal_code": "EC2A 1AA"}
    tps = sim.add(
        "companies",
        profile("09876543"),  # the first we hear: the baseline
        profile("09876543", registered_office_address=moved, etag="1" * 40),
        profile("09876543", registered_office_address=moved, etag="2" * 40),  # only the etag differs
    )
    wait_until(lambda: checkpoint("companies") == tps[-1])
    first, second = Event.objects.order_by("timepoint")
    assert first.previous_data is None
    assert second.previous_data["registered_office_address"]["postal_code"] == "LS1 4AB"
    assert second.data["registered_office_address"]["postal_code"] == "EC2A 1AA"
    assert Event.objects.count() == 2
    company = Company.objects.get(pk="09876543")
    assert (company.profile_timepoint, company.profile["registered_office_address"]) == (tps[1], moved)


def test_the_stream_status_shows_connection_counters_and_lag(sim, listener, ashford_list):
    listener("filings")
    tps = sim.add("filings", filing("09876543", "T1"), filing("12345678", "T2"))
    state = wait_until(
        lambda: StreamState.objects.filter(stream="filings", connected=True, counters__received=2).first()
    )
    wait_until(lambda: StreamState.objects.get(stream="filings").counters.get("stored") == 1)
    state.refresh_from_db()
    assert state.counters["matched"] == 1
    assert state.timepoint == tps[-1]
    assert state.heartbeat_at is not None and state.last_event_at is not None
    assert state.lag_seconds() > 0  # published_at is in 2025


def test_the_operator_sees_each_stream_and_its_gaps_in_the_admin(
    client, operator, alice, sim, listener, ashford_list
):
    from django.urls import reverse

    from streams.models import StreamGap

    listener("filings")
    tps = sim.add("filings", filing("09876543", "T1"))
    wait_until(lambda: StreamState.objects.get(stream="filings").counters.get("stored") == 1)
    StreamGap.objects.create(stream="filings", from_timepoint=100, to_timepoint=tps[0])
    client.force_login(operator)
    page = client.get(reverse("admin:streams_streamstate_changelist")).content.decode()
    assert "filings" in page and "matched: 1" in page and "stored: 1" in page
    assert str(tps[0]) in client.get(reverse("admin:streams_streamgap_changelist")).content.decode()
    client.force_login(alice)
    assert client.get(reverse("admin:streams_streamstate_changelist")).status_code == 403


def test_two_listeners_started_by_mistake_store_each_fact_once(sim, listener, ashford_list):
    listener("filings", "companies")
    listener("filings", "companies")  # the second one: the key allows two connections per stream
    filings = sim.add("filings", *[filing("09876543", f"T{i}") for i in range(20)])
    profiles = sim.add("companies", *[profile("SC123456", name=f"McLeod {i} Ltd") for i in range(10)])
    wait_until(lambda: checkpoint("filings") == filings[-1] and checkpoint("companies") == profiles[-1])
    wait_until(lambda: Event.objects.count() == 30)
    assert Event.objects.filter(stream="filings").values("fact_key").distinct().count() == 20
    assert sorted(Event.objects.filter(stream="companies").values_list("timepoint", flat=True)) == profiles
