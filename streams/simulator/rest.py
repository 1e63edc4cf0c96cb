"""CH's public data REST endpoints that backfill needs, served from what the streams carried:
GET /company/{n} and GET /company/{n}/filing-history (paged, newest first). Tests seed companies
through /_sim/companies and read how many requests were answered with each status at /_sim/api."""

from __future__ import annotations

import time

from streams.simulator.http import basic_user, respond


async def handle_rest(sim, scope, path: str, query: dict, send) -> None:
    async def answer(status: int, body, headers: list | None = None) -> None:
        sim.api_statuses[status] += 1
        await respond(send, status, body, headers)

    if basic_user(scope) != sim.config.api_key:
        await answer(401, {"error": "Invalid Authorization"})
        return
    now = time.monotonic()
    window = sim.api_calls
    while window and window[0] < now - sim.config.api_rate_window:
        window.popleft()
    if len(window) >= sim.config.api_rate_limit:
        retry = int(window[0] + sim.config.api_rate_window - now) + 1
        await answer(429, {"error": "rate limit exceeded"}, [(b"retry-after", str(retry).encode())])
        return
    window.append(now)
    sim.api_peak = max(sim.api_peak, len(window))
    parts = path.split("/")[2:]
    number = parts[0] if parts else ""
    if len(parts) == 1:
        profile = sim.profiles.get(number)
        await answer(200 if profile else 404, profile or {"errors": [{"error": "company-profile-not-found"}]})
    elif len(parts) == 2 and parts[1] == "filing-history":
        items = sorted(sim.filings.get(number, {}).values(), key=lambda f: f.get("date", ""), reverse=True)
        if "category" in query:
            items = [i for i in items if i.get("category") == query["category"]]
        start = max(int(query.get("start_index", 0) or 0), 0)
        per_page = min(max(int(query.get("items_per_page", 25) or 25), 1), 100)
        await answer(
            200,
            {
                "items": items[start : start + per_page],
                "start_index": start,
                "items_per_page": per_page,
                "total_count": len(items),
            },
        )
    else:
        await answer(404, {"error": "Not Found"})
