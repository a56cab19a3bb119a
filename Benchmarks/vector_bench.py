"""Batched stepping against single-message stepping, over one /ws connection.

Starts `openenv serve ENV` (the binary in OPENENV_BIN or the first argument), then for each
N in --num-envs: one connection to /ws?num_envs=N stepping all N environments per message,
and (once) one plain /ws connection stepping one environment per message. Each round trip
is sent and its reply read before the next (no pipelining). Prints env-steps per second and
the server's CPU time per env-step (utime + stime of the server process from /proc), as a
Markdown table.

With `--client swift`, the load comes from `openenv bench --num-envs N` (the same binary's
SwiftNIO load generator, which checks each reply's type without parsing it) instead of this
Python client: what the server sustains when the client is not the bottleneck.

    python Benchmarks/vector_bench.py .build-release/release/openenv --env grid --env openspiel
    python Benchmarks/vector_bench.py .build-release/release/openenv --client swift
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time

from websockets.sync.client import connect

ACTIONS = {"grid": {"action": "RIGHT"}, "openspiel": {"action_id": 1}}  # catch: 0 left, 1 stay, 2 right


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(url: str, pid: int, env: str, num_envs: int | None, seconds: float) -> tuple[float, float]:
    n = num_envs or 1
    action = ACTIONS[env]
    query = f"?num_envs={num_envs}" if num_envs else ""
    with connect(url + "/ws" + query, max_size=None) as ws:
        ws.send(json.dumps({"type": "reset", "data": {"seed": 1}}))
        ws.recv()
        step = json.dumps({"type": "step", "data": {"actions": [action] * n}} if num_envs else {"type": "step", "data": action})
        for _ in range(50):  # warm-up
            ws.send(step)
            json.loads(ws.recv())
        messages = 0
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            ws.send(step)
            reply = json.loads(ws.recv())
            assert reply["type"] in ("observation", "vector_observation"), reply
            messages += 1
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    steps = messages * n
    return steps / elapsed, cpu / steps * 1e6


def measure_swift(binary: str, port: int, pid: int, env: str, num_envs: int | None) -> tuple[float, float]:
    n = num_envs or 1
    messages = min(20_000, max(500, 1_000_000 // n))  # a few seconds each
    command = [binary, "bench", "--url", f"http://127.0.0.1:{port}", "-c", "1", "-s", str(messages), "--warmup", "50",
               "--action", json.dumps(ACTIONS[env]), "--server-pid", str(pid), "--json"]
    if num_envs:
        command += ["--num-envs", str(num_envs)]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    assert result["errors"] == 0, result
    return result["steps_per_s"], result["server_cpu_ms_per_step"] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default=os.environ.get("OPENENV_BIN", ".build/release/openenv"))
    parser.add_argument("--env", action="append", default=None)
    parser.add_argument("--num-envs", default="1,16,256")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="an extra argument of `openenv serve` (e.g. --serve-arg=--vector-threads=1)")
    parser.add_argument("--client", choices=["python", "swift"], default="python",
                        help="python: this script's websockets client; swift: `openenv bench --num-envs`")
    args = parser.parse_args()
    print("| env | stepping | env-steps/s | server CPU µs/env-step |")
    print("|---|---|---:|---:|")
    for env in args.env or ["grid", "openspiel"]:
        port = free_port()
        extra = ["--game", "catch"] if env == "openspiel" else []
        server = subprocess.Popen([args.binary, "serve", env, "--port", str(port), "--max-sessions", "1024", "--log-level", "error", *extra, *args.serve_arg],
                                  stderr=subprocess.PIPE, text=True)
        try:
            line = server.stderr.readline()
            assert re.search(r"listening on", line), line
            url = f"ws://127.0.0.1:{port}"
            name = "catch" if env == "openspiel" else env
            def run(n: int | None) -> tuple[float, float]:
                if args.client == "swift":
                    return measure_swift(args.binary, port, server.pid, env, n)
                return measure(url, server.pid, env, n, args.seconds)
            rate, cpu = run(None)
            print(f"| {name} | single-message /ws | {rate:,.0f} | {cpu:.2f} |", flush=True)
            for n in (int(x) for x in args.num_envs.split(",")):
                rate, cpu = run(n)
                print(f"| {name} | num_envs={n} | {rate:,.0f} | {cpu:.2f} |", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
