"""The listener's logs say which event and what happened: a skipped line with the timepoint, kind
and company found in its bytes, a lost connection in words (httpx's own message is often empty)."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import struct
import threading
import time

import httpx
import orjson
import pytest

from streams.client import why_the_stream_failed
from streams.listener import ListenerConfig, StreamWorker
from streams.models import StreamState
from streams.peek import LineFacts, peek, peek_line
from streams.watch_index import WatchIndex
from tests.streamkit import Body, checkpoint, filing, free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def logged(caplog, *parts: str, level: int = logging.WARNING) -> str:
    """The first message of the listener at `level` holding every part, once it has been logged."""

    def find() -> str | None:
        for record in list(caplog.records):
            message = record.getMessage()
            if (
                record.name == "streams.listener"
                and record.levelno == level
                and all(p in message for p in parts)
            ):
                return message
        return None

    find.__name__ = f"a listener log line with {parts}"
    return wait_until(find)


def record_of(caplog, text: str) -> logging.LogRecord:
    return next(r for r in caplog.records if text in r.getMessage())


def ch_line(envelope: dict) -> bytes:
    return orjson.dumps(envelope)


def _with_cause(exc: Exception, cause: BaseException) -> Exception:
    exc.__cause__ = cause
    return exc


# --- a line over the size limit -------------------------------------------------------------


def test_a_line_over_the_size_limit_is_logged_with_the_timepoint_kind_and_company_it_carries(
    sim, listener, ashford_list, caplog
):
    listener("filings", max_line_bytes=10_000)
    # Ashford's Green Leaf Cafe files accounts with a huge payload; CH puts the timepoint last.
    tps = sim.add(
        "filings",
        filing("SC123456", "BEFORE"),
        filing("09876543", "HUGE", pad="x" * 300_000),
        filing("SC123456", "AFTER"),
    )
    wait_until(lambda: checkpoint("filings") == tps[-1])
    (huge,) = [e for e in sim.events("filings") if e["resource_id"] == "HUGE"]
    message = logged(caplog, "oversized_line")
    assert f"(oversized_line, {len(ch_line(huge)):,} bytes) after timepoint {tps[0]}: " in message
    assert f"timepoint {tps[1]}, kind filing-history, company 09876543" in message
    assert record_of(caplog, "oversized_line").company_number == "09876543"


def test_an_oversized_line_that_is_not_json_at_all_is_logged_with_unknowns(
    sim, listener, ashford_list, caplog
):
    listener("filings", max_line_bytes=10_000)
    tps = sim.add("filings", filing("SC123456", "BEFORE"), b"x" * 200_000, filing("SC123456", "AFTER"))
    wait_until(lambda: checkpoint("filings") == tps[-1])
    message = logged(caplog, "oversized_line")
    assert "200,000 bytes" in message
    assert "timepoint unknown, kind unknown, company unknown" in message


@pytest.mark.parametrize("chunk_size", [None, 7, 1000, 4099])
def test_an_oversized_line_says_the_same_however_the_network_cut_it_into_chunks(chunk_size, caplog):
    envelope = filing("09876543", "HUGE", pad="x" * 20_000)
    envelope["event"]["timepoint"] = 168_000_777
    line = ch_line(envelope)
    body = ch_line(filing("SC123456", "A") | {"event": {"timepoint": 168_000_776}}) + b"\n" + line + b"\n"
    chunks = (
        [body] if chunk_size is None else [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    )
    index = WatchIndex()
    index.replace({"SC123456"}, 0)  # McLeod Fishing, watched: its line is parsed, its timepoint known
    worker = StreamWorker("filings", _config(max_line_bytes=5_000), index, None, None)
    asyncio.run(worker._read_body(Body(chunks)))
    assert worker.status.counters["skipped_oversized_line"] == 1
    message = logged(caplog, "oversized_line")
    assert f"(oversized_line, {len(line):,} bytes) after timepoint 168000776: " in message
    assert "timepoint 168000777, kind filing-history, company 09876543" in message


def test_other_skipped_lines_are_logged_with_what_their_bytes_say(sim, listener, ashford_list, caplog):
    listener("filings")
    bad_number = filing("09876543", "N") | {"resource_uri": "/company/ABC/filing-history/N"}
    # A trailing comma breaks the JSON; the rest of the line still says which event it was.
    broken = (
        b'{"resource_kind":"filing-history","resource_uri":"company/SC123456/filing-history/X",'
        b'"data":{"category":"accounts",},"event":{"timepoint":168000999,"type":"changed"}}'
    )
    tps = sim.add("filings", bad_number, broken, filing("SC123456", "GOOD"))
    wait_until(lambda: checkpoint("filings") == tps[-1])
    assert f"timepoint {tps[0]}, kind filing-history, company ABC" in logged(caplog, "invalid_company_number")
    assert "timepoint 168000999, kind filing-history, company SC123456" in logged(caplog, "malformed_json")


def test_the_scanner_reads_chs_layout_others_and_garbage_without_parsing():
    ch = ch_line(filing("09876543", "T") | {"event": {"type": "changed", "timepoint": 168_511_966}})
    assert peek_line(ch) == LineFacts("168511966", "filing-history", "09876543")
    # Not CH's layout, no leading slash (as CH once sent), and cut short.
    spaced = b'{"event": {"timepoint": 90748417}, "resource_uri": "company/SL037194", '
    spaced += b'"resource_kind": "company-profile", "data": {"compa'
    assert peek_line(spaced) == LineFacts("90748417", "company-profile", "SL037194")
    assert peek_line(b"\xff\xfe[1, 2") == LineFacts("unknown", "unknown", "unknown")
    # Nothing that would break the log line is taken: no control characters, no escapes.
    assert peek_line(b'{"resource_kind":"evil\x1b[31m","resource_uri":"/company/12\\"34"}').kind == "unknown"
    assert peek_line(b'{"resource_uri":"/disqualified-officers/natural/rH3J"}').company_number == "unknown"


def test_the_scanner_takes_the_events_timepoint_from_the_tail_not_one_inside_the_data():
    head = b'{"resource_kind":"company-charges","resource_uri":"/company/OC431877/charges/V","data":{'
    middle = b'"x":"' + b"y" * 10_000 + b'","timepoint":1,"z":"' + b"y" * 5_000 + b'"},'
    tail = b'"event":{"timepoint":9000001,"type":"changed"}}'
    assert peek_line(head + middle + tail) == LineFacts("9000001", "company-charges", "OC431877")
    assert peek(head, tail=tail).timepoint == "9000001"


# --- a lost connection, in words, through the real listener loop ----------------------------


def test_a_connection_dropped_mid_line_is_logged_as_closed_mid_line_with_the_last_timepoint(
    sim, listener, ashford_list, caplog
):
    listener("filings")
    (first,) = sim.add("filings", filing("09876543", "A"))
    wait_until(lambda: checkpoint("filings") == first)
    sim.fault(stream="filings", drop_mid_line=1)
    (second,) = sim.add("filings", filing("SC123456", "B"))
    wait_until(lambda: checkpoint("filings") == second)
    message = logged(caplog, "reconnecting in")
    assert message.startswith(
        "filings: Companies House closed the connection mid-line (RemoteProtocolError: "
    )
    assert " and 1 event, " in message and "bytes into a line that will be read again" in message
    assert f"; last timepoint read {first}; reconnecting in " in message


def test_a_stall_is_logged_as_no_bytes_for_the_stall_timeout(sim, listener, ashford_list, caplog):
    sim.fault(stream="filings", stall_seconds=30)
    listener("filings", stall_timeout=0.5, wait=False)
    message = logged(caplog, "reconnecting in")
    assert message.startswith("filings: stall timeout: no bytes for 0.5 s (ReadTimeout) after 0.")
    assert " and 0 events; no timepoint yet; " in message


def test_a_refused_port_is_logged_as_connection_refused(sim, listener, ashford_list, caplog):
    port = free_port()  # nothing listens there
    listener("filings", base_url=f"http://127.0.0.1:{port}", wait=False)
    message = logged(caplog, "reconnecting in")
    assert message.startswith(
        f"filings: connection refused by 127.0.0.1:{port} (ConnectError: All connection attempts failed); "
    )
    assert " after " not in message  # it never connected
    wait_until(lambda: "connection refused" in StreamState.objects.get(stream="filings").last_error)


def test_a_connect_that_gets_no_answer_is_logged_as_a_connect_timeout(sim, listener, ashford_list, caplog):
    with FullBacklog() as port:
        listener("filings", base_url=f"http://127.0.0.1:{port}", connect_timeout=0.3, wait=False)
        message = logged(caplog, "reconnecting in")
    assert message.startswith(
        f"filings: connect timeout: 127.0.0.1:{port} did not answer within 0.3 s (ConnectTimeout); "
    )


def test_a_reset_connection_is_logged_as_reset_by_companies_house_not_as_an_empty_read_error(
    sim, listener, ashford_list, caplog
):
    event = filing("12345678", "UNWATCHED") | {"event": {"type": "changed", "timepoint": 168_000_500}}
    with HangingUp([ch_line(event) + b"\n"], reset=True) as url:
        listener("filings", base_url=url, wait=False)
        message = logged(caplog, "reconnecting in")
    assert message.startswith("filings: the connection was reset by Companies House (ReadError) after 0.")
    assert " and 1 event; last timepoint read 168000500; " in message
    assert "ReadError: ;" not in message


def test_a_response_companies_house_ends_is_logged_at_info_with_how_long_it_lasted(
    sim, listener, ashford_list, caplog
):
    caplog.set_level(logging.INFO, logger="streams.listener")
    event = filing("12345678", "UNWATCHED") | {"event": {"type": "changed", "timepoint": 168_000_600}}
    with HangingUp([ch_line(event) + b"\n"], reset=False) as url:
        listener("filings", base_url=url, wait=False)
        message = logged(caplog, "ended the response", level=logging.INFO)  # CH does it daily
    assert message.startswith("filings: Companies House ended the response after 0.")
    assert " and 1 event; last timepoint read 168000600; reconnecting in " in message


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (_with_cause(httpx.ConnectError(""), socket.gaierror(-2, "Name or service not known")),
         "could not look up the address of ch.invalid:8443 (ConnectError)"),
        (_with_cause(httpx.ConnectError("handshake"), ssl.SSLError("bad certificate")),
         "the TLS handshake with ch.invalid:8443 failed (ConnectError: handshake)"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."),
         "Companies House closed the connection without answering "
         "(RemoteProtocolError: Server disconnected without sending a response.)"),
        (httpx.RemoteProtocolError("illegal header line"),
         "Companies House sent something that is not HTTP (RemoteProtocolError: illegal header line)"),
        (httpx.ReadError(""), "the connection broke while reading (ReadError)"),
        (httpx.WriteTimeout(""), "timed out sending the request (WriteTimeout)"),
    ],
)  # fmt: skip
def test_the_rarer_failures_are_named_too(exc, words):
    assert (
        why_the_stream_failed(exc, "https://ch.invalid:8443", stall_timeout=90, connect_timeout=10) == words
    )


# --- helpers ----------------------------------------------------------------------------------


def _config(**overrides) -> ListenerConfig:
    return ListenerConfig(base_url="http://ch.invalid", key="k", streams=("filings",), **overrides)


class HangingUp:
    """A stand-in for CH that answers 200, sends `lines` and then hangs up: with a TCP reset, or by
    ending the response as CH does once a day. The simulator ends responses only one way."""

    def __init__(self, lines: list[bytes], *, reset: bool) -> None:
        self.body, self.reset = b"".join(lines), reset
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.server.close()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)  # the request
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                    + f"{len(self.body):x}\r\n".encode()
                    + self.body
                    + b"\r\n"
                )
                time.sleep(0.3)  # the listener reads the line before the hang-up
                if self.reset:  # closing with a zero linger sends RST instead of FIN
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    conn.sendall(b"0\r\n\r\n")


class FullBacklog:
    """A port whose listen queue is full: the kernel drops new SYNs, so a connect gets no answer."""

    def __enter__(self) -> int:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(0)
        port = self.server.getsockname()[1]
        self.fillers = []
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            self.fillers.append(filler)
        time.sleep(0.1)
        return port

    def __exit__(self, *exc_info) -> None:
        for filler in self.fillers:
            filler.close()
        self.server.close()
