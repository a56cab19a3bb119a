"""The Python drivers that run inside sandboxed sessions (Sources/OpenEnvCoding/Drivers), tested
as Python: each is started the way the Swift side starts it (`python3 -I -c <source> [limit]`),
outside any sandbox, and spoken to over its JSON-lines protocol. Expected values come from what
Python itself does (the same code run by this interpreter) or from the protocol's docstring.
The terminal driver writes its rc and command files to /tmp, so it runs under bwrap with a
private /tmp (as in a session's sandbox).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.swift_only  # the Swift project's own drivers

DRIVERS = Path(__file__).resolve().parents[2] / "Sources" / "OpenEnvCoding" / "Drivers"


class Driver:
    def __init__(self, name: str, *args: str, wrap: tuple = ()):
        source = (DRIVERS / f"{name}.py").read_text()
        self.process = subprocess.Popen(
            [*wrap, sys.executable, "-I", "-c", source, *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.greeting = self.receive()

    def receive(self) -> dict:
        line = self.process.stdout.readline()
        assert line, "the driver closed its channel: %r" % self.process.stderr.read()
        return json.loads(line)

    def ask(self, **request) -> dict:
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        return self.receive()

    def close(self) -> int:
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=10)
        finally:
            self.process.kill()
            self.process.stdout.close()
            self.process.stderr.close()


@pytest.fixture
def coding():
    driver = Driver("coding_driver", "200")
    yield driver
    driver.close()


def test_coding_keeps_state_and_captures_output(coding):
    assert coding.greeting == {"ready": True, "python": sys.version.split()[0]}
    assert coding.ask(code="x = 40")["stdout"] == ""
    reply = coding.ask(code="import sys\nprint(x + 2)\nprint('err', file=sys.stderr)")
    assert (reply["stdout"], reply["stderr"], reply["exit_code"], reply["exception"]) == ("42\n", "err\n", 0, None)
    assert reply["syntax_error"] is False and reply["duration_ms"] >= 0


def test_coding_captures_output_of_child_processes(coding):
    reply = coding.ask(code="import subprocess\nsubprocess.run(['echo', 'from a child'])")
    assert reply["stdout"] == "from a child\n"


def test_coding_exit_codes_and_exceptions(coding):
    assert coding.ask(code="raise SystemExit(3)")["exit_code"] == 3
    assert coding.ask(code="raise SystemExit")["exit_code"] == 0
    reply = coding.ask(code="raise SystemExit('bye')")
    assert (reply["exit_code"], reply["stderr"]) == (1, "bye\n")
    reply = coding.ask(code="1 / 0")
    assert reply["exit_code"] == 1
    assert reply["exception"] == {"type": "ZeroDivisionError", "message": "division by zero"}
    assert reply["stderr"].startswith("Traceback") and "<cell 4>" in reply["stderr"]


def test_coding_syntax_error_means_what_ast_parse_rejects(coding):
    # `return` outside a function compiles to a SyntaxError but ast.parse accepts it.
    import ast
    ast.parse("return 1")
    reply = coding.ask(code="return 1")
    assert (reply["exit_code"], reply["exception"]["type"], reply["syntax_error"]) == (1, "SyntaxError", False)
    reply = coding.ask(code="def (")
    assert (reply["exception"]["type"], reply["syntax_error"]) == ("SyntaxError", True)


def test_coding_output_beyond_the_limit_is_cut_in_the_middle(coding):
    reply = coding.ask(code="print('a' * 300 + 'b' * 300)")
    assert reply["stdout_bytes"] == 601
    head, marker, tail = reply["stdout"].partition("\n[... openenv: output truncated: 401 of 601 bytes omitted ...]\n")
    assert (head, tail) == ("a" * 100, "b" * 99 + "\n")


def test_coding_rebinding_compile_does_not_break_the_driver(coding):
    coding.ask(code="import builtins\nbuiltins.compile = None")
    assert coding.ask(code="print('still here')")["stdout"] == "still here\n"


def test_grading_reports_passed_failed_and_unittest_cases(tmp_path):
    tests = (
        "import unittest\n"
        "def test_ok(): assert 1 + 1 == 2\n"
        "def test_bad(): assert False\n"
        "def helper(): raise AssertionError\n"
        "class Cases(unittest.TestCase):\n"
        "    def test_a(self): self.assertEqual(2, 2)\n"
        "    def test_b(self): self.assertEqual(2, 3)\n"
    )
    grader = Driver("grading_driver")
    assert grader.greeting == {"ready": True}
    assert grader.ask(tests=tests) == {"passed": ["test_ok", "Cases.test_a"], "failed": ["test_bad", "Cases.test_b"], "error": None}
    assert grader.close() == 0


def test_grading_tests_that_do_not_load_are_an_error():
    grader = Driver("grading_driver")
    assert grader.ask(tests="def broken(:\n") == {
        "passed": [], "failed": [],
        "error": "the tests did not load: SyntaxError: invalid syntax (<hidden tests>, line 1)"}
    grader.close()


@pytest.fixture
def terminal():
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (scripts/test installs it)")
    driver = Driver("terminal_driver", "4096", wrap=("bwrap", "--dev-bind", "/", "/", "--tmpfs", "/tmp", "--die-with-parent", "--"))
    yield driver
    driver.close()


def test_terminal_runs_commands_and_keeps_the_shell(terminal):
    assert terminal.greeting["ready"] is True
    reply = terminal.ask(command="cd /tmp && echo hi")
    assert (reply["output"], reply["exit_code"], reply["cwd"], reply["status"]) == ("hi\n", 0, "/tmp", "completed")
    reply = terminal.ask(command="export X=7; (exit 5)")
    assert (reply["exit_code"], reply["status"]) == (5, "completed")
    assert terminal.ask(command="echo $X; pwd")["output"] == "7\n/tmp\n"


def test_terminal_multi_line_commands_and_raw_keys(terminal):
    assert terminal.ask(command="for i in 1 2 3\ndo echo $i\ndone")["output"] == "1\n2\n3\n"
    reply = terminal.ask(keys="read name\n", idle=0.3)
    assert reply["status"] == "running"
    reply = terminal.ask(keys="ada\n", idle=0.3)
    assert (reply["status"], reply["exit_code"]) == ("completed", 0)
    assert terminal.ask(command="echo $name")["output"] == "ada\n"


def test_terminal_timeout_interrupts_the_foreground_job(terminal):
    reply = terminal.ask(command="sleep 30", timeout=0.5)
    assert reply["status"] == "timeout"
    assert reply["exit_code"] == 130  # bash's status after SIGINT
    assert terminal.ask(command="echo alive")["output"] == "alive\n"


def test_terminal_exit_replaces_the_shell(terminal):
    reply = terminal.ask(command="exit 4")
    assert (reply["status"], reply["exit_code"]) == ("exited", 4)
    reply = terminal.ask(command="echo new")
    assert (reply["shell_started"], reply["output"]) == (True, "new\n")


def test_terminal_output_beyond_the_limit_is_cut(terminal):
    reply = terminal.ask(command="head -c 10000 /dev/zero | tr '\\0' x; echo")
    assert reply["output_bytes"] == 10001
    assert "[... openenv: output truncated: 5905 of 10001 bytes omitted ...]" in reply["output"]
