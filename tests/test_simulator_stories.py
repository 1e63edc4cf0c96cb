"""The simulator's companies tell coherent stories: nothing an event says is contradicted later.

`Chronicle` reads a run's events as a consumer would (re-sends of a version already seen are no
news) and fails on the first event that contradicts an earlier one.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from streams.simulator.demo import demo_generator
from streams.simulator.generator import STREAMS, Generator

WATCHED = tuple(f"{n:08d}" for n in range(99_999_901, 99_999_913))
INCORPORATIONS = ("incorporation-company", "incorporation-limited-liability-partnership")
GAZETTE_NOTICES = ("GAZ1", "GAZ1(A)")
STRIKE_OFF_DISSOLUTIONS = ("gazette-dissolved-compulsory", "gazette-dissolved-voluntary")


def minutes_apart(
    i: int, minutes: float = 1.0, start: datetime = datetime(2025, 3, 14, 9, tzinfo=UTC)
) -> str:
    return (start + timedelta(minutes=minutes * i)).strftime("%Y-%m-%dT%H:%M:%S")


def company_of(event: dict) -> str:
    return event["resource_uri"].split("/")[2]


class Chronicle:
    """What the events have said so far about each company, and the checks on what comes next."""

    def __init__(self, existing: set[str]) -> None:
        self.existing = existing  # companies on the register before the run
        self.seen: set[str] = set()
        self.said: set[tuple[str, str]] = set()
        self.transactions: set[str] = set()
        self.names: dict[str, str] = {}
        self.renames: Counter[str] = Counter()
        self.dissolved: dict[str, str] = {}  # company -> when, by its latest profile, unless restored since
        self.dissolutions = 0
        self.gazetted: set[str] = set()
        self.accounts: defaultdict[str, set[str]] = defaultdict(set)  # made-up dates filed
        self.next_accounts: dict[str, tuple[str, str]] = {}  # (made up to, due)
        self.cases: dict[str, list[str]] = {}
        self.resigned: set[str] = set()
        self.ceased: set[str] = set()
        self.incorporated: dict[str, str] = {}  # company -> the day of its incorporation
        self.moved_on: list[tuple[tuple[str, str], tuple[str, str]]] = []  # next accounts, before and after

    def read(self, stream: str, event: dict) -> None:
        number, uri, data = company_of(event), event["resource_uri"], event["data"]
        version = (uri, json.dumps(data, sort_keys=True))
        if version in self.said:
            return  # a re-send: no news
        self.said.add(version)
        getattr(self, "_" + stream.replace("-", "_"))(number, uri, data, event)
        self.seen.add(number)

    def _filings(self, number: str, uri: str, data: dict, event: dict) -> None:
        tx = event["resource_id"]
        if event["event"]["type"] == "deleted" or tx in self.transactions:
            return  # a withdrawal, or the same filing with its document
        self.transactions.add(tx)
        if number in self.dissolved:
            assert data["category"] == "restoration", f"{number} filed {data['type']} after its dissolution"
            del self.dissolved[number]
        if data["description"] in INCORPORATIONS:
            assert number not in self.existing and number not in self.seen, f"{number} incorporated twice"
            self.incorporated[number] = data["date"]
        if data["description"].startswith("accounts-with-accounts-type-"):
            made_up = data["description_values"]["made_up_date"]
            assert made_up <= data["date"] and made_up not in self.accounts[number], (number, made_up)
            self.accounts[number].add(made_up)
        if data["type"] in GAZETTE_NOTICES:
            self.gazetted.add(number)
        if data["description"] in STRIKE_OFF_DISSOLUTIONS:
            assert number in self.gazetted, f"{number} struck off without a first gazette notice"

    def _companies(self, number: str, uri: str, data: dict, event: dict) -> None:
        fields = event["event"].get("fields_changed", [])
        name, old = data["company_name"], self.names.get(number)
        if old is not None and name != old:
            assert "company_name" in fields, f"{number} changed its name from {old} to {name} unannounced"
            assert data["previous_company_names"][0]["name"] == old
            self.renames[number] += 1
        if number in self.incorporated and old is None:  # its first profile
            assert data["date_of_creation"] == self.incorporated[number]
        self.names[number] = name
        accounts = data.get("accounts", {})
        following = (accounts.get("next_made_up_to"), accounts.get("next_due"))
        if "accounts.last_accounts" in fields and number in self.next_accounts:
            self.moved_on.append((self.next_accounts[number], following))
        self.next_accounts[number] = following
        if data["company_status"] == "dissolved":
            self.dissolutions += number not in self.dissolved
            self.dissolved[number] = data["date_of_cessation"]
        else:
            self.dissolved.pop(number, None)

    def _before_the_end(self, number: str, uri: str, data: dict, *dates: str) -> None:
        """After a dissolution a stream may still announce what happened before it (the streams
        lag one another), but nothing that happened since."""
        if number in self.dissolved:
            when = [data[key] for key in dates if key in data]
            assert all(day <= self.dissolved[number] for day in when), f"{uri}: {when} after the dissolution"

    def _officers(self, number: str, uri: str, data: dict, event: dict) -> None:
        self._before_the_end(number, uri, data, "appointed_on", "resigned_on")
        if data:
            assert uri not in self.resigned or "resigned_on" in data, f"{uri} came back after resigning"
            if "resigned_on" in data:
                self.resigned.add(uri)

    def _persons_with_significant_control(self, number: str, uri: str, data: dict, event: dict) -> None:
        self._before_the_end(number, uri, data, "notified_on", "ceased_on")
        if data:
            assert uri not in self.ceased or "ceased_on" in data, f"{uri} came back after ceasing"
            if "ceased_on" in data:
                self.ceased.add(uri)

    def _charges(self, number: str, uri: str, data: dict, event: dict) -> None:
        self._before_the_end(number, uri, data, "created_on", "satisfied_on")

    def _insolvency_cases(self, number: str, uri: str, data: dict, event: dict) -> None:
        kinds = [case["type"] for case in data.get("cases", [])]
        earlier = self.cases.get(number, [])
        assert kinds[: len(earlier)] == earlier, f"{number}: insolvency cases rewritten"
        assert len(kinds) == len(set(kinds)), f"{number}: a second {kinds[-1]}"
        assert not (len(kinds) > len(earlier) and number in self.dissolved), (
            f"{number}: a petition after dissolution"
        )
        self.cases[number] = kinds


@pytest.fixture(scope="module")
def chronicle() -> Chronicle:
    """A month of every stream at the same rate (stories of every kind, often), duplicates and all."""
    generator = Generator(23, companies=3_000, watched=WATCHED, watched_share=0.05)
    reading = Chronicle(set(generator.company_numbers()) | set(WATCHED))
    for i in range(36_000):
        stream = STREAMS[i % len(STREAMS)]
        reading.read(stream, generator.next_event(stream, minutes_apart(i // len(STREAMS))))
    return reading


def test_no_event_contradicts_an_earlier_one(chronicle):
    # (Chronicle.read asserts as it goes; here, that the stories it read were of every kind.)
    assert chronicle.dissolutions > 10 and len(chronicle.gazetted) > 10
    assert len(chronicle.cases) > 500
    assert sum(1 for kinds in chronicle.cases.values() if len(kinds) == 2) > 20  # administration, then CVL


def test_a_renamed_company_keeps_its_new_name(chronicle):
    assert len(chronicle.renames) > 15
    assert set(chronicle.renames.values()) == {1}  # once renamed, for good


def test_only_a_company_never_seen_before_is_incorporated(chronicle):
    assert len(chronicle.incorporated) > 50
    assert not set(chronicle.incorporated) & chronicle.existing


def test_a_company_files_its_accounts_once_a_period_and_its_deadline_moves_a_year_on(chronicle):
    assert sum(map(len, chronicle.accounts.values())) > 400
    assert len(chronicle.moved_on) > 150
    for (made_up_to, due), (next_made_up_to, next_due) in chronicle.moved_on:
        # The next period ends a year on (a month end stays one); the deadline comes later (a
        # year later but for first accounts, which CH gives 21 months from incorporation).
        gap = date.fromisoformat(next_made_up_to) - date.fromisoformat(made_up_to)
        assert timedelta(days=362) <= gap <= timedelta(days=368), (made_up_to, next_made_up_to)
        assert next_due > due


def test_the_demo_tells_coherent_stories_too():
    clients = [(number, f"Client {i} Ltd") for i, number in enumerate(WATCHED)]
    generator = demo_generator(5, clients, rate=0.5, today=date(2026, 12, 1), companies=3_000)
    reading = Chronicle(set(generator.company_numbers()) | set(WATCHED))
    for i in range(3 * 3600 // 2):  # three hours at half an event a second
        reading.read(*generator.next_mixed(minutes_apart(i, 1 / 30, datetime(2026, 12, 1, 9, tzinfo=UTC))))
    assert sum(reading.renames[number] for number in WATCHED) <= 2
