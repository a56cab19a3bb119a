#!/usr/bin/env python3
"""The gateway's overhead: one `openenv serve grid` benchmarked directly and through
`openenv gateway` (that server as its only backend), interleaved run by run in one sitting,
with the same load generator (`openenv bench`, SwiftNIO).

    swift build -c release --product openenv
    python3 Benchmarks/gateway.py [--reps 3] [--json out.jsonl]

Per cell: steps/s, p99 latency, the server's CPU per step and, through the gateway, the
gateway's own CPU per step (utime+stime of its process from /proc over the run, divided by the
steps the run completed). OPENENV_BENCH_BIN names another `openenv` binary. Every process it
starts is stopped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import GRID_ACTION, SWIFT, Server, bench, fmt, med, swift_server  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", help="append every run as a JSON line to this file")
    ap.add_argument("--quick", action="store_true", help="one repetition, a tenth of the steps (a smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.reps = 1
    # (mode, concurrency, steps per session, warmup)
    cells = [("ws", 1, 5000, 50), ("ws", 8, 2000, 20), ("ws", 64, 500, 5), ("http", 1, 2000, 20), ("http", 8, 1000, 5)]
    backend = swift_server("grid", 1024)
    gateway = Server("gateway", [SWIFT, "gateway", "--port", "{port}", "--backend", backend.url, "--log-level", "warning"])
    rows = []
    try:
        for mode, c, s, warm in cells:
            for _ in range(args.reps):
                for who in ("direct", "gateway"):
                    target = backend if who == "direct" else gateway
                    before = cpu_seconds(gateway.proc.pid)
                    # --server-pid is the backend's in both cases: the environment's own cost
                    r = bench(_Via(target, backend.proc.pid), mode, c, max(1, s // 10) if args.quick else s, GRID_ACTION, warm)
                    gateway_cpu = cpu_seconds(gateway.proc.pid) - before
                    r.update(who=who, gateway_cpu_ms_per_step=(gateway_cpu * 1000 / r["completed_steps"]) if who == "gateway" else None)
                    rows.append(r)
                    print(f"{who:8} grid {mode} C={c}: {r['steps_per_s']:.0f} steps/s, p99 {r['p99_ms']:.2f} ms, server "
                          f"{fmt(r['server_cpu_ms_per_step'], 4)} ms CPU/step, gateway {fmt(r['gateway_cpu_ms_per_step'], 4)} "
                          f"ms CPU/step, errors {r['errors']}", file=sys.stderr)
    finally:
        gateway.stop()
        backend.stop()
    if args.json:
        with open(args.json, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")

    print("| mode | C | direct steps/s | via gateway steps/s | ratio | direct p99 ms | via gateway p99 ms | server CPU ms/step direct | server CPU ms/step via gateway | gateway CPU ms/step | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mode, c, _, _ in cells:
        def pick(who, key):
            return med([r[key] for r in rows if r["mode"] == mode and r["concurrency"] == c and r["who"] == who])
        d, g = pick("direct", "steps_per_s"), pick("gateway", "steps_per_s")
        errors = sum(r["errors"] for r in rows if r["mode"] == mode and r["concurrency"] == c)
        print(f"| {mode} | {c} | {fmt(d)} | {fmt(g)} | {fmt(g / d if d and g else None, 2)} | {fmt(pick('direct', 'p99_ms'), 2)} "
              f"| {fmt(pick('gateway', 'p99_ms'), 2)} | {fmt(pick('direct', 'server_cpu_ms_per_step'), 4)} "
              f"| {fmt(pick('gateway', 'server_cpu_ms_per_step'), 4)} | {fmt(pick('gateway', 'gateway_cpu_ms_per_step'), 4)} | {errors} |")
    return 0


class _Via:
    """`target`'s URL with the backend's pid: bench measures the environment's server either way."""

    def __init__(self, target: Server, pid: int):
        self.url, self.pid, self.label = target.url, pid, target.label


if __name__ == "__main__":
    sys.exit(main())
