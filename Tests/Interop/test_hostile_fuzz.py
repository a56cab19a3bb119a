"""Hostile traffic, part 1: a seeded frame/body fuzzer against `openenv serve echo`.

At least 100,000 inputs per run (OPENENV_HOSTILE_INPUTS), drawn from one
`random.Random(OPENENV_HOSTILE_SEED)` over the classes of fuzz_inputs.py: mutated envelopes,
wrong types, huge numbers, NaN/Infinity, deep nesting, duplicate keys, many keys (and one
200,000-key action), fragmented messages with pings between, invalid UTF-8, binary frames,
frame-level faults (unmasked, RSV bits, reserved opcodes, bad control frames, bad
continuations, bad close frames), oversize messages (against a server with
--max-message-size 65536), malformed HTTP bodies to POST /reset, /step, /mcp, broken chunked
bodies, bad Content-Length, garbage request lines, and slow partial headers.

Judged: every input is answered within OPENENV_HOSTILE_BOUND seconds (default 5) by a
structured frame (or a 4xx JSON body on HTTP), or by a clean close (a close frame with the
RFC 6455 code, then TCP close); never a hang, never a 5xx, never a /ws connection dropped
without a close frame; the server stays up; a session opened before the run still steps
afterwards with normal latency; and afterwards sessions and fds are exactly back, threads
not above, RSS within +30 MB of the baseline.

Inputs whose expected outcome leaves the connection open are pipelined, up to 64 per
connection write; a connection is reopened only after a close.
"""

from __future__ import annotations

import bisect
import itertools
import json
import queue
import random
import socket
import statistics
import threading
import time
from collections import Counter, defaultdict
from typing import Any, Dict, List, Optional, Tuple

import pytest


from fuzz_inputs import HTTP_CLASSES, OVERSIZE_WEIGHT, WS_CLASSES, Case, HTTPCase, gen_oversize
from hostile import (Reporter, HandshakeError, HTTPReply, RawHTTP, RawWS, describe, env_float, env_int, error_code, many_keys_action,
                     proc_stats, settle, text, ws_ok_frame)

pytestmark = pytest.mark.swift_only  # /proc readings, --max-message-size, RFC 6455 close codes

SEED = env_int("OPENENV_HOSTILE_SEED", 20261204)
INPUTS = env_int("OPENENV_HOSTILE_INPUTS", 100_000)
BOUND = env_float("OPENENV_HOSTILE_BOUND", 5.0)
SMALL_LIMIT = 65536
PIPELINE = 64
WORKERS = env_int("OPENENV_HOSTILE_WORKERS", 3)  # client threads, each with its own connections
EXAMPLES = 4  # failure examples kept per class
TIMEOUT_BUDGET = 2  # after this many timeouts in a class, its further inputs are counted as failed unsent


class Tally:
    def __init__(self) -> None:
        self.tried: Counter = Counter()
        self.outcomes: Dict[str, Counter] = defaultdict(Counter)
        self.failed: Counter = Counter()
        self.examples: Dict[str, List[str]] = defaultdict(list)
        self.timeouts: Counter = Counter()
        self.connections = 0
        self.lock = threading.RLock()  # workers share one tally

    def connected(self) -> None:
        with self.lock:
            self.connections += 1

    def exhausted(self, cls: str) -> bool:
        """A class that timed out TIMEOUT_BUDGET times is not sent any more (each timeout
        costs the bound, and a hung input may keep the server busy): its inputs count as failed."""
        with self.lock:
            if self.timeouts[cls] < TIMEOUT_BUDGET:
                return False
            self.tried[cls] += 1
            self.failed[cls] += 1
            self.outcomes[cls]["FAIL unsent (timeouts)"] += 1
            return True

    def ok(self, cls: str, outcome: str) -> None:
        with self.lock:
            self.tried[cls] += 1
            self.outcomes[cls][outcome] += 1

    def fail(self, cls: str, what: str, data: bytes | str = b"") -> None:
        with self.lock:
            if "timeout" in what:
                self.timeouts[cls] += 1
            self.tried[cls] += 1
            self.failed[cls] += 1
            self.outcomes[cls]["FAIL"] += 1
            if len(self.examples[cls]) < EXAMPLES:
                shown = data if isinstance(data, str) else repr(data[:160])
                self.examples[cls].append(f"{what} | input {shown}")

    def summary(self) -> str:
        parts = [f"{c}={self.tried[c]}" + (f"(FAIL {self.failed[c]})" if self.failed[c] else "") for c in sorted(self.tried)]
        return (f"HOSTILE-FUZZ seed={SEED} inputs={sum(self.tried.values())} failed={sum(self.failed.values())} "
                f"connections={self.connections} | " + " ".join(parts))


def _input_of(case: Case) -> bytes:
    return b"".join(case.frames)


# ======================================================================================
# WebSocket cases
# ======================================================================================


class WSRunner:
    """Pipelines continuing cases on one connection; runs closing cases on their own."""

    def __init__(self, host: str, port: int, tally: Tally):
        self.host, self.port, self.tally = host, port, tally
        self.ws: Optional[RawWS] = None
        self.batch: List[Case] = []
        self.pongs: Counter = Counter()

    def _open(self) -> RawWS:
        self.tally.connected()
        return RawWS(self.host, self.port, timeout=BOUND)

    def add(self, case: Case) -> None:
        if case.expect == "continue":
            self.batch.append(case)
            if len(self.batch) >= PIPELINE:
                self.flush()
        else:
            self.flush()
            self.run_closing(case)

    def flush(self) -> None:
        todo = self.batch
        self.batch = []
        while todo:
            todo = self._run_batch(todo)

    def _run_batch(self, cases: List[Case]) -> List[Case]:
        """Runs the batch; returns the cases that were never judged (after an unexpected close)."""
        if self.ws is None:
            try:
                self.ws = self._open()
            except (OSError, HandshakeError) as e:
                self.tally.fail(cases[0].cls, f"connect/handshake failed: {type(e).__name__}: {e}", _input_of(cases[0]))
                return cases[1:]
        ws = self.ws
        try:
            ws.send_raw(b"".join(_input_of(c) for c in cases))
        except OSError as e:
            self.tally.fail(cases[0].cls, f"send failed on a pipelined connection: {e}", _input_of(cases[0]))
            self._drop()
            return cases[1:]
        for i, case in enumerate(cases):
            out = ws.next_message(BOUND)
            # pongs are answered as pings are read, so a pong may overtake earlier replies:
            # keep them all, and find this case's pong by the time its reply is here
            self.pongs.update(ws.pongs)
            ws.pongs.clear()
            if case.pong is not None and out[0] == "frame":
                if self.pongs[case.pong] <= 0:
                    self.tally.fail(case.cls, f"no pong with the ping's payload before the reply ({describe(out)})",
                                    _input_of(case))
                    continue
                self.pongs[case.pong] -= 1
            if out[0] == "frame" and ws_ok_frame(out):
                code = error_code(out)
                if code == "SESSION_ERROR":
                    # the connection ends: judge this case, resend the rest on a new connection
                    self.tally.fail(case.cls, f"unexpected SESSION_ERROR ({case.note or 'expected a reply'}): "
                                    f"{describe(out)}", _input_of(case))
                    self._read_close_and_drop()
                    return cases[i + 1:]
                if case.codes and code not in case.codes:
                    self.tally.fail(case.cls, f"expected {'/'.join(case.codes)} ({case.note}), got {describe(out)}",
                                    _input_of(case))
                else:
                    self.tally.ok(case.cls, code or out[1]["type"])
                continue
            # anything else ends this connection
            self.tally.fail(case.cls, f"expected a structured frame ({case.note or 'connection continues'}), got "
                            f"{describe(out)}", _input_of(case))
            if out[0] == "frame":  # unstructured frame: the stream is still in sync
                continue
            self._drop()
            return cases[i + 1:]
        return []

    def _read_close_and_drop(self) -> None:
        if self.ws is not None:
            self.ws.next_message(BOUND)
        self._drop()

    def _drop(self) -> None:
        self.pongs.clear()
        if self.ws is not None:
            self.ws.abort()
            self.ws = None

    def run_closing(self, case: Case) -> None:
        try:
            ws = self._open()
        except (OSError, HandshakeError) as e:
            self.tally.fail(case.cls, f"connect failed: {e}", _input_of(case))
            return
        try:
            try:
                ws.send_raw(_input_of(case))
            except OSError:
                pass  # the server may close while we send (oversize); what it sent is still read
            want = f"{'/'.join(case.codes) + ' then ' if case.pre_frames else ''}close {'/'.join(map(str, case.close_codes))}"
            for _ in range(case.pre_frames):
                out = ws.next_message(BOUND)
                if not (ws_ok_frame(out) and error_code(out) in case.codes):
                    self.tally.fail(case.cls, f"{case.note}: expected {want}, got {describe(out)}", _input_of(case))
                    return
            out = ws.next_message(BOUND)
            if out[0] == "close" and out[1] in case.close_codes and out[3]:
                self.tally.ok(case.cls, f"close {out[1]}")
            elif out[0] == "close" and out[1] in case.close_codes:
                self.tally.fail(case.cls, f"{case.note}: close {out[1]} but TCP stayed open", _input_of(case))
            else:
                self.tally.fail(case.cls, f"{case.note}: expected {want}, got {describe(out)}", _input_of(case))
        finally:
            ws.abort()

    def close(self) -> None:
        self.flush()
        if self.ws is not None:
            self.ws.close()
            self.ws = None


# ======================================================================================
# HTTP cases
# ======================================================================================


def _python_rejects(body: bytes) -> bool:
    try:
        json.loads(body.decode("utf-8"))
        return False
    except (ValueError, RecursionError):
        return True


class HTTPRunner:
    def __init__(self, host: str, port: int, tally: Tally):
        self.host, self.port, self.tally = host, port, tally
        self.conn: Optional[RawHTTP] = None

    def _get(self) -> RawHTTP:
        if self.conn is None:
            self.tally.connected()
            self.conn = RawHTTP(self.host, self.port, timeout=BOUND)
        return self.conn

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def run(self, case: HTTPCase) -> None:
        if case.expect == "json4xx":
            self._run_body(case)
        else:
            self._run_framing(case)

    def _run_body(self, case: HTTPCase) -> None:
        c = self._get()
        try:
            c.send(case.data)
        except OSError as e:
            self._drop()
            self.tally.fail(case.cls, f"send failed on a kept-alive connection: {e}", case.data)
            return
        out = c.read_reply(BOUND)
        if out[0] != "reply":
            self._drop()
            self.tally.fail(case.cls, f"{case.path}: expected a response, got {out}", case.data)
            return
        r: HTTPReply = out[1]
        if r.closes:
            self._drop()
        body = case.data.split(b"\r\n\r\n", 1)[1]
        json_ct = b"content-type: application/json" in case.data.lower()
        if r.status >= 500:
            self.tally.fail(case.cls, f"{case.path}: HTTP {r.status} {r.body[:200]!r}", case.data)
        elif r.json() is None:
            self.tally.fail(case.cls, f"{case.path}: HTTP {r.status} body is not JSON: {r.body[:200]!r}", case.data)
        elif (case.path != "/mcp" and json_ct and body.strip() and _python_rejects(body) and r.status < 400):
            self.tally.fail(case.cls, f"{case.path}: malformed JSON body accepted with HTTP {r.status}", case.data)
        elif case.path == "/mcp" and r.status == 200 and not (isinstance(r.json(), dict) and ("error" in r.json() or "result" in r.json())):
            self.tally.fail(case.cls, f"/mcp: 200 without a JSON-RPC result or error: {r.body[:200]!r}", case.data)
        else:
            self.tally.ok(case.cls, f"{case.path} {r.status}")

    def _run_framing(self, case: HTTPCase) -> None:
        self._drop()
        try:
            self.tally.connected()
            c = RawHTTP(self.host, self.port, timeout=BOUND)
        except OSError as e:
            self.tally.fail(case.cls, f"connect failed: {e}", case.data)
            return
        try:
            try:
                c.send(case.data)
                if case.half_close:
                    c.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            out = c.read_reply(BOUND)
            if out[0] == "reply":
                if out[1].status >= 500:
                    self.tally.fail(case.cls, f"{case.note}: HTTP {out[1].status} {out[1].body[:200]!r}", case.data)
                else:
                    self.tally.ok(case.cls, f"HTTP {out[1].status}")
            elif out[0] == "drop" and out[1].startswith("TCP closed"):
                self.tally.ok(case.cls, "closed")
            elif out[0] == "drop":
                self.tally.ok(case.cls, "reset")  # HTTP has no close handshake; counted, not failed
            else:
                self.tally.fail(case.cls, f"{case.note}: expected a 4xx or a close, got {out}", case.data)
        finally:
            c.close()


def slow_headers(host: str, port: int, tally: Tally, stop: threading.Event) -> None:
    """Slow partial headers, beside the main run: requests dribbled a byte every 10 ms must
    still be answered; headers that stop halfway hold a connection (counted) until we leave."""
    rng = random.Random(SEED + 1)
    for i in itertools.count():
        if stop.is_set() or i >= 60:
            return
        req = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * rng.randint(1, 40) + b"\r\n\r\n"
        try:
            c = RawHTTP(host, port, timeout=BOUND)
        except OSError as e:
            tally.fail("http_slow", f"connect failed: {e}")
            continue
        try:
            if i % 2 == 0:
                for b in req:
                    c.send(bytes([b]))
                    time.sleep(0.01)
                out = c.read_reply(BOUND)
                if out[0] == "reply" and out[1].status == 200:
                    tally.ok("http_slow", "answered")
                else:
                    tally.fail("http_slow", f"dribbled request: expected 200, got {out}", req)
            else:
                c.send(req[: rng.randint(1, len(req) - 3)])
                time.sleep(rng.uniform(0.5, 2.0))
                tally.ok("http_slow", "abandoned")
        except OSError as e:
            tally.fail("http_slow", f"{type(e).__name__}: {e}", req)
        finally:
            c.close()


# ======================================================================================
# the test
# ======================================================================================


class Worker(threading.Thread):
    """Takes cases off the queue: WebSocket cases to its own pipelined connection (or a
    fresh one for closing cases), HTTP cases to its own kept-alive connection."""

    def __init__(self, main_port: int, small_port: int, tally: Tally, work: "queue.Queue[Any]"):
        super().__init__(daemon=True)
        self.tally, self.work = tally, work
        self.ws_main = WSRunner("127.0.0.1", main_port, tally)
        self.ws_small = WSRunner("127.0.0.1", small_port, tally)
        self.http = HTTPRunner("127.0.0.1", main_port, tally)

    def run(self) -> None:
        while True:
            case = self.work.get()
            if case is None:
                break
            if self.tally.exhausted(case.cls):
                continue
            try:
                if isinstance(case, HTTPCase):
                    self.ws_main.flush()
                    self.http.run(case)
                elif case.server == "small":
                    self.ws_main.flush()
                    self.ws_small.add(case)
                else:
                    self.ws_main.add(case)
            except Exception as e:  # a fault the runners do not model: judged, not fatal
                self.tally.fail(case.cls, f"client-side {type(e).__name__}: {e}", getattr(case, "note", ""))
                self.ws_main._drop()
                self.ws_main.batch = []
                self.http._drop()
        self.ws_main.close()
        self.ws_small.close()
        self.http._drop()


def _step_latencies(ws: RawWS, n: int) -> Tuple[List[float], str]:
    """n echo steps on the sentinel; their latencies, or what went wrong."""
    out: List[float] = []
    for i in range(n):
        t = time.perf_counter()
        try:
            r = ws.request({"type": "step", "data": {"type": "call_tool", "tool_name": "echo_message",
                                                      "arguments": {"message": f"sentinel {i}"}}}, BOUND)
        except OSError as e:
            return out, f"sentinel step: {type(e).__name__}: {e}"
        if not (ws_ok_frame(r) and r[1]["type"] == "observation"):
            return out, f"sentinel step: {describe(r)} after {time.perf_counter() - t:.2f}s"
        out.append(time.perf_counter() - t)
    return out, ""


def _ms(xs: List[float]) -> str:
    return f"median {statistics.median(xs) * 1000:.2f} ms, max {max(xs) * 1000:.1f} ms" if xs else "none"


def _slow(after: List[float], before: List[float]) -> bool:
    return statistics.median(after) > max(3 * statistics.median(before), statistics.median(before) + 0.02)


def _big_message(port: int, keys: int) -> Tuple[float, tuple, int]:
    """One many-key step on its own connection: (seconds to the answer, outcome, size).
    Waits up to BOUND, then (only to report the time) up to BIG_WAIT in all."""
    big = many_keys_action(keys)
    t = time.perf_counter()
    try:
        w = RawWS("127.0.0.1", port, timeout=BOUND)
        r = w.request({"type": "reset", "data": {}})
    except (OSError, HandshakeError) as e:
        return time.perf_counter() - t, ("unsent", f"the server did not take a new session: {type(e).__name__} {e}"), len(big)
    if not ws_ok_frame(r):
        w.abort()
        return time.perf_counter() - t, ("unsent", f"the reset before it got {describe(r)}"), len(big)
    t = time.perf_counter()
    w.send_raw(text(big))
    out = w.next_message(BOUND, parse=False)
    if out[0] == "timeout":
        out = w.next_message(BIG_WAIT - BOUND, parse=False)
    took = time.perf_counter() - t
    w.abort()
    return took, out, len(big)


BIG_WAIT = 30.0


def test_fuzz_frames_and_bodies(start, pytestconfig):
    say = Reporter(pytestconfig)
    say(f"hostile fuzz: seed={SEED} (OPENENV_HOSTILE_SEED) inputs={INPUTS} (OPENENV_HOSTILE_INPUTS) bound={BOUND:g}s")
    main = start("echo", max_sessions=64)
    small = start("echo", max_sessions=16, extra_args=["--max-message-size", str(SMALL_LIMIT)])

    # warm up both (first connections allocate pools), then the baselines
    for s in (main, small):
        for _ in range(3):
            w = RawWS("127.0.0.1", s.port)
            w.request({"type": "reset", "data": {}})
            w.close()
        s.post("/reset", {})
    sentinel = RawWS("127.0.0.1", main.port, timeout=BOUND)
    assert ws_ok_frame(sentinel.request({"type": "reset", "data": {}}))
    before, err = _step_latencies(sentinel, 30)
    assert not err, err
    time.sleep(0.5)
    base_main, base_small = proc_stats(main.proc.pid), proc_stats(small.proc.pid)
    say(f"baseline main: {base_main}; small: {base_small}; sentinel steps {_ms(before)}")

    tally = Tally()
    stop = threading.Event()
    slow = threading.Thread(target=slow_headers, args=("127.0.0.1", main.port, tally, stop), daemon=True)
    slow.start()
    work: "queue.Queue[Any]" = queue.Queue(maxsize=4 * PIPELINE)
    workers = [Worker(main.port, small.port, tally, work) for _ in range(WORKERS)]
    for w in workers:
        w.start()

    rng = random.Random(SEED)
    gens: List[Tuple[str, Any]] = [(n, g) for n, (g, _) in WS_CLASSES.items()]
    gens.append(("oversize", lambda r: gen_oversize(r, SMALL_LIMIT)))
    gens += [(n, g) for n, (g, _) in HTTP_CLASSES.items()]
    weights = [w for _, w in WS_CLASSES.values()] + [OVERSIZE_WEIGHT] + [w for _, w in HTTP_CLASSES.values()]
    cum = list(itertools.accumulate(weights))
    problems: List[str] = []
    t0 = time.monotonic()
    for i in range(INPUTS):
        name, gen = gens[bisect.bisect_right(cum, rng.random() * cum[-1])]
        try:
            work.put(gen(rng), timeout=60)
        except queue.Full:
            problems.append(f"the workers stopped taking inputs after {i}")
            break
        if i % 500 == 0:
            if main.proc.poll() is not None or small.proc.poll() is not None:
                break
            # the sentinel idles: let it answer the server's pings (it must have nothing else to read)
            idle = sentinel.next_message(0.005)
            if idle[0] != "timeout" and not any("sentinel" in p for p in problems):
                problems.append(f"sentinel got {describe(idle)} during the run")
    for _ in workers:
        work.put(None)
    for w in workers:
        w.join(timeout=120)
    stop.set()
    slow.join(timeout=10)
    fuzz_time = time.monotonic() - t0

    say(tally.summary())
    for cls in sorted(tally.outcomes):
        say(f"  {cls:20s} " + " ".join(f"{k}:{v}" for k, v in tally.outcomes[cls].most_common()))
    say(f"fuzz time {fuzz_time:.1f}s ({sum(tally.tried.values()) / max(fuzz_time, 1e-9):.0f} inputs/s)")

    # after the run: both servers up, the sentinel steps at normal latency, nothing leaked
    alive = main.proc.poll() is None and small.proc.poll() is None
    if not alive:
        problems.append(f"a server died: main rc={main.proc.poll()} small rc={small.proc.poll()}")
    else:
        after, err = _step_latencies(sentinel, 30)
        say(f"sentinel steps before the run {_ms(before)}, after {_ms(after)}")
        if err:
            problems.append(err)
        elif _slow(after, before):
            problems.append(f"sentinel latency after the run: {_ms(after)} vs {_ms(before)} before")
        for srv, base, label in ((main, base_main, "main"), (small, base_small, "small-limit")):
            now, n, off = settle(srv, base, sessions=1 if srv is main else 0)
            say(f"after the run, {label} server: {now} sessions={n} (baseline {base})")
            if off:
                problems.append(f"{label} server not back to baseline after the run: " + "; ".join(off))
    if sum(tally.tried.values()) < INPUTS:
        problems.append(f"only {sum(tally.tried.values())} of {INPUTS} inputs were tried")
    for cls in sorted(tally.failed):
        problems.append(f"{cls}: {tally.failed[cls]} of {tally.tried[cls]} failed, e.g.\n      " +
                        "\n      ".join(tally.examples[cls] or ["(unsent after timeouts)"]))

    # last, the many-key actions: 20,000 keys, then one 200,000-key action (~2.2 MB); the
    # sentinel must still step within the bound afterwards
    if alive:
        for keys in (20_000, 200_000):
            took, out, size = _big_message(main.port, keys)
            say(f"{keys}-key step ({size} bytes) answered in {took:.2f}s: {describe(out, 70)[:80]}")
            if not (out[0] == "frame" and took <= BOUND):
                problems.append(f"many_keys_{keys}: {size} bytes: {describe(out, 60)[:70]} after {took:.2f}s "
                                f"(bound {BOUND:g}s{'; waited no longer' if out[0] == 'timeout' else ''})")
        after_big, err = _step_latencies(sentinel, 10)
        say(f"sentinel steps after the many-key actions: {_ms(after_big)} {err}")
        if err:
            problems.append(f"after the many-key actions: {err}")
        elif _slow(after_big, before):
            problems.append(f"sentinel latency after the many-key actions: {_ms(after_big)} vs {_ms(before)}")
    sentinel.abort()
    assert not problems, tally.summary() + "\n  " + "\n  ".join(problems)
