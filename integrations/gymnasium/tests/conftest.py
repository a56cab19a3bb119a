"""Real `openenv serve` processes on free loopback ports for the Gymnasium adapter's tests.

OPENENV_BIN: the binary (default <repo>/.build/debug/openenv, as in Tests/Interop). Every
server a test starts is stopped (SIGTERM, then SIGKILL) when its fixture ends.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
OPENENV_BIN = Path(os.environ.get("OPENENV_BIN") or REPO / ".build" / "debug" / "openenv")
sys.path.insert(0, str(HERE.parent))  # openenv_gym and train_catch
for _k in ("NO_PROXY", "no_proxy"):
    os.environ[_k] = "127.0.0.1,localhost"


class Server:
    def __init__(self, args: List[str]):
        self.process = subprocess.Popen([str(OPENENV_BIN), "serve", *args, "--host", "127.0.0.1", "--port", "0"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.process.stderr:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise RuntimeError(f"openenv serve {' '.join(args)} exited with {self.process.wait()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not OPENENV_BIN.exists():
        pytest.exit(f"no openenv binary at {OPENENV_BIN} (build it, or set OPENENV_BIN)", returncode=3)


@pytest.fixture(scope="module")
def catch() -> Iterator[Server]:
    server = Server(["openspiel", "--game", "catch", "--max-sessions", "64"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def grid() -> Iterator[Server]:
    server = Server(["grid", "--max-sessions", "16"])
    yield server
    server.stop()
