"""One Ray actor per environment server: it starts `openenv serve`, watches it, restarts it.

Contract (what the fleet relies on):

- ``ServerActor(spec)`` returns once the server answers ``GET /health`` with 200, or raises
  (the actor then dies, and the fleet sees the creation fail). The server binds ``spec.host``
  (default: this node's IP as Ray knows it) on a port it picks itself (``--port 0``); the URL
  is read from the server's ``listening on http://HOST:PORT`` line.
- The process is started and restarted by one supervisor thread that lives as long as the
  actor, with ``PR_SET_PDEATHSIG=SIGKILL``: when the actor's worker process dies (its node is
  lost, the fleet kills the actor), the server dies with it, so no server outlives its actor.
- Every ``health_interval`` seconds the supervisor checks the process: exited, or
  ``health_failures`` failed ``/health`` probes in a row, means a restart on a new port with
  ``generation`` + 1. A restarted server is a new server: the sessions of the old process
  are gone, and the fleet fails them explicitly when it sees the generation change.
- ``status()`` never blocks on the server for more than ``probe_timeout``: it reports the
  URL, pid, generation and ``GET /ready``'s ``active_sessions``/``max_sessions``/``status``.
- ``drain(timeout)`` waits until ``/ready`` reports no active session (or ``timeout``), then
  sends SIGTERM (the server answers what it had received within its ``--drain-timeout``
  and closes the remaining WebSockets with 1001), then SIGKILL after ``kill_after``.
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

LISTENING = re.compile(r"listening on (http://\S+)")


@dataclass
class ServerSpec:
    """How to run one server. Plain data, so it travels to the actor's node."""

    env: str
    binary: str
    per_server: int
    host: Optional[str] = None  # None: the node's IP (ray.util.get_node_ip_address())
    server_args: List[str] = field(default_factory=list)
    startup_timeout: float = 60.0
    health_interval: float = 1.0
    health_failures: int = 3
    probe_timeout: float = 2.0
    drain_timeout: float = 10.0  # the server's own --drain-timeout, after SIGTERM
    kill_after: float = 15.0  # SIGKILL this long after SIGTERM
    env_vars: Dict[str, str] = field(default_factory=dict)


def _set_pdeathsig() -> None:
    # Runs in the child between fork and exec: die with the thread that spawned us.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setsid()  # own process group, so a kill reaches the server's children too


def _http_json(url: str, timeout: float) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (fleet-local URL)
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:  # 503 from /ready carries the capacity figures too
        body = e.read()
        try:
            return e.code, json.loads(body or b"null")
        except ValueError:
            return e.code, None


class ServerProcess:
    """The server process and its supervisor; usable without Ray (the actor wraps it)."""

    def __init__(self, spec: ServerSpec, host: str, node_id: str = "", node_ip: str = ""):
        self.spec = spec
        self.host = host
        self.node_id = node_id
        self.node_ip = node_ip
        self._lock = threading.Lock()
        self._proc: Optional[subprocess.Popen] = None
        self._log: collections.deque[str] = collections.deque(maxlen=200)
        self.url: Optional[str] = None
        self.generation = 0
        self.restarts = 0
        self.state = "starting"  # starting | up | restarting | draining | stopped | failed
        self.last_error = ""
        self._stop = threading.Event()
        self._started = threading.Event()
        self._start_error: Optional[str] = None
        self._thread = threading.Thread(target=self._supervise, name="openenv-supervisor", daemon=True)

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            raise RuntimeError(self._start_error)

    def _command(self) -> List[str]:
        s = self.spec
        return [s.binary, "serve", s.env, "--host", self.host, "--port", "0",
                "--max-sessions", str(s.per_server), "--drain-timeout", f"{s.drain_timeout:g}",
                *s.server_args]

    def _spawn(self) -> None:
        """Starts the process and waits for /health; runs on the supervisor thread only."""
        env = dict(os.environ)
        env.update(self.spec.env_vars)
        binary = self.spec.binary
        if not os.path.isabs(binary) and os.sep in binary:
            binary = os.path.abspath(binary)  # relative to the working dir (runtime_env)
        cmd = self._command()
        cmd[0] = binary
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, preexec_fn=_set_pdeathsig,
                                text=True, errors="replace")
        url_box: Dict[str, str] = {}
        got_url = threading.Event()

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                self._log.append(line.rstrip("\n"))
                if not got_url.is_set():
                    m = LISTENING.search(line)
                    if m:
                        url_box["url"] = m.group(1)
                        got_url.set()
            got_url.set()

        threading.Thread(target=pump, name="openenv-log", daemon=True).start()
        deadline = time.monotonic() + self.spec.startup_timeout
        if not got_url.wait(self.spec.startup_timeout) or "url" not in url_box:
            self._kill(proc)
            raise RuntimeError(f"`{' '.join(cmd)}` printed no 'listening on' line "
                               f"(exit {proc.poll()}):\n" + "\n".join(list(self._log)[-20:]))
        url = url_box["url"]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if _http_json(url + "/health", self.spec.probe_timeout)[0] == 200:
                    with self._lock:
                        self._proc = proc
                        self.url = url
                        self.generation += 1
                        self.state = "up"
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self._kill(proc)
        raise RuntimeError(f"server at {url} never answered /health (exit {proc.poll()}):\n"
                           + "\n".join(list(self._log)[-20:]))

    def _kill(self, proc: subprocess.Popen, term_first: bool = False) -> None:
        if proc.poll() is None and term_first:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(self.spec.kill_after)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def _supervise(self) -> None:
        # The first start: report success or failure to start().
        try:
            self._spawn()
        except Exception as e:  # noqa: BLE001 (reported to the caller)
            self._start_error = str(e)
            self.state = "failed"
            self._started.set()
            return
        self._started.set()
        failures = 0
        while not self._stop.wait(self.spec.health_interval):
            with self._lock:
                proc, url, state = self._proc, self.url, self.state
            if proc is None or state in ("draining", "stopped"):
                continue
            reason = ""
            if proc.poll() is not None:
                reason = f"exited with {proc.returncode}"
            else:
                try:
                    ok = _http_json(f"{url}/health", self.spec.probe_timeout)[0] == 200
                except OSError as e:
                    ok = False
                    self.last_error = f"/health: {e}"
                failures = 0 if ok else failures + 1
                if failures >= self.spec.health_failures:
                    reason = f"{failures} failed /health probes ({self.last_error})"
            if not reason or self._stop.is_set():
                continue
            with self._lock:
                if self.state in ("draining", "stopped"):
                    continue
                self.state = "restarting"
                self.last_error = reason
            self._kill(proc)
            failures = 0
            while not self._stop.is_set():
                try:
                    self._spawn()
                    self.restarts += 1
                    break
                except Exception as e:  # noqa: BLE001 (retried: a restart must not give up)
                    self.last_error = f"restart failed: {e}"
                    self._stop.wait(1.0)

    # ---- queries and commands ------------------------------------------------------

    def status(self) -> Dict[str, Any]:
        with self._lock:
            proc, url = self._proc, self.url
            out: Dict[str, Any] = {
                "url": url, "generation": self.generation, "restarts": self.restarts,
                "state": self.state, "pid": proc.pid if proc else None,
                "node_id": self.node_id, "node_ip": self.node_ip, "last_error": self.last_error,
                "active_sessions": None, "max_sessions": self.spec.per_server, "ready": None,
            }
        if url and out["state"] in ("up", "draining"):
            try:
                code, body = _http_json(f"{url}/ready", self.spec.probe_timeout)
                if isinstance(body, dict):
                    out["active_sessions"] = body.get("active_sessions")
                    out["max_sessions"] = body.get("max_sessions", out["max_sessions"])
                    out["ready"] = body.get("status")
            except OSError as e:
                out["ready"] = f"unreachable: {e}"
        return out

    def log_tail(self, n: int = 40) -> List[str]:
        return list(self._log)[-n:]

    def drain(self, timeout: float) -> Dict[str, Any]:
        """Waits for open sessions to finish (up to ``timeout``), then stops the server."""
        with self._lock:
            if self.state == "stopped":
                return {"left": 0, "waited": 0.0}
            self.state = "draining"
            url = self.url
        start = time.monotonic()
        left: Optional[int] = None
        while url:
            try:
                _, body = _http_json(f"{url}/ready", self.spec.probe_timeout)
                left = body.get("active_sessions") if isinstance(body, dict) else None
            except OSError:
                left = None
                break
            if not left or time.monotonic() - start >= timeout:
                break
            time.sleep(0.25)
        waited = time.monotonic() - start
        self.stop(graceful=True)
        return {"left": left or 0, "waited": waited}

    def stop(self, graceful: bool = True) -> None:
        self._stop.set()
        with self._lock:
            proc = self._proc
            self.state = "stopped"
        if proc is not None:
            self._kill(proc, term_first=graceful)


def _node_ip() -> str:
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:  # noqa: BLE001
        return socket.gethostbyname(socket.gethostname())


class ServerActorImpl:
    """The body of the Ray actor (``ray.remote`` is applied by the fleet, with its options)."""

    def __init__(self, spec: Dict[str, Any]):
        import ray

        s = ServerSpec(**spec)
        node_ip = _node_ip()
        node_id = ray.get_runtime_context().get_node_id()
        self._server = ServerProcess(s, host=s.host or node_ip, node_id=node_id, node_ip=node_ip)
        self._server.start()

    def status(self) -> Dict[str, Any]:
        return self._server.status()

    def log_tail(self, n: int = 40) -> List[str]:
        return self._server.log_tail(n)

    def drain(self, timeout: float) -> Dict[str, Any]:
        return self._server.drain(timeout)

    def stop(self) -> None:
        self._server.stop(graceful=True)

    def spec(self) -> Dict[str, Any]:
        return asdict(self._server.spec)
