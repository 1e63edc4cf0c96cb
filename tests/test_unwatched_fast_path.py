"""Lines about companies nobody watches are skipped from their first bytes (events.unwatched_number);
anything the quick look cannot vouch for is parsed and validated in full."""

from __future__ import annotations

import orjson
import pytest

from streams.company_numbers import CANONICAL
from streams.events import _is_canonical, fast_path, parse_line, unwatched_number
from tests.streamkit import filing

WATCHED = frozenset({"09876543", "SC123456"})


def ch_line(number: str, **changes) -> bytes:
    envelope = filing(number, "T1") | changes
    envelope["event"] = {"timepoint": 7, **envelope["event"]}
    return orjson.dumps(envelope)


def psc_line(number: str, kind: str = "individual-person-with-significant-control") -> bytes:
    return orjson.dumps(
        {
            "resource_kind": f"company-psc-{kind}",
            "resource_uri": f"/company/{number}/persons-with-significant-control/{kind}/X1",
            "resource_id": "X1",
            "data": {"name": "Jane Doe"},
            "event": {"timepoint": 5, "published_at": "2025-03-14T10:22:07", "type": "changed"},
        }
    )


@pytest.mark.parametrize(
    ("line", "stream", "expected"),
    [
        (ch_line("12345678"), "filings", "12345678"),
        (ch_line("NI654321"), "filings", "NI654321"),
        (ch_line("R0000123"), "filings", "R0000123"),
        (psc_line("12345678"), "persons-with-significant-control", "12345678"),
        # watched: parsed in full
        (ch_line("09876543"), "filings", None),
        (psc_line("SC123456"), "persons-with-significant-control", None),
        # not CH's exact layout: parsed in full (and so matched or rejected properly)
        (ch_line("12345678").replace(b'":"', b'": "'), "filings", None),
        (
            b'{"resource_uri":"/company/12345678/filing-history/T1","resource_kind":"filing-history"}',
            "filings",
            None,
        ),
        # another kind than the stream's, or a kind that only starts like it
        (ch_line("12345678"), "companies", None),
        (ch_line("12345678", resource_kind="filing-historyX"), "filings", None),
        # numbers CH does not write: parsed, normalised or rejected there
        (ch_line("sc123456"), "filings", None),
        (ch_line("1234567"), "filings", None),
        (ch_line("123456789"), "filings", None),
        (ch_line("1234567²"), "filings", None),
        # not framed as an object: a line cut short is parsed, and counted as malformed
        (ch_line("12345678")[:-20], "filings", None),
    ],
)
def test_only_a_line_in_chs_layout_about_an_unwatched_company_is_skipped_unparsed(line, stream, expected):
    assert unwatched_number(line, fast_path(stream), WATCHED) == expected


def test_a_line_skipped_unparsed_is_one_the_full_parse_would_have_accepted_and_not_matched():
    for number in ("12345678", "NI654321", "R0000123"):
        line = ch_line(number)
        assert unwatched_number(line, fast_path("filings"), WATCHED) == number
        event = parse_line(line, "filings")
        assert event.company_number == number and number not in WATCHED


@pytest.mark.parametrize(
    "number",
    ["12345678", "00000001", "SC123456", "NI654321", "R0000123", "R1234567", "OC301234",
     "sc123456", "S1234567", "RR123456", "R123456X", "1234567A", "12 45678",
     "\uff33\uff23123456", "\uff112345678",
     "AB12345\uff16", "AÉ123456", "--------"],
)  # fmt: skip
def test_the_quick_company_number_check_agrees_with_the_canonical_pattern(number):
    assert _is_canonical(number) == bool(CANONICAL.fullmatch(number))
