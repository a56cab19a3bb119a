"""Raw WebSocket frames on /ws (and WS /mcp): envelopes, replies, errors, attach, echo
golden shapes and grid rules."""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import (
    TIMEOUT,
    ECHO_READY,
    ECHO_STEP_TOOLS,
    ECHO_TOOL_INPUT_SCHEMA,
    assert_usable,
    echo_call,
    echo_message_result,
    echo_with_length_result,
    expect_close,
    frame_data,
    grid_layout,
    grid_path,
    invalid_action,
    observation,
    recv,
    rpc_err,
    rpc_ok,
    rt,
    run,
    send,
    send_tolerant,
    session_gone,
    valid_action,
    wait_until,
    ws_error,
    ws_state,
)

# --------------------------------------------------------------------------------------
# basic envelopes (both envs)
# --------------------------------------------------------------------------------------


def test_reset_step_state(env_server):
    env = env_server.env

    async def go():
        async with env_server.ws() as ws:
            d = observation(await rt(ws, {"type": "reset", "data": {"episode_id": "ws-ep-1"}}))
            assert d["done"] is False
            s = await ws_state(ws)
            assert s["episode_id"] == "ws-ep-1" and s["step_count"] == 0
            for i in range(1, 4):
                observation(await rt(ws, {"type": "step", "data": valid_action(env, f"s{i}")}))
                s = await ws_state(ws)
                assert s["step_count"] == i and s["episode_id"] == "ws-ep-1"
            observation(await rt(ws, {"type": "reset"}))  # data is optional
            s = await ws_state(ws)
            assert s["step_count"] == 0
            assert isinstance(s["episode_id"], str) and s["episode_id"] not in ("", "ws-ep-1")

    run(go())


def test_step_before_reset(env_server):
    async def go():
        async with env_server.ws() as ws:
            s = await ws_state(ws)
            assert s["step_count"] == 0
            observation(await rt(ws, {"type": "step", "data": valid_action(env_server.env)}))
            assert (await ws_state(ws))["step_count"] == 1

    run(go())


def test_close_message(env_server):
    async def go():
        async with env_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            await send(ws, {"type": "close"})
            assert await expect_close(ws) == 1000

    run(go())


def test_reconnect_is_a_new_session(env_server):
    async def go():
        async with env_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {"episode_id": "first"}}))
            observation(await rt(ws, {"type": "step", "data": valid_action(env_server.env)}))
            await send(ws, {"type": "close"})
            await expect_close(ws)
        async with env_server.ws() as ws:
            s = await ws_state(ws)
            assert s["step_count"] == 0 and s["episode_id"] != "first"

    run(go())


def test_invalid_json_keeps_connection(env_server):
    async def go():
        async with env_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {"episode_id": "keep"}}))
            ws_error(await rt(ws, "{not json"), "INVALID_JSON")
            ws_error(await rt(ws, ""), "INVALID_JSON")
            s = await assert_usable(ws)
            assert s["episode_id"] == "keep"
            observation(await rt(ws, {"type": "step", "data": valid_action(env_server.env)}))

    run(go())


def test_unknown_type(env_server):
    async def go():
        async with env_server.ws() as ws:
            d = ws_error(await rt(ws, {"type": "bogus_type"}), "UNKNOWN_TYPE")
            assert "bogus_type" in d["message"]
            ws_error(await rt(ws, {"nope": 1}), "UNKNOWN_TYPE")  # no type at all
            ws_error(await rt(ws, {}), "UNKNOWN_TYPE")
            await assert_usable(ws)

    run(go())


def test_validation_errors_keep_connection(env_server):
    env = env_server.env

    async def go():
        async with env_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            observation(await rt(ws, {"type": "step", "data": valid_action(env)}))
            cases = [
                {"type": "step", "data": valid_action(env), "extra": 1},  # extra envelope key
                {"type": "step"},  # step without data
                {"type": "step", "data": [1]},  # data not an object
                {"type": "step", "data": invalid_action(env)},  # unknown action key
                {"type": "step", "data": {"tool_name": 5} if env == "echo" else {"action": "JUMP"}},
                {"type": "reset", "data": []},
                {"type": "reset", "data": {}, "extra": True},
                {"type": "mcp"},  # mcp without data
            ]
            for msg in cases:
                d = ws_error(await rt(ws, msg), "VALIDATION_ERROR")
                assert isinstance(d.get("errors"), list) and d["errors"], f"{msg}: no errors list"
            s = await assert_usable(ws)
            assert s["step_count"] == 1, "a rejected action must not count as a step"

    run(go())


def test_invalid_action_error_details(env_server):
    async def go():
        async with env_server.ws() as ws:
            d = ws_error(await rt(ws, {"type": "step", "data": invalid_action(env_server.env)}), "VALIDATION_ERROR")
            e = d["errors"][0]
            assert e["type"] == "extra_forbidden" and e["loc"] == ["bogus_field"]
            d = ws_error(await rt(ws, {"type": "step"}), "VALIDATION_ERROR")
            e = d["errors"][0]
            assert e["type"] == "missing" and e["loc"] == ["data"]

    run(go())


@pytest.mark.parametrize("payload", ["[1,2]", "42"])
def test_non_object_json_ends_session(env_server, payload):
    async def go():
        async with env_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            ws_error(await rt(ws, payload), "SESSION_ERROR")
            assert await expect_close(ws) == 1000

    run(go())


def test_binary_frame_ends_session(env_server):
    async def go():
        async with env_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            await ws.send(b"\x00\x01binary")
            ws_error(await recv(ws), "SESSION_ERROR")
            assert await expect_close(ws) == 1000

    run(go())


def test_answers_pings(env_server):
    async def go():
        async with env_server.ws() as ws:
            pong = await ws.ping(b"interop")
            await asyncio.wait_for(pong, 10)
            await assert_usable(ws)

    run(go())


def test_pipelined_requests_are_answered_in_order(env_server):
    env = env_server.env

    async def go():
        async with env_server.ws() as ws:
            await send(ws, {"type": "reset", "data": {"episode_id": "pipe"}})
            for i in range(5):
                await send(ws, {"type": "step", "data": valid_action(env, f"p{i}")})
            await send(ws, {"type": "state"})
            observation(await recv(ws))
            for i in range(5):
                d = observation(await recv(ws))
                if env == "echo":
                    assert d["observation"]["result"]["data"] == f"p{i}"
            s = frame_data(await recv(ws), "state")
            assert s == {**s, "episode_id": "pipe", "step_count": 5}

    run(go())


def test_two_sockets_are_isolated(env_server):
    env = env_server.env

    async def go():
        async with env_server.ws() as a, env_server.ws() as b:
            observation(await rt(a, {"type": "reset", "data": {"episode_id": "iso-A"}}))
            observation(await rt(b, {"type": "reset", "data": {"episode_id": "iso-B"}}))
            for i in range(3):
                d = observation(await rt(a, {"type": "step", "data": valid_action(env, f"A{i}")}))
                if env == "echo":
                    assert d["observation"]["result"]["data"] == f"A{i}"
            sa, sb = await ws_state(a), await ws_state(b)
            assert (sa["episode_id"], sa["step_count"]) == ("iso-A", 3)
            assert (sb["episode_id"], sb["step_count"]) == ("iso-B", 0)

    run(go())


# --------------------------------------------------------------------------------------
# the mcp envelope on /ws and the WS /mcp endpoint
# --------------------------------------------------------------------------------------


def test_mcp_envelope(env_server):
    async def go():
        async with env_server.ws() as ws:
            d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "no/such", "id": 3}}), "mcp")
            rpc_err(d, -32601, id=3)
            d = frame_data(await rt(ws, {"type": "mcp", "data": {"method": "tools/list", "id": 4}}), "mcp")
            rpc_err(d, -32600)
            d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "openenv/session/create", "id": 5}}), "mcp")
            own = rpc_ok(d, id=5)["session_id"]
            assert isinstance(own, str) and own
            d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "openenv/session/close",
                                                                 "params": {"session_id": own}, "id": 6}}), "mcp")
            rpc_err(d, -32600, id=6)
            d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "tools/list", "id": 7}}), "mcp")
            if env_server.env == "echo":
                tools = rpc_ok(d, id=7)["tools"]
                assert [t["name"] for t in tools] == ["echo_message", "echo_with_length"]
                assert all(t["inputSchema"] == ECHO_TOOL_INPUT_SCHEMA for t in tools)
                d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "tools/call",
                                                                     "params": {"name": "echo_message", "arguments": {"message": "wsmcp"}}, "id": 8}}), "mcp")
                assert rpc_ok(d, id=8) == echo_message_result("wsmcp")
                d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "tools/call",
                                                                     "params": {"name": "echo_with_length", "arguments": {"message": "abc"}}, "id": "x9"}}), "mcp")
                assert rpc_ok(d, id="x9") == echo_with_length_result("abc")
            else:
                assert rpc_err(d, -32603, id=7)["message"] == "Environment does not support MCP"
            await assert_usable(ws)

    run(go())


def test_mcp_websocket_endpoint(env_server):
    async def go():
        async with env_server.ws("/mcp") as ws:
            rpc_err(await rt(ws, "{not json"), -32700, id=None)
            rpc_err(await rt(ws, {"jsonrpc": "2.0", "id": 5}), -32600, id=None)
            rpc_err(await rt(ws, {"jsonrpc": "2.0", "method": "nope", "id": 6}), -32601, id=6)
            own = rpc_ok(await rt(ws, {"jsonrpc": "2.0", "method": "openenv/session/create", "id": 7}), id=7)["session_id"]
            assert isinstance(own, str) and own
            rpc_err(await rt(ws, {"jsonrpc": "2.0", "method": "openenv/session/close", "params": {"session_id": own}, "id": 8}), -32600, id=8)
            r = await rt(ws, {"jsonrpc": "2.0", "method": "tools/list", "id": 9})
            if env_server.env == "echo":
                assert [t["name"] for t in rpc_ok(r, id=9)["tools"]] == ["echo_message", "echo_with_length"]
                r = await rt(ws, {"jsonrpc": "2.0", "method": "tools/call",
                                  "params": {"name": "echo_message", "arguments": {"message": "mws"}}, "id": 10})
                assert rpc_ok(r, id=10) == echo_message_result("mws")
            else:
                rpc_err(r, -32603, id=9)

    run(go())


# --------------------------------------------------------------------------------------
# attaching to HTTP-created sessions
# --------------------------------------------------------------------------------------


async def attach_when_detached(server, sid):
    """Attach to `sid`, retrying while the server still finishes an earlier detach."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        ws = await server.ws(query={"session_id": sid}).__aenter__()
        f = await rt(ws, {"type": "state"})
        if f.get("type") == "state":
            return ws
        ws_error(f, "SESSION_ERROR")
        await ws.close()
        assert time.monotonic() < deadline, f"could not re-attach: {f}"
        await asyncio.sleep(0.1)


def test_attach_shares_state_with_http_session(env_server):
    env = env_server.env
    sid = env_server.create_session()

    async def go():
        async with env_server.ws(query={"session_id": sid}) as ws:
            observation(await rt(ws, {"type": "reset", "data": {"episode_id": "attached-ep"}}))
            observation(await rt(ws, {"type": "step", "data": valid_action(env, "att")}))
            s = await ws_state(ws)
            assert (s["episode_id"], s["step_count"]) == ("attached-ep", 1)
            # the mcp envelope of an attached socket sees the attached session as its own
            d = frame_data(await rt(ws, {"type": "mcp", "data": {"jsonrpc": "2.0", "method": "openenv/session/create", "id": 1}}), "mcp")
            assert rpc_ok(d)["session_id"] == sid
            await send(ws, {"type": "close"})
            assert await expect_close(ws) == 1000
        if env == "echo":  # HTTP tool calls in the detached session still work
            res = rpc_ok(env_server.rpc("tools/call", {"name": "echo_message", "arguments": {"message": "shared"}, "session_id": sid}))
            assert res == echo_message_result("shared")
        # the session survived the detach: attach again, same episode
        async with await attach_when_detached(env_server, sid) as ws:
            s = await ws_state(ws)
            assert (s["episode_id"], s["step_count"]) == ("attached-ep", 1)
            observation(await rt(ws, {"type": "step", "data": valid_action(env)}))
            assert (await ws_state(ws))["step_count"] == 2

    try:
        run(go())
    finally:
        res = env_server.close_session(sid)
    # the second socket is gone once the close message was answered; allow teardown time
    assert rpc_ok(res) in ({"session_id": sid, "closed": True}, {"session_id": sid, "closed": False, "closing": True})
    wait_until(lambda: session_gone(env_server, sid), 5, what="session destroyed")


def test_http_close_while_attached_is_deferred(env_server):
    sid = env_server.create_session()

    async def go():
        async with env_server.ws(query={"session_id": sid}) as ws:
            observation(await rt(ws, {"type": "reset", "data": {"episode_id": "deferred"}}))
            for _ in range(2):  # repeated closes answer the same
                res = rpc_ok(env_server.close_session(sid))
                assert res == {"session_id": sid, "closed": False, "closing": True}
            s = await ws_state(ws)
            assert s["episode_id"] == "deferred", "session torn down while still attached"
            observation(await rt(ws, {"type": "step", "data": valid_action(env_server.env)}))
        # the socket went away without a close message: the session is destroyed now
        wait_until(lambda: session_gone(env_server, sid), 5, what="session destroyed after detach")
        rpc_err(env_server.close_session(sid), -32602)

    run(go())


def test_second_attach_is_refused(env_server):
    sid = env_server.create_session()

    async def go():
        async with env_server.ws(query={"session_id": sid}) as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            async with env_server.ws(query={"session_id": sid}) as ws2:
                await send_tolerant(ws2, {"type": "state"})
                d = ws_error(await recv(ws2), "SESSION_ERROR")
                assert sid in d["message"]
                assert await expect_close(ws2) == 1000
            assert (await ws_state(ws))["step_count"] == 0

    try:
        run(go())
    finally:
        env_server.close_session(sid)


def test_attach_unknown_session(env_server):
    async def go():
        async with env_server.ws(query={"session_id": "no-such-session-id"}) as ws:
            await send_tolerant(ws, {"type": "state"})
            d = ws_error(await recv(ws), "SESSION_ERROR")
            assert "no-such-session-id" in d["message"]
            assert await expect_close(ws) == 1000

    run(go())


def test_empty_session_id_creates_a_session(env_server):
    async def go():
        async with env_server.ws(query={"session_id": ""}) as ws:
            observation(await rt(ws, {"type": "reset", "data": {"episode_id": "fresh"}}))
            assert (await ws_state(ws))["episode_id"] == "fresh"

    run(go())


# --------------------------------------------------------------------------------------
# echo golden frames
# --------------------------------------------------------------------------------------


def test_echo_golden_frames(echo_server):
    async def go():
        async with echo_server.ws() as ws:
            f = await rt(ws, {"type": "reset", "data": {"episode_id": "ep-1"}})
            assert f == {"type": "observation", "data": {"observation": {"metadata": ECHO_READY}, "reward": 0.0,
                                                         "done": False, "metadata": ECHO_READY}}
            d = observation(await rt(ws, {"type": "step", "data": echo_call("Hello")}))
            assert d["observation"] == {"metadata": {}, "tool_name": "echo_message", "result": echo_message_result("Hello"), "error": None}
            assert d["reward"] is None and d["done"] is False and d.get("metadata") is None
            d = observation(await rt(ws, {"type": "step", "data": echo_call("Hello", "echo_with_length")}))
            assert d["observation"] == {"metadata": {}, "tool_name": "echo_with_length", "result": echo_with_length_result("Hello"), "error": None}
            d = observation(await rt(ws, {"type": "step", "data": {"type": "list_tools"}}))
            assert d["observation"] == {"metadata": {}, "tools": ECHO_STEP_TOOLS}
            # `type` defaults to call_tool
            d = observation(await rt(ws, {"type": "step", "data": {"tool_name": "echo_message", "arguments": {"message": "x"}}}))
            assert d["observation"]["result"] == echo_message_result("x")
            assert frame_data(await rt(ws, {"type": "state"}), "state") == {"episode_id": "ep-1", "step_count": 4}

    run(go())


def test_echo_tool_errors_are_observations(echo_server):
    async def go():
        async with echo_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            d = observation(await rt(ws, {"type": "step", "data": {"type": "call_tool", "tool_name": "nope_tool", "arguments": {}}}))
            o = d["observation"]
            assert o["tool_name"] == "nope_tool" and o["result"] is None
            assert o["error"]["error_type"] == "tool_not_found" and "nope_tool" in o["error"]["message"]
            d = observation(await rt(ws, {"type": "step", "data": {"type": "call_tool", "tool_name": "echo_message", "arguments": {}}}))
            assert d["observation"]["error"]["error_type"] == "invalid_args"
            assert d["observation"]["result"] is None
            assert (await ws_state(ws))["step_count"] == 2, "failed tool calls still count as steps"

    run(go())


def test_echo_unicode_round_trip(echo_server):
    msg = "héllo ✓ 日本 \"q\" \\ \n"

    async def go():
        async with echo_server.ws() as ws:
            d = observation(await rt(ws, {"type": "step", "data": echo_call(msg, "echo_with_length")}))
            assert d["observation"]["result"] == echo_with_length_result(msg)

    run(go())


# --------------------------------------------------------------------------------------
# grid rules
# --------------------------------------------------------------------------------------


def grid_obs(d):
    o = d["observation"]
    return (o["row"], o["col"]), (o["goal_row"], o["goal_col"])


def test_grid_default_layout(grid_server):
    async def go():
        async with grid_server.ws() as ws:
            d = observation(await rt(ws, {"type": "reset", "data": {}}))
            assert d["observation"] == {"metadata": {}, "row": 0, "col": 0, "goal_row": 4, "goal_col": 4, "size": 5, "hit_wall": False}
            assert d["reward"] is None and d["done"] is False
            s = await ws_state(ws)
            assert {k: s[k] for k in ("row", "col", "goal_row", "goal_col", "size", "seed", "reached_goal", "step_count")} == {
                "row": 0, "col": 0, "goal_row": 4, "goal_col": 4, "size": 5, "seed": None, "reached_goal": False, "step_count": 0}

    run(go())


@pytest.mark.parametrize("seed", [7, 123, 0, 2**31 + 5])
def test_grid_seeded_layout(grid_server, seed):
    want = grid_layout(seed)

    async def go():
        async with grid_server.ws() as ws:
            d = observation(await rt(ws, {"type": "reset", "data": {"seed": seed}}))
            assert grid_obs(d) == want, f"seed {seed}: got {grid_obs(d)}, want random.Random({seed}).sample(range(25), 2) -> {want}"
            s = await ws_state(ws)
            assert s["seed"] == seed
            assert ((s["row"], s["col"]), (s["goal_row"], s["goal_col"])) == want
            # same seed again in the same session, then in another session
            d = observation(await rt(ws, {"type": "reset", "data": {"seed": seed}}))
            assert grid_obs(d) == want
        async with grid_server.ws() as ws:
            d = observation(await rt(ws, {"type": "reset", "data": {"seed": seed}}))
            assert grid_obs(d) == want

    run(go())


def test_grid_walk_to_goal(grid_server):
    seed = 7
    start, goal = grid_layout(seed)

    async def go():
        async with grid_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {"seed": seed, "episode_id": "walk"}}))
            moves = grid_path(start, goal)
            pos = start
            for i, mv in enumerate(moves):
                d = observation(await rt(ws, {"type": "step", "data": {"action": mv}}))
                dr, dc = {"UP": (-1, 0), "DOWN": (1, 0), "LEFT": (0, -1), "RIGHT": (0, 1)}[mv]
                pos = (pos[0] + dr, pos[1] + dc)
                assert grid_obs(d)[0] == pos and d["observation"]["hit_wall"] is False
                last = i == len(moves) - 1
                assert d["done"] is last
                assert d["reward"] == (1.0 if last else 0.0)
            s = await ws_state(ws)
            assert s["reached_goal"] is True and s["step_count"] == len(moves) and s["episode_id"] == "walk"
            # after done: the agent stays (even for a move that is not into a wall),
            # reward 0.0, done true, steps still count
            move = "DOWN" if goal[0] < 4 else "UP"
            d = observation(await rt(ws, {"type": "step", "data": {"action": move}}))
            assert grid_obs(d)[0] == goal and d["reward"] == 0.0 and d["done"] is True
            assert (await ws_state(ws))["step_count"] == len(moves) + 1
            # reset starts over
            d = observation(await rt(ws, {"type": "reset", "data": {}}))
            assert d["done"] is False and grid_obs(d) == ((0, 0), (4, 4))

    run(go())


def test_grid_default_walk_rewards(grid_server):
    async def go():
        async with grid_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {}}))
            d = observation(await rt(ws, {"type": "step", "data": {"action": "LEFT"}}))
            assert grid_obs(d)[0] == (0, 0) and d["observation"]["hit_wall"] is True
            assert d["reward"] == 0.0 and d["done"] is False
            rewards = []
            for mv in ["DOWN"] * 4 + ["RIGHT"] * 4:
                d = observation(await rt(ws, {"type": "step", "data": {"action": mv}}))
                rewards.append(d["reward"])
            assert rewards == [0.0] * 7 + [1.0] and d["done"] is True
            assert grid_obs(d)[0] == (4, 4)
            d = observation(await rt(ws, {"type": "step", "data": {"action": "DOWN"}}))
            assert d["done"] is True and d["reward"] == 0.0 and d["observation"]["hit_wall"] is False

    run(go())
