"""The `openenv` command line: the `list` contract and graceful shutdown of `serve` on
SIGTERM and SIGINT (stop accepting, close every session's socket, exit 0)."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
import requests
import websockets

from conftest import OPENENV_BIN, TIMEOUT, run, start_server

pytestmark = pytest.mark.swift_only


def test_list_prints_name_kind_description_per_line():
    out = subprocess.run([str(OPENENV_BIN), "list"], capture_output=True, text=True, timeout=30, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert all(len(r) == 3 for r in rows), out
    by_name = {r[0]: r for r in rows}
    assert by_name["echo"][1] == "mcp" and by_name["grid"][1] == "typed" and by_name["agent"][1] == "harness"
    assert all(r[1] in ("mcp", "typed", "harness") and r[2] for r in rows)
    listed = json.loads(subprocess.run([str(OPENENV_BIN), "list", "--json"], capture_output=True, text=True, timeout=30, check=True).stdout)
    assert [(e["name"], e["kind"], e["description"]) for e in listed] == [tuple(r) for r in rows]


def test_serve_refuses_unknown_environments_and_bad_options():
    bad = subprocess.run([str(OPENENV_BIN), "serve", "nope"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "unknown environment" in bad.stderr
    bad = subprocess.run([str(OPENENV_BIN), "serve", "echo", "--mode", "staging"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "Invalid mode" in bad.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_closes_sockets_and_exits_cleanly(sig):
    server = start_server("echo")
    try:
        async def scenario():
            async with websockets.connect(server.ws_base + "/ws", ping_interval=None, open_timeout=TIMEOUT) as ws:
                await ws.send(json.dumps({"type": "reset", "data": {}}))
                assert json.loads(await ws.recv())["type"] == "observation"
                server.proc.send_signal(sig)
                try:
                    await ws.recv()
                except websockets.ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd else None
                return "still open"

        code = run(scenario(), timeout=30)
        assert code in (1000, 1001), code
        assert server.proc.wait(timeout=15) == 0
        with pytest.raises(requests.RequestException):
            requests.get(server.base + "/health", timeout=1)
    finally:
        server.stop()
