"""Invented but realistic people, addresses, company names and CH-style identifiers.

Every function takes the caller's `random.Random`, so the generator stays deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from functools import cache

from streams.simulator.state import Draws, choice, randint, weighted

MALE = (
    "David", "John", "James", "Michael", "Robert", "Andrew", "Mark", "Paul", "Stephen", "Richard",
    "Thomas", "Daniel", "Mohammed", "Oliver", "Harry", "George", "Jack", "Samuel", "Tomasz", "Rajesh",
    "Kwame", "Liam", "Callum", "Rhys", "Ciaran", "Hamish", "Adebayo", "Wei", "Luca", "Arjun",
)  # fmt: skip
FEMALE = (
    "Sarah", "Emma", "Claire", "Helen", "Rachel", "Laura", "Emily", "Sophie", "Charlotte", "Priya",
    "Aoife", "Fatima", "Olivia", "Amelia", "Jessica", "Hannah", "Grace", "Siobhan", "Morag", "Ewa",
    "Ngozi", "Mei", "Giulia", "Anjali", "Catrin", "Zainab", "Lucy", "Katherine", "Eilidh", "Amara",
)  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "Khan", "Shah", "Begum", "Ahmed", "Singh", "Nowak", "Kowalski", "Byrne", "Murphy", "O'Neill",
    "MacDonald", "Campbell", "Stewart", "Fraser", "Okafor", "Mensah", "Chen", "Wong", "Rossi", "Owen",
)  # fmt: skip
NATIONALITIES = (
    ("British", 70), ("English", 4), ("Scottish", 2), ("Welsh", 1), ("Irish", 3), ("Polish", 3),
    ("Indian", 3), ("Chinese", 2), ("Romanian", 2), ("Italian", 2), ("Nigerian", 2), ("Pakistani", 2),
    ("American", 1), ("German", 1), ("French", 1), ("Spanish", 1),
)  # fmt: skip
OCCUPATIONS = (
    "Director", "Company Director", "Managing Director", "Accountant", "Consultant", "Engineer",
    "Software Developer", "Solicitor", "Builder", "Chef", "Retailer", "Property Developer", "Electrician",
    "Marketing Manager", "Chartered Surveyor", "None", "Business Owner", "Teacher", "Nurse", "Designer",
)  # fmt: skip

# (town, region or None, postcode areas, country): registered offices follow the jurisdiction.
TOWNS = {
    "England": (
        ("London", None, ("EC1V", "EC2A", "W1W", "N1", "SE1", "E14", "WC2H", "SW1A")),
        ("Manchester", "Greater Manchester", ("M1", "M2", "M4", "M15")),
        ("Birmingham", "West Midlands", ("B1", "B3", "B15")),
        ("Leeds", "West Yorkshire", ("LS1", "LS2", "LS11")),
        ("Bristol", None, ("BS1", "BS2", "BS8")),
        ("Sheffield", "South Yorkshire", ("S1", "S3")),
        ("Liverpool", "Merseyside", ("L1", "L2", "L3")),
        ("Newcastle upon Tyne", "Tyne and Wear", ("NE1", "NE2")),
        ("Nottingham", "Nottinghamshire", ("NG1", "NG7")),
        ("Reading", "Berkshire", ("RG1", "RG2")),
        ("Cambridge", "Cambridgeshire", ("CB1", "CB2")),
        ("Norwich", "Norfolk", ("NR1", "NR2")),
        ("Milton Keynes", "Buckinghamshire", ("MK9", "MK10")),
        ("Exeter", "Devon", ("EX1", "EX4")),
    ),
    "Wales": (
        ("Cardiff", None, ("CF10", "CF11", "CF24")),
        ("Swansea", None, ("SA1", "SA2")),
        ("Wrexham", None, ("LL11", "LL13")),
    ),
    "Scotland": (
        ("Edinburgh", None, ("EH1", "EH2", "EH3", "EH6")),
        ("Glasgow", None, ("G1", "G2", "G3", "G41")),
        ("Aberdeen", None, ("AB10", "AB11")),
        ("Dundee", None, ("DD1", "DD2")),
        ("Inverness", None, ("IV1", "IV2")),
    ),
    "Northern Ireland": (
        ("Belfast", None, ("BT1", "BT2", "BT7", "BT9")),
        ("Londonderry", None, ("BT47", "BT48")),
        ("Newry", "County Down", ("BT34", "BT35")),
    ),
}
STREETS = (
    "High Street", "Station Road", "Church Lane", "Mill Lane", "Victoria Road", "Park Avenue", "King Street",
    "Queen Street", "George Street", "Bank Road", "Market Place", "Bridge Street", "Castle Street",
    "North Road", "London Road", "Quay Side", "Albert Square", "Princes Street", "Chapel Street", "New Road",
)  # fmt: skip
BUILDINGS = ("Suite", "Unit", "Floor", "Office", "Flat")
BUSINESS_PARKS = ("Riverside House", "Enterprise Park", "The Old Mill", "Kings Court", "Harbour Exchange")
NAME_WORDS = (
    "Acme", "Bright", "Northern", "Thistle", "Causeway", "Harbour", "Summit", "Oak", "Meridian", "Apex",
    "Blue", "Cedar", "Silver", "Kestrel", "Granite", "Willow", "Phoenix", "Orbit", "Vantage", "Pennine",
    "Beacon", "Lakeland", "Cotswold", "Highland", "Clyde", "Severn", "Union", "Pioneer", "Horizon", "Red",
)  # fmt: skip
NAME_TRADES = (
    "Bakery", "Consulting", "Analytics", "Foods", "Widgets", "Holdings", "Properties", "Construction",
    "Logistics", "Digital", "Solutions", "Engineering", "Media", "Developments", "Care", "Trading",
    "Investments", "Technologies", "Services", "Estates", "Motors", "Studios", "Electrical", "Labs",
)  # fmt: skip
LENDERS = (
    "Barclays Bank UK PLC", "Lloyds Bank PLC", "HSBC UK Bank PLC", "National Westminster Bank PLC",
    "Santander UK PLC", "The Royal Bank of Scotland PLC", "Bank of Scotland PLC", "Northern Bank PLC",
    "Metro Bank PLC", "Aldermore Bank PLC", "Shawbrook Bank Limited", "Close Brothers Limited",
    "OakNorth Bank PLC", "Allica Bank Ltd", "Funding Circle Ltd", "Together Commercial Finance Limited",
)  # fmt: skip
INSOLVENCY_FIRMS = (
    "Begbies Traynor (Central) LLP", "Leonard Curtis", "FRP Advisory Trading Limited", "Interpath Ltd",
    "Quantuma Advisory Limited", "Kroll Advisory Ltd", "Opus Restructuring LLP", "Azets Holdings Limited",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    title: str
    forenames: tuple[str, ...]
    surname: str
    birth_year: int
    birth_month: int
    nationality: str

    @property
    def full_name(self) -> str:
        """As filing descriptions and PSC names write it: "Mr David John Hughes"."""
        return " ".join((self.title, *self.forenames, self.surname))

    @property
    def officer_name(self) -> str:
        """As the officers resource writes it: "HUGHES, David John"."""
        return f"{self.surname.upper()}, {' '.join(self.forenames)}"


# Inventing a person or an address takes a dozen random draws; picking one from a pool built once
# takes one, and a register of thousands of people is still plenty of variety. The pools come from
# a fixed seed, so they are the same for every generator; each generator's own stream picks.
_POOL_SEED = "companies-house-simulator-cast"
_POOL_YEAR = 2025


@cache
def _people_pool() -> tuple[Person, ...]:
    rng = random.Random(_POOL_SEED)  # noqa: S311 - a simulation, not cryptography
    return tuple(_invent_person(rng, _POOL_YEAR) for _ in range(5000))


@cache
def _address_pool(country: str) -> tuple[dict, ...]:
    rng = random.Random(f"{_POOL_SEED}:{country}")  # noqa: S311 - a simulation, not cryptography
    return tuple(_invent_address(rng, country) for _ in range(1500))


def person(rng: Draws) -> Person:
    return choice(rng, _people_pool())


def address(rng: Draws, country: str = "England") -> dict:
    """A registered-office-shaped address (premises, address_line_1, locality, region?, postal_code,
    country). Shared with other callers: replace it, never change it in place."""
    return choice(rng, _address_pool(country if country in TOWNS else "England"))


def _invent_person(rng: random.Random, today_year: int) -> Person:
    female = rng.random() < 0.45
    pool = FEMALE if female else MALE
    forenames = (choice(rng, pool),) if rng.random() < 0.55 else (choice(rng, pool), choice(rng, pool))
    if rng.random() < 0.04:
        title = "Dr"
    elif female:
        title = choice(rng, ("Mrs", "Ms", "Miss", "Ms"))
    else:
        title = "Mr"
    nationality = weighted(rng, NATIONALITIES)
    return Person(
        title=title,
        forenames=forenames,
        surname=choice(rng, SURNAMES),
        birth_year=today_year - randint(rng, 19, 78),
        birth_month=randint(rng, 1, 12),
        nationality=nationality,
    )


def country_for(jurisdiction: str) -> str:
    return {"scotland": "Scotland", "northern-ireland": "Northern Ireland", "wales": "Wales"}.get(
        jurisdiction, "England"
    )


def _invent_address(rng: random.Random, country: str) -> dict:
    town, region, areas = choice(rng, TOWNS.get(country, TOWNS["England"]))
    result: dict = {}
    roll = rng.random()
    if roll < 0.25:
        result["premises"] = f"{choice(rng, BUILDINGS)} {randint(rng, 1, 40)}"
        result["address_line_1"] = f"{randint(rng, 1, 250)} {choice(rng, STREETS)}"
    elif roll < 0.35:
        result["premises"] = choice(rng, BUSINESS_PARKS)
        result["address_line_1"] = choice(rng, STREETS)
        result["address_line_2"] = f"{choice(rng, NAME_WORDS)} Quarter"
    else:
        result["premises"] = str(randint(rng, 1, 250))
        result["address_line_1"] = choice(rng, STREETS)
    result["locality"] = town
    if region:
        result["region"] = region
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    result["postal_code"] = (
        f"{choice(rng, areas)} {randint(rng, 1, 9)}{choice(rng, letters)}{choice(rng, letters)}"
    )
    result["country"] = country
    return result


def one_line(addr: dict) -> str:
    """How filing description values write an address: "Suite 4, 20 Bank Road, London, EC2A 1AA"."""
    parts = [addr.get("premises"), addr.get("address_line_1"), addr.get("address_line_2")]
    if parts[0] and parts[0].isdigit() and parts[1]:
        parts[:2] = [f"{parts[0]} {parts[1]}"]  # "12 High Street", not "12, High Street"
    parts += [addr.get("locality"), addr.get("postal_code")]
    return ", ".join(p for p in parts if p)


def company_name(rng: random.Random, suffix: str) -> str:
    roll = rng.random()
    if roll < 0.3:
        stem = f"{choice(rng, SURNAMES)} & {choice(rng, SURNAMES)} {choice(rng, NAME_TRADES)}"
    elif roll < 0.8:
        stem = f"{choice(rng, NAME_WORDS)} {choice(rng, NAME_TRADES)}"
    else:
        stem = f"{choice(rng, NAME_WORDS)} {choice(rng, NAME_WORDS)} {choice(rng, NAME_TRADES)}"
    return f"{stem} {suffix}".upper().strip()


def corporate_name(rng: random.Random) -> str:
    return company_name(rng, choice(rng, ("LIMITED", "LTD", "HOLDINGS LIMITED", "GROUP LIMITED", "PLC")))


class Ids:
    """Unique, deterministic identifiers in CH's shapes, from a seed and a counter.

    Hashing a counter (rather than drawing random characters) guarantees uniqueness, which the
    follow-up events and filing histories rely on, without consuming the event random stream.
    """

    def __init__(self, seed: int, first_transaction: int) -> None:
        self._seed = seed
        self._counter = 0
        self._transaction = first_transaction

    def token(self, kind: str) -> str:
        """27 URL-safe characters, like CH's appointment, PSC and charge ids."""
        self._counter += 1
        digest = hashlib.sha1(f"{self._seed}:{kind}:{self._counter}".encode(), usedforsecurity=False)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:27]

    def transaction_id(self) -> str:
        """CH's transaction ids are base64 of a running number and a fixed tail ("...adiqzkcx")."""
        self._transaction += 1
        return base64.b64encode(f"{self._transaction}adiqzkcx".encode()).decode().rstrip("=")


def etag(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def barcode(rng: random.Random) -> str:
    return "X" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=7))
