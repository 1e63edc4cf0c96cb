"""The web process (Procfile `web`): uvicorn serving `project.asgi`, HTTP and WebSockets.

Run as `python -m project.serve --host H --port P`. Two differences from `uvicorn` on the
command line, both so that a process manager reads a requested stop as a clean one:
- after a graceful shutdown on SIGTERM or SIGINT uvicorn raises the same signal again, so that
  the process dies of it (exit -15 or -2); a no-op handler installed first receives that signal
  instead, and the process exits 0;
- the ASGI lifespan protocol is off: `project.asgi` does not speak it, and uvicorn's "appears
  unsupported" line is noise a newcomer cannot act on.
"""

from __future__ import annotations

import argparse
import signal
import sys

import uvicorn


def _already_stopping(signum, frame) -> None:
    """Receives the signal uvicorn raises again after its graceful shutdown."""


def run(host: str, port: int) -> int:
    config = uvicorn.Config(
        "project.asgi:application", host=host, port=port, lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _already_stopping)
    server.run()
    return 0 if server.started else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    return run(args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
