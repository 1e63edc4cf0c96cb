"""Gaps healed, not only recorded: after a gap the watched companies are checked through CH's REST
API (the simulator), and what we lacked becomes facts and notifications exactly like streamed
ones, never twice, newest outage and urgent streams first, within the rate limit."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from streams.events import parse_line
from streams.gaps import UK
from streams.heal import heal_next
from streams.models import Company, Event, Officer, StreamGap
from streams.store import save_batch
from tests.notifykit import run_jobs
from tests.streamkit import filing, profile

pytestmark = pytest.mark.django_db

API_KEY = "simulator-api-key"


@pytest.fixture
def api(sim, settings, redis_client):
    settings.CH_API_URL = sim.url
    settings.CH_API_KEY = API_KEY
    settings.CH_API_RATE_LIMIT = 600
    settings.CH_API_RATE_WINDOW = 300
    return sim


def seed(sim, *companies: dict) -> None:
    sim.http.post("/_sim/companies", json={"companies": list(companies)}, timeout=60).raise_for_status()


def answered(sim) -> dict[str, int]:
    return sim.http.get("/_sim/api").json()["statuses"]


def today() -> str:
    return timezone.now().astimezone(UK).date().isoformat()


def gap(stream: str, *, hours: float = 1.0, **fields) -> StreamGap:
    now = timezone.now()
    defaults = {
        "kind": StreamGap.OUT_OF_RANGE,
        "from_timepoint": 1000,
        "to_timepoint": 5000,
        "from_time": now - timedelta(hours=hours),
        "to_time": now,
        "detected_at": now,
    }
    return StreamGap.objects.create(stream=stream, **{**defaults, **fields})


def streamed(stream: str, envelope: dict, timepoint: int) -> None:
    """The listener storing one event as CH sent it."""
    import orjson

    envelope = {**envelope, "event": {**envelope["event"], "timepoint": timepoint}}
    save_batch(stream, [parse_line(orjson.dumps(envelope), stream)], timepoint)


def test_a_filing_made_inside_a_gap_is_found_and_told_once_even_when_the_stream_sends_it_later(
    api, ashford_list, django_capture_on_commit_callbacks
):
    missed = filing("09876543", "TX-IN-GAP", date=today())["data"]
    old = filing("09876543", "TX-OLD", date="2020-01-01")["data"]
    seed(api, {"profile": profile("09876543")["data"], "filings": [missed, old]})
    hole = gap("filings")

    with django_capture_on_commit_callbacks(execute=True):
        outcome = heal_next()
    assert run_jobs() >= 1  # the fan-out

    found = Event.objects.get(gap=hole)
    assert (found.fact_key, found.stream) == ("filing:/company/09876543/filing-history/TX-IN-GAP", "filings")
    told = Notification.objects.get(event=found)
    assert (told.organisation, told.company_id) == (ashford_list.organisation, "09876543")
    assert "Accounts" in told.title or "accounts" in told.title.lower()
    hole.refresh_from_db()
    assert (hole.heal_state, hole.companies_total, hole.companies_checked) == ("healed", 2, 2)
    assert (hole.facts_found, hole.requests, hole.passes) == (1, 2, 1)
    assert outcome.found == 1 and outcome.checked == 2

    # The stream comes back and sends the same filing: no second fact, no second notification.
    with django_capture_on_commit_callbacks(execute=True):
        streamed("filings", filing("09876543", "TX-IN-GAP", date=today()), 6000)
    run_jobs()
    assert Notification.objects.filter(company_id="09876543").count() == 1
    assert Event.objects.filter(resource_uri__endswith="TX-IN-GAP").count() == 1


def test_a_filing_backfill_already_saw_or_dated_before_the_gap_is_not_news(
    api, ashford_list, django_capture_on_commit_callbacks
):
    seen = filing("09876543", "TX-BASELINE", date=today())["data"]
    seed(api, {"profile": profile("09876543")["data"], "filings": [seen]})
    Company.objects.filter(pk="09876543").update(recent_filings=[seen])
    hole = gap("filings")

    with django_capture_on_commit_callbacks(execute=True):
        heal_next()

    assert not Event.objects.filter(gap=hole).exists()
    hole.refresh_from_db()
    assert (hole.heal_state, hole.facts_found) == ("healed", 0)


def test_a_profile_changed_inside_a_gap_is_told_from_the_profile_we_held_and_not_again_by_the_stream(
    api, ashford_list, django_capture_on_commit_callbacks
):
    before = profile("09876543")["data"]
    Company.objects.filter(pk="09876543").update(profile=before)
    moved = profile(
        "09876543",
        registered_office_address={
            "address_line_1": "9 Quay Side",
            "locality": "Hull",
            "postal_code": "HU1 1AA",
        },
        etag="1" * 40,
    )
    seed(api, {"profile": moved["data"], "filings": []})
    hole = gap("companies")

    with django_capture_on_commit_callbacks(execute=True):
        heal_next()
    run_jobs()

    found = Event.objects.get(gap=hole)
    assert found.previous_data == before and found.data == moved["data"]
    told = Notification.objects.get(event=found)
    assert "Registered office" in told.title
    assert Company.objects.get(pk="09876543").profile == moved["data"]

    # The stream later carries the same change: nothing meaningful differs, nobody is told again.
    with django_capture_on_commit_callbacks(execute=True):
        streamed("companies", moved, 7000)
    run_jobs()
    assert Notification.objects.filter(company_id="09876543").count() == 1


def test_an_unchanged_profile_is_not_news_and_a_company_with_none_held_gets_a_baseline(
    api, ashford_list, django_capture_on_commit_callbacks
):
    same = profile("09876543")["data"]
    Company.objects.filter(pk="09876543").update(profile={**same, "etag": "f" * 40})
    scottish = profile("SC123456", "McLeod Fishing Ltd")["data"]
    seed(api, {"profile": same, "filings": []}, {"profile": scottish, "filings": []})
    hole = gap("companies")

    with django_capture_on_commit_callbacks(execute=True):
        heal_next()

    assert not Event.objects.filter(gap=hole).exists()
    assert Company.objects.get(pk="SC123456").profile == scottish


def test_urgent_streams_of_the_newest_outage_are_checked_first(api, ashford_list):
    now = timezone.now()
    older = gap("officers", detected_at=now - timedelta(hours=5))
    filings = gap("filings", detected_at=now)
    officers = gap("officers", detected_at=now - timedelta(minutes=2))
    companies = gap("companies", detected_at=now - timedelta(minutes=1))

    order = [heal_next().gap_id for _ in range(4)]

    assert order == [officers.pk, companies.pk, filings.pk, older.pk]
    assert heal_next().gap_id is None  # all healed


def test_a_check_cut_short_goes_on_where_it_stopped_and_asks_about_no_company_twice(
    api, ashford_list, baxter_list
):
    for number in ("09876543", "SC123456", "NI654321"):
        seed(api, {"profile": profile(number)["data"], "filings": []})
    hole = gap("filings")

    first = heal_next(budget=0.0)  # one company, then the budget is spent
    hole.refresh_from_db()
    assert (first.checked, first.more, hole.heal_state, hole.checked_through) == (
        1,
        True,
        "checking",
        "09876543",
    )
    assert hole.claimed_until is None  # handed back: the next job may take it at once

    heal_next()
    hole.refresh_from_db()
    assert (hole.heal_state, hole.companies_checked, hole.requests) == ("healed", 3, 3)
    assert answered(api) == {"200": 3}


def test_checks_never_pass_the_rate_limit(api, ashford_list, baxter_list, settings):
    settings.CH_API_RATE_LIMIT, settings.CH_API_RATE_WINDOW = 2, 1
    for number in ("09876543", "SC123456", "NI654321"):
        seed(api, {"profile": profile(number)["data"], "filings": []})
    gap("filings")
    gap("companies")

    started = time.monotonic()
    while heal_next().gap_id is not None:
        pass
    took = time.monotonic() - started

    assert answered(api) == {"200": 6}  # no 429: six requests, two a second at most
    assert took >= 2.0
    assert set(StreamGap.objects.values_list("heal_state", flat=True)) == {"healed"}


def test_without_a_rest_api_key_gaps_are_marked_as_not_checkable_and_the_log_says_which_setting(
    ashford_list, settings, caplog
):
    settings.CH_API_KEY = ""
    hole = gap("filings")

    with caplog.at_level(logging.ERROR):
        assert heal_next().gap_id is None

    hole.refresh_from_db()
    assert hole.heal_state == "not_checked"
    assert "CH_API_KEY" in caplog.text


def test_a_gap_on_a_stream_the_rest_api_cannot_replay_is_recorded_as_not_checkable(api, ashford_list):
    from streams.gaps import GapSeen

    save_batch("charges", [], 10, GapSeen(StreamGap.OUT_OF_RANGE, 5, 10))

    recorded = StreamGap.objects.get(stream="charges")
    assert recorded.heal_state == "not_checked" and recorded.to_time is not None
    assert heal_next().gap_id is None


def officer(number: str, appointment: str, name: str, **data) -> dict:
    uri = f"/company/{number}/appointments/{appointment}"
    return {
        "resource_kind": "company-officers",
        "resource_uri": uri,
        "resource_id": appointment,
        "data": {
            "name": name,
            "officer_role": "director",
            "appointed_on": "2017-05-12",
            "date_of_birth": {"month": 4, "year": 1963},
            "links": {"self": uri},
            **data,
        },
        "event": {"type": "changed", "published_at": "2025-03-14T10:22:07"},
    }


def listed(item: dict) -> dict:
    """An item as CH's REST list gives it: the officer's other appointments linked too."""
    links = {**item["links"], "officer": {"appointments": "/officers/abc/appointments"}}
    return {**item, "links": links}


def test_an_appointment_and_a_resignation_inside_a_gap_are_told_and_long_standing_officers_are_not(
    api, ashford_list, django_capture_on_commit_callbacks
):
    appointed = officer("09876543", "NEW1", "PATEL, Anika", appointed_on=today())["data"]
    resigned = officer("09876543", "OLD1", "HARBIDGE, Ian Arthur Joseph", resigned_on=today())["data"]
    standing = officer("09876543", "OLD2", "HAROLD, Liselle")["data"]
    seed(
        api,
        {
            "profile": profile("09876543")["data"],
            "officers": [listed(appointed), listed(resigned), listed(standing)],
        },
    )
    hole = gap("officers")

    with django_capture_on_commit_callbacks(execute=True):
        heal_next()
    run_jobs()

    found = Event.objects.filter(gap=hole).order_by("resource_uri")
    assert [e.resource_id for e in found] == ["NEW1", "OLD1"]
    assert found[0].data["links"] == {"self": "/company/09876543/appointments/NEW1"}
    titles = sorted(Notification.objects.filter(event__gap=hole).values_list("title", flat=True))
    assert len(titles) == 2 and any("PATEL" in t or "Patel" in t for t in titles)
    # The officers are remembered, for matching a disqualification later.
    assert Officer.objects.filter(company_number="09876543").count() == 3

    # The stream comes back with the same appointment: not told again.
    with django_capture_on_commit_callbacks(execute=True):
        streamed("officers", officer("09876543", "NEW1", "PATEL, Anika", appointed_on=today()), 9000)
    run_jobs()
    assert Notification.objects.filter(event__stream="officers").count() == 2


def test_an_appointment_the_stream_told_us_after_the_gap_is_not_told_again_by_the_check(
    api, ashford_list, django_capture_on_commit_callbacks
):
    appointed = officer("09876543", "NEW1", "PATEL, Anika", appointed_on=today(), occupation="Baker")
    with django_capture_on_commit_callbacks(execute=True):
        streamed("officers", appointed, 5200)  # after the gap (which ends at 5000)
    seed(api, {"profile": profile("09876543")["data"], "officers": [listed(appointed["data"])]})
    hole = gap("officers")

    heal_next()

    assert not Event.objects.filter(gap=hole).exists()


def test_a_person_with_significant_control_notified_inside_a_gap_is_told_with_the_streams_kind(
    api, ashford_list, django_capture_on_commit_callbacks
):
    uri = "/company/09876543/persons-with-significant-control/individual/PSC1"
    psc = {
        "kind": "individual-person-with-significant-control",
        "name": "Mrs Anika Patel",
        "notified_on": today(),
        "natures_of_control": ["ownership-of-shares-75-to-100-percent"],
        "links": {"self": uri},
    }
    seed(api, {"profile": profile("09876543")["data"], "pscs": [psc]})
    hole = gap("persons-with-significant-control")

    with django_capture_on_commit_callbacks(execute=True):
        heal_next()
    run_jobs()

    found = Event.objects.get(gap=hole)
    assert (found.resource_kind, found.resource_uri) == ("company-psc-individual", uri)
    assert Notification.objects.filter(event=found).count() == 1


def test_a_silence_is_checked_when_noticed_and_again_when_it_ends_without_telling_anything_twice(
    api, ashford_list, django_capture_on_commit_callbacks
):
    from streams.gaps import close_silent_gap

    first = filing("09876543", "TX-EARLY", date=today())["data"]
    seed(api, {"profile": profile("09876543")["data"], "filings": [first]})
    hole = gap("filings", kind=StreamGap.SILENT, to_time=None, to_timepoint=None)
    with django_capture_on_commit_callbacks(execute=True):
        heal_next()
    late = filing("09876543", "TX-LATE", date=today())["data"]
    seed(api, {"profile": profile("09876543")["data"], "filings": [first, late]})

    with django_capture_on_commit_callbacks(execute=True):
        close_silent_gap(hole.pk, 5100)
    hole.refresh_from_db()
    assert (hole.heal_state, hole.checked_through, hole.to_timepoint) == ("waiting", "", 5100)
    with django_capture_on_commit_callbacks(execute=True):
        heal_next()
    run_jobs()

    hole.refresh_from_db()
    assert (hole.heal_state, hole.passes, hole.facts_found) == ("healed", 2, 2)
    assert sorted(Event.objects.filter(gap=hole).values_list("resource_id", flat=True)) == [
        "TX-EARLY",
        "TX-LATE",
    ]
    assert Notification.objects.filter(company_id="09876543").count() == 2


def test_a_disqualified_officer_is_matched_to_a_client_through_the_officers_backfill_fetched(
    api, ashford_list, django_capture_on_commit_callbacks
):
    from streams.backfill import backfill_companies

    sitting = officer("09876543", "AP1", "DOYLE, Martin James", date_of_birth={"month": 6, "year": 1971})
    seed(api, {"profile": profile("09876543")["data"], "officers": [listed(sitting["data"])]})
    backfill_companies(["09876543"])
    assert Officer.objects.get().name == "DOYLE, Martin James"

    disqualified = {
        "resource_kind": "disqualified-officer-natural",
        "resource_uri": "/disqualified-officers/natural/XYZ",
        "resource_id": "XYZ",
        "data": {
            "surname": "DOYLE",
            "forename": "Martin",
            "date_of_birth": "1971-06-03",
            "disqualifications": [{"company_names": ["SOMEWHERE ELSE LTD"], "reason": {}}],
        },
        "event": {"type": "changed", "published_at": "2025-03-14T10:22:07"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        streamed("disqualified-officers", disqualified, 77)
    run_jobs()

    told = Notification.objects.get(stream="disqualified-officers")
    assert told.company_id == "09876543" and told.severity == "urgent"
    assert told.title.startswith("A director of")


def test_ch_failing_mid_check_frees_the_gap_for_the_jobs_retry_which_goes_on_where_it_stopped(
    api, ashford_list, baxter_list
):
    from streams.client import ApiUnavailable

    for number in ("09876543", "NI654321", "SC123456"):
        seed(api, {"profile": profile(number)["data"], "filings": []})
    hole = gap("filings")
    heal_next(budget=0.0)  # the first company
    api.http.post("/_sim/api", json={"fail_status": 503, "fail_times": 1}).raise_for_status()

    with pytest.raises(ApiUnavailable, match="503"):
        heal_next()
    hole.refresh_from_db()
    assert (hole.heal_state, hole.checked_through, hole.claimed_until) == ("checking", "09876543", None)

    heal_next()  # the job's retry
    hole.refresh_from_db()
    assert (hole.heal_state, hole.companies_checked) == ("healed", 3)
    assert answered(api) == {"200": 3, "503": 1}
