"""A company-profile event compared with the profile before it, in words an accountant reads.

Each change is "field: before -> after"; fields that mean nothing to a person (etag, links, and
whatever is not listed in FIELDS) are ignored, so an event that changed only those is no change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from notifications.content.words import MONTHS, long_date, sic_text, word

NOTHING = "(none)"


@dataclass(frozen=True)
class Change:
    key: str  # the field's path in CH's profile, e.g. "accounts.next_due"
    label: str
    before: str
    after: str
    raw_before: object = None
    raw_after: object = None

    def __str__(self) -> str:
        return f"{self.label}: {self.before} -> {self.after}"


def ch_date(value) -> str:
    """2025-03-31 -> 31 March 2025 (as CH's own site writes dates)."""
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return long_date(day)


def yes_no(value) -> str:
    return "Yes" if value is True else "No" if value is False else NOTHING


def address_line(address) -> str:
    """A registered office address as one line, in the order it is written on an envelope."""
    if not isinstance(address, dict):
        return NOTHING
    parts = [
        f"c/o {address['care_of']}" if address.get("care_of") else "",
        f"PO Box {address['po_box']}" if address.get("po_box") else "",
        address.get("premises"),
        address.get("address_line_1"),
        address.get("address_line_2"),
        address.get("locality"),
        address.get("region"),
        address.get("postal_code"),
        address.get("country"),
    ]
    return ", ".join(str(p).strip() for p in parts if p and str(p).strip()) or NOTHING


def reference_date(value) -> str:
    if not isinstance(value, dict):
        return NOTHING
    try:
        return f"{int(value.get('day'))} {MONTHS[int(value.get('month')) - 1]}"
    except (TypeError, ValueError, IndexError):
        return NOTHING


def sic_codes(value) -> str:
    if not isinstance(value, list) or not value:
        return NOTHING
    return "; ".join(sic_text(code) for code in value)


def _text(render: Callable[[object], str]) -> Callable[[object], str]:
    return lambda value: NOTHING if value in (None, "", [], {}) else render(value)


# (path in the profile, label, how a value is written). The order is the order people read them.
FIELDS: list[tuple[str, str, Callable[[object], str]]] = [
    ("company_name", "Company name", _text(str)),
    ("company_status", "Status", _text(lambda v: word("company_status", v))),
    ("company_status_detail", "Status detail", _text(lambda v: word("company_status_detail", v))),
    ("registered_office_address", "Registered office address", address_line),
    ("accounts.overdue", "Accounts overdue", yes_no),
    ("accounts.next_due", "Accounts next due", _text(ch_date)),
    ("accounts.next_made_up_to", "Accounts next made up to", _text(ch_date)),
    ("accounts.accounting_reference_date", "Accounting reference date", reference_date),
    ("confirmation_statement.overdue", "Confirmation statement overdue", yes_no),
    ("confirmation_statement.next_due", "Confirmation statement next due", _text(ch_date)),
    ("sic_codes", "Nature of business (SIC)", sic_codes),
    ("jurisdiction", "Jurisdiction", _text(lambda v: word("jurisdiction", v))),
    ("has_charges", "Has charges", yes_no),
    ("has_insolvency_history", "Has insolvency history", yes_no),
    ("can_file", "Can file", yes_no),
]


def _get(profile: dict, path: str):
    value = profile
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def diff_profiles(before: dict | None, after: dict | None) -> list[Change]:
    """The meaningful changes from `before` to `after`; none when there is no `before` (the first
    profile seen is the baseline)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    changes = []
    for path, label, render in FIELDS:
        old, new = _get(before, path), _get(after, path)
        if _same(old, new):
            continue
        old_text, new_text = render(old), render(new)
        if old_text != new_text:
            changes.append(Change(path, label, old_text, new_text, old, new))
    return changes


def _same(old, new) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return sorted(map(str, old)) == sorted(map(str, new))
    return old == new
