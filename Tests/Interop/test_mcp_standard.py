"""The standards-compliant MCP endpoint (Streamable HTTP) at /mcp/streamable, driven by the
official Python MCP SDK client (`mcp`, the version openenv 0.10.0 pins) and by raw HTTP.

The reference has no such endpoint (its /mcp speaks a reduced JSON-RPC dialect that MCP
clients cannot use), so every test here is swift_only. The OpenEnv dialect on POST /mcp is
tested unchanged in test_mcp_http.py.
"""

from __future__ import annotations

import pytest
import requests
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from conftest import TIMEOUT, run

pytestmark = pytest.mark.swift_only

HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def mcp_url(server) -> str:
    return server.base + "/mcp/streamable"


async def _sdk_session(url: str, body):
    async with streamable_http_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            return await body(session, init)


def test_sdk_client_lists_and_calls_echo_tools(echo_server):
    async def body(session, init):
        assert init.serverInfo.name == "echo_env"
        assert init.capabilities.tools is not None
        tools = await session.list_tools()
        assert [t.name for t in tools.tools] == ["echo_message", "echo_with_length"]
        assert tools.tools[0].inputSchema["required"] == ["message"]
        plain = await session.call_tool("echo_message", {"message": "Hello"})
        assert not plain.isError and plain.content[0].text == "Hello"
        assert plain.structuredContent == {"result": "Hello"}
        sized = await session.call_tool("echo_with_length", {"message": "Hello"})
        assert sized.structuredContent == {"message": "Hello", "length": 5}
        bad = await session.call_tool("echo_message", {})
        assert bad.isError and "message" in bad.content[0].text
        await session.send_ping()
        return True

    assert run(_sdk_session(mcp_url(echo_server), body))


def test_sdk_client_sees_unknown_tools_as_errors(echo_server):
    async def body(session, init):
        try:
            result = await session.call_tool("no_such_tool", {})
        except Exception as e:  # the SDK raises McpError for JSON-RPC errors
            return str(e)
        return "isError" if result.isError else "ok"

    outcome = run(_sdk_session(mcp_url(echo_server), body))
    assert "no_such_tool" in outcome


def test_session_header_lifecycle_and_capacity(start):
    server = start("echo", max_sessions=1)
    url = mcp_url(server)
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    r = requests.post(url, json=init, headers=HEADERS, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["result"]["protocolVersion"] == "2025-06-18"
    sid = r.headers["mcp-session-id"]
    # The MCP session is an environment session: the only slot is taken.
    assert requests.get(server.base + "/ready", timeout=TIMEOUT).status_code == 503
    r2 = requests.post(url, json=init, headers=HEADERS, timeout=TIMEOUT)
    assert r2.status_code == 503 and "capacity" in r2.json()["error"]["message"]
    # Notifications are accepted without a body.
    note = requests.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                         headers={**HEADERS, "mcp-session-id": sid}, timeout=TIMEOUT)
    assert note.status_code == 202
    # Requests without the header, or with an unknown one, are refused.
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    assert requests.post(url, json=call, headers=HEADERS, timeout=TIMEOUT).status_code == 400
    assert requests.post(url, json=call, headers={**HEADERS, "mcp-session-id": "nope"}, timeout=TIMEOUT).status_code == 404
    ok = requests.post(url, json=call, headers={**HEADERS, "mcp-session-id": sid}, timeout=TIMEOUT)
    assert ok.status_code == 200 and len(ok.json()["result"]["tools"]) == 2
    # DELETE ends the session and frees the slot.
    assert requests.delete(url, headers={"mcp-session-id": sid}, timeout=TIMEOUT).status_code == 200
    assert requests.post(url, json=call, headers={**HEADERS, "mcp-session-id": sid}, timeout=TIMEOUT).status_code == 404
    assert requests.get(server.base + "/ready", timeout=TIMEOUT).status_code == 200


def test_refuses_foreign_origins_bad_versions_and_streams(echo_server):
    url = mcp_url(echo_server)
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}}}
    evil = requests.post(url, json=init, headers={**HEADERS, "origin": "http://evil.example"}, timeout=TIMEOUT)
    assert evil.status_code == 403
    local = requests.post(url, json=init, headers={**HEADERS, "origin": "http://localhost:3000"}, timeout=TIMEOUT)
    assert local.status_code == 200
    sid = local.headers["mcp-session-id"]
    bad_version = requests.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
                                headers={**HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "1999-01-01"}, timeout=TIMEOUT)
    assert bad_version.status_code == 400
    assert requests.get(url, headers={"accept": "text/event-stream", "mcp-session-id": sid}, timeout=TIMEOUT).status_code == 405
    assert requests.post(url, data="{nope", headers={**HEADERS, "mcp-session-id": sid}, timeout=TIMEOUT).json()["error"]["code"] == -32700
    requests.delete(url, headers={"mcp-session-id": sid}, timeout=TIMEOUT)


def test_openenv_dialect_is_unchanged_beside_it(echo_server):
    r = requests.post(echo_server.base + "/mcp", json={}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["error"]["code"] == -32600


def test_non_mcp_environment_offers_no_tools(grid_server):
    async def body(session, init):
        assert init.capabilities.tools is None
        try:
            await session.list_tools()
        except Exception as e:
            return str(e)
        return "listed"

    assert "Method not found" in run(_sdk_session(mcp_url(grid_server), body))
