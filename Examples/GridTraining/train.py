#!/usr/bin/env python3
"""Tabular Q-learning on the Swift `grid` environment, through the official OpenEnv client.

A small end-to-end training loop: the official `GenericEnvClient` (openenv 0.10.0) drives a
swift-openenv server over /ws; the agent learns to walk to the goal of randomly seeded 5x5
layouts. The learning curve (moving average of the discounted return, and the success rate)
is written as a PNG.

    .venv-interop/bin/python Examples/GridTraining/train.py [--episodes 400] [--png grid_learning.png]

Without --url it starts `openenv serve grid --port 0` itself (from $OPENENV_BIN, else
.build/release/openenv, else .build/debug/openenv) and stops it at the end. Prints a JSON
summary on the last line; exits 1 if the agent did not improve.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

from openenv import GenericEnvClient

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ["UP", "DOWN", "LEFT", "RIGHT"]


def start_server() -> tuple[subprocess.Popen, str]:
    candidates = [os.environ.get("OPENENV_BIN"), ROOT / ".build/release/openenv", ROOT / ".build/debug/openenv"]
    binary = next((str(c) for c in candidates if c and Path(c).exists()), None)
    if binary is None:
        sys.exit("no openenv binary: build it with `swift build -c release --product openenv` or set OPENENV_BIN")
    proc = subprocess.Popen([binary, "serve", "grid", "--port", "0", "--log-level", "warning"],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in proc.stderr:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return proc, match.group(1)
    proc.kill()
    sys.exit("openenv serve grid did not start")


def key(obs: dict) -> tuple:
    """The goal's offset from the agent: 81 states that every layout shares."""
    return obs["goal_row"] - obs["row"], obs["goal_col"] - obs["col"]


def train(url: str, episodes: int, max_steps: int, seed: int) -> list[tuple[float, bool]]:
    rng = random.Random(seed)
    q: dict[tuple, list[float]] = {}
    alpha, gamma = 0.5, 0.9
    history = []
    with GenericEnvClient(base_url=url).sync() as env:
        for episode in range(episodes):
            epsilon = max(0.05, 1.0 - episode / (0.6 * episodes))
            obs = env.reset(seed=rng.randrange(1_000_000), episode_id=f"train-{episode}").observation
            ret, discount, done = 0.0, 1.0, False
            for _ in range(max_steps):
                s = key(obs)
                values = q.setdefault(s, [0.0] * 4)
                a = rng.randrange(4) if rng.random() < epsilon else max(range(4), key=lambda i: values[i])
                result = env.step({"action": ACTIONS[a]})
                obs, reward, done = result.observation, float(result.reward or 0.0), result.done
                target = reward if done else reward + gamma * max(q.setdefault(key(obs), [0.0] * 4))
                values[a] += alpha * (target - values[a])
                ret += discount * reward
                discount *= gamma
                if done:
                    break
            history.append((ret, done))
    return history


def moving_average(xs: list[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, x in enumerate(xs):
        total += x
        if i >= window:
            total -= xs[i - window]
        out.append(total / min(i + 1, window))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server with the grid environment (default: start one)")
    ap.add_argument("--episodes", type=int, default=400)
    ap.add_argument("--max-steps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--png", default="grid_learning.png")
    args = ap.parse_args()

    proc = None
    url = args.url
    if url is None:
        proc, url = start_server()
    try:
        history = train(url, args.episodes, args.max_steps, args.seed)
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)

    returns = [r for r, _ in history]
    successes = [1.0 if d else 0.0 for _, d in history]
    window = max(10, args.episodes // 10)
    curve, success_curve = moving_average(returns, window), moving_average(successes, window)
    first, last = sum(returns[:window]) / window, sum(returns[-window:]) / window

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve, label=f"discounted return (moving average of {window})")
    ax.plot(success_curve, label="success rate", alpha=0.7)
    ax.set_xlabel("episode")
    ax.set_ylim(0, 1.05)
    ax.set_title("Q-learning on swift-openenv grid via the official OpenEnv client")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(args.png, dpi=100)

    summary = {"episodes": args.episodes, "first_window_return": round(first, 4), "last_window_return": round(last, 4),
               "last_window_success": round(sum(successes[-window:]) / window, 4), "png": args.png}
    print(json.dumps(summary))
    return 0 if last > first + 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
