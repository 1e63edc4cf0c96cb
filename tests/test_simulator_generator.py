"""The simulator's event generator: deterministic, CH-shaped, and realistic enough to test against.

Most tests read one shared run of 24,000 events (4,000 per stream) with a few watched companies;
the rest build small generators tuned to make one behaviour frequent.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from streams.company_numbers import is_company_number
from streams.simulator.generator import STREAMS, Generator

ENUMERATIONS = Path(__file__).resolve().parent.parent / "streams" / "enumerations"
WATCHED = ("99999991", "SC999992", "R9999993", "OC999994")  # beyond every range the universe draws from
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KINDS = {
    "filings": {"filing-history"},
    "companies": {"company-profile"},
    "officers": {"company-officers"},
    "persons-with-significant-control": {
        "company-psc-individual",
        "company-psc-corporate",
        "company-psc-legal",
    },
    "charges": {"company-charges"},
    "insolvency-cases": {"company-insolvency"},
}
CATEGORIES = {
    "accounts", "confirmation-statement", "officers", "address", "capital", "mortgage", "insolvency",
    "persons-with-significant-control", "incorporation", "dissolution", "resolution", "change-of-name",
    "gazette", "miscellaneous",
}  # fmt: skip


def _yaml(name: str) -> dict:
    with (ENUMERATIONS / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


DESCRIPTIONS = _yaml("filing_history_descriptions.yml")["description"]
CONSTANTS = _yaml("constants.yml")
NATURES = _yaml("psc_descriptions.yml")["description"]


def published_at(i: int) -> str:
    """One event a second from 2025-03-14 09:00 (the generator takes "today" from it)."""
    day, second = divmod(9 * 3600 + i, 86_400)
    return f"2025-03-{14 + day:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


def run(generator: Generator, count: int, streams: tuple[str, ...] = STREAMS) -> list[tuple[str, dict]]:
    return [(streams[i % len(streams)], generator.next_event(streams[i % len(streams)], published_at(i)))
            for i in range(count)]  # fmt: skip


def company_of(event: dict) -> str:
    return event["resource_uri"].split("/")[2]


@pytest.fixture(scope="module")
def shared() -> tuple[Generator, list[tuple[str, dict]]]:
    generator = Generator(7, watched=WATCHED, watched_share=0.05)
    return generator, run(generator, 24_000)


@pytest.fixture(scope="module")
def events(shared) -> list[tuple[str, dict]]:
    return shared[1]


def of(events: list[tuple[str, dict]], stream: str) -> list[dict]:
    return [event for s, event in events if s == stream]


# --- determinism ---------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_events():
    first, second = Generator(3, companies=2_000), Generator(3, companies=2_000)
    assert run(first, 1_200) == run(second, 1_200)
    more_first, more_second = run(first, 300), run(second, 300)
    numbers = {company_of(event) for _, event in more_first}
    assert numbers and more_first == more_second
    for number in sorted(numbers):
        assert first.profile(number) == second.profile(number)
        assert first.filing_history(number) == second.filing_history(number)


def test_different_seeds_give_different_events():
    first, second = run(Generator(1, companies=2_000), 300), run(Generator(2, companies=2_000), 300)
    assert Generator(1).company_numbers() != Generator(2).company_numbers()
    differing = sum(a != b for a, b in zip(first, second, strict=True))
    assert differing > 290


# --- the envelope --------------------------------------------------------------------------------


def test_every_event_has_chs_envelope_and_no_timepoint(events):
    for i, (stream, event) in enumerate(events):
        assert set(event) == {"resource_kind", "resource_uri", "resource_id", "data", "event"}
        assert set(event["event"]) <= {"type", "published_at", "fields_changed"}
        assert "timepoint" not in event["event"]
        assert event["event"]["type"] in ("changed", "deleted")
        assert event["event"]["published_at"] == published_at(i)
        assert event["resource_kind"] in KINDS[stream]
        number = company_of(event)
        assert is_company_number(number)
        assert event["resource_uri"].startswith(f"/company/{number}")
        if event["event"]["type"] == "deleted":
            assert event["data"] == {}
            continue
        if stream == "companies":
            assert event["resource_uri"] == f"/company/{number}"
            assert event["resource_id"] == event["data"]["company_number"] == number
        elif stream == "insolvency-cases":
            assert event["resource_uri"] == f"/company/{number}/insolvency"
        else:
            assert event["resource_uri"].endswith(f"/{event['resource_id']}")
            assert event["data"]["links"]["self"] == event["resource_uri"]
        if stream == "filings":
            assert event["resource_id"] == event["data"]["transaction_id"]
    assert Counter(event["event"]["type"] for _, event in events)["deleted"] > 0


def test_returned_events_are_copies_the_caller_may_change():
    generator = Generator(5, companies=50, duplicate_share=0.5)
    first = generator.next_event("companies", "2025-03-14T10:00:00")
    pristine = generator.profile(first["resource_id"])
    first["event"]["timepoint"] = 1  # what the server does
    first["data"]["company_name"] = "CHANGED BY THE CALLER"
    assert generator.profile(first["resource_id"]) == pristine
    later = [generator.next_event("companies", "2025-03-14T10:00:01") for _ in range(40)]
    assert all("timepoint" not in event["event"] for event in later)
    assert all(event["data"]["company_name"] != "CHANGED BY THE CALLER" for event in later)


def test_an_unknown_stream_or_a_malformed_watched_number_is_refused():
    with pytest.raises(ValueError, match="unknown stream"):
        Generator(companies=10).next_event("disqualified-officers", "2025-03-14T10:00:00")
    with pytest.raises(ValueError, match="watched"):
        Generator(companies=10, watched=["123456"])


# --- company numbers -----------------------------------------------------------------------------


def test_company_numbers_are_valid_and_come_from_many_registers():
    numbers = Generator(11).company_numbers()
    assert len(numbers) == len(set(numbers)) == 20_000
    assert all(is_company_number(n) for n in numbers)
    assert all(int(n.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) > 0 for n in numbers)
    prefixes = Counter(
        "EW" if n.isdigit() else ("R0" if n[0] == "R" and n[1].isdigit() else n[:2]) for n in numbers
    )
    assert 0.7 < prefixes["EW"] / len(numbers) < 0.9
    assert {"SC", "NI", "OC", "SO", "NC", "LP", "SL", "FC", "R0", "CE", "GE"} <= set(prefixes)
    assert len(prefixes) >= 15
    assert any(n.startswith("0") for n in numbers) and any(n.startswith("1") for n in numbers)


# --- filings -------------------------------------------------------------------------------------


def test_every_description_code_exists_and_its_values_are_exactly_its_placeholders(events):
    filings = [e["data"] for e in of(events, "filings") if e["event"]["type"] == "changed"]
    items = filings + [extra for f in filings for extra in f.get("associated_filings", [])]
    for item in items:
        code = item["description"]
        assert code in DESCRIPTIONS, code
        wanted = set(PLACEHOLDER.findall(DESCRIPTIONS[code]))
        values = item.get("description_values", {})
        # CH adds the statement of capital itself to capital filings' values; nothing else is extra.
        extra = set(values) - wanted
        assert extra <= {"capital"} and (not extra or "capital" in code or item.get("category") == "capital")
        assert wanted <= set(values), (code, wanted, values)
        for name, value in values.items():
            if name == "date" or name.endswith("_date"):
                assert ISO_DATE.match(value), (code, name, value)
            elif name in ("officer_name", "psc_name"):
                assert len(value.split()) >= 2
            elif name.endswith("address"):
                assert value.count(",") >= 2
            elif name == "capital":
                assert all(set(c) == {"figure", "currency"} for c in value)
    for resolution in (r for f in filings for r in f.get("resolutions", [])):
        assert resolution["description"] in DESCRIPTIONS
    assert len({f["description"] for f in filings}) > 120  # the long tail is exercised


def test_every_filing_category_occurs_and_routine_filings_dominate(events):
    filings = [e["data"] for e in of(events, "filings") if e["event"]["type"] == "changed"]
    categories = Counter(f["category"] for f in filings)
    assert categories.keys() >= CATEGORIES
    assert categories["accounts"] + categories["confirmation-statement"] > 0.4 * len(filings)
    forms = {f["type"] for f in filings}
    assert {"AA", "CS01", "AP01", "TM01", "AD01", "PSC01", "MR01", "NEWINC", "GAZ1", "DS01", "SH01"} <= forms
    for f in filings:
        assert ISO_DATE.match(f["date"]) and f["barcode"].startswith("X") and len(f["barcode"]) == 8


def test_a_filing_is_sent_again_with_its_document_once_available(events):
    first: dict[str, dict] = {}
    follow_ups = 0
    for event in of(events, "filings"):
        if event["event"]["type"] == "deleted":
            continue
        data = event["data"]
        tx = data["transaction_id"]
        if tx not in first:
            assert "document_metadata" not in data["links"]
            first[tx] = data
        elif "document_metadata" in data["links"]:
            assert data["links"]["document_metadata"] == (
                f"https://document-api.company-information.service.gov.uk/document/{tx}"
            )
            without = {**data, "links": {"self": data["links"]["self"]}}
            without.pop("pages")
            original = {k: v for k, v in first[tx].items() if k != "pages"}
            assert without == original
            follow_ups += 1
    assert follow_ups > 0.5 * len(first)


def test_filing_history_lists_what_was_generated_newest_first(shared):
    generator, events = shared
    latest: dict[str, dict[str, dict]] = {}  # company -> transaction id -> latest data, in order first sent
    for event in of(events, "filings"):
        company, tx = company_of(event), event["resource_id"]
        items = latest.setdefault(company, {})
        if event["event"]["type"] == "deleted":
            items.pop(tx, None)
        elif "document_metadata" not in items.get(tx, {"links": {}})["links"]:
            items[tx] = event["data"]  # (a late duplicate of the first version does not count)
    assert sum(map(len, latest.values())) > 2_000
    for company, items in latest.items():
        assert generator.filing_history(company) == list(reversed(items.values()))
    assert generator.filing_history("SC000000") == []


# --- duplicates, no-ops, watched companies -------------------------------------------------------


def _resends(events: list[tuple[str, dict]], reach: int = 25) -> int:
    """How many events repeat one of the last `reach` events of their own stream."""
    count = 0
    for stream in {s for s, _ in events}:
        window: deque[str] = deque(maxlen=reach)
        for s, event in events:
            if s == stream:
                said = json.dumps([event["resource_uri"], event["data"], event["event"]["type"],
                                   event["event"].get("fields_changed")], sort_keys=True)  # fmt: skip
                count += said in window
                window.append(said)
    return count


def test_duplicates_are_exact_resends_at_about_duplicate_share():
    streams = ("filings", "officers", "charges", "persons-with-significant-control")
    events = run(Generator(13, duplicate_share=0.1), 6_000, streams)
    assert 0.085 < _resends(events) / len(events) < 0.115
    default = run(Generator(13), 5_000, streams)
    assert 0.01 < _resends(default) / len(default) < 0.03
    assert _resends(run(Generator(13, duplicate_share=0.0), 1_000, streams)) == 0


def test_profile_events_that_change_nothing_meaningful_occur_at_about_noop_share():
    # A register of the usual size: a few hundred companies would soon have nothing left to
    # change within the hour (a company's SIC codes or office do not change every few minutes).
    generator = Generator(17, duplicate_share=0.0, noop_share=0.2)
    previous: dict[str, dict] = {}
    noops = etag_only = identical = later = 0
    for _, event in run(generator, 3_000, ("companies",)):
        number, data = event["resource_id"], event["data"]
        if number in previous:
            later += 1
            before = previous[number]
            if {**data, "etag": ""} == {**before, "etag": ""}:
                noops += 1
                assert "fields_changed" not in event["event"]
                etag_only += data["etag"] != before["etag"]
                identical += data == before
            else:
                assert event["event"]["fields_changed"]
        previous[number] = data
    assert 0.16 < noops / later < 0.24
    assert etag_only > 0 and identical > 0


def test_watched_companies_get_about_watched_share_of_each_streams_events(shared):
    generator, events = shared
    watched = Counter(company_of(e) for _, e in events if company_of(e) in WATCHED)
    per_stream = Counter(stream for stream, e in events if company_of(e) in WATCHED)
    for stream in set(STREAMS) - {"insolvency-cases"}:
        assert 0.04 < per_stream[stream] / len(of(events, stream)) < 0.065, stream
    # A practice's clients rarely fail: the insolvency stream is nearly all the register's.
    assert per_stream["insolvency-cases"] / len(of(events, "insolvency-cases")) < 0.01
    assert set(watched) == set(WATCHED)
    for number in WATCHED:
        assert generator.profile(number)["company_number"] == number
    assert all(n not in WATCHED for n in generator.company_numbers())


# --- company profiles ----------------------------------------------------------------------------


def _changes(before: dict, after: dict) -> set[str]:
    """The kinds of change between two versions of a profile, as a reader would name them."""
    kinds = set()
    if after["company_name"] != before["company_name"]:
        assert after["previous_company_names"][0]["name"] == before["company_name"]
        kinds.add("name")
    if after["company_status"] != before["company_status"]:
        kinds.add(f"status:{after['company_status']}")
    detail = after.get("company_status_detail")
    if detail == "active-proposal-to-strike-off" and before.get("company_status_detail") != detail:
        kinds.add("strike-off proposed")
    if after["registered_office_address"] != before["registered_office_address"]:
        kinds.add("office moved")
    accounts, old_accounts = after.get("accounts", {}), before.get("accounts", {})
    last = accounts.get("last_accounts", {}).get("made_up_to", "")
    if last > old_accounts.get("last_accounts", {}).get("made_up_to", ""):
        assert accounts["next_accounts"]["period_end_on"] > old_accounts["next_accounts"]["period_end_on"]
        kinds.add("accounts filed")
    if accounts.get("overdue") and not old_accounts.get("overdue"):
        kinds.add("accounts overdue")
    if accounts.get("accounting_reference_date") != old_accounts.get("accounting_reference_date"):
        kinds.add("reference date changed")
    statement = after.get("confirmation_statement", {})
    old_statement = before.get("confirmation_statement", {})
    if statement.get("last_made_up_to", "") > old_statement.get("last_made_up_to", ""):
        kinds.add("confirmation statement filed")
    if statement.get("overdue") and not old_statement.get("overdue"):
        kinds.add("confirmation statement overdue")
    for field in ("sic_codes", "has_charges", "has_insolvency_history", "jurisdiction"):
        if after.get(field) != before.get(field):
            kinds.add(field)
    return kinds


def every_few_minutes(i: int) -> str:
    """An event every three minutes from 2025-03-14 09:00: a month of story in 15,000 events."""
    return (datetime(2025, 3, 14, 9, tzinfo=UTC) + timedelta(minutes=3 * i)).strftime("%Y-%m-%dT%H:%M:%S")


def test_profile_changes_of_every_kind_occur_with_their_fields_changed():
    # Most profile changes follow a filing or a step of a company's story, and deadlines pass
    # only as days go by: all streams, over a month.
    generator = Generator(19, duplicate_share=0.0, noop_share=0.0)
    previous: dict[str, dict] = {}
    seen: Counter[str] = Counter()
    for i in range(15_000):
        stream, event = generator.next_mixed(every_few_minutes(i))
        if stream != "companies":
            continue
        number, data = event["resource_id"], event["data"]
        if number not in previous:
            assert "fields_changed" not in event["event"]  # the first event is the baseline
        elif {**data, "etag": ""} != {**previous[number], "etag": ""}:
            before = previous[number]
            kinds = _changes(before, data)
            seen.update(kinds)
            changed_top = {k for k in data.keys() | before.keys() if data.get(k) != before.get(k)} - {"etag"}
            named_top = {field.split(".")[0] for field in event["event"]["fields_changed"]}
            assert changed_top <= named_top, (changed_top, event["event"]["fields_changed"])
            assert data["etag"] != before["etag"]
        previous[number] = data
    expected = {
        "name", "status:liquidation", "status:administration", "status:dissolved", "strike-off proposed",
        "office moved", "accounts filed", "accounts overdue", "reference date changed",
        "confirmation statement filed", "confirmation statement overdue", "sic_codes", "has_charges",
        "has_insolvency_history", "jurisdiction",
    }  # fmt: skip
    assert expected <= set(seen), expected - set(seen)
    assert any(s in seen for s in ("status:receivership", "status:voluntary-arrangement"))


def test_statuses_types_jurisdictions_and_sic_codes_are_chs_own(events):
    profiles = [e["data"] for e in of(events, "companies")]
    for profile in profiles:
        assert profile["company_status"] in CONSTANTS["company_status"]
        assert profile.get("company_status_detail", "active") in CONSTANTS["company_status_detail"]
        assert profile["type"] in CONSTANTS["company_type"]
        assert profile["jurisdiction"] in CONSTANTS["jurisdiction"]
        assert all(code in CONSTANTS["sic_descriptions"] for code in profile.get("sic_codes", []))
        assert re.fullmatch(r"[0-9a-f]{40}", profile["etag"])
        if "accounts" in profile:
            reference = profile["accounts"]["accounting_reference_date"]
            assert reference["day"].isdigit() and len(reference["month"]) == 2
            assert profile["accounts"]["last_accounts"]["type"] in CONSTANTS["account_type"]
        for key in ("date_of_creation", "date_of_cessation"):
            assert key not in profile or ISO_DATE.match(profile[key])
    assert len({p["type"] for p in profiles}) >= 6
    assert len({p["jurisdiction"] for p in profiles}) >= 4


def test_profile_reflects_the_last_profile_event_and_builds_unseen_universe_companies(shared):
    generator, events = shared
    versions: dict[str, list[dict]] = {}
    for event in of(events, "companies"):
        sent = versions.setdefault(event["resource_id"], [])
        if event["data"] not in sent:  # a duplicate re-sends an older version: not the latest
            sent.append(event["data"])
    last = {number: sent[-1] for number, sent in versions.items()}
    for number, data in last.items():
        assert generator.profile(number) == data
    untouched = next(n for n in generator.company_numbers() if n not in last)
    assert generator.profile(untouched)["company_number"] == untouched
    assert (
        generator.profile("SC000001" if "SC000001" not in generator.company_numbers() else "ZZ999999") is None
    )


# --- officers, PSCs, charges, insolvency ---------------------------------------------------------


def test_officers_pscs_charges_and_insolvency_cases_use_chs_values(events):
    officers = [e["data"] for e in of(events, "officers") if e["data"]]
    assert {o["officer_role"] for o in officers} <= set(CONSTANTS["officer_role"])
    assert any("resigned_on" in o for o in officers) and any("resigned_on" not in o for o in officers)
    for officer in officers:
        assert ISO_DATE.match(officer["appointed_on"])
        if "date_of_birth" in officer:
            assert re.fullmatch(r"[A-Z' -]+, [A-Za-z ]+", officer["name"])
            assert set(officer["date_of_birth"]) == {"month", "year"}

    pscs = [e["data"] for e in of(events, "persons-with-significant-control") if e["data"]]
    assert all(set(p["natures_of_control"]) <= set(NATURES) for p in pscs)
    assert any("ceased_on" in p for p in pscs)
    kinds = Counter(e["resource_kind"] for e in of(events, "persons-with-significant-control"))
    assert kinds["company-psc-individual"] > kinds["company-psc-corporate"] > 0

    charges = [e["data"] for e in of(events, "charges") if e["data"]]
    assert {c["status"] for c in charges} == {"outstanding", "fully-satisfied", "part-satisfied"}
    for charge in charges:
        assert charge["charge_code"].endswith(f"{charge['charge_number']:04d}")
        assert charge["persons_entitled"] and ("satisfied_on" in charge) == (
            charge["status"] == "fully-satisfied"
        )

    cases = [case for e in of(events, "insolvency-cases") if e["data"] for case in e["data"]["cases"]]
    assert {c["type"] for c in cases} <= set(CONSTANTS["insolvency_case_type"])
    assert {"creditors-voluntary-liquidation", "compulsory-liquidation", "in-administration"} <= {
        c["type"] for c in cases
    }
    assert {d["type"] for c in cases for d in c["dates"]} <= set(CONSTANTS["insolvency_case_date_type"])
    assert all(p["name"] and p["role"] and p["address"] for c in cases for p in c["practitioners"])
