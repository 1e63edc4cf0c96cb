"""The feed says whether the practice's record is complete: while a Companies House stream has a
gap, how far the check of the practice's own clients has gone; after, what it found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from notifications.fan_out import fan_out_events
from notifications.feed.coverage import coverage_notices
from notifications.models import ClientList, ClientListEntry, Organisation
from streams.models import Company, Event, StreamGap
from tests.notifykit import stored_filing, stored_officer_change

pytestmark = pytest.mark.django_db

NIGHT = datetime(2025, 12, 1, 2, 10, tzinfo=UTC)  # Europe/London is on GMT in December
MORNING = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)


def numbered_clients(client_list: ClientList, count: int) -> list[str]:
    """`count` companies 10000001, 10000002, ... on the list: the check goes through them in order."""
    numbers = [f"{10_000_000 + n:08d}" for n in range(1, count + 1)]
    Company.objects.bulk_create(
        [Company(company_number=n, name=f"Client {n} Ltd") for n in numbers], ignore_conflicts=True
    )
    ClientListEntry.objects.bulk_create(
        [ClientListEntry(client_list=client_list, company_id=n) for n in numbers]
    )
    return numbers


@pytest.fixture
def ashford_412(ashford, carol) -> Organisation:
    """Ashford with 412 clients over two lists, 12 of them on both (counted once)."""
    main = ClientList.objects.create(organisation=ashford, name="Limited companies")
    numbers = numbered_clients(main, 412)
    payroll = ClientList.objects.create(organisation=ashford, name="Payroll")
    ClientListEntry.objects.bulk_create(
        [ClientListEntry(client_list=payroll, company_id=n) for n in numbers[:12]]
    )
    return ashford


def gap(stream="filings", **fields) -> StreamGap:
    values = {
        "kind": StreamGap.OUT_OF_RANGE,
        "from_timepoint": 1000,
        "to_timepoint": 1500,
        "from_time": NIGHT,
        "to_time": NIGHT + timedelta(minutes=90),
        "detected_at": NIGHT + timedelta(minutes=91),
        **fields,
    }
    return StreamGap.objects.create(stream=stream, **values)


def found_by(stream_gap: StreamGap, *events: Event) -> list[int]:
    """Events as the gap check leaves them, fanned out like any other."""
    Event.objects.filter(pk__in=[e.pk for e in events]).update(gap=stream_gap)
    fan_out_events([e.pk for e in events])
    return [e.pk for e in events]


def texts(organisation, now=MORNING) -> list[str]:
    return [notice.text for notice in coverage_notices(organisation, now=now)]


def test_while_the_check_runs_carol_sees_how_many_of_her_practices_412_clients_are_done(ashford_412):
    gap(heal_state=StreamGap.CHECKING, checked_through="10000120", companies_checked=5000)

    [notice] = coverage_notices(ashford_412, now=MORNING)

    assert notice.text == (
        "Companies House's filings stream was interrupted from 02:10 to 03:40 on 1 December; "
        "checking your 412 clients: 120 done."
    )
    assert (notice.level, notice.clients, notice.done, notice.found) == ("checking", 412, 120, 0)


def test_done_counts_the_clients_up_to_the_check_in_company_number_order_scottish_ones_last(ashford_list):
    checking = gap(heal_state=StreamGap.CHECKING, checked_through="09876543")

    def done() -> int:
        return coverage_notices(ashford_list.organisation, now=MORNING)[0].done

    assert done() == 1
    StreamGap.objects.filter(pk=checking.pk).update(checked_through="SC000001")
    assert done() == 1
    StreamGap.objects.filter(pk=checking.pk).update(checked_through="SC123456")
    assert done() == 2


def test_a_stream_still_silent_says_since_when_and_a_gap_not_yet_started_says_shortly(ashford_412):
    gap(
        "companies",
        kind=StreamGap.SILENT,
        from_time=datetime(2025, 12, 1, 14, 2, tzinfo=UTC),
        to_time=None,
        detected_at=datetime(2025, 12, 1, 14, 20, tzinfo=UTC),
        heal_state=StreamGap.CHECKING,
        checked_through="10000120",
    )
    gap("officers", heal_state=StreamGap.WAITING)

    assert texts(ashford_412, now=datetime(2025, 12, 1, 15, 0, tzinfo=UTC)) == [
        "Companies House's company records stream has sent nothing since 14:02 on 1 December; "
        "checking your 412 clients: 120 done.",
        "Companies House's officers stream was interrupted from 02:10 to 03:40 on 1 December; "
        "your 412 clients will be checked shortly.",
    ]


def test_once_checked_alice_hears_of_the_3_changes_found_for_her_practice_and_bob_that_nothing_was_missed(
    ashford_list, alice, baxter_list, bob
):
    filings = gap(heal_state=StreamGap.HEALED, healed_at=NIGHT + timedelta(hours=2), facts_found=4)
    found_by(
        filings,
        stored_filing("09876543"),
        stored_filing("SC123456"),
        stored_officer_change("09876543"),
        stored_filing("20000001"),  # on nobody's list: no notification
    )
    found_by(gap("charges", heal_state=StreamGap.CHECKING), stored_filing("NI654321"))  # another gap's

    ashford = {n.stream: n for n in coverage_notices(ashford_list.organisation, now=MORNING)}["filings"]
    baxter = texts(baxter_list.organisation)

    assert ashford.text == (
        "Companies House's filings stream was interrupted from 02:10 to 03:40 on 1 December; "
        "we checked your 2 clients and found 3 changes we had missed: they are in your feed below."
    )
    assert (ashford.level, ashford.done, ashford.found) == ("complete", 2, 3)
    assert baxter[1] == (
        "Companies House's filings stream was interrupted from 02:10 to 03:40 on 1 December; "
        "we checked your 1 client and nothing was missed."
    )


def test_one_change_found_is_singular(ashford_list, alice):
    found_by(gap(heal_state=StreamGap.HEALED, healed_at=MORNING), stored_filing("09876543"))
    assert texts(ashford_list.organisation)[0].endswith(
        "we checked your 2 clients and found 1 change we had missed: it is in your feed below."
    )


def test_a_stream_companies_house_cannot_replay_is_said_to_have_a_hole(ashford_list):
    gap("persons-with-significant-control", heal_state=StreamGap.NOT_CHECKED)

    [notice] = coverage_notices(ashford_list.organisation, now=MORNING)

    assert notice.level == "incomplete"
    assert notice.text == (
        "Companies House's people with significant control stream was interrupted from 02:10 to 03:40 "
        "on 1 December; Companies House cannot replay this stream, so changes in that time may be missing."
    )


def test_a_silent_stream_checked_while_silent_is_not_yet_complete(ashford_list):
    gap(
        "insolvency-cases",
        kind=StreamGap.SILENT,
        to_time=None,
        heal_state=StreamGap.HEALED,
        healed_at=MORNING,
    )

    [notice] = coverage_notices(ashford_list.organisation, now=MORNING)

    assert notice.level == "checking"
    assert notice.text == (
        "Companies House's insolvency stream has sent nothing since 02:10 on 1 December; "
        "we checked your 2 clients and nothing was missed. We will check again when it resumes."
    )


def test_a_finished_gap_is_shown_for_two_days_and_an_open_one_until_it_closes(ashford_list):
    gap("filings", heal_state=StreamGap.HEALED, healed_at=MORNING)
    gap("charges", heal_state=StreamGap.NOT_CHECKED)  # ended 03:40
    gap("companies", kind=StreamGap.SILENT, to_time=None, heal_state=StreamGap.HEALED, healed_at=MORNING)
    gap("officers", heal_state=StreamGap.WAITING)

    two_days_on = [
        n.stream for n in coverage_notices(ashford_list.organisation, now=MORNING + timedelta(hours=47))
    ]
    three_days_on = [
        n.stream for n in coverage_notices(ashford_list.organisation, now=MORNING + timedelta(days=3))
    ]

    assert sorted(two_days_on) == ["charges", "companies", "filings", "officers"]
    assert sorted(three_days_on) == ["companies", "officers"]


def test_times_are_the_practices_own_summer_time_and_a_gap_over_midnight_names_both_days(ashford_list):
    gap(
        from_time=datetime(2025, 7, 1, 1, 10, tzinfo=UTC),
        to_time=datetime(2025, 7, 1, 2, 40, tzinfo=UTC),
        detected_at=datetime(2025, 7, 1, 2, 41, tzinfo=UTC),
    )
    gap(
        "charges",
        from_time=datetime(2025, 7, 1, 22, 50, tzinfo=UTC),
        to_time=datetime(2025, 7, 2, 0, 10, tzinfo=UTC),
        detected_at=datetime(2025, 7, 2, 0, 11, tzinfo=UTC),
    )

    notices = texts(ashford_list.organisation, now=datetime(2025, 7, 2, 6, 0, tzinfo=UTC))

    assert notices[0].startswith(
        "Companies House's charges stream was interrupted from 23:50 on 1 July to 01:10 on 2 July;"
    )
    assert notices[1].startswith(
        "Companies House's filings stream was interrupted from 02:10 to 03:40 on 1 July;"
    )
    ashford_list.organisation.time_zone = "America/New_York"
    assert texts(ashford_list.organisation, now=datetime(2025, 7, 2, 6, 0, tzinfo=UTC))[1].startswith(
        "Companies House's filings stream was interrupted from 21:10 to 22:40 on 30 June;"
    )


def test_a_practice_with_no_clients_is_told_nothing(baxter):
    gap(heal_state=StreamGap.CHECKING)
    assert coverage_notices(baxter, now=MORNING) == []


def test_the_notice_heads_carols_feed_as_a_status_and_the_api_gives_it_as_coverage(
    client, ashford_412, carol
):
    gap(heal_state=StreamGap.CHECKING, checked_through="10000120")
    client.force_login(carol)

    with time_machine.travel(MORNING):
        page = client.get(reverse("feed", args=[ashford_412.id])).content.decode()
        api = client.get(reverse("feed_api", args=[ashford_412.id])).json()

    status = page.index('role="status" aria-label="Is your Companies House record complete?"')
    assert status < page.index('class="filters"') < page.index('id="feed"')
    assert (
        '<li class="checking" data-gap="' in page[status:]
        and "interrupted from 02:10 to 03:40 on 1 December; checking your 412 clients: 120 done.</li>" in page
    )
    [coverage] = api["coverage"]
    assert coverage["level"] == "checking" and coverage["text"].endswith(
        "checking your 412 clients: 120 done."
    )
    assert (coverage["stream"], coverage["clients"], coverage["done"], coverage["found"]) == (
        "filings",
        412,
        120,
        0,
    )


def test_without_a_gap_the_feed_has_no_notice(client, ashford_list, carol):
    client.force_login(carol)
    assert (
        "record complete"
        not in client.get(reverse("feed", args=[ashford_list.organisation_id])).content.decode()
    )
    assert client.get(reverse("feed_api", args=[ashford_list.organisation_id])).json()["coverage"] == []
