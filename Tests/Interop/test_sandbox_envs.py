"""The sandboxed environments (`openenv serve coding`, `openenv serve terminal`) driven by
the official Python client, plus abuse against a real server process: the server and
other sessions must be unaffected, and nothing of a closed session may remain.

Needs what the sandbox needs (root, bubblewrap, cgroup v1; see docs/security.md). These
environments exist only in swift-openenv: every test is swift_only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import OPENENV_BIN, TIMEOUT, frame_data, rt, run, start_server, wait_until, ws_error

pytestmark = pytest.mark.swift_only

SESSION_UIDS = range(200_000, 200_000 + 4096)  # the default uid range of the sandbox


def sandbox_processes() -> set[str]:
    """Host processes running as a session uid, as 'pid uid name'."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        uid = int(fields["Uid"].split()[0])
        if uid in SESSION_UIDS:
            found.add(f"{pid} {uid} {fields['Name'].strip()}")
    return found


@pytest.fixture(scope="module")
def coding_server():
    s = start_server("coding", max_sessions=8)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def terminal_server():
    s = start_server("terminal", max_sessions=8)
    yield s
    s.stop()


# --------------------------------------------------------------------------------------
# coding
# --------------------------------------------------------------------------------------


def test_coding_state_persists_across_steps(coding_server):
    with coding_server.client().sync() as env:
        r = env.reset(episode_id="code-1")
        assert r.observation["exit_code"] == 0 and r.observation["stdout"] == "" and r.done is False
        r = env.step({"code": "import math\nradius = 2"})
        assert r.observation["exit_code"] == 0 and r.reward == pytest.approx(0.1)
        r = env.step({"code": "print(round(math.pi * radius ** 2, 3))"})
        assert r.observation["stdout"] == "12.566\n"
        assert r.observation["metadata"]["duration_ms"] >= 0 and r.observation["metadata"]["timed_out"] is False
        r = env.step({"code": "raise KeyError('missing')"})
        assert r.observation["exit_code"] == 1
        assert r.observation["metadata"]["exception"] == {"type": "KeyError", "message": "'missing'"}
        assert "Traceback" in r.observation["stderr"]
        r = env.step({"code": "import os, subprocess\nsubprocess.run(['echo', 'child'])\nprint(os.getcwd())"})
        assert r.observation["stdout"] == "child\n/work\n"
        s = env.state()
        assert s == {"episode_id": "code-1", "step_count": 4, "last_exit_code": 0}
        assert r.observation["metadata"]["interpreter_starts"] == 1
        # reset: a fresh interpreter over an empty /work
        env.step({"code": "open('f', 'w').write('x')"})
        env.reset()
        r = env.step({"code": "import os\nprint(os.listdir('.'))\nprint(radius)"})
        assert r.observation["stdout"] == "[]\n" and r.observation["metadata"]["exception"]["type"] == "NameError"


def test_coding_limits_are_reported(coding_server):
    with coding_server.client().sync() as env:
        env.reset()
        env.step({"code": "kept = 1"})
        r = env.step({"code": "while True:\n    pass", "timeout_s": 1})
        o, m = r.observation, r.observation["metadata"]
        assert m["timed_out"] is True and o["exit_code"] == 124
        assert "wall-clock limit of 1 s" in m["error"] and "fresh interpreter" in m["error"]
        r = env.step({"code": "print(kept)"})
        assert r.observation["metadata"]["exception"]["type"] == "NameError"
        r = env.step({"code": "print('z' * 1_000_000)"})
        assert r.observation["metadata"]["truncated"] is True
        assert "[... openenv: output truncated: " in r.observation["stdout"]
        assert len(r.observation["stdout"]) < 70_000
        assert r.observation["metadata"]["interpreter_starts"] == 2


def test_coding_task_mode_grades_with_hidden_tests(coding_server):
    tests = (
        "from solution import add\n"
        "def test_small():\n    assert add(1, 2) == 3\n"
        "def test_negative():\n    assert add(-1, -1) == -2\n"
        "def test_wrong_on_purpose():\n    assert add(2, 2) == 5\n"
    )
    with coding_server.client().sync() as env:
        env.reset(tests=tests)
        r = env.step({"code": "import os\nprint(os.listdir('/'))\nprint([p for p in os.listdir('/tmp')])"})
        assert "hidden" not in r.observation["stdout"] and "test_small" not in r.observation["stdout"]
        r = env.step({"code": "open('solution.py', 'w').write('def add(a, b):\\n    return a + b\\n')", "submit": True})
        assert r.done is True and r.reward == pytest.approx(2 / 3)
        assert r.observation["metadata"]["tests"] == {"passed": 2, "total": 3, "failed": ["test_wrong_on_purpose"], "error": None}


def test_coding_submit_without_a_task_is_a_validation_error(coding_server):
    async def go():
        async with coding_server.ws() as ws:
            frame_data(await rt(ws, {"type": "reset", "data": {}}), "observation")
            err = ws_error(await rt(ws, {"type": "step", "data": {"code": "1", "submit": True}}), "VALIDATION_ERROR")
            assert "submit needs a task" in str(err)
            unknown = ws_error(await rt(ws, {"type": "step", "data": {"code": "1", "bogus": 1}}), "VALIDATION_ERROR")
            assert "bogus" in str(unknown)

    run(go())


def test_coding_schema_and_metadata(coding_server):
    schema = coding_server.get("/schema").json()
    assert {"code", "submit", "timeout_s"} <= set(schema["action"]["properties"])
    assert schema["action"]["required"] == ["code"]
    assert set(schema["observation"]["properties"]) == {"done", "reward", "metadata", "stdout", "stderr", "exit_code"}
    assert coding_server.get("/metadata").json()["name"] == "CodingEnvironment"


def test_official_validator_passes(coding_server, terminal_server):
    from test_modes import validate

    for server in (coding_server, terminal_server):
        assert validate(server)["summary"]["passed_count"] == 6


def test_default_session_limit_fits_processes(start):
    server = start("coding", max_sessions=None)
    assert server.get("/ready").json()["max_sessions"] == 64


# --------------------------------------------------------------------------------------
# terminal
# --------------------------------------------------------------------------------------


def test_terminal_shell_persists_across_steps(terminal_server):
    with terminal_server.client().sync() as env:
        r = env.reset(episode_id="term-1")
        assert r.observation["cwd"] == "/work" and r.observation["status"] == "completed"
        r = env.step({"command": "mkdir -p src && cd src && export GREETING=hello"})
        assert r.observation["exit_code"] == 0 and r.observation["cwd"] == "/work/src"
        r = env.step({"command": "echo $GREETING from $(pwd); false"})
        assert r.observation["output"] == "hello from /work/src\n" and r.observation["exit_code"] == 1
        r = env.step({"command": "cat <<'EOF' > notes.txt\nline one\nline two\nEOF\nwc -l < notes.txt"})
        assert r.observation["output"] == "2\n" and r.observation["status"] == "completed"
        r = env.step({"command": "sleep 30", "timeout_s": 1})
        assert r.observation["status"] == "timeout" and r.observation["exit_code"] == 130
        assert r.observation["cwd"] == "/work/src"
        r = env.step({"keys": "python3 -q\n", "idle_s": 1})
        assert r.observation["status"] == "running" and ">>> " in r.observation["output"]
        r = env.step({"keys": "print(6 * 7)\n"})
        assert "42" in r.observation["output"]
        r = env.step({"command": "ls"})
        assert r.observation["status"] == "busy"
        r = env.step({"keys": "exit()\n"})
        assert r.observation["status"] == "completed"
        s = env.state()
        assert s["episode_id"] == "term-1" and s["step_count"] == 8 and s["cwd"] == "/work/src"
        r = env.step({"command": "exit 7"})
        assert r.done is True and r.observation["status"] == "exited" and r.observation["exit_code"] == 7
        r = env.step({"command": "pwd"})
        assert r.observation["shell_started"] is True and r.observation["output"] == "/work\n"


def test_terminal_needs_exactly_one_of_command_and_keys(terminal_server):
    async def go():
        async with terminal_server.ws() as ws:
            frame_data(await rt(ws, {"type": "reset", "data": {}}), "observation")
            for data in ({}, {"command": "ls", "keys": "ls\n"}):
                err = ws_error(await rt(ws, {"type": "step", "data": data}), "VALIDATION_ERROR")
                assert "exactly one of 'command' and 'keys'" in str(err)
            assert frame_data(await rt(ws, {"type": "state"}), "state")["step_count"] == 0

    run(go())


# --------------------------------------------------------------------------------------
# abuse against a real server process
# --------------------------------------------------------------------------------------


def test_abuse_leaves_the_server_and_other_sessions_alone(start):
    before = sandbox_processes()
    server = start("coding", max_sessions=8)
    pid = server.proc.pid
    with server.client().sync() as bystander, server.client().sync() as abuser:
        bystander.reset()
        abuser.reset()
        bystander.step({"code": "total = 0"})
        # Try to kill the server by its real pid, then everything the session can reach.
        r = abuser.step({"code": f"import os\ntry:\n    os.kill({pid}, 9)\nexcept OSError as e:\n    print(type(e).__name__)"})
        assert r.observation["stdout"] in ("ProcessLookupError\n", "PermissionError\n")
        r = abuser.step({"code": "import os\nos.system('kill -9 -1')"})
        assert "ended unexpectedly" in r.observation["metadata"]["error"]
        # A fork bomb and a memory bomb, while the bystander keeps counting.
        r = abuser.step({"code": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", "timeout_s": 2})
        m = r.observation["metadata"]
        assert m["timed_out"] is True and "processes was reached" in m["error"]
        r = abuser.step({"code": "b = []\nwhile True:\n    b.append(bytearray(64 << 20))"})
        assert r.observation["metadata"]["exception"]["type"] == "MemoryError"
        for i in range(1, 4):
            r = bystander.step({"code": f"total += {i}\nprint(total)"})
            assert r.observation["stdout"] == f"{sum(range(1, i + 1))}\n"
        # Leftovers: a daemon that detached from everything.
        abuser.step({"code": "import subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)"})
        assert requests.get(server.url("/health"), timeout=TIMEOUT).status_code == 200
    assert server.proc.poll() is None
    wait_until(lambda: sandbox_processes() <= before, 10, what="every process of the closed sessions gone")


def test_a_killed_server_takes_its_sandboxes_along(start):
    before = sandbox_processes()
    # Work directories of other uid ranges (the Swift suite's) are not this server's to sweep.
    others = set(os.listdir("/var/lib/openenv-sandbox/work"))
    server = start("terminal", max_sessions=8)
    with server.client().sync() as first, server.client().sync() as second:
        for env in (first, second):
            env.reset()
            r = env.step({"command": "setsid sleep 1000 & nohup sleep 1001 >/dev/null 2>&1 & echo started"})
            assert r.observation["output"].endswith("started\n")
        assert len(sandbox_processes() - before) >= 2 * 6  # reaper, bwrap, init, driver, bash, sleeps
        os.kill(server.proc.pid, 9)
        server.proc.wait(timeout=10)
        wait_until(lambda: sandbox_processes() <= before, 10, what="the sandboxes of a SIGKILLed server gone")
        abandoned = set(os.listdir("/var/lib/openenv-sandbox/work")) - others
        assert len(abandoned) >= 2  # its work directories, still mounted
    # The next server sweeps what the dead one held.
    again = start("terminal", max_sessions=8)
    assert not abandoned & set(os.listdir("/var/lib/openenv-sandbox/work"))
    with again.client().sync() as env:
        env.reset()
        assert env.step({"command": "echo fine"}).observation["output"] == "fine\n"


def test_a_host_that_cannot_sandbox_refuses_to_start():
    env = dict(os.environ, OPENENV_SANDBOX_BWRAP="/nonexistent/bwrap")
    p = subprocess.run([str(OPENENV_BIN), "serve", "terminal", "--port", "0"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode != 0
    assert "sandbox unavailable: bubblewrap is not installed" in p.stderr
    assert "listening" not in p.stderr


# --------------------------------------------------------------------------------------
# warm pool (--sandbox-pool)
# --------------------------------------------------------------------------------------


def pool_metrics(server) -> dict:
    """The pool's samples in /metrics, parsed by prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(server.url("/metrics"), timeout=TIMEOUT).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name.startswith("openenv_sandbox_pool")}


def session_uids() -> set[int]:
    return {int(p.split()[1]) for p in sandbox_processes()}


@pytest.mark.parametrize("env", ["coding", "terminal"])
def test_a_warm_pool_gives_every_episode_a_fresh_sandbox_and_leaves_nothing_at_exit(start, env):
    before = session_uids()
    work_before = set(os.listdir("/var/lib/openenv-sandbox/work"))
    server = start(env, max_sessions=8, extra_args=["--sandbox-pool", "3", "--sandbox-pool-refill", "2"])
    ready = (("openenv_sandbox_pool_ready", (("env", env),)))
    wait_until(lambda: pool_metrics(server).get(ready) == 3, 30, what="the pool filled")
    pooled = session_uids() - before
    assert len(pooled) == 3, pooled  # three sandboxes started ahead, each its own uid

    list_work = "import os; print(sorted(os.listdir('.')))" if env == "coding" else "ls -A"
    write = {"code": "open('mine', 'w').write('x')"} if env == "coding" else {"command": "touch mine"}
    def listing(client) -> str:
        r = client.step({"code": list_work} if env == "coding" else {"command": list_work})
        return r.observation["stdout" if env == "coding" else "output"]

    with server.client().sync() as a, server.client().sync() as b:
        a.reset()
        b.reset()
        a.step(write)
        assert "mine" not in listing(b)  # another session's sandbox
        a.reset()
        assert "mine" not in listing(a)  # the same session's next episode
    m = pool_metrics(server)
    assert m[("openenv_sandbox_pool_takes_total", (("env", env), ("outcome", "hit")))] == 3
    assert m.get(("openenv_sandbox_pool_takes_total", (("env", env), ("outcome", "miss"))), 0) == 0
    used = session_uids() - before
    # A graceful stop closes the sessions and then the pool's ready sandboxes.
    server._signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0
    wait_until(lambda: not (session_uids() & (pooled | used)), 10, what="every process of the pool's uids gone")
    left = set(os.listdir("/var/lib/openenv-sandbox/work")) - work_before
    assert not left, f"work directories left at exit: {left}"
