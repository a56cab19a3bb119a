"""Session limit (--max-sessions 2): refusal shapes on every transport, and slot release by
close message, abrupt disconnect, client close and HTTP session close."""

from __future__ import annotations

import asyncio
import time

import pytest
from openenv.core.mcp_client import MCPToolClient

from conftest import (
    TIMEOUT,
    expect_close,
    observation,
    recv,
    rpc_err,
    rpc_ok,
    rt,
    run,
    send,
    send_tolerant,
    start_server,
    ws_error,
    ws_state,
)

MAX = 2


@pytest.fixture(scope="module")
def cap_server():
    s = start_server("echo", max_sessions=MAX)
    yield s
    s.stop()


async def open_session(server, episode_id=None):
    ws = await server.ws().__aenter__()
    observation(await rt(ws, {"type": "reset", "data": {"episode_id": episode_id} if episode_id else {}}))
    return ws


async def try_open(server):
    """Open a /ws session; None when refused."""
    ws = await server.ws().__aenter__()
    await send_tolerant(ws, {"type": "reset", "data": {}})
    try:
        f = await recv(ws)
    except Exception:
        await ws.close()
        return None
    if f.get("type") == "observation":
        return ws
    await ws.close()
    return None


async def open_when_free(server, within=TIMEOUT):
    deadline = time.monotonic() + within
    while True:
        ws = await try_open(server)
        if ws is not None:
            return ws
        assert time.monotonic() < deadline, f"no slot became free within {within:g}s"
        await asyncio.sleep(0.1)


async def expect_refused(server):
    """Handshake accepted, then one CAPACITY_REACHED frame, then close 1000."""
    async with server.ws() as ws:  # the handshake itself succeeds
        await send_tolerant(ws, {"type": "reset", "data": {}})
        f = await recv(ws)
        d = ws_error(f, "CAPACITY_REACHED")
        assert set(d) == {"message", "code", "active_sessions", "max_sessions"}, f"keys {sorted(d)}"
        assert (d["active_sessions"], d["max_sessions"]) == (MAX, MAX)
        assert f"{MAX}/{MAX}" in d["message"]
        assert await expect_close(ws) == 1000


@pytest.fixture(autouse=True)
def all_slots_free(cap_server):
    """Each test starts with every slot free (a slot may take a moment to be released)."""
    async def check():
        socks = []
        try:
            for _ in range(MAX):
                socks.append(await open_when_free(cap_server))
        finally:
            for ws in socks:
                await send(ws, {"type": "close"})
                await expect_close(ws)

    run(check())
    yield


def test_ws_refusal_and_release_by_close_message(cap_server):
    async def go():
        socks = [await open_session(cap_server, f"s{i}") for i in range(MAX)]
        try:
            await expect_refused(cap_server)
            await expect_refused(cap_server)  # a refused socket does not take a slot
            ws = socks.pop()
            await send(ws, {"type": "close"})
            assert await expect_close(ws) == 1000
            socks.append(await open_when_free(cap_server))
            await expect_refused(cap_server)
            # the surviving session was not disturbed
            assert (await ws_state(socks[0]))["episode_id"] == "s0"
        finally:
            await asyncio.gather(*[s.close() for s in socks], return_exceptions=True)

    run(go())


def test_release_by_abrupt_disconnect(cap_server):
    async def go():
        socks = [await open_session(cap_server) for _ in range(MAX)]
        try:
            await expect_refused(cap_server)
            ws = socks.pop()
            ws.transport.abort()  # TCP teardown without a close handshake
            socks.append(await open_when_free(cap_server))
            await expect_refused(cap_server)
        finally:
            await asyncio.gather(*[s.close() for s in socks], return_exceptions=True)

    run(go())


def test_release_by_socket_close_frame(cap_server):
    async def go():
        socks = [await open_session(cap_server) for _ in range(MAX)]
        try:
            ws = socks.pop()
            await ws.close()  # close frame without a close message
            socks.append(await open_when_free(cap_server))
            await expect_refused(cap_server)
        finally:
            await asyncio.gather(*[s.close() for s in socks], return_exceptions=True)

    run(go())


def test_generic_client_capacity_error(cap_server):
    async def go():
        clients = [cap_server.client() for _ in range(MAX)]
        extra = cap_server.client()
        try:
            for c in clients:
                await c.reset()
            with pytest.raises(RuntimeError, match="CAPACITY_REACHED"):
                await extra.reset()
            await clients[0].close()
            # the freed slot is usable (the client reconnects transparently); retry while
            # the server finishes releasing it
            deadline = time.monotonic() + TIMEOUT
            while True:
                try:
                    r = await extra.reset(episode_id="third")
                    break
                except RuntimeError as e:
                    assert "CAPACITY_REACHED" in str(e)
                    assert time.monotonic() < deadline, "slot not released by client close()"
                    await asyncio.sleep(0.1)
            assert r.done is False
            assert (await extra.state())["episode_id"] == "third"
        finally:
            await asyncio.gather(extra.close(), *[c.close() for c in clients], return_exceptions=True)

    run(go())


def test_http_sessions_count_against_the_limit(cap_server):
    sids = [cap_server.create_session() for _ in range(MAX)]
    try:
        err = rpc_err(cap_server.rpc("openenv/session/create", {}, id=3), -32000, id=3)
        assert err["data"] == {"active_sessions": MAX, "max_sessions": MAX}
        assert f"{MAX}/{MAX}" in err["message"]
        run(expect_refused(cap_server))
        freed = sids.pop()
        assert rpc_ok(cap_server.close_session(freed)) == {"session_id": freed, "closed": True}

        async def go():  # the slot of the closed HTTP session serves a WebSocket session
            ws = await open_when_free(cap_server)
            try:
                await expect_refused(cap_server)
            finally:
                await ws.close()

        run(go())
    finally:
        for sid in sids:
            cap_server.close_session(sid)


def test_http_close_frees_slot(cap_server):
    a, b = cap_server.create_session(), cap_server.create_session()
    try:
        rpc_err(cap_server.rpc("openenv/session/create", {}), -32000)
        assert rpc_ok(cap_server.close_session(a)) == {"session_id": a, "closed": True}
        c = cap_server.create_session()
        assert c not in (a, b)
        rpc_ok(cap_server.close_session(c))
    finally:
        cap_server.close_session(b)


def test_attach_uses_no_slot(cap_server):
    sid = cap_server.create_session()

    async def go():
        async with cap_server.ws(query={"session_id": sid}) as attached:
            observation(await rt(attached, {"type": "reset", "data": {"episode_id": "att"}}))
            other = await open_session(cap_server, "other")  # slot 2 of 2
            try:
                await expect_refused(cap_server)
                assert (await ws_state(attached))["episode_id"] == "att"
                assert (await ws_state(other))["episode_id"] == "other"
            finally:
                await other.close()

    try:
        run(go())
    finally:
        cap_server.close_session(sid)


def test_ws_mcp_endpoint_capacity(cap_server):
    async def go():
        socks = [await open_session(cap_server) for _ in range(MAX)]
        try:
            async with cap_server.ws("/mcp") as ws:
                await send_tolerant(ws, {"jsonrpc": "2.0", "method": "tools/list", "id": 1})
                err = rpc_err(await recv(ws), -32000, id=None)
                assert err["data"] == {"active_sessions": MAX, "max_sessions": MAX}
                await expect_close(ws)
        finally:
            await asyncio.gather(*[s.close() for s in socks], return_exceptions=True)

    run(go())


def test_ws_mcp_endpoint_uses_a_slot(cap_server):
    async def go():
        async with cap_server.ws("/mcp") as m:
            r = await rt(m, {"jsonrpc": "2.0", "method": "tools/list", "id": 1})
            assert "result" in r
            other = await open_session(cap_server)
            try:
                await expect_refused(cap_server)
            finally:
                await other.close()

    run(go())


def test_mcp_tool_client_at_capacity(cap_server):
    async def go():
        socks = [await open_session(cap_server) for _ in range(MAX)]
        try:
            env = cap_server.client(MCPToolClient)
            with pytest.raises(RuntimeError, match="capacity"):
                await env.connect()
            await env.close()
        finally:
            await asyncio.gather(*[s.close() for s in socks], return_exceptions=True)

    run(go())
