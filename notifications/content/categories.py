"""The one table of categories and severities: used by fan-out, preferences, emails and the feed.

This module names the categories and gives each event a category and severity from what CH
says; the words themselves are describe.py's (README, "What the notifications say").
"""

from __future__ import annotations

from django.db import models


class Category(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    CONFIRMATION_STATEMENT = "confirmation-statement", "Confirmation statement"
    OFFICERS = "officers", "Officers"
    ADDRESS = "address", "Registered office address"
    CAPITAL = "capital", "Capital and shares"
    MORTGAGE = "mortgage", "Charges (mortgages)"
    INSOLVENCY = "insolvency", "Insolvency"
    PSC = "persons-with-significant-control", "Persons with significant control"
    INCORPORATION = "incorporation", "Incorporation"
    DISSOLUTION = "dissolution", "Dissolution and striking off"
    RESOLUTION = "resolution", "Resolutions"
    GAZETTE = "gazette", "Gazette notices"
    CHANGE_OF_NAME = "change-of-name", "Change of name"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    URGENT = "urgent", "Urgent"
    NORMAL = "normal", "Normal"
    INFO = "info", "Routine"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Email at once"
    DIGEST = "digest", "In the daily digest"
    OFF = "off", "No email"


# A practice wants to hear at once about what could hurt a client (officers, address, insolvency,
# strike-off, charges), a daily summary of the routine, and nothing by email about the trivial.
DEFAULT_EMAIL_MODES: dict[str, str] = {
    Category.OFFICERS: EmailMode.IMMEDIATE,
    Category.ADDRESS: EmailMode.IMMEDIATE,
    Category.INSOLVENCY: EmailMode.IMMEDIATE,
    Category.PSC: EmailMode.IMMEDIATE,
    Category.DISSOLUTION: EmailMode.IMMEDIATE,
    Category.GAZETTE: EmailMode.IMMEDIATE,
    Category.MORTGAGE: EmailMode.IMMEDIATE,
    Category.ACCOUNTS: EmailMode.DIGEST,
    Category.CONFIRMATION_STATEMENT: EmailMode.DIGEST,
    Category.CAPITAL: EmailMode.DIGEST,
    Category.INCORPORATION: EmailMode.DIGEST,
    Category.RESOLUTION: EmailMode.DIGEST,
    Category.CHANGE_OF_NAME: EmailMode.IMMEDIATE,
    Category.OTHER: EmailMode.OFF,
}

# CH's filing-history categories that are not ours by name (the rest are the same words).
FILING_CATEGORIES: dict[str, str] = {
    "annual-return": Category.CONFIRMATION_STATEMENT,  # the confirmation statement's predecessor
    "liquidation": Category.INSOLVENCY,
    "change-of-constitution": Category.RESOLUTION,
    "restoration": Category.DISSOLUTION,
    "miscellaneous": Category.OTHER,
}
_VALUES = frozenset(Category.values)

# The one severity table (see README, "Categories and severity"). Urgent: what could be fraud or
# the end of a client (registered office changed, officers appointed or terminated, PSC changes,
# insolvency, strike-off, dissolution, a gazette notice, deadlines becoming overdue). Routine
# ("info"): filings that are the normal course of a company's year. Everything else is normal.
FILING_SEVERITY: dict[str, str] = {
    Category.PSC: Severity.URGENT,
    Category.INSOLVENCY: Severity.URGENT,
    Category.DISSOLUTION: Severity.URGENT,
    Category.GAZETTE: Severity.URGENT,
    Category.OFFICERS: Severity.NORMAL,  # urgent when an appointment or termination: below
    Category.ADDRESS: Severity.NORMAL,  # urgent when the registered office moves: below
    Category.MORTGAGE: Severity.NORMAL,
    Category.CHANGE_OF_NAME: Severity.NORMAL,
    Category.ACCOUNTS: Severity.INFO,
    Category.CONFIRMATION_STATEMENT: Severity.INFO,
    Category.CAPITAL: Severity.INFO,
    Category.RESOLUTION: Severity.INFO,
    Category.INCORPORATION: Severity.INFO,
    Category.OTHER: Severity.INFO,
}
URGENT_FILING_CODES = ("appoint-", "termination-", "change-registered-office-address")
# Company status values that mean an insolvency procedure, or the end of the company.
INSOLVENT_STATUSES = frozenset(
    {"liquidation", "administration", "receivership", "insolvency-proceedings", "voluntary-arrangement"}
)
ENDED_STATUSES = frozenset({"dissolved", "removed", "closed", "converted-closed"})
STRIKE_OFF_DETAILS = frozenset({"active-proposal-to-strike-off"})


def filing_category(data: dict) -> str:
    raw = str(data.get("category") or "other")
    return raw if raw in _VALUES else FILING_CATEGORIES.get(raw, Category.OTHER)


def filing_severity(category: str, description_code: str) -> str:
    if category in (Category.OFFICERS, Category.ADDRESS) and description_code.startswith(URGENT_FILING_CODES):
        return Severity.URGENT
    return FILING_SEVERITY.get(category, Severity.INFO)


SEVERITY_ORDER = {Severity.URGENT: 0, Severity.NORMAL: 1, Severity.INFO: 2}
