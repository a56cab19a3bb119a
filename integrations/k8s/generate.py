#!/usr/bin/env python3
"""Writes Kubernetes manifests for a fleet of swift-openenv servers behind a gateway.

    integrations/k8s/generate.py --env coding --image REGISTRY/swift-openenv:0.1.0 \\
        --replicas 3 --min-replicas 2 --max-replicas 20 --max-sessions 64 \\
        --cpu 2 --memory 4Gi --out fleet.yaml

One multi-document YAML file (stdout without --out), in this order:

  Deployment      openenv-<env>            the servers: `openenv serve <env> --host 0.0.0.0
                                           --port 8000 --max-sessions N --drain-timeout D`;
                                           readiness GET /ready (503 when full or draining, so a
                                           full pod leaves the Service), liveness GET /health;
                                           requests = limits (--cpu, --memory: Guaranteed QoS);
                                           a preStop hook that waits until /ready reports no
                                           active session (at most --session-drain seconds);
                                           terminationGracePeriodSeconds = session drain + server
                                           drain + 15 s, so SIGKILL never comes first.
  Service         openenv-<env>-servers    headless (clusterIP: None): one DNS record per ready
                                           pod, which is how a gateway finds its backends.
  PodDisruptionBudget openenv-<env>        maxUnavailable 1: a voluntary eviction (node drain,
                                           upgrade) takes one server at a time.
  HorizontalPodAutoscaler openenv-<env>    autoscaling/v2, Pods metric
                                           `openenv_session_utilisation` (active ÷ max sessions
                                           per pod), target --target-utilisation; scale-down
                                           stabilised over --scale-down-window seconds.
  Deployment      openenv-<env>-gateway    `openenv gateway --backend-dns <servers Service>:8000`
                                           (the same image: the gateway is the same binary):
                                           backends are the ready pods the headless Service
                                           resolves to, re-resolved every second; readiness
                                           GET /health (answered by a backend: not ready while
                                           no backend is), liveness a TCP connect (the gateway
                                           itself, whatever its backends do); grace period =
                                           its --drain-timeout (--session-drain) + 15 s.
  Service         openenv-<env>-gateway    ClusterIP, port 80 -> the gateway's 8080: the one
                                           base_url clients use. sessionAffinity ClientIP: each
                                           gateway replica knows only the HTTP sessions
                                           (`session_id`) created through it (a WebSocket
                                           session stays on its one connection anyway).

The image must contain `openenv` (and, for coding/terminal, bubblewrap and python3): the
tarball of scripts/package unpacked on debian:bookworm-slim, or `openenv build`'s image for an
environment package (then --command names that package's executable).

What the manifests need from the cluster that this repository does not provide yet: a metrics
pipeline (prometheus-adapter, KEDA) that publishes `openenv_session_utilisation` per pod to the
custom metrics API (the server exports that gauge on GET /metrics, in Prometheus format).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List

import yaml

PORT = 8000
GATEWAY_PORT = 8080
METRIC = "openenv_session_utilisation"

# preStop: wait (bounded) until the server's /ready reports no active session. Plain bash and
# /dev/tcp, since the runtime image (debian:bookworm-slim) has bash but no curl or wget.
PRESTOP = r"""limit=$1; port=$2; end=$((SECONDS + limit))
while [ "$SECONDS" -lt "$end" ]; do
  body=$( { exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3 && cat <&3; } 2>/dev/null ) || exit 0
  [[ $body =~ \"active_sessions\"[[:space:]]*:[[:space:]]*([0-9]+) ]] || exit 0
  [ "${BASH_REMATCH[1]}" -eq 0 ] && exit 0
  sleep 1
done
exit 0"""


class _NoAliases(yaml.SafeDumper):
    """Writes shared dicts (the label sets) out in full instead of as YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def labels(env: str, component: str) -> Dict[str, str]:
    return {"app.kubernetes.io/name": "openenv", "app.kubernetes.io/instance": env,
            "app.kubernetes.io/component": component}


def manifests(a: argparse.Namespace) -> List[Dict[str, Any]]:
    name = f"openenv-{a.env}"
    server_labels = labels(a.env, "server")
    gateway_labels = labels(a.env, "gateway")
    meta = lambda n, l: {"name": n, "namespace": a.namespace, "labels": l}  # noqa: E731
    grace = a.session_drain + a.drain_timeout + 15
    resources = {"requests": {"cpu": a.cpu, "memory": a.memory},
                 "limits": {"cpu": a.cpu, "memory": a.memory}}
    server_args = ["serve", a.env, "--host", "0.0.0.0", "--port", str(PORT),
                   "--max-sessions", str(a.max_sessions), "--drain-timeout", str(a.drain_timeout)]
    server_container = {
        "name": "server",
        "image": a.image,
        "command": [a.command],
        "args": server_args,
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "resources": resources,
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"},
                           "periodSeconds": 2, "timeoutSeconds": 2, "failureThreshold": 1,
                           "successThreshold": 1},
        "livenessProbe": {"httpGet": {"path": "/health", "port": "http"},
                          "periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3},
        "startupProbe": {"httpGet": {"path": "/health", "port": "http"},
                         "periodSeconds": 1, "failureThreshold": 60},
        "lifecycle": {"preStop": {"exec": {"command": [
            "bash", "-c", PRESTOP, "prestop", str(a.session_drain), str(PORT)]}}},
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, server_labels),
        "spec": {
            "replicas": a.replicas,
            "selector": {"matchLabels": server_labels},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": server_labels,
                             "annotations": {"openenv.dev/max-sessions": str(a.max_sessions)}},
                "spec": {
                    "terminationGracePeriodSeconds": grace,
                    "containers": [server_container],
                    "topologySpreadConstraints": [{
                        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": server_labels}}],
                },
            },
        },
    }
    servers_svc = {
        "apiVersion": "v1", "kind": "Service", "metadata": meta(f"{name}-servers", server_labels),
        "spec": {"clusterIP": "None", "selector": server_labels,
                 "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}]},
    }
    pdb = {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(name, server_labels),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": server_labels}},
    }
    hpa = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, server_labels),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": a.min_replicas, "maxReplicas": a.max_replicas,
            "metrics": [{"type": "Pods", "pods": {
                "metric": {"name": METRIC},
                "target": {"type": "AverageValue",
                           "averageValue": f"{round(a.target_utilisation * 1000)}m"}}}],
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0,
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}]},
                "scaleDown": {"stabilizationWindowSeconds": a.scale_down_window,
                              "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
            },
        },
    }
    backends_dns = f"{name}-servers.{a.namespace}.svc.cluster.local:{PORT}"
    gateway = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": meta(f"{name}-gateway", gateway_labels),
        "spec": {
            "replicas": a.gateway_replicas,
            "selector": {"matchLabels": gateway_labels},
            "template": {
                "metadata": {"labels": gateway_labels},
                "spec": {
                    "terminationGracePeriodSeconds": a.session_drain + 15,
                    "containers": [{
                        "name": "gateway",
                        "image": a.gateway_image or a.image,
                        "command": [a.command],
                        "args": ["gateway", "--host", "0.0.0.0", "--port", str(GATEWAY_PORT),
                                 "--backend-dns", backends_dns, "--drain-timeout", str(a.session_drain)],
                        "ports": [{"name": "http", "containerPort": GATEWAY_PORT, "protocol": "TCP"}],
                        "resources": {"requests": {"cpu": "500m", "memory": "256Mi"},
                                      "limits": {"cpu": "2", "memory": "1Gi"}},
                        "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 2},
                        "livenessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10},
                    }],
                },
            },
        },
    }
    gateway_svc = {
        "apiVersion": "v1", "kind": "Service", "metadata": meta(f"{name}-gateway", gateway_labels),
        "spec": {"type": "ClusterIP", "selector": gateway_labels, "sessionAffinity": "ClientIP",
                 "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
    }
    return [deployment, servers_svc, pdb, hpa, gateway, gateway_svc]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", required=True, help="the environment to serve (openenv list)")
    p.add_argument("--image", required=True, help="image with `openenv` (see the module docstring)")
    p.add_argument("--command", default="openenv", help="the executable in the image (default openenv)")
    p.add_argument("--namespace", default="default")
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--min-replicas", type=int, default=None, help="HPA minimum (default: --replicas)")
    p.add_argument("--max-replicas", type=int, default=None, help="HPA maximum (default: 4x --replicas)")
    p.add_argument("--max-sessions", type=int, default=64, help="sessions per server")
    p.add_argument("--cpu", default="1", help="CPU request = limit per server")
    p.add_argument("--memory", default="1Gi", help="memory request = limit per server")
    p.add_argument("--drain-timeout", type=int, default=10,
                   help="the server's --drain-timeout: seconds to answer in-flight calls after SIGTERM")
    p.add_argument("--session-drain", type=int, default=60,
                   help="seconds preStop waits for open sessions to end before SIGTERM")
    p.add_argument("--target-utilisation", type=float, default=0.7,
                   help="HPA target of active ÷ max sessions per pod")
    p.add_argument("--scale-down-window", type=int, default=300)
    p.add_argument("--gateway-image", default=None, help="the gateway's image (default: --image; same binary)")
    p.add_argument("--gateway-replicas", type=int, default=2)
    p.add_argument("--out", help="file to write (default: stdout)")
    return p


def main(argv: List[str] | None = None) -> int:
    a = parser().parse_args(argv)
    a.min_replicas = a.replicas if a.min_replicas is None else a.min_replicas
    a.max_replicas = 4 * a.replicas if a.max_replicas is None else a.max_replicas
    if not (1 <= a.min_replicas <= a.replicas <= a.max_replicas):
        print("generate.py: need 1 <= --min-replicas <= --replicas <= --max-replicas", file=sys.stderr)
        return 2
    if not (0 < a.target_utilisation <= 1):
        print("generate.py: --target-utilisation must be in (0, 1]", file=sys.stderr)
        return 2
    text = yaml.dump_all(manifests(a), Dumper=_NoAliases, sort_keys=False, width=120)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
