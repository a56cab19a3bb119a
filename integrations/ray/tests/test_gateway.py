"""`openenv gateway` fed by an EnvFleet: the fleet registers its servers with the gateway
(`add_listener` → `PUT /admin/backends` with the admin token), 300 concurrent sessions of the
official client go through the gateway's one URL, and a node dies mid-run.

Shows: only the sessions whose backend was on the lost node fail, each with a clear error
(the gateway's close 1011 "backend lost", or its BACKEND_LOST error frame for a call in
flight), never a silent new session; new sessions right after the kill succeed on survivors;
the fleet's replacement servers reach the gateway. The client is `FleetSession` without a
fleet: the official `GenericEnvClient` minus its silent reconnect (session.py).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from typing import Any, Dict, List

import pytest
import requests

from conftest import LOOPBACK, record, wait_for
from openenv_fleet import EnvFleet, SessionLost
from openenv_fleet.fleet import dumps
from openenv_fleet.session import FleetSession
from test_fleet import first_move, grid_layout

SESSIONS = int(os.environ.get("GATEWAY_TEST_SESSIONS", "300"))
ADMIN_TOKEN = "fleet-gateway-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gateway(openenv_bin, tmp_path_factory):
    token = tmp_path_factory.mktemp("gateway") / "admin-token"
    token.write_text(ADMIN_TOKEN + "\n")
    port = free_port()
    log = open(tmp_path_factory.mktemp("gateway-log") / "gateway.log", "wb")
    proc = subprocess.Popen([openenv_bin, "gateway", "--host", LOOPBACK, "--port", str(port), "--admin-token-file", str(token),
                             "--health-interval", "0.5"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://{LOOPBACK}:{port}"
    try:
        assert wait_for(lambda: _ready(url) is not None, 30), "the gateway did not start"
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _ready(url: str) -> Any:
    try:
        return requests.get(url + "/ready", timeout=2).json()
    except requests.RequestException:
        return None


def register_with(gateway_url: str):
    """The listener a fleet calls with its routable servers: the complete set, every time."""
    def listener(backends: List[Dict[str, Any]]) -> None:
        r = requests.put(gateway_url + "/admin/backends", data=dumps(backends), timeout=10,
                         headers={"authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"})
        r.raise_for_status()
    return listener


def test_300_sessions_through_the_gateway_survive_a_node_loss_except_its_own(cluster, openenv_bin, gateway):
    refused = requests.put(gateway + "/admin/backends", json={"backends": []}, timeout=10)
    assert refused.status_code == 401  # the admin route wants the admin token
    grid = EnvFleet("grid", servers=3, per_server=128, resources={"CPU": 1}, binary=openenv_bin, host=LOOPBACK,
                    name="gateway-grid")
    record(grid)
    try:
        assert grid.wait_until_size(3, 60)
        grid.add_listener(register_with(gateway))
        assert wait_for(lambda: (_ready(gateway) or {}).get("backends") == 3, 30), _ready(gateway)
        node_of = {s["id"]: s["node_id"] for s in grid.servers()}
        victim_node = next(n for n in cluster.workers if n.node_id in node_of.values())
        doomed = {sid for sid, node in node_of.items() if node == victim_node.node_id}
        results: Dict[int, Dict[str, Any]] = {}

        async def session_run(i: int, opened: asyncio.Event, killed: asyncio.Event, counter: List[int]):
            s = FleetSession(base_url=gateway, message_timeout_s=120, connect_timeout_s=60)
            rec: Dict[str, Any] = {"backend": None, "error": None}
            results[i] = rec
            try:
                r = await s.reset(seed=i)
                rec["backend"] = s._ws.response.headers["x-openenv-backend"]
                assert (r.observation["row"], r.observation["col"]) == grid_layout(i)[0]
                move, cell = first_move(i)
                r = await s.step({"action": move})
                assert (r.observation["row"], r.observation["col"]) == cell
                counter[0] += 1
                if counter[0] == SESSIONS:
                    opened.set()
                await killed.wait()
                st = await s.state()
                assert st["step_count"] == 1 and st["seed"] == i and (st["row"], st["col"]) == cell
            except (SessionLost, RuntimeError) as e:
                rec["error"] = e
            except Exception as e:  # noqa: BLE001 (anything else fails the test below)
                rec["error"] = e
            finally:
                await s.close()

        timeline: Dict[str, float] = {}

        async def go():
            opened, killed = asyncio.Event(), asyncio.Event()
            counter = [0]
            tasks = [asyncio.create_task(session_run(i, opened, killed, counter)) for i in range(SESSIONS)]
            await asyncio.wait_for(opened.wait(), 300)
            per_backend = {b["id"]: b["websocket_sessions"] for b in requests.get(
                gateway + "/admin/backends", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10).json()["backends"]}
            timeline["kill"] = time.time()
            await asyncio.to_thread(cluster.kill_node, victim_node)
            await asyncio.sleep(0.5)
            killed.set()
            fresh = []
            for j in range(20):  # new sessions right away: they land on survivors and work
                s = FleetSession(base_url=gateway, message_timeout_s=60)
                try:
                    r = await s.reset(seed=1000 + j)
                    assert (r.observation["row"], r.observation["col"]) == grid_layout(1000 + j)[0]
                    fresh.append(s._ws.response.headers["x-openenv-backend"])
                finally:
                    await s.close()
            timeline["fresh"] = time.time()
            await asyncio.wait_for(asyncio.gather(*tasks), 300)
            return per_backend, fresh

        per_backend, fresh = asyncio.run(go())
        assert len(fresh) == 20 and not set(fresh) & doomed, fresh
        failed = {i for i, r in results.items() if r["error"] is not None}
        on_doomed = {i for i, r in results.items() if r["backend"] in doomed}
        assert len(results) == SESSIONS and on_doomed
        assert failed == on_doomed, {i: repr(results[i]["error"]) for i in failed ^ on_doomed}
        assert len(on_doomed) == sum(per_backend[d] for d in doomed)  # the gateway's own count agreed
        for i in failed:
            e = results[i]["error"]
            text = str(e)
            assert ("BACKEND_LOST" in text and results[i]["backend"] in text) or "close 1011 backend lost" in text, repr(e)
        # the fleet replaces the node's server and tells the gateway
        assert grid.wait_until_size(3, 120)
        assert wait_for(lambda: (_ready(gateway) or {}).get("backends") == 3, 30), _ready(gateway)
        record(grid)
        print(f"\nGATEWAY-NODE-LOSS sessions={SESSIONS} failed={len(failed)} (all on the lost node, "
              f"gateway count {sum(per_backend[d] for d in doomed)}) fresh_ok={len(fresh)} "
              f"fresh_after={timeline['fresh'] - timeline['kill']:.1f}s")
    finally:
        record(grid)
        grid.shutdown()
