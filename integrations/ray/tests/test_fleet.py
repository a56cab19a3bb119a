"""EnvFleet on a real three-node Ray cluster (conftest.py), driven with the official
openenv 0.10.0 GenericEnvClient that ``fleet.session()`` returns.

Expected values come from outside the code under test: grid layouts from CPython's
``random.Random(seed).sample(range(25), 2)`` (the rule the reference grid follows, as in
Tests/Interop), coding output from what Python prints, capacity from the ``--max-sessions`` we
pass, and each server's node from Ray's own node table.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests
import ray
from openenv import GenericEnvClient

from conftest import LOOPBACK, openenv_pids, record, wait_for
from openenv_fleet import EnvFleet, FleetFull, SessionLost

GRID_SESSIONS = int(os.environ.get("FLEET_TEST_GRID_SESSIONS", "270"))
CODING_SESSIONS = int(os.environ.get("FLEET_TEST_CODING_SESSIONS", "30"))
GRID_PER_SERVER = 128
CODING_PER_SERVER = 16
RECOVERY_BOUND = 120.0  # seconds for a lost server to be replaced (a bound, not a measurement)


def grid_layout(seed: int) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    a, g = random.Random(seed).sample(range(25), 2)
    return divmod(a, 5), divmod(g, 5)


def first_move(seed: int) -> Tuple[str, Tuple[int, int]]:
    """The first move towards the goal (rows first) and the cell it leads to."""
    (r, c), (gr, gc) = grid_layout(seed)
    if gr != r:
        return ("DOWN", (r + 1, c)) if gr > r else ("UP", (r - 1, c))
    return ("RIGHT", (r, c + 1)) if gc > c else ("LEFT", (r, c - 1))


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def fleets(cluster, openenv_bin):
    grid = EnvFleet("grid", servers=3, per_server=GRID_PER_SERVER, resources={"CPU": 1},
                    binary=openenv_bin, host=LOOPBACK, name="grid")
    coding = EnvFleet("coding", servers=3, per_server=CODING_PER_SERVER, resources={"CPU": 1},
                      binary=openenv_bin, host=LOOPBACK, name="coding")
    record(grid)
    record(coding)
    try:
        yield grid, coding
    finally:
        for f in (grid, coding):
            record(f)
            f.shutdown()


def test_servers_are_spread_over_the_nodes_and_report_their_capacity(cluster, fleets):
    nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    assert len(nodes) == 3
    for fleet, per_server in zip(fleets, (GRID_PER_SERVER, CODING_PER_SERVER)):
        servers = fleet.servers()
        assert len(servers) == 3 and all(s["state"] == "up" for s in servers)
        assert {s["node_id"] for s in servers} == nodes  # SPREAD: one server per node
        for s in servers:
            assert s["url"].startswith(f"http://{LOOPBACK}:")
            ready = requests.get(s["url"] + "/ready", timeout=5).json()
            assert ready["max_sessions"] == per_server and ready["active_sessions"] == 0
            assert s["max_sessions"] == per_server and s["active_sessions"] == 0
            assert requests.get(s["url"] + "/health", timeout=5).status_code == 200


def test_a_session_is_the_official_client_on_the_least_loaded_server(fleets):
    grid, _ = fleets

    async def go():
        sessions = [grid.session() for _ in range(6)]
        assert all(isinstance(s, GenericEnvClient) for s in sessions)
        # six sessions on three empty servers of equal capacity: two on each
        counts: Dict[str, int] = {}
        for s in sessions:
            counts[s.server_id] = counts.get(s.server_id, 0) + 1
        assert sorted(counts.values()) == [2, 2, 2]
        try:
            for i, s in enumerate(sessions):
                r = await s.reset(seed=i)
                assert (r.observation["row"], r.observation["col"]) == grid_layout(i)[0]
            # the servers' own /ready counts them
            time.sleep(grid.monitor_interval * 2.5)
            assert sorted(x["active_sessions"] for x in grid.servers()) == [2, 2, 2]
        finally:
            for s in sessions:
                await s.close()
        with pytest.raises(SessionLost, match="closed by its user"):
            await sessions[0].state()

    run(go())
    assert wait_for(lambda: all(x["fleet_sessions"] == 0 for x in grid.servers()), 5)


def test_a_dead_server_process_is_restarted_and_only_its_sessions_fail(fleets):
    grid, _ = fleets

    async def go():
        sessions = [grid.session() for _ in range(3)]  # one per server
        for i, s in enumerate(sessions):
            await s.reset(seed=100 + i)
        victim = sessions[0]
        before = {x["id"]: x for x in grid.servers()}[victim.server_id]
        os.kill(before["pid"], signal.SIGKILL)
        with pytest.raises(SessionLost) as err:
            await victim.step({"action": "DOWN"})
        assert victim.server_id in str(err.value) and "fleet.session()" in str(err.value)
        with pytest.raises(SessionLost):  # and it stays lost: no reconnect into a new session
            await victim.state()
        for i, s in enumerate(sessions[1:], start=1):
            st = await s.state()
            assert st["seed"] == 100 + i and st["step_count"] == 0
            await s.close()
        # the supervisor restarts the process (a new generation, a new pid)
        assert wait_for(lambda: {x["id"]: x for x in grid.servers()}[victim.server_id]["generation"] == 2, 30)
        after = {x["id"]: x for x in grid.servers()}[victim.server_id]
        assert after["pid"] != before["pid"] and after["node_id"] == before["node_id"]
        record(grid)
        fresh = grid.session()
        async with fresh:
            r = await fresh.reset(seed=7)
            assert (r.observation["row"], r.observation["col"]) == grid_layout(7)[0]

    run(go())


def test_sessions_across_the_cluster_survive_the_loss_of_a_node_except_its_own(cluster, fleets):
    grid, coding = fleets
    for f in fleets:
        assert f.wait_until_size(3, 60)
        record(f)
    # the worker node that carries servers of both fleets dies
    victim_node = next(n for n in cluster.workers
                       if any(s["node_id"] == n.node_id for s in grid.servers())
                       and any(s["node_id"] == n.node_id for s in coding.servers()))
    doomed = {s["id"] for f in fleets for s in f.servers() if s["node_id"] == victim_node.node_id}
    doomed_pids = {s["pid"] for f in fleets for s in f.servers() if s["node_id"] == victim_node.node_id}
    assert len(doomed) == 2

    results: Dict[int, Dict[str, Any]] = {}
    n_total = GRID_SESSIONS + CODING_SESSIONS

    async def session_run(i: int, opened: asyncio.Event, killed: asyncio.Event, counter: List[int]):
        is_grid = i < GRID_SESSIONS
        fleet = grid if is_grid else coding
        s = fleet.session(message_timeout_s=120)
        rec: Dict[str, Any] = {"server": s.server_id, "grid": is_grid, "error": None}
        results[i] = rec
        try:
            if is_grid:
                r = await s.reset(seed=i)
                assert (r.observation["row"], r.observation["col"]) == grid_layout(i)[0]
                assert (r.observation["goal_row"], r.observation["goal_col"]) == grid_layout(i)[1]
                move, cell = first_move(i)
                r = await s.step({"action": move})
                assert (r.observation["row"], r.observation["col"]) == cell
            else:
                await s.reset()
                r = await s.step({"code": f"x = {i} * 3\nprint(x)"})
                assert r.observation["stdout"] == f"{i * 3}\n"
            counter[0] += 1
            if counter[0] == n_total:
                opened.set()
            if not is_grid:
                # in flight while the node dies: a 3 s step
                await opened.wait()
                r = await s.step({"code": "import time\ntime.sleep(3)\nprint(x + 1)"})
                assert r.observation["stdout"] == f"{i * 3 + 1}\n"
            else:
                await killed.wait()
                st = await s.state()
                assert st["step_count"] == 1 and st["seed"] == i
                assert (st["row"], st["col"]) == first_move(i)[1]
            rec["ok"] = True
        except SessionLost as e:
            rec["error"] = e
        except Exception as e:  # noqa: BLE001 (anything else is a failure of the test)
            rec["error"] = e
        finally:
            await s.close()

    timeline: Dict[str, float] = {}

    async def go():
        opened, killed = asyncio.Event(), asyncio.Event()
        counter = [0]
        tasks = [asyncio.create_task(session_run(i, opened, killed, counter)) for i in range(n_total)]
        await asyncio.wait_for(opened.wait(), 300)
        in_use = {s["id"]: s["fleet_sessions"] for f in fleets for s in f.servers()}
        timeline["opened"] = time.time()
        await asyncio.sleep(1.0)  # the coding steps are running now
        timeline["kill"] = time.time()
        await asyncio.to_thread(cluster.kill_node, victim_node)
        killed.set()
        # new sessions right away: they must land on survivors and work
        fresh_ok = 0
        for j in range(20):
            s = grid.session()
            async with s:
                r = await s.reset(seed=1000 + j)
                assert (r.observation["row"], r.observation["col"]) == grid_layout(1000 + j)[0]
                assert s.server_id not in doomed
                fresh_ok += 1
        timeline["fresh"] = time.time()
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
        return in_use, fresh_ok

    in_use, fresh_ok = run(go())
    assert fresh_ok == 20

    failed = {i for i, r in results.items() if r["error"] is not None}
    on_doomed = {i for i, r in results.items() if r["server"] in doomed}
    assert len(results) == n_total
    assert on_doomed, "no session was on the lost node"
    assert failed == on_doomed, {i: repr(results[i]["error"]) for i in failed ^ on_doomed}
    for i in failed:
        e = results[i]["error"]
        assert isinstance(e, SessionLost), repr(e)
        assert e.server_id == results[i]["server"] and "fleet.session()" in str(e)

    # the node's servers are gone, and the fleets return to their size elsewhere
    assert wait_for(lambda: not openenv_pids(doomed_pids), 30)
    for f in fleets:
        assert f.wait_until_size(3, RECOVERY_BOUND), f.events()[-6:]
        assert not {s["node_id"] for s in f.servers()} & {victim_node.node_id}
        record(f)
    recovered = time.time()
    lost_at = min(e["t"] for f in fleets for e in f.events() if e["kind"] == "lost")
    print(f"\nFLEET-NODE-LOSS sessions={n_total} (grid {GRID_SESSIONS}, coding {CODING_SESSIONS}) "
          f"in_use_at_kill={sum(in_use.values())} failed={len(failed)} (all on the lost node) "
          f"fresh_sessions_ok={fresh_ok} detected_after={lost_at - timeline['kill']:.1f}s "
          f"back_to_size_after={recovered - timeline['kill']:.1f}s")


def test_the_fleet_grows_with_load_and_drains_before_it_shrinks(cluster, openenv_bin):
    fleet = EnvFleet("grid", servers=1, per_server=4, min_servers=1, max_servers=2,
                     resources={"CPU": 0.5}, binary=openenv_bin, host=LOOPBACK, name="auto",
                     scale_up_at=0.75, scale_down_at=0.25, scale_down_after=2.0, drain_timeout=60)
    record(fleet)
    seen: List[List[str]] = []
    fleet.add_listener(lambda b: seen.append(sorted(x["id"] for x in b)))
    try:
        async def go():
            first = [fleet.session() for _ in range(3)]
            for s in first:
                await s.reset(seed=1)
            # 3 of 4 in use >= 0.75: a second server
            assert await asyncio.to_thread(fleet.wait_until_size, 2, 90), fleet.events()
            record(fleet)
            assert seen[-1] == sorted(x["id"] for x in fleet.servers())
            # new sessions go to the emptier new server
            extra = fleet.session()
            assert extra.server_id != first[0].server_id
            await extra.reset(seed=2)
            await extra.close()
            # load falls to 1 of 8 <= 0.25: the emptier server is drained and stopped
            keep = first[0]
            for s in first[1:]:
                await s.close()
            assert await asyncio.to_thread(fleet.wait_until_size, 1, 90), fleet.events()
            kinds = [e["kind"] for e in fleet.events()]
            assert "drain" in kinds and kinds.index("drain") < len(kinds) - 1
            # the session on the kept server was never touched
            assert keep.server_id == fleet.servers()[0]["id"]
            st = await keep.state()
            assert st["seed"] == 1
            await keep.close()

        run(go())
    finally:
        record(fleet)
        fleet.shutdown()


def test_a_draining_server_waits_for_its_sessions_and_takes_no_new_ones(cluster, openenv_bin):
    fleet = EnvFleet("grid", servers=2, per_server=4, min_servers=1, max_servers=2,
                     resources={"CPU": 0.5}, binary=openenv_bin, host=LOOPBACK, name="drain",
                     scale_down_at=0.0, scale_down_after=3600, drain_timeout=60)
    record(fleet)
    try:
        async def go():
            a = fleet.session()
            await a.reset(seed=5)
            fleet.resize(1)  # drains the emptier server: not the one with a session
            assert await asyncio.to_thread(fleet.wait_until_size, 1, 60)
            assert fleet.servers()[0]["id"] == a.server_id
            await a.close()
            # now drain the last server with a session open on another fleet? no: grow back,
            # put a session on each, and drain while one is open.
            fleet.resize(2)
            assert await asyncio.to_thread(fleet.wait_until_size, 2, 60)
            b, c = fleet.session(), fleet.session()
            assert b.server_id != c.server_id
            await b.reset(seed=6)
            await c.reset(seed=7)
            await c.close()
            fleet.resize(1)  # c's server is emptier now: it is drained at once
            assert await asyncio.to_thread(fleet.wait_until_size, 1, 60)
            st = await b.state()
            assert st["seed"] == 6
            await b.close()

        run(go())
    finally:
        record(fleet)
        fleet.shutdown()


def test_a_full_fleet_says_so(cluster, openenv_bin):
    fleet = EnvFleet("grid", servers=1, per_server=2, binary=openenv_bin, host=LOOPBACK,
                     resources={"CPU": 0.5}, name="full")
    record(fleet)
    try:
        a, b = fleet.session(), fleet.session()
        with pytest.raises(FleetFull, match="2/2 sessions"):
            fleet.session()
        a.close()  # outside an event loop the official client runs its calls synchronously
        c = fleet.session()
        assert c.server_id == a.server_id
        c.close()
        b.close()
    finally:
        fleet.shutdown()


def test_a_binary_that_cannot_start_is_reported(cluster):
    with pytest.raises(RuntimeError, match="failed to start"):
        EnvFleet("grid", servers=1, binary="/nonexistent/openenv", resources={"CPU": 0.5},
                 host=LOOPBACK, name="broken", startup_timeout=10)
