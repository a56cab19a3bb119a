"""`openenv validate` (the Swift CLI) against a running server: the reference's six HTTP
criteria plus the runtime, protocol and semantic levels, as JSON.

With OPENENV_INTEROP_SERVER=reference the same checks run against the official Python
server: the validator must work against any OpenEnv server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import IS_REFERENCE, OPENENV_BIN

REFERENCE_SIX = ["openapi_version_available", "health_endpoint", "metadata_endpoint", "schema_endpoint",
                 "mcp_endpoint", "mode_endpoint_consistency"]
MAX_SESSIONS = 3


def validate(*args: str, expect_exit: int | None = None) -> dict:
    if not os.access(OPENENV_BIN, os.X_OK):
        pytest.fail(f"openenv binary not found at {OPENENV_BIN}: build it (swift build) or set OPENENV_BIN")
    done = subprocess.run([str(OPENENV_BIN), "validate", *args, "--json"], capture_output=True, text=True, timeout=300)
    if expect_exit is not None:
        assert done.returncode == expect_exit, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    return json.loads(done.stdout)


def outcomes(report: dict) -> dict:
    return {c["id"]: ("skip" if c.get("skipped") else "pass" if c["passed"] else "fail") for c in report["criteria"]}


def test_url_report_has_the_reference_shape(start):
    server = start("grid", max_sessions=MAX_SESSIONS)
    report = validate("--url", server.base, expect_exit=0)
    assert [c["id"] for c in report["criteria"]] == REFERENCE_SIX
    assert {k: report[k] for k in ("target", "validation_type", "standard_profile", "mode", "passed")} == {
        "target": server.base, "validation_type": "running_environment", "standard_profile": "openenv-http/1.x",
        "mode": "simulation", "passed": True}
    assert report["summary"]["required_passed_count"] == report["summary"]["required_total_count"] == 6
    for criterion in report["criteria"]:
        assert {"id", "description", "passed", "required"} <= set(criterion), criterion


def test_grid_passes_the_semantic_level(start):
    server = start("grid", max_sessions=MAX_SESSIONS)
    report = validate("--url", server.base, "--level", "semantic", "--max-sessions", str(MAX_SESSIONS), expect_exit=0)
    results = outcomes(report)
    assert report["passed"] and report["level"] == "semantic"
    assert set(results.values()) == {"pass"}, {k: v for k, v in results.items() if v != "pass"}
    for id in ("runtime.observation_schema", "runtime.state_contract", "runtime.reward_well_formed", "protocol.invalid_json",
               "protocol.capacity", "protocol.close", "semantic.seed_determinism", "semantic.seed_sensitivity",
               "semantic.done_reachable", "semantic.floor_gap", "semantic.episode_isolation", "semantic.session_cleanup"):
        assert results[id] == "pass", id


def test_echo_fails_the_reward_criteria_and_says_why(start):
    server = start("echo", max_sessions=MAX_SESSIONS)
    report = validate("--url", server.base, "--level", "semantic", "--max-sessions", str(MAX_SESSIONS), expect_exit=1)
    results = outcomes(report)
    failed = {k for k, v in results.items() if v == "fail"}
    expected = {"runtime.reward_well_formed", "semantic.reward_range", "semantic.seed_sensitivity", "semantic.done_reachable"}
    if IS_REFERENCE:  # the reference echo's reset replies miss its published reset_observation's tool_name
        expected.add("runtime.observation_schema")
    assert failed == expected, json.dumps(report["criteria"], indent=1)[:4000]
    assert all(results[i] == "pass" for i in REFERENCE_SIX + ["protocol.session_isolation", "protocol.capacity", "semantic.session_cleanup"])
    by_id = {c["id"]: c for c in report["criteria"]}
    assert "reward must be a finite number, got null" in by_id["runtime.reward_well_formed"]["details"]
    assert report["summary"]["failed_criteria"] == [c["id"] for c in report["criteria"] if c["id"] in failed]


def test_package_and_url_together_read_the_manifest(start, tmp_path: Path):
    server = start("grid", max_sessions=MAX_SESSIONS)
    (tmp_path / "openenv.yaml").write_text(
        "name: grid_env\nversion: 0.1.0\nport: 8000\nvalidation:\n"
        "  reward: {range: [0, 0.5], floor_margin: 0.1}\n"
        "  resources: {cpu: 1, memory_mb: 256, disk_mb: 64, episode_timeout_s: 60}\n"
        "  capabilities: {verifier: {kind: reward_channel}}\n  types: {tags: [grid]}\n")
    report = validate(str(tmp_path), "--url", server.base, "--level", "semantic", "--max-sessions", str(MAX_SESSIONS), expect_exit=1)
    assert report["report_schema_version"] == "2" and report["signature"] == "openenv.yaml" and report["levels_run"] == [1, 2, 3]
    assert report["manifest"]["reward"]["range"] == [0.0, 0.5]
    results = {r["check_id"]: r["status"] for r in report["results"]}
    assert results["static.manifest"] == "pass"
    assert results["static.layout"] == "fail"  # no Package.swift, Dockerfile or README: warns only
    assert results["semantic.reward_range"] == "fail"  # grid pays 1.0, outside the declared [0, 0.5]
    assert results["runtime.health_endpoint"] == "pass" and results["protocol.close"] == "pass"
    assert report["verdict"] == "fail"


def test_exit_codes_for_a_missing_package_and_an_unwritable_report(start, tmp_path: Path):
    server = start("echo", max_sessions=MAX_SESSIONS)
    missing = subprocess.run([str(OPENENV_BIN), "validate", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "has no openenv.yaml" in missing.stderr
    report = tmp_path / "report.json"
    written = subprocess.run([str(OPENENV_BIN), "validate", "--url", server.base, "--output", str(report)], capture_output=True, text=True, timeout=60)
    assert written.returncode == 0 and json.loads(report.read_text())["passed"] is True
    assert written.stdout.startswith(f"Validation report for {server.base} (profile: openenv-http/1.x)")
    unwritable = subprocess.run([str(OPENENV_BIN), "validate", "--url", server.base, "--output", str(tmp_path / "no" / "r.json")],
                                capture_output=True, text=True, timeout=60)
    assert unwritable.returncode == 3 and "cannot write the report" in unwritable.stderr
    local = subprocess.run([str(OPENENV_BIN), "validate", "--url", server.base, "--local"], capture_output=True, text=True, timeout=60)
    assert local.returncode == 1 and "--local cannot be combined with a running URL" in local.stderr


def test_skip_build_skips_the_running_checks_of_a_package(start, tmp_path: Path):
    server = start("grid", max_sessions=MAX_SESSIONS)
    (tmp_path / "openenv.yaml").write_text(
        "name: grid_env\nvalidation:\n  reward: {floor_margin: 0.1}\n"
        "  resources: {cpu: 1, memory_mb: 256, disk_mb: 64, episode_timeout_s: 60}\n"
        "  capabilities: {verifier: {kind: reward_channel}}\n  types: {tags: [grid]}\n")
    report = validate(str(tmp_path), "--url", server.base, "--skip-build", expect_exit=0)
    assert [(r["check_id"], r["status"]) for r in report["results"]][-1] == ("runtime.startup", "skip")
    assert report["results"][-1]["evidence"] == ["--skip-build: build-dependent runtime checks skipped"]
    assert report["verdict"] == "warn"
