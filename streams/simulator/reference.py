"""Companies House's own enumerations, read once from `streams/enumerations/` (see SOURCE.md there).

The simulator draws description codes, statuses, company types, jurisdictions, SIC codes and PSC
natures of control from these files, so every value it sends is one CH itself could send.
"""

from __future__ import annotations

import re
from functools import cache

from streams import enumerations

# CH's texts mark values as {name}; one key is written "{charge number}", so allow any character
# but braces rather than only word characters.
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@cache
def filing_descriptions() -> dict[str, str]:
    """Description code -> CH's text with {placeholders}, in file order."""
    return dict(enumerations.load(enumerations.FILING_DESCRIPTIONS)["description"])


@cache
def constants() -> dict[str, dict[str, str]]:
    """constants.yml: company_status, company_type, jurisdiction, sic_descriptions, ..."""
    return enumerations.load(enumerations.CONSTANTS)


@cache
def psc_natures() -> dict[str, str]:
    """Nature-of-control code -> CH's text."""
    return dict(enumerations.load(enumerations.PSC_DESCRIPTIONS)["description"])


def placeholders(text: str) -> list[str]:
    """The {names} a description text uses, in order of first use, each once."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))
