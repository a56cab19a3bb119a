"""`openenv init` end to end: the generated package builds, passes its own tests, serves,
and passes `openenv validate --level semantic` — without edits.

Building the package compiles swift-openenv and its dependencies again in a scratch
folder of its own (REPO/.build-init, kept between runs): minutes on a fresh machine, so
this module does it once."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from conftest import OPENENV_BIN, REPO

pytestmark = pytest.mark.swift_only  # (builds a Swift package; independent of the server under test)

SCRATCH = Path(os.environ.get("OPENENV_INIT_SCRATCH") or REPO / ".build-init")


def run(cmd, cwd=None, timeout=1800):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def package():
    if not os.access(OPENENV_BIN, os.X_OK):
        pytest.fail(f"openenv binary not found at {OPENENV_BIN}: build it (swift build) or set OPENENV_BIN")
    root = Path(tempfile.mkdtemp(prefix="openenv-init-"))
    directory = root / "guess_number"
    try:
        out = run([OPENENV_BIN, "init", "guess_number", "--output", directory])
        assert "Sources/GuessNumber/GuessNumberEnvironment.swift" in out
        run(["swift", "build", "--build-tests", "--scratch-path", SCRATCH], cwd=directory)
        yield directory
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_refuses_bad_names_and_non_empty_directories(tmp_path: Path):
    bad = subprocess.run([str(OPENENV_BIN), "init", "Guess Number", "--output", str(tmp_path / "x")], capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid environment name 'Guess Number'" in bad.stderr
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    taken = subprocess.run([str(OPENENV_BIN), "init", "guess", "--output", str(tmp_path / "taken")], capture_output=True, text=True)
    assert taken.returncode != 0 and "is not empty" in taken.stderr


def test_generated_package_passes_its_own_tests(package: Path):
    out = run(["swift", "test", "--skip-build", "--scratch-path", SCRATCH], cwd=package)
    assert re.search(r"Test run with 2 tests .*passed", out), out[-2000:]


def test_generated_package_serves_and_validates(package: Path):
    binary = Path(run(["swift", "build", "--show-bin-path", "--scratch-path", SCRATCH], cwd=package).strip()) / "guess_number"
    proc = subprocess.Popen([str(binary), "serve", "--port", "0", "--max-sessions", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        match = re.search(r"guess_number: listening on (http://\S+)", line)
        assert match, line
        url = match.group(1)
        assert requests.get(url + "/health", timeout=5).json() == {"status": "healthy"}
        listed = subprocess.run([str(binary), "list"], capture_output=True, text=True, timeout=30).stdout
        assert listed.startswith("guess_number\ttyped\t")
        done = subprocess.run([str(OPENENV_BIN), "validate", str(package), "--url", url, "--level", "semantic", "--json"],
                              capture_output=True, text=True, timeout=300)
        report = json.loads(done.stdout)
        failing = [r for r in report["results"] if r["status"] != "pass"]
        assert done.returncode == 0 and report["verdict"] == "pass", json.dumps(failing, indent=1)
        assert report["manifest"]["name"] == "guess_number" and report["levels_run"] == [1, 2, 3]
        # the package's own command line validates too
        own = subprocess.run([str(binary), "validate", "--url", url, "--level", "semantic"], capture_output=True, text=True, timeout=300)
        assert own.returncode == 0, own.stdout[-3000:]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_validate_serve_builds_and_serves_the_package_itself(package: Path):
    done = subprocess.run([str(OPENENV_BIN), "validate", str(package), "--serve", "--scratch-path", str(SCRATCH), "--level", "semantic", "--json"],
                          capture_output=True, text=True, timeout=1800)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["verdict"] == "pass", json.dumps([r for r in report["results"] if r["status"] != "pass"], indent=1)
    assert {r["check_id"] for r in report["results"]} >= {"runtime.startup", "protocol.capacity", "semantic.floor_gap"}
