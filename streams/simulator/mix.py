"""How Companies House's events divide between its streams, and a seeded chooser that follows it.

CH's streams run at very different rates: a simulator that gives each the same rate shows a feed
of insolvencies and officer changes, which is not what a practice sees. By default the simulator
splits its total rate in CH's proportions (README, "The simulator").
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from streams.simulator.state import weighted

# Events a day on each stream, from CH's own timepoints over 2021-2025: about 170,000 a day in
# all, filings some 56%, companies 29%, officers 7%, PSCs 6.5%, charges and insolvency 1% each.
CH_DAILY_EVENTS: dict[str, float] = {
    "filings": 95_000,
    "companies": 48_500,
    "officers": 12_000,
    "persons-with-significant-control": 11_000,
    "charges": 1_600,
    "insolvency-cases": 1_500,
}
CH_EVENTS_PER_SECOND = sum(CH_DAILY_EVENTS.values()) / 86_400  # about 2


def shares(weights: Mapping[str, float] = CH_DAILY_EVENTS) -> dict[str, float]:
    """Each stream's share of all events (0 to 1)."""
    total = sum(weights.values())
    return {stream: weight / total for stream, weight in weights.items()}


class StreamMix:
    """Which stream the next event is on: at random, in proportion to `weights`.

    Its own random stream (from the seed), so choosing streams never shifts what the generator
    says about companies. A stream without a weight is never chosen.
    """

    def __init__(self, seed: int, weights: Mapping[str, float] = CH_DAILY_EVENTS) -> None:
        self._rng = random.Random(f"{seed}:mix")  # noqa: S311 - a simulation, not cryptography
        self._weights = dict(weights)

    def next(self, streams: Sequence[str]) -> str:
        pairs = tuple((s, self._weights[s]) for s in streams if self._weights.get(s, 0) > 0)
        if not pairs:
            raise ValueError(f"none of {', '.join(streams)} has a weight in the mix")
        return weighted(self._rng, pairs)
