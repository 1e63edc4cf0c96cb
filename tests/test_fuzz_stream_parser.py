"""Fuzzing the per-line parser (streams.events): whatever CH or a broken proxy sends, a line is
either a valid event or a Skip with one of the known reasons, which the listener counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from streams import events
from streams.company_numbers import CANONICAL, InvalidCompanyNumber, normalise_company_number
from streams.events import STREAM_KINDS, Skip, StreamEvent, fast_path, parse_line, unwatched_number
from streams.listener import ListenerConfig
from tests.fuzzkit import iso_moments

REASONS = frozenset(
    {
        events.MALFORMED_JSON,
        events.INVALID_UTF8,
        events.NOT_AN_OBJECT,
        events.MISSING_FIELDS,
        events.INVALID_COMPANY_NUMBER,
        events.OVERSIZED,
    }
)
STREAMS = sorted(set(STREAM_KINDS) - events.PERSON_STREAMS)  # (a person stream names no company)
WATCHED = frozenset({"09876543", "SC123456"})
MAX_LINE = ListenerConfig.max_line_bytes
BIGINT = range(-(2**63), 2**63)  # what PostgreSQL stores as a timepoint or a checkpoint

# database=None: a failure is kept as an @example, not in a .hypothesis directory.
FUZZ = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(line: bytes, stream: str) -> StreamEvent | Skip:
    """parse_line's answer; any exception other than Skip fails the test, as it would the listener."""
    try:
        event = parse_line(line, stream)
    except Skip as skip:
        assert skip.reason in REASONS, f"unknown reason {skip.reason!r}"
        assert skip.timepoint is None or skip.timepoint in BIGINT
        return skip
    assert CANONICAL.fullmatch(event.company_number), event.company_number
    # A kind the stream does not list is kept, and marked as one CH added since.
    assert event.known_kind == events.kind_allowed(stream, event.resource_kind)
    assert type(event.timepoint) is int and event.timepoint in BIGINT
    assert event.line is line and type(event.envelope) is dict
    return event


# --- strategies -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Anything but what the field should be: each replaces a field in an otherwise valid envelope.
wrong_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(2**63 - 2, 2**64 + 2),  # past PostgreSQL's bigint; orjson reads up to 2**64 - 1 as int
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(json_values, max_size=3),
    st.dictionaries(st.text(max_size=8), json_values, max_size=3),
)
canonical_numbers = st.from_regex(CANONICAL, fullmatch=True)
# People's and spreadsheets' forms the parser normalises: lower case, zeros dropped.
loose_numbers = st.from_regex(r"(?:[A-Za-z]{2}|[Rr])?0?[1-9][0-9]{0,5}", fullmatch=True)
invalid_utf8 = st.sampled_from(
    [b"\xff", b"\x80", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe2\x82"]
)
published = st.one_of(
    iso_moments,
    st.text(max_size=30),
    wrong_values,
)


def number_for_uri(raw: str) -> str | None:
    try:
        return normalise_company_number(raw)
    except InvalidCompanyNumber:
        return None


@st.composite
def kinds(draw, stream: str) -> str:
    exact, family = events._KINDS[stream]
    if family is None:
        return draw(st.sampled_from(sorted(exact)))
    return family + draw(st.from_regex(r"[a-z]{1,12}(-[a-z]{1,12}){0,3}", fullmatch=True))


@st.composite
def envelopes(draw, canonical: bool = False) -> tuple[str, dict, str]:
    """(stream, a valid envelope in CH's key order, the company number it is about)."""
    stream = draw(st.sampled_from(STREAMS))
    raw = draw(canonical_numbers if canonical else st.one_of(canonical_numbers, loose_numbers))
    number = raw if CANONICAL.fullmatch(raw) else number_for_uri(raw)
    assume(number is not None)
    tail = draw(st.sampled_from(["", "/filing-history/MzQwNTUx", "/officers/Ab-12_x", "/charges/x/y"]))
    event = {"timepoint": draw(st.integers(0, 2**63 - 1)), "published_at": draw(published)}
    event["type"] = draw(st.sampled_from(["changed", "deleted"]))
    if draw(st.booleans()):
        event["fields_changed"] = draw(st.lists(st.text(max_size=12), max_size=3))
    envelope = {
        "resource_kind": draw(kinds(stream)),
        "resource_uri": f"/company/{raw}{tail}",
        "resource_id": draw(st.text(max_size=24)),
        "data": draw(st.dictionaries(st.text(max_size=10), json_values, max_size=5)),
        "event": event,
    }
    return stream, envelope, number


def ch_layout(envelope: dict) -> bytes:
    """Compact, keys in the order given, as CH writes its lines."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


LAYOUTS = {
    "ch": ch_layout,
    "spaced": lambda envelope: json.dumps(envelope, ensure_ascii=False).encode(),
    "ascii": lambda envelope: json.dumps(envelope, separators=(",", ":")).encode(),
    "event_first": lambda envelope: ch_layout(dict(reversed(envelope.items()))),
    "padded": lambda envelope: b" \t" + ch_layout(envelope) + b"\r",
}


# --- anything at all ------------------------------------------------------------------------


@FUZZ
@given(line=st.binary(max_size=600), stream=st.sampled_from(STREAMS))
@example(line=b"", stream="filings")
@example(line=b"}", stream="filings")
@example(line=b'{"resource_kind":"filing-history', stream="filings")
@example(line=b'{"resource_kind":"filing-history","resource_uri":"/company/12345678', stream="filings")
def test_arbitrary_bytes_are_skipped_with_a_known_reason_never_raised(line, stream):
    outcome(line, stream)
    quick = unwatched_number(line, fast_path(stream), WATCHED)
    assert quick is None or (CANONICAL.fullmatch(quick) and quick not in WATCHED)


@FUZZ
@given(value=json_values, stream=st.sampled_from(STREAMS))
def test_any_json_value_that_is_not_an_envelope_is_skipped_with_a_known_reason(value, stream):
    result = outcome(json.dumps(value).encode(), stream)
    assert isinstance(result, Skip)
    if type(value) is not dict:
        assert result.reason == events.NOT_AN_OBJECT


@FUZZ
@given(text=st.text(max_size=200), stream=st.sampled_from(STREAMS))
def test_text_with_lone_surrogates_or_any_characters_is_skipped_with_a_known_reason(text, stream):
    outcome(text.encode("utf-8", "surrogatepass"), stream)
    outcome(json.dumps({"resource_kind": text, "event": {"timepoint": 1}}).encode(), stream)


# --- valid envelopes, and each field broken -------------------------------------------------


@FUZZ
@given(case=envelopes(), layout=st.sampled_from(sorted(LAYOUTS)), watched=st.booleans())
def test_a_valid_envelope_in_any_layout_parses_to_its_company_number_and_timepoint(case, layout, watched):
    stream, envelope, number = case
    line = LAYOUTS[layout](envelope)
    event = outcome(line, stream)
    assert isinstance(event, StreamEvent)
    assert (event.company_number, event.timepoint) == (number, envelope["event"]["timepoint"])
    assert event.resource_kind == envelope["resource_kind"]
    index = WATCHED | {number} if watched else WATCHED - {number}
    quick = unwatched_number(line, fast_path(stream), index)
    assert quick in (None, number)
    if number in index:
        assert quick is None  # a watched company's event is never passed over
    elif layout == "ch" and envelope["resource_uri"][9:17] == number:
        assert quick == number  # and CH's own lines about anyone else take the quick way


MINIMAL = {
    "resource_kind": "filing-history",
    "resource_uri": "/company/09876543/filing-history/T1",
    "data": {"category": "accounts"},
}
REQUIRED = ("event", "event.timepoint", "resource_kind", "resource_uri", "data")
OPTIONAL = ("resource_id", "event.published_at", "event.type", "event.fields_changed", "data.category")


def replaced(envelope: dict, field: str, value, delete: bool) -> dict:
    envelope = json.loads(json.dumps(envelope))
    *parents, name = field.split(".")
    target = envelope
    for parent in parents:
        target = target[parent]
    if delete:
        target.pop(name, None)
    else:
        target[name] = value
    return envelope


@FUZZ
@given(
    case=envelopes(),
    field=st.sampled_from(REQUIRED + OPTIONAL),
    value=wrong_values,
    delete=st.booleans(),
    layout=st.sampled_from(sorted(LAYOUTS)),
)
@example(  # an integer timepoint PostgreSQL cannot hold would fail every commit after it
    case=("filings", {**MINIMAL, "event": {"timepoint": 1}}, "09876543"),
    field="event.timepoint",
    value=2**63,
    delete=False,
    layout="ch",
)
def test_a_missing_field_or_one_of_the_wrong_type_is_skipped_with_the_reason_that_names_it(
    case, field, value, delete, layout
):
    stream, envelope, number = case
    timepoint = envelope["event"]["timepoint"]
    broken = replaced(envelope, field, value, delete)
    result = outcome(LAYOUTS[layout](broken), stream)
    if field in OPTIONAL:  # the parser does not need them: the event stands, and is the same event
        assert isinstance(result, StreamEvent)
        assert (result.company_number, result.timepoint) == (number, timepoint)
    elif field == "event" or (field == "event.timepoint" and (delete or not _storable_int(value))):
        assume(not (field == "event" and type(value) is dict and "timepoint" in value))
        assert (result.reason, result.timepoint) == (events.MISSING_FIELDS, None)
    elif field == "event.timepoint":
        assert (result.company_number, result.timepoint) == (number, value)
    elif field == "data" and (delete or value is None) and envelope["event"].get("type") == "deleted":
        # A deletion may come without data: it is news all the same (README, Guarantees, 8).
        assert (result.company_number, result.envelope["data"]) == (number, {})
    elif delete or type(value) is not (dict if field == "data" else str):
        # the timepoint still moves the checkpoint past the broken line
        assert (result.reason, result.timepoint) == (events.MISSING_FIELDS, timepoint)
    elif field == "resource_kind":  # a kind CH added since: kept, and marked unknown
        assume(not events.kind_allowed(stream, value))
        assert (result.company_number, result.known_kind) == (number, False)
    elif field == "resource_uri":
        assume(not value.startswith("/company/"))
        assert (result.reason, result.timepoint) == (events.INVALID_COMPANY_NUMBER, timepoint)
    else:  # data, replaced by another object
        assert (result.company_number, result.timepoint) == (number, timepoint)


def _storable_int(value) -> bool:
    return type(value) is int and value in BIGINT


@FUZZ
@given(
    case=envelopes(), bad=invalid_utf8, at=st.integers(min_value=0), layout=st.sampled_from(sorted(LAYOUTS))
)
def test_invalid_utf8_anywhere_in_a_line_is_skipped_as_invalid_utf8(case, bad, at, layout):
    stream, envelope, _ = case
    line = LAYOUTS[layout](envelope)
    at %= len(line) + 1
    result = outcome(line[:at] + bad + line[at:], stream)
    assert isinstance(result, Skip) and result.reason == events.INVALID_UTF8


@settings(FUZZ, max_examples=6)
@given(
    case=envelopes(),
    filler=st.sampled_from([b"x", b"\\u00e9", b"[", b"{", b'"a":1,', b"\xff", b" "]),
    where=st.sampled_from(["data", "after", "before"]),
)
def test_a_line_over_the_listeners_size_limit_is_still_parsed_or_skipped_never_raised(case, filler, where):
    stream, envelope, number = case
    repeat = MAX_LINE // len(filler) + 1
    if where == "data":
        envelope["data"]["pad"] = "x" * (MAX_LINE + 1)
        result = outcome(ch_layout(envelope), stream)
        assert isinstance(result, StreamEvent) and result.company_number == number
    else:
        line = ch_layout(envelope)
        huge = line + filler * repeat if where == "after" else filler * repeat + line
        assert len(huge) > MAX_LINE
        result = outcome(huge, stream)
        if filler.isspace():  # JSON allows any amount of it around the object
            assert isinstance(result, StreamEvent) and result.company_number == number
        else:
            assert isinstance(result, Skip)


# --- the fast path and the full parse -------------------------------------------------------


@st.composite
def broken_ch_lines(draw) -> tuple[str, bytes, frozenset[str]]:
    """A line in CH's layout, then broken: cut, bytes inserted or changed, a field broken."""
    stream, envelope, number = draw(envelopes(canonical=True))
    watched = WATCHED | {number} if draw(st.booleans()) else WATCHED - {number}
    how = draw(st.sampled_from(["cut", "insert", "overwrite", "field", "none"]))
    if how == "field":
        field = draw(st.sampled_from(REQUIRED + OPTIONAL))
        envelope = replaced(envelope, field, draw(wrong_values), draw(st.booleans()))
    line = ch_layout(envelope)
    at = draw(st.integers(0, len(line)))
    if how == "cut":
        line = line[:at]
    elif how == "insert":
        line = line[:at] + draw(st.binary(min_size=1, max_size=8)) + line[at:]
    elif how == "overwrite":
        line = line[:at] + draw(st.binary(min_size=1, max_size=4)) + line[at + 4 :]
    return stream, line, watched


@settings(FUZZ, max_examples=250)
@given(case=broken_ch_lines())
def test_the_fast_path_never_passes_over_an_event_the_full_parse_would_match(case):
    stream, line, watched = case
    quick = unwatched_number(line, fast_path(stream), watched)
    result = outcome(line, stream)
    if isinstance(result, StreamEvent) and result.company_number in watched:
        assert quick is None
    if quick is not None:
        assert quick not in watched
        if isinstance(result, StreamEvent):
            assert result.company_number == quick
        # else the documented exception (test_unwatched_fast_path, listener._handle_lines): a line
        # about a company nobody watches, broken after its number, is passed over like its valid
        # neighbours; only one that starts or ends a run of such lines is parsed, and counted.


# --- published_at ---------------------------------------------------------------------------


@FUZZ
@given(value=published)
@example(value="9999-12-31T23:59:59-23:59")  # in UTC, the year 10000: stored, then unreadable
@example(value="0001-01-01T00:00:00+23:59")
def test_published_at_is_the_same_moment_in_utc_or_none(value):
    moment = events.published_at({"event": {"published_at": value}})
    if moment is None:
        return
    # UTC: PostgreSQL takes any such moment, and gives back one Python can hold
    assert moment.utcoffset() == timedelta(0)
    given_moment = datetime.fromisoformat(value)
    assert moment == (given_moment if given_moment.tzinfo else given_moment.replace(tzinfo=UTC))
