"""Measures `openenv serve browser` on this machine (docs/benchmarks.md, "Browser"):

- session start: connect + reset(click-test) on a new session, p50/p99;
- one click + observation: click-test's button on a fresh episode each time, the step
  alone timed (action, settle, reward read, accessibility tree, pruned HTML), p50/p99;
- RSS per concurrent session: the server plus every process of the browser uid, with N
  sessions each holding a reset page, minus the same with none, divided by N;
- concurrency: N sessions stepping `noop(0)` then reading the observation in a loop; the
  largest N (of 1, 2, 4, 8, 16) whose step p99 stays under 1 s.

Usage: .venv-interop/bin/python Benchmarks/browser_bench.py [--bin .build/release/openenv] [--json]
Needs root (the server starts Chromium as its own uid).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Tests" / "Interop"))

from browser_agents import first  # noqa: E402
from openenv import GenericEnvClient  # noqa: E402

BROWSER_UIDS = range(209_000, 209_064)


def pct(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def browser_pids():
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid in BROWSER_UIDS:
                out.append(int(pid))
        except OSError:
            pass
    return out


def start(binary, port):
    proc = subprocess.Popen([binary, "serve", "browser", "--port", str(port), "--max-sessions", "32"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    import requests
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start")


async def session_starts(base, n):
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        async with GenericEnvClient(base_url=base, message_timeout_s=60) as env:
            await env.reset(task_name="click-test", seed=i)
            times.append(time.perf_counter() - t0)
    return times


async def clicks(base, n):
    times = []
    async with GenericEnvClient(base_url=base, message_timeout_s=60) as env:
        for i in range(n):
            r = await env.reset(task_name="click-test", seed=i)
            bid = first(r.observation["axtree_txt"], "button", "Click Me!")
            t0 = time.perf_counter()
            r = await env.step({"action_str": f"click('{bid}')"})
            times.append(time.perf_counter() - t0)
            assert r.reward == 1.0
    return times


async def concurrent(base, n, seconds):
    latencies = []

    async def one(i):
        async with GenericEnvClient(base_url=base, message_timeout_s=60) as env:
            await env.reset(task_name="click-checkboxes", seed=i)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                await env.step({"action_str": "noop(0)"})
                latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(one(i) for i in range(n)))
    return latencies


async def held_rss(base, server_pid, n):
    clients = [GenericEnvClient(base_url=base, message_timeout_s=60) for _ in range(n)]
    for c in clients:
        await c.connect()
        await c.reset(task_name="click-checkboxes", seed=1)
    await asyncio.sleep(1)
    rss = rss_kib([server_pid] + browser_pids())
    for c in clients:
        await c.close()
    return rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(HERE.parent / ".build" / "release" / "openenv"))
    ap.add_argument("--port", type=int, default=18555)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    base = f"http://127.0.0.1:{a.port}"
    proc = start(a.bin, a.port)
    report = {}
    try:
        asyncio.run(session_starts(base, 3))  # warm: Chromium starts with the first session
        s = asyncio.run(session_starts(base, 40))
        report["session_start_s"] = {"p50": pct(s, 50), "p99": pct(s, 99), "n": len(s)}
        c = asyncio.run(clicks(base, 40))
        report["click_observation_s"] = {"p50": pct(c, 50), "p99": pct(c, 99), "n": len(c)}
        base_rss = rss_kib([proc.pid] + browser_pids())
        for n in (4, 8, 16):
            report[f"rss_per_session_mib_{n}"] = (asyncio.run(held_rss(base, proc.pid, n)) - base_rss) / n / 1024
        report["rss_idle_mib"] = base_rss / 1024
        conc = {}
        for n in (1, 2, 4, 8, 16):
            lat = asyncio.run(concurrent(base, n, 10))
            conc[n] = {"p50": pct(lat, 50), "p99": pct(lat, 99), "steps_per_s": len(lat) / 10}
        report["concurrency"] = conc
        report["max_sessions_p99_under_1s"] = max([n for n, v in conc.items() if v["p99"] < 1.0], default=0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
