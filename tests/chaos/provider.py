"""The email provider's side of the chaos run: the file sink takes each message; this thread, as
the provider's webhook sender, then reports each one to our web process (Postmark's "Delivery"
event, with the message's metadata), retrying while the web process or its database is down."""

from __future__ import annotations

import json
import random
import threading
import time
from base64 import b64encode
from pathlib import Path

import httpx

from tests.mailbackends import postmark_delivery_event

WEBHOOK_USER, WEBHOOK_PASSWORD = "chaos-provider", "chaos-webhook-secret-0123456789"


class Provider(threading.Thread):
    def __init__(self, sink: Path, web_url: str, seed: int) -> None:
        super().__init__(daemon=True, name="chaos-provider")
        self.sink, self.url = sink, f"{web_url}/anymail/postmark/tracking/"
        self.rng = random.Random(seed)
        self.reported: set[str] = set()
        self.failures = 0
        self.stopping = threading.Event()
        token = b64encode(f"{WEBHOOK_USER}:{WEBHOOK_PASSWORD}".encode()).decode()
        self.http = httpx.Client(timeout=10, headers={"Authorization": f"Basic {token}"})

    def run(self) -> None:
        due: dict[str, float] = {}  # file -> when its webhook goes (providers take a moment)
        while not self.stopping.is_set():
            now = time.monotonic()
            for path in self.sink.glob("*.eml"):
                if path.name not in self.reported and path.name not in due:
                    due[path.name] = now + self.rng.uniform(0.2, 3.0)
            for name, when in sorted(due.items(), key=lambda item: item[1]):
                if when > now or self.stopping.is_set():
                    continue
                if self._post(self.sink / name):
                    self.reported.add(name)
                    del due[name]
                else:  # as providers do: try again a little later
                    self.failures += 1
                    due[name] = now + 2.0
            self.stopping.wait(0.2)

    def _post(self, path: Path) -> bool:
        try:
            response = self.http.post(self.url, content=json.dumps(postmark_delivery_event(path)))
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(15)
        self.http.close()
