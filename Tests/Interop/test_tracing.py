"""Tracing (issue 18): with OTEL_EXPORTER_OTLP_ENDPOINT set, the server exports one span per
reset, step and tool call over OTLP/HTTP, continuing the trace of the request's W3C
`traceparent`, to a local receiver (otlp_receiver.py) that decodes the exports with the
OpenTelemetry project's own protobuf classes (or as OTLP/JSON).

The caller's trace and span ids are made here at random; every expected value is one this
file sent. Marked swift_only: the reference exports no spans.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Dict, List

import pytest
import requests

from conftest import TIMEOUT, run
from otlp_receiver import OTLPReceiver, ReceivedSpan

pytestmark = pytest.mark.swift_only

ENV_NAME = "echo_env"  # the environment's name as /metadata and /metrics give it
ACTION = {"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "hi"}}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Parent:
    """A caller's span, as a trainer's rollout would send it."""

    def __init__(self, sampled: bool = True) -> None:
        self.trace_id = secrets.token_hex(16)
        self.span_id = secrets.token_hex(8)
        self.traceparent = f"00-{self.trace_id}-{self.span_id}-{'01' if sampled else '00'}"

    @property
    def headers(self) -> Dict[str, str]:
        return {"traceparent": self.traceparent}


@pytest.fixture
def receiver():
    with OTLPReceiver() as r:
        yield r
    assert not r.errors, r.errors


def traced_server(start, monkeypatch, receiver: OTLPReceiver, protocol: str = "http/protobuf", **env: str):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # ms: export soon after each call
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return start("echo", max_sessions=8)


def finish(server, receiver: OTLPReceiver, expected: int) -> List[ReceivedSpan]:
    """Every span the server exported for the test's traffic: waits for `expected`, then
    stops the server (SIGTERM flushes what is left), so a span too many would be seen."""
    receiver.wait_for(expected)
    server.stop()
    return receiver.snapshot()


def of(spans: List[ReceivedSpan], parent: Parent) -> List[ReceivedSpan]:
    return [s for s in spans if s.trace_id == parent.trace_id]


def assert_child(span: ReceivedSpan, parent: Parent, name: str) -> None:
    assert span.name == name
    assert span.trace_id == parent.trace_id and span.parent_span_id == parent.span_id
    assert span.span_id not in ("", "0" * 16, parent.span_id)
    assert span.kind == "server"
    assert span.attributes["openenv.environment"] == ENV_NAME
    assert span.attributes["openenv.outcome"] == "ok" and span.status_code != "error"
    assert span.service_name == "openenv"


@pytest.mark.parametrize("protocol", ["http/protobuf", "http/json"])
def test_the_official_client_continues_the_trace_of_its_traceparent(start, monkeypatch, receiver, protocol):
    s = traced_server(start, monkeypatch, receiver, protocol)
    first, second = Parent(), Parent()

    async def go():
        for parent, steps in ((first, 2), (second, 1)):
            client = s.client(headers=parent.headers)  # sent on the /ws upgrade
            try:
                await client.reset()
                for _ in range(steps):
                    result = await client.step(ACTION)
                    assert result.observation["result"]["data"] == "hi"
            finally:
                await client.close()

    run(go())
    spans = finish(s, receiver, 5)
    assert len(spans) == 5, [(x.name, x.trace_id) for x in spans]  # one per operation, none else
    assert {x.content_type for x in spans} == {"application/json" if protocol == "http/json" else "application/x-protobuf"}
    mine, theirs = of(spans, first), of(spans, second)
    assert sorted(x.name for x in mine) == ["openenv.reset", "openenv.step", "openenv.step"]
    assert sorted(x.name for x in theirs) == ["openenv.reset", "openenv.step"]
    for parent, group in ((first, mine), (second, theirs)):
        for span in group:
            assert_child(span, parent, span.name)
    # each client's calls ran in its own session, named on every span
    first_ids = {x.attributes["openenv.session.id"] for x in mine}
    second_ids = {x.attributes["openenv.session.id"] for x in theirs}
    assert len(first_ids) == 1 and len(second_ids) == 1 and first_ids != second_ids
    assert all(UUID.match(i) for i in first_ids | second_ids)
    assert len({x.span_id for x in spans}) == 5


def test_http_reset_step_and_mcp_tool_calls_continue_each_requests_trace(start, monkeypatch, receiver):
    s = traced_server(start, monkeypatch, receiver)
    reset, step, tool, in_session, ws_tool = Parent(), Parent(), Parent(), Parent(), Parent()
    http = requests.Session()
    http.trust_env = False
    r = http.post(s.url("/reset"), json={"seed": 1}, headers=reset.headers, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    r = http.post(s.url("/step"), json={"action": ACTION}, headers=step.headers, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo_message", "arguments": {"message": "hi"}}}
    r = http.post(s.url("/mcp"), json=call, headers=tool.headers, timeout=TIMEOUT)
    assert r.status_code == 200 and "result" in r.json(), r.text
    # an HTTP-created session: its id is on the span
    created = http.post(s.url("/mcp"), json={"jsonrpc": "2.0", "id": 2, "method": "openenv/session/create"}, timeout=TIMEOUT).json()
    sid = created["result"]["session_id"]
    r = http.post(s.url("/step"), json={"action": ACTION, "session_id": sid}, headers=in_session.headers, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    # a tool call over WebSocket /mcp continues the upgrade's trace
    async def over_websocket():
        async with s.ws("/mcp", additional_headers=ws_tool.headers) as ws:
            await ws.send(json.dumps({**call, "id": 3}))
            assert "result" in json.loads(await ws.recv())

    run(over_websocket())
    # a request without a traceparent starts a trace of its own
    r = http.post(s.url("/reset"), json={}, timeout=TIMEOUT)
    assert r.status_code == 200
    # routes that are not environment calls make no span
    assert http.get(s.url("/schema"), headers=Parent().headers, timeout=TIMEOUT).status_code == 200
    http.close()

    spans = finish(s, receiver, 6)
    assert len(spans) == 6, [(x.name, x.trace_id) for x in spans]
    [x] = of(spans, ws_tool)
    assert_child(x, ws_tool, "openenv.tool_call")
    assert UUID.match(x.attributes["openenv.session.id"])  # the socket's own session
    [x] = of(spans, reset)
    assert_child(x, reset, "openenv.reset")
    assert "openenv.session.id" not in x.attributes  # stateless: a single-use environment
    [x] = of(spans, step)
    assert_child(x, step, "openenv.step")
    [x] = of(spans, tool)
    assert_child(x, tool, "openenv.tool_call")
    [x] = of(spans, in_session)
    assert_child(x, in_session, "openenv.step")
    assert x.attributes["openenv.session.id"] == sid
    [root] = [x for x in spans if x.trace_id not in {p.trace_id for p in (reset, step, tool, in_session, ws_tool)}]
    assert root.name == "openenv.reset" and root.parent_span_id == ""


def test_a_traceparent_in_a_steps_metadata_overrides_the_upgrades(start, monkeypatch, receiver):
    s = traced_server(start, monkeypatch, receiver)
    upgrade, rollout_a, rollout_b, unsampled = Parent(), Parent(), Parent(), Parent(sampled=False)

    async def go():
        async with s.ws(additional_headers=upgrade.headers) as ws:
            for message in [
                {"type": "reset", "data": {}},
                {"type": "step", "data": {**ACTION, "metadata": {"traceparent": rollout_a.traceparent}}},
                {"type": "step", "data": {**ACTION, "metadata": {"traceparent": rollout_b.traceparent}}},
                {"type": "step", "data": ACTION},
                {"type": "step", "data": {**ACTION, "metadata": {"traceparent": unsampled.traceparent}}},
                {"type": "step", "data": {"nope": 1}},  # invalid: a span with outcome invalid
            ]:
                await ws.send(json.dumps(message))
                frame = json.loads(await ws.recv())
                assert frame["type"] == ("error" if "nope" in message["data"] else "observation"), frame

    run(go())
    spans = finish(s, receiver, 5)
    # the unsampled parent's step is not recorded: its sampling decision is honoured
    assert len(spans) == 5 and not of(spans, unsampled), [(x.name, x.trace_id) for x in spans]
    [a] = of(spans, rollout_a)
    assert_child(a, rollout_a, "openenv.step")
    [b] = of(spans, rollout_b)
    assert_child(b, rollout_b, "openenv.step")
    on_upgrade = of(spans, upgrade)
    assert [x.name for x in on_upgrade] == ["openenv.reset", "openenv.step", "openenv.step"]
    assert_child(on_upgrade[0], upgrade, "openenv.reset")
    assert_child(on_upgrade[1], upgrade, "openenv.step")
    invalid = on_upgrade[2]
    assert invalid.attributes["openenv.outcome"] == "invalid" and invalid.status_code == "error"
    assert len({x.attributes["openenv.session.id"] for x in spans}) == 1


def test_with_the_sdk_disabled_nothing_is_exported(start, monkeypatch, receiver):
    s = traced_server(start, monkeypatch, receiver, OTEL_SDK_DISABLED="true")
    r = requests.post(s.url("/reset"), json={}, headers=Parent().headers, timeout=TIMEOUT)
    assert r.status_code == 200
    log = s.log_tail(200)
    assert "listening on" in log and "tracing=" not in log
    s.stop()
    time.sleep(0.3)
    assert receiver.snapshot() == [] and receiver.requests == 0


def test_the_start_up_line_says_when_spans_are_exported(start, monkeypatch, receiver):
    s = traced_server(start, monkeypatch, receiver)
    assert "tracing=otlp" in s.log_tail(200)


def test_a_malformed_traceparent_starts_a_new_trace_and_no_header_is_logged(start, monkeypatch, receiver, tmp_path):
    token = "trace-" + secrets.token_hex(16)
    tokens = tmp_path / "tokens"
    tokens.write_text(token + "\n")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    s = start("echo", max_sessions=8, extra_args=["--auth-token-file", str(tokens), "--log-level", "debug"])
    auth = {"Authorization": f"Bearer {token}"}
    bad = [
        "garbage",
        "00-" + "0" * 32 + "-" + secrets.token_hex(8) + "-01",  # well formed, but an all-zero trace id is invalid
        "00-" + secrets.token_hex(16).upper() + "-" + secrets.token_hex(8) + "-01",  # upper-case hex
        "ff-" + secrets.token_hex(16) + "-" + secrets.token_hex(8) + "-01",  # version ff
    ]
    for traceparent in bad:
        r = requests.post(s.url("/reset"), json={}, headers={**auth, "traceparent": traceparent}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
    log = s.log_tail(10_000)
    spans = finish(s, receiver, len(bad))
    assert len(spans) == len(bad)
    assert all(x.parent_span_id == "" for x in spans) and len({x.trace_id for x in spans}) == len(bad)
    assert token not in log
