#!/usr/bin/env python3
"""grid over `/ws` against the transport floor, and optionally against a baseline binary,
interleaved run by run in one sitting (issue 21 part 1). Only Swift servers: no reference.

    OPENENV_BENCH_BIN=<openenv> python Benchmarks/grid_floor.py [--baseline <openenv>] [--reps 5]

Prints, per concurrency, the median server CPU µs per step of grid, of the floor (`serve grid
--transport-floor`) and of the baseline's grid, and grid ÷ floor. The load generator is the
OPENENV_BENCH_BIN binary's `openenv bench` for every server.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import GRID_ACTION, SWIFT, bench, med, swift_server  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--baseline", help="another openenv binary whose grid runs beside ours, cell by cell")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 64])
    ap.add_argument("--scale", type=int, default=4,
                    help="steps per run × this (server CPU is read in clock ticks: longer runs, finer figures)")
    args = ap.parse_args()
    steps = {1: 5000, 8: 2000, 64: 500}
    servers = {"floor": swift_server("grid", 1024, "--transport-floor"), "grid": swift_server("grid", 1024)}
    if args.baseline:
        servers["baseline"] = swift_server("grid", 1024, binary=args.baseline)
    rows = []
    try:
        for c in args.concurrency:
            for _ in range(args.reps):
                for who, server in servers.items():
                    r = bench(server, "ws", c, steps.get(c, 1000) * args.scale, GRID_ACTION, 20)
                    r.update(who=who)
                    rows.append(r)
                    print(f"{who:8} C={c}: {r['steps_per_s']:.0f} steps/s, "
                          f"{r['server_cpu_ms_per_step'] * 1000:.1f} µs CPU/step, errors {r['errors']}", file=sys.stderr)
    finally:
        for server in servers.values():
            server.stop()

    def cpu(who, c):
        v = med([r["server_cpu_ms_per_step"] for r in rows if r["who"] == who and r["concurrency"] == c])
        return None if v is None else v * 1000

    print(f"binary: {SWIFT}" + (f"; baseline: {args.baseline}" if args.baseline else "")
          + f"; {args.reps} interleaved reps, steps × {args.scale}, medians")
    print("| C | floor µs/step | grid µs/step | grid ÷ floor |" + (" baseline grid µs/step | baseline ÷ floor |" if args.baseline else ""))
    print("|---|---|---|---|" + ("---|---|" if args.baseline else ""))
    for c in args.concurrency:
        f, g, b = cpu("floor", c), cpu("grid", c), cpu("baseline", c)
        line = f"| {c} | {f:.1f} | {g:.1f} | {g / f:.2f} |"
        if args.baseline:
            line += f" {b:.1f} | {b / f:.2f} |"
        print(line)
    errors = sum(r["errors"] for r in rows)
    if errors:
        print(f"errors: {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
