"""save_batch on its own, through both writers: COPY (PostgreSQL) and the ORM (SQLite, make run)."""

from __future__ import annotations

import orjson
import pytest

from streams.events import parse_line
from streams.models import Company, Event, StreamState
from streams.store import save_batch
from tests.streamkit import filing, profile

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("bulk_copy", [True, False], ids=["copy", "orm"])]


def events(stream: str, *envelopes: dict, start: int = 1000):
    parsed = []
    for offset, envelope in enumerate(envelopes):
        envelope["event"]["timepoint"] = start + offset
        parsed.append(parse_line(orjson.dumps(envelope), stream))
    return parsed


def test_new_facts_are_stored_with_the_checkpoint_and_their_ids_returned(
    bulk_copy, django_capture_on_commit_callbacks
):
    batch = events("filings", filing("09876543", "A"), filing("SC123456", "B"))
    with django_capture_on_commit_callbacks() as callbacks:
        result = save_batch("filings", batch, 1001, bulk_copy=bulk_copy)
    assert sorted(result.new_ids) == sorted(Event.objects.values_list("id", flat=True))
    assert len(result.new_ids) == 2 and result.duplicates == 0
    assert StreamState.objects.get(stream="filings").timepoint == 1001
    assert len(callbacks) == 1  # the fan-out is queued after commit, once per batch
    row = Event.objects.get(resource_id="A")
    assert (row.company_number, row.revision, row.data["links"]["self"]) == (
        "09876543",
        1,
        "/company/09876543/filing-history/A",
    )


def test_the_same_batch_again_stores_nothing_and_the_checkpoint_never_goes_back(bulk_copy):
    batch = events("filings", filing("09876543", "A"), filing("SC123456", "B"))
    save_batch("filings", batch, 1001, bulk_copy=bulk_copy)
    again = save_batch("filings", batch, 900, bulk_copy=bulk_copy)
    assert (again.new_ids, again.updated, again.duplicates) == ([], 0, 2)
    assert Event.objects.count() == 2
    assert StreamState.objects.get(stream="filings").timepoint == 1001


def test_a_later_event_for_a_stored_filing_updates_it_and_an_older_one_does_not(bulk_copy):
    save_batch("filings", events("filings", filing("09876543", "A"), start=1000), 1000, bulk_copy=bulk_copy)
    later = save_batch(
        "filings",
        events("filings", filing("09876543", "A", document=True), start=1005),
        1005,
        bulk_copy=bulk_copy,
    )
    older = save_batch(
        "filings", events("filings", filing("09876543", "A", pages=9), start=1001), 1001, bulk_copy=bulk_copy
    )
    row = Event.objects.get()
    assert (later.updated, later.new_ids, older.updated, older.duplicates) == (1, [], 0, 1)
    assert (row.timepoint, row.revision, "pages" in row.data) == (1005, 2, False)
    assert "document_metadata" in row.data["links"]


def test_profiles_keep_the_one_before_and_exact_resends_are_dropped(bulk_copy):
    Company.objects.create(
        company_number="09876543", name="Old Name Ltd", profile={"company_name": "Old Name Ltd"}
    )
    batch = events(
        "companies",
        profile("09876543", name="New Name Ltd"),
        profile("09876543", name="New Name Ltd", etag="f" * 40),  # only the etag: no fact
        profile("09876543", name="Newer Name Ltd"),
    )
    result = save_batch("companies", batch, 1002, bulk_copy=bulk_copy)
    assert (len(result.new_ids), result.duplicates) == (2, 1)
    first, second = Event.objects.order_by("timepoint")
    assert first.previous_data == {"company_name": "Old Name Ltd"}
    assert second.previous_data["company_name"] == "New Name Ltd"
    company = Company.objects.get()
    assert (company.name, company.profile_timepoint) == ("Newer Name Ltd", 1002)
    resent = save_batch(
        "companies",
        events("companies", profile("09876543", name="Newer Name Ltd"), start=1010),
        1010,
        bulk_copy=bulk_copy,
    )
    assert (resent.new_ids, resent.duplicates) == ([], 1)


def test_text_that_copy_treats_specially_is_stored_exactly(bulk_copy):
    tricky = 'Tab\there, newline\nthere, back\\slash, quote " and \\N'
    (event,) = events("filings", filing("09876543", "T", description_values={"text": tricky}))
    save_batch("filings", [event], 1000, bulk_copy=bulk_copy)
    assert Event.objects.get().data["description_values"]["text"] == tricky


def test_a_resend_of_an_earlier_version_is_no_new_fact_but_a_real_change_back_is(bulk_copy):
    # CH may re-send any earlier event of a resource; only its latest data used to be recognised.
    first = profile("09876543", name="First Name Ltd", etag="1" * 40)
    second = profile("09876543", name="Second Name Ltd", etag="2" * 40)
    save_batch("companies", events("companies", first, second), 1001, bulk_copy=bulk_copy)
    resent = profile("09876543", name="First Name Ltd", etag="1" * 40)
    result = save_batch("companies", events("companies", resent, start=1010), 1010, bulk_copy=bulk_copy)
    assert (result.new_ids, result.duplicates) == ([], 1)
    company = Company.objects.get()
    assert (company.name, company.profile_timepoint) == ("Second Name Ltd", 1001)  # not wound back

    changed_back = profile("09876543", name="First Name Ltd", etag="3" * 40)  # a new version
    result = save_batch("companies", events("companies", changed_back, start=1020), 1020, bulk_copy=bulk_copy)
    assert len(result.new_ids) == 1
    assert Event.objects.get(id=result.new_ids[0]).previous_data["company_name"] == "Second Name Ltd"
    assert Company.objects.get().name == "First Name Ltd"


def test_a_resend_of_an_earlier_version_in_the_same_batch_is_no_new_fact(bulk_copy):
    first = profile("09876543", name="First Name Ltd", etag="1" * 40)
    second = profile("09876543", name="Second Name Ltd", etag="2" * 40)
    resent = profile("09876543", name="First Name Ltd", etag="1" * 40)
    result = save_batch("companies", events("companies", first, second, resent), 1002, bulk_copy=bulk_copy)
    assert (len(result.new_ids), result.duplicates) == (2, 1)
    assert Company.objects.get().name == "Second Name Ltd"
