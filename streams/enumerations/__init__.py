"""Companies House's own enumeration files (SOURCE.md, LICENCE.md beside them), and the one loader
every reader uses: each file is read once per process, with libyaml's safe loader when PyYAML
has it (about ten times faster than the pure-Python one, BENCHMARKS.md). Callers must not change
what it returns: it is shared.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DIR = Path(__file__).resolve().parent
CONSTANTS = "constants.yml"
FILING_DESCRIPTIONS = "filing_history_descriptions.yml"
PSC_DESCRIPTIONS = "psc_descriptions.yml"


@cache
def load(name: str):
    """The parsed content of one of CH's files here, e.g. load("constants.yml")."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((DIR / name).read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 (safe)


def load_all() -> None:
    """Read every file now rather than on first use (the worker does, before it forks)."""
    for name in (CONSTANTS, FILING_DESCRIPTIONS, PSC_DESCRIPTIONS):
        load(name)
