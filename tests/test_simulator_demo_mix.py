"""The demo looks like Companies House: CH's mix of streams, and a practice's clients going about
their business at a pace people can follow (a few notifications a minute, mostly routine)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from notifications.fan_out import fan_out_events
from notifications.models import ClientList, ClientListEntry, Notification, Organisation
from streams.events import parse_line
from streams.models import Company
from streams.simulator.demo import DEMO_COMPANIES, demo_generator
from streams.simulator.generator import STREAMS, Generator
from streams.store import save_batch
from tests.streamkit import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent

# CH's shares of its events (README, "The simulator"), in percent.
CH_SHARES = {
    "filings": 55,
    "companies": 30,
    "officers": 7,
    "persons-with-significant-control": 6,
    "charges": 1,
    "insolvency-cases": 1,
}
CLIENTS = [(number, name) for number, _, name in DEMO_COMPANIES]
MORNING = datetime(2026, 12, 1, 9, tzinfo=UTC)


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def demo_run(seed: int, hours: float, start: datetime = MORNING, rate: float = 0.5):
    """The demo as `make run` starts it: `rate` events a second in all, for `hours`."""
    generator = demo_generator(seed, CLIENTS, rate=rate, today=start.date())
    events = [
        (start + timedelta(seconds=i / rate), *generator.next_mixed(at(start + timedelta(seconds=i / rate))))
        for i in range(int(hours * 3600 * rate))
    ]
    return generator, events


def deadline_groups(profiles: list[dict], today: date) -> Counter[str]:
    """How the deadlines page would group them: overdue, due within 30 days, later."""
    groups: Counter[str] = Counter()
    for profile in profiles:
        for section in ("accounts", "confirmation_statement"):
            if section in profile and profile["company_status"] != "dissolved":
                days = (date.fromisoformat(profile[section]["next_due"]) - today).days
                late = profile[section]["overdue"] or days < 0
                groups["overdue" if late else "due soon" if days <= 30 else "later"] += 1
    return groups


# --- CH's mix of streams ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_seeded_run_of_the_default_generator_splits_its_events_as_companies_house_does(seed):
    generator = Generator(seed)
    shares = Counter(generator.next_mixed(at(MORNING + timedelta(seconds=i)))[0] for i in range(6_000))
    for stream, share in CH_SHARES.items():
        assert abs(100 * shares[stream] / 6_000 - share) < 3, (stream, shares)


def test_the_mix_splits_only_the_streams_asked_for():
    generator = Generator(4)
    shares = Counter(
        generator.next_mixed(at(MORNING + timedelta(seconds=i)), ("filings", "companies"))[0]
        for i in range(3_000)
    )
    assert set(shares) == {"filings", "companies"}
    assert 1.7 < shares["filings"] / shares["companies"] < 2.3  # about 95,000 a day to 48,500


# --- the demo clients ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today", [date(2026, 12, 1), date(2025, 3, 14), date(2027, 6, 30), date(2028, 2, 29)]
)
def test_the_demo_clients_deadlines_are_mostly_ahead_a_few_due_soon_and_one_or_two_overdue(today):
    generator = demo_generator(1, CLIENTS, rate=0.5, today=today)
    groups = deadline_groups([generator.profile(number) for number, _ in CLIENTS], today)
    assert 1 <= groups["overdue"] <= 2
    assert 2 <= groups["due soon"] <= 5
    assert groups["later"] >= 0.7 * sum(groups.values())


def test_the_demo_clients_go_by_their_practices_names():
    generator = demo_generator(1, CLIENTS, rate=0.5, today=MORNING.date())
    assert generator.profile("09876543")["company_name"] == "GREEN LEAF CAFE LTD"
    assert generator.profile("OC301234")["type"] == "llp"
    assert generator.profile("07654321")["type"] == "ltd"  # "... Haulage Ltd": limited by shares


@pytest.mark.parametrize("seed", [1, 2])
def test_the_demo_clients_deadlines_stay_sensible_as_the_story_goes_on(seed):
    generator, _ = demo_run(seed, hours=3)
    profiles = [generator.profile(number) for number, _ in CLIENTS]
    groups = deadline_groups(profiles, MORNING.date())
    assert groups["overdue"] <= 3  # late filers tend to stay late; nobody new is late within hours
    assert groups["later"] >= 0.75 * sum(groups.values())
    horizon = (MORNING + timedelta(days=2 * 366)).date().isoformat()
    assert all(p["accounts"]["next_due"] < horizon for p in profiles)  # a year on at most, not years
    renamed = [p for p in profiles if p.get("previous_company_names")]
    assert len(renamed) <= 2  # a client renames now and then, not every few minutes


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_demo_client_rarely_meets_an_end(seed):
    generator, events = demo_run(seed, hours=3)
    clients = {number for number, _ in CLIENTS}
    insolvent = {
        e["resource_id"] for _, s, e in events if s == "insolvency-cases" and e["resource_id"] in clients
    }
    assert len(insolvent) <= 1  # in three hours, one of the twelve at most
    statuses = Counter(generator.profile(number)["company_status"] for number in clients)
    assert statuses["active"] >= 11


# --- what the demo practice sees -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_practice_sees_a_few_notifications_a_minute_mostly_routine():
    """An hour of the demo through the real store and fan-out, as the listener would feed them."""
    practice = Organisation.objects.create(name="Demo Accountants LLP")
    client_list = ClientList.objects.create(organisation=practice, name="Limited company clients")
    generator, events = demo_run(1, hours=1)
    for number, reference, name in DEMO_COMPANIES:
        # As backfill leaves them: the profile CH's REST API gave before the stream said anything.
        company = Company.objects.create(company_number=number, name=name, profile=generator.profile(number))
        ClientListEntry.objects.create(client_list=client_list, company=company, client_reference=reference)
    watched = {number for number, _ in CLIENTS}
    timepoints = Counter()
    for _, stream, event in events:
        timepoints[stream] += 1
        if event["resource_uri"].split("/")[2] not in watched:
            continue  # (the listener never stores those)
        event["event"]["timepoint"] = timepoints[stream]
        stored = save_batch(stream, [parse_line(orjson.dumps(event), stream)], timepoints[stream])
        fan_out_events(stored.new_ids)

    seen = list(Notification.objects.filter(organisation=practice))
    severities = Counter(n.severity for n in seen)
    assert 1.5 <= len(seen) / 60 <= 4  # a few a minute
    assert severities["info"] > 0.45 * len(seen)  # mostly routine: accounts, statements, filings
    assert 3 <= severities["urgent"] <= 0.25 * len(seen)  # and an urgent one now and then
    assert {n.category for n in seen} >= {"accounts", "capital", "resolution", "officers"}
    same = Counter((n.company_id, n.title) for n in seen)
    assert max(same.values()) <= 3  # no client is told the same thing over and over


@pytest.fixture
def chsim():
    """manage.py chsim as the Procfile starts it, with the switches given."""
    processes = []

    def start(*args: str) -> str:
        port = free_port()
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "chsim", "--port", str(port), "--key", "k", *args],
                cwd=ROOT,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.test"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _state(url), timeout=20)
        return url

    yield start
    for process in processes:
        process.terminate()
        assert process.wait(10) == 0


def _state(url: str) -> dict | None:
    try:
        return httpx.get(f"{url}/_sim/state", timeout=1).json()
    except httpx.HTTPError:
        return None


def _counts(state: dict) -> dict[str, int]:
    return {stream: state[stream]["head"] - state[stream]["oldest"] + 1 for stream in STREAMS}


def test_chsim_splits_its_rate_between_the_streams_and_serves_the_demo_clients(chsim):
    url = chsim("--rate", "100", "--watched-demo")
    counts = wait_until(lambda: (c := _counts(_state(url)))["filings"] > 300 and c, timeout=30)
    assert counts["filings"] > counts["companies"] > 2 * counts["officers"] > 0
    profile = httpx.get(f"{url}/company/09876543", auth=("simulator-api-key", "")).json()
    assert profile["company_name"] == "GREEN LEAF CAFE LTD"


def test_chsim_with_an_even_mix_gives_each_stream_the_rate(chsim):
    url = chsim("--seed", "2", "--rate", "200", "--count", "600", "--mix", "even")
    counts = wait_until(lambda: sum((c := _counts(_state(url))).values()) >= 600 and c, timeout=30)
    assert set(counts.values()) == {100}
