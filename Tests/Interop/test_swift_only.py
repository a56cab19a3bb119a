"""Deliberate improvements of the Swift server over the Python reference (openenv 0.10.0).

Every test here is marked `swift_only` and is skipped with OPENENV_INTEROP_SERVER=reference,
because the reference behaves differently (see the spec, section 13, "Known weaknesses"):

* HTTP sessions: POST /reset, POST /step and GET /state take a `session_id` (from
  `openenv/session/create`) and then act on that session; an unknown id is a 404
  {"detail": "Unknown session_id: <id>"}. Without a session_id they stay stateless.
* Ownership: a session owned by a /ws socket cannot be attached by another socket
  (SESSION_ERROR, close 1000) nor closed over HTTP (-32600); the owner keeps working.
* Reaper (--session-timeout): idle HTTP-created sessions without an attached socket are
  destroyed; sessions held by an open socket (owned or attached) are not.
* GET /ready: 200 {"status": "ready", ...} while a slot is free, 503 {"status": "full", ...}
  when all --max-sessions slots are in use.
* --step-timeout S: a server-side step deadline (the flag is accepted; no env can hang yet).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import (
    TIMEOUT,
    echo_message_result,
    expect_close,
    frame_data,
    grid_layout,
    observation,
    recv,
    rpc_err,
    rpc_ok,
    rt,
    run,
    send,
    send_tolerant,
    start_server,
    valid_action,
    wait_until,
    ws_error,
    ws_state,
)

pytestmark = pytest.mark.swift_only


async def own_session_id(ws) -> str:
    """The session id of a /ws socket, via the mcp envelope."""
    d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "openenv/session/create", "id": 1}}), "mcp")
    sid = rpc_ok(d)["session_id"]
    assert isinstance(sid, str) and sid
    return sid


# --------------------------------------------------------------------------------------
# stateful HTTP sessions
# --------------------------------------------------------------------------------------


def test_http_session_routes_are_stateful(env_server):
    env = env_server.env
    sid = env_server.create_session()
    try:
        r = env_server.post("/reset", {"session_id": sid, "episode_id": "http-sess"})
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"observation", "reward", "done", "metadata"}
        for i in range(1, 3):
            r = env_server.post("/step", {"session_id": sid, "action": valid_action(env, f"h{i}")})
            assert r.status_code == 200, r.text
            o = r.json()["observation"]
            if env == "grid":
                assert o["row"] == i, "HTTP steps in a session must accumulate"
            else:
                assert o["result"] == echo_message_result(f"h{i}")
        r = env_server.get("/state", params={"session_id": sid})
        assert r.status_code == 200, r.text
        s = r.json()
        assert (s["episode_id"], s["step_count"]) == ("http-sess", 2)
        if env == "grid":
            assert (s["row"], s["col"]) == (2, 0)
        # without session_id the routes stay stateless
        s0 = env_server.get("/state").json()
        assert s0["step_count"] == 0 and s0["episode_id"] != "http-sess"

        async def attached():  # an attached socket sees the same session
            async with env_server.ws(query={"session_id": sid}) as ws:
                s = await ws_state(ws)
                assert (s["episode_id"], s["step_count"]) == ("http-sess", 2)
                observation(await rt(ws, {"type": "step", "data": valid_action(env)}))

        run(attached())
        s = env_server.get("/state", params={"session_id": sid}).json()
        assert s["step_count"] == 3
    finally:
        env_server.close_session(sid)


def test_http_session_seeded_reset(grid_server):
    sid = grid_server.create_session()
    try:
        r = grid_server.post("/reset", {"session_id": sid, "seed": 7})
        assert r.status_code == 200
        (ar, ac), (gr, gc) = grid_layout(7)
        s = grid_server.get("/state", params={"session_id": sid}).json()
        assert (s["row"], s["col"], s["goal_row"], s["goal_col"], s["seed"]) == (ar, ac, gr, gc, 7)
    finally:
        grid_server.close_session(sid)


def test_http_session_unknown_id_is_404(env_server):
    bad = "no-such-session-id"
    want = {"detail": f"Unknown session_id: {bad}"}
    r = env_server.post("/reset", {"session_id": bad})
    assert (r.status_code, r.json()) == (404, want)
    r = env_server.post("/step", {"session_id": bad, "action": valid_action(env_server.env)})
    assert (r.status_code, r.json()) == (404, want)
    r = env_server.get("/state", params={"session_id": bad})
    assert (r.status_code, r.json()) == (404, want)


def test_http_session_closed_id_is_404(env_server):
    sid = env_server.create_session()
    rpc_ok(env_server.close_session(sid))
    r = env_server.post("/step", {"session_id": sid, "action": valid_action(env_server.env)})
    assert (r.status_code, r.json()) == (404, {"detail": f"Unknown session_id: {sid}"})


# --------------------------------------------------------------------------------------
# ownership
# --------------------------------------------------------------------------------------


def test_attach_to_ws_owned_session_is_refused(env_server):
    env = env_server.env

    async def go():
        async with env_server.ws() as owner:
            observation(await rt(owner, {"type": "reset", "data": {"episode_id": "owner-ep"}}))
            sid = await own_session_id(owner)
            async with env_server.ws(query={"session_id": sid}) as intruder:
                await send_tolerant(intruder, {"type": "state"})
                ws_error(await recv(intruder), "SESSION_ERROR")
                assert await expect_close(intruder) == 1000
            observation(await rt(owner, {"type": "step", "data": valid_action(env)}))
            s = await ws_state(owner)
            assert (s["episode_id"], s["step_count"]) == ("owner-ep", 1)

    run(go())


def test_http_close_of_ws_owned_session_is_refused(env_server):
    env = env_server.env

    async def go():
        async with env_server.ws() as owner:
            observation(await rt(owner, {"type": "reset", "data": {"episode_id": "kept"}}))
            sid = await own_session_id(owner)
            rpc_err(env_server.close_session(sid), -32600)
            d = observation(await rt(owner, {"type": "step", "data": valid_action(env, "after")}))
            if env == "echo":
                assert d["observation"]["error"] is None
                assert d["observation"]["result"] == echo_message_result("after")
            s = await ws_state(owner)
            assert (s["episode_id"], s["step_count"]) == ("kept", 1)

    run(go())


# --------------------------------------------------------------------------------------
# reaper (--session-timeout 1, one slot so that occupancy can be probed without touching
# the session under test)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reaper_server():
    s = start_server("echo", max_sessions=1, session_timeout=1)
    yield s
    s.stop()


def slot_free(server) -> bool:
    """Probe the single slot without touching the session that holds it."""
    r = server.rpc("openenv/session/create", {})
    if "error" in r:
        assert r["error"]["code"] == -32000, r
        return False
    server.close_session(r["result"]["session_id"])
    return True


def test_reaper_destroys_idle_http_session(reaper_server):
    sid = reaper_server.create_session()
    t0 = time.monotonic()
    assert not slot_free(reaper_server), "the HTTP session should hold the only slot"
    wait_until(lambda: slot_free(reaper_server), 10, interval=0.25, what="idle HTTP session reaped")
    elapsed = time.monotonic() - t0
    assert elapsed >= 0.9, f"reaped after {elapsed:.1f}s, before the 1s timeout"
    err = rpc_err(reaper_server.close_session(sid), -32602)
    assert err["message"] == f"Unknown session_id: {sid}"


def test_reaper_spares_idle_owned_socket(reaper_server):
    async def go():
        async with reaper_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {"episode_id": "idle"}}))
            # 6.5 s: longer than the Swift reaper needs for an HTTP session (~3 s) and than
            # the reference's reaper period (5 s), which does reap such sockets
            await asyncio.sleep(6.5)
            assert not slot_free(reaper_server), "the idle /ws session lost its slot"
            d = observation(await rt(ws, {"type": "step", "data": valid_action("echo", "still here")}))
            assert d["observation"]["error"] is None
            assert d["observation"]["result"] == echo_message_result("still here")
            s = await ws_state(ws)
            assert (s["episode_id"], s["step_count"]) == ("idle", 1)

    run(go())
    wait_until(lambda: slot_free(reaper_server), 5, what="slot released after the socket closed")


def test_reaper_spares_attached_session(reaper_server):
    sid = reaper_server.create_session()

    async def go():
        async with reaper_server.ws(query={"session_id": sid}) as ws:
            observation(await rt(ws, {"type": "reset", "data": {"episode_id": "attached-idle"}}))
            await asyncio.sleep(3.5)
            d = observation(await rt(ws, {"type": "step", "data": valid_action("echo", "x")}))
            assert d["observation"]["error"] is None
            assert (await ws_state(ws))["episode_id"] == "attached-idle"
            assert rpc_ok(reaper_server.close_session(sid)) == {"session_id": sid, "closed": False, "closing": True}
            await send(ws, {"type": "close"})
            await expect_close(ws)

    run(go())
    wait_until(lambda: slot_free(reaper_server), 5, what="session destroyed after detach")


# --------------------------------------------------------------------------------------
# GET /ready
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_server():
    s = start_server("echo", max_sessions=2)
    yield s
    s.stop()


def ready(server):
    r = server.get("/ready")
    assert r.headers.get("content-type", "").startswith("application/json")
    return r.status_code, r.json()


def test_ready_reflects_capacity(small_server):
    code, body = ready(small_server)
    assert code == 200 and body["status"] == "ready", body

    async def go():
        b = None
        a = await small_server.ws().__aenter__()  # a /ws session takes its slot at connect
        try:
            observation(await rt(a, {"type": "reset", "data": {}}))
            code, body = ready(small_server)
            assert code == 200 and body["status"] == "ready", "one slot is still free"
            b = await small_server.ws().__aenter__()
            observation(await rt(b, {"type": "reset", "data": {}}))
            code, body = ready(small_server)
            assert code == 503 and body["status"] == "full", body
            await send(b, {"type": "close"})
            await expect_close(b)
            deadline = time.monotonic() + TIMEOUT
            while ready(small_server)[0] != 200:
                assert time.monotonic() < deadline, "/ready stayed 503 after a slot was freed"
                await asyncio.sleep(0.1)
        finally:
            await asyncio.gather(*[w.close() for w in (a, b) if w is not None], return_exceptions=True)

    run(go())


def test_ready_counts_http_sessions(small_server):
    wait_until(lambda: ready(small_server)[0] == 200, 5, what="/ready 200")
    sids = [small_server.create_session() for _ in range(2)]
    try:
        code, body = ready(small_server)
        assert code == 503 and body["status"] == "full", body
    finally:
        for sid in sids:
            small_server.close_session(sid)
    code, body = ready(small_server)
    assert code == 200 and body["status"] == "ready", body


def test_health_stays_healthy_when_full(small_server):
    sids = [small_server.create_session() for _ in range(2)]
    try:
        r = small_server.get("/health")
        assert (r.status_code, r.json()) == (200, {"status": "healthy"})
    finally:
        for sid in sids:
            small_server.close_session(sid)


# --------------------------------------------------------------------------------------
# --step-timeout
# --------------------------------------------------------------------------------------


def test_step_timeout_flag_is_accepted(start):
    s = start("echo", extra_args=["--step-timeout", "5"])

    async def go():
        async with s.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            d = observation(await rt(ws, {"type": "step", "data": valid_action("echo", "deadline")}))
            assert d["observation"]["result"] == echo_message_result("deadline")

    run(go())


@pytest.mark.skip(reason="no environment can make a step hang yet; add one to test the step deadline")
def test_step_deadline_is_enforced():
    raise AssertionError("not written yet")
