#!/usr/bin/env python3
"""A tool-using agent episode through the `llm` harness, end to end on this machine.

1. starts a local OpenAI-compatible model server (rule_model_server.py: the real
   chat-completions protocol with tool calls; its "model" is a few rules);
2. `openenv eval --env qa --split test --policy llm`: the agent answers the questions of the
   Swift `qa` environment by calling its `step` tool (the rules solve the arithmetic ones);
   prints the pass rate, then one solved episode's conversation, its reward, and the token
   ids and log-probabilities recorded for training;
3. `openenv serve agent --mode production`: the same agent as a harness environment; one
   turn over the `/harness` WebSocket, its events printed as they stream in.

    swift build --product openenv && .venv-interop/bin/python Examples/AgentEpisode/run.py

Every process it starts is stopped at the end. Exit status 1 when the episode did not go
as described (CI runs this).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def evaluate(openenv: str, model_url: str, results: Path, trajectories: Path) -> dict:
    result = subprocess.run(
        [openenv, "eval", "--env", "qa", "--split", "test", "-k", "2", "--policy", "llm", "--model-url", model_url,
         "--model", "rule-agent", "--temperature", "0", "--logprobs", "--token-ids", "--seed", "0",
         "--out", str(results), "--trajectories", str(trajectories)],
        capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    print(result.stdout.strip())
    return json.loads(results.read_text())


async def harness_turn(url: str, message: str) -> list[dict]:
    events = []
    async with websockets.connect(url) as ws:
        started = json.loads(await ws.recv())
        print(f"  session_started: harness={started['data']['harness']} session={started['data']['session_id']}")
        await ws.send(json.dumps({"type": "message", "content": message}))
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 30))
            events.append(event)
            summary = {k: v for k, v in event["data"].items() if k != "messages"}
            print(f"  {event['type']:<14} {json.dumps(summary)[:100]}")
            if event["type"] in ("turn_complete", "error"):
                return events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openenv", default=str(ROOT / ".build" / "debug" / "openenv"), help="the openenv binary")
    args = parser.parse_args()

    model = subprocess.Popen([sys.executable, str(HERE / "rule_model_server.py"), "--port", "0"], stdout=subprocess.PIPE, text=True)
    agent = None
    try:
        model_url = model.stdout.readline().strip().removeprefix("listening on ") + "/v1"
        print(f"model server: {model_url}")

        print("\n== openenv eval --policy llm: the qa test split, 2 samples per task")
        with tempfile.TemporaryDirectory() as tmp:
            results = evaluate(args.openenv, model_url, Path(tmp) / "results.json", Path(tmp) / "episodes.jsonl")
            episodes = [json.loads(line) for line in (Path(tmp) / "episodes.jsonl").read_text().splitlines()]
        summary = results["summary"]
        best = max(episodes, key=lambda e: e["total_reward"])
        print(f"\n== one solved episode ({best['episode_id']})")
        for m in best["messages"]:
            text = m.get("content") or json.dumps([c["function"] for c in m.get("tool_calls", [])])
            print(f"  {m['role']:<9} {text.replace(chr(10), ' ')[:110]}")
        print(f"  reward {best['total_reward']}, ending {best['ending']}, "
              f"{sum(len(c.get('token_ids', [])) for c in best['completions'])} completion token ids, "
              f"{sum(len((c.get('logprobs') or {}).get('content', [])) for c in best['completions'])} logprobs recorded")

        port = free_port()
        env = dict(os.environ, OPENENV_AGENT_BASE_URL=model_url, OPENENV_AGENT_MODEL="rule-agent")
        agent = subprocess.Popen([args.openenv, "serve", "agent", "--mode", "production", "--port", str(port)],
                                 env=env, stderr=subprocess.DEVNULL)
        wait_healthy(f"http://127.0.0.1:{port}", agent)
        print("\n== /harness: one turn of `openenv serve agent --mode production`")
        events = asyncio.run(harness_turn(f"ws://127.0.0.1:{port}/harness", "Hello from the harness example"))

        ok = (summary["errors"] == 0 and 0 < summary["pass_rate"] < 1 and best["total_reward"] > 0 and best["messages"][2].get("tool_calls")
              and best["completions"][0].get("token_ids") and events[-1]["type"] == "turn_complete"
              and any(e["type"] == "tool_call" for e in events))
        print("\nOK" if ok else "\nUNEXPECTED: see above")
        return 0 if ok else 1
    finally:
        for proc in (agent, model):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
