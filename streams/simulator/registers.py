"""Company numbers of every register, and what a number says about its company.

England & Wales numbers are plain digits; letter prefixes mark the other registers (SC Scotland,
NI Northern Ireland, OC/SO/NC LLPs, LP/SL/NL limited partnerships, FC overseas companies, R0 old
Northern Ireland numbers, CE/CS charitable incorporated organisations, ...). A company's identity
(type, jurisdiction, date of creation) follows from its number and the generator's seed alone.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Container
from datetime import date, timedelta
from itertools import pairwise

from streams.simulator.state import Draws, choice, randint, weighted

# (prefix, weight, lowest, highest): England & Wales numbers are plain digits; the letter prefixes
# mark the other registers in roughly their share of CH's live register.
PREFIXES = (
    ("", 80.0, 0, 0),
    ("SC", 6.0, 1, 830_000),
    ("NI", 2.0, 1, 730_000),
    ("OC", 3.5, 300_001, 460_000),
    ("SO", 0.4, 300_001, 308_000),
    ("NC", 0.15, 1, 2_000),
    ("LP", 1.3, 1, 24_000),
    ("SL", 1.2, 1, 36_000),
    ("NL", 0.1, 1, 1_500),
    ("FC", 1.5, 1, 40_000),
    ("SF", 0.1, 1, 3_000),
    ("NF", 0.05, 1, 1_000),
    ("R", 0.3, 1, 60_000),
    ("CE", 0.8, 1, 40_000),
    ("CS", 0.3, 1, 25_000),
    ("GE", 0.05, 1, 200),
    ("IP", 0.3, 1, 32_000),
    ("SP", 0.1, 1, 3_000),
    ("RC", 0.1, 1, 1_000),
    ("SE", 0.05, 1, 100),
    ("OE", 0.4, 1, 35_000),
)
# England & Wales numbers by age: newer companies dominate the register and its traffic.
_EW_RANGES = (
    (1, 1_000_000, 3),
    (1_000_000, 5_000_000, 10),
    (5_000_000, 10_000_000, 27),
    (10_000_000, 16_600_000, 60),
)
# Number -> year of incorporation (approximately CH's history), for plausible dates of creation.
_EW_YEARS = (
    (0, 1856.0),
    (1_000_000, 1971.0),
    (2_000_000, 1985.0),
    (3_000_000, 1995.0),
    (4_000_000, 2000.5),
    (5_000_000, 2004.0),
    (6_000_000, 2007.0),
    (7_000_000, 2009.5),
    (8_000_000, 2012.0),
    (9_000_000, 2014.3),
    (10_000_000, 2016.0),
    (11_000_000, 2017.9),
    (12_000_000, 2019.5),
    (13_000_000, 2020.9),
    (14_000_000, 2022.2),
    (15_000_000, 2023.6),
    (16_000_000, 2024.9),
    (99_999_999, 2030.0),
)

# prefix -> (type weights, jurisdiction)
_REGISTERS = {
    "": (
        (
            ("ltd", 86),
            ("private-limited-guarant-nsc", 6),
            ("private-limited-guarant-nsc-limited-exemption", 2),
            ("plc", 1.5),
            ("private-unlimited", 1),
            ("private-limited-shares-section-30-exemption", 0.5),
        ),
        "england-wales",
    ),
    "SC": ((("ltd", 92), ("private-limited-guarant-nsc", 5), ("plc", 1)), "scotland"),
    "NI": ((("ltd", 93), ("private-limited-guarant-nsc", 5), ("plc", 1)), "northern-ireland"),
    "R": ((("ltd", 1),), "northern-ireland"),
    "OC": ((("llp", 1),), "england-wales"),
    "SO": ((("llp", 1),), "scotland"),
    "NC": ((("llp", 1),), "northern-ireland"),
    "LP": ((("limited-partnership", 1),), "england-wales"),
    "SL": ((("limited-partnership", 1),), "scotland"),
    "NL": ((("limited-partnership", 1),), "northern-ireland"),
    "FC": ((("oversea-company", 1),), "united-kingdom"),
    "SF": ((("oversea-company", 1),), "united-kingdom"),
    "NF": ((("oversea-company", 1),), "united-kingdom"),
    "CE": ((("charitable-incorporated-organisation", 1),), "england-wales"),
    "CS": ((("scottish-charitable-incorporated-organisation", 1),), "scotland"),
    "GE": ((("eeig", 1),), "england-wales"),
    "IP": ((("industrial-and-provident-society", 1),), "england-wales"),
    "SP": ((("industrial-and-provident-society", 1),), "scotland"),
    "RC": ((("royal-charter", 1),), "england-wales"),
    "SE": ((("european-public-limited-liability-company-se", 1),), "england-wales"),
    "OE": ((("registered-overseas-entity", 1),), "united-kingdom"),
}
_SUFFIXES = {
    "ltd": ("LIMITED", "LTD", "LTD", "LIMITED"),
    "plc": ("PLC",),
    "llp": ("LLP",),
    "limited-partnership": ("LP", "LIMITED PARTNERSHIP", "FUND LP"),
    "oversea-company": ("GMBH", "INC.", "B.V.", "S.A."),
    "private-limited-guarant-nsc": ("LIMITED", "TRUST LIMITED"),
    "private-limited-guarant-nsc-limited-exemption": ("TRUST", "ASSOCIATION"),
    "charitable-incorporated-organisation": ("FOUNDATION", "TRUST"),
    "scottish-charitable-incorporated-organisation": ("TRUST", "SCIO"),
    "eeig": ("EEIG",),
    "industrial-and-provident-society": ("CO-OPERATIVE LIMITED", "SOCIETY LIMITED"),
    "royal-charter": ("INSTITUTE",),
    "european-public-limited-liability-company-se": ("SE",),
    "registered-overseas-entity": ("HOLDINGS S.A.R.L.", "INVESTMENTS INC."),
}


def prefix_of(number: str) -> str:
    if number[0].isdigit():
        return ""
    return "R" if number[0] == "R" and number[1].isdigit() else number[:2]


def universe(rng: random.Random, size: int) -> list[str]:
    """`size` distinct company numbers drawn from every register, in a deterministic order."""
    choices = tuple((p, w) for p, w, *_ in PREFIXES)
    bounds = {p: (low, high) for p, _, low, high in PREFIXES}
    seen: set[str] = set()  # membership only; the list keeps the order
    numbers: list[str] = []
    while len(numbers) < size:
        prefix = weighted(rng, choices)
        if prefix == "":
            low, high = weighted(rng, _EW_RANGES)
            number = f"{rng.randrange(low, high):08d}"
        else:
            low, high = bounds[prefix]
            number = f"{prefix}{randint(rng, low, high):0{8 - len(prefix)}d}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


def _creation_date(rng: Draws, number: str, prefix: str, today: date) -> date:
    if prefix == "":
        value = int(number)
        for (low, low_year), (high, high_year) in pairwise(_EW_YEARS):
            if value < high:
                year = low_year + (high_year - low_year) * (value - low) / (high - low)
                break
        created = date(int(year), 1, 1) + timedelta(days=int((year % 1) * 365) + randint(rng, 0, 20))
    else:
        created = today - timedelta(days=int(-math.log(1.0 - rng.random()) * 3000))  # mean 8 years
    earliest, latest = date(1856, 1, 1), today - timedelta(days=7)
    return min(max(created, earliest), latest)


class _Draws:
    """Eight uniform draws from a SHA-256 of a text: a throwaway random stream ten times cheaper
    to set up than random.Random, for the three or four draws an identity needs."""

    def __init__(self, text: str) -> None:
        digest = hashlib.sha256(text.encode()).digest()
        self._values = [int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in range(0, 32, 4)]

    def random(self) -> float:
        return self._values.pop()


def identity(seed: int, number: str, today: date, created: date | None = None) -> tuple[str, str, str]:
    """(type, jurisdiction, date_of_creation): what every stream needs to know about a company
    (`created`: for a company incorporated during the run, the day)."""
    rng = _Draws(f"{seed}:{number}")
    prefix = prefix_of(number)
    type_weights, jurisdiction = _REGISTERS.get(prefix, _REGISTERS[""])
    company_type = weighted(rng, type_weights)
    if jurisdiction == "england-wales" and rng.random() < 0.03:
        jurisdiction = "wales"
    creation = created or _creation_date(rng, number, prefix, today)
    return company_type, jurisdiction, creation.isoformat()


def named_type(company_type: str, name: str) -> str:
    """The type a name implies where the register allows several ("... LTD" is a company limited
    by shares, not by guarantee)."""
    if company_type.startswith("private-limited") and name.upper().endswith(("LTD", "LIMITED")):
        return "ltd"
    return company_type


# Registers a company incorporated during a run joins, in about their share of incorporations, and
# where their numbers start: past every number the universe draws, so each is new.
_NEW_REGISTERS = (("", 88, 16_600_001), ("SC", 5, 830_001), ("OC", 4, 460_001), ("NI", 3, 730_001))


class NewNumbers:
    """The next company numbers CH would issue, one register at a time, skipping `known` ones."""

    def __init__(self, known: Container[str]) -> None:
        self._known = known
        self._next = {prefix: first for prefix, _, first in _NEW_REGISTERS}

    def issue(self, rng: Draws) -> str:
        prefix = weighted(rng, tuple((p, w) for p, w, _ in _NEW_REGISTERS))
        while True:
            value = self._next[prefix]
            self._next[prefix] += 1
            number = f"{prefix}{value:0{8 - len(prefix)}d}"
            if number not in self._known:
                return number


def suffix(rng: Draws, company_type: str) -> str:
    """The ending a name of this type of company carries ("LTD", "LLP", "LP", ...)."""
    return choice(rng, _SUFFIXES.get(company_type, ("LIMITED",)))
