"""`openenv serve mcp-bridge -- <command>`: an existing MCP server (here `mcp-server-time`
from PyPI, started per session with this venv's Python) served as an OpenEnv environment,
driven by the official clients: `MCPToolClient` (JSON-RPC on POST /mcp plus an attached
WebSocket), `GenericEnvClient` (step actions) and the `mcp` SDK's Streamable HTTP client
(on /mcp/streamable).

The reference has no bridge, so every test here is swift_only.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from openenv.core.env_server.mcp_types import CallToolAction, CallToolObservation, ListToolsAction
from openenv.core.generic_client import GenericEnvClient
from openenv.core.mcp_client import MCPToolClient

from conftest import OPENENV_BIN, run, start_server, wait_until

pytestmark = pytest.mark.swift_only

TIME_SERVER = [sys.executable, "-m", "mcp_server_time"]
TIME_TOOLS = ["get_current_time", "convert_time"]


@pytest.fixture(scope="module")
def bridge_server():
    server = start_server("mcp-bridge", max_sessions=4, extra_args=["--tool-timeout", "10", "--", *TIME_SERVER])
    try:
        yield server
    finally:
        server.stop()


def test_mcp_tool_client_lists_and_calls_bridged_tools(bridge_server):
    async def go():
        async with bridge_server.client(MCPToolClient) as env:
            r = await env.reset()
            assert r.done is False and r.observation.metadata["tools"] == TIME_TOOLS
            tools = await env.list_tools()
            assert [t.name for t in tools] == TIME_TOOLS
            assert tools[0].input_schema["required"] == ["timezone"]
            now = json.loads(await env.call_tool("get_current_time", timezone="Europe/Paris"))
            assert now["timezone"] == "Europe/Paris"
            converted = json.loads(await env.call_tool("convert_time", source_timezone="Etc/UTC", time="12:00",
                                                       target_timezone="Asia/Tokyo"))
            assert converted["target"]["datetime"].endswith("21:00:00+09:00")
            with pytest.raises(RuntimeError, match="timezone: Field required"):
                await env.call_tool("get_current_time")
            with pytest.raises(RuntimeError, match="Unknown tool"):
                await env.call_tool("get_weather", city="Paris")
            r = await env.step(CallToolAction(tool_name="get_current_time", arguments={"timezone": "Asia/Tokyo"}))
            assert isinstance(r.observation, CallToolObservation) and r.observation.error is None
            assert json.loads(r.observation.result["data"])["timezone"] == "Asia/Tokyo"
            r = await env.step(CallToolAction(tool_name="get_current_time", arguments={"timezone": 5}))
            assert r.observation.error.error_type == "invalid_args"
            r = await env.step(ListToolsAction())
            assert [t.name for t in r.observation.tools] == TIME_TOOLS
            assert (await env.state()).step_count == 3

    run(go())


def test_generic_client_steps_with_typed_tool_errors(bridge_server):
    with bridge_server.client().sync() as env:
        env.reset()
        r = env.step({"type": "call_tool", "tool_name": "get_current_time", "arguments": {"timezone": "Mars/Base"}})
        error = r.observation["error"]
        assert error["error_type"] == "execution_error" and "Invalid timezone" in error["message"]
        assert r.observation["result"] is None
        r = env.step({"type": "call_tool", "tool_name": "nope", "arguments": {}})
        assert r.observation["error"] == {"error_type": "tool_not_found", "message": "Unknown tool: 'nope'"}


def test_mcp_sdk_client_uses_the_streamable_endpoint(bridge_server):
    async def go():
        async with streamable_http_client(bridge_server.base + "/mcp/streamable") as (read, write, _):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.serverInfo.name == "mcp_bridge" and init.capabilities.tools is not None
                tools = await session.list_tools()
                assert [t.name for t in tools.tools] == TIME_TOOLS
                assert tools.tools[0].annotations.readOnlyHint is True
                now = await session.call_tool("get_current_time", {"timezone": "America/New_York"})
                assert not now.isError and json.loads(now.content[0].text)["timezone"] == "America/New_York"
                bad = await session.call_tool("get_current_time", {})
                assert bad.isError and "timezone: Field required" in bad.content[0].text
                return True

    assert run(go())


def test_bridges_a_streamable_http_server_by_url(start):
    echo = start("echo", max_sessions=4)
    bridge = start("mcp-bridge", max_sessions=2, extra_args=["--mcp-url", echo.base + "/mcp/streamable"])
    with bridge.client().sync() as env:
        r = env.reset()
        assert r.observation["metadata"]["tools"] == ["echo_message", "echo_with_length"]
        r = env.step({"type": "call_tool", "tool_name": "echo_with_length", "arguments": {"message": "via url"}})
        assert r.observation["result"]["data"] == {"message": "via url", "length": 7}
        # The bridge session holds one MCP session on the echo server.
        assert echo.get("/ready").json()["active_sessions"] == 1
    # Closing the bridge session (after the client's socket closed) deletes the MCP session.
    wait_until(lambda: echo.get("/ready").json()["active_sessions"] == 0, 10, what="the MCP session deleted")


def test_serve_refuses_to_start_without_a_server():
    bad = subprocess.run([str(OPENENV_BIN), "serve", "mcp-bridge", "--port", "0"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "mcp-bridge needs the MCP server to bridge" in bad.stderr
    bad = subprocess.run([str(OPENENV_BIN), "serve", "mcp-bridge", "--port", "0", "--", "/nonexistent/mcp-server"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "cannot start the MCP server /nonexistent/mcp-server" in bad.stderr
    bad = subprocess.run([str(OPENENV_BIN), "serve", "echo", "--port", "0", "--", *TIME_SERVER],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "echo does not take these options" in bad.stderr
