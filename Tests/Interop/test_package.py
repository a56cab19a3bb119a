"""The release artifacts of scripts/package run without a Swift toolchain.

The tarball (OPENENV_PACKAGE_TARBALL) is unpacked and served from a minimal Debian root
(`debootstrap --variant=minbase bookworm`: no Swift, no `-dev` package, no Python), entered
with bubblewrap (the root bound as `/`, its own /proc and /dev, the host's network), and the
official client drives echo and grid from outside; qa, whose dataset is a resource bundle,
answers from the same root, where the build directory the binary came from does not exist.
On the host, coding and qa are served from the unpacked tree with the build directory hidden
under an empty tmpfs, so Bundle.module can only have found the bundles next to the binary.

The wheel (OPENENV_PACKAGE_WHEEL) is installed into a fresh venv with the official
openenv==0.10.0 (from PyPI): both commands exist, and `swift-openenv serve echo --port 0`
answers the official client.

The Debian root is cached between runs in ${XDG_CACHE_HOME:-~/.cache}/swift-openenv/ (about
200 MB; debootstrap is installed from Debian when missing and running as root). scripts/test
sets both variables after scripts/package; without them the tests skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import requests
from openenv import GenericEnvClient

from conftest import REPO, Server, ServerStartError, _die_with_parent, free_port, grid_layout, grid_path

pytestmark = pytest.mark.swift_only  # the Swift project's own artifacts

TARBALL = os.environ.get("OPENENV_PACKAGE_TARBALL") or ""
WHEEL = os.environ.get("OPENENV_PACKAGE_WHEEL") or ""
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "swift-openenv"
ROOT = CACHE / "bookworm-minbase"
BUNDLES = ("swift-openenv_OpenEnvQA.resources", "swift-openenv_OpenEnvCoding.resources")
# What the static-stdlib binary may still load at start: glibc's libraries, libstdc++ and
# libgcc_s; and libz.so.1, which compress-nio (under hummingbird's WebSocket client) names for
# the linker though no symbol of it is used (checked below with objdump: every undefined
# symbol is glibc's, libstdc++'s or libgcc's, or weak).
ALLOWED = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
           "libstdc++.so.6", "libgcc_s.so.1", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
           "libz.so.1"}
DATASET = REPO / "Sources" / "OpenEnvQA" / "Dataset" / "jsonl"


def first_test_question() -> dict:
    return json.loads((DATASET / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])


# --------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unpacked() -> Iterator[Path]:
    """The tarball unpacked into a fresh directory: the openenv-<version>-linux-<arch> tree."""
    if not TARBALL:
        pytest.skip("OPENENV_PACKAGE_TARBALL is unset (scripts/test sets it after scripts/package)")
    where = Path(tempfile.mkdtemp(prefix="openenv-unpacked-"))
    try:
        with tarfile.open(TARBALL) as tar:
            tar.extractall(where, filter="tar") if hasattr(tarfile, "data_filter") else tar.extractall(where)
        (tree,) = where.iterdir()
        yield tree
    finally:
        shutil.rmtree(where, ignore_errors=True)


def installed_packages(root: Path) -> List[str]:
    status = (root / "var" / "lib" / "dpkg" / "status").read_text(encoding="utf-8")
    names = []
    for stanza in status.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
        if fields.get("Status", "").endswith(" installed"):
            names.append(fields["Package"])
    return names


@pytest.fixture(scope="module")
def debian_root() -> Path:
    """A minbase Debian bookworm root, made once by debootstrap and cached."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is missing (scripts/test installs it)")
    if not (ROOT / "var" / "lib" / "dpkg" / "status").is_file():
        if os.geteuid() != 0:
            pytest.skip(f"{ROOT} is missing and debootstrap needs root")
        if shutil.which("debootstrap") is None:
            subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL, timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=True,
                           stdout=subprocess.DEVNULL, timeout=600)
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = CACHE / f"bookworm-minbase.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        made = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(partial), "http://deb.debian.org/debian"],
                              capture_output=True, text=True, timeout=1800)
        assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
        partial.rename(ROOT)
    return ROOT


def start_in(cmd: List[str], env: str, port: int) -> Server:
    server = Server(env, port, cmd, dict(os.environ), {})
    try:
        server.wait_ready()
    except ServerStartError as e:
        server.stop()
        pytest.fail(str(e), pytrace=False)
    return server


def serve_in_root(root: Path, tree: Path, env: str) -> Server:
    """`openenv serve ENV` inside the Debian root, with the unpacked tree at /opt/openenv."""
    port = free_port()
    cmd = ["bwrap", "--ro-bind", str(root), "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
           "--tmpfs", "/opt", "--ro-bind", str(tree), "/opt/openenv", "--unshare-pid", "--die-with-parent",
           "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/tmp",
           "--chdir", "/tmp",
           "/opt/openenv/bin/openenv", "serve", env, "--host", "127.0.0.1", "--port", str(port)]
    return start_in(cmd, env, port)


# --------------------------------------------------------------------------------------
# the tarball
# --------------------------------------------------------------------------------------


def test_the_tree_is_the_binary_and_its_resource_bundles(unpacked):
    assert re.fullmatch(r"openenv-[0-9][0-9A-Za-z.+]*-linux-(x86_64|aarch64)", unpacked.name), unpacked.name
    assert sorted(p.name for p in (unpacked / "bin").iterdir()) == sorted(["openenv", *BUNDLES])
    assert os.access(unpacked / "bin" / "openenv", os.X_OK)
    shipped = (unpacked / "bin" / BUNDLES[0] / "Dataset" / "jsonl" / "test.jsonl").read_bytes()
    assert shipped == (DATASET / "test.jsonl").read_bytes()
    for driver in ("coding_driver.py", "terminal_driver.py"):
        assert (unpacked / "bin" / BUNDLES[1] / "Drivers" / driver).read_bytes() == \
            (REPO / "Sources" / "OpenEnvCoding" / "Drivers" / driver).read_bytes()


def test_the_binary_needs_nothing_of_swift_at_load_time(unpacked):
    out = subprocess.run(["ldd", str(unpacked / "bin" / "openenv")], capture_output=True, text=True, check=True).stdout
    needed = {line.split()[0].rsplit("/", 1)[-1] for line in out.splitlines() if line.strip()}
    assert "libc.so.6" in needed  # (the listing is ldd's)
    assert needed <= ALLOWED, f"unexpected libraries: {sorted(needed - ALLOWED)}\n{out}"
    assert "not found" not in out
    symbols = subprocess.run(["objdump", "-T", str(unpacked / "bin" / "openenv")], capture_output=True, text=True,
                             check=True).stdout
    undefined = [line for line in symbols.splitlines() if "*UND*" in line]
    assert any("GLIBC_" in line for line in undefined)  # (the listing is objdump's)
    foreign = [line for line in undefined if not re.search(r"\((GLIBC|GLIBCXX|CXXABI|GCC)_[0-9.]+\)|^\S+\s+w\s", line)]
    assert foreign == [], "\n".join(foreign)


def test_the_debian_root_has_no_swift_and_no_dev_package(debian_root):
    packages = installed_packages(debian_root)
    assert "libc6" in packages and "libstdc++6" in packages and "zlib1g" in packages
    assert [p for p in packages if p.endswith("-dev")] == []
    assert [p for p in packages if p.startswith("python3")] == []
    found = subprocess.run(["find", str(debian_root), "-xdev", "(", "-name", "libswift*", "-o", "-name", "swift*",
                            "-o", "-name", "libFoundation*", "-o", "-name", "libdispatch*", ")"],
                           capture_output=True, text=True, check=True).stdout
    assert found == ""


def test_echo_served_from_the_clean_root_answers_the_official_client(debian_root, unpacked):
    server = serve_in_root(debian_root, unpacked, "echo")
    try:
        with GenericEnvClient(base_url=server.base).sync() as env:
            env.reset(episode_id="ep-1")
            r = env.step({"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "hi"}})
            assert r.observation["result"]["data"] == "hi"
    finally:
        server.stop()


def test_grid_served_from_the_clean_root_walks_to_the_goal(debian_root, unpacked):
    server = serve_in_root(debian_root, unpacked, "grid")
    try:
        start, goal = grid_layout(7)
        moves = grid_path(start, goal)
        assert moves  # seed 7 does not start on the goal
        with GenericEnvClient(base_url=server.base).sync() as env:
            env.reset(seed=7)
            for i, move in enumerate(moves):
                r = env.step({"action": move})
                assert r.done == (i == len(moves) - 1)
            assert r.reward == 1.0
    finally:
        server.stop()


def test_qa_served_from_the_clean_root_reads_its_bundled_dataset(debian_root, unpacked):
    # The binary's fallback (its build directory) does not exist in the root: the bundle next to
    # the binary is the only one it can read. The Parquet copy is read (the JSON Lines file is
    # the expected value).
    server = serve_in_root(debian_root, unpacked, "qa")
    try:
        r = server.post("/qa_env/task", {"split": "test", "index": 0})
        assert r.status_code == 200, r.text
        assert r.json() == {"task": first_test_question()}
    finally:
        server.stop()


def build_directories(binary: Path) -> List[str]:
    """The absolute bundle paths the binary falls back to (SwiftPM's accessor: its build directory)."""
    data = binary.read_bytes()
    found = {m.group(0).decode() for m in re.finditer(rb"/[!-~]*?/swift-openenv_OpenEnv(QA|Coding)\.resources", data)}
    return sorted({str(Path(p).parent) for p in found})


def test_coding_and_qa_from_the_unpacked_tree_with_the_build_directory_hidden(unpacked):
    if os.geteuid() != 0 or shutil.which("bwrap") is None or shutil.which("python3") is None:
        pytest.skip("needs root (a mount namespace), bubblewrap and python3 (the coding sandbox)")
    hidden = build_directories(unpacked / "bin" / "openenv")
    assert hidden, "the binary names no build directory (SwiftPM's Bundle.module fallback)"
    hidden = [p for p in hidden if Path(p).is_dir()]  # (in CI, the directory the interop suite serves from)
    for env in ("coding", "qa"):
        port = free_port()
        cmd = [sys.executable, str(Path(__file__).parent / "hidden_run.py"), *hidden, "--",
               str(unpacked / "bin" / "openenv"), "serve", env, "--host", "127.0.0.1", "--port", str(port)]
        server = start_in(cmd, env, port)
        try:
            with GenericEnvClient(base_url=server.base).sync() as client:
                if env == "coding":
                    client.reset()
                    r = client.step({"code": "print(6 * 7)"})
                    assert r.observation["stdout"].strip() == "42", r.observation
                    assert r.observation["exit_code"] == 0
                else:
                    r = client.reset(split="test", index=0)
                    assert first_test_question()["question"] in json.dumps(r.observation)
        finally:
            server.stop()


# --------------------------------------------------------------------------------------
# the wheel
# --------------------------------------------------------------------------------------


class StderrLines:
    """Collects a process's stderr lines on a thread (the pipe never fills)."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: List[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            self.lines.append(line.decode(errors="replace"))

    def wait_for(self, pattern: str, timeout: float) -> Optional[re.Match]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            time.sleep(0.05)
        return None


@pytest.fixture(scope="module")
def venv() -> Iterator[Path]:
    if not WHEEL:
        pytest.skip("OPENENV_PACKAGE_WHEEL is unset (scripts/test sets it after scripts/package)")
    where = Path(tempfile.mkdtemp(prefix="openenv-wheel-venv-"))
    try:
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
        pip = subprocess.run([str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              WHEEL, "openenv==0.10.0"], capture_output=True, text=True, timeout=1200)
        assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_both_commands_are_installed_side_by_side(venv):
    shown = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "show", "swift-openenv", "openenv"],
                           capture_output=True, text=True, check=True).stdout
    assert "Name: swift-openenv" in shown and "Name: openenv\n" in shown and "Version: 0.10.0" in shown
    ours = subprocess.run([str(venv / "bin" / "swift-openenv"), "list"], capture_output=True, text=True, timeout=60)
    assert ours.returncode == 0, ours.stderr
    assert {line.split("\t")[0] for line in ours.stdout.splitlines()} >= {"echo", "grid", "qa", "coding"}
    official = subprocess.run([str(venv / "bin" / "openenv"), "--help"], capture_output=True, text=True, timeout=120)
    assert official.returncode == 0, official.stderr
    assert "openenv" in (venv / "bin" / "openenv").read_text(errors="replace")  # the official entry point script
    assert "from openenv" in (venv / "bin" / "openenv").read_text(errors="replace")


def test_swift_openenv_serves_echo_on_a_free_port(venv):
    proc = subprocess.Popen([str(venv / "bin" / "swift-openenv"), "serve", "echo", "--host", "127.0.0.1", "--port", "0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=_die_with_parent)
    try:
        lines = StderrLines(proc)
        m = lines.wait_for(r"openenv: listening on (http://[0-9.]+:([0-9]+))", 60)
        assert m, "".join(lines.lines)
        assert int(m.group(2)) > 0
        assert requests.get(m.group(1) + "/health", timeout=10).status_code == 200
        with GenericEnvClient(base_url=m.group(1)).sync() as env:
            env.reset()
            r = env.step({"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "hi"}})
            assert r.observation["result"]["data"] == "hi"
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
