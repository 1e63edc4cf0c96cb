"""CH's public data REST endpoints that backfill needs, served from what the streams carried:
GET /company/{n}, /company/{n}/filing-history (paged, newest first), /company/{n}/officers and
/company/{n}/persons-with-significant-control (paged, with CH's list fields). Tests seed companies
through /_sim/companies and read how many requests were answered with each status at /_sim/api.

An unknown company is 404; a company the simulator knows (its profile, a filing, or any officer or
PSC event) with no officers or PSCs left gets 200 and an empty list."""

from __future__ import annotations

import time

from streams.simulator.http import basic_user, respond

NOT_FOUND = {"errors": [{"error": "company-profile-not-found"}]}  # for every company path
MAX_PER_PAGE = 100


async def handle_rest(sim, scope, path: str, query: dict, send) -> None:
    async def answer(status: int, body, headers: list | None = None) -> None:
        sim.api_statuses[status] += 1
        await respond(send, status, body, headers)

    if basic_user(scope) != sim.config.api_key:
        await answer(401, {"error": "Invalid Authorization"})
        return
    if sim.api_failures:
        await answer(sim.api_failures.pop(), {"error": "Service Unavailable"})
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
        await answer(200 if profile else 404, profile or NOT_FOUND)
    elif len(parts) == 2 and parts[1] == "filing-history":
        items = sorted(sim.filings.get(number, {}).values(), key=lambda f: f.get("date", ""), reverse=True)
        if "category" in query:
            items = [i for i in items if i.get("category") == query["category"]]
        start, per_page = page(query, 25)
        await answer(
            200,
            {
                "items": items[start : start + per_page],
                "start_index": start,
                "items_per_page": per_page,
                "total_count": len(items),
            },
        )
    elif len(parts) == 2 and parts[1] in ("officers", "persons-with-significant-control"):
        if not known(sim, number):
            await answer(404, NOT_FOUND)
        elif parts[1] == "officers":
            await answer(200, officer_list(number, sim.officers.get(number, {}).values(), query))
        else:
            await answer(200, psc_list(number, sim.pscs.get(number, {}).values(), query))
    else:
        await answer(404, {"error": "Not Found"})


def known(sim, number: str) -> bool:
    return any(number in held for held in (sim.profiles, sim.filings, sim.officers, sim.pscs))


def page(query: dict, default: int) -> tuple[int, int]:
    """start_index and items_per_page from the query; a value that is not a number is the default."""

    def number(name: str, fallback: int) -> int:
        try:
            return int(query.get(name) or fallback)
        except ValueError:
            return fallback

    return max(number("start_index", 0), 0), min(max(number("items_per_page", default), 1), MAX_PER_PAGE)


def officer_list(number: str, officers, query: dict) -> dict:
    # Serving in one fixed order keeps pages consistent: current officers first, newest
    # appointment first within each group.
    ordered = sorted(officers, key=lambda o: str(o.get("appointed_on", "")), reverse=True)
    ordered.sort(key=lambda o: "resigned_on" in o)
    start, per_page = page(query, 35)
    resigned = sum("resigned_on" in o for o in ordered)
    return {
        "items": ordered[start : start + per_page],
        "total_results": len(ordered),
        "active_count": len(ordered) - resigned,
        "resigned_count": resigned,
        "items_per_page": per_page,
        "start_index": start,
        "kind": "officer-list",
        "links": {"self": f"/company/{number}/officers"},
    }


def psc_list(number: str, pscs, query: dict) -> dict:
    ordered = sorted(pscs, key=lambda p: str(p.get("notified_on", "")), reverse=True)
    ordered.sort(key=ceased)
    start, per_page = page(query, 25)
    gone = sum(ceased(p) for p in ordered)
    return {
        "items": ordered[start : start + per_page],
        "total_results": len(ordered),
        "active_count": len(ordered) - gone,
        "ceased_count": gone,
        "items_per_page": per_page,
        "start_index": start,
        "links": {"self": f"/company/{number}/persons-with-significant-control"},
    }


def ceased(psc: dict) -> bool:
    return "ceased_on" in psc or psc.get("ceased") is True
