"""The Kubernetes manifests of generate.py: validated against the schemas of a pinned
Kubernetes version (shipped inside the kubernetes-validate package from PyPI), checked for the
relations a cluster would enforce later (selectors, grace period, probe routes), and the parts
that can run here run for real: the probe routes and the preStop drain hook against a real
`openenv serve` on loopback.

OPENENV_BIN: the binary (default <repo>/.build/debug/openenv).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate
import pytest
import requests
import yaml
from openenv import GenericEnvClient

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OPENENV_BIN = Path(os.environ.get("OPENENV_BIN") or REPO / ".build" / "debug" / "openenv")
K8S_VERSION = "1.35.0"  # pinned: the schemas of kubernetes-validate==1.37.0 for this release

sys.path.insert(0, str(HERE))
import generate  # noqa: E402

ARGS = ["--env", "coding", "--image", "registry.example/swift-openenv:0.1.0", "--replicas", "3",
        "--min-replicas", "2", "--max-replicas", "12", "--max-sessions", "48", "--cpu", "2",
        "--memory", "4Gi", "--drain-timeout", "10", "--session-drain", "90", "--namespace", "rl"]


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    out = tmp_path_factory.mktemp("k8s") / "fleet.yaml"
    # the documented command line, as a user runs it
    subprocess.run([sys.executable, str(HERE / "generate.py"), *ARGS, "--out", str(out)], check=True)
    return list(yaml.safe_load_all(out.read_text()))


def by_kind(docs, kind, suffix=""):
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix))


def test_every_manifest_validates_against_the_pinned_kubernetes_schemas(docs):
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["Deployment", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                     "Service", "Service"]
    for d in docs:
        # strict: a field the schema does not know is an error too
        assert kubernetes_validate.validate(d, K8S_VERSION, strict=True) == "1.35"


def test_the_validator_is_not_vacuous(docs):
    d = yaml.safe_load(yaml.safe_dump(by_kind(docs, "Deployment", "coding")))
    c = d["spec"]["template"]["spec"]["containers"][0]
    c["readinesProbe"] = c.pop("readinessProbe")  # a misspelt field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(d, K8S_VERSION, strict=True)
    d = yaml.safe_load(yaml.safe_dump(by_kind(docs, "HorizontalPodAutoscaler")))
    d["spec"]["minReplicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(d, K8S_VERSION, strict=True)


def test_the_pieces_fit_together(docs):
    dep = by_kind(docs, "Deployment", "coding")
    pod = dep["spec"]["template"]
    c = pod["spec"]["containers"][0]
    assert c["args"] == ["serve", "coding", "--host", "0.0.0.0", "--port", "8000",
                         "--max-sessions", "48", "--drain-timeout", "10"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert c["resources"]["requests"] == c["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}
    # SIGKILL comes after the preStop wait (90 s) and the server's own drain (10 s)
    assert pod["spec"]["terminationGracePeriodSeconds"] > 90 + 10
    labels = pod["metadata"]["labels"]
    assert dep["spec"]["selector"]["matchLabels"] == labels
    for name in ("openenv-coding-servers",):
        svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == name)
        assert svc["spec"]["selector"] == labels and svc["spec"]["clusterIP"] == "None"
    assert by_kind(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == labels
    hpa = by_kind(docs, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "openenv-coding"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 12)
    assert hpa["metrics"][0]["pods"]["metric"]["name"] == "openenv_session_utilisation"
    assert hpa["metrics"][0]["pods"]["target"]["averageValue"] == "700m"
    gw = by_kind(docs, "Deployment", "gateway")
    gw_svc = by_kind(docs, "Service", "gateway")
    assert gw_svc["spec"]["selector"] == gw["spec"]["template"]["metadata"]["labels"]
    assert "openenv-coding-servers.rl.svc.cluster.local:8000" in gw["spec"]["template"]["spec"]["containers"][0]["args"]
    assert all(d["metadata"]["namespace"] == "rl" for d in docs)


def test_bad_arguments_are_refused():
    assert generate.main(["--env", "grid", "--image", "x", "--replicas", "3", "--max-replicas", "2"]) == 2
    assert generate.main(["--env", "grid", "--image", "x", "--target-utilisation", "1.5"]) == 2


# ---- what runs here: the routes the probes use and the preStop hook, on a real server ----


@pytest.fixture()
def server():
    if not OPENENV_BIN.exists():
        pytest.skip(f"no openenv binary at {OPENENV_BIN}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(OPENENV_BIN), "serve", "grid", "--host", "127.0.0.1", "--port", str(port),
                             "--max-sessions", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield port, base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_probe_routes_exist_and_mean_what_the_manifest_assumes(server):
    port, base = server
    assert requests.get(base + "/health", timeout=5).status_code == 200
    r = requests.get(base + "/ready", timeout=5)
    assert r.status_code == 200 and r.json()["max_sessions"] == 2 and r.json()["active_sessions"] == 0
    # a full server is not ready (503): Kubernetes takes it out of the Service
    with GenericEnvClient(base_url=base).sync() as a, GenericEnvClient(base_url=base).sync() as b:
        a.reset()
        b.reset()
        r = requests.get(base + "/ready", timeout=5)
        assert r.status_code == 503 and r.json()["status"] == "full"


def prestop(port: int, limit: int) -> subprocess.Popen:
    return subprocess.Popen(["bash", "-c", generate.PRESTOP, "prestop", str(limit), str(port)])


def test_the_prestop_hook_waits_for_open_sessions_then_lets_go(server):
    port, base = server
    # no session: returns at once
    p = prestop(port, 60)
    assert p.wait(30) == 0
    with GenericEnvClient(base_url=base).sync() as env:
        env.reset(seed=1)
        p = prestop(port, 60)
        time.sleep(2.5)
        assert p.poll() is None  # still waiting: a session is open
        env.step({"action": "DOWN"})
    assert p.wait(30) == 0  # the session closed: the hook ends, long before its 60 s


def test_the_prestop_hook_gives_up_at_its_limit(server):
    port, base = server
    with GenericEnvClient(base_url=base).sync() as env:
        env.reset()
        start = time.monotonic()
        p = prestop(port, 2)
        assert p.wait(30) == 0
        assert time.monotonic() - start >= 2  # it waited its limit, since the session stayed open


def test_the_gateway_runs_with_the_manifest_s_own_arguments_and_finds_its_backends_by_dns(docs, server):
    port, base = server
    gw = by_kind(docs, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"][0]
    args = list(gw["args"])
    assert args[0] == "gateway" and gw["image"] == "registry.example/swift-openenv:0.1.0"  # the same binary
    assert by_kind(docs, "Service", "gateway")["spec"]["sessionAffinity"] == "ClientIP"
    # the cluster's names become this machine's: the servers' Service is `localhost`
    args[args.index("--backend-dns") + 1] = f"localhost:{port}"
    args[args.index("--host") + 1] = "127.0.0.1"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        gw_port = s.getsockname()[1]
    args[args.index("--port") + 1] = str(gw_port)
    proc = subprocess.Popen([str(OPENENV_BIN), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gw_base = f"http://127.0.0.1:{gw_port}"
    try:
        deadline = time.monotonic() + 30
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = requests.get(gw_base + "/ready", timeout=1).json()
                if ready.get("backends", 0) >= 1:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        assert ready and ready["backends"] >= 1 and ready["max_sessions"] == 2, ready
        # readiness: /health answered by a backend
        assert requests.get(gw_base + gw["readinessProbe"]["httpGet"]["path"], timeout=5).status_code == 200
        with GenericEnvClient(base_url=gw_base).sync() as env:
            assert env.reset(seed=1).observation["row"] is not None
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
