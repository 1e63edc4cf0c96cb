"""The simulator as `make run` starts it (`chsim --watched-demo`): a register in which the demo
practice's clients go about their business.

The whole register runs at the total rate given, in CH's proportions (mix.py). The clients get
the first call on `CLIENT_CHANCES_PER_MINUTE` of its events whatever that rate; a chance a client
has nothing plausible to use (it filed its accounts already, changed its directors an hour ago:
see story.py) goes to the rest of the register. That leaves the practice about two notifications
a minute, most of them routine (accounts, confirmation statements, other filings, details
changed), about one in six urgent (an officer appointed, a PSC, a registered office moved), and,
once in some hours, one of its clients renamed or in trouble (README, "The simulator").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from streams.simulator.generator import Generator

# The demo practice's clients (make run creates its list from these; the simulator tells their
# stories): numbers from tests/data/sample-events.ndjson (CH's sample events) and the simulator's sample
# replay, each with the kind of reference a practice gives its clients.
DEMO_COMPANIES = [
    ("12345678", "HUG001", "Hughes Joinery Ltd"),
    ("08008008", "BRI014", "Brightside Dental Ltd"),
    ("00445566", "OAK002", "Oakfield Holdings Ltd"),
    ("SC123456", "MCL007", "McLeod Fishing Ltd"),
    ("NI654321", "BYR003", "Byrne Engineering Ltd"),
    ("11223344", "PAT021", "Patel Pharmacy Ltd"),
    ("09876543", "GRE005", "Green Leaf Cafe Ltd"),
    ("07654321", "WIL009", "Williams Haulage Ltd"),
    ("SC778899", "ROS011", "Ross Whisky Tours Ltd"),
    ("OC301234", "QUA004", "Quayside Partners LLP"),
    ("15893094", "NEW030", "Newstart Digital Ltd"),
    ("10293847", "CAR012", "Carter Builders Ltd"),
]

CLIENT_CHANCES_PER_MINUTE = 27
FALLBACK_SHARE = 0.15  # at rate 0 (as fast as possible) there is no pace to keep
MAX_SHARE = 0.9  # at a very low rate, a tenth of the register's events are about someone else


def share_for(rate: float) -> float:
    """The watched share that gives the clients their chances in a register of `rate` events a second."""
    if rate <= 0:
        return FALLBACK_SHARE
    return min(MAX_SHARE, CLIENT_CHANCES_PER_MINUTE / (60 * rate))


def demo_generator(
    seed: int,
    clients: Sequence[tuple[str, str]],
    *,
    rate: float,
    today: date,
    companies: int = 20_000,
    duplicate_share: float = 0.02,
    noop_share: float = 0.05,
    watched_share: float | None = None,
) -> Generator:
    """The generator for a demo practice whose `clients` are (company number, name) pairs, in a
    register generating `rate` events a second in all (`watched_share`: to override the pace)."""
    return Generator(
        seed,
        companies=companies,
        watched=[number for number, _ in clients],
        watched_share=share_for(rate) if watched_share is None else watched_share,
        names=dict(clients),
        today=today,
        duplicate_share=duplicate_share,
        noop_share=noop_share,
        paced=True,
    )
