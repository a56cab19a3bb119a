"""A user's package that depends on the server and the light environments only
(Tests/Fixtures/LightServer) builds in a clean scratch path without any C library or `-dev`
package, compiles nothing heavier than it needs, and serves echo and grid to the official
client.

What "heavier" means is read from the build itself: the modules SwiftPM compiled for the
fixture (SwiftPM makes a `<Module>.build` directory for every module of the resolved
packages, but only a compiled one holds object files), against the modules the light graph
must not contain. The package description (`swift package describe`) shows that no target of the
project is a system library, so no build of it needs a C header.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from openenv import GenericEnvClient

from conftest import REPO, _die_with_parent, grid_layout, grid_path

pytestmark = pytest.mark.swift_only  # the Swift project's own build graph

FIXTURE = REPO / "Tests" / "Fixtures" / "LightServer"
# Modules the light graph must not compile: the heavy environments and their dependencies.
HEAVY = {
    "OpenEnvQA", "OpenEnvCoding", "OpenEnvTasks", "OpenEnvParquet", "OpenEnvSandbox", "CSandboxSpawn",
    "OpenEnvBridge", "OpenEnvAgents", "OpenEnvRewards", "OpenEnvChatClient", "OpenEnvCatalog",
    "OpenEnvCLI", "OpenEnvValidation", "OpenEnvClient",
    "AsyncHTTPClient", "NIOSSL", "CNIOBoringSSL", "Crypto", "CCryptoBoringSSL", "Yams", "MCP", "Subprocess",
    "HummingbirdWSClient", "ArgumentParser",
    "OTel", "SwiftProtobuf", "OpenEnvOTel",  # tracing export: the `openenv` executable's alone
}


@pytest.fixture(scope="module")
def light_build():
    scratch = Path(os.environ.get("OPENENV_LIGHT_SCRATCH") or tempfile.mkdtemp(prefix="openenv-light-"))
    if not os.environ.get("OPENENV_LIGHT_SCRATCH"):
        shutil.rmtree(scratch, ignore_errors=True)
    build = subprocess.run(
        ["swift", "build", "--package-path", str(FIXTURE), "--scratch-path", str(scratch)],
        capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, (build.stdout + build.stderr)[-3000:]
    yield scratch
    if not os.environ.get("OPENENV_LIGHT_SCRATCH"):
        shutil.rmtree(scratch, ignore_errors=True)


def test_the_project_has_no_system_library_targets():
    described = json.loads(subprocess.run(
        ["swift", "package", "--package-path", str(REPO), "describe", "--type", "json"],
        capture_output=True, text=True, check=True, timeout=600).stdout)
    kinds = {target["name"]: target["type"] for target in described["targets"]}
    assert "OpenEnvParquet" in kinds  # the description is the project's
    assert [name for name, kind in kinds.items() if kind == "system-target"] == []


def test_the_light_package_compiles_nothing_heavy(light_build):
    built = {path.name.removesuffix(".build") for path in (light_build / "debug").glob("*.build")
             if next(path.rglob("*.o"), None) is not None}
    assert {"OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "NIOCore"} <= built
    assert sorted(built & HEAVY) == []


@pytest.mark.parametrize("env", ["echo", "grid"])
def test_the_light_package_serves_the_official_client(light_build, env):
    process = subprocess.Popen([str(light_build / "debug" / "light-server"), env, "0"],
                               stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
    try:
        line = process.stdout.readline()
        assert line.startswith("listening "), line
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        with GenericEnvClient(base_url=url).sync() as client:
            if env == "echo":
                client.reset()
                result = client.step({"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "light"}})
                assert result.observation["result"]["data"] == "light"
            else:
                start, goal = grid_layout(3)
                client.reset(seed=3)
                moves = grid_path(start, goal)
                for move in moves:
                    result = client.step({"action": move})
                assert (len(moves) > 0, result.done, result.reward) == (True, True, 1.0)
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0
