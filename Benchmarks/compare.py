#!/usr/bin/env python3
"""Side-by-side benchmark: swift-openenv against the Python reference (openenv 0.10.0).

Runs the same scenarios against both servers in one sitting, interleaved run by run, with
the same load generator (`openenv bench`, SwiftNIO), and prints markdown tables of the
medians and of the ratios. Only loopback. Every server it starts is stopped at the end.

    swift build -c release --product openenv
    .venv-interop/bin/python Benchmarks/compare.py [--reps 3] [--quick] [--json out.jsonl]

OPENENV_BENCH_BIN names another `openenv` binary (e.g. one built with --scratch-path).

The Python reference is Tests/Interop/reference_env.py (the official package's public API:
create_app, MCPEnvironment, Environment), run by this interpreter, which must have the
pinned openenv installed (scripts/interop-venv). The Swift floor is `openenv serve
--transport-floor`: the same WebSocket stack answering each frame with a fixed reply, i.e.
the cost of the transport alone.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWIFT = os.environ.get("OPENENV_BENCH_BIN") or os.path.join(ROOT, ".build", "release", "openenv")
REFERENCE = os.path.join(ROOT, "Tests", "Interop", "reference_env.py")
ECHO_ACTION = '{"type":"call_tool","tool_name":"echo_message","arguments":{"message":"hello"}}'
GRID_ACTION = '{"action":"DOWN"}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, label: str, argv: list, env: dict | None = None):
        self.label, self.port = label, free_port()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, **(env or {})}, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/health", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{label} did not become healthy: {argv}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def swift_server(env: str, max_sessions: int, *extra: str, binary: str | None = None) -> Server:
    return Server(f"swift-{env}", [binary or SWIFT, "serve", env, "--port", "{port}", "--max-sessions", str(max_sessions),
                                   "--log-level", "warning", *extra])


def reference_server(env: str, max_sessions: int) -> Server:
    return Server(f"reference-{env}", [sys.executable, REFERENCE, "--env", env, "--port", "{port}",
                                       "--max-sessions", str(max_sessions)])


def bench(server: Server, mode: str, c: int, s: int, action: str | None, warmup: int = 0) -> dict:
    argv = [SWIFT, "bench", "--url", server.url, "--mode", mode, "-c", str(c), "-s", str(s), "--json",
            "--server-pid", str(server.pid), "--warmup", str(warmup)]
    if action:
        argv += ["--action", action]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise RuntimeError(f"bench failed: {out.stdout}\n{out.stderr}")
    result["server"] = server.label
    return result


def med(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1 repetition, fewer steps, smaller hold")
    ap.add_argument("--json", help="append every run as a JSON line to this file")
    ap.add_argument("--hold", type=int, default=10000, help="idle sessions for the Swift hold run")
    ap.add_argument("--baseline", help="another openenv binary (e.g. the previous commit's) benchmarked in the same "
                                       "sitting, cell by cell, for a before/after column; its own load cells only")
    ap.add_argument("--only", choices=["ws", "http"], help="only the load cells of this mode, and no hold runs")
    args = ap.parse_args()
    if not os.path.exists(SWIFT):
        sys.exit(f"{SWIFT} missing: run `swift build -c release --product openenv` first")
    reps = 1 if args.quick else args.reps
    scale = 5 if args.quick else 1

    # (env, mode, concurrency, steps per session, warmup)
    cells = [("echo", "ws", 1, 2000, 50), ("echo", "ws", 8, 1000, 20), ("echo", "ws", 64, 250, 5),
             ("grid", "ws", 1, 5000, 50), ("grid", "ws", 8, 2000, 20), ("grid", "ws", 64, 500, 5),
             ("echo", "http", 1, 500, 20), ("echo", "http", 8, 250, 5),
             ("grid", "http", 1, 2000, 20), ("grid", "http", 8, 1000, 5)]
    if args.only:
        cells = [cell for cell in cells if cell[1] == args.only]
    servers = {
        ("swift", "echo"): swift_server("echo", 1024), ("swift", "grid"): swift_server("grid", 1024),
        ("reference", "echo"): reference_server("echo", 64), ("reference", "grid"): reference_server("grid", 64),
        ("floor", "grid"): swift_server("grid", 1024, "--transport-floor"),
    }
    if args.baseline:
        servers[("baseline", "echo")] = swift_server("echo", 1024, binary=args.baseline)
        servers[("baseline", "grid")] = swift_server("grid", 1024, binary=args.baseline)
    rows = []
    try:
        for env, mode, c, s, warm in cells:
            action = ECHO_ACTION if env == "echo" else GRID_ACTION
            for _ in range(reps):
                targets = ["reference", "swift"] + (["baseline"] if args.baseline else []) \
                    + (["floor"] if env == "grid" and mode == "ws" else [])
                for who in targets:
                    steps = max(1, s // scale)
                    if who == "reference":
                        steps = max(1, min(steps, 2000 // c if env == "echo" else 4000 // c) // scale)
                    r = bench(servers[(who, env)], mode, c, steps, action, warm)
                    r.update(env=env, who=who)
                    rows.append(r)
                    print(f"{who:9} {env} {mode} C={c}: {r['steps_per_s']:.0f} steps/s, "
                          f"{fmt(r['server_cpu_ms_per_step'], 4)} ms CPU/step, p99 {r['p99_ms']:.2f} ms, "
                          f"errors {r['errors']}", file=sys.stderr)
    finally:
        for server in servers.values():
            server.stop()

    hold_rows = []
    holds = [] if args.only else [("reference", reference_server, 512), ("swift", swift_server, 512)]
    if not args.quick and not args.only:
        holds.append(("swift", swift_server, args.hold))
    for who, start, n in holds:
        server = start("echo", n + 16)
        try:
            time.sleep(1)
            r = bench(server, "hold", n, 1, ECHO_ACTION)
            r.update(env="echo", who=who)
            hold_rows.append(r)
            print(f"{who:9} hold {n}: {r['hold_rss_bytes']} refused {r['refused']}", file=sys.stderr)
        finally:
            server.stop()

    if args.json:
        with open(args.json, "a") as f:
            for r in rows + hold_rows:
                f.write(json.dumps(r) + "\n")

    print("| env | mode | C | reference steps/s | swift steps/s | ratio | reference CPU ms/step | swift CPU ms/step | CPU ratio (ref ÷ swift) | swift p99 ms | floor CPU ms/step | swift ÷ floor | generator CPU ms/step |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    def cell_median(env, mode, c, who, key):
        return med([r[key] for r in rows if r["env"] == env and r["mode"] == mode and r["concurrency"] == c and r["who"] == who])

    for env, mode, c, _, _ in cells:
        def pick(who, key):
            return cell_median(env, mode, c, who, key)
        ref_sps, sw_sps = pick("reference", "steps_per_s"), pick("swift", "steps_per_s")
        ref_cpu, sw_cpu = pick("reference", "server_cpu_ms_per_step"), pick("swift", "server_cpu_ms_per_step")
        floor_cpu = pick("floor", "server_cpu_ms_per_step")
        errors = sum(r["errors"] for r in rows if r["env"] == env and r["mode"] == mode and r["concurrency"] == c)
        print(f"| {env} | {mode} | {c} | {fmt(ref_sps)} | {fmt(sw_sps)} | {fmt(sw_sps / ref_sps if ref_sps and sw_sps else None, 1)}× "
              f"| {fmt(ref_cpu, 3)} | {fmt(sw_cpu, 4)} | {fmt(ref_cpu / sw_cpu if ref_cpu and sw_cpu else None, 1)}× "
              f"| {fmt(pick('swift', 'p99_ms'), 2)} | {fmt(floor_cpu, 4)} | {fmt(sw_cpu / floor_cpu if sw_cpu and floor_cpu else None, 2)} "
              f"| {fmt(pick('swift', 'generator_cpu_ms_per_step'), 4)} |" + (f" errors {errors}" if errors else ""))
    if args.baseline:
        print()
        print("| env | mode | C | baseline steps/s | swift steps/s | baseline CPU ms/step | swift CPU ms/step | swift ÷ baseline CPU | baseline p99 ms | swift p99 ms |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for env, mode, c, _, _ in cells:
            def pick(who, key):
                return cell_median(env, mode, c, who, key)
            b_cpu, sw_cpu = pick("baseline", "server_cpu_ms_per_step"), pick("swift", "server_cpu_ms_per_step")
            print(f"| {env} | {mode} | {c} | {fmt(pick('baseline', 'steps_per_s'))} | {fmt(pick('swift', 'steps_per_s'))} "
                  f"| {fmt(b_cpu, 4)} | {fmt(sw_cpu, 4)} | {fmt(sw_cpu / b_cpu if b_cpu and sw_cpu else None, 2)} "
                  f"| {fmt(pick('baseline', 'p99_ms'), 2)} | {fmt(pick('swift', 'p99_ms'), 2)} |")
    print()
    print("| server | sessions held | refused | idle RSS MiB | held RSS MiB | KiB per session | RSS after one step each MiB | after close MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in hold_rows:
        h = r["hold_rss_bytes"]
        held = r["concurrency"] - r["refused"]
        per = (h["held"] - h["idle"]) / held / 1024 if held else 0
        print(f"| {r['who']} | {held} | {r['refused']} | {h['idle'] / 2**20:.1f} | {h['held'] / 2**20:.1f} | {per:.1f} "
              f"| {h['after_step'] / 2**20:.1f} | {h['after_close'] / 2**20:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
