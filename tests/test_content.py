"""Every CH event in words: golden samples from CH's sample events, the severity table, the
other event kinds, and the same texts in the notification, the email and the admin."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from notifications.content.categories import Category, Severity, filing_category, filing_severity
from notifications.content.describe import describe

SAMPLES = Path(__file__).parent / "data" / "sample-events.ndjson"  # CH's sample events, unchanged
STREAMS = {
    "filing-history": "filings",
    "company-profile": "companies",
    "company-officers": "officers",
    "company-charges": "charges",
    "company-insolvency": "insolvency-cases",
    "company-psc-individual": "persons-with-significant-control",
}
# For profile events whose company has no earlier profile in the file, the profile before it
# (its `fields_changed` put back); without one an event is the baseline and tells nothing.
BEFORE = {
    21: {"company_status_detail": None},
    22: {"confirmation_statement": {"next_due": "2025-09-14"}},
    23: {"accounts": {"overdue": False, "next_due": "2024-12-31"}},
    24: {"company_status": "active"},
    25: {"sic_codes": ["62012"]},
}
FILED = "Form {}, filed on 14 March 2025"
GOLDEN = {
    0: ("accounts", "info", "Micro company accounts made up to 30 June 2024", FILED.format("AA")),
    1: (
        "accounts",
        "info",
        "Micro company accounts made up to 30 June 2024",
        FILED.format("AA") + "\nThe document is available on Companies House.",
    ),
    2: ("confirmation-statement", "info", "Confirmation statement made on 1 March 2025 with no updates",
        FILED.format("CS01")),
    3: ("confirmation-statement", "info", "Confirmation statement made on 1 March 2025 with updates",
        FILED.format("CS01")),
    4: ("officers", "urgent", "Appointment of Ms Aoife Mary Byrne as a director on 10 March 2025",
        FILED.format("AP01")),
    5: ("officers", "urgent",
        "Termination of appointment of Mr David John Hughes as a director on 12 March 2025", FILED.format("TM01")),
    6: ("address", "urgent",
        "Registered office address changed from 1 High Street, Leeds, LS1 4AB to Suite 4, 20 Bank Road, London, "
        "EC2A 1AA on 13 March 2025", FILED.format("AD01")),
    7: ("address", "urgent",
        "Registered office address changed from 5 Mill Lane, Bristol, BS1 5TT to 7 Quay Side, Bristol, BS1 4QA "
        "on 11 March 2025", FILED.format("LLAD01")),
    8: ("mortgage", "normal", "Registration of charge 004455660007, created on 7 March 2025", FILED.format("MR01")),
    9: ("incorporation", "info", "Incorporation", FILED.format("NEWINC")),
    10: ("persons-with-significant-control", "urgent",
         "Notification of Mrs Priya Shah as a person with significant control on 9 March 2025",
         FILED.format("PSC01")),
    11: ("persons-with-significant-control", "urgent",
         "Cessation of Mr Tomasz Nowak as a person with significant control on 9 March 2025", FILED.format("PSC07")),
    12: ("gazette", "urgent", "First Gazette notice for compulsory strike-off", FILED.format("GAZ1")),
    13: ("dissolution", "urgent", "Application to strike the company off the register", FILED.format("DS01")),
    14: ("capital", "info", "Statement of capital following an allotment of shares on 28 February 2025",
         FILED.format("SH01") + "\nCapital: GBP 1,250.00"),
    15: ("accounts", "info", "Current accounting period extended from 31 March 2025 to 30 June 2025",
         FILED.format("AA01")),
    16: ("resolution", "info", "Resolutions", FILED.format("RESOLUTIONS")),
    17: ("officers", "normal", "Director's details changed for Dr Emily Clarke on 3 March 2025", FILED.format("CH01")),
    18: None,  # the first profile of 12345678: the baseline
    19: ("address", "urgent", "Registered office address changed",
         "Registered office address: 1 High Street, Leeds, LS1 4AB, England -> "
         "Suite 4, 20 Bank Road, London, EC2A 1AA, England"),
    20: None,  # the same profile again, another etag: no change
    21: ("dissolution", "urgent", "Proposal to strike off", "Status detail: (none) -> Active proposal to strike off"),
    22: ("confirmation-statement", "info", "Confirmation statement next due changed",
         "Confirmation statement next due: 14 September 2025 -> 15 March 2026"),
    23: ("accounts", "urgent", "Accounts are overdue", "Accounts overdue: No -> Yes"),
    24: ("insolvency", "urgent", "Company status changed to Liquidation", "Status: Active -> Liquidation"),
    25: ("other", "normal", "Nature of business (SIC) changed",
         "Nature of business (SIC): 62012 Business and domestic software development -> "
         "70229 Management consultancy activities other than financial management; "
         "62012 Business and domestic software development"),
    26: None,  # the first profile of NI654321
    27: ("change-of-name", "normal", "Company name changed to BRIGHTER PATH LTD",
          "Company name: BRIGHT PATH LTD -> BRIGHTER PATH LTD"),
    28: ("officers", "urgent", "Officer appointed: BYRNE, Aoife Mary (Director)", "Appointed on 10 March 2025"),
    29: ("officers", "urgent", "Officer resigned: HUGHES, David John (Director)", "Resigned on 12 March 2025"),
    30: ("persons-with-significant-control", "urgent", "New person with significant control: Mrs Priya Shah",
         "Notified on 9 March 2025\nOwnership of shares \u2013 75% or more\nOwnership of voting rights - 75% or more"),
    31: ("mortgage", "normal", "Charge registered: A registered charge (charge 7)",
         "Created on 7 March 2025\nIn favour of Northern Bank PLC"),
    32: ("insolvency", "urgent", "Insolvency: Creditors voluntary liquidation",
         "Commencement of winding up: 12 March 2025\nProposed liquidator: Jane Smith"),
    33: ("other", "normal", "Filing removed from the register", ""),
}  # fmt: skip


def sample_events() -> list[dict]:
    return [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]


def as_event(envelope: dict, previous: dict | None):
    return SimpleNamespace(
        stream=STREAMS[envelope["resource_kind"]],
        data=envelope["data"],
        previous_data=previous,
        event_type=envelope["event"]["type"],
        resource_kind=envelope["resource_kind"],
        company_number=envelope["resource_uri"].split("/")[2],
        published_at=datetime.fromisoformat(envelope["event"]["published_at"]).replace(tzinfo=UTC),
    )


def _reverted(data: dict, before: dict) -> dict:
    profile = copy.deepcopy(data)
    for key, value in before.items():
        if isinstance(value, dict):
            profile[key] = {**profile.get(key, {}), **value}
        elif value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    return profile


def golden_cases():
    latest: dict[str, dict] = {}
    for index, envelope in enumerate(sample_events()):
        previous = None
        if envelope["resource_kind"] == "company-profile":
            number = envelope["resource_uri"].split("/")[2]
            previous = latest.get(number)
            if previous is None and index in BEFORE:
                previous = _reverted(envelope["data"], BEFORE[index])
            latest[number] = envelope["data"]
        yield pytest.param(index, as_event(envelope, previous), id=f"sample-{index}")


@pytest.mark.parametrize(("index", "event"), list(golden_cases()))
def test_each_sample_event_reads_as_expected(index, event):
    content = describe(event)
    got = None if content is None else (content.category, content.severity, content.title, content.body)
    assert got == GOLDEN[index]


def test_every_sample_event_has_a_golden_text():
    assert len(sample_events()) == len(GOLDEN) == 34


@pytest.mark.parametrize(
    ("ch_category", "description", "category", "severity"),
    [
        ("accounts", "accounts-with-accounts-type-full", Category.ACCOUNTS, Severity.INFO),
        ("confirmation-statement", "confirmation-statement-with-updates", Category.CONFIRMATION_STATEMENT,
         Severity.INFO),
        ("annual-return", "annual-return-company-with-made-up-date", Category.CONFIRMATION_STATEMENT, Severity.INFO),
        ("officers", "appoint-person-director-company-with-name-date", Category.OFFICERS, Severity.URGENT),
        ("officers", "termination-secretary-company-with-name-termination-date", Category.OFFICERS, Severity.URGENT),
        ("officers", "change-person-director-company-with-change-date", Category.OFFICERS, Severity.NORMAL),
        ("address", "change-registered-office-address-company-with-date-old-address-new-address", Category.ADDRESS,
         Severity.URGENT),
        ("address", "change-sail-address-company-with-new-address", Category.ADDRESS, Severity.NORMAL),
        ("capital", "capital-allotment-shares", Category.CAPITAL, Severity.INFO),
        ("mortgage", "mortgage-create-with-deed-with-charge-number", Category.MORTGAGE, Severity.NORMAL),
        ("insolvency", "liquidation-voluntary-appointment-of-liquidator", Category.INSOLVENCY, Severity.URGENT),
        ("liquidation", "liquidation-voluntary-statement-of-affairs", Category.INSOLVENCY, Severity.URGENT),
        ("persons-with-significant-control", "notification-of-a-person-with-significant-control", Category.PSC,
         Severity.URGENT),
        ("incorporation", "incorporation-company", Category.INCORPORATION, Severity.INFO),
        ("dissolution", "dissolution-application-strike-off-company", Category.DISSOLUTION, Severity.URGENT),
        ("restoration", "restoration-order-of-court", Category.DISSOLUTION, Severity.URGENT),
        ("resolution", "resolution", Category.RESOLUTION, Severity.INFO),
        ("change-of-constitution", "memorandum-articles", Category.RESOLUTION, Severity.INFO),
        ("gazette", "gazette-notice-compulsory", Category.GAZETTE, Severity.URGENT),
        ("change-of-name", "change-of-name-by-resolution", Category.CHANGE_OF_NAME, Severity.NORMAL),
        ("miscellaneous", "miscellaneous", Category.OTHER, Severity.INFO),
        ("something-new", "some-new-filing", Category.OTHER, Severity.INFO),
        (None, None, Category.OTHER, Severity.INFO),
    ],
)  # fmt: skip
def test_every_filing_category_has_our_category_and_severity(ch_category, description, category, severity):
    got = filing_category({"category": ch_category})
    assert (got, filing_severity(got, description or "")) == (category, severity)


def test_every_category_is_reachable_from_some_event():
    reached = {GOLDEN[i][0] for i in GOLDEN if GOLDEN[i]}
    reached |= {filing_category({"category": c}) for c in ("miscellaneous",)}
    assert reached == set(Category.values)


def _officer(**data):
    return SimpleNamespace(
        stream="officers",
        data={"name": "SMITH, Jane", "officer_role": "secretary", **data},
        previous_data=None,
        event_type="changed",
        resource_kind="company-officers",
        company_number="09876543",
        published_at=datetime(2025, 3, 14, tzinfo=UTC),
    )


def test_an_officer_event_is_an_appointment_a_resignation_or_a_change_of_details():
    assert describe(_officer(appointed_on="2025-03-01")).title == "Officer appointed: SMITH, Jane (Secretary)"
    assert (
        describe(_officer(appointed_on="2016-01-01")).title
        == "Officer details changed: SMITH, Jane (Secretary)"
    )
    assert describe(_officer(appointed_on="2016-01-01")).severity == Severity.NORMAL
    resigned = describe(_officer(appointed_on="2016-01-01", resigned_on="2025-03-12"))
    assert (resigned.title, resigned.severity) == (
        "Officer resigned: SMITH, Jane (Secretary)",
        Severity.URGENT,
    )


def test_events_with_missing_or_mistyped_data_still_read_sensibly():
    for stream, kind in [
        ("filings", "filing-history"),
        ("officers", "company-officers"),
        ("persons-with-significant-control", "company-psc-corporate"),
        ("charges", "company-charges"),
        ("insolvency-cases", "company-insolvency"),
    ]:
        for data in (
            {},
            {"cases": "x", "classification": 3, "natures_of_control": "x", "description_values": 7},
        ):
            event = SimpleNamespace(
                stream=stream,
                data=data,
                previous_data=None,
                event_type="changed",
                resource_kind=kind,
                company_number="09876543",
                published_at=None,
            )
            content = describe(event)
            assert content.title and "{" not in content.title and "*" not in content.title


@pytest.mark.django_db
def test_the_same_words_reach_the_feed_record_the_email_and_the_admin(ashford_list, alice, operator, client):
    from django.core import mail

    from notifications.delivery.sending import deliver
    from notifications.fan_out import fan_out_events
    from notifications.models import Delivery, Notification
    from tests.notifykit import stored_officer_change

    event = stored_officer_change("09876543", name="O'BRIEN, Siobhan")
    fan_out_events([event.id])
    notification = Notification.objects.get()
    words = describe(event)
    assert (notification.title, notification.body) == (words.title, words.body)
    assert notification.title == "Officer appointed: O'BRIEN, Siobhan (Director)"

    deliver([Delivery.objects.get().id])
    (message,) = mail.outbox
    assert words.title in message.subject and words.title in message.body and words.body in message.body

    client.force_login(operator)
    for url in (
        f"/admin/notifications/notification/?q={event.company_number}",
        f"/admin/streams/event/{event.id}/change/",
    ):
        page = client.get(url).content.decode()
        assert "Officer appointed: O&#x27;BRIEN, Siobhan (Director)" in page
