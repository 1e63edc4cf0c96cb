"""A company's story: which filings suit it now, and how its stage moves on.

Every company goes through stages (state.py): active; then perhaps a strike-off (applied for, or
proposed by CH when its accounts or confirmation statement are overdue) or an insolvency case;
then the end (dissolved), unless the strike-off is withdrawn, the company is rescued, or it is
restored. What has happened stays true: a dissolved company files nothing but a restoration, an
insolvency follows no dissolution, a renamed company keeps its name, an incorporation is only
ever of a new company, and accounts or a confirmation statement are filed once per period.

A company has at most one ending story and one change of name per run; in a group with an
allowance (the watched companies, see `Allowance`) only so many companies have either, each
only now and then (`LIMITED_*`): a practice's clients rarely fail or rename.

A paced story (a demo, watched by people: see the generator's `paced`) also pauses between two
changes of a kind (the seconds below, in the time the events are published at): CH's events
about one company come months apart, a demo's minutes apart, and a company whose directors
change every few minutes is no company at all. Routine filings pause least, and a paced company
with nothing else to file allots shares or passes a resolution. Unpaced (tests, benchmarks, the
chaos run), a company does whatever its stage allows as fast as the events come.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from streams.simulator import appointments
from streams.simulator.state import (
    ACTIVE,
    DISSOLVED,
    ENDING,
    INSOLVENT,
    STRIKING_OFF,
    CompanyState,
    Draws,
)

MINUTE = 60.0
HOUR = 60 * MINUTE
OFFICERS = 3 * HOUR  # an appointment or resignation
OFFICER_DETAILS = 90 * MINUTE
PSC = 4 * HOUR
OFFICE = 6 * HOUR  # a registered office move
SAIL = 4 * HOUR
SIC = 2 * HOUR
CAPITAL = 30 * MINUTE
RESOLUTION = 30 * MINUTE
ROUTINE = 30 * MINUTE  # any other everyday filing
CHARGES = 90 * MINUTE
INSOLVENCY_STEP = 5 * MINUTE
STORY_STEP = 5 * MINUTE  # between the steps of a strike-off or the end of a liquidation
PAUSES = {
    "officers": OFFICERS,
    "officer-details": OFFICER_DETAILS,
    "psc": PSC,
    "office": OFFICE,
    "sail": SAIL,
    "sic": SIC,
    "capital": CAPITAL,
    "resolution": RESOLUTION,
    "charges": CHARGES,
    "routine": ROUTINE,
}
# The chance a company with an allowance takes an opportunity to end, to rename, or to move its
# accounting reference date (which moves its deadlines).
LIMITED_ENDING = 0.003
LIMITED_RENAME = 0.01
LIMITED_REFERENCE = 0.01
LIMITED_PACE = 0.05  # ... and, paced, how much more slowly it files its accounts and statements
LATE_FILER = 0.02  # how readily a company already late with its accounts files them now
EARLIEST_CONFIRMATION = 90  # days before its made-up date a confirmation statement may come

_LIQUIDATIONS = ("creditors-voluntary-liquidation", "members-voluntary-liquidation", "compulsory-liquidation")


# --- endings -------------------------------------------------------------------------------------


def starter_weight(state: CompanyState) -> float:
    """How readily the company begins an ending story now (0: it cannot)."""
    if state.stage != ACTIVE or state.ended_once or state.new:
        return 0.0
    if state.allowance is None:
        return 1.0
    return LIMITED_ENDING if state.allowance.endings > 0 else 0.0


def rename_weight(state: CompanyState) -> float:
    if state.stage != ACTIVE or state.renamed or "name" in state.pending:
        return 0.0
    if state.allowance is None:
        return 1.0
    return LIMITED_RENAME if state.allowance.renames > 0 else 0.0


def rename(state: CompanyState, name: str) -> None:
    state.renamed = True
    if state.allowance is not None:
        state.allowance.renames -= 1
    state.pend("name", name)


def stagger(state: CompanyState, rng: Draws, now: float) -> None:
    """As if each kind of change last happened some time within its pause before `now`, so that
    a group of companies does not all change their directors in the first minutes of a run."""
    for kind, pause in PAUSES.items():
        state.last.setdefault(kind, now - rng.random() * pause)


def _pace(state: CompanyState) -> float:
    return LIMITED_PACE if state.paced and state.allowance is not None else 1.0


def _begin_ending(state: CompanyState) -> None:
    state.ended_once = True
    if state.allowance is not None:
        state.allowance.endings -= 1


def begin_strike_off(state: CompanyState, kind: str, *, gazetted: bool) -> None:
    """ "voluntary": the company applied (DS01); "compulsory": CH proposes it (GAZ1)."""
    _begin_ending(state)
    state.stage, state.story, state.gazetted = STRIKING_OFF, kind, gazetted
    if gazetted:
        state.pend("strike_off", True)


def gazette(state: CompanyState) -> None:
    state.gazetted = True
    state.pend("strike_off", True)


def withdraw_strike_off(state: CompanyState) -> None:
    state.stage, state.story, state.gazetted = ACTIVE, None, False
    state.pend("strike_off", False)


def dissolve(state: CompanyState) -> None:
    state.stage, state.story, state.gazetted = DISSOLVED, None, False
    state.pend("status", "dissolved")


def restore(state: CompanyState) -> None:
    state.stage = ACTIVE
    state.pend("status", "active")


def begin_insolvency(state: CompanyState, kind: str, status: str) -> None:
    if state.stage != INSOLVENT:
        _begin_ending(state)
    state.stage, state.story, state.story_steps = INSOLVENT, kind, 0
    state.pend("status", status)


def end_insolvency(state: CompanyState, *, rescued: bool) -> None:
    if rescued:
        state.stage, state.story = ACTIVE, None
        state.pend("status", "active")
    else:
        state.stage = ENDING  # the notice of dissolution comes next


# --- the routine: accounts and confirmation statements -------------------------------------------


def accounts_weight(state: CompanyState, today: date) -> float:
    """Accounts can be filed once their period has ended, once; most are filed as the deadline
    nears, and a company already late tends to stay late."""
    compulsory = state.stage == STRIKING_OFF and state.story == "compulsory"
    if (
        (state.stage != ACTIVE and not compulsory)
        or "accounts" in state.pending
        or "reference" in state.pending
    ):
        return 0.0  # (accounts for a period whose end is being moved wait until it has moved)
    accounts = state.profile.get("accounts")
    if not accounts or accounts["next_accounts"]["period_end_on"] > today.isoformat():
        return 0.0
    days = (date.fromisoformat(accounts["next_due"]) - today).days
    return _pace(state) * (LATE_FILER if days < 0 else 1.0 if days <= 30 else 0.6 if days <= 90 else 0.25)


def confirmation_weight(state: CompanyState, today: date) -> float:
    """A confirmation statement comes once a year, near (or, late, after) its made-up date."""
    compulsory = state.stage == STRIKING_OFF and state.story == "compulsory"
    if (state.stage != ACTIVE and not compulsory) or "confirmation" in state.pending:
        return 0.0
    statement = state.profile.get("confirmation_statement")
    if not statement:
        return 0.0
    made_up_to = date.fromisoformat(statement["next_made_up_to"])
    if made_up_to - today > timedelta(days=EARLIEST_CONFIRMATION):
        return 0.0
    last = statement.get("last_made_up_to")
    if last and (today - date.fromisoformat(last)).days < 300:
        return 0.0
    days = (date.fromisoformat(statement["next_due"]) - today).days
    return _pace(state) * (LATE_FILER if days < 0 else 1.0 if days <= 30 else 0.5)


# --- which filings suit the company now ----------------------------------------------------------

Rule = Callable[[CompanyState, date, float], float]


def _active(state: CompanyState) -> bool:
    return state.stage == ACTIVE


def _rested(kind: str, seconds: float, *stages: str) -> Rule:
    allowed = stages or (ACTIVE,)
    return lambda s, today, now: float(s.stage in allowed and s.rested(kind, seconds, now))


def _reference(state: CompanyState, today: date, now: float) -> float:
    """A new accounting reference date, once; never to put off accounts already overdue."""
    accounts = state.profile.get("accounts")
    if not _active(state) or not accounts or accounts["overdue"] or state.reference_changed:
        return 0.0
    if "accounts" in state.pending or accounts["next_due"] < today.isoformat():
        return 0.0
    return 1.0 if state.allowance is None else LIMITED_REFERENCE


def _appoint(state: CompanyState, today: date, now: float) -> float:
    return float(
        _active(state)
        and state.rested("officers", OFFICERS, now)
        and len(appointments.current_officers(state)) < appointments.MAX_OFFICERS
    )


def _officer_rule(secretaries: bool, key: str, kind: str, seconds: float) -> Rule:
    def rule(state: CompanyState, today: date, now: float) -> float:
        if state.stage not in (ACTIVE, INSOLVENT, STRIKING_OFF) or not state.rested(kind, seconds, now):
            return 0.0
        return float(bool(appointments.officer_choices(state, today, secretaries=secretaries)[key]))

    return rule


def _psc_rule(key: str | None) -> Rule:
    def rule(state: CompanyState, today: date, now: float) -> float:
        if not _active(state) or not state.rested("psc", PSC, now):
            return 0.0
        if key is None:  # a new PSC
            return float(len(appointments.current_pscs(state)) < appointments.MAX_PSCS)
        return float(bool(appointments.psc_choices(state, today)[key]))

    return rule


def _outstanding(state: CompanyState, today: date, now: float) -> float:
    owed = any(c["status"] != "fully-satisfied" for c in state.charges)
    return float(state.stage != DISSOLVED and owed and state.rested("charges", CHARGES, now))


def _starter(state: CompanyState, today: date, now: float) -> float:
    return starter_weight(state)


def _overdue_starter(state: CompanyState, today: date, now: float) -> float:
    """CH proposes to strike off a company whose accounts or confirmation statement are late."""
    profile = state.profile
    late = profile.get("accounts", {}).get("overdue") or profile.get("confirmation_statement", {}).get(
        "overdue"
    )
    return starter_weight(state) if late else 0.0


def _in_story(
    stage: str, stories: tuple[str, ...] | None, *, gazetted: bool | None = None, steps: int = 0
) -> Rule:
    def rule(state: CompanyState, today: date, now: float) -> float:
        return float(
            state.stage == stage
            and (stories is None or state.story in stories)
            and (gazetted is None or state.gazetted == gazetted)
            and state.story_steps >= steps
            and state.rested("story", STORY_STEP, now)
        )

    return rule


_RULES: dict[str, Rule] = {
    "accounts": lambda s, today, now: accounts_weight(s, today),
    "amended-accounts": lambda s, today, now: float(
        _active(s) and s.profile.get("accounts", {}).get("last_accounts", {}).get("type", "null") != "null"
    ),
    "reference": _reference,
    "confirmation": lambda s, today, now: confirmation_weight(s, today),
    "appoint": _appoint,
    "terminate": _officer_rule(False, "resign", "officers", OFFICERS),
    "terminate-secretary": _officer_rule(True, "resign", "officers", OFFICERS),
    "officer-details": _officer_rule(False, "change", "officer-details", OFFICER_DETAILS),
    "secretary-details": _officer_rule(True, "change", "officer-details", OFFICER_DETAILS),
    "psc-notify": _psc_rule(None),
    "psc-change": _psc_rule("change"),
    "psc-cease": _psc_rule("cease"),
    "psc-statement": _rested("psc", PSC),
    "office": _rested("office", OFFICE, ACTIVE, INSOLVENT),  # a liquidator moves it to their office
    "sail": _rested("sail", SAIL),
    "capital": lambda s, today, now: float(_active(s) and not s.is_llp and s.rested("capital", CAPITAL, now)),
    "resolution": _rested("resolution", RESOLUTION),
    "charge-create": _rested("charges", CHARGES),
    "charge-satisfy": _outstanding,
    "charge-other": _outstanding,  # an alteration or a release, from the long tail
    "liquidation-start": _starter,
    "winding-up": _starter,
    "administration-start": _starter,
    "cva": _starter,
    "statement-of-affairs": lambda s, today, now: float(
        s.stage == INSOLVENT
        and s.story == "creditors-voluntary-liquidation"
        and "statement-of-affairs" not in s.last
    ),
    "liquidation-progress": _rested("insolvency", INSOLVENCY_STEP, INSOLVENT),
    "administration-progress": _rested("insolvency", INSOLVENCY_STEP, INSOLVENT),
    "members-final": _in_story(INSOLVENT, ("members-voluntary-liquidation",), steps=1),
    "creditors-final": _in_story(INSOLVENT, ("creditors-voluntary-liquidation",), steps=1),
    "insolvency-other": lambda s, today, now: float(s.stage == INSOLVENT),
    "strike-off-apply": _starter,
    "strike-off-withdraw": _in_story(STRIKING_OFF, ("voluntary",)),
    "strike-off-suspend": _in_story(STRIKING_OFF, ("voluntary",), gazetted=True),
    "gazette-voluntary": _in_story(STRIKING_OFF, ("voluntary",), gazetted=False),
    "gazette-compulsory": _overdue_starter,
    "dissolved-voluntary": _in_story(STRIKING_OFF, ("voluntary",), gazetted=True),
    "dissolved-compulsory": _in_story(STRIKING_OFF, ("compulsory",), gazetted=True),
    "strike-off-discontinued": _in_story(STRIKING_OFF, ("compulsory",), gazetted=True),
    "dissolved-liquidation": _in_story(ENDING, None),
    "restoration": lambda s, today, now: float(s.stage == DISSOLVED),
    "rename": lambda s, today, now: rename_weight(s),
    "incorporation": lambda s, today, now: 0.0,  # only ever a new company: see the generator
    "routine": _rested("routine", ROUTINE),
    # Forms CH replaced long ago (the annual return, in 2016) still arrive now and then from the
    # register at large; a practice's current clients file the forms of today.
    "archaic": lambda s, today, now: float(_active(s) and s.allowance is None),
}
# The insolvency progress rules, by the kind of case they belong to.
_PROGRESS = {"liquidation-progress": _LIQUIDATIONS, "administration-progress": ("in-administration",)}
NEEDS_STORY = frozenset(
    rule
    for rule in _RULES
    if rule.startswith(
        ("statement", "liquidation-p", "administration-p", "members", "creditors", "insolvency-o")
    )
    or rule in ("strike-off-withdraw", "strike-off-suspend", "gazette-voluntary", "dissolved-voluntary")
    or rule in ("dissolved-compulsory", "strike-off-discontinued", "dissolved-liquidation", "restoration")
)


def filing_weight(rule: str, state: CompanyState, today: date, now: float) -> float:
    """How readily the company makes a filing of this rule now, from 0 (it cannot) to 1."""
    if rule in _PROGRESS and state.story not in _PROGRESS[rule]:
        return 0.0
    return _RULES[rule](state, today, now)


# Words in a description code that belong to a story of their own: the long tail of CH's codes
# takes none of those (the catalogue's forms tell those stories), and none that would need a
# resource the company does not have.
_STORY_WORDS = (
    "liquidat", "dissol", "strike-off", "striking-off", "struck", "restor", "insolven", "administrat",
    "receiver", "winding", "incorporat", "gazette", "change-of-name", "moratorium", "voluntary-arrangement",
)  # fmt: skip


def long_tail_rule(code: str, category: str) -> str | None:
    """The rule a description code from CH's long tail follows, or None when it takes none."""
    if category == "insolvency":
        return "insolvency-other"
    if any(word in code for word in _STORY_WORDS):
        return None
    if category in ("capital", "resolution"):
        return category
    if category == "officers":
        return "officer-details" if code.startswith("change-") else None
    if category == "mortgage":
        return None if "create" in code or "register" in code else "charge-other"
    if category == "address":
        return "sail" if code.startswith("change-sail") else None
    if category == "annual-return":
        return "archaic"
    if category in ("miscellaneous", "auditors"):
        return "routine"
    return None  # accounts, statements, PSCs, incorporations...: the catalogue's forms do those
