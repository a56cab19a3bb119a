"""``EnvFleet``: `openenv serve` processes placed on a Ray cluster, handed out as sessions.

Contract:

- **Placement.** Each server is one Ray actor (``ServerActorImpl``) created with the fleet's
  ``resources`` (``{"CPU": 1, "memory": bytes, "my_resource": 1}``: Ray's resource
  accounting decides which node has room) and scheduling strategy (``"SPREAD"`` by default,
  so servers land on different nodes; or ``placement_group=pg`` to run inside a placement
  group's bundles that the caller reserved). Ray, not the fleet, chooses the node.
- **The binary** is ``binary`` (default ``$OPENENV_BIN``, else ``openenv`` on ``PATH``),
  resolved on the server's node: an absolute path every node has, or a path relative to
  the actor's working directory when ``runtime_env={"working_dir": ...}`` ships the tree
  (docs/scale-out.md).
- **Sessions.** ``session()`` returns a ``FleetSession`` (an official ``GenericEnvClient``)
  bound to the routable server with the lowest load ÷ capacity, where load is the larger of
  the sessions this fleet handed out there and not yet closed, and the server's own
  ``GET /ready`` ``active_sessions`` at the last poll (so sessions opened by others count).
  No routable server with a free slot: ``FleetFull`` at once (after ``wait`` seconds if given).
- **Failures are explicit.** A server is lost when its actor dies (its node died, or it was
  killed), or when its supervisor restarted the process (a new generation), or when the
  actor stops answering and the driver cannot reach the server either. Its sessions are
  marked lost at once: a call in flight fails with ``SessionLost`` as the socket drops, and
  every later call raises ``SessionLost`` naming the server, node and cause; nothing is
  retried or reconnected. New sessions go only to routable servers. The lost server is
  replaced by a new actor, which Ray places on a node that has room, within
  ``monitor_interval`` + the new server's start-up (both bounded).
- **Autoscaling** (when ``min_servers < max_servers``): every ``monitor_interval`` the fleet
  computes utilisation = Σ load ÷ Σ capacity over its routable servers. At or above
  ``scale_up_at`` it adds a server (one per interval, up to ``max_servers``); at or below
  ``scale_down_at`` for ``scale_down_after`` seconds it drains the least-loaded server (down
  to ``min_servers``).
- **Drain before stop.** A draining server gets no new session; the fleet waits until its
  ``/ready`` shows no active session or ``drain_timeout`` passed, then SIGTERMs it (the server
  closes what is left with 1001, which its sessions see as ``SessionLost``).
- **Gateway registration.** ``add_listener(fn)`` calls ``fn(backends)`` with the routable
  servers' descriptions whenever that set changes (docs/scale-out.md: the interface an
  ``openenv gateway`` is expected to offer).

Threading: the fleet's state is guarded by one lock; a monitor thread polls the actors;
``FleetSession`` objects report their close or loss from whatever thread runs their loop.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from .server_actor import ServerActorImpl, ServerSpec
from .session import FleetFull, FleetSession

_ServerActor = ray.remote(ServerActorImpl)


@dataclass
class _Server:
    id: str
    actor: Any
    created: float
    state: str = "starting"  # starting | up | draining | stopped | lost
    url: Optional[str] = None
    node_id: str = ""
    node_ip: str = ""
    pid: Optional[int] = None
    generation: int = 0
    capacity: int = 0
    reported: int = 0  # /ready active_sessions at the last poll
    sessions: Set[FleetSession] = field(default_factory=set)
    pending: Any = None  # the outstanding status() ref
    pending_since: float = 0.0
    slow_polls: int = 0
    up_at: Optional[float] = None
    lost_reason: str = ""

    @property
    def load(self) -> int:
        return max(len(self.sessions), self.reported)

    def describe(self) -> Dict[str, Any]:
        return {"id": self.id, "url": self.url, "state": self.state, "node_id": self.node_id,
                "node_ip": self.node_ip, "pid": self.pid, "generation": self.generation,
                "active_sessions": self.reported, "fleet_sessions": len(self.sessions),
                "max_sessions": self.capacity}


def _default_binary() -> str:
    return os.environ.get("OPENENV_BIN") or shutil.which("openenv") or "openenv"


def _probe(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=timeout) as r:  # noqa: S310
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


class EnvFleet:
    """A fleet of ``openenv serve <env>`` servers on the Ray cluster (module docstring)."""

    _ids = itertools.count(1)

    def __init__(
        self,
        env: str,
        servers: int = 1,
        per_server: int = 64,
        resources: Optional[Dict[str, float]] = None,
        *,
        min_servers: Optional[int] = None,
        max_servers: Optional[int] = None,
        binary: Optional[str] = None,
        server_args: Optional[List[str]] = None,
        host: Optional[str] = None,
        strategy: str = "SPREAD",
        placement_group: Any = None,
        runtime_env: Optional[Dict[str, Any]] = None,
        env_vars: Optional[Dict[str, str]] = None,
        monitor_interval: float = 1.0,
        health_interval: float = 1.0,
        startup_timeout: float = 60.0,
        scale_up_at: float = 0.8,
        scale_down_at: float = 0.3,
        scale_down_after: float = 30.0,
        drain_timeout: float = 30.0,
        server_drain_timeout: float = 10.0,
        name: Optional[str] = None,
        start: bool = True,
    ):
        if servers < 0 or per_server < 1:
            raise ValueError("servers must be >= 0 and per_server >= 1")
        self.env = env
        self.name = name or f"{env}-{next(self._ids)}"
        self.min_servers = servers if min_servers is None else min_servers
        self.max_servers = servers if max_servers is None else max_servers
        if not (0 <= self.min_servers <= servers <= self.max_servers):
            raise ValueError(f"need 0 <= min_servers ({self.min_servers}) <= servers ({servers}) "
                             f"<= max_servers ({self.max_servers})")
        self.per_server = per_server
        self.resources = dict(resources or {"CPU": 1})
        self.spec = ServerSpec(env=env, binary=binary or _default_binary(), per_server=per_server,
                               host=host, server_args=list(server_args or []),
                               startup_timeout=startup_timeout, health_interval=health_interval,
                               drain_timeout=server_drain_timeout, env_vars=dict(env_vars or {}))
        self.strategy = strategy
        self.placement_group = placement_group
        self.runtime_env = runtime_env
        self.monitor_interval = monitor_interval
        self.scale_up_at = scale_up_at
        self.scale_down_at = scale_down_at
        self.scale_down_after = scale_down_after
        self.drain_timeout = drain_timeout
        self._target = servers
        self._lock = threading.RLock()
        self._servers: Dict[str, _Server] = {}
        self._gone: List[_Server] = []
        self._seq = itertools.count(1)
        self._events: List[Dict[str, Any]] = []
        self._listeners: List[Callable[[List[Dict[str, Any]]], None]] = []
        self._last_routable: Optional[List[str]] = None
        self._low_since: Optional[float] = None
        self._stop = threading.Event()
        self._monitor: Optional[threading.Thread] = None
        self._drainers: List[threading.Thread] = []
        self._start_failures = 0  # in a row; creation backs off while > 0
        self._next_create = 0.0
        self.last_start_error = ""
        if start:
            self.start()

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> "EnvFleet":
        """Creates the servers and returns once all are up (or raises after ``timeout``)."""
        if not ray.is_initialized():
            raise RuntimeError("ray.init() first: the fleet runs on the current Ray cluster")
        with self._lock:
            for _ in range(self._target):
                self._create()
        self._monitor = threading.Thread(target=self._run, name=f"fleet-{self.name}", daemon=True)
        self._monitor.start()
        deadline = time.monotonic() + timeout
        while not self.wait_until_size(self._target, 0.5):
            if self._start_failures or time.monotonic() >= deadline:
                self.shutdown()
                raise RuntimeError(f"fleet {self.name}: a server failed to start:\n{self.last_start_error}"
                                   if self._start_failures else
                                   f"fleet {self.name}: {self.size()} of {self._target} servers up "
                                   f"after {timeout} s: {self.events()[-5:]}")
        return self

    def shutdown(self, drain_timeout: float = 0.0) -> None:
        """Drains every server (up to ``drain_timeout``), stops it and kills its actor."""
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(30)
        with self._lock:
            servers = list(self._servers.values())
            for s in servers:
                if s.state in ("up", "starting"):
                    s.state = "draining"
        refs = []
        for s in servers:
            try:
                refs.append(s.actor.drain.remote(drain_timeout))
            except Exception:  # noqa: BLE001
                pass
        try:
            ray.wait(refs, num_returns=len(refs), timeout=drain_timeout + 30)
        except Exception:  # noqa: BLE001
            pass
        for t in self._drainers:
            t.join(drain_timeout + 30)
        with self._lock:
            for s in servers:
                self._retire(s, "stopped", "fleet shut down")
        self._notify()

    def __enter__(self) -> "EnvFleet":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    # ---- what users call -----------------------------------------------------------------

    def session(self, wait: float = 0.0, **client_kwargs: Any) -> FleetSession:
        """A ``GenericEnvClient`` (``FleetSession``) bound to the least-loaded routable server.

        ``client_kwargs`` go to the client (``message_timeout_s``, ...). Raises ``FleetFull``
        when no routable server has a free slot (after ``wait`` seconds, if given)."""
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                s = self._pick()
                if s is not None:
                    client = FleetSession(s.url, fleet=self, server_id=s.id, node_id=s.node_id,
                                          generation=s.generation, **client_kwargs)
                    s.sessions.add(client)
                    return client
                routable = [x for x in self._servers.values() if x.state == "up"]
                used = sum(x.load for x in routable)
                cap = sum(x.capacity for x in routable)
                if self._target < self.max_servers and self.min_servers < self.max_servers:
                    self._set_target(self._target + 1, f"no free slot ({used}/{cap})")
            if time.monotonic() >= deadline:
                raise FleetFull(f"fleet {self.name}: every routable server is full "
                                f"({used}/{cap} sessions on {len(routable)} servers, "
                                f"max_servers {self.max_servers})")
            time.sleep(0.1)

    def servers(self) -> List[Dict[str, Any]]:
        """Each server's id, URL, state, node, pid, generation and live load and capacity."""
        with self._lock:
            return [s.describe() for s in self._servers.values()]

    def backends(self) -> List[Dict[str, Any]]:
        """The routable servers (state ``up``): what a gateway should route new sessions to."""
        with self._lock:
            return [s.describe() for s in self._servers.values() if s.state == "up"]

    def size(self) -> int:
        """Servers up (routable)."""
        with self._lock:
            return sum(1 for s in self._servers.values() if s.state == "up")

    @property
    def target(self) -> int:
        return self._target

    def utilisation(self) -> float:
        with self._lock:
            up = [s for s in self._servers.values() if s.state == "up"]
            cap = sum(s.capacity for s in up)
            return sum(s.load for s in up) / cap if cap else 1.0

    def resize(self, servers: int) -> None:
        """Sets the target size (within min/max); shrinking drains the least-loaded servers."""
        if not (self.min_servers <= servers <= self.max_servers):
            raise ValueError(f"{servers} is outside [{self.min_servers}, {self.max_servers}]")
        with self._lock:
            self._set_target(servers, "resize()")

    def wait_until_size(self, n: int, timeout: float) -> bool:
        """Waits until exactly ``n`` servers are up and none is starting or draining."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                states = [s.state for s in self._servers.values()]
            if states.count("up") == n and len(states) == n:
                return True
            time.sleep(0.1)
        return False

    def events(self) -> List[Dict[str, Any]]:
        """What the fleet did: ``{"t": time.time(), "kind", "server", "node", "detail"}``."""
        with self._lock:
            return list(self._events)

    def add_listener(self, fn: Callable[[List[Dict[str, Any]]], None]) -> None:
        """``fn(backends())`` now and whenever the set of routable servers changes."""
        with self._lock:
            self._listeners.append(fn)
            backends = [s.describe() for s in self._servers.values() if s.state == "up"]
        fn(backends)

    def server_log(self, server_id: str, n: int = 40) -> List[str]:
        with self._lock:
            s = self._servers.get(server_id)
        if s is None:
            return []
        try:
            return ray.get(s.actor.log_tail.remote(n), timeout=10)
        except RayError:
            return []

    # ---- used by FleetSession ------------------------------------------------------------

    def _release(self, session: FleetSession) -> None:
        with self._lock:
            for s in itertools.chain(self._servers.values(), self._gone):
                s.sessions.discard(session)

    def _reassign(self, session: FleetSession) -> bool:
        """A session that never connected found its server unreachable: checks the server
        (retiring it if it does not answer) and rebinds the session to the next best server.
        Returns False when no other server has room."""
        with self._lock:
            old = self._servers.get(session._server_id)
            url = old.url if old else None
        if old is not None:
            with self._lock:
                old.sessions.discard(session)
        if old is not None and url and not _probe(url, 1.0):
            with self._lock:
                self._retire(old, "lost", "was lost: unreachable when a new session connected (node lost)")
        with self._lock:
            s = self._pick(exclude={session._server_id})
            if s is None:
                return False
            session._rebind(s.url, s.id, s.node_id, s.generation)
            s.sessions.add(session)
            return True

    def _pick(self, exclude: Set[str] = frozenset()) -> Optional[_Server]:
        best = None
        for s in self._servers.values():
            if s.state != "up" or s.load >= s.capacity or s.id in exclude:
                continue
            key = (s.load / s.capacity, len(s.sessions), s.id)
            if best is None or key < best[0]:
                best = (key, s)
        return best[1] if best else None

    def _loss_reason(self, server_id: str, generation: int) -> Optional[str]:
        with self._lock:
            for s in itertools.chain(self._servers.values(), self._gone):
                if s.id == server_id:
                    if s.state == "lost" or s.generation != generation:
                        return s.lost_reason or "was lost"
                    return None
        return None

    # ---- internals -------------------------------------------------------------------------

    def _event(self, kind: str, s: Optional[_Server], detail: str = "") -> None:
        self._events.append({"t": time.time(), "kind": kind, "server": s.id if s else None,
                             "node": s.node_id if s else None, "detail": detail})

    def _set_target(self, n: int, why: str) -> None:
        n = max(self.min_servers, min(self.max_servers, n))
        if n != self._target:
            self._event("target", None, f"{self._target} -> {n}: {why}")
            self._target = n

    def _options(self) -> Dict[str, Any]:
        res = dict(self.resources)
        opts: Dict[str, Any] = {"num_cpus": res.pop("CPU", 0), "max_restarts": 0,
                                "max_concurrency": 4}
        if "memory" in res:
            opts["memory"] = res.pop("memory")
        if "GPU" in res:
            opts["num_gpus"] = res.pop("GPU")
        if res:
            opts["resources"] = res
        if self.placement_group is not None:
            opts["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                placement_group=self.placement_group, placement_group_bundle_index=-1)
        elif self.strategy:
            opts["scheduling_strategy"] = self.strategy
        if self.runtime_env:
            opts["runtime_env"] = self.runtime_env
        return opts

    def _create(self) -> _Server:
        sid = f"{self.name}-{next(self._seq)}"
        spec = {k: v for k, v in self.spec.__dict__.items()}
        actor = _ServerActor.options(**self._options()).remote(spec)
        s = _Server(id=sid, actor=actor, created=time.time())
        s.pending = actor.status.remote()
        s.pending_since = time.monotonic()
        self._servers[sid] = s
        self._event("create", s)
        return s

    def _retire(self, s: _Server, state: str, reason: str) -> None:
        """Removes a server from routing; its open sessions are lost with ``reason``."""
        if s.id not in self._servers:
            return
        s.state = state
        s.lost_reason = reason
        for sess in list(s.sessions):
            sess._mark_lost(reason)
        s.sessions.clear()
        del self._servers[s.id]
        self._gone.append(s)
        try:
            ray.kill(s.actor, no_restart=True)
        except Exception:  # noqa: BLE001
            pass
        self._event(state, s, reason)

    def _run(self) -> None:
        while not self._stop.wait(self.monitor_interval):
            try:
                self._tick()
            except Exception as e:  # noqa: BLE001 (the monitor must outlive a bad poll)
                with self._lock:
                    self._event("monitor-error", None, repr(e))
            self._notify()

    def _tick(self) -> None:
        with self._lock:
            servers = [s for s in self._servers.values() if s.state in ("starting", "up", "draining")]
            for s in servers:
                if s.pending is None:
                    s.pending = s.actor.status.remote()
                    s.pending_since = time.monotonic()
            refs = [s.pending for s in servers]
        if refs:
            ray.wait(refs, num_returns=len(refs), timeout=min(3.0, self.monitor_interval * 2))
        now = time.monotonic()
        for s in servers:
            ref = s.pending
            ready, _ = ray.wait([ref], timeout=0)
            if ready:
                s.pending = None
                try:
                    st = ray.get(ref)
                except RayActorError as e:
                    with self._lock:
                        if s.state == "starting":
                            self._start_failures += 1
                            self.last_start_error = str(e)
                            self._next_create = time.monotonic() + min(30.0, 2.0 ** self._start_failures)
                            self._retire(s, "lost", f"was lost: its start-up failed ({_short(e)})")
                        else:
                            self._retire(s, "lost", f"was lost: its actor or node died ({_short(e)})")
                    continue
                except RayError as e:
                    with self._lock:
                        self._event("poll-error", s, _short(e))
                    continue
                self._update(s, st)
            elif s.state != "starting" and now - s.pending_since > 2.0:
                # The actor does not answer: if the server is unreachable too, it is gone.
                if s.url and not _probe(s.url, 1.0):
                    s.slow_polls += 1
                    if s.slow_polls >= 2:
                        with self._lock:
                            self._retire(s, "lost", "was lost: neither its actor nor the server answer (node lost)")
        with self._lock:
            self._autoscale()
            live = [s for s in self._servers.values() if s.state in ("starting", "up")]
            if time.monotonic() >= self._next_create:
                for _ in range(self._target - len(live)):
                    self._create()
            surplus = len(live) - self._target
            if surplus > 0:
                ups = sorted((s for s in live if s.state == "up"), key=lambda x: (x.load, x.id))
                starting = [s for s in live if s.state == "starting"]
                for s in starting[:surplus]:
                    self._retire(s, "stopped", "not needed")
                    surplus -= 1
                for s in ups[:max(0, surplus)]:
                    self._drain(s)

    def _update(self, s: _Server, st: Dict[str, Any]) -> None:
        with self._lock:
            if s.id not in self._servers:
                return
            s.slow_polls = 0
            if s.state == "starting":
                self._start_failures = 0
                s.state = "up"
                s.up_at = time.time()
                s.url, s.generation = st["url"], st["generation"]
                s.node_id, s.node_ip, s.pid = st["node_id"], st["node_ip"], st["pid"]
                self._event("up", s, f"{s.url} pid {s.pid}")
            elif st["generation"] != s.generation:
                # Restarted on its node by its supervisor: a new server; the old sessions are gone.
                reason = f"was lost: its process died and was restarted ({st.get('last_error')})"
                for sess in list(s.sessions):
                    sess._mark_lost(reason)
                s.sessions.clear()
                s.lost_reason = reason
                self._event("restarted", s, f"{s.url} -> {st['url']}: {st.get('last_error')}")
                s.url, s.generation, s.pid = st["url"], st["generation"], st["pid"]
            if st.get("state") == "restarting":
                s.reported = s.capacity  # not routable while it restarts
            if isinstance(st.get("active_sessions"), int):
                s.reported = st["active_sessions"]
            if isinstance(st.get("max_sessions"), int):
                s.capacity = st["max_sessions"]

    def _autoscale(self) -> None:
        if self.min_servers >= self.max_servers:
            return
        up = [s for s in self._servers.values() if s.state == "up"]
        if not up or any(s.state == "starting" for s in self._servers.values()):
            return
        cap = sum(s.capacity for s in up)
        u = sum(s.load for s in up) / cap if cap else 1.0
        if u >= self.scale_up_at and self._target < self.max_servers:
            self._set_target(self._target + 1, f"utilisation {u:.2f} >= {self.scale_up_at}")
            self._low_since = None
        elif u <= self.scale_down_at and self._target > self.min_servers:
            now = time.monotonic()
            if self._low_since is None:
                self._low_since = now
            elif now - self._low_since >= self.scale_down_after:
                self._set_target(self._target - 1, f"utilisation {u:.2f} <= {self.scale_down_at} "
                                                   f"for {self.scale_down_after:g} s")
                self._low_since = None
        else:
            self._low_since = None

    def _drain(self, s: _Server) -> None:
        s.state = "draining"
        self._event("drain", s, f"{s.load} sessions open, waiting up to {self.drain_timeout:g} s")
        ref = s.actor.drain.remote(self.drain_timeout)

        def finish() -> None:
            try:
                res = ray.get(ref, timeout=self.drain_timeout + 60)
                why = f"drained: {res['left']} sessions left after {res['waited']:.1f} s"
            except (RayError, GetTimeoutError) as e:
                why = f"drain failed: {_short(e)}"
            with self._lock:
                self._retire(s, "stopped", f"was stopped by the fleet ({why})")
            self._notify()

        t = threading.Thread(target=finish, name=f"drain-{s.id}", daemon=True)
        self._drainers.append(t)
        t.start()

    def _notify(self) -> None:
        with self._lock:
            backends = [s.describe() for s in self._servers.values() if s.state == "up"]
            key = sorted(f"{b['id']}@{b['url']}" for b in backends)
            if key == self._last_routable:
                return
            self._last_routable = key
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(backends)
            except Exception as e:  # noqa: BLE001
                with self._lock:
                    self._event("listener-error", None, repr(e))


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (type(e).__name__ + ": " + (text[0] if text else ""))[:300]


def dumps(backends: List[Dict[str, Any]]) -> str:
    """The backend list as the JSON a gateway's registration endpoint takes."""
    return json.dumps({"backends": backends})
