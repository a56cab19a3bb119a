"""Shared machinery of the interop suite: server processes, HTTP/JSON-RPC/WebSocket helpers
and the echo golden values.

Which server is tested is chosen by OPENENV_INTEROP_SERVER:

  swift (default)  $OPENENV_BIN serve <env> --host 127.0.0.1 --port <port>
                   [--max-sessions N] [--session-timeout S] [--mode M] [extra flags]
                   OPENENV_BIN defaults to <repo>/.build/debug/openenv.
  reference        python Tests/Interop/reference_env.py --env <env> ... (the official
                   openenv 0.10.0 package; production mode through OPENENV_MODE).

Servers listen on 127.0.0.1 on a free port; a server counts as up once GET /health answers
200 (polled every 0.1 s for at most OPENENV_INTEROP_STARTUP seconds, default 30). They are
stopped with SIGTERM, then SIGKILL after 5 s; every started process is also killed at the
end of the run. Server output goes to a log file whose tail is shown when start-up fails.

Test modules import the helpers from here (`from conftest import ...`).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence
from urllib.parse import urlencode

import pytest
import requests
import websockets
from websockets.exceptions import ConnectionClosed

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

SERVER_KIND = (os.environ.get("OPENENV_INTEROP_SERVER") or "swift").strip().lower()
if SERVER_KIND not in ("swift", "reference"):
    raise RuntimeError(f"OPENENV_INTEROP_SERVER must be 'swift' or 'reference', not {SERVER_KIND!r}")
IS_REFERENCE = SERVER_KIND == "reference"
OPENENV_BIN = Path(os.environ.get("OPENENV_BIN") or REPO / ".build" / "debug" / "openenv")
# the Python server script used with OPENENV_INTEROP_SERVER=reference
REFERENCE_SCRIPT = Path(os.environ.get("OPENENV_INTEROP_REFERENCE") or HERE / "reference_env.py")

TIMEOUT = float(os.environ.get("OPENENV_INTEROP_TIMEOUT", "10"))  # per request / frame
STARTUP_TIMEOUT = float(os.environ.get("OPENENV_INTEROP_STARTUP", "30"))
DEFAULT_MAX_SESSIONS = 16  # for the shared per-module servers

# Loopback only: never route test traffic through a proxy.
for _k in ("NO_PROXY", "no_proxy"):
    os.environ[_k] = "127.0.0.1,localhost" + ("," + os.environ[_k] if os.environ.get(_k) else "")


# ======================================================================================
# pytest hooks
# ======================================================================================


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "swift_only: deliberate improvements of the Swift server over the reference "
        "(skipped when OPENENV_INTEROP_SERVER=reference)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    if not IS_REFERENCE or os.environ.get("OPENENV_INTEROP_RUN_SWIFT_ONLY") == "1":
        return  # (the override shows that the swift_only tests fail against the reference)
    skip = pytest.mark.skip(reason="swift_only: the Python reference deliberately behaves differently")
    for item in items:
        if "swift_only" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> str:
    what = f"{OPENENV_BIN}" if not IS_REFERENCE else f"{REFERENCE_SCRIPT} ({sys.executable})"
    return f"openenv interop: server={SERVER_KIND} -> {what}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _stop_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On a failure, attach the tail of every running server's log to the report."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when in ("setup", "call"):
        for s in list(_LIVE):
            tail = s.log_tail(30)
            if tail:
                rep.sections.append((f"server log {s.env}:{s.port} (tail)", tail))


# ======================================================================================
# server processes
# ======================================================================================

_LIVE: List["Server"] = []


def _stop_all() -> None:
    for s in list(_LIVE):
        s.stop()


atexit.register(_stop_all)


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except Exception:
            pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _num(x: float) -> str:
    return f"{x:g}"


class Server:
    """One server process plus convenience clients for it."""

    def __init__(self, env: str, port: int, cmd: Sequence[str], proc_env: Dict[str, str], options: Dict[str, Any]):
        self.env = env
        self.port = port
        self.cmd = list(cmd)
        self.options = options
        self.base = f"http://127.0.0.1:{port}"
        self.ws_base = f"ws://127.0.0.1:{port}"
        self.http = requests.Session()
        self.http.trust_env = False
        fd, self.log_path = tempfile.mkstemp(prefix=f"openenv-interop-{env}-{port}-", suffix=".log")
        self._log = os.fdopen(fd, "wb")
        # Own session (a terminal Ctrl-C reaches pytest, which then stops the server); on
        # Linux the server also gets SIGTERM if the pytest process dies abruptly.
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            cwd=str(REPO), env=proc_env, start_new_session=True, preexec_fn=_die_with_parent,
        )
        _LIVE.append(self)

    # --- lifecycle ------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Server {SERVER_KIND}:{self.env} {self.base} pid={self.proc.pid} {self.options}>"

    def log_tail(self, n: int = 40) -> str:
        try:
            self._log.flush()
            lines = Path(self.log_path).read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerStartError(self, f"exited with status {self.proc.returncode} before /health answered")
            try:
                r = self.http.get(self.base + "/health", timeout=1.0)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() >= deadline:
                raise ServerStartError(self, f"GET /health did not answer 200 within {timeout:g}s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self in _LIVE:
            _LIVE.remove(self)
        p = self.proc
        if p.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                p.wait(timeout=10)
        # the server's own process group may hold children (start_new_session=True)
        self._signal(signal.SIGKILL)
        self.http.close()
        try:
            self._log.close()
        except OSError:
            pass
        if os.environ.get("OPENENV_INTEROP_KEEP_LOGS") != "1":
            try:
                os.unlink(self.log_path)
            except OSError:
                pass

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)  # the group led by our own child
        except (ProcessLookupError, PermissionError):
            pass

    # --- HTTP -----------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", TIMEOUT)
        return self.http.get(self.base + path, **kw)

    def post(self, path: str, body: Any = None, *, raw: Optional[str | bytes] = None, **kw: Any) -> requests.Response:
        """POST JSON `body`; or `raw` text sent as is with content-type application/json;
        with neither, an empty POST."""
        kw.setdefault("timeout", TIMEOUT)
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
            return self.http.post(self.base + path, data=data, headers={"content-type": "application/json"}, **kw)
        if body is None:
            return self.http.post(self.base + path, **kw)
        return self.http.post(self.base + path, json=body, **kw)

    def rpc(self, method: str, params: Optional[dict] = None, id: Any = 1) -> Dict[str, Any]:
        """One JSON-RPC request at POST /mcp; asserts HTTP 200 and returns the parsed body."""
        body: Dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id}
        if params is not None:
            body["params"] = params
        r = self.post("/mcp", body)
        assert r.status_code == 200, f"POST /mcp {method}: HTTP {r.status_code} {r.text[:300]}"
        return r.json()

    def create_session(self) -> str:
        sid = rpc_ok(self.rpc("openenv/session/create", {}))["session_id"]
        assert isinstance(sid, str) and sid
        return sid

    def close_session(self, sid: str) -> Dict[str, Any]:
        return self.rpc("openenv/session/close", {"session_id": sid})

    # --- WebSocket --------------------------------------------------------------------
    def ws_url(self, path: str = "/ws", query: Optional[dict] = None) -> str:
        return self.ws_base + path + ("?" + urlencode(query) if query else "")

    def ws(self, path: str = "/ws", query: Optional[dict] = None, **kw: Any):
        """`async with server.ws() as ws:` (raw websockets connection, no pings, no size limit)."""
        kw.setdefault("open_timeout", TIMEOUT)
        kw.setdefault("max_size", None)
        kw.setdefault("ping_interval", None)
        kw.setdefault("proxy", None)
        return websockets.connect(self.ws_url(path, query), **kw)

    # --- official clients ---------------------------------------------------------------
    def client(self, cls: Any = None, **kw: Any):
        if cls is None:
            from openenv.core.generic_client import GenericEnvClient as cls  # noqa: N813
        kw.setdefault("connect_timeout_s", TIMEOUT)
        kw.setdefault("message_timeout_s", TIMEOUT)
        return cls(base_url=self.base, **kw)


class ServerStartError(Exception):
    def __init__(self, server: Server, why: str):
        super().__init__(
            f"{SERVER_KIND} server for env {server.env!r} {why}\n"
            f"command: {' '.join(server.cmd)}\n--- server log (tail) ---\n{server.log_tail()}"
        )
        self.server = server


def server_command(env: str, port: int, *, max_sessions: Optional[int], session_timeout: Optional[float],
                   mode: Optional[str], extra_args: Sequence[str]) -> tuple[List[str], Dict[str, str]]:
    proc_env = dict(os.environ)
    proc_env.pop("OPENENV_MODE", None)
    if IS_REFERENCE:
        cmd = [sys.executable, str(REFERENCE_SCRIPT), "--env", env, "--host", "127.0.0.1", "--port", str(port)]
        if max_sessions is not None:
            cmd += ["--max-sessions", str(max_sessions)]
        if session_timeout is not None:
            cmd += ["--session-timeout", _num(session_timeout)]
        if mode is not None:
            proc_env["OPENENV_MODE"] = mode
        proc_env["PYTHONUNBUFFERED"] = "1"
    else:
        cmd = [str(OPENENV_BIN), "serve", env, "--host", "127.0.0.1", "--port", str(port)]
        if max_sessions is not None:
            cmd += ["--max-sessions", str(max_sessions)]
        if session_timeout is not None:
            cmd += ["--session-timeout", _num(session_timeout)]
        if mode is not None:
            cmd += ["--mode", mode]
    cmd += list(extra_args)
    return cmd, proc_env


def launch_server(env: str, *, max_sessions: Optional[int] = DEFAULT_MAX_SESSIONS,
                  session_timeout: Optional[float] = None, mode: Optional[str] = None,
                  extra_args: Sequence[str] = ()) -> Server:
    """Start a server process on a free port without waiting for it (see await_server)."""
    if not IS_REFERENCE and not os.access(OPENENV_BIN, os.X_OK):
        pytest.exit(
            f"Swift server binary not found or not executable: {OPENENV_BIN}\n"
            "Build it (swift build), point OPENENV_BIN at it, or run against the Python "
            "reference with OPENENV_INTEROP_SERVER=reference.",
            returncode=3,
        )
    if IS_REFERENCE and extra_args:
        raise ValueError(f"the reference server takes no extra args: {extra_args}")
    options = {"max_sessions": max_sessions, "session_timeout": session_timeout, "mode": mode,
               "extra_args": list(extra_args)}
    port = free_port()
    cmd, proc_env = server_command(env, port, max_sessions=max_sessions, session_timeout=session_timeout,
                                   mode=mode, extra_args=extra_args)
    return Server(env, port, cmd, proc_env, options)


def await_server(server: Server) -> Server:
    """Wait for /health of a launched server; relaunch on another port if the port was
    taken meanwhile; fail the test (with the server's log) if it does not come up."""
    for attempt in range(3):
        try:
            server.wait_ready()
            return server
        except ServerStartError as e:
            text = str(e)
            server.stop()
            clash = "address already in use" in text.lower() or "eaddrinuse" in text.lower()
            if clash and attempt < 2:  # lost the race for the port: try another one
                server = launch_server(server.env, **server.options)
                continue
            pytest.fail(text, pytrace=False)
    raise AssertionError("unreachable")


def start_server(env: str, *, max_sessions: Optional[int] = DEFAULT_MAX_SESSIONS,
                 session_timeout: Optional[float] = None, mode: Optional[str] = None,
                 extra_args: Sequence[str] = ()) -> Server:
    """Start a server and wait for /health. The caller must call .stop() (fixtures do).

    `extra_args` are appended to the Swift command line (e.g. ["--step-timeout", "5"]);
    the reference server does not take them.
    """
    return await_server(launch_server(env, max_sessions=max_sessions, session_timeout=session_timeout,
                                      mode=mode, extra_args=extra_args))


class ServerPool:
    """Servers of one configuration, launched together up front (the Python reference takes
    seconds to start) and awaited on first use. `get(env)` returns a ready server; `stop()`
    stops them all."""

    def __init__(self, envs: Sequence[str], **options: Any):
        self.options = options
        self.pending: Dict[str, Server] = {e: launch_server(e, **options) for e in envs}
        self.ready: Dict[str, Server] = {}

    def get(self, env: str) -> Server:
        if env not in self.ready:
            s = self.pending.pop(env, None) or launch_server(env, **self.options)
            self.ready[env] = await_server(s)
        return self.ready[env]

    def stop(self) -> None:
        for s in [*self.pending.values(), *self.ready.values()]:
            s.stop()
        self.pending.clear()
        self.ready.clear()


@pytest.fixture(scope="module")
def _module_servers(request: pytest.FixtureRequest) -> Iterator[ServerPool]:
    """The module's default echo and grid servers: the ones its selected tests use are
    launched together on first use and stopped when the module is done."""
    names: set = set()
    for item in request.session.items:
        if getattr(item, "module", None) is request.module:
            names.update(getattr(item, "fixturenames", ()))
    pool = ServerPool([e for e in ("echo", "grid") if {f"{e}_server", "env_server"} & names])
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture(scope="module")
def echo_server(_module_servers: ServerPool) -> Server:
    return _module_servers.get("echo")


@pytest.fixture(scope="module")
def grid_server(_module_servers: ServerPool) -> Server:
    return _module_servers.get("grid")


@pytest.fixture(scope="module", params=["echo", "grid"])
def env_server(request: pytest.FixtureRequest) -> Server:
    """The module's echo server, then its grid server (tests that hold for both envs)."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def start() -> Iterator[Any]:
    """`start(env, max_sessions=..., session_timeout=..., mode=..., extra_args=...)` for a
    server with a special configuration; it is stopped when the test ends."""
    started: List[Server] = []

    def _start(env: str, **kw: Any) -> Server:
        s = start_server(env, **kw)
        started.append(s)
        return s

    yield _start
    for s in started:
        s.stop()


# ======================================================================================
# async / WebSocket helpers
# ======================================================================================


def run(coro: Any, timeout: float = 120.0) -> Any:
    """Run a coroutine to completion on a fresh event loop (the suite has no pytest-asyncio)."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def send(ws: Any, msg: Any) -> None:
    """Send a dict/list as JSON text; str and bytes are sent raw (text / binary frame)."""
    await ws.send(msg if isinstance(msg, (str, bytes)) else json.dumps(msg))


async def recv(ws: Any, timeout: float = TIMEOUT) -> Dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(raw, str), f"expected a text frame, got {type(raw).__name__}: {raw!r:.200}"
    return json.loads(raw)


async def rt(ws: Any, msg: Any, timeout: float = TIMEOUT) -> Dict[str, Any]:
    """Round trip: send one message, read one reply."""
    await send(ws, msg)
    return await recv(ws, timeout)


async def send_tolerant(ws: Any, msg: Any) -> None:
    """Send, ignoring a connection the server already closed (its last frame stays readable)."""
    try:
        await send(ws, msg)
    except ConnectionClosed:
        pass


async def expect_close(ws: Any, timeout: float = TIMEOUT) -> Optional[int]:
    """Assert the server closes the socket without sending another frame; return the close code."""
    try:
        extra = await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed:
        return ws.close_code
    except asyncio.TimeoutError:
        raise AssertionError(f"server did not close the connection within {timeout:g}s")
    raise AssertionError(f"expected the server to close, got a frame: {extra!r:.300}")


def frame_data(frame: Dict[str, Any], typ: str) -> Dict[str, Any]:
    """Assert `frame` is {"type": typ, "data": {...}} and return data."""
    assert frame.get("type") == typ, f"expected a {typ!r} frame, got {json.dumps(frame)[:400]}"
    assert set(frame) == {"type", "data"}, f"frame keys {sorted(frame)}"
    assert isinstance(frame["data"], dict), f"data is not an object: {frame!r:.300}"
    return frame["data"]


WS_ERROR_CODES = {"INVALID_JSON", "UNKNOWN_TYPE", "VALIDATION_ERROR", "EXECUTION_ERROR",
                  "CAPACITY_REACHED", "FACTORY_ERROR", "SESSION_ERROR"}


def ws_error(frame: Dict[str, Any], code: str) -> Dict[str, Any]:
    """Assert an error frame with `code`; return its data."""
    d = frame_data(frame, "error")
    assert isinstance(d.get("message"), str), f"error message missing: {d}"
    assert d.get("code") == code, f"expected error code {code}, got {d.get('code')!r} ({d.get('message')!r:.200})"
    return d


def observation(frame: Dict[str, Any]) -> Dict[str, Any]:
    """Assert a /ws observation frame and return its data ({observation, reward, done[, metadata]})."""
    d = frame_data(frame, "observation")
    assert set(d) <= {"observation", "reward", "done", "metadata"}, f"observation payload keys {sorted(d)}"
    assert isinstance(d.get("observation"), dict), f"observation is not an object: {d!r:.300}"
    assert "reward" in d, f"no reward key: {d!r:.300}"
    assert d["reward"] is None or isinstance(d["reward"], (int, float)), f"reward {d['reward']!r}"
    assert isinstance(d.get("done"), bool), f"done {d.get('done')!r}"
    assert d.get("metadata") is None or isinstance(d["metadata"], dict), f"metadata {d.get('metadata')!r}"
    return d


async def ws_state(ws: Any) -> Dict[str, Any]:
    return frame_data(await rt(ws, {"type": "state"}), "state")


async def assert_usable(ws: Any) -> Dict[str, Any]:
    """The connection still answers a state request."""
    return await ws_state(ws)


# ======================================================================================
# JSON-RPC helpers
# ======================================================================================

_ANY = object()


def rpc_ok(resp: Dict[str, Any], id: Any = _ANY) -> Any:
    assert resp.get("jsonrpc") == "2.0", f"jsonrpc != '2.0': {resp!r:.300}"
    assert "error" not in resp, f"JSON-RPC error: {resp.get('error')!r:.300}"
    assert "result" in resp, f"no result: {resp!r:.300}"
    if id is not _ANY:
        assert resp.get("id") == id, f"id {resp.get('id')!r} != {id!r}"
    return resp["result"]


def rpc_err(resp: Dict[str, Any], code: int, id: Any = _ANY) -> Dict[str, Any]:
    assert resp.get("jsonrpc") == "2.0", f"jsonrpc != '2.0': {resp!r:.300}"
    assert "result" not in resp, f"expected an error, got a result: {resp!r:.300}"
    err = resp.get("error")
    assert isinstance(err, dict), f"no error object: {resp!r:.300}"
    assert isinstance(err.get("message"), str), f"error message: {err!r}"
    assert err.get("code") == code, f"expected error code {code}, got {err.get('code')} ({err.get('message')!r:.200})"
    assert "data" in err, f"error object lacks 'data': {err!r}"
    if id is not _ANY:
        assert resp.get("id") == id, f"id {resp.get('id')!r} != {id!r}"
    return err


def wait_until(pred: Any, timeout: float, interval: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached within {timeout:g}s")
        time.sleep(interval)


def session_gone(server: Server, sid: str) -> bool:
    """Non-destructive probe: tools/list in the session answers -32602 once it is gone."""
    r = server.rpc("tools/list", {"session_id": sid}, id=99)
    return r.get("error", {}).get("code") == -32602


# ======================================================================================
# environment knowledge (echo golden values, grid rules)
# ======================================================================================

ECHO_READY = {"status": "ready", "message": "Echo environment ready!"}
ECHO_TOOL_INPUT_SCHEMA = {
    "additionalProperties": False,
    "properties": {"message": {"type": "string", "description": "The message to echo back"}},
    "required": ["message"],
    "type": "object",
}
ECHO_TOOL_DESCRIPTIONS = {
    "echo_message": "Echo back the provided message.",
    "echo_with_length": "Echo back the message with its length.",
}
ECHO_STEP_TOOLS = [
    {"name": n, "description": d, "input_schema": ECHO_TOOL_INPUT_SCHEMA} for n, d in ECHO_TOOL_DESCRIPTIONS.items()
]
ECHO_METADATA = {
    "name": "EchoEnvironment", "description": "EchoEnvironment environment", "readme_content": None,
    "version": "1.0.0", "author": None, "documentation_url": None,
}
METADATA_KEYS = {"name", "description", "readme_content", "version", "author", "documentation_url"}
ENV_NAMES = {"echo": "echo_env", "grid": "grid_env"}


def echo_message_result(msg: str) -> Dict[str, Any]:
    """FastMCP result of echo_message(msg), as the reference serializes it."""
    return {
        "content": [{"type": "text", "text": msg, "annotations": None, "meta": None}],
        "structured_content": {"result": msg},
        "meta": {"fastmcp": {"wrap_result": True}},
        "data": msg,
        "is_error": False,
    }


def echo_with_length_result(msg: str) -> Dict[str, Any]:
    value = {"message": msg, "length": len(msg)}
    return {
        "content": [{"type": "text", "text": json.dumps(value, separators=(",", ":"), ensure_ascii=False),
                     "annotations": None, "meta": None}],
        "structured_content": value,
        "meta": None,
        "data": value,
        "is_error": False,
    }


def echo_call(msg: str, tool: str = "echo_message") -> Dict[str, Any]:
    return {"type": "call_tool", "tool_name": tool, "arguments": {"message": msg}}


GRID_SIZE = 5
GRID_MOVES = ("UP", "DOWN", "LEFT", "RIGHT")
GRID_STATE_FIELDS = {"episode_id", "step_count", "row", "col", "goal_row", "goal_col", "size", "seed", "reached_goal"}
GRID_OBS_FIELDS = {"row", "col", "goal_row", "goal_col", "size", "hit_wall"}


def grid_layout(seed: Optional[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Expected (agent, goal) cells: (0,0)/(4,4) without a seed, else Python's
    random.Random(seed).sample(range(25), 2) turned into (row, col) pairs."""
    if seed is None:
        return (0, 0), (4, 4)
    a, g = random.Random(seed).sample(range(GRID_SIZE * GRID_SIZE), 2)
    return divmod(a, GRID_SIZE), divmod(g, GRID_SIZE)


def grid_path(start: tuple[int, int], goal: tuple[int, int]) -> List[str]:
    """Moves from start to goal (rows first, then columns)."""
    (r, c), (gr, gc) = start, goal
    moves = ["DOWN" if gr > r else "UP"] * abs(gr - r)
    moves += ["RIGHT" if gc > c else "LEFT"] * abs(gc - c)
    return moves


def valid_action(env: str, tag: str = "hello") -> Dict[str, Any]:
    return echo_call(tag) if env == "echo" else {"action": "DOWN"}


def invalid_action(env: str) -> Dict[str, Any]:
    """A valid action plus a key the action model forbids."""
    a = valid_action(env)
    a["bogus_field"] = 1
    return a
