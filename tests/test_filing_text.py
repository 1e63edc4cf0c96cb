"""CH filing-history items in the words an accountant reads (notifications/filing_text.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from notifications.content.filing_text import TITLE_LIMIT, filing_body, filing_title, render_description

ENUMERATIONS = Path(__file__).resolve().parent.parent / "streams" / "enumerations"
# CH's sample events (tests/data/sample-events.ndjson): CH's envelope and field names, invented values.
SAMPLES = Path(__file__).resolve().parent / "data" / "sample-events.ndjson"
DESCRIPTIONS = yaml.safe_load((ENUMERATIONS / "filing_history_descriptions.yml").read_text("utf-8"))[
    "description"
]

OFFICER = "Ms Aoife Mary Byrne"
OLD_ADDRESS = "1 High Street, Leeds, LS1 4AB"
NEW_ADDRESS = "Suite 4, 20 Bank Road, London, EC2A 1AA"

# (code, description_values, what the accountant reads)
REAL_CODES = [
    # accounts
    (
        "accounts-with-accounts-type-micro-entity",
        {"made_up_date": "2023-03-31"},
        "Micro company accounts made up to 31 March 2023",
    ),
    (
        "accounts-with-accounts-type-dormant",
        {"made_up_date": "2024-12-31"},
        "Accounts for a dormant company made up to 31 December 2024",
    ),
    (
        "accounts-with-accounts-type-full",
        {"made_up_date": "2024-01-01"},
        "Full accounts made up to 1 January 2024",
    ),
    (
        "accounts-with-accounts-type-full-group",
        {"made_up_date": "2023-12-31"},
        "Full group accounts made up to 31 December 2023",
    ),
    (
        "accounts-with-accounts-type-total-exemption-full",
        {"made_up_date": "2023-06-30"},
        "Total exemption full accounts made up to 30 June 2023",
    ),
    (
        "accounts-with-accounts-type-small",
        {"made_up_date": "2024-05-31"},
        "Accounts for a small company made up to 31 May 2024",
    ),
    (
        "accounts-with-accounts-type-group",
        {"made_up_date": "2022-09-30"},
        "Group of companies' accounts made up to 30 September 2022",
    ),
    (
        "accounts-with-accounts-type-unaudited-abridged",
        {"made_up_date": "2024-02-29"},
        "Unaudited abridged accounts made up to 29 February 2024",
    ),
    (
        "change-account-reference-date-company-previous-shortened",
        {"made_up_date": "2024-09-30", "new_date": "2024-06-30"},
        "Previous accounting period shortened from 30 September 2024 to 30 June 2024",
    ),
    (
        "change-account-reference-date-company-current-extended",
        {"made_up_date": "2025-03-31", "new_date": "2025-06-30"},
        "Current accounting period extended from 31 March 2025 to 30 June 2025",
    ),
    # confirmation statements and annual returns
    (
        "confirmation-statement-with-no-updates",
        {"made_up_date": "2025-03-01"},
        "Confirmation statement made on 1 March 2025 with no updates",
    ),
    (
        "confirmation-statement-with-updates",
        {"made_up_date": "2025-03-01"},
        "Confirmation statement made on 1 March 2025 with updates",
    ),
    (
        "confirmation-statement-with-made-up-date",
        {"made_up_date": "2024-11-08"},
        "Confirmation statement made on 8 November 2024",
    ),
    (
        "annual-return-company-with-made-up-date-full-list-shareholders",
        {"made_up_date": "2015-07-04"},
        "Annual return made up to 4 July 2015 with full list of shareholders",
    ),
    (
        "annual-return-company-with-made-up-date-changes-to-shareholders",
        {"made_up_date": "2015-07-04"},
        "Annual return made up to 4 July 2015. List of shareholders has changed",
    ),
    (
        "annual-return-company-with-made-up-date-no-shareholders-list",
        {"made_up_date": "2014-07-04"},
        "Annual return made up to 4 July 2014, no shareholder list provided",
    ),
    # officers: appointments
    (
        "appoint-person-director-company-with-name-date",
        {"officer_name": OFFICER, "appointment_date": "2025-03-10"},
        "Appointment of Ms Aoife Mary Byrne as a director on 10 March 2025",
    ),
    (
        "appoint-corporate-secretary-company-with-name-date",
        {"officer_name": "Acme Secretaries Limited", "appointment_date": "2024-10-01"},
        "Appointment of Acme Secretaries Limited as a secretary on 1 October 2024",
    ),
    (
        "appoint-person-member-limited-liability-partnership-with-appointment-date",
        {"officer_name": "Mr Rajesh Kumar", "appointment_date": "2024-04-06"},
        "Appointment of Mr Rajesh Kumar as a member on 6 April 2024",
    ),
    ("appoint-person-director-company", {}, "Appointment of a director"),
    (
        "appoint-person-authorised-represent-overseas-company-with-appointment-date",
        {"officer_name": "Mr Jean Dupont", "branch_number": "BR012345", "change_date": "2024-04-02"},
        "Appointment of Mr Jean Dupont as a person authorised to represent UK establishment BR012345 "
        "on 2 April 2024.",
    ),
    # officers: terminations
    (
        "termination-director-company-with-name-termination-date",
        {"officer_name": "Mr David John Hughes", "termination_date": "2025-03-12"},
        "Termination of appointment of Mr David John Hughes as a director on 12 March 2025",
    ),
    (
        "termination-secretary-company-with-name",
        {"officer_name": "Mrs Helen Wright"},
        "Termination of appointment of Mrs Helen Wright as a secretary",
    ),
    (
        "termination-member-limited-liability-partnership-with-name-termination-date",
        {"officer_name": "Acme Nominees Ltd", "termination_date": "2023-01-15"},
        "Termination of appointment of Acme Nominees Ltd as a member on 15 January 2023",
    ),
    (
        "termination-person-general-partner-limited-partnership-with-name-termination-date",
        {"officer_name": "Mr Ian Ross", "termination_date": "2024-08-20"},
        "Cessation of appointment of Mr Ian Ross as a general partner on 20 August 2024",
    ),
    # officers: change of details
    (
        "change-person-director-company-with-change-date",
        {"officer_name": "Dr Emily Clarke", "change_date": "2025-03-03"},
        "Director's details changed for Dr Emily Clarke on 3 March 2025",
    ),
    (
        "change-person-secretary-company-with-change-date",
        {"officer_name": "Mr Owen Price", "change_date": "2024-12-09"},
        "Secretary's details changed for Mr Owen Price on 9 December 2024",
    ),
    (
        "change-person-member-limited-liability-partnership-with-name-change-date",
        {"officer_name": "Ms Lucy Evans", "change_date": "2024-07-01"},
        "Member's details changed for Ms Lucy Evans on 1 July 2024",
    ),
    (
        "change-person-authorised-overseas-company-with-change-date",
        {
            "officer_name": "Mr Jean Dupont",
            "officer_address": "10 Rue de la Paix, Paris, 75002",
            "branch_number": "BR012345",
            "change_date": "2024-04-02",
        },
        "Change of details for Mr Jean Dupont of 10 Rue de la Paix, Paris, 75002 as a person authorised "
        "to represent UK establishment BR012345 on 2 April 2024",
    ),
    # addresses
    (
        "change-registered-office-address-company-with-date-old-address-new-address",
        {"change_date": "2025-03-13", "old_address": OLD_ADDRESS, "new_address": NEW_ADDRESS},
        "Registered office address changed from 1 High Street, Leeds, LS1 4AB to Suite 4, 20 Bank Road, "
        "London, EC2A 1AA on 13 March 2025",
    ),
    (
        "change-registered-office-address-company-with-date-old-address",
        {"change_date": "2025-01-02", "old_address": OLD_ADDRESS},
        "Registered office address changed from 1 High Street, Leeds, LS1 4AB on 2 January 2025",
    ),
    (
        "change-registered-office-address-limited-liability-partnership-with-date-old-address-new-address",
        {
            "change_date": "2025-03-11",
            "old_address": "5 Mill Lane, Bristol, BS1 5TT",
            "new_address": "7 Quay Side",
        },
        "Registered office address changed from 5 Mill Lane, Bristol, BS1 5TT to 7 Quay Side "
        "on 11 March 2025",
    ),
    (
        "change-sail-address-company-with-old-address-new-address",
        {"old_address": OLD_ADDRESS, "new_address": NEW_ADDRESS},
        "Register inspection address has been changed from 1 High Street, Leeds, LS1 4AB to Suite 4, "
        "20 Bank Road, London, EC2A 1AA",
    ),
    (
        "change-registered-office-situation-company-with-old-jurisdiction-new-jurisdiction-date",
        {"old_jurisdiction": "England/Wales", "new_jurisdiction": "Wales", "change_date": "2024-03-01"},
        "Change the registered office situation from England/Wales to Wales on 1 March 2024",
    ),
    # capital and shares
    (
        "capital-allotment-shares",
        {"date": "2025-02-28", "capital": [{"figure": "1,250.00", "currency": "GBP"}]},
        "Statement of capital following an allotment of shares on 28 February 2025",
    ),
    (
        "capital-alter-shares-subdivision-statement-of-capital",
        {"date": "2024-06-14"},
        "Sub-division of shares Statement of capital on 14 June 2024",
    ),
    (
        "capital-cancellation-shares",
        {"date": "2024-05-02"},
        "Cancellation of shares. Statement of capital on 2 May 2024",
    ),
    (
        "capital-return-purchase-own-shares-treasury-capital-date",
        {"capital": [{"figure": "500", "currency": "GBP", "date": "2024-05-02"}]},
        "Purchase of own shares. Shares purchased into treasury",
    ),
    (
        "capital-return-purchase-own-shares-capital-date",
        {"date": "2023-11-30"},
        "Purchase of own shares. Capital on 30 November 2023",
    ),
    ("resolution-securities", {}, "Resolution of allotment of securities"),
    # mortgages and charges
    (
        "mortgage-create-with-deed-with-charge-number-charge-creation-date",
        {"charge_number": "004455660007", "charge_creation_date": "2025-03-07"},
        "Registration of charge 004455660007, created on 7 March 2025",
    ),
    (
        "mortgage-create-without-deed-with-charge-number-charge-creation-date",
        {"charge_number": "SC1234560002", "charge_creation_date": "2024-09-19"},
        "Registration of charge SC1234560002, created on 19 September 2024 without deed",
    ),
    (
        "mortgage-satisfy-charge-full-with-date",
        {"charge_number": "004455660003", "mortgage_satisfaction_date": "2024-10-31"},
        "Satisfaction of charge 004455660003 in full on 31 October 2024",
    ),
    ("mortgage-satisfy-charge-part", {"charge_number": "11"}, "Satisfaction of charge 11 in part"),
    (
        "mortgage-charge-whole-release-with-charge-number-satisfaction-date",  # its text says {charge number}
        {"charge_number": "004455660001", "mortgage_satisfaction_date": "2024-02-01"},
        "All of the property or undertaking has been released from charge 004455660001 on 1 February 2024",
    ),
    (
        "mortgage-acquire-with-deed-with-court-order-extend-with-charge-number-charge-acquisition-date",
        {"charge_number": "004455660009", "property_acquired_date": "2024-03-15"},
        "Registration of an acquisition with court order to extend. Charge code 004455660009, "
        "acquired on 15 March 2024",
    ),
    (
        "mortgage-alter-charge-with-charge-number-charge-creation-date",
        {"charge_number": "004455660004", "charge_creation_date": "2019-05-20"},
        "Alteration to charge 004455660004, created on 20 May 2019",
    ),
    # insolvency and liquidation
    (
        "liquidation-voluntary-statement-of-receipts-and-payments-with-brought-down-date",
        {"brought_down_date": "2024-12-11"},
        "Liquidators' statement of receipts and payments to 11 December 2024",
    ),
    (
        "liquidation-in-administration-progress-report-with-brought-down-date",
        {"brought_down_date": "2025-01-20"},
        "Administrator's progress report to 20 January 2025",
    ),
    (
        "liquidation-compulsory-winding-up-order-with-case-start-date",
        {"case_start_date": "2024-07-03"},
        "Order of court to wind up on 3 July 2024",
    ),
    ("liquidation-voluntary-declaration-of-solvency", {}, "Declaration of solvency"),
    ("liquidation-in-administration-appointment-of-administrator", {}, "Appointment of an administrator"),
    (
        "liquidation-voluntary-statement-of-affairs-with-form-attached",
        {"form_attached": "LIQ02"},
        "Statement of affairs with form LIQ02",
    ),
    ("liquidation-compulsory-notice-winding-up", {}, "Notice of order of court to wind up."),
    # persons with significant control
    (
        "notification-of-a-person-with-significant-control",
        {"psc_name": "Mrs Priya Shah", "notification_date": "2025-03-09"},
        "Notification of Mrs Priya Shah as a person with significant control on 9 March 2025",
    ),
    (
        "cessation-of-a-person-with-significant-control",
        {"psc_name": "Mr Tomasz Nowak", "cessation_date": "2025-03-09"},
        "Cessation of Mr Tomasz Nowak as a person with significant control on 9 March 2025",
    ),
    (
        "change-to-a-person-with-significant-control",
        {"psc_name": "Shah Holdings Ltd", "change_date": "2024-06-06"},
        "Change of details for Shah Holdings Ltd as a person with significant control on 6 June 2024",
    ),
    (
        "withdrawal-of-a-person-with-significant-control-statement",
        {"withdrawal_date": "2024-02-12"},
        "Withdrawal of a person with significant control statement on 12 February 2024",
    ),
    (
        "notification-of-a-person-with-significant-control-statement",
        {},
        "Notification of a person with significant control statement",
    ),
    (
        "second-filing-notification-of-a-person-with-significant-control",
        {"psc_name": "Mrs Priya Shah"},
        "Second filing for the notification of Mrs Priya Shah as a person with significant control",
    ),
    # incorporation
    ("incorporation-company", {}, "Incorporation"),
    (
        "incorporation-company-with-type-date",
        {"company_type": "Private limited company", "incorporation_date": "2024-08-12"},
        "Incorporation of a Private limited company on 12 August 2024",
    ),
    (
        "incorporation-limited-liability-partnership-with-date",
        {"incorporation_date": "2023-04-01"},
        "Incorporation of a limited liability partnership on 1 April 2023",
    ),
    # dissolution and the gazette
    ("gazette-notice-compulsory", {}, "First Gazette notice for compulsory strike-off"),
    ("gazette-dissolved-voluntary", {}, "Final Gazette dissolved via voluntary strike-off"),
    ("gazette-filings-brought-up-to-date", {}, "Compulsory strike-off action has been discontinued"),
    ("dissolution-application-strike-off-company", {}, "Application to strike the company off the register"),
    (
        "dissolution-closure-of-uk-establishment-and-overseas-company",
        {"branch_number": "BR012345", "company_number": "FC012345", "close_date": "2024-10-10"},
        "Closure of UK establishment(s) BR012345 and overseas company FC012345 on 10 October 2024",
    ),
    # resolutions
    ("resolution", {}, "Resolutions"),
    (
        "resolution-change-of-name",
        {"resolution_date": "2025-02-17"},
        "Change company name resolution on 17 February 2025",
    ),
    ("special-resolution-reduction-capital", {}, "Special resolution of reduction in issued share capital"),
    ("resolution-adopt-articles", {}, "Resolution of adoption of Articles of Association"),
    # change of name
    ("change-of-name-by-resolution", {}, "Change of name by resolution"),
    ("certificate-change-of-name-company", {}, "Certificate of change of name"),
    (
        "change-of-name-overseas-by-resolution-with-date",
        {"change_date": "2024-09-09", "change_name": "OLD NAME LIMITED"},
        "Change of registered name of an overseas company on 9 September 2024 from OLD NAME LIMITED",
    ),
    (
        "change-of-name-direction",
        {"change_date": "2023-05-05"},
        "Change of company name direction on 5 May 2023",
    ),
    # second filings and miscellaneous
    (
        "second-filing-of-form-with-form-type-made-up-date",
        {"form_type": "CS01", "made_up_date": "2024-03-01"},
        "Second filing of CS01 previously delivered to Companies House made up to 1 March 2024",
    ),
    ("miscellaneous", {}, "Miscellaneous"),
]


@pytest.mark.parametrize(("code", "values", "expected"), REAL_CODES, ids=[row[0] for row in REAL_CODES])
def test_it_renders_real_codes_as_companies_house_writes_them(code, values, expected):
    assert code in DESCRIPTIONS
    assert render_description(code, values) == expected


def test_the_table_covers_at_least_sixty_distinct_real_codes():
    assert len({row[0] for row in REAL_CODES}) >= 60


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-03-31", "31 March 2023"),
        ("2023-03-05", "5 March 2023"),
        ("2023-03-31T00:00:00", "31 March 2023"),
        ("2023-03-31T10:22:07Z", "31 March 2023"),
        ("2023-03-31T10:22:07.123+01:00", "31 March 2023"),
        (" 2023-03-31 ", "31 March 2023"),
        ("2023-02-30", "2023-02-30"),  # not a date: written as given
        ("31/03/2023", "31/03/2023"),
    ],
)
def test_it_writes_iso_dates_as_companies_house_does(value, expected):
    text = render_description("accounts-with-accounts-type-micro-entity", {"made_up_date": value})
    assert text == f"Micro company accounts made up to {expected}"


def test_it_strips_strings_and_writes_numbers_as_they_are():
    code = "mortgage-create-with-deed-with-charge-number-charge-creation-date"
    assert (
        render_description(code, {"charge_number": 7, "charge_creation_date": "  2025-03-07\n"})
        == "Registration of charge 7, created on 7 March 2025"
    )
    assert render_description("mortgage-satisfy-charge-part", {"charge_number": 12.5}) == (
        "Satisfaction of charge 12.5 in part"
    )
    assert render_description(
        "termination-secretary-company-with-name", {"officer_name": "  Mrs   Helen\nWright "}
    ) == ("Termination of appointment of Mrs Helen Wright as a secretary")


# --- legacy and free-text descriptions -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "values", "expected"),
    [
        (
            "legacy",
            {"description": "return made up to 31/12/99; full list of members"},
            "Return made up to 31/12/99; full list of members",
        ),
        ("legacy", {"description": "  New director appointed  "}, "New director appointed"),
        (
            "annotation",
            {"description": "Clarification A second filed AP01 was registered on 1 March 2025."},
            "Clarification A second filed AP01 was registered on 1 March 2025.",
        ),
        # CH's site shows description_values.description whenever there is one, whatever the code
        ("miscellaneous", {"description": "Section 519"}, "Section 519"),
        (
            "confirmation-statement",
            {"original_description": "Confirmation statement made 1 March 2017"},
            "Confirmation statement made 1 March 2017",
        ),
    ],
)
def test_it_uses_the_text_a_legacy_or_free_text_filing_carries(code, values, expected):
    assert render_description(code, values) == expected


def test_a_legacy_filing_without_its_text_still_reads():
    assert render_description("legacy", {}) == "Legacy"
    assert render_description("legacy", {"description": "   "}, form_type="363s") == "Legacy (form 363s)"
    assert render_description("annotation", None) == "Annotation"
    assert (
        render_description("confirmation-statement", {}, form_type="CS01")
        == "Confirmation statement (form CS01)"
    )


# --- unknown and missing codes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "form_type", "expected"),
    [
        ("some-new-thing", None, "Some new thing"),
        ("some-new-thing", "XY01", "Some new thing (form XY01)"),
        ("some_new_thing", " XY01 ", "Some new thing (form XY01)"),
        (None, None, "Filing"),
        (None, "AA", "Filing (form AA)"),
        ("", "AA", "Filing (form AA)"),
        ("   ", None, "Filing"),
        ("---", "AA", "Filing (form AA)"),
        (123, None, "Filing"),
        (["accounts"], 7, "Filing"),
    ],
)
def test_an_unknown_or_missing_code_falls_back_to_readable_words(code, form_type, expected):
    assert render_description(code, {"made_up_date": "2023-03-31"}, form_type=form_type) == expected


def test_a_known_code_does_not_add_the_form_type():
    assert render_description("incorporation-company", {}, form_type="NEWINC") == "Incorporation"


# --- missing values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "values", "expected"),
    [
        ("accounts-with-accounts-type-micro-entity", {}, "Micro company accounts"),
        ("accounts-with-accounts-type-micro-entity", {"made_up_date": ""}, "Micro company accounts"),
        ("confirmation-statement-with-no-updates", {}, "Confirmation statement with no updates"),
        (
            "appoint-person-director-company-with-name-date",
            {"appointment_date": "2025-03-10"},
            "Appointment as a director on 10 March 2025",
        ),
        (
            "appoint-person-director-company-with-name-date",
            {"officer_name": OFFICER},
            "Appointment of Ms Aoife Mary Byrne as a director",
        ),
        (
            "change-registered-office-address-company-with-date-old-address-new-address",
            {"new_address": NEW_ADDRESS},
            "Registered office address changed to Suite 4, 20 Bank Road, London, EC2A 1AA",
        ),
        (
            "change-registered-office-address-company-with-date-old-address-new-address",
            {},
            "Registered office address changed",
        ),
        (
            "mortgage-create-with-deed-with-charge-number-charge-creation-date",
            {"charge_creation_date": "2025-03-07"},
            "Registration of charge, created on 7 March 2025",
        ),
        (
            "mortgage-create-with-deed-with-charge-number-charge-creation-date",
            {"charge_number": "004455660007"},
            "Registration of charge 004455660007",
        ),
        (
            "incorporation-company-with-type-date",
            {"incorporation_date": "2024-08-12"},
            "Incorporation on 12 August 2024",
        ),
        (
            "appoint-person-authorised-represent-overseas-company-with-appointment-date",
            {"officer_name": "Mr Jean Dupont"},
            "Appointment of Mr Jean Dupont as a person authorised to represent UK establishment.",
        ),
        (
            "termination-person-authorised-overseas-company",
            {},
            "Termination of appointment for a UK establishment",
        ),
        (
            "annual-return-add-person-authorised-to-represent-to-uk-establishment",
            {},
            "Transitional return - person authorised to represent",
        ),
        ("resolution-change-of-name", {}, "Change company name resolution"),
    ],
)
def test_a_missing_value_drops_its_placeholder_and_the_words_leading_to_it(code, values, expected):
    assert render_description(code, values) == expected


# --- wrong types -----------------------------------------------------------------------------


@pytest.mark.parametrize("values", [None, 5, 2.5, "made_up_date", ["2023-03-31"], ("a", "b"), True, object()])
def test_description_values_of_the_wrong_type_count_as_none(values):
    assert render_description("accounts-with-accounts-type-micro-entity", values) == "Micro company accounts"


@pytest.mark.parametrize("value", [None, ["2023-03-31"], {"date": "2023-03-31"}, True, False, object()])
def test_a_value_of_the_wrong_type_counts_as_missing(value):
    values = {"officer_name": value, "appointment_date": value}
    text = render_description("appoint-person-director-company-with-name-date", values)
    assert text == "Appointment as a director"


def test_a_description_of_the_wrong_type_is_not_the_text():
    values = {"description": ["x"], "made_up_date": "2023-03-31"}
    text = render_description("accounts-with-accounts-type-micro-entity", values)
    assert text == "Micro company accounts made up to 31 March 2023"


# --- the whole file --------------------------------------------------------------------------


def _value_for(name: str) -> tuple[str, str]:
    """A value for a placeholder, and how it reads."""
    if name == "date" or name.endswith("date"):
        return "2024-05-17", "17 May 2024"
    return f"value of {name}", f"value of {name}"


@pytest.mark.parametrize("code", sorted(DESCRIPTIONS))
def test_every_code_in_the_file_renders_plain_text_with_or_without_its_values(code):
    names = re.findall(r"\{([^{}]*)\}", DESCRIPTIONS[code])
    full = render_description(code, {name.replace(" ", "_"): _value_for(name)[0] for name in names})
    empty = render_description(code, {})
    for text in (full, empty):
        assert text.strip() == text and text
        assert not set(text) & set("{}*"), text
    for name in names:
        assert _value_for(name)[1] in full


# --- titles and bodies -----------------------------------------------------------------------


def test_the_title_is_the_rendered_description_of_the_item():
    data = {
        "type": "AA",
        "description": "accounts-with-accounts-type-micro-entity",
        "description_values": {"made_up_date": "2023-03-31"},
    }
    assert filing_title(data) == "Micro company accounts made up to 31 March 2023"


def test_the_title_of_an_item_with_nothing_usable_still_reads():
    assert filing_title({}) == "Filing"
    assert filing_title({"type": "AA"}) == "Filing (form AA)"
    assert filing_title({"description": "brand-new-code", "type": "ZZ01"}) == "Brand new code (form ZZ01)"
    assert filing_title(None) == "Filing"  # type: ignore[arg-type]
    assert filing_title({"description": 5, "description_values": "x", "type": ["AA"]}) == "Filing"


def test_the_title_is_at_most_300_characters():
    data = {"description": "legacy", "description_values": {"description": "word " * 200}}
    title = filing_title(data)
    assert len(title) == TITLE_LIMIT
    assert title.endswith("word…")


def test_the_body_says_the_form_the_date_and_whether_the_document_is_available():
    data = {"type": "AA", "date": "2025-03-14", "links": {"self": "/company/09876543/filing-history/X"}}
    assert filing_body(data) == "Form AA, filed on 14 March 2025"
    data["links"]["document_metadata"] = "https://document-api.company-information.service.gov.uk/document/X"
    assert (
        filing_body(data) == "Form AA, filed on 14 March 2025\nThe document is available on Companies House."
    )


def test_the_body_lists_the_statement_of_capital():
    data = {
        "type": "SH01",
        "date": "2025-03-14",
        "description_values": {
            "date": "2025-02-28",
            "capital": [
                {"figure": "1,250.00", "currency": "GBP"},
                {"figure": "300", "currency": "EUR", "date": "2025-02-28"},
                "junk",
                {"figure": None},
            ],
        },
    }
    assert (
        filing_body(data)
        == "Form SH01, filed on 14 March 2025\nCapital: GBP 1,250.00; EUR 300 on 28 February 2025"
    )


def test_the_body_has_a_line_for_each_resolution_and_annotation():
    data = {
        "type": "RESOLUTIONS",
        "date": "2025-03-14",
        "resolutions": [
            {
                "type": "RES15",
                "description": "resolution-change-of-name",
                "description_values": {"resolution_date": "2025-02-17"},
            },
            {"type": "RES01", "description": "resolution-adopt-articles"},
            {
                "description": "legacy",
                "description_values": {"description": "resolution to wind up voluntarily"},
            },
            {"type": "RES99", "description": "unheard-of-resolution"},
            "not a resolution",
        ],
        "annotations": [
            {
                "annotation": "Clarification",
                "description": "annotation",
                "description_values": {"description": "Clarification this document was replaced"},
                "date": "2025-03-20",
            }
        ],
    }
    assert filing_body(data).splitlines() == [
        "Form RESOLUTIONS, filed on 14 March 2025",
        "Resolution: Change company name resolution on 17 February 2025",
        "Resolution: Resolution of adoption of Articles of Association",
        "Resolution: Resolution to wind up voluntarily",
        "Resolution: Unheard of resolution (form RES99)",
        "Annotation: Clarification this document was replaced",
    ]


def test_the_body_stops_listing_after_ten_resolutions():
    data = {"resolutions": [{"description": "resolution-securities"}] * 13}
    lines = filing_body(data).splitlines()
    assert len(lines) == 11
    assert lines[-1] == "… and 3 more resolutions"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ""),
        (None, ""),
        ("junk", ""),
        ({"type": "AA"}, "Form AA"),
        ({"date": "2025-03-14"}, "Filed on 14 March 2025"),
        ({"type": "AA", "date": "yesterday"}, "Form AA"),
        ({"type": 5, "date": 20250314}, ""),
        ({"links": "document_metadata"}, ""),
        ({"links": {"document_metadata": None}}, ""),
        ({"resolutions": {"description": "resolution"}, "annotations": "x"}, ""),
        ({"description_values": {"capital": "GBP 1"}}, ""),
    ],
)
def test_the_body_survives_missing_keys_and_wrong_types(data, expected):
    assert filing_body(data) == expected


# --- the sample events -----------------------------------------------------------------------

# Every filing-history event in sample-events.ndjson, in file order, with its title.
SAMPLE_TITLES = [
    "Micro company accounts made up to 30 June 2024",
    "Micro company accounts made up to 30 June 2024",  # the same filing, now with its document
    "Confirmation statement made on 1 March 2025 with no updates",
    "Confirmation statement made on 1 March 2025 with updates",
    "Appointment of Ms Aoife Mary Byrne as a director on 10 March 2025",
    "Termination of appointment of Mr David John Hughes as a director on 12 March 2025",
    "Registered office address changed from 1 High Street, Leeds, LS1 4AB to Suite 4, 20 Bank Road, "
    "London, EC2A 1AA on 13 March 2025",
    "Registered office address changed from 5 Mill Lane, Bristol, BS1 5TT to 7 Quay Side, Bristol, "
    "BS1 4QA on 11 March 2025",
    "Registration of charge 004455660007, created on 7 March 2025",
    "Incorporation",
    "Notification of Mrs Priya Shah as a person with significant control on 9 March 2025",
    "Cessation of Mr Tomasz Nowak as a person with significant control on 9 March 2025",
    "First Gazette notice for compulsory strike-off",
    "Application to strike the company off the register",
    "Statement of capital following an allotment of shares on 28 February 2025",
    "Current accounting period extended from 31 March 2025 to 30 June 2025",
    "Resolutions",
    "Director's details changed for Dr Emily Clarke on 3 March 2025",
    "Filing",  # a deleted event: its data is empty
]


def _sample_filings() -> list[dict]:
    events = [json.loads(line) for line in SAMPLES.read_text("utf-8").splitlines() if line.strip()]
    return [event["data"] for event in events if event.get("resource_kind") == "filing-history"]


def test_every_sample_filing_has_its_golden_title():
    titles = [filing_title(data) for data in _sample_filings()]
    assert titles == SAMPLE_TITLES
    for title in titles:
        assert title and not set(title) & set("{}*")


def test_the_sample_filings_bodies_read():
    bodies = [filing_body(data) for data in _sample_filings()]
    assert bodies[0] == "Form AA, filed on 14 March 2025"
    assert bodies[1] == "Form AA, filed on 14 March 2025\nThe document is available on Companies House."
    assert bodies[14] == "Form SH01, filed on 14 March 2025\nCapital: GBP 1,250.00"
    assert bodies[-1] == ""
