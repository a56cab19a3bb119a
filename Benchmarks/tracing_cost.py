"""Server CPU per step with tracing off and on (issue 18): `openenv serve` without any OTEL_*
variable, and with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP receiver (the
test suite's, Tests/Interop/otlp_receiver.py, in this process), alternating run by run; the
load is `openenv bench -c 8` on /ws, without a traceparent, so every call starts a sampled
root span (the most a server exports); a third server samples 1 % of them
(OTEL_TRACES_SAMPLER=traceidratio, 0.01): the cost of tracing configured but mostly unsampled.
Figures: server CPU (utime+stime from /proc, the exporter's work included) per step, medians
over --reps.

    .venv-interop/bin/python Benchmarks/tracing_cost.py [--reps 3] [--steps 1000]
    (OPENENV_BENCH_BIN=path/to/openenv for another build)
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "Tests", "Interop"))

import compare  # noqa: E402
from otlp_receiver import OTLPReceiver  # noqa: E402

CELLS = [("echo", compare.ECHO_ACTION), ("grid", compare.GRID_ACTION)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1000, help="steps per session (8 sessions)")
    args = ap.parse_args()
    binary = os.environ.get("OPENENV_BENCH_BIN") or os.path.join(compare.ROOT, ".build", "debug", "openenv")
    compare.SWIFT = binary
    results: dict = {}
    with OTLPReceiver() as receiver:
        variants = [
            ("off", None),
            ("on", {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}),
            ("1%", {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_TRACES_SAMPLER": "traceidratio",
                    "OTEL_TRACES_SAMPLER_ARG": "0.01"}),
        ]
        for env, action in CELLS:
            for rep in range(args.reps):
                for label, extra in variants:
                    before = len(receiver.snapshot())
                    server = compare.Server(f"{label}-{env}", [binary, "serve", env, "--port", "{port}", "--max-sessions", "64",
                                                               "--log-level", "warning"], env=extra)
                    try:
                        r = compare.bench(server, "ws", 8, args.steps, action, warmup=20)
                    finally:
                        server.stop()  # SIGTERM: the exporter flushes what is left
                    spans = len(receiver.snapshot()) - before
                    assert r["errors"] == 0, r
                    calls = 8 * (args.steps + 20 + 1)  # steps, warm-up steps, resets
                    expected = {"off": (0, 0), "on": (calls * 0.99, calls), "1%": (1, calls * 0.05)}[label]
                    assert expected[0] <= spans <= expected[1], f"{label}: {spans} spans for {calls} calls"
                    results.setdefault((env, label), []).append(r)
                    print(f"{env} tracing {label} rep {rep + 1}: {r['steps_per_s']:.0f} steps/s, "
                          f"{r['server_cpu_ms_per_step']:.4f} ms CPU/step, p99 {r['p99_ms']:.2f} ms, spans {spans} of {calls} calls",
                          file=sys.stderr)
    print("| env | C | tracing | steps/s | server CPU ms/step | ÷ off | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for env, _ in CELLS:
        pick = lambda label, key: compare.med([r[key] for r in results[(env, label)]])  # noqa: E731
        off = pick("off", "server_cpu_ms_per_step")
        for label, _ in variants:
            cpu = pick(label, "server_cpu_ms_per_step")
            print(f"| {env} | 8 | {label} | {pick(label, 'steps_per_s'):.0f} | {cpu:.4f} | {cpu / off:.2f} | {pick(label, 'p99_ms'):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
