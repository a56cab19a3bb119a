"""The agent harness (`openenv serve agent`) against a local OpenAI-compatible model server
(Examples/AgentEpisode/rule_model_server.py, the real chat-completions protocol with tool
calls): `/harness` frames checked with the official package's own models
(`openenv.core.harness.events`), the simulation-mode turn through the official client, and
`openenv collect --policy llm`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import websockets
from openenv.core.harness.events import HarnessEvent, HarnessEventType, HarnessProtocolError

from conftest import OPENENV_BIN, REPO, TIMEOUT, run

pytestmark = pytest.mark.swift_only  # the reference has no harness environment we can start without an external agent CLI

MODEL_SERVER = REPO / "Examples" / "AgentEpisode" / "rule_model_server.py"


@pytest.fixture(scope="module")
def model_url():
    proc = subprocess.Popen([sys.executable, str(MODEL_SERVER), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on "), line
        yield line.removeprefix("listening on ") + "/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def agent_env(model_url, monkeypatch):
    monkeypatch.setenv("OPENENV_AGENT_BASE_URL", model_url)
    monkeypatch.setenv("OPENENV_AGENT_MODEL", "rule-agent")


async def _turns(url: str, messages: list[str]) -> tuple[dict, list[list[str]]]:
    async with websockets.connect(url, open_timeout=TIMEOUT) as ws:
        started = json.loads(await asyncio_wait(ws.recv()))
        frames_per_turn = []
        for message in messages:
            await ws.send(message)
            frames = []
            while True:
                frame = await asyncio_wait(ws.recv())
                frames.append(frame)
                kind = json.loads(frame)["type"]
                if kind in ("turn_complete", "protocol_error", "error"):
                    break
            frames_per_turn.append(frames)
        return started, frames_per_turn


async def asyncio_wait(awaitable):
    import asyncio
    return await asyncio.wait_for(awaitable, TIMEOUT)


def test_harness_socket_frames_are_the_official_models(start, agent_env):
    server = start("agent", mode="production")
    started, turns = run(_turns(server.ws_url("/harness"), [
        json.dumps({"type": "message", "content": "say hello"}),
        "{not json",
        json.dumps({"type": "message"}),
        json.dumps({"type": "message", "content": "and again"}),
    ]))
    assert started["type"] == "session_started"
    assert started["data"]["harness"] == "openenv-llm-agent" and started["data"]["session_id"]

    events = [HarnessEvent.model_validate_json(f) for f in turns[0]]
    assert [e.type for e in events] == [
        HarnessEventType.LLM_REQUEST, HarnessEventType.LLM_RESPONSE, HarnessEventType.TOOL_CALL,
        HarnessEventType.TOOL_RESULT, HarnessEventType.LLM_REQUEST, HarnessEventType.LLM_RESPONSE,
        HarnessEventType.TEXT_OUTPUT, HarnessEventType.TURN_COMPLETE]
    assert events[2].data == {"tool_name": "echo_message", "arguments": {"message": "say hello"}}
    assert events[-1].data["response"] == "The tool answered: say hello"

    invalid = HarnessProtocolError.model_validate_json(turns[1][0])
    assert invalid.data["code"] == "INVALID_JSON"
    assert invalid.data["message"].startswith("Invalid JSON: Expecting property name enclosed in double quotes")
    missing = HarnessProtocolError.model_validate_json(turns[2][0])
    assert missing.data["code"] == "VALIDATION_ERROR"
    assert "1 validation error for HarnessClientMessage\ncontent\n  Field required" in missing.data["message"]

    again = [HarnessEvent.model_validate_json(f) for f in turns[3]]
    assert again[-1].type == HarnessEventType.TURN_COMPLETE
    # The conversation carries on: the second turn's first request holds the first turn.
    assert len(again[0].data["messages"]) == 6  # system, user, call, answer, reply, user


def test_harness_route_is_production_only(start, agent_env):
    server = start("agent")  # simulation mode
    with pytest.raises(Exception):
        run(_turns(server.ws_url("/harness"), []))


def test_official_client_runs_turns_in_simulation_mode(start, agent_env):
    server = start("agent")
    with server.client().sync() as env:
        reset = env.reset()
        assert reset.observation["metadata"]["injected_tools"] == ["echo_message", "echo_with_length"]
        turn = env.step({"message": "ping"})
        assert turn.observation["metadata"]["response"] == "The tool answered: ping"
        assert turn.observation["metadata"]["turn_number"] == 1
        assert [e["type"] for e in turn.observation["metadata"]["turn_events"]][-1] == "turn_complete"
        direct = env.step({"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "x"}})
        assert direct.observation["result"]["content"][0]["text"] == "x"


def test_serving_the_agent_without_a_model_fails_clearly(monkeypatch):
    for name in ("OPENENV_AGENT_BASE_URL", "OPENAI_BASE_URL", "OPENENV_AGENT_MODEL"):
        monkeypatch.delenv(name, raising=False)
    r = subprocess.run([str(OPENENV_BIN), "serve", "agent", "--port", "0"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "OPENENV_AGENT_BASE_URL" in r.stderr


def test_collect_with_the_llm_policy_records_the_conversation_and_tokens(tmp_path, model_url):
    out = tmp_path / "agent.jsonl"
    r = subprocess.run([str(OPENENV_BIN), "collect", "--env", "echo", "--policy", "llm", "--model-url", model_url,
                        "--model", "rule-agent", "--prompt", "repeat after me", "--logprobs", "--token-ids",
                        "--episodes", "3", "-c", "2", "--out", str(out), "--json"],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["failed"] == 0
    for episode in map(json.loads, out.read_text().splitlines()):
        assert [s["action"] for s in episode["steps"]] == [
            {"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "repeat after me"}}]
        assert [m["role"] for m in episode["messages"]] == ["system", "user", "assistant", "tool", "assistant"]
        assert episode["messages"][3]["content"] == "repeat after me"
        first = episode["completions"][0]
        assert first["finish_reason"] == "tool_calls" and first["token_ids"] and first["prompt_token_ids"]
        assert [t["token"] for t in first["logprobs"]["content"]] == ['{"message":', '"repeat', "after", 'me"}']


def test_llm_policy_without_a_model_is_refused_before_running(tmp_path, monkeypatch):
    for name in ("OPENENV_AGENT_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    r = subprocess.run([str(OPENENV_BIN), "collect", "--env", "echo", "--policy", "llm", "--model", "m", "--out", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--model-url" in r.stderr
    assert not (tmp_path / "x").exists()


def test_agent_episode_example_runs_end_to_end():
    r = subprocess.run([sys.executable, str(REPO / "Examples" / "AgentEpisode" / "run.py"), "--openenv", str(OPENENV_BIN)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "pass rate 0.375" in r.stdout  # the rules solve the 3 arithmetic questions of the 8
    assert r.stdout.rstrip().endswith("OK")
