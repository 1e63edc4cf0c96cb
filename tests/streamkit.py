"""Test kit for the streams: the simulator on a free port, a listener in a thread, CH events.

The simulator here is the real one (streams.simulator) served by uvicorn in a background thread;
tests steer it through its HTTP control API, exactly as the chaos run and benchmarks do.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import orjson
import uvicorn

from streams.listener import ListenerConfig, run_listener
from streams.simulator.server import SimConfig, Simulator

STREAM_KEY = "test-stream-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], object], timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {getattr(check, '__name__', check)}"
            )
        time.sleep(interval)


class SimServer:
    def __init__(self, config: SimConfig) -> None:
        self.sim = Simulator(config)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.sim,
                host="127.0.0.1",
                port=self.port,
                lifespan="on",
                log_level="warning",
                timeout_graceful_shutdown=1,
                access_log=False,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def start(self) -> SimServer:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=10)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.http.close()

    def add(self, stream: str, *items: dict | bytes) -> list[int | None]:
        body = b"\n".join(item if isinstance(item, bytes) else orjson.dumps(item) for item in items)
        response = self.http.post(f"/_sim/streams/{stream}/events", content=body)
        response.raise_for_status()
        return response.json()["timepoints"]

    def fault(self, **spec) -> None:
        self.http.post("/_sim/faults", json=spec).raise_for_status()

    def sent(self, stream: str) -> list[int]:
        return self.http.get(f"/_sim/streams/{stream}/sent").json()["timepoints"]

    def events(self, stream: str) -> list[dict]:
        return self.http.get(f"/_sim/streams/{stream}/events").json()["events"]

    def wait_connected(self, stream: str, count: int = 1) -> None:
        """Until `count` connections to the stream have been accepted (events added after that
        reach a listener that started without a checkpoint, i.e. "from now")."""
        wait_until(lambda: len([c for c in self.connections(stream) if c.get("status") == 200]) >= count)

    def connections(self, stream: str | None = None) -> list[dict]:
        log = self.http.get("/_sim/connections").json()["connections"]
        return [c for c in log if stream is None or c["stream"] == stream]


def process_env(sim: SimServer, **extra: str) -> dict[str, str]:
    """Environment for a real runstreams process against `sim` and the test database."""
    from tests.notifykit import process_env as test_process_env

    return test_process_env(**{"CH_STREAM_URL": sim.url, "CH_STREAM_KEY": STREAM_KEY, **extra})


def listener_config(sim: SimServer, *streams: str, **overrides) -> ListenerConfig:
    config = ListenerConfig(
        base_url=sim.url,
        key=STREAM_KEY,
        streams=streams or ("filings", "companies"),
        stall_timeout=5.0,
        flush_interval=0.1,
        checkpoint_interval=0.3,
        status_interval=0.2,
        index_interval=0.2,
        backoff_base=0.05,
        backoff_cap=0.5,
    )
    return replace(config, **overrides)


class ListenerThread:
    """run_listener in a thread of its own, stopped the way SIGTERM stops it."""

    def __init__(self, config: ListenerConfig) -> None:
        self.config = config
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.stop_event = asyncio.Event()
            await run_listener(self.config, self.stop_event)

        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to the test
            self.error = exc
        finally:
            from django.db import connections

            connections.close_all()

    def start(self) -> ListenerThread:
        self.thread.start()
        wait_until(lambda: self.stop_event is not None)
        return self

    def stop(self, timeout: float = 10.0) -> float:
        started = time.monotonic()
        if self.loop is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the listener did not stop"
        return time.monotonic() - started


def checkpoint(stream: str) -> int | None:
    from streams.models import StreamState

    return StreamState.objects.filter(stream=stream).values_list("timepoint", flat=True).first()


# --- CH events, in CH's envelope ------------------------------------------------------------


def filing(number: str, transaction_id: str, *, document: bool = False, **data) -> dict:
    links = {"self": f"/company/{number}/filing-history/{transaction_id}"}
    if document:
        links["document_metadata"] = (
            f"https://document-api.company-information.service.gov.uk/document/{transaction_id}"
        )
    return {
        "resource_kind": "filing-history",
        "resource_uri": f"/company/{number}/filing-history/{transaction_id}",
        "resource_id": transaction_id,
        "data": {
            "transaction_id": transaction_id,
            "category": "accounts",
            "type": "AA",
            "description": "accounts-with-accounts-type-micro-entity",
            "description_values": {"made_up_date": "2024-06-30"},
            "date": "2025-03-14",
            "links": links,
            **data,
        },
        "event": {"type": "changed", "published_at": "2025-03-14T10:22:07"},
    }


def profile(number: str, name: str = "Green Leaf Cafe Ltd", **data) -> dict:
    return {
        "resource_kind": "company-profile",
        "resource_uri": f"/company/{number}",
        "resource_id": number,
        "data": {
            "company_number": number,
            "company_name": name,
            "company_status": "active",
            "registered_office_address": {
                "address_line_1": "1 High Street",
                "locality": "Leeds",
                "postal_code": "LS1 4AB",
            },
            "etag": "0" * 40,
            **data,
        },
        "event": {"type": "changed", "published_at": "2025-03-14T10:22:07"},
    }


class Body:
    """What _read_body reads from: httpx's Response.aiter_bytes."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def aiter_bytes(self):
        for chunk in self.chunks:
            yield chunk
