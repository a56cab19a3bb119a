"""Server modes and the official runtime validator (`openenv validate --url`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from openenv.core.mcp_client import MCPToolClient

from conftest import ENV_NAMES, ServerPool, run, valid_action

CRITERIA = {
    "openapi_version_available", "health_endpoint", "metadata_endpoint",
    "schema_endpoint", "mcp_endpoint", "mode_endpoint_consistency",
}
SIMULATION_ONLY = {"/reset", "/step", "/state"}
ALWAYS = {"/health", "/metadata", "/schema", "/mcp", "/list_environments"}


@pytest.fixture(scope="module")
def _production_pool():
    pool = ServerPool(["echo", "grid"], mode="production")
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture(scope="module", params=["echo", "grid"])
def production_server(request, _production_pool):
    return _production_pool.get(request.param)


def validate(server) -> dict:
    """Run the official validator against the server; return its JSON report."""
    p = subprocess.run(
        [sys.executable, "-m", "openenv.cli", "validate", "--url", server.base, "--json", "--timeout", "10"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"},
    )
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"validator exit {p.returncode}; stdout/stderr not JSON:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    failed = {c["id"]: c for c in report.get("criteria", []) if not c.get("passed")}
    assert not failed, f"failed criteria: {json.dumps(failed, indent=1)[:2000]}"
    assert p.returncode == 0, f"validator exit {p.returncode}: {p.stderr[-1000:]}"
    return report


def check_report(report: dict, server, mode: str) -> None:
    assert report["passed"] is True
    assert report["mode"] == mode
    assert report["target"] == server.base
    assert report["standard_profile"] == "openenv-http/1.x"
    assert str(report["standard_version"]).startswith("1.")
    assert {c["id"] for c in report["criteria"]} == CRITERIA
    assert all(c["passed"] for c in report["criteria"])
    assert report["summary"]["passed_count"] == report["summary"]["total_count"] == 6


# --------------------------------------------------------------------------------------
# simulation (the default mode)
# --------------------------------------------------------------------------------------


def test_validate_simulation(env_server):
    check_report(validate(env_server), env_server, "simulation")


# --------------------------------------------------------------------------------------
# production
# --------------------------------------------------------------------------------------


def test_validate_production(production_server):
    check_report(validate(production_server), production_server, "production")


def test_production_openapi_paths(production_server):
    d = production_server.get("/openapi.json").json()
    assert str(d["info"]["version"]).startswith("1.")
    paths = set(d["paths"])
    assert not (paths & SIMULATION_ONLY), f"production mode lists {sorted(paths & SIMULATION_ONLY)}"
    assert ALWAYS <= paths, sorted(paths)


def test_production_simulation_routes_are_404(production_server):
    for method, path, body in (("POST", "/reset", {}), ("POST", "/step", {"action": valid_action(production_server.env)}),
                               ("GET", "/state", None)):
        r = production_server.http.request(method, production_server.url(path), json=body, timeout=10)
        assert r.status_code == 404, f"{method} {path}: {r.status_code}"
        assert r.json() == {"detail": "Not Found"}


def test_production_other_routes_stay(production_server):
    s = production_server
    assert s.get("/health").json() == {"status": "healthy"}
    assert s.get("/metadata").status_code == 200
    assert set(s.get("/schema").json()) == {"action", "observation", "state", "reset_observation"}
    assert s.get("/list_environments").json() == [ENV_NAMES[s.env]]
    assert s.post("/mcp", {}).json()["error"]["code"] == -32600


def test_production_websocket_still_simulates(production_server):
    """The official clients keep working: /ws reset/step/state stay in production mode."""
    env = production_server.env

    async def go():
        async with production_server.client() as c:
            await c.reset(episode_id="prod-ep")
            await c.step(valid_action(env, "prod"))
            s = await c.state()
            assert (s["episode_id"], s["step_count"]) == ("prod-ep", 1)

    run(go())


def test_production_mcp_tool_client(production_server):
    if production_server.env != "echo":
        pytest.skip("MCP tools exist on echo only")

    async def go():
        async with production_server.client(MCPToolClient) as env:
            await env.reset()
            assert [t.name for t in await env.list_tools()] == ["echo_message", "echo_with_length"]
            assert await env.call_tool("echo_message", message="prod") == "prod"

    run(go())
