"""The one table of categories and severities: used by fan-out, preferences, emails and the feed.

The human texts and the full mapping of every CH event are the content issue's (issue 5); this
module names the categories and gives each event a category and severity from what CH says.
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
    COMPANY_PROFILE = "company-profile", "Company details (status, deadlines, ...)"
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
    Category.COMPANY_PROFILE: EmailMode.DIGEST,
    Category.OTHER: EmailMode.OFF,
}

# Each stream but filings has one category; a filing carries the category CH gives it.
STREAM_CATEGORIES: dict[str, str] = {
    "companies": Category.COMPANY_PROFILE,
    "officers": Category.OFFICERS,
    "persons-with-significant-control": Category.PSC,
    "persons-with-significant-control-statements": Category.PSC,
    "charges": Category.MORTGAGE,
    "insolvency-cases": Category.INSOLVENCY,
    "company-exemptions": Category.OTHER,
}
# CH's filing-history categories that are not ours by name.
FILING_CATEGORIES: dict[str, str] = {
    "annual-return": Category.CONFIRMATION_STATEMENT,
    "liquidation": Category.INSOLVENCY,
    "persons-with-significant-control": Category.PSC,
    "change-of-constitution": Category.RESOLUTION,
    "miscellaneous": Category.OTHER,
    "restoration": Category.DISSOLUTION,
    "auditors": Category.OTHER,
    "reregistration": Category.OTHER,
    "other": Category.OTHER,
}
URGENT_CATEGORIES = frozenset(
    {Category.OFFICERS, Category.ADDRESS, Category.INSOLVENCY, Category.PSC, Category.DISSOLUTION}
)
ROUTINE_CATEGORIES = frozenset(
    {Category.ACCOUNTS, Category.CONFIRMATION_STATEMENT, Category.OTHER, Category.RESOLUTION}
)
_VALUES = frozenset(Category.values)


def category_of(stream: str, data: dict) -> str:
    if stream != "filings":
        return STREAM_CATEGORIES.get(stream, Category.OTHER)
    raw = str(data.get("category") or "other")
    return raw if raw in _VALUES else FILING_CATEGORIES.get(raw, Category.OTHER)


def severity_of(category: str) -> str:
    if category in URGENT_CATEGORIES:
        return Severity.URGENT
    if category in ROUTINE_CATEGORIES:
        return Severity.INFO
    return Severity.NORMAL
