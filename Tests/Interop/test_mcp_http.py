"""JSON-RPC 2.0 at POST /mcp: envelope errors, tools/list, tools/call, HTTP sessions."""

from __future__ import annotations

from conftest import (
    ECHO_TOOL_DESCRIPTIONS,
    ECHO_TOOL_INPUT_SCHEMA,
    echo_message_result,
    echo_with_length_result,
    rpc_err,
    rpc_ok,
    session_gone,
)


def post_raw(server, raw):
    r = server.post("/mcp", raw=raw)
    assert r.status_code == 200, f"HTTP {r.status_code}"
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


# --------------------------------------------------------------------------------------
# envelope errors (both envs)
# --------------------------------------------------------------------------------------


def test_empty_object_is_invalid_request(env_server):
    """What `openenv validate` sends: HTTP 200, jsonrpc 2.0, -32600, id null."""
    r = env_server.post("/mcp", {})
    assert r.status_code == 200
    d = r.json()
    assert d["jsonrpc"] == "2.0"
    rpc_err(d, -32600, id=None)


def test_invalid_requests(env_server):
    rpc_err(env_server.post("/mcp", {"jsonrpc": "1.0", "method": "tools/list", "id": 1}).json(), -32600)
    rpc_err(env_server.post("/mcp", {"jsonrpc": "2.0", "id": 2}).json(), -32600)
    rpc_err(env_server.post("/mcp", {"jsonrpc": "2.0", "method": "tools/list", "params": [1], "id": 3}).json(), -32600)
    rpc_err(env_server.post("/mcp", {"jsonrpc": "2.0", "method": "tools/list", "id": 4, "extra": 1}).json(), -32600)


def test_parse_error(env_server):
    rpc_err(post_raw(env_server, "{not json"), -32700, id=None)


def test_non_object_bodies_are_parse_errors(env_server):
    for raw in ("[1]", "[]", '"s"', "42"):
        err = rpc_err(post_raw(env_server, raw), -32700, id=None)
        assert err["message"] == "Parse error", raw


def test_method_not_found(env_server):
    err = rpc_err(env_server.rpc("no/such/method", {}, id="abc"), -32601, id="abc")
    assert "no/such/method" in err["message"]
    rpc_err(env_server.rpc("initialize", {}, id=2), -32601, id=2)


def test_notification_is_answered(env_server):
    r = env_server.post("/mcp", {"jsonrpc": "2.0", "method": "no/such"})
    assert r.status_code == 200
    rpc_err(r.json(), -32601, id=None)


def test_tools_call_without_name(env_server):
    err = rpc_err(env_server.rpc("tools/call", {"arguments": {}}, id=5), -32602, id=5)
    assert err["message"] == "Missing 'name' in params"


# --------------------------------------------------------------------------------------
# tools on echo / no MCP on grid
# --------------------------------------------------------------------------------------


def test_echo_tools_list(echo_server):
    tools = rpc_ok(echo_server.rpc("tools/list", {}, id=1), id=1)["tools"]
    assert [t["name"] for t in tools] == list(ECHO_TOOL_DESCRIPTIONS)
    for t in tools:
        assert t["description"] == ECHO_TOOL_DESCRIPTIONS[t["name"]]
        assert t["inputSchema"] == ECHO_TOOL_INPUT_SCHEMA
        assert "input_schema" not in t, "JSON-RPC tool lists use MCP's camelCase inputSchema"


def test_echo_tools_call(echo_server):
    res = rpc_ok(echo_server.rpc("tools/call", {"name": "echo_message", "arguments": {"message": "Hello"}}, id=2), id=2)
    assert res == echo_message_result("Hello")
    res = rpc_ok(echo_server.rpc("tools/call", {"name": "echo_with_length", "arguments": {"message": "Hello"}}, id="3"), id="3")
    assert res == echo_with_length_result("Hello")


def test_echo_tools_call_unicode(echo_server):
    msg = "héllo ✓ \"quoted\""
    res = rpc_ok(echo_server.rpc("tools/call", {"name": "echo_with_length", "arguments": {"message": msg}}, id=3))
    assert res == echo_with_length_result(msg)


def test_echo_unknown_tool(echo_server):
    err = rpc_err(echo_server.rpc("tools/call", {"name": "no_such_tool", "arguments": {}}, id=4), -32603, id=4)
    assert "no_such_tool" in err["message"]


def test_echo_bad_tool_arguments(echo_server):
    rpc_err(echo_server.rpc("tools/call", {"name": "echo_message", "arguments": {}}, id=7), -32603, id=7)


def test_grid_does_not_support_mcp(grid_server):
    err = rpc_err(grid_server.rpc("tools/list", {}, id=8), -32603, id=8)
    assert err["message"] == "Environment does not support MCP"
    err = rpc_err(grid_server.rpc("tools/call", {"name": "anything", "arguments": {}}, id=9), -32603, id=9)
    assert err["message"] == "Environment does not support MCP"


# --------------------------------------------------------------------------------------
# HTTP sessions
# --------------------------------------------------------------------------------------


def test_session_lifecycle(env_server):
    sid = rpc_ok(env_server.rpc("openenv/session/create", {}, id=10), id=10)["session_id"]
    assert isinstance(sid, str) and len(sid) >= 16
    if env_server.env == "echo":
        res = rpc_ok(env_server.rpc("tools/call", {"name": "echo_message", "arguments": {"message": "sess"}, "session_id": sid}, id=11))
        assert res == echo_message_result("sess")
        tools = rpc_ok(env_server.rpc("tools/list", {"session_id": sid}, id=12))["tools"]
        assert [t["name"] for t in tools] == list(ECHO_TOOL_DESCRIPTIONS)
    res = rpc_ok(env_server.rpc("openenv/session/close", {"session_id": sid}, id=13), id=13)
    assert res == {"session_id": sid, "closed": True}
    err = rpc_err(env_server.rpc("openenv/session/close", {"session_id": sid}, id=14), -32602, id=14)
    assert sid in err["message"]
    assert session_gone(env_server, sid)


def test_sessions_are_distinct(env_server):
    a, b = env_server.create_session(), env_server.create_session()
    try:
        assert a != b
    finally:
        rpc_ok(env_server.close_session(a))
        rpc_ok(env_server.close_session(b))


def test_session_errors(env_server):
    err = rpc_err(env_server.rpc("tools/list", {"session_id": "no-such-session"}, id=15), -32602, id=15)
    assert "no-such-session" in err["message"]
    rpc_err(env_server.rpc("openenv/session/close", {}, id=16), -32602, id=16)
    rpc_err(env_server.rpc("openenv/session/close", {"session_id": ""}, id=17), -32602, id=17)
    rpc_err(env_server.rpc("openenv/session/close", {"session_id": "no-such-session"}, id=18), -32602, id=18)
