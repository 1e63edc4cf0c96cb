from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from streams.company_numbers import (
    InvalidCompanyNumber,
    is_company_number,
    normalise_company_number,
    validate_company_number,
)

GOOD = [
    ("09876543", "09876543"),
    ("123456", "00123456"),
    ("1", "00000001"),
    (" 12345678 ", "12345678"),
    ("sc123456", "SC123456"),
    ("Sc1234", "SC001234"),
    ("NI654321", "NI654321"),
    ("ni 65 43 21", "NI654321"),
    ("oc301234", "OC301234"),
    ("SO300001", "SO300001"),
    ("NC000123", "NC000123"),
    ("LP012345", "LP012345"),
    ("FC031362", "FC031362"),
    ("CE000123", "CE000123"),
    ("R0000123", "R0000123"),
    ("r123", "R0000123"),
    (12345, "00012345"),
]

BAD = [
    ("", "missing"),
    ("   ", "missing"),
    (None, "missing"),
    ("123456789", "9 characters, at most 8"),
    ("SC1234567", "9 characters, at most 8"),
    ("S1234567", "prefix has two letters"),
    ("X12", "prefix has two letters"),
    ("SCO12345", "use digits, or a two-letter prefix"),
    ("12-34567", "use digits, or a two-letter prefix"),
    ("1234567A", "use digits, or a two-letter prefix"),
    ("ABCDEFGH", "use digits, or a two-letter prefix"),
    ("00000000", "all zero"),
    ("SC000000", "all zero"),
    ("SC", "use digits, or a two-letter prefix"),
    ("£1234", "use digits, or a two-letter prefix"),
]


@pytest.mark.parametrize(("raw", "expected"), GOOD)
def test_it_normalises_good_company_numbers(raw, expected):
    assert normalise_company_number(raw) == expected
    assert is_company_number(expected)


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_it_rejects_bad_company_numbers_with_a_reason(raw, reason):
    with pytest.raises(InvalidCompanyNumber) as caught:
        normalise_company_number(raw)
    assert reason in str(caught.value)


def test_the_fast_path_accepts_only_canonical_numbers():
    assert is_company_number("SC123456")
    assert not is_company_number("sc123456")
    assert not is_company_number("123456")


def test_the_django_validator_turns_the_reason_into_a_validation_error():
    with pytest.raises(ValidationError) as caught:
        validate_company_number("S1234567")
    assert "prefix has two letters" in caught.value.messages[0]
    validate_company_number("sc123")  # normalisable: no error
