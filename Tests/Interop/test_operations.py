"""Operating the server (issue 18): bearer tokens and per-token session limits, CORS,
/metrics read by Prometheus' own parser, JSON log lines, and the CLI's --token.

Every count asserted here is of traffic this file sent itself, to a server it started for
the test (127.0.0.1, a free port). Marked swift_only: the reference has none of it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, Tuple

import pytest
import requests
import websockets
from prometheus_client.parser import text_string_to_metric_families

from conftest import OPENENV_BIN, TIMEOUT, run

pytestmark = pytest.mark.swift_only

# Fresh per run, so a token found in a log can only have come from this test's traffic.
TOKEN = "opsA-" + secrets.token_hex(16)
LIMITED = "opsL-" + secrets.token_hex(16)
WRONG = "opsW-" + secrets.token_hex(16)
ORIGIN = "https://app.example"

STEP = {"type": "step", "data": {"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "hi"}}}


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth_server(start, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# who may connect\n{TOKEN}\n{LIMITED}  name=limited  max_sessions=1\n")
    return start("echo", max_sessions=8, extra_args=[
        "--auth-token-file", str(tokens), "--cors-origin", ORIGIN, "--log-format", "json", "--log-level", "debug"])


def scrape(server, token: str | None = None) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]:
    """`GET /metrics` parsed by prometheus_client: {(sample name, sorted labels): value}."""
    r = requests.get(server.url("/metrics"), headers=bearer(token) if token else {}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name: str, **labels: str) -> float:
    """Sum over every label set that includes `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def wait_sessions(server, count: int, token: str | None = None) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        active = requests.get(server.url("/ready"), timeout=TIMEOUT).json()["active_sessions"]
        if active == count:
            return
        assert time.monotonic() < deadline, f"{active} sessions open, expected {count}"
        time.sleep(0.05)


# --- authentication ----------------------------------------------------------------------


def test_every_route_but_health_and_ready_needs_the_token(auth_server):
    s = auth_server
    assert requests.get(s.url("/health"), timeout=TIMEOUT).status_code == 200
    assert requests.get(s.url("/ready"), timeout=TIMEOUT).status_code == 200
    for method, path in [("GET", "/schema"), ("GET", "/metadata"), ("POST", "/reset"), ("POST", "/mcp"), ("GET", "/metrics")]:
        r = requests.request(method, s.url(path), json={}, timeout=TIMEOUT)
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert r.json() == {"detail": "Not authenticated"}
        assert r.headers["www-authenticate"].startswith("Bearer")
        r = requests.request(method, s.url(path), json={}, headers=bearer(WRONG), timeout=TIMEOUT)
        assert r.status_code == 401
        assert r.json() == {"detail": "Invalid token"}
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
    r = requests.get(s.url("/schema"), headers=bearer(TOKEN), timeout=TIMEOUT)
    assert r.status_code == 200 and "action" in r.json()
    # the scheme is case-insensitive (RFC 7235)
    assert requests.get(s.url("/schema"), headers={"Authorization": f"bearer {TOKEN}"}, timeout=TIMEOUT).status_code == 200


def test_the_official_client_works_with_the_token_and_is_refused_without(auth_server):
    s = auth_server

    async def go():
        client = s.client(headers=bearer(TOKEN))
        try:
            await client.reset()
            result = await client.step(STEP["data"])
            assert result.observation["result"]["data"] == "hi"
        finally:
            await client.close()
        for headers in (None, bearer(WRONG)):
            refused = s.client(headers=headers) if headers else s.client()
            with pytest.raises(Exception):
                await refused.reset()
            await refused.close()

    run(go())
    wait_sessions(s, 0)
    m = scrape(s, TOKEN)
    assert value(m, "openenv_sessions_created_total") == 1  # only the client with the token
    assert value(m, "openenv_unauthorized_requests_total", transport="websocket") >= 2


def test_a_websocket_without_a_valid_token_is_refused_before_any_session_exists(auth_server):
    s = auth_server

    async def go():
        for headers in ({}, bearer(WRONG)):
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with s.ws(additional_headers=headers):
                    pass
            assert refused.value.response.status_code == 401
            assert json.loads(refused.value.response.body)["detail"] in ("Not authenticated", "Invalid token")

    run(go())
    assert requests.get(s.url("/ready"), timeout=TIMEOUT).json()["active_sessions"] == 0
    m = scrape(s, TOKEN)
    assert value(m, "openenv_sessions_created_total") == 0
    assert total(m, "openenv_sessions_refused_total") == 0
    assert value(m, "openenv_unauthorized_requests_total", transport="websocket") == 2


def test_a_token_holds_at_most_its_own_number_of_sessions(auth_server):
    s = auth_server

    async def go():
        async with s.ws(additional_headers=bearer(LIMITED)) as first:
            await first.send(json.dumps({"type": "reset", "data": {}}))
            assert json.loads(await first.recv())["type"] == "observation"
            async with s.ws(additional_headers=bearer(LIMITED)) as second:
                frame = json.loads(await second.recv())
                assert frame["type"] == "error" and frame["data"]["code"] == "CAPACITY_REACHED"
                assert "limited" in frame["data"]["message"] and frame["data"]["max_sessions"] == 1
            # another token is not held back by this one's limit
            async with s.ws(additional_headers=bearer(TOKEN)) as other:
                await other.send(json.dumps({"type": "reset", "data": {}}))
                assert json.loads(await other.recv())["type"] == "observation"
        wait_sessions(s, 0)
        # the slot came back with the first socket
        async with s.ws(additional_headers=bearer(LIMITED)) as again:
            await again.send(json.dumps({"type": "reset", "data": {}}))
            assert json.loads(await again.recv())["type"] == "observation"

    run(go())
    wait_sessions(s, 0)
    m = scrape(s, TOKEN)
    assert value(m, "openenv_sessions_refused_total", reason="quota") == 1
    assert value(m, "openenv_sessions_refused_total", reason="capacity") == 0
    assert value(m, "openenv_sessions_created_total") == 3


def test_a_session_belongs_to_the_token_that_opened_it(auth_server):
    s = auth_server
    created = requests.post(s.url("/mcp"), json={"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create"},
                            headers=bearer(TOKEN), timeout=TIMEOUT).json()
    sid = created["result"]["session_id"]
    body = {"action": STEP["data"], "session_id": sid}
    mine = requests.post(s.url("/step"), json=body, headers=bearer(TOKEN), timeout=TIMEOUT)
    assert mine.status_code == 200, mine.text
    theirs = requests.post(s.url("/step"), json=body, headers=bearer(LIMITED), timeout=TIMEOUT)
    assert theirs.status_code == 404 and theirs.json() == {"detail": f"Unknown session_id: {sid}"}  # as for a wrong id

    async def go():
        async with s.ws(query={"session_id": sid}, additional_headers=bearer(LIMITED)) as ws:
            frame = json.loads(await ws.recv())
            assert frame["data"]["code"] == "SESSION_ERROR" and "Unknown session_id" in frame["data"]["message"]

    run(go())
    close = {"jsonrpc": "2.0", "id": 2, "method": "openenv/session/close", "params": {"session_id": sid}}
    assert requests.post(s.url("/mcp"), json=close, headers=bearer(LIMITED), timeout=TIMEOUT).json()["error"]["code"] == -32602
    assert requests.post(s.url("/mcp"), json=close, headers=bearer(TOKEN), timeout=TIMEOUT).json()["result"]["closed"] is True


def test_cors_answers_allowed_origins_only(auth_server, echo_server):
    s = auth_server
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    r = requests.options(s.url("/reset"), headers=preflight, timeout=TIMEOUT)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in r.headers["access-control-allow-methods"]
    r = requests.options(s.url("/reset"), headers={**preflight, "Origin": "https://elsewhere.example"}, timeout=TIMEOUT)
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    r = requests.get(s.url("/schema"), headers={"Origin": ORIGIN, **bearer(TOKEN)}, timeout=TIMEOUT)
    assert r.headers["access-control-allow-origin"] == ORIGIN
    r = requests.get(s.url("/schema"), headers={"Origin": "https://elsewhere.example", **bearer(TOKEN)}, timeout=TIMEOUT)
    assert "access-control-allow-origin" not in r.headers
    # without --cors-origin and tokens nothing changes: the headers of before, no 401
    r = requests.get(echo_server.url("/schema"), headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert sorted(k.lower() for k in r.headers) == ["content-length", "content-type", "server"]


# --- metrics -----------------------------------------------------------------------------


def test_metrics_count_the_traffic_that_was_sent(start):
    s = start("echo", max_sessions=8)
    sessions, steps = 3, 5
    sent_bytes = received_bytes = 0

    async def go():
        nonlocal sent_bytes, received_bytes
        for _ in range(sessions):
            async with s.ws() as ws:
                for message in [{"type": "reset", "data": {}}] + [STEP] * steps + [{"type": "step", "data": {"nope": 1}}]:
                    text = json.dumps(message)
                    await ws.send(text)
                    reply = await ws.recv()
                    sent_bytes += len(text.encode())
                    received_bytes += len(reply.encode())

    run(go())
    reset_body = json.dumps({"seed": 1}).encode()
    r = requests.post(s.url("/reset"), data=reset_body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 200
    wait_sessions(s, 0)
    m = scrape(s)  # no tokens: /metrics is open like every route

    assert value(m, "openenv_sessions_created_total") == sessions
    assert value(m, "openenv_sessions_closed_total", reason="client") == sessions
    assert total(m, "openenv_sessions_closed_total") == sessions
    assert value(m, "openenv_sessions_open") == 0
    assert total(m, "openenv_steps_total", outcome="ok") == sessions * steps
    assert total(m, "openenv_steps_total", outcome="invalid") == sessions
    assert total(m, "openenv_resets_total", outcome="ok") == sessions + 1  # + the HTTP /reset
    assert total(m, "openenv_step_duration_seconds_count") == sessions * (steps + 1)
    assert total(m, "openenv_reset_duration_seconds_count") == sessions + 1
    environments = {dict(ls)["environment"] for (n, ls) in m if n == "openenv_steps_total"}
    assert environments == {"echo_env"}  # bounded labels: the environment, never a session
    assert not any("session" in k for (_, ls) in m for k, _ in ls)
    messages = sessions * (steps + 2)
    assert value(m, "openenv_websocket_messages_total", direction="in") == messages
    assert value(m, "openenv_websocket_messages_total", direction="out") == messages
    assert value(m, "openenv_received_bytes_total", transport="websocket") == sent_bytes
    assert value(m, "openenv_sent_bytes_total", transport="websocket") == received_bytes
    assert value(m, "openenv_received_bytes_total", transport="http") == len(reset_body)
    assert value(m, "openenv_sent_bytes_total", transport="http") >= len(r.content)
    assert value(m, "process_open_fds") > 0
    assert value(m, "process_resident_memory_bytes") > 1_000_000
    assert value(m, "process_cpu_seconds_total") > 0


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("bwrap") is None, reason="the coding sandbox needs root and bubblewrap")
def test_sandbox_starts_are_counted(start):
    s = start("coding", max_sessions=2)

    async def go():
        async with s.ws() as ws:
            await ws.send(json.dumps({"type": "reset", "data": {}}))
            assert json.loads(await ws.recv())["type"] == "observation"
            await ws.send(json.dumps({"type": "step", "data": {"code": "print(6 * 7)"}}))
            assert json.loads(await ws.recv())["data"]["observation"]["stdout"] == "42\n"

    run(go())
    wait_sessions(s, 0)
    m = scrape(s)
    assert value(m, "openenv_sandbox_starts_total") == 1  # one interpreter for the session
    assert value(m, "openenv_sandbox_failures_total") == 0
    assert value(m, "openenv_sessions_closed_total", reason="client") == 1


def test_metrics_can_be_turned_off(start):
    s = start("echo", extra_args=["--no-metrics"])
    assert requests.get(s.url("/metrics"), timeout=TIMEOUT).status_code == 404


def test_public_metrics_need_no_token(start, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    s = start("echo", extra_args=["--auth-token-file", str(tokens), "--public-metrics"])
    scrape(s)
    assert requests.get(s.url("/schema"), timeout=TIMEOUT).status_code == 401


# --- logs --------------------------------------------------------------------------------


def test_json_logs_are_one_object_a_line_and_never_hold_a_token(auth_server):
    s = auth_server

    async def go():
        async with s.ws(additional_headers=bearer(TOKEN)) as ws:
            await ws.send(json.dumps({"type": "reset", "data": {}}))
            await ws.recv()
        with pytest.raises(websockets.InvalidStatus):
            async with s.ws(additional_headers=bearer(WRONG)):
                pass

    run(go())
    requests.get(s.url("/schema"), headers=bearer(LIMITED), timeout=TIMEOUT)
    requests.get(s.url("/schema"), headers=bearer(WRONG), timeout=TIMEOUT)
    wait_sessions(s, 0)
    text = Path(s.log_path).read_text()  # the server writes it directly
    for token in (TOKEN, LIMITED, WRONG):
        assert token not in text
    records = []
    for line in text.splitlines():
        if not line or line.startswith("openenv: listening"):
            continue  # the start-up line is for people and scripts, as before
        record = json.loads(line)
        assert {"time", "level", "message", "fields"} <= record.keys(), record
        assert record["time"].endswith("Z") and record["time"][10] == "T"
        records.append(record)
    created = [r for r in records if r["message"] == "session created"]
    assert len(created) == 1 and created[0]["environment"] == "echo" and len(created[0]["session"]) == 36
    assert [r for r in records if r["message"] == "session closed"][0]["fields"]["reason"] == "client"
    refusals = [r for r in records if r["message"] == "refused unauthenticated request"]
    assert len(refusals) == 2 and {r["fields"]["credentials"] for r in refusals} == {"invalid"}


# --- the CLI's --token ---------------------------------------------------------------------


def openenv(*args: str, token_env: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPENENV_TOKEN"}
    if token_env:
        env["OPENENV_TOKEN"] = token_env
    return subprocess.run([str(OPENENV_BIN), *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_bench_validate_and_collect_take_a_token(auth_server, tmp_path):
    s = auth_server
    bench = ["bench", "--url", s.base, "-c", "2", "-s", "5", "--json"]
    ok = openenv(*bench, token_env=TOKEN)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["errors"] == 0
    assert openenv(*bench).returncode != 0
    ok = openenv("validate", "--url", s.base, "--json", "--token", TOKEN)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert openenv("validate", "--url", s.base, "--json").returncode != 0
    out = tmp_path / "episodes.jsonl"
    ok = openenv("collect", "--url", s.base, "--episodes", "2", "-c", "1", "--max-steps", "3", "--out", str(out), "--token", TOKEN)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert len(out.read_text().splitlines()) == 2
    wait_sessions(s, 0)
    m = scrape(s, TOKEN)
    assert value(m, "openenv_sessions_created_total") >= 2 + 2  # bench's 2 sessions, collect's worker and more
