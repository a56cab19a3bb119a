"""`openenv gateway` in front of real `openenv serve grid` processes: the official
GenericEnvClient through one URL, sessions pinned to their backend, the reference's
CAPACITY_REACHED only when every backend is full, and a backend killed with SIGKILL failing
exactly its own sessions with a clear error frame (never a silent move to another backend).
Expected grid observations come from conftest.grid_layout (CPython's random)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Dict, List

import pytest
import requests

from conftest import OPENENV_BIN, TIMEOUT, Server, await_server, free_port, grid_layout, grid_path, run, start_server, wait_until

pytestmark = pytest.mark.swift_only


def start_gateway(backends: List[Server], *extra: str) -> Server:
    port = free_port()
    cmd = [str(OPENENV_BIN), "gateway", "--host", "127.0.0.1", "--port", str(port), "--health-interval", "0.2",
           "--failures-before-down", "2", *extra]
    for b in backends:
        cmd += ["--backend", b.base]
    return await_server(Server("gateway", port, cmd, dict(os.environ), {}))


@pytest.fixture
def grid_pair():
    backends = [start_server("grid", max_sessions=4), start_server("grid", max_sessions=4)]
    gateway = start_gateway(backends)
    yield gateway, backends
    gateway.stop()
    for b in backends:
        b.stop()


def test_the_official_client_plays_through_the_gateway_and_stays_on_one_backend(grid_pair):
    gateway, backends = grid_pair
    assert gateway.get("/health").json() == {"status": "healthy"}
    assert gateway.get("/metadata").json() == backends[0].get("/metadata").json()
    assert gateway.get("/schema").json() == backends[0].get("/schema").json()

    async def play() -> Dict[str, int]:
        clients = [gateway.client() for _ in range(4)]
        landed: Dict[str, int] = {}
        try:
            for seed, env in enumerate(clients):
                r = await env.reset(seed=seed)
                start, goal = grid_layout(seed)
                assert (r.observation["row"], r.observation["col"]) == start
                landed[env._ws.response.headers["x-openenv-backend"]] = landed.get(env._ws.response.headers["x-openenv-backend"], 0) + 1
            for seed, env in enumerate(clients):  # each to its goal: a moved session would lose its cell
                start, goal = grid_layout(seed)
                path = grid_path(start, goal)
                for move in path:
                    r = await env.step({"action": move})
                assert (r.observation["row"], r.observation["col"]) == goal and r.done and r.reward == 1.0
                st = await env.state()
                assert st["step_count"] == len(path) and st["seed"] == seed
        finally:
            for env in clients:
                await env.close()
        return landed

    landed = run(play())
    assert landed == {backends[0].base: 2, backends[1].base: 2}


def test_http_sessions_are_pinned_to_the_backend_that_created_them(grid_pair):
    gateway, backends = grid_pair
    sids = [gateway.create_session() for _ in range(4)]
    # Each backend holds exactly two of them (an unknown id there answers 404).
    held = [[s for s in sids if b.get("/state", params={"session_id": s}).status_code == 200] for b in backends]
    assert sorted(len(h) for h in held) == [2, 2] and sorted(held[0] + held[1]) == sorted(sids)
    for i, sid in enumerate(sids):
        assert gateway.post("/reset", {"seed": i, "session_id": sid}).status_code == 200
        r = gateway.post("/step", {"action": {"action": grid_path(*grid_layout(i))[0]}, "session_id": sid})
        assert r.status_code == 200, r.text
    for sid in sids:
        assert gateway.get("/state", params={"session_id": sid}).json()["step_count"] == 1
        assert gateway.close_session(sid)["result"]["closed"] is True


def test_capacity_reached_comes_only_when_every_backend_is_full():
    backends = [start_server("grid", max_sessions=1), start_server("grid", max_sessions=1)]
    gateway = start_gateway(backends)
    try:
        async def scenario():
            async with gateway.ws() as a, gateway.ws() as b:  # one on each backend
                for ws in (a, b):
                    await ws.send(json.dumps({"type": "reset", "data": {}}))
                    assert json.loads(await ws.recv())["type"] == "observation"
                async with gateway.ws() as c:
                    frame = json.loads(await asyncio.wait_for(c.recv(), TIMEOUT))
                    assert frame == {"type": "error", "data": {
                        "message": "Server at capacity: 2/2 sessions active. Cannot accept new connections.",
                        "code": "CAPACITY_REACHED", "active_sessions": 2, "max_sessions": 2}}
                    await c.wait_closed()
                    assert c.close_code == 1000
        run(scenario())
    finally:
        gateway.stop()
        for b in backends:
            b.stop()


def test_a_killed_backend_fails_exactly_its_sessions_with_a_clear_error(grid_pair):
    gateway, backends = grid_pair
    victim, survivor = backends

    async def scenario():
        sockets = []
        for _ in range(6):
            ws = await gateway.ws().__aenter__()
            await ws.send(json.dumps({"type": "reset", "data": {}}))
            assert json.loads(await ws.recv())["type"] == "observation"
            sockets.append((ws, ws.response.headers["x-openenv-backend"]))
        assert sorted(b for _, b in sockets) == sorted([victim.base] * 3 + [survivor.base] * 3)
        victim._signal(signal.SIGKILL)
        victim.proc.wait(timeout=10)
        for ws, backend in sockets:
            if backend == victim.base:
                frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                assert frame["type"] == "error" and frame["data"]["code"] == "BACKEND_LOST"
                assert victim.base in frame["data"]["message"] and "not moved" in frame["data"]["message"]
                await ws.wait_closed()
                assert ws.close_code == 1011
            else:
                await ws.send(json.dumps({"type": "step", "data": {"action": "DOWN"}}))
                frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                assert frame["type"] == "observation" and frame["data"]["observation"]["row"] == 1
                await ws.close()
        # The gateway stops routing to the dead backend; new sessions land on the survivor.
        wait_until(lambda: gateway.get("/ready").json()["backends"] == 1, 5, what="the gateway to drop the backend")
        env = gateway.client()
        try:
            r = await env.reset(seed=3)
            assert (r.observation["row"], r.observation["col"]) == grid_layout(3)[0]
            assert env._ws.response.headers["x-openenv-backend"] == survivor.base
        finally:
            await env.close()

    run(scenario())


def test_the_admin_route_is_closed_without_a_token_and_guarded_with_one(tmp_path, grid_pair):
    gateway, backends = grid_pair
    body = {"backends": [{"id": "a", "url": backends[0].base}]}
    assert requests.put(gateway.url("/admin/backends"), json=body, timeout=TIMEOUT).status_code == 403
    token_file = tmp_path / "admin-token"
    token_file.write_text("s3cret-admin-token-0123456789\n")
    port = free_port()
    cmd = [str(OPENENV_BIN), "gateway", "--host", "127.0.0.1", "--port", str(port), "--admin-token-file", str(token_file)]
    guarded = Server("gateway", port, cmd, dict(os.environ), {})
    try:
        wait_until(lambda: _answers(guarded), 30, what="the gateway to listen")
        assert guarded.get("/ready").status_code == 503  # no backend yet
        assert requests.put(guarded.url("/admin/backends"), json=body, timeout=TIMEOUT).status_code == 401
        r = requests.put(guarded.url("/admin/backends"), json=body, timeout=TIMEOUT,
                         headers={"authorization": "Bearer s3cret-admin-token-0123456789"})
        assert r.status_code == 200 and [(b["id"], b["up"]) for b in r.json()["backends"]] == [("a", True)]
        assert guarded.get("/ready").json()["max_sessions"] == 4
    finally:
        guarded.stop()


def _answers(server: Server) -> bool:
    try:
        server.get("/ready", timeout=1)
        return True
    except requests.RequestException:
        return False
