"""Batched stepping (`/ws?num_envs=N`, a swift-openenv extension) against single sessions.

Expected values come from N plain `/ws` sessions of the same server driven one message at
a time (the reference protocol, checked against the reference elsewhere in this suite):
environment i of a vector reset with seed S must answer exactly as a single session reset
with seed S + i, step for step; an environment that reported done is reset by the next
step (Gymnasium's next-step autoreset) with seed S + i + N * k for its k-th autoreset.

swift_only: the reference has no batched stepping.
"""

from __future__ import annotations

import json
import random
from typing import Any, Dict, List

import pytest

from conftest import frame_data, observation, rt, run, start_server

pytestmark = pytest.mark.swift_only


@pytest.fixture(scope="module")
def catch_server():
    # 64 environments in two chunks stepped in parallel (`--vector-threads`), and 64 singles
    s = start_server("openspiel", max_sessions=128, extra_args=["--vector-threads", "2"])
    yield s
    s.stop()


async def single_episode_step(ws: Any, message: Dict[str, Any]) -> Dict[str, Any]:
    return observation(await rt(ws, message))


def test_a_vector_of_catch_games_steps_as_single_sessions_do(catch_server):
    n, seed, steps = 64, 1_000, 60

    async def scenario() -> int:
        autoresets = 0
        async with catch_server.ws(query={"num_envs": str(n)}) as vec:
            singles = [await catch_server.ws() for _ in range(n)]
            try:
                got = frame_data(await rt(vec, {"type": "reset", "data": {"seed": seed}}), "vector_observation")
                for i, ws in enumerate(singles):
                    want = await single_episode_step(ws, {"type": "reset", "data": {"seed": seed + i}})
                    assert got["observations"][i] == want["observation"] and got["rewards"][i] == want["reward"]
                    assert got["dones"][i] is False and got["autoreset"][i] is False
                episodes = [0] * n
                done = [False] * n
                mover = random.Random(5)
                for _ in range(steps):
                    actions = [{"action_id": mover.choice([0, 1, 2])} for _ in range(n)]
                    got = frame_data(await rt(vec, {"type": "step", "data": {"actions": actions}}), "vector_observation")
                    for i, ws in enumerate(singles):
                        if done[i]:
                            episodes[i] += 1
                            want = await single_episode_step(ws, {"type": "reset", "data": {"seed": seed + i + n * episodes[i]}})
                            assert got["autoreset"][i] is True
                            autoresets += 1
                        else:
                            want = await single_episode_step(ws, {"type": "step", "data": actions[i]})
                            assert got["autoreset"][i] is False
                        assert got["observations"][i] == want["observation"], (i, want)
                        assert (got["rewards"][i], got["dones"][i]) == (want["reward"], want["done"])
                        done[i] = want["done"]
                states = frame_data(await rt(vec, {"type": "state"}), "vector_state")["states"]
                assert len(states) == n and all(s["game_name"] == "catch" for s in states)
            finally:
                for ws in singles:
                    await ws.close()
        return autoresets

    # catch lasts 9 steps: 60 steps make several autoresets per environment
    assert run(scenario()) >= n * 5


def test_bad_vector_requests_get_errors_and_release_their_sessions():
    server = start_server("grid", max_sessions=4)
    try:
        async def scenario():
            async with server.ws(query={"num_envs": "0"}) as ws:
                err = frame_data(json.loads(await ws.recv()), "error")
                assert err["code"] == "VALIDATION_ERROR" and "num_envs" in err["message"]
            async with server.ws(query={"num_envs": "5"}) as ws:
                err = frame_data(json.loads(await ws.recv()), "error")
                assert err["code"] == "CAPACITY_REACHED", err
            # the four sessions created before the refusal were released
            async with server.ws(query={"num_envs": "4"}) as ws:
                r = frame_data(await rt(ws, {"type": "reset", "data": {"seed": 3}}), "vector_observation")
                assert len(r["observations"]) == 4
                err = frame_data(await rt(ws, {"type": "step", "data": {"actions": [{"action": "UP"}] * 3}}), "error")
                assert err["code"] == "VALIDATION_ERROR" and "4 actions" in err["message"]
                err = frame_data(await rt(ws, {"type": "step", "data": {"actions": [{"action": "UP"}] * 3 + [{"action": "JUMP"}]}}), "error")
                assert err["code"] == "VALIDATION_ERROR" and err["env_index"] == 3
                ok = frame_data(await rt(ws, {"type": "step", "data": {"actions": [{"action": "DOWN"}] * 4}}), "vector_observation")
                assert len(ok["dones"]) == 4
            # and the plain protocol is untouched
            async with server.ws() as ws:
                assert observation(await rt(ws, {"type": "reset", "data": {"seed": 3}}))["done"] is False

        run(scenario())
    finally:
        server.stop()
