"""The deadlines the watched companies have when the run begins: as a practice's clients have them.

Left to chance, a dozen companies may have none due soon or three overdue. `plan` spreads their
accounts and confirmation statement deadlines instead: most months ahead, a few within the
month, one or two overdue (`OVERDUE`, `DUE_SOON`), whichever day the run starts. `arrange`
rewrites a baseline profile to match, consistently: accounts due nine months (six for a plc)
after the period ends on the accounting reference date, a statement due 14 days after its
made-up date. Companies too young to have had a deadline keep their own.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from streams.simulator.profiles import ACCOUNT_TYPES, ard_date, deadline_kinds
from streams.simulator.state import add_months, filing_deadline, month_end, weighted

OVERDUE = 0.07  # share of the deadlines already passed
DUE_SOON = 0.15  # share due within about 30 days
YOUNG = 730  # days: a company younger than this keeps the deadlines its incorporation gave it


def plan(
    seed: int, companies: Sequence[tuple[str, tuple[str, str, str]]], today: date
) -> dict[str, dict[str, int]]:
    """company number -> {"accounts"|"confirmation": days from today to the deadline}, for the
    watched `companies` ((number, identity) pairs), stratified so the shares above hold."""
    rng = random.Random(f"{seed}:deadlines")  # noqa: S311 - a simulation, not cryptography
    pairs = [
        (number, kind)
        for number, (company_type, _, created) in companies
        if (today - date.fromisoformat(created)).days >= YOUNG
        for kind in deadline_kinds(company_type)
    ]
    rng.shuffle(pairs)
    result: dict[str, dict[str, int]] = {}
    for index, (number, kind) in enumerate(pairs):
        result.setdefault(number, {})[kind] = _days((index + 0.5) / len(pairs))
    return result


def _days(u: float) -> int:
    """Days to a deadline at quantile `u`: overdue by one to two months, due within the month,
    or due one to eleven months ahead."""
    if u < OVERDUE:
        return -round(8 + 55 * u / OVERDUE)
    if u < OVERDUE + DUE_SOON:
        return round(3 + 25 * (u - OVERDUE) / DUE_SOON)
    return round(35 + 300 * (u - OVERDUE - DUE_SOON) / (1 - OVERDUE - DUE_SOON))


def arrange(profile: dict, days: dict[str, int], today: date) -> None:
    """Make the profile's deadlines fall `days` from today (accounts on a month end near it)."""
    created = date.fromisoformat(profile["date_of_creation"])
    if "accounts" in days and "accounts" in profile:
        _accounts(profile, _month_end_near(today, days["accounts"]), created, today)
    if "confirmation" in days and "confirmation_statement" in profile:
        _statement(profile, today + timedelta(days=days["confirmation"]), created, today)


def _month_end_near(today: date, days: int) -> date:
    """The month end nearest `days` from today on the same side: passed, within the month, or later."""
    target = today + timedelta(days=days)
    if days < 0:
        low, high = target - timedelta(days=31), today - timedelta(days=2)
    elif days <= 30:
        low, high = today + timedelta(days=2), today + timedelta(days=33)
    else:
        low, high = max(target - timedelta(days=31), today + timedelta(days=35)), target + timedelta(days=31)
    ends = [month_end(d.year, d.month) for d in (add_months(target, m) for m in (-1, 0, 1))]
    fitting = [end for end in ends if low <= end <= high] or [month_end(high.year, high.month)]
    return min(fitting, key=lambda end: abs((end - target).days))


def _accounts(profile: dict, due: date, created: date, today: date) -> None:
    months = 6 if profile["type"] == "plc" else 9
    before = add_months(due, -months)
    end = month_end(before.year, before.month)
    ard = {"day": str(end.day), "month": f"{end.month:02d}"}
    due = filing_deadline(end, months)
    previous = ard_date(ard, end.year - 1)
    accounts = profile["accounts"]
    accounts["accounting_reference_date"] = ard
    overdue = due < today
    first = created > previous
    start = created if first else previous + timedelta(days=1)
    accounts.update(next_due=due.isoformat(), next_made_up_to=end.isoformat(), overdue=overdue)
    accounts["next_accounts"] = {
        "due_on": due.isoformat(),
        "period_end_on": end.isoformat(),
        "period_start_on": start.isoformat(),
        "overdue": overdue,
    }
    if first:
        accounts["last_accounts"] = {"type": "null"}
        return
    kind = accounts.get("last_accounts", {}).get("type")
    if kind in (None, "null"):
        kind = weighted(random.Random(profile["company_number"]), ACCOUNT_TYPES)  # noqa: S311
    earlier = ard_date(ard, previous.year - 1) + timedelta(days=1)
    accounts["last_accounts"] = {
        "made_up_to": previous.isoformat(),
        "type": kind,
        "period_end_on": previous.isoformat(),
        "period_start_on": max(created, earlier).isoformat(),
    }


def _statement(profile: dict, due: date, created: date, today: date) -> None:
    made_up_to = due - timedelta(days=14)
    statement = {"next_due": due.isoformat(), "next_made_up_to": made_up_to.isoformat()}
    last = add_months(made_up_to, -12)
    if last > created:
        statement["last_made_up_to"] = last.isoformat()
    statement["overdue"] = due < today
    profile["confirmation_statement"] = statement
