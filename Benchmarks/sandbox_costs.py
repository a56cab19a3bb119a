"""Start-up time, the cost of idle sandboxed sessions, and trivial coding steps (issue 21).

Three measurements of one `openenv` binary (the first argument, or OPENENV_BENCH_BIN):

1. start-up: from spawning `openenv serve ENV` to its first `200` on `/health` (echo, grid,
   coding; --startups runs each; median, min, max);
2. idle sandboxed sessions: `openenv serve coding`, then --idle sessions opened on `/ws` and
   reset (each holds a sandbox with a Python interpreter), then nothing for --idle-seconds:
   PSS of the server's process tree before and while they are held, and the tree's CPU
   over the idle period, each per session;
3. trivial steps: `openenv bench` stepping `{"code": "x = 1"}` on coding at C = 1, 8, 32
   (steps/s, p99, server CPU per step, the whole process tree: sandboxes included).

    python Benchmarks/sandbox_costs.py .build/release/openenv

Prints Markdown tables. Needs bubblewrap (as `openenv serve coding` does) and the
`websockets` package (the interop venv has it).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import warnings

from websockets.sync.client import connect

warnings.filterwarnings("ignore", category=DeprecationWarning)  # connect() outside a with-block: we hold many


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc (ppid links)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def tree_pss_kib(pid: int) -> int:
    total = 0
    for p in tree(pid):
        try:
            for line in open(f"/proc/{p}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree_cpu_seconds(pid: int) -> float:
    """utime+stime of the tree's live processes plus what their dead children left (cutime+cstime)."""
    total = 0.0
    for p in tree(pid):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, binary: str, env: str, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.perf_counter()
        self.process = subprocess.Popen([binary, "serve", env, "--host", "127.0.0.1", "--port", str(self.port), *extra],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = self.started + 30
        while time.perf_counter() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/health", timeout=1).status == 200:
                    self.ready_after = time.perf_counter() - self.started
                    return
            except OSError:
                time.sleep(0.001)
        self.stop()
        raise RuntimeError(f"openenv serve {env} did not answer /health")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def startups(binary: str, runs: int) -> None:
    print("| env | runs | start-up to first /health: median ms | min | max |")
    print("|---|---:|---:|---:|---:|")
    for env in ("echo", "grid", "coding"):
        times = []
        for _ in range(runs):
            with Server(binary, env) as server:
                times.append(server.ready_after * 1000)
        print(f"| {env} | {runs} | {statistics.median(times):.0f} | {min(times):.0f} | {max(times):.0f} |")


def idle_sessions(binary: str, count: int, seconds: float, pool: int) -> None:
    extra = ["--sandbox-pool", str(pool)] if pool else []
    with Server(binary, "coding", *extra) as server:
        time.sleep(3)  # a pool fills; the server settles
        before = tree_pss_kib(server.process.pid)
        sockets = []
        try:
            for _ in range(count):
                ws = connect(server.url.replace("http", "ws") + "/ws", max_size=None)
                ws.send(json.dumps({"type": "reset", "data": {}}))
                reply = json.loads(ws.recv())
                assert reply["type"] == "observation", reply
                sockets.append(ws)
            time.sleep(3 if not pool else 3 + count * 0.1)  # the pool refills
            held = tree_pss_kib(server.process.pid)
            cpu0 = tree_cpu_seconds(server.process.pid)
            time.sleep(seconds)
            cpu = tree_cpu_seconds(server.process.pid) - cpu0
        finally:
            for ws in sockets:
                ws.close()
    label = f"coding, pool {pool}" if pool else "coding, no pool"
    print(f"| {label} | {count} | {before / 1024:.1f} | {held / 1024:.1f} | {(held - before) / count / 1024:.2f} | "
          f"{cpu / seconds / count * 1000:.2f} |")


def trivial_steps(binary: str, steps: int) -> None:
    print("| C | steps/s | p50 ms | p99 ms | server CPU ms/step (tree) | errors |")
    print("|---:|---:|---:|---:|---:|---:|")
    with Server(binary, "coding") as server:
        for c in (1, 8, 32):
            cpu0 = tree_cpu_seconds(server.process.pid)
            out = subprocess.run([binary, "bench", "--url", server.url, "--mode", "ws", "-c", str(c), "-s", str(steps),
                                  "--warmup", "5", "--action", '{"code": "x = 1"}', "--json"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"openenv bench -c {c} failed: {out.stderr.strip()[-500:]}")
            out = out.stdout
            cpu = tree_cpu_seconds(server.process.pid) - cpu0
            r = json.loads(out)
            done = r["completed_steps"]
            print(f"| {c} | {r['steps_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                  f"{cpu * 1000 / done:.3f} | {r.get('errors', 0)} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", nargs="?", default=os.environ.get("OPENENV_BENCH_BIN", ".build/release/openenv"))
    ap.add_argument("--startups", type=int, default=20)
    ap.add_argument("--idle", type=int, default=16, help="idle sandboxed sessions held")
    ap.add_argument("--idle-seconds", type=float, default=20)
    ap.add_argument("--pool", type=int, default=4, help="also measure idle sessions with a warm pool of this size (0: skip)")
    ap.add_argument("--steps", type=int, default=200, help="timed steps per session for the trivial-step cells")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    startups(binary, args.startups)
    print()
    print("| server | sessions held | tree PSS before MiB | tree PSS held MiB | PSS per session MiB | idle CPU per session (ms/s) |")
    print("|---|---:|---:|---:|---:|---:|")
    idle_sessions(binary, args.idle, args.idle_seconds, 0)
    if args.pool:
        idle_sessions(binary, args.idle, args.idle_seconds, args.pool)
    print()
    trivial_steps(binary, args.steps)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
