"""One line of a CH stream in, one decision out: skip it (and why), or the event's key facts.

This is the listener's hot path: every line of every stream passes here, matched or not, so it
does the least work that tells us the timepoint and the company. See the README's "The stream listener".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from .company_numbers import CANONICAL, InvalidCompanyNumber, normalise_company_number

# Every stream CH publishes, with the resource kinds CH sends on it (a kind ending in "-" admits a
# family). A kind not listed on a known stream is still stored and shown ("<kind> changed"), and
# counted apart: CH adds kinds without notice.
STREAM_KINDS: dict[str, tuple[str, ...]] = {
    "filings": ("filing-history",),
    "companies": ("company-profile",),
    "officers": ("company-officers",),
    # company-psc-individual, -corporate, -legal, -supersecure; overseas entities' beneficial owners
    "persons-with-significant-control": (
        "company-psc-",
        "individual-beneficial-owner",
        "corporate-entity-beneficial-owner",
        "legal-person-beneficial-owner",
        "super-secure-beneficial-owner",
    ),
    "charges": ("company-charges",),
    "insolvency-cases": ("company-insolvency",),
    "company-exemptions": ("company-exemptions",),
    "persons-with-significant-control-statements": ("persons-with-significant-control-statement",),
    # About a person, not a company: /disqualified-officers/natural/{officer id}.
    "disqualified-officers": ("disqualified-officer-natural", "disqualified-officer-corporate"),
}
# Streams whose events name no company in resource_uri.
PERSON_STREAMS = frozenset({"disqualified-officers"})
DEFAULT_STREAMS = (
    "filings",
    "companies",
    "officers",
    "persons-with-significant-control",
    "charges",
    "insolvency-cases",
)

_CANONICAL = CANONICAL.fullmatch

# Reasons a line is skipped; counted per stream and reason.
MALFORMED_JSON = "malformed_json"
INVALID_UTF8 = "invalid_utf8"
NOT_AN_OBJECT = "not_an_object"
MISSING_FIELDS = "missing_fields"
INVALID_COMPANY_NUMBER = "invalid_company_number"
OVERSIZED = "oversized_line"

# PostgreSQL's bigint: orjson reads integers up to 2**64 - 1, and a checkpoint past this one could
# never be committed, so every commit after the line would fail.
MAX_TIMEPOINT = 2**63 - 1


class Skip(Exception):
    def __init__(self, reason: str, detail: str = "", timepoint: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.timepoint = timepoint


def stored(event: StreamEvent, watched) -> bool:
    """Whether the listener keeps the event: about a company someone watches, or, on a stream
    about people (a disqualified officer), always: fan-out finds the clients they concern."""
    return event.company_number in watched or not event.company_number


@dataclass(slots=True)
class StreamEvent:
    timepoint: int
    company_number: str  # "" on a stream about people (PERSON_STREAMS)
    resource_kind: str
    envelope: dict  # as CH sent it, but `data` always an object ({} for a deletion without it)
    line: bytes  # as CH sent it (PostgreSQL stores filings from it directly)
    known_kind: bool = True  # False: a kind CH has added since STREAM_KINDS was written

    @property
    def resource_uri(self) -> str:
        return self.envelope["resource_uri"]

    @property
    def is_filing(self) -> bool:
        return self.resource_kind == "filing-history"

    @property
    def is_deletion(self) -> bool:
        return self.envelope["event"].get("type") == "deleted"


# Per stream: the exact kinds, and the prefix (ending in "-") that admits a family of kinds.
_KINDS = {
    stream: (
        frozenset(k for k in kinds if not k.endswith("-")),
        next((k for k in kinds if k.endswith("-")), None),
    )
    for stream, kinds in STREAM_KINDS.items()
}


def kind_allowed(stream: str, kind: str) -> bool:
    exact, prefix = _KINDS[stream]
    return kind in exact or (prefix is not None and kind.startswith(prefix))


# The fast path for lines about companies nobody watches (95% and more of every stream). CH writes
# its envelope compactly, resource_kind first and resource_uri second; a line laid out so, framed
# as an object, of an allowed kind and with a canonical company number nobody watches is skipped
# without parsing the rest. Anything else (another layout included) goes through parse_line.
URI_MARK = b'","resource_uri":"/company/'
_NUMBER_AT = len(URI_MARK)
_NUMBER_END = (b"/", b'"')
_CLOSE = ord("}")


@dataclass(frozen=True, slots=True)
class FastPath:
    prefix: bytes  # '{"resource_kind":"' and the stream's kind, or the start of its family
    family: bool  # the kind may go on after the prefix (company-psc-...)


def fast_path(stream: str) -> FastPath | None:
    """The quick look for the stream's main kind; None for a stream about people (no company in
    the line to look for). Other kinds of a stream take the full parse."""
    if stream in PERSON_STREAMS:
        return None
    exact, family = _KINDS[stream]
    if family is not None:
        return FastPath(f'{{"resource_kind":"{family}'.encode(), True)
    (kind,) = exact  # every other stream has one kind or one family
    return FastPath(f'{{"resource_kind":"{kind}'.encode(), False)


def unwatched_number(line: bytes, path: FastPath | None, watched) -> str | None:
    """If the line is in CH's layout, of the stream's kind, and about a company (canonical number)
    nobody watches: that number. Otherwise None, and the line must be parsed."""
    if path is None or not line.startswith(path.prefix) or line[-1] != _CLOSE:
        return None
    at = len(path.prefix)
    if path.family:
        at = line.find(URI_MARK, at, at + 80 + _NUMBER_AT)  # the longest kind is 50-odd characters
        if at == -1 or not line[len(path.prefix) : at].replace(b"-", b"").isalpha():
            return None
    elif not line.startswith(URI_MARK, at):
        return None
    start = at + _NUMBER_AT
    if line[start + 8 : start + 9] not in _NUMBER_END:
        return None
    number = line[start : start + 8].decode("latin-1")
    if number in watched or not _is_canonical(number):
        return None
    return number


def _is_canonical(number: str) -> bool:
    """CANONICAL.fullmatch for eight characters, at a tenth of the regex's cost."""
    if not number.isascii():
        return False
    if number.isdigit():
        return True
    head = number[:2]
    return number[2:].isdigit() and (
        (head.isalpha() and head.isupper()) or (head[0] == "R" and head[1].isdigit())
    )


def parse_line(line: bytes, stream: str) -> StreamEvent:
    """The event on a non-blank line, or Skip with the reason."""
    try:
        envelope = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        reason = INVALID_UTF8 if "UTF-8" in str(exc) else MALFORMED_JSON
        raise Skip(reason, str(exc)) from None
    if type(envelope) is not dict:
        raise Skip(NOT_AN_OBJECT, f"a JSON {type(envelope).__name__}")
    event = envelope.get("event")
    timepoint = event.get("timepoint") if type(event) is dict else None
    if type(timepoint) is not int or timepoint > MAX_TIMEPOINT:
        raise Skip(MISSING_FIELDS, "no integer event.timepoint")
    kind = envelope.get("resource_kind")
    uri = envelope.get("resource_uri")
    data = envelope.get("data")
    if data is None and event.get("type") == "deleted":
        # A deletion may come with no data at all (CH made it optional): it is news all the same.
        envelope["data"] = data = {}
    if type(kind) is not str or type(uri) is not str or type(data) is not dict:
        raise Skip(
            MISSING_FIELDS, "resource_kind, resource_uri or data missing or of the wrong type", timepoint
        )
    known = kind_allowed(stream, kind)  # (an unknown one is kept all the same, and counted apart)
    if stream in PERSON_STREAMS:
        number = ""
    else:
        number = company_number_of(uri)
        if number is None:
            raise Skip(INVALID_COMPANY_NUMBER, uri[:120], timepoint)
    if b"\\u0000" in line:  # (JSON can carry NUL only escaped; a raw NUL byte is malformed)
        envelope = _without_nul(envelope)
    return StreamEvent(timepoint, number, kind, envelope, line, known)


def _without_nul(value):
    """NUL replaced by U+FFFD throughout: PostgreSQL's text and jsonb refuse it, and the batch with
    it would fail to commit again after every reconnect (found by fuzzing the listener)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def company_number_of(resource_uri: str) -> str | None:
    """The company number in /company/{number}/..., normalised, or None. CH has been seen to drop
    the leading slash (company/14438833/exemptions): read either."""
    start = 9 if resource_uri[:9] == "/company/" else 8 if resource_uri[:8] == "company/" else 0
    if not start:
        return None
    end = resource_uri.find("/", start)
    number = resource_uri[start:end] if end != -1 else resource_uri[start:]
    if _CANONICAL(number):
        return number
    try:
        return normalise_company_number(number)
    except InvalidCompanyNumber:
        return None


def published_at(envelope: dict) -> datetime | None:
    """CH's published_at ("2025-03-14T10:22:07", no zone given; read as UTC), in UTC, or None.

    In UTC because PostgreSQL refuses offsets past 15:59 (failing the whole batch), and a moment
    whose UTC year is not 1 to 9999 would be stored but could never be read back: None then."""
    value = envelope.get("event", {}).get("published_at")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def raw_published_at(envelope: dict) -> str:
    value = envelope.get("event", {}).get("published_at")
    return value[:64] if isinstance(value, str) else ""


def digest(value) -> str:
    """A short fingerprint of JSON content, the same whatever the order of its keys."""
    return hashlib.sha1(orjson.dumps(value, option=orjson.OPT_SORT_KEYS), usedforsecurity=False).hexdigest()


def data_hash(data: dict) -> str:
    """Identity of a resource's content; the etag alone changing is not a change."""
    return digest({key: value for key, value in data.items() if key != "etag"})


def content_hash(event: StreamEvent) -> str:
    """What the event says: its data, and whether it removes the resource. A deletion is news of
    its own even when it carries the last version's data unchanged (README, Guarantees, 8)."""
    data = event.envelope["data"]
    return digest({"deleted": data_hash(data)}) if event.is_deletion else data_hash(data)
