"""Companies House company numbers: validation and the one normal form we store and match on.

A company number is eight characters: eight digits (England and Wales), two letters and six
digits (SC Scotland, NI Northern Ireland, OC/SO/NC LLPs, LP/SL limited partnerships, FC overseas
and the other registers), or R and seven digits (old Northern Ireland numbers, "R0000123").
CH writes them upper case and zero-padded; people and spreadsheets drop the zeros ("123456"
for "00123456") and the case ("sc123456"), so we restore both. We check the shape, not a fixed
list of prefixes, because CH adds registers.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

LENGTH = 8
CANONICAL = re.compile(r"[0-9]{8}|[A-Z]{2}[0-9]{6}|R[0-9]{7}")  # use with fullmatch
_PARTS = re.compile(r"^([A-Z]{0,2})([0-9]+)$")
_EXAMPLES = "e.g. 09876543, SC123456, NI654321, OC301234"


class InvalidCompanyNumber(ValueError):
    """The text cannot be a company number; str() says why, in words for the person who typed it."""


def normalise_company_number(raw: object) -> str:
    """The canonical form of a company number, or InvalidCompanyNumber saying what is wrong."""
    if raw is None:
        raise InvalidCompanyNumber("Company number is missing")
    text = "".join(str(raw).split()).upper()
    if not text:
        raise InvalidCompanyNumber("Company number is missing")
    shown = str(raw).strip()
    if len(text) > LENGTH:
        raise InvalidCompanyNumber(
            f"{shown!r} is not a company number: it has {len(text)} characters, "
            f"at most {LENGTH} ({_EXAMPLES})"
        )
    parts = _PARTS.match(text)
    if not parts:
        raise InvalidCompanyNumber(
            f"{shown!r} is not a company number: use digits, or a two-letter prefix then digits ({_EXAMPLES})"
        )
    prefix, digits = parts.groups()
    if prefix == "R":
        number = "R" + digits.zfill(LENGTH - 1)
    elif len(prefix) == 1:
        raise InvalidCompanyNumber(
            f"{shown!r} is not a company number: a prefix has two letters (or is R) ({_EXAMPLES})"
        )
    else:
        number = prefix + digits.zfill(LENGTH - len(prefix))
    if not CANONICAL.fullmatch(number):  # pragma: no cover - the steps above only build valid shapes
        raise InvalidCompanyNumber(f"{shown!r} is not a company number ({_EXAMPLES})")
    if int(number[len(prefix) :]) == 0:
        raise InvalidCompanyNumber(f"{shown!r} is not a company number: the digits are all zero")
    return number


def is_company_number(text: str) -> bool:
    """True if text is already a company number in canonical form (the stream's fast path)."""
    return bool(CANONICAL.fullmatch(text))


def validate_company_number(value: str) -> None:
    """Django validator: the value must normalise."""
    try:
        normalise_company_number(value)
    except InvalidCompanyNumber as exc:
        raise ValidationError(str(exc), code="invalid_company_number") from None
