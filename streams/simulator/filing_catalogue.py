"""Filing history items: a weighted catalogue of the forms CH receives.

The curated catalogue covers every filing category, weighted so that accounts and confirmation
statements dominate as they do at CH. A small share of filings instead takes any description code
from CH's YAML (its placeholders are filled by name in `filing_values`), so that the long tail of
codes is exercised. Each form follows a rule of the company's story (story.py): whether the
company can make that filing now, and (filings.py) what the filing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from streams.simulator import story
from streams.simulator.reference import filing_descriptions
from streams.simulator.state import CompanyState, Draws, choice, weighted, weighted_once

LONG_TAIL_SHARE = 0.05


@dataclass(frozen=True)
class Form:
    weight: float
    type: str
    category: str
    subcategory: str | None
    description: str
    capital: bool = False  # CH adds the statement of capital as description_values["capital"]
    llp: tuple[str, str] | None = None  # (type, description) an LLP files instead
    rule: str = "routine"  # story.py's rule: when the company may file it

    def for_company(self, state: CompanyState) -> tuple[str, str]:
        """(type, description) as this company files it."""
        return self.llp if (self.llp and state.is_llp) else (self.type, self.description)


# Form type -> its rule in story.py (forms not listed are routine).
RULES = {
    "AA": "accounts", "AA01": "reference", "AAMD": "amended-accounts", "CS01": "confirmation",
    "AP01": "appoint", "AP02": "appoint", "AP03": "appoint", "AP04": "appoint", "TM01": "terminate",
    "TM02": "terminate-secretary", "CH01": "officer-details", "CH03": "secretary-details",
    "AD01": "office", "AD02": "sail", "SH01": "capital", "SH19": "capital", "SH06": "capital",
    "MR01": "charge-create", "MR04": "charge-satisfy", "MR05": "charge-satisfy",
    "600": "liquidation-start", "LIQ02": "statement-of-affairs", "4.20": "statement-of-affairs",
    "LIQ03": "liquidation-progress", "LIQ13": "members-final", "LIQ14": "creditors-final",
    "AM01": "administration-start", "AM10": "administration-progress", "WU01": "winding-up", "CVA1": "cva",
    "PSC01": "psc-notify", "PSC02": "psc-notify", "PSC04": "psc-change", "PSC07": "psc-cease",
    "PSC08": "psc-statement", "NEWINC": "incorporation", "DS01": "strike-off-apply",
    "DS02": "strike-off-withdraw", "SOAS(A)": "strike-off-suspend", "GAZ1": "gazette-compulsory",
    "GAZ1(A)": "gazette-voluntary", "GAZ2": "dissolved-compulsory", "GAZ2(A)": "dissolved-voluntary",
    "DISS40": "strike-off-discontinued", "RESOLUTIONS": "resolution", "RES01": "resolution",
    "RES15": "rename", "NM01": "rename", "CERTNM": "rename", "CONNOT": "rename", "RT01": "restoration",
    "AR01": "archaic",
}  # fmt: skip


def _f(
    weight: float,
    form: str,
    category: str,
    sub: str | None,
    code: str,
    *,
    capital: bool = False,
    llp: tuple[str, str] | None = None,
    rule: str | None = None,
) -> Form:
    return Form(weight, form, category, sub, code, capital, llp, rule or RULES.get(form, "routine"))


CATALOGUE = (
    _f(120, "AA", "accounts", None, "accounts-with-accounts-type-micro-entity"),
    _f(70, "AA", "accounts", None, "accounts-with-accounts-type-total-exemption-full"),
    _f(40, "AA", "accounts", None, "accounts-with-accounts-type-dormant"),
    _f(40, "AA", "accounts", None, "accounts-with-accounts-type-unaudited-abridged"),
    _f(15, "AA", "accounts", None, "accounts-with-accounts-type-small"),
    _f(15, "AA", "accounts", None, "accounts-with-accounts-type-full"),
    _f(5, "AA", "accounts", None, "accounts-with-accounts-type-group"),
    _f(4, "AA", "accounts", None, "accounts-with-accounts-type-audit-exemption-subsiduary"),
    _f(8, "AA01", "accounts", None, "change-account-reference-date-company-current-extended"),
    _f(6, "AA01", "accounts", None, "change-account-reference-date-company-current-shortened"),
    _f(2, "AAMD", "accounts", None, "accounts-amended-with-accounts-type-micro-entity"),
    _f(
        190,
        "CS01",
        "confirmation-statement",
        None,
        "confirmation-statement-with-no-updates",
        llp=("LLCS01", "confirmation-statement-with-no-updates"),
    ),
    _f(60, "CS01", "confirmation-statement", None, "confirmation-statement-with-updates"),
    _f(
        40,
        "AP01",
        "officers",
        "appointments",
        "appoint-person-director-company-with-name-date",
        llp=("LLAP01", "appoint-person-member-limited-liability-partnership-with-appointment-date"),
    ),
    _f(3, "AP02", "officers", "appointments", "appoint-corporate-director-company-with-name-date"),
    _f(5, "AP03", "officers", "appointments", "appoint-person-secretary-company-with-name-date"),
    _f(2, "AP04", "officers", "appointments", "appoint-corporate-secretary-company-with-name-date"),
    _f(
        35,
        "TM01",
        "officers",
        "termination",
        "termination-director-company-with-name-termination-date",
        llp=("LLTM01", "termination-member-limited-liability-partnership-with-name-termination-date"),
    ),
    _f(6, "TM02", "officers", "termination", "termination-secretary-company-with-name-termination-date"),
    _f(
        30,
        "CH01",
        "officers",
        "change",
        "change-person-director-company-with-change-date",
        llp=("LLCH01", "change-person-member-limited-liability-partnership-with-name-change-date"),
    ),
    _f(3, "CH03", "officers", "change", "change-person-secretary-company-with-change-date"),
    _f(
        40,
        "AD01",
        "address",
        None,
        "change-registered-office-address-company-with-date-old-address-new-address",
        llp=(
            "LLAD01",
            "change-registered-office-address-limited-liability-partnership-with-date-old-address-new-address",
        ),
    ),
    _f(3, "AD02", "address", None, "change-sail-address-company-with-new-address"),
    _f(20, "SH01", "capital", None, "capital-allotment-shares", capital=True),
    _f(
        2,
        "SH19",
        "capital",
        None,
        "capital-statement-capital-company-with-date-currency-figure",
        capital=True,
    ),
    _f(2, "SH06", "capital", None, "capital-cancellation-shares", capital=True),
    _f(
        20,
        "MR01",
        "mortgage",
        "create",
        "mortgage-create-with-deed-with-charge-number-charge-creation-date",
        llp=(
            "LLMR01",
            "mortgage-create-with-deed-with-charge-number-charge-creation-date-limited-liability-partnership",
        ),
    ),
    _f(10, "MR04", "mortgage", "satisfy", "mortgage-satisfy-charge-full"),
    _f(1, "MR05", "mortgage", None, "mortgage-charge-part-release-with-charge-number"),
    _f(2, "600", "insolvency", "voluntary", "liquidation-voluntary-appointment-of-liquidator"),
    _f(2, "LIQ02", "insolvency", "voluntary", "liquidation-voluntary-statement-of-affairs"),
    _f(
        3,
        "LIQ03",
        "insolvency",
        "voluntary",
        "liquidation-voluntary-statement-of-receipts-and-payments-with-brought-down-date",
    ),
    _f(1, "4.20", "insolvency", "voluntary", "liquidation-voluntary-statement-of-affairs-with-form-attached"),
    _f(1, "LIQ13", "insolvency", "voluntary", "liquidation-voluntary-members-return-of-final-meeting"),
    _f(1, "LIQ14", "insolvency", "voluntary", "liquidation-voluntary-creditors-return-of-final-meeting"),
    _f(
        1,
        "AM01",
        "insolvency",
        "administration",
        "liquidation-in-administration-appointment-of-administrator",
    ),
    _f(
        1,
        "AM10",
        "insolvency",
        "administration",
        "liquidation-in-administration-progress-report-with-brought-down-date",
    ),
    _f(1, "WU01", "insolvency", "compulsory", "liquidation-compulsory-winding-up-order"),
    _f(
        0.5,
        "CVA1",
        "insolvency",
        "voluntary-arrangement",
        "liquidation-voluntary-arrangement-meeting-approving-companies-voluntary-arrangement",
    ),
    _f(
        20,
        "PSC01",
        "persons-with-significant-control",
        None,
        "notification-of-a-person-with-significant-control",
    ),
    _f(
        5,
        "PSC02",
        "persons-with-significant-control",
        None,
        "notification-of-a-person-with-significant-control",
    ),
    _f(10, "PSC04", "persons-with-significant-control", None, "change-to-a-person-with-significant-control"),
    _f(
        10,
        "PSC07",
        "persons-with-significant-control",
        None,
        "cessation-of-a-person-with-significant-control",
    ),
    _f(
        3,
        "PSC08",
        "persons-with-significant-control",
        None,
        "notification-of-a-person-with-significant-control-statement",
    ),
    _f(
        25,
        "NEWINC",
        "incorporation",
        None,
        "incorporation-company",
        llp=("LLIN01", "incorporation-limited-liability-partnership"),
    ),
    _f(2, "MA", "incorporation", None, "memorandum-articles"),
    _f(
        12,
        "DS01",
        "dissolution",
        None,
        "dissolution-application-strike-off-company",
        llp=("LLDS01", "dissolution-application-strike-off-limited-liability-partnership"),
    ),
    _f(2, "DS02", "dissolution", None, "dissolution-withdrawal-application-strike-off-company"),
    _f(1, "SOAS(A)", "dissolution", None, "dissolution-voluntary-strike-off-suspended"),
    _f(12, "GAZ1", "gazette", None, "gazette-notice-compulsory"),
    _f(10, "GAZ1(A)", "gazette", None, "gazette-notice-voluntary"),
    _f(8, "GAZ2", "gazette", None, "gazette-dissolved-compulsory"),
    _f(8, "GAZ2(A)", "gazette", None, "gazette-dissolved-voluntary"),
    _f(4, "DISS40", "gazette", None, "gazette-filings-brought-up-to-date"),
    _f(4, "GAZ2", "gazette", None, "gazette-dissolved-liquidation", rule="dissolved-liquidation"),
    _f(8, "RESOLUTIONS", "resolution", "resolution", "resolution"),
    _f(2, "RES15", "resolution", "resolution", "resolution-change-of-name"),
    _f(2, "RES01", "resolution", "resolution", "resolution-adopt-articles"),
    _f(5, "NM01", "change-of-name", None, "change-of-name-by-resolution"),
    _f(5, "CERTNM", "change-of-name", None, "certificate-change-of-name-company"),
    _f(1, "CONNOT", "change-of-name", None, "change-of-name-notice"),
    _f(1, "MISC", "miscellaneous", None, "miscellaneous"),
    _f(0.5, "OC", "miscellaneous", None, "court-order"),
    _f(0.5, "RT01", "restoration", None, "administrative-restoration-company"),
    _f(1, "AR01", "annual-return", None, "annual-return-company-with-made-up-date-full-list-shareholders"),
    _f(1, "AUD", "auditors", None, "auditors-resignation-company"),
)
_WEIGHTED = tuple((form, form.weight) for form in CATALOGUE)

# How the long tail of codes is classified: the first prefix that matches wins.
_TAIL_RULES = (
    (
        "liquidation-in-administration",
        "insolvency",
        "administration",
        ("AM02", "AM03", "AM06", "AM22", "AM23"),
    ),
    ("liquidation-administration", "insolvency", "administration", ("2.12B", "2.24B", "2.34B")),
    ("liquidation-voluntary-arrangement", "insolvency", "voluntary-arrangement", ("CVA1", "CVA3", "CVA4")),
    ("liquidation-cva", "insolvency", "voluntary-arrangement", ("CVA3",)),
    ("liquidation-moratorium", "insolvency", "moratorium", ("MT01", "MT02", "MT03")),
    ("liquidation-receiver", "insolvency", "receiver", ("RM01", "RM02", "3.10")),
    ("liquidation-compulsory", "insolvency", "compulsory", ("WU04", "WU07", "WU15", "4.31")),
    ("liquidation-voluntary", "insolvency", "voluntary", ("LIQ01", "LIQ05", "LIQ06", "LIQ10", "4.68")),
    ("liquidation", "insolvency", "other", ("LIQ MISC", "COM1")),
    ("mortgage-satisfy", "mortgage", "satisfy", ("MR04",)),
    ("mortgage", "mortgage", None, ("MR01", "MR02", "MR05", "MR06", "MR08")),
    ("change-account-reference-date", "accounts", None, ("AA01",)),
    ("accounts", "accounts", None, ("AA", "AAMD")),
    ("confirmation-statement", "confirmation-statement", None, ("CS01",)),
    ("annual-return", "annual-return", None, ("AR01", "363a")),
    ("appoint", "officers", "appointments", ("AP01", "AP02", "AP03", "AP04", "LLAP01")),
    ("termination", "officers", "termination", ("TM01", "TM02", "LLTM01")),
    ("change-person", "officers", "change", ("CH01", "CH03", "LLCH01")),
    ("change-corporate", "officers", "change", ("CH02", "CH04", "LLCH02")),
    ("notification-of", "persons-with-significant-control", None, ("PSC01", "PSC02", "PSC08")),
    ("cessation-of", "persons-with-significant-control", None, ("PSC07",)),
    ("change-to-a-person", "persons-with-significant-control", None, ("PSC04", "PSC05")),
    ("withdrawal-of-a-person", "persons-with-significant-control", None, ("PSC09",)),
    ("certificate-change-of-name", "change-of-name", None, ("CERTNM",)),
    ("change-of-name", "change-of-name", None, ("NM01", "NM04", "CONNOT")),
    ("capital", "capital", None, ("SH01", "SH02", "SH03", "SH06", "SH19")),
    ("certificate-capital", "capital", None, ("CERT9", "OC138")),
    ("gazette", "gazette", None, ("GAZ1", "GAZ2", "GAZ1(A)", "GAZ2(A)", "DISS40")),
    ("dissolution", "dissolution", None, ("DS01", "DS02", "LLDS01")),
    ("incorporation", "incorporation", None, ("NEWINC", "LLIN01", "IN01")),
    ("change-registered-office", "address", None, ("AD01", "LLAD01", "AD05")),
    ("change-sail", "address", None, ("AD02", "AD03", "AD04")),
    ("restoration", "restoration", None, ("RT01", "AC92")),
    ("administrative-restoration", "restoration", None, ("RT01",)),
    ("auditors", "auditors", None, ("AUD", "AUD(AA)")),
)
_RESOLUTION_PREFIXES = (
    "resolution",
    "ordinary-resolution",
    "special-resolution",
    "written-resolution",
    "extraordinary-resolution",
    "elective-resolution",
    "ordindary-resolution",
)


@cache
def _long_tail() -> tuple[str, ...]:
    return tuple(filing_descriptions())


def classify(code: str) -> tuple[str, str | None, tuple[str, ...]]:
    """(category, subcategory, plausible form types) for any CH description code."""
    if code.startswith(_RESOLUTION_PREFIXES):
        return "resolution", "resolution", ("RESOLUTIONS", "RES01", "RES10", "RES13")
    for prefix, category, subcategory, forms in _TAIL_RULES:
        if code.startswith(prefix):
            return category, subcategory, forms
    return "miscellaneous", None, ("MISC", "OC", "RP04")


def draw(rng: Draws) -> Form:
    """The next filing's form, in the catalogue's proportions (or from the long tail)."""
    while True:
        if rng.random() >= LONG_TAIL_SHARE:
            return weighted(rng, _WEIGHTED)
        code = choice(rng, _long_tail())
        category, subcategory, forms = classify(code)
        rule = story.long_tail_rule(code, category)
        if rule is not None:  # (codes that belong to a story of their own are the catalogue's)
            return Form(0.0, choice(rng, forms), category, subcategory, code, rule=rule)


def for_company(rng: Draws, state: CompanyState, today: date, now: float) -> Form | None:
    """A form this company can file now, in the catalogue's proportions; None if there is none."""
    pairs = tuple(
        (form, form.weight * story.filing_weight(form.rule, state, today, now)) for form in CATALOGUE
    )
    return weighted_once(rng, pairs)


# What a paced company with nothing else to file files: shares allotted, resolutions passed (not
# "miscellaneous" filings or an auditor's resignation every half hour).
_ROUTINE = tuple(form for form in CATALOGUE if form.rule in ("capital", "resolution"))


def routine_for(rng: Draws, state: CompanyState, today: date, now: float) -> Form | None:
    """An everyday filing this company can make now, from the catalogue or (half the time) CH's
    long tail of capital and resolution codes; None if it has made them all lately."""
    if rng.random() < 0.5:
        code = choice(rng, _long_tail())
        category, subcategory, forms = classify(code)
        rule = story.long_tail_rule(code, category)
        if rule in ("capital", "resolution") and story.filing_weight(rule, state, today, now):
            return Form(0.0, choice(rng, forms), category, subcategory, code, rule=rule)
    pairs = tuple(
        (form, form.weight * story.filing_weight(form.rule, state, today, now)) for form in _ROUTINE
    )
    return weighted_once(rng, pairs)
