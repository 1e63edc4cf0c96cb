"""The simulator speaks CH's protocol: auth, resume, 416, 429, heartbeats, faults, REST."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from streams.simulator.server import SimConfig
from tests.streamkit import STREAM_KEY, SimServer, filing, profile


@pytest.fixture
def small_sim():
    server = SimServer(
        SimConfig(
            stream_key=STREAM_KEY,
            api_key="rest-key",
            heartbeat=0.1,
            retention=10,
            connection_limit=2,
            api_rate_limit=2,
            api_rate_window=60,
        )
    ).start()
    yield server
    server.stop()


def read_lines(
    sim: SimServer,
    stream: str,
    *,
    timepoint: int | None = None,
    key: str = STREAM_KEY,
    until: int = 1,
    timeout: float = 5.0,
) -> tuple[int, list[bytes]]:
    """Open the stream and read lines (blank ones included) until `until` non-blank ones came."""
    params = {"timepoint": timepoint} if timepoint is not None else None
    lines: list[bytes] = []
    with httpx.stream(
        "GET", f"{sim.url}/{stream}", params=params, auth=(key, ""), timeout=timeout
    ) as response:
        if response.status_code != 200:
            return response.status_code, []
        deadline = time.monotonic() + timeout
        for line in response.iter_lines():
            lines.append(line.encode())
            if len([x for x in lines if x.strip()]) >= until or time.monotonic() > deadline:
                break
    return 200, lines


def test_it_needs_the_stream_key_as_basic_auth_user(small_sim):
    assert read_lines(small_sim, "filings", key="wrong")[0] == 401
    assert httpx.get(f"{small_sim.url}/filings").status_code == 401


def test_it_sends_events_from_the_timepoint_asked_for_in_chs_envelope(small_sim):
    tps = small_sim.add("filings", filing("09876543", "A"), filing("09876543", "B"), filing("09876543", "C"))
    status, lines = read_lines(small_sim, "filings", timepoint=tps[1], until=2)
    events = [orjson.loads(line) for line in lines if line.strip()]
    assert status == 200
    assert [e["event"]["timepoint"] for e in events] == tps[1:]
    assert set(events[0]) == {"resource_kind", "resource_uri", "resource_id", "data", "event"}
    assert small_sim.sent("filings") == tps[1:]


def test_quiet_streams_send_blank_heartbeat_lines(small_sim):
    status, lines = read_lines(small_sim, "companies", until=1, timeout=0.5)
    assert status == 200
    assert lines and all(line == b"" for line in lines)


def test_a_timepoint_older_than_kept_or_beyond_the_newest_gets_416(small_sim):
    tps = small_sim.add("companies", *[profile("09876543", name=f"Name {i}") for i in range(120)])
    assert read_lines(small_sim, "companies", timepoint=tps[0])[0] == 416  # trimmed away
    assert read_lines(small_sim, "companies", timepoint=tps[-1] + 2)[0] == 416
    assert read_lines(small_sim, "companies", timepoint=tps[-1])[0] == 200


def test_more_connections_than_the_key_may_have_get_429(small_sim):
    streams = [
        httpx.stream("GET", f"{small_sim.url}/officers", auth=(STREAM_KEY, ""), timeout=5) for _ in range(3)
    ]
    responses = [s.__enter__() for s in streams]
    try:
        assert [r.status_code for r in responses] == [200, 200, 429]
        assert responses[2].headers["retry-after"] == "60"
    finally:
        for s in streams:
            s.__exit__(None, None, None)


def test_fault_switches_answer_with_the_status_asked_for(small_sim):
    small_sim.fault(stream="charges", status=503)
    small_sim.fault(stream="charges", status=429, retry_after=7)
    assert read_lines(small_sim, "charges")[0] == 503
    with httpx.stream("GET", f"{small_sim.url}/charges", auth=(STREAM_KEY, "")) as response:
        assert (response.status_code, response.headers["retry-after"]) == (429, "7")
    assert read_lines(small_sim, "charges", timeout=0.3)[0] == 200


def test_a_malformed_line_is_sent_as_it_is(small_sim):
    tps = small_sim.add("filings", filing("09876543", "A"), b"{not json", filing("09876543", "B"))
    assert tps[1] is None and tps[2] == tps[0] + 1  # a broken line takes no timepoint
    status, lines = read_lines(small_sim, "filings", timepoint=tps[0], until=3)
    assert status == 200
    assert lines[1] == b"{not json"
    assert [orjson.loads(lines[i])["data"]["transaction_id"] for i in (0, 2)] == ["A", "B"]


def test_the_rest_api_serves_what_the_streams_carried_with_its_key_and_rate_limit(small_sim):
    small_sim.add("companies", profile("09876543", name="Green Leaf Cafe Ltd"))
    small_sim.add(
        "filings", filing("09876543", "OLD", date="2024-01-01"), filing("09876543", "NEW", date="2025-01-01")
    )
    api = httpx.Client(base_url=small_sim.url, auth=("rest-key", ""))
    assert httpx.get(f"{small_sim.url}/company/09876543").status_code == 401
    assert api.get("/company/09876543").json()["company_name"] == "Green Leaf Cafe Ltd"
    history = api.get("/company/09876543/filing-history", params={"items_per_page": 1}).json()
    assert (history["total_count"], [i["transaction_id"] for i in history["items"]]) == (2, ["NEW"])
    limited = api.get("/company/09876543")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
