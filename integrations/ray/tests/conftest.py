"""A real three-node Ray cluster on loopback (ray.cluster_utils.Cluster: one head and two
worker nodes, each its own raylet and object store, all on 127.0.0.1), shared by the tests
of a module, and the `openenv` binary they serve.

OPENENV_BIN: the binary (default <repo>/.build/debug/openenv, as in Tests/Interop).
Every `openenv` process a fleet started is recorded (from the fleet's servers and events) and
checked to be gone once the cluster is shut down; pytest fails the run if one is left.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Iterator, List, Set

import pytest

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
REPO = HERE.parent.parent.parent
OPENENV_BIN = Path(os.environ.get("OPENENV_BIN") or REPO / ".build" / "debug" / "openenv")
LOOPBACK = "127.0.0.1"
NODE_CPUS = 4  # logical: a server actor takes 1 (0.5 in the small fleets); two survivors host all

# Ray's workers import the package from here (they inherit the raylets' environment).
sys.path.insert(0, str(SRC))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Without this, ray.init() turns 127.0.0.1 into the machine's first non-loopback address (it
# assumes a multi-machine cluster); with it, every node, the driver and the GCS use loopback.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
for _k in ("NO_PROXY", "no_proxy"):
    os.environ[_k] = "127.0.0.1,localhost"

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

STARTED_PIDS: Set[int] = set()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not OPENENV_BIN.exists():
        pytest.exit(f"no openenv binary at {OPENENV_BIN} (build it, or set OPENENV_BIN)", returncode=3)


def record(fleet) -> None:
    """Remembers the pid of every server the fleet has or had."""
    for s in fleet.servers():
        if s["pid"]:
            STARTED_PIDS.add(s["pid"])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def openenv_pids(pids: Set[int]) -> List[int]:
    """Those of ``pids`` that are still running our binary."""
    out = []
    for pid in pids:
        try:
            if alive(pid) and os.readlink(f"/proc/{pid}/exe") == str(OPENENV_BIN.resolve()):
                out.append(pid)
        except OSError:
            pass
    return out


def descendants(pid: int) -> List[int]:
    children: dict = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def wait_for(cond, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class LocalCluster:
    def __init__(self) -> None:
        node_args = {"num_cpus": NODE_CPUS, "object_store_memory": 80 * 2**20,
                     "node_ip_address": LOOPBACK}
        self.cluster = Cluster(initialize_head=True, head_node_args={
            **node_args, "include_dashboard": False,
            # Ray's own node-failure detection: 0.5 s probes, dead after 4 misses.
            "_system_config": {"health_check_period_ms": 500, "health_check_failure_threshold": 4,
                               "health_check_timeout_ms": 1000}})
        self.workers = [self.cluster.add_node(**node_args) for _ in range(2)]
        ray.init(address=self.cluster.head_node.gcs_address, _node_ip_address=LOOPBACK, log_to_driver=False)
        self.head_id = self.cluster.head_node.node_id

    def node_of(self, node_id: str):
        for n in self.workers:
            if n.node_id == node_id:
                return n
        return None

    def kill_node(self, node) -> None:
        """The node dies as a machine dies: every process of it at once. Its raylet and all
        its descendants (the workers, among them the servers' actors) get SIGKILL together,
        the servers die with their actors (PR_SET_PDEATHSIG); then Ray removes the rest of
        the node (object store, agents). Without the first step the workers would linger
        until they noticed their raylet was gone."""
        raylet = node.all_processes["raylet"][0].process.pid
        victims = [raylet, *descendants(raylet)]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.cluster.remove_node(node, allow_graceful=False)
        self.workers.remove(node)

    def shutdown(self) -> None:
        ray.shutdown()
        self.cluster.shutdown()


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    c = LocalCluster()
    try:
        yield c
    finally:
        c.shutdown()
        left = []
        if not wait_for(lambda: not openenv_pids(STARTED_PIDS), 30):
            left = openenv_pids(STARTED_PIDS)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        assert not left, f"openenv processes left after the cluster shut down: {left}"


@pytest.fixture(scope="session")
def openenv_bin() -> str:
    return str(OPENENV_BIN)
