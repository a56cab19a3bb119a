"""Measures `openenv serve browser` on this machine (docs/benchmarks.md, "Browser"):

- session start: connect + reset(click-test) on a new session, p50/p99;
- one click + observation: click-test's button on a fresh episode each time, the step
  alone timed (action, settle, reward read, accessibility tree, pruned HTML), p50/p99;
- memory per concurrent session: the proportional set size (PSS, /proc/PID/smaps_rollup: shared
  pages split between their users, so a sum over processes counts each page once) of the
  server and every process of its browser, with N sessions each holding a reset page, minus
  the same with none, divided by N;
- concurrency: N sessions stepping `noop(0)` then reading the observation in a loop; the
  largest N (of 1, 2, 4, 8, 16) whose step p99 stays under 1 s.

Usage: .venv-interop/bin/python Benchmarks/browser_bench.py [--bin .build/debug/openenv]
Needs root (the server starts Chromium as its own uid).

--reference runs the same measurements against the reference `browsergym_env` (BrowserGym
0.14.3 on Playwright 1.44.0, pointed at the same Debian Chromium), started by
Benchmarks/browsergym_reference_server.py from a venv holding its pinned requirements (see
docs/benchmarks.md, "Browser"). The reference serves one task per server
(BROWSERGYM_TASK_NAME), so every measurement uses click-test on both sides.
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


def pss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def descendants(root):
    """`root` and every process below it (the reference's Playwright driver and Chromium)."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, ValueError, IndexError):
            pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def browser_pids():
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid in BROWSER_UIDS:
                out.append(int(pid))
        except OSError:
            pass
    return out


def start(command, port, env=None):
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, **(env or {})})
    import requests
    for _ in range(600):
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
        async with GenericEnvClient(base_url=base, message_timeout_s=120) as env:
            await env.reset(task_name="click-test", seed=i)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                await env.step({"action_str": "noop(0)"})
                latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(one(i) for i in range(n)))
    return latencies


async def held_pss(base, measure, n):
    clients = [GenericEnvClient(base_url=base, message_timeout_s=120) for _ in range(n)]
    for c in clients:
        await c.connect()
        await c.reset(task_name="click-test", seed=1)
    await asyncio.sleep(1)
    pss = measure()
    for c in clients:
        await c.close()
    await asyncio.sleep(2)
    return pss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(HERE.parent / ".build" / "debug" / "openenv"))
    ap.add_argument("--reference", metavar="PYTHON", help="measure the reference browsergym_env, run by this venv's python")
    ap.add_argument("--port", type=int, default=18555)
    ap.add_argument("--sessions", default="1,2,4,8,16", help="concurrency levels")
    a = ap.parse_args()
    base = f"http://127.0.0.1:{a.port}"
    levels = [int(n) for n in a.sessions.split(",")]
    if a.reference:
        proc = start([a.reference, str(HERE / "browsergym_reference_server.py"), "--port", str(a.port)], a.port)
        measure = lambda: pss_kib(descendants(proc.pid))  # noqa: E731
    else:
        proc = start([a.bin, "serve", "browser", "--port", str(a.port), "--max-sessions", str(max(32, max(levels)))], a.port)
        measure = lambda: pss_kib([proc.pid] + browser_pids())  # noqa: E731
    report = {"server": "reference browsergym_env" if a.reference else "openenv serve browser"}
    try:
        asyncio.run(session_starts(base, 3))  # warm: our Chromium starts with the first session
        s = asyncio.run(session_starts(base, 40))
        report["session_start_s"] = {"p50": pct(s, 50), "p99": pct(s, 99), "n": len(s)}
        c = asyncio.run(clicks(base, 40))
        report["click_observation_s"] = {"p50": pct(c, 50), "p99": pct(c, 99), "n": len(c)}
        time.sleep(2)
        idle = measure()
        report["pss_idle_mib"] = idle / 1024
        for n in (4, 8):
            report[f"pss_per_session_mib_{n}"] = (asyncio.run(held_pss(base, measure, n)) - idle) / n / 1024
        conc = {}
        for n in levels:
            try:
                lat = asyncio.run(concurrent(base, n, 10))
            except Exception as error:  # noqa: BLE001 - a level the server cannot hold
                conc[n] = {"failed": repr(error)[:300]}
                break
            conc[n] = {"p50": pct(lat, 50), "p99": pct(lat, 99), "steps_per_s": len(lat) / 10}
            print(n, conc[n], file=sys.stderr, flush=True)
        report["concurrency"] = conc
        report["max_sessions_p99_under_1s"] = max([n for n, v in conc.items() if v.get("p99", 9) < 1.0], default=0)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
