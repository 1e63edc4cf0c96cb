"""The simulator's ways of losing events without an error, and the REST lists that heal them.

An empty replay (a resume answered from the live head, as CH's published stream code of 2023
did) and a silent stream (heart-beating, sending nothing) are both gaps a listener must notice;
GET /company/{n}/officers and /persons-with-significant-control are what it reads to heal them.
Everything here goes over HTTP to the real simulator.
"""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from streams.simulator.server import SimConfig
from tests.streamkit import STREAM_KEY, SimServer, filing, profile, wait_until
from tests.test_simulator_server import read_lines

GREEN_LEAF = "09876543"  # Green Leaf Cafe Ltd, Aoife Byrne's and Tomasz Nowak's company
APPOINTMENTS = f"/company/{GREEN_LEAF}/appointments"
PSCS = f"/company/{GREEN_LEAF}/persons-with-significant-control"


@pytest.fixture
def sim():
    server = SimServer(
        SimConfig(
            stream_key=STREAM_KEY,
            api_key="rest-key",
            heartbeat=0.1,
            retention=1000,
            connection_limit=3,
            api_rate_limit=1000,
            api_rate_window=60,
        )
    ).start()
    yield server
    server.stop()


@pytest.fixture
def api(sim):
    with httpx.Client(base_url=sim.url, auth=("rest-key", ""), timeout=5) as client:
        yield client


def officer(
    appointment_id: str, name: str, *, event_type: str = "changed", links: bool = True, **data
) -> dict:
    uri = f"{APPOINTMENTS}/{appointment_id}"
    body = {"name": name, "officer_role": "director", "appointed_on": "2020-05-01", **data}
    if links:
        body["links"] = {
            "self": uri,
            "officer": {"appointments": f"/officers/{appointment_id}x/appointments"},
        }
    return {
        "resource_kind": "company-officers",
        "resource_uri": uri,
        "resource_id": appointment_id,
        "data": body,
        "event": {"type": event_type, "published_at": "2025-03-14T10:22:07"},
    }


def psc(kind: str, path: str, psc_id: str, name: str, *, event_type: str = "changed", **data) -> dict:
    uri = f"{PSCS}/{path}/{psc_id}"
    return {
        "resource_kind": kind,
        "resource_uri": uri,
        "resource_id": psc_id,
        "data": {"name": name, "notified_on": "2020-05-01", "links": {"self": uri}, **data},
        "event": {"type": event_type, "published_at": "2025-03-14T10:22:07"},
    }


def open_stream(sim: SimServer, stream: str, timepoint: int | None = None):
    params = {"timepoint": timepoint} if timepoint is not None else None
    return httpx.stream("GET", f"{sim.url}/{stream}", params=params, auth=(STREAM_KEY, ""), timeout=5)


def lines_for(lines, seconds: float) -> list[str]:
    """Every line (blank heartbeats included) an open stream sends in the next `seconds`."""
    got, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        got.append(next(lines))
    return got


def next_events(lines, count: int) -> list[dict]:
    events = []
    while len(events) < count:
        line = next(lines)
        if line.strip():
            events.append(orjson.loads(line))
    return events


# --- REST: officers and PSCs, from what their streams carried --------------------------------


def test_the_officers_list_holds_what_the_officers_stream_last_said_of_each_appointment(sim, api):
    sim.add("companies", profile(GREEN_LEAF))
    sim.add(
        "officers",
        officer("AOIFE", "BYRNE, Aoife Mary", appointed_on="2019-01-10"),
        officer("TOMASZ", "NOWAK, Tomasz", appointed_on="2024-02-01"),
        officer("AOIFE", "BYRNE, Aoife Mary", appointed_on="2019-01-10", resigned_on="2025-03-10"),
    )
    body = api.get(f"/company/{GREEN_LEAF}/officers").json()
    assert {k: v for k, v in body.items() if k != "items"} == {
        "total_results": 2,
        "active_count": 1,
        "resigned_count": 1,
        "items_per_page": 35,
        "start_index": 0,
        "kind": "officer-list",
        "links": {"self": f"/company/{GREEN_LEAF}/officers"},
    }
    assert [(o["name"], o.get("resigned_on")) for o in body["items"]] == [
        ("NOWAK, Tomasz", None),
        ("BYRNE, Aoife Mary", "2025-03-10"),
    ]
    assert body["items"][0]["links"] == {
        "self": f"{APPOINTMENTS}/TOMASZ",
        "officer": {"appointments": "/officers/TOMASZx/appointments"},
    }


def test_an_officer_event_without_links_is_listed_under_its_resource_uri(sim, api):
    sim.add("officers", officer("AOIFE", "BYRNE, Aoife Mary", links=False))
    [item] = api.get(f"/company/{GREEN_LEAF}/officers").json()["items"]
    assert item["links"] == {"self": f"{APPOINTMENTS}/AOIFE"}


def test_a_deleted_officer_leaves_the_list_and_the_company_answers_200_with_none(sim, api):
    sim.add("officers", officer("AOIFE", "BYRNE, Aoife Mary"))
    sim.add("officers", officer("AOIFE", "BYRNE, Aoife Mary", event_type="deleted"))  # last state kept
    response = api.get(f"/company/{GREEN_LEAF}/officers")
    assert response.status_code == 200
    assert (response.json()["items"], response.json()["total_results"]) == ([], 0)


def test_the_officers_list_pages_with_items_per_page_and_start_index(sim, api):
    sim.add(
        "officers",
        *[officer(f"D{i}", f"DIRECTOR, Number {i}", appointed_on=f"20{10 + i}-01-01") for i in range(5)],
    )
    pages = [
        api.get(f"/company/{GREEN_LEAF}/officers", params={"items_per_page": 2, "start_index": start}).json()
        for start in (0, 2, 4)
    ]
    assert [[o["name"][-1] for o in p["items"]] for p in pages] == [["4", "3"], ["2", "1"], ["0"]]
    assert [(p["start_index"], p["items_per_page"], p["total_results"]) for p in pages] == [
        (0, 2, 5),
        (2, 2, 5),
        (4, 2, 5),
    ]


def test_a_company_the_simulator_never_heard_of_has_no_officers_or_pscs_to_list(sim, api):
    for path in ("officers", "persons-with-significant-control"):
        response = api.get(f"/company/01234567/{path}")
        assert (response.status_code, response.json()) == (
            404,
            {"errors": [{"error": "company-profile-not-found"}]},
        )
    sim.add("filings", filing(GREEN_LEAF, "A"))  # now known, with no officers or PSCs
    assert api.get(f"/company/{GREEN_LEAF}/officers").json()["items"] == []
    assert api.get(f"/company/{GREEN_LEAF}/persons-with-significant-control").json()["total_results"] == 0


def test_the_psc_list_holds_what_the_psc_stream_carried_and_a_deletion_removes_it(sim, api):
    sim.add(
        "persons-with-significant-control",
        psc("company-psc-individual", "individual", "AOIFE", "Ms Aoife Mary Byrne"),
        psc("company-psc-corporate", "corporate-entity", "HOLD", "Green Leaf Holdings Limited"),
        psc("individual-beneficial-owner", "individual-beneficial-owner", "TOMASZ", "Mr Tomasz Nowak"),
        psc("company-psc-individual", "individual", "AOIFE", "Ms Aoife Mary Byrne", ceased_on="2025-03-10"),
        psc(
            "company-psc-corporate",
            "corporate-entity",
            "HOLD",
            "Green Leaf Holdings Limited",
            event_type="deleted",
        ),
    )
    body = api.get(f"/company/{GREEN_LEAF}/persons-with-significant-control").json()
    assert {k: v for k, v in body.items() if k != "items"} == {
        "total_results": 2,
        "active_count": 1,
        "ceased_count": 1,
        "items_per_page": 25,
        "start_index": 0,
        "links": {"self": PSCS},
    }
    assert [(p["name"], p["links"]["self"]) for p in body["items"]] == [
        ("Mr Tomasz Nowak", f"{PSCS}/individual-beneficial-owner/TOMASZ"),
        ("Ms Aoife Mary Byrne", f"{PSCS}/individual/AOIFE"),
    ]


def test_companies_seeded_through_the_control_api_list_their_officers_and_pscs(sim, api):
    seeded = officer("AOIFE", "BYRNE, Aoife Mary")["data"]
    owner = psc("company-psc-individual", "individual", "TOMASZ", "Mr Tomasz Nowak")["data"]
    company = {"profile": profile(GREEN_LEAF)["data"], "officers": [seeded], "pscs": [owner]}
    sim.http.post("/_sim/companies", json={"companies": [company]}).raise_for_status()
    assert api.get(f"/company/{GREEN_LEAF}/officers").json()["items"] == [seeded]
    assert api.get(f"/company/{GREEN_LEAF}/persons-with-significant-control").json()["items"] == [owner]
    sim.add("officers", officer("AOIFE", "BYRNE, Aoife Mary", resigned_on="2025-03-10"))  # the same one
    assert api.get(f"/company/{GREEN_LEAF}/officers").json()["resigned_count"] == 1


def test_seeding_an_officer_without_links_self_of_its_company_is_refused(sim, api):
    unlinked = {"name": "BYRNE, Aoife Mary"}
    elsewhere = {"name": "NOWAK, Tomasz", "links": {"self": "/company/01234567/appointments/X"}}
    for bad in (unlinked, elsewhere):
        company = {"profile": profile(GREEN_LEAF)["data"], "officers": [bad]}
        assert sim.http.post("/_sim/companies", json={"companies": [company]}).status_code == 400
    assert api.get(f"/company/{GREEN_LEAF}").status_code == 404  # nothing half-seeded


def test_the_people_lists_need_the_rest_key_and_count_against_its_rate_limit(sim, api):
    sim.add("officers", officer("AOIFE", "BYRNE, Aoife Mary"))
    assert httpx.get(f"{sim.url}/company/{GREEN_LEAF}/officers", auth=(STREAM_KEY, "")).status_code == 401
    sim.http.post("/_sim/api", json={"rate_limit": 2}).raise_for_status()
    assert api.get(f"/company/{GREEN_LEAF}/officers").status_code == 200
    assert api.get(f"/company/{GREEN_LEAF}/persons-with-significant-control").status_code == 200
    limited = api.get(f"/company/{GREEN_LEAF}/officers")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert sim.http.get("/_sim/api").json()["statuses"] == {"200": 2, "401": 1, "429": 1}


# --- empty replay: a resume answered from the live head ---------------------------------------


def test_an_empty_replay_resume_is_answered_200_from_the_live_head_past_the_checkpoint(sim):
    checkpoint, *missed = sim.add("filings", *[filing(GREEN_LEAF, f"T{i}") for i in range(3)])
    sim.fault(stream="filings", status="empty_replay")
    with open_stream(sim, "filings", timepoint=checkpoint) as response:
        assert response.status_code == 200
        [live] = sim.add("filings", filing(GREEN_LEAF, "LIVE"))  # pushed after the connection
        [first] = next_events(response.iter_lines(), 1)
    assert first["event"]["timepoint"] == live > missed[-1] > checkpoint
    assert first["data"]["transaction_id"] == "LIVE"
    assert sim.sent("filings") == [live]  # the checkpoint and what followed it never went out
    [entry] = sim.connections("filings")
    assert entry | {"at": None} == {
        "stream": "filings",
        "timepoint": str(checkpoint),
        "at": None,
        "status": 200,
        "empty_replay": True,
        "starts_at": live,
    }


def test_an_empty_replay_answers_a_timepoint_too_old_with_200_where_chs_2023_code_sent_no_416(sim):
    oldest = sim.http.get("/_sim/state").json()["companies"]["oldest"]
    sim.fault(stream="companies", status="empty_replay")
    with open_stream(sim, "companies", timepoint=oldest - 5000) as response:
        assert response.status_code == 200
        [live] = sim.add("companies", profile(GREEN_LEAF))
        assert next_events(response.iter_lines(), 1)[0]["event"]["timepoint"] == live
    assert read_lines(sim, "companies", timepoint=oldest - 5000)[0] == 416  # the fault was used up


def test_an_empty_replay_waits_for_a_resume_on_its_stream_and_then_replays_as_usual(sim):
    tps = sim.add("filings", *[filing(GREEN_LEAF, f"T{i}") for i in range(3)])
    sim.add("companies", profile(GREEN_LEAF))
    sim.fault(stream="filings", status="empty_replay", times=1)
    assert read_lines(sim, "filings", timeout=0.3)[0] == 200  # from now: nothing to skip, fault kept
    status, lines = read_lines(sim, "companies", timepoint=sim.events("companies")[0]["event"]["timepoint"])
    assert status == 200 and lines  # another stream's resume replays
    status, lines = read_lines(sim, "filings", timepoint=tps[0], timeout=0.5)
    assert status == 200 and all(line == b"" for line in lines)  # the empty replay
    status, lines = read_lines(sim, "filings", timepoint=tps[0], until=3)
    assert [orjson.loads(line)["event"]["timepoint"] for line in lines] == tps  # used up
    assert [c.get("empty_replay", False) for c in sim.connections("filings")] == [False, True, False]


def test_a_fault_status_the_simulator_does_not_know_is_refused(sim):
    response = sim.http.post("/_sim/faults", json={"status": "empty_reply"})
    assert response.status_code == 400


# --- silence: connected, heart-beating and sending nothing -------------------------------------


def test_a_silent_stream_sends_only_heartbeats_and_then_the_held_events_when_it_speaks_again(sim):
    [before] = sim.add("filings", filing(GREEN_LEAF, "BEFORE"))
    with open_stream(sim, "filings", timepoint=before) as response:
        lines = response.iter_lines()
        assert next_events(lines, 1)[0]["event"]["timepoint"] == before
        sim.http.post("/_sim/silence", json={"stream": "filings", "on": True}).raise_for_status()
        held = []
        for i in range(3):  # pushed while silent, a heartbeat apart
            held += sim.add("filings", filing(GREEN_LEAF, f"HELD{i}"))
            time.sleep(0.05)
        silent = lines_for(lines, 0.6)
        assert len(silent) >= 4 and set(silent) == {""}  # heartbeats every 0.1 s, though events came
        assert sim.sent("filings") == [before]
        answer = sim.http.post("/_sim/silence", json={"stream": "filings", "on": False}).json()
        assert answer == {"silenced": []}
        events = next_events(lines, 3)
    assert [e["event"]["timepoint"] for e in events] == held  # from where it stopped, in order
    assert sim.sent("filings") == [before, *held]


def test_events_pushed_during_silence_reach_the_rest_view_and_a_later_resume(sim, api):
    sim.http.post("/_sim/silence", json={"stream": "officers", "on": True}).raise_for_status()
    assert sim.http.get("/_sim/silence").json() == {"silenced": ["officers"]}
    [appointed] = sim.add("officers", officer("AOIFE", "BYRNE, Aoife Mary"))
    status, lines = read_lines(sim, "officers", timepoint=appointed, timeout=0.4)
    assert status == 200 and lines and set(lines) == {b""}  # a new connection is silent too
    assert [o["name"] for o in api.get(f"/company/{GREEN_LEAF}/officers").json()["items"]] == [
        "BYRNE, Aoife Mary"
    ]
    sim.http.post("/_sim/silence", json={"on": False}).raise_for_status()  # every stream
    status, lines = read_lines(sim, "officers", timepoint=appointed)
    assert orjson.loads(lines[-1])["resource_id"] == "AOIFE"


def test_silence_on_one_stream_leaves_the_others_sending(sim):
    sim.http.post("/_sim/silence", json={"stream": "filings", "on": True}).raise_for_status()
    with open_stream(sim, "companies") as response:
        wait_until(lambda: sim.connections("companies"))
        sim.add("companies", profile(GREEN_LEAF))
        [event] = next_events(response.iter_lines(), 1)
    assert event["resource_id"] == GREEN_LEAF


def test_the_silence_switch_refuses_an_unknown_stream_or_an_on_that_is_not_a_boolean(sim):
    for spec in (
        {"stream": "filing", "on": True},
        {"stream": "filings", "on": "false"},
        {"stream": "filings"},
    ):
        assert sim.http.post("/_sim/silence", json=spec).status_code == 400
    assert sim.http.get("/_sim/silence").json() == {"silenced": []}
