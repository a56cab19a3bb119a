"""The official Python clients of openenv 0.10.0 against the server: GenericEnvClient
(async and .sync()) and MCPToolClient (HTTP MCP session + attached WebSocket)."""

from __future__ import annotations

import asyncio

import pytest
from openenv.core.env_server.mcp_types import (
    CallToolAction,
    CallToolObservation,
    ListToolsAction,
    ListToolsObservation,
)
from openenv.core.mcp_client import MCPToolClient

from conftest import (
    ECHO_READY,
    ECHO_TOOL_INPUT_SCHEMA,
    GRID_STATE_FIELDS,
    echo_message_result,
    invalid_action,
    rpc_err,
    run,
    session_gone,
    valid_action,
    wait_until,
)

# --------------------------------------------------------------------------------------
# GenericEnvClient
# --------------------------------------------------------------------------------------


def test_generic_async(env_server):
    env_name = env_server.env

    async def go():
        async with env_server.client() as env:
            r = await env.reset(episode_id="client-ep")
            assert isinstance(r.observation, dict) and r.done is False
            if env_name == "echo":
                assert r.reward == 0.0 and r.metadata == ECHO_READY
                assert r.observation == {"metadata": ECHO_READY}
            else:
                assert r.reward is None and r.metadata is None
                assert (r.observation["row"], r.observation["col"]) == (0, 0)
            s = await env.state()
            assert s["episode_id"] == "client-ep" and s["step_count"] == 0
            for i in range(1, 3):
                r = await env.step(valid_action(env_name, f"c{i}"))
                if env_name == "echo":
                    assert r.observation["result"] == echo_message_result(f"c{i}")
                    assert r.reward is None and r.done is False and r.metadata is None
                else:
                    assert r.observation["row"] == i and r.reward == 0.0 and r.done is False
                s = await env.state()
                assert s["episode_id"] == "client-ep" and s["step_count"] == i
            if env_name == "grid":
                assert set(s) == GRID_STATE_FIELDS

    run(go())


def test_generic_sync(env_server):
    env_name = env_server.env
    with env_server.client().sync() as env:
        r = env.reset(episode_id="sync-ep")
        assert r.done is False
        r = env.step(valid_action(env_name, "sync"))
        if env_name == "echo":
            assert r.observation["result"]["data"] == "sync" and r.reward is None
        else:
            assert r.observation["row"] == 1 and r.reward == 0.0
        s = env.state()
        assert s["episode_id"] == "sync-ep" and s["step_count"] == 1
        r = env.reset()
        assert env.state()["step_count"] == 0


def test_generic_reset_seed_grid(grid_server):
    from conftest import grid_layout

    with grid_server.client().sync() as env:
        r = env.reset(seed=123)
        o = r.observation
        assert ((o["row"], o["col"]), (o["goal_row"], o["goal_col"])) == grid_layout(123)
        assert env.state()["seed"] == 123


def test_generic_typed_mcp_actions(echo_server):
    with echo_server.client().sync() as env:
        r = env.step({"type": "list_tools"})
        assert [t["name"] for t in r.observation["tools"]] == ["echo_message", "echo_with_length"]
        r = env.step(ListToolsAction())  # pydantic actions are dumped by the client
        assert all(t["input_schema"] == ECHO_TOOL_INPUT_SCHEMA for t in r.observation["tools"])
        r = env.step(CallToolAction(tool_name="echo_message", arguments={"message": "typed"}))
        assert r.observation["result"] == echo_message_result("typed")
        assert env.state()["step_count"] == 3


def test_generic_error_raises_with_code(env_server):
    env_name = env_server.env

    async def go():
        async with env_server.client() as env:
            await env.reset()
            await env.step(valid_action(env_name))
            with pytest.raises(RuntimeError, match="VALIDATION_ERROR"):
                await env.step(invalid_action(env_name))
            # the session survives a validation error
            assert (await env.state())["step_count"] == 1
            await env.step(valid_action(env_name))
            assert (await env.state())["step_count"] == 2

    run(go())


def test_generic_isolation(env_server):
    env_name = env_server.env

    async def go():
        async with env_server.client() as a, env_server.client() as b:
            await asyncio.gather(a.reset(episode_id="iso-a"), b.reset(episode_id="iso-b"))

            async def drive(c, n, tag):
                for i in range(n):
                    r = await c.step(valid_action(env_name, f"{tag}{i}"))
                    if env_name == "echo":
                        assert r.observation["result"]["data"] == f"{tag}{i}", "cross-talk"
                return await c.state()

            sa, sb = await asyncio.gather(drive(a, 4, "a"), drive(b, 2, "b"))
            assert (sa["episode_id"], sa["step_count"]) == ("iso-a", 4)
            assert (sb["episode_id"], sb["step_count"]) == ("iso-b", 2)

    run(go())


def test_generic_new_session(env_server):
    env_name = env_server.env

    async def go():
        parent = env_server.client()
        async with parent:
            await parent.reset(episode_id="parent")
            await parent.step(valid_action(env_name))
            child = await parent.new_session()
            await child.reset(episode_id="child")
            sc, sp = await child.state(), await parent.state()
            assert (sp["episode_id"], sp["step_count"]) == ("parent", 1)
            assert (sc["episode_id"], sc["step_count"]) == ("child", 0)

    run(go())


def test_generic_sync_new_session(env_server):
    with env_server.client().sync() as parent:
        parent.reset(episode_id="sync-parent")
        child = parent.new_session()
        child.reset(episode_id="sync-child")
        child.step(valid_action(env_server.env))
        assert parent.state() == {**parent.state(), "episode_id": "sync-parent", "step_count": 0}
        assert child.state()["step_count"] == 1


def test_generic_close_then_reconnect(env_server):
    env_name = env_server.env

    async def go():
        env = env_server.client()
        async with env:
            await env.reset(episode_id="before-close")
            await env.step(valid_action(env_name))
            await env.close()
            s = await env.state()  # reconnects: a new server session
            assert s["step_count"] == 0 and s["episode_id"] != "before-close"

    run(go())


def test_generic_many_concurrent_clients(echo_server):
    n = 8

    async def go():
        clients = [echo_server.client() for _ in range(n)]
        try:
            await asyncio.gather(*[c.connect() for c in clients])

            async def drive(i, c):
                await c.reset(episode_id=f"conc-{i}")
                for k in range(3):
                    r = await c.step(valid_action("echo", f"m{i}-{k}"))
                    assert r.observation["result"]["data"] == f"m{i}-{k}"
                return await c.state()

            states = await asyncio.gather(*[drive(i, c) for i, c in enumerate(clients)])
            assert [(s["episode_id"], s["step_count"]) for s in states] == [(f"conc-{i}", 3) for i in range(n)]
        finally:
            await asyncio.gather(*[c.close() for c in clients], return_exceptions=True)

    run(go())


# --------------------------------------------------------------------------------------
# MCPToolClient (echo)
# --------------------------------------------------------------------------------------


def test_mcp_tool_client_async(echo_server):
    async def go():
        async with echo_server.client(MCPToolClient) as env:
            r = await env.reset(episode_id="mcp-ep")
            assert r.done is False and r.reward == 0.0
            tools = await env.list_tools()
            assert [t.name for t in tools] == ["echo_message", "echo_with_length"]
            assert all(t.input_schema == ECHO_TOOL_INPUT_SCHEMA for t in tools)
            assert await env.call_tool("echo_message", message="Hello!") == "Hello!"
            assert await env.call_tool("echo_with_length", message="Test") == {"message": "Test", "length": 4}
            assert await env.has_tool("echo_message") and not await env.has_tool("nope")
            r = await env.step(CallToolAction(tool_name="echo_message", arguments={"message": "via step"}))
            assert isinstance(r.observation, CallToolObservation)
            assert r.observation.result["data"] == "via step" and r.observation.error is None
            r = await env.step(ListToolsAction())
            assert isinstance(r.observation, ListToolsObservation)
            assert [t.name for t in r.observation.tools] == ["echo_message", "echo_with_length"]
            s = await env.state()
            # two WebSocket steps; HTTP tool calls are not steps
            assert s.episode_id == "mcp-ep" and s.step_count == 2

    run(go())


def test_mcp_tool_client_sync(echo_server):
    with echo_server.client(MCPToolClient).sync() as env:
        env.reset()
        assert [t.name for t in env.list_tools()] == ["echo_message", "echo_with_length"]
        assert env.call_tool("echo_message", message="sync!") == "sync!"
        assert env.call_tool("echo_with_length", message="abc") == {"message": "abc", "length": 3}
        assert env.state().step_count == 0


def test_mcp_tool_client_errors_and_close(echo_server):
    async def go():
        env = echo_server.client(MCPToolClient)
        await env.connect()
        sid = getattr(env, "_production_session_id", None)
        assert isinstance(sid, str) and sid, "MCPToolClient did not create an HTTP session"
        try:
            with pytest.raises(RuntimeError, match="no_such_tool"):
                await env.call_tool("no_such_tool")
            with pytest.raises(RuntimeError):
                await env.call_tool("echo_message")  # missing argument
            assert await env.call_tool("echo_message", message="still ok") == "still ok"
        finally:
            await env.close()
        # close() detached the socket and closed the HTTP session
        wait_until(lambda: session_gone(echo_server, sid), 5, what="MCPToolClient session released")
        rpc_err(echo_server.close_session(sid), -32602)

    run(go())


def test_mcp_tool_clients_concurrent(echo_server):
    n = 6

    async def go():
        clients = [echo_server.client(MCPToolClient) for _ in range(n)]
        try:
            await asyncio.gather(*[c.connect() for c in clients])
            sids = {c._production_session_id for c in clients}
            assert len(sids) == n

            async def drive(i, c):
                await c.reset(episode_id=f"mc-{i}")
                for k in range(3):
                    assert await c.call_tool("echo_message", message=f"mc{i}-{k}") == f"mc{i}-{k}"
                await c.step(CallToolAction(tool_name="echo_message", arguments={"message": "s"}))
                return await c.state()

            states = await asyncio.gather(*[drive(i, c) for i, c in enumerate(clients)])
            assert [(s.episode_id, s.step_count) for s in states] == [(f"mc-{i}", 1) for i in range(n)]
        finally:
            await asyncio.gather(*[c.close() for c in clients], return_exceptions=True)

    run(go())


def test_mcp_tool_client_grid_has_no_tools(grid_server):
    """MCPToolClient against a non-MCP env: list_tools swallows the error; reset/step work."""
    async def go():
        async with grid_server.client(MCPToolClient) as env:
            assert await env.list_tools() == []
            with pytest.raises(RuntimeError, match="does not support MCP"):
                await env.call_tool("anything")
            r = await env.reset(seed=7)
            assert r.done is False

    run(go())
