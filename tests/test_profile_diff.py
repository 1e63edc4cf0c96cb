"""Profile diffs in words: each meaningful field, addresses on one line, no-ops and first sightings."""

from __future__ import annotations

import copy

import pytest

from notifications.content.profile_diff import address_line, diff_profiles

BASE = {
    "company_number": "12345678",
    "company_name": "HUGHES & SHAH CONSULTING LTD",
    "company_status": "active",
    "type": "ltd",
    "jurisdiction": "england-wales",
    "registered_office_address": {
        "address_line_1": "1 High Street",
        "locality": "Leeds",
        "postal_code": "LS1 4AB",
        "country": "England",
    },
    "accounts": {
        "accounting_reference_date": {"day": "31", "month": "03"},
        "next_due": "2025-12-31",
        "next_made_up_to": "2025-03-31",
        "overdue": False,
    },
    "confirmation_statement": {"next_due": "2025-09-14", "next_made_up_to": "2025-08-31", "overdue": False},
    "sic_codes": ["62020"],
    "has_charges": False,
    "has_insolvency_history": False,
    "can_file": True,
    "etag": "d3ac94af0f21ddb66cad4a268d116ece1738f7d9",
    "links": {"self": "/company/12345678"},
}


MOVED = {
    "premises": "Suite 4",
    "address_line_1": "20 Bank Road",
    "locality": "London",
    "postal_code": "EC2A 1AA",
    "country": "England",
}


def changed(**paths) -> dict:
    after = copy.deepcopy(BASE)
    for path, value in paths.items():
        target = after
        *parents, last = path.split("__")
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return after


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (
            changed(company_name="HUGHES SHAH LTD"),
            "Company name: HUGHES & SHAH CONSULTING LTD -> HUGHES SHAH LTD",
        ),
        (changed(company_status="liquidation"), "Status: Active -> Liquidation"),
        (changed(company_status="administration"), "Status: Active -> In Administration"),
        (changed(company_status="dissolved"), "Status: Active -> Dissolved"),
        (
            changed(company_status_detail="active-proposal-to-strike-off"),
            "Status detail: (none) -> Active proposal to strike off",
        ),
        (
            changed(registered_office_address=MOVED),
            "Registered office address: 1 High Street, Leeds, LS1 4AB, England -> "
            "Suite 4, 20 Bank Road, London, EC2A 1AA, England",
        ),
        (changed(accounts__overdue=True), "Accounts overdue: No -> Yes"),
        (changed(accounts__next_due="2026-12-31"), "Accounts next due: 31 December 2025 -> 31 December 2026"),
        (
            changed(accounts__next_made_up_to="2026-03-31"),
            "Accounts next made up to: 31 March 2025 -> 31 March 2026",
        ),
        (
            changed(accounts__accounting_reference_date={"day": "30", "month": "06"}),
            "Accounting reference date: 31 March -> 30 June",
        ),
        (changed(confirmation_statement__overdue=True), "Confirmation statement overdue: No -> Yes"),
        (
            changed(confirmation_statement__next_due="2026-09-14"),
            "Confirmation statement next due: 14 September 2025 -> 14 September 2026",
        ),
        (
            changed(sic_codes=["62020", "70229"]),
            "Nature of business (SIC): 62020 Information technology consultancy activities -> "
            "62020 Information technology consultancy activities; 70229 Management consultancy activities "
            "other than financial management",
        ),
        (changed(jurisdiction="scotland"), "Jurisdiction: England/Wales -> Scotland"),
        (changed(has_charges=True), "Has charges: No -> Yes"),
        (changed(has_insolvency_history=True), "Has insolvency history: No -> Yes"),
        (changed(can_file=False), "Can file: Yes -> No"),
    ],
)  # fmt: skip
def test_each_meaningful_field_is_told_as_before_and_after_in_words(after, expected):
    assert [str(c) for c in diff_profiles(BASE, after)] == [expected]


def test_several_changes_come_in_reading_order():
    after = changed(company_name="NEW NAME LTD", accounts__overdue=True, company_status="liquidation")
    assert [c.key for c in diff_profiles(BASE, after)] == [
        "company_name",
        "company_status",
        "accounts.overdue",
    ]


@pytest.mark.parametrize(
    "after",
    [
        changed(etag="0" * 40),
        changed(links={"self": "/company/12345678", "officers": "/company/12345678/officers"}),
        changed(sic_codes=["62020"]),
        changed(date_of_creation="2016-09-01"),  # not a field people are told about
        copy.deepcopy(BASE),
    ],
)
def test_changes_that_mean_nothing_to_a_person_are_no_change(after):
    assert diff_profiles(BASE, after) == []


def test_the_first_profile_seen_is_the_baseline_and_tells_nothing():
    assert diff_profiles(None, BASE) == []


def test_an_address_is_one_line_in_envelope_order_with_care_of_and_po_box():
    assert (
        address_line(
            {
                "care_of": "Smith & Co",
                "po_box": "123",
                "premises": "Unit 2",
                "address_line_1": "Mill Lane",
                "address_line_2": "Little Hamlet",
                "locality": "York",
                "region": "North Yorkshire",
                "postal_code": "YO1 7AA",
                "country": "England",
            }
        )
        == "c/o Smith & Co, PO Box 123, Unit 2, Mill Lane, Little Hamlet, York, North Yorkshire, YO1 7AA, "
        "England"
    )
    assert address_line({}) == "(none)"
    assert address_line(None) == "(none)"


def test_wrong_types_from_outside_never_crash():
    weird = changed(sic_codes="62020", registered_office_address="somewhere", accounts=None)
    assert all(str(c) for c in diff_profiles(BASE, weird))
    assert diff_profiles(BASE, "not a dict") == []
