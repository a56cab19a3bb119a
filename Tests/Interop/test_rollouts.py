"""Rollouts: `openenv collect` (random and scripted policies, resuming, chat messages for MCP
environments, against our server and the Python reference) and the end-to-end training
example (Examples/GridTraining), whose agent must learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import OPENENV_BIN, REPO, free_port, wait_until

pytestmark = pytest.mark.swift_only  # the collector and the example run our binary


def collect(tmp_path: Path, *args: str) -> tuple[dict, list[dict]]:
    out = tmp_path / "episodes.jsonl"
    r = subprocess.run([str(OPENENV_BIN), "collect", "--out", str(out), "--json", *args],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1]), [json.loads(l) for l in out.read_text().splitlines()]


def test_random_policy_on_the_grid_writes_reproducible_trajectories(tmp_path):
    summary, episodes = collect(tmp_path, "--env", "grid", "--episodes", "6", "-c", "3", "--max-steps", "40", "--seed", "11")
    assert summary["episodes"] == 6 and summary["failed"] == 0
    assert sorted(e["episode_id"] for e in episodes) == [f"episode-{i:06d}" for i in range(6)]
    for e in episodes:
        assert e["seed"] == 11 + int(e["episode_id"][-6:])
        assert e["length"] == len(e["steps"]) and 1 <= e["length"] <= 40
        assert all(s["action"]["action"] in ("UP", "DOWN", "LEFT", "RIGHT") for s in e["steps"])
        assert e["ending"] in ("done", "max_steps")
        assert (e["ending"] == "done") == e["steps"][-1]["done"]
        assert e["total_reward"] == sum(s["reward"] for s in e["steps"])
    # Same seeds, same trajectories.
    again = tmp_path / "again"
    again.mkdir()
    _, replay = collect(again, "--env", "grid", "--episodes", "6", "-c", "2", "--max-steps", "40", "--seed", "11")
    by_id = {e["episode_id"]: [s["action"] for s in e["steps"]] for e in episodes}
    assert {e["episode_id"]: [s["action"] for s in e["steps"]] for e in replay} == by_id


def test_collection_resumes_where_it_stopped(tmp_path):
    first, _ = collect(tmp_path, "--env", "grid", "--episodes", "3", "--max-steps", "5")
    second, episodes = collect(tmp_path, "--env", "grid", "--episodes", "5", "--max-steps", "5")
    assert first["episodes"] == 3 and second["episodes"] == 2 and second["skipped"] == 3
    assert sorted(e["episode_id"] for e in episodes) == [f"episode-{i:06d}" for i in range(5)]


def test_mcp_episodes_carry_chat_messages_with_tool_calls(tmp_path):
    summary, episodes = collect(tmp_path, "--env", "echo", "--episodes", "2", "--max-steps", "3")
    assert summary["failed"] == 0
    e = episodes[0]
    assert e["length"] == 3 and e["ending"] == "max_steps"
    calls = [m for m in e["messages"] if m["role"] == "assistant"]
    answers = [m for m in e["messages"] if m["role"] == "tool"]
    assert len(calls) == len(answers) == 3
    call = calls[0]["tool_calls"][0]
    assert call["function"]["name"] in ("echo_message", "echo_with_length")
    assert answers[0]["tool_call_id"] == call["id"]
    assert json.loads(call["function"]["arguments"])["message"] in answers[0]["content"]


def test_scripted_policy_in_python_drives_the_episode(tmp_path):
    policy = tmp_path / "policy.py"
    policy.write_text(
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    o = json.loads(line)['observation']\n"
        "    dr, dc = o['goal_row'] - o['row'], o['goal_col'] - o['col']\n"
        "    move = 'DOWN' if dr > 0 else 'UP' if dr < 0 else 'RIGHT' if dc > 0 else 'LEFT'\n"
        "    print(json.dumps({'action': move}), flush=True)\n")
    summary, episodes = collect(tmp_path, "--env", "grid", "--episodes", "4", "--policy", "scripted",
                                "--command", f"{sys.executable} {policy}", "--seed", "3")
    assert summary["success_rate"] == 1.0, "the greedy script walks straight to the goal"
    for e in episodes:
        r0 = e["reset_observation"]
        assert e["length"] == abs(r0["goal_row"] - r0["row"]) + abs(r0["goal_col"] - r0["col"])


def test_collect_drives_the_python_reference_too(tmp_path):
    port = free_port()
    ref = subprocess.Popen([sys.executable, str(REPO / "Tests/Interop/reference_env.py"), "--env", "grid", "--port", str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: _healthy(port), 60, what="reference server")
        summary, episodes = collect(tmp_path, "--url", f"http://127.0.0.1:{port}", "--episodes", "3", "--max-steps", "10", "--seed", "1")
        assert summary["episodes"] == 3 and summary["failed"] == 0 and all(e["length"] >= 1 for e in episodes)
    finally:
        ref.terminate()
        ref.wait(10)


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_training_example_learns(tmp_path):
    png = tmp_path / "curve.png"
    r = subprocess.run([sys.executable, str(REPO / "Examples/GridTraining/train.py"), "--episodes", "200", "--png", str(png)],
                       capture_output=True, text=True, timeout=300, env={**os.environ, "OPENENV_BIN": str(OPENENV_BIN)})
    assert r.returncode == 0, r.stdout + r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["last_window_return"] > summary["first_window_return"] + 0.1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
