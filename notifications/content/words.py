"""CH's own words for its codes (streams/enumerations/constants.yml): statuses, jurisdictions,
SIC codes, insolvency case types, officer roles. Loaded once."""

from __future__ import annotations

from datetime import date
from functools import cache

from streams import enumerations

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def long_date(day: date) -> str:
    """A date as CH's own site writes it: "31 March 2023" (no leading zero, whatever the locale)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def constants() -> dict[str, dict[str, str]]:
    return enumerations.load(enumerations.CONSTANTS)


def readable(code: str) -> str:
    """A code CH has no words for, readable: "some-new-status" -> "Some new status"."""
    text = str(code).replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def word(section: str, code, *, blank_ok: bool = False) -> str:
    """CH's text for `code` in a section of constants.yml, or the code made readable."""
    if code is None or code == "":
        return ""
    text = constants().get(section, {}).get(str(code))
    if text is None or (not text.strip() and not blank_ok):
        return readable(code)
    return text.strip()


def sic_text(code) -> str:
    description = constants().get("sic_descriptions", {}).get(str(code))
    return f"{code} {description.strip()}" if description else str(code)


@cache
def _psc_short() -> dict[str, str]:
    loaded = enumerations.load(enumerations.PSC_DESCRIPTIONS)
    return {key: text.strip() for key, text in (loaded.get("short_description") or {}).items()}


def psc_nature(code) -> str:
    """A PSC's nature of control in CH's short words ("Ownership of shares - 75% or more")."""
    return _psc_short().get(str(code)) or readable(code)
