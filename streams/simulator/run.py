"""Wiring the simulator together from `manage.py chsim`'s options: faults, what it serves
(a replayed file or the generator, with the demo practice's clients under `--watched-demo`) and
the uvicorn server it runs on, stopping cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime

import uvicorn

from streams.events import DEFAULT_STREAMS, STREAM_KINDS
from streams.simulator import demo
from streams.simulator.demo import DEMO_COMPANIES
from streams.simulator.generator import Generator
from streams.simulator.producers import add_replayed, generate, read_replay, replay
from streams.simulator.server import SimConfig, Simulator

log = logging.getLogger("streams.simulator")


class SimulatorError(Exception):
    """An option the simulator cannot run with (the command shows it as its error)."""


def run_simulator(opts: dict) -> None:
    """Serve until SIGTERM or SIGINT; `opts` are chsim's parsed options."""
    sim = Simulator(
        SimConfig(
            stream_key=opts["key"],
            api_key=opts["api_key"],
            heartbeat=opts["heartbeat"],
            retention=opts["retention"],
            start_timepoints={s: opts["start_timepoint"] for s in STREAM_KINDS}
            if opts["start_timepoint"]
            else {},
            connection_limit=opts["connection_limit"],
        )
    )
    for status in opts["fail_status"]:
        sim.faults.statuses.append((None, status, 60.0))
    for stream in STREAM_KINDS:
        sim.faults.drops[stream] += opts["drop_mid_line"]
    if opts["stall_seconds"]:
        sim.faults.stalls.append((None, opts["stall_seconds"]))
    streams = list(opts["streams"] or DEFAULT_STREAMS)
    if opts["replay"]:
        if not opts["replay"].exists():
            raise SimulatorError(f"--replay {opts['replay']}: no such file")
        items = read_replay(sim, opts["replay"])
        if opts["rate"] > 0 or opts["replay_loop"]:
            sim.background.append(replay(sim, items, rate=opts["rate"], loop=opts["replay_loop"]))
        else:
            for item in items:
                add_replayed(sim, item)
        log.info("chsim: replaying %d lines from %s", len(items), opts["replay"])
    elif opts["rate"] > 0 or opts["count"] > 0:
        generator, watched = _generator(opts)
        for number in watched:  # the REST endpoints (backfill) know the watched companies at once
            current = generator.profile(number)
            if current is not None:
                sim.add_company(current, generator.filing_history(number))
        sim.background.append(
            generate(
                sim,
                generator,
                streams,
                rate=opts["rate"],
                count=opts["count"],
                malformed_every=opts["malformed_every"],
                mixed=opts["mix"] == "ch",
            )
        )
    log.info(
        "chsim: Companies House simulator on http://%s:%d (stream key %r)",
        opts["host"],
        opts["port"],
        opts["key"],
    )
    config = uvicorn.Config(
        sim,
        host=opts["host"],
        port=opts["port"],
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=2,
        access_log=False,
    )
    asyncio.run(_serve(_Server(config, sim)))
    log.info("chsim: stopped")


def _generator(opts: dict) -> tuple[Generator, list[str]]:
    # The story starts today: the watched companies' deadlines are as of the day it runs.
    today = datetime.now(UTC).date()
    share = opts["watched_share"]
    if opts["watched_demo"]:
        clients = [(number, name) for number, _, name in DEMO_COMPANIES]
        generator = demo.demo_generator(
            opts["seed"],
            clients,
            rate=opts["rate"] if opts["mix"] == "ch" else opts["rate"] * len(DEFAULT_STREAMS),
            today=today,
            companies=opts["companies"],
            duplicate_share=opts["duplicate_share"],
            noop_share=opts["noop_share"],
            watched_share=share,
        )
        return generator, [number for number, _ in clients]
    watched = [n.strip() for n in opts["watched"].split(",") if n.strip()]
    generator = Generator(
        opts["seed"],
        companies=opts["companies"],
        watched=watched,
        watched_share=0.05 if share is None else share,
        duplicate_share=opts["duplicate_share"],
        noop_share=opts["noop_share"],
        today=today,
    )
    return generator, watched


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, sim: Simulator):
        super().__init__(config)
        self.sim = sim

    @contextlib.contextmanager
    def capture_signals(self):
        # uvicorn re-raises SIGTERM after shutting down (exit status -15); the command handles
        # the signals itself so a stop is a clean exit.
        yield

    async def shutdown(self, sockets=None) -> None:
        self.sim.close()  # the open streams end at once, so the graceful shutdown has nothing to cut
        await super().shutdown(sockets)


async def _serve(server: uvicorn.Server) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, setattr, server, "should_exit", True)
    await server.serve()
