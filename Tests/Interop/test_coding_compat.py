"""`openenv serve coding` read by the reference coding_env's own kind of typed client.

The upstream client (huggingface/OpenEnv `envs/coding_env/client.py`) builds
`CodeObservation(**payload["observation"])` and `CodeState(episode_id=..., step_count=...,
last_exit_code=payload.get("last_exit_code", 0))`; observations in openenv 0.10.0 forbid
extra fields. The coding_env package is not on PyPI and not in the pinned venv, so the
models and the client below are written here from the reference's documented field lists
(`envs/coding_env/models.py`: CodeAction.code; CodeObservation stdout "", stderr "",
exit_code 0; CodeState last_exit_code 0) on the real base classes and the real `EnvClient`
of openenv 0.10.0. Every reset, step and state reply is parsed with them, in strict mode.

REFERENCE below was measured once by driving the upstream coding_env server (OpenEnv commit
385de5e, smolagents 1.26.0, openenv 0.10.0) with this episode; its rewards also follow by
hand from upstream `transforms.py` (safety -1.0 for a dangerous pattern, else 0.0; +0.1 for
code of at most 100 characters after strip(); -0.2 when ast.parse fails). The differences
in values are the documented ones (docs/compatibility.md, "coding"): our interpreter is
CPython in a sandbox, the reference's is smolagents' restricted evaluator.

Needs the sandbox (root, bubblewrap): swift_only, like test_sandbox_envs.py.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest
from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.types import Action, Observation, State
from pydantic import BaseModel, ConfigDict

from conftest import TIMEOUT, frame_data, rt, run, start_server

pytestmark = pytest.mark.swift_only


# --------------------------------------------------------------------------------------
# the reference's types, from its documented field lists
# --------------------------------------------------------------------------------------


class CodeAction(Action):
    code: str


class CodeObservation(Observation):  # extra="forbid", inherited from openenv's Observation
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0


class CodeState(State):  # openenv's State allows extra fields; the reference declares one
    last_exit_code: int = 0


class ExactCodeState(CodeState):
    """Stricter than the reference client: the state has the reference's keys and no others."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """The `/ws` observation payload and the HTTP `/reset` `/step` body."""

    model_config = ConfigDict(extra="forbid")
    observation: CodeObservation
    reward: Optional[float]
    done: bool
    metadata: Optional[Dict[str, Any]] = None


class CodingEnv(EnvClient[CodeAction, CodeObservation, CodeState]):
    """What the reference's CodingEnv client does with each payload."""

    def _step_payload(self, action: CodeAction) -> Dict[str, Any]:
        return {"code": action.code}

    def _parse_result(self, payload: Dict[str, Any]) -> StepResult[CodeObservation]:
        return StepResult(observation=CodeObservation(**payload["observation"]), reward=payload.get("reward"),
                          done=bool(payload.get("done", False)))

    def _parse_state(self, payload: Dict[str, Any]) -> CodeState:
        return CodeState(episode_id=payload.get("episode_id"), step_count=payload.get("step_count", 0),
                         last_exit_code=payload.get("last_exit_code", 0))


def strict_reply(data: Dict[str, Any]) -> Reply:
    return Reply.model_validate(data, strict=True)


def strict_state(data: Dict[str, Any]) -> ExactCodeState:
    return ExactCodeState.model_validate(data, strict=True)


# --------------------------------------------------------------------------------------
# what the reference answered (measured; see the module docstring)
# --------------------------------------------------------------------------------------

OBSERVATION_KEYS = {"metadata", "stdout", "stderr", "exit_code"}
STATE_KEYS = {"episode_id", "step_count", "last_exit_code"}

# (code, reward, reference stdout, reference exit_code, reference observation metadata)
REFERENCE = [
    ("print('Hello, World!')", 0.1, "Hello, World!\n", 0, {"last_code": "print('Hello, World!')"}),
    ("x = 5 + 3\nprint(f'Result: {x}')", 0.1, "Result: 8\n", 0, {"last_code": "x = 5 + 3\nprint(f'Result: {x}')"}),
    ("my_var = 42", 0.1, "42", 0, {"last_code": "my_var = 42"}),
    ("print(my_var)", 0.1, "42\n", 0, {"last_code": "print(my_var)"}),
    ("print('Hello'", -0.1, "", 1, {"last_code": "print('Hello'"}),
    ("import os", -0.9, "", 1, {"last_code": "import os", "safety_violation": "import\\s+os"}),
]
REFERENCE_RESET = {"observation": {"metadata": {}, "stdout": "", "stderr": "", "exit_code": 0}, "reward": 0.0,
                   "done": False}
# Where our values differ, and why (docs/compatibility.md):
# - smolagents prints the value of a trailing assignment ("42" for `my_var = 42`); CPython
#   running a cell prints nothing;
# - smolagents refuses `import os` (exit_code 1); our sandbox runs it (exit_code 0). The
#   reward is the reference's all the same: it looks at the code, not at what it did.
OURS = {"my_var = 42": ("", 0), "import os": ("", 0)}


@pytest.fixture(scope="module")
def coding():
    s = start_server("coding", max_sessions=8)
    yield s
    s.stop()


def test_the_reference_client_reads_an_episode_like_the_references(coding):
    with coding.client(CodingEnv).sync() as env:
        assert env.state().last_exit_code == 0
        r = env.reset()
        assert isinstance(r.observation, CodeObservation)
        assert (r.observation.stdout, r.observation.stderr, r.observation.exit_code) == ("", "", 0)
        assert r.reward == REFERENCE_RESET["reward"] and type(r.reward) is float and r.done is False
        assert r.observation.metadata == {}
        for code, reward, stdout, exit_code, _ in REFERENCE:
            r = env.step(CodeAction(code=code))
            assert isinstance(r.observation, CodeObservation)
            assert r.reward == reward and type(r.reward) is float, code
            assert (r.observation.stdout, r.observation.exit_code) == OURS.get(code, (stdout, exit_code)), code
            assert r.done is False
        s = env.state()
        assert isinstance(s, CodeState) and isinstance(s.episode_id, str) and s.step_count == len(REFERENCE)
        assert s.last_exit_code == 0  # the reference: 1 (it refused `import os`)


def test_every_ws_frame_has_the_references_shape(coding):
    async def go():
        async with coding.ws() as ws:
            before = frame_data(await rt(ws, {"type": "state"}), "state")
            assert strict_state(before).last_exit_code == 0 and set(before) == STATE_KEYS
            reset = frame_data(await rt(ws, {"type": "reset", "data": {}}), "observation")
            assert reset == REFERENCE_RESET
            strict_reply(reset)
            for code, reward, stdout, exit_code, metadata in REFERENCE:
                data = frame_data(await rt(ws, {"type": "step", "data": {"code": code}}), "observation")
                reply = strict_reply(data)
                assert set(data) == {"observation", "reward", "done", "metadata"}, code
                assert set(data["observation"]) == OBSERVATION_KEYS, code
                assert type(data["reward"]) is float and data["reward"] == reward, code
                # the reference's metadata, unchanged, and ours beside it; also at the top level
                assert metadata.items() <= data["observation"]["metadata"].items(), code
                assert data["metadata"] == data["observation"]["metadata"]
                assert (reply.observation.stdout, reply.observation.exit_code) == OURS.get(code, (stdout, exit_code))
            state = frame_data(await rt(ws, {"type": "state"}), "state")
            assert set(state) == STATE_KEYS and strict_state(state).step_count == len(REFERENCE)

    run(go())


def test_our_details_travel_in_the_metadata(coding):
    with coding.client().sync() as env:
        env.reset()
        r = env.step({"code": "import time\nraise KeyError('missing')"})
        assert set(r.observation) == OBSERVATION_KEYS
        m = r.observation["metadata"]
        assert m["exception"] == {"type": "KeyError", "message": "'missing'"}
        assert m["syntax_error"] is False and m["timed_out"] is False and m["truncated"] is False
        assert m["interpreter_starts"] == 1 and m["duration_ms"] >= 0 and "error" not in m
        assert r.reward == pytest.approx(0.1) and r.observation["exit_code"] == 1
        r = env.step({"code": "while True:\n    pass", "timeout_s": 1})
        assert set(r.observation) == OBSERVATION_KEYS and r.observation["exit_code"] == 124
        assert r.observation["metadata"]["timed_out"] is True and "fresh interpreter" in r.observation["metadata"]["error"]
        assert r.reward == pytest.approx(0.1)  # the code is short, parses and is safe
        assert env.step({"code": "pass"}).observation["metadata"]["interpreter_starts"] == 2


def test_http_replies_have_the_references_shape(coding):
    body = coding.post("/reset", {}).json()
    assert body == dict(REFERENCE_RESET, metadata=None)
    strict_reply(body)
    body = coding.post("/step", {"action": {"code": "import os"}}).json()
    reply = strict_reply(body)
    assert set(body["observation"]) == OBSERVATION_KEYS and body["reward"] == -0.9
    assert body["metadata"] == body["observation"]["metadata"]
    assert body["metadata"]["safety_violation"] == "import\\s+os"
    assert reply.observation.exit_code == 0
    # The reference's app declares no state class, so its GET /state shows only
    # episode_id and step_count; ours shows CodeState's three keys (docs/compatibility.md).
    state = coding.get("/state").json()
    assert state == {"episode_id": None, "step_count": 0, "last_exit_code": 0}
    strict_state(state)


def test_task_mode_rewards_in_the_same_shape(coding):
    tests = ("from solution import add\n"
             "def test_small():\n    assert add(1, 2) == 3\n"
             "def test_wrong_on_purpose():\n    assert add(2, 2) == 5\n")

    async def go():
        async with coding.ws() as ws:
            reset = strict_reply(frame_data(await rt(ws, {"type": "reset", "data": {"tests": tests}}), "observation"))
            assert reset.reward == 0.0
            # outside task mode this would cost -0.9 (`open(`); a task's steps earn 0.0
            write = {"code": "open('solution.py', 'w').write('def add(a, b):\\n    return a + b\\n')"}
            step = frame_data(await rt(ws, {"type": "step", "data": write}), "observation")
            assert strict_reply(step).reward == 0.0 and "safety_violation" not in step["metadata"]
            submit = frame_data(await rt(ws, {"type": "step", "data": {"code": "", "submit": True}}), "observation")
            reply = strict_reply(submit)
            assert reply.done is True and reply.reward == 0.5
            assert submit["metadata"]["tests"] == {"passed": 1, "total": 2, "failed": ["test_wrong_on_purpose"],
                                                   "error": None}
            assert set(frame_data(await rt(ws, {"type": "state"}), "state")) == STATE_KEYS

    run(go(), timeout=4 * TIMEOUT)


def test_schema_is_the_references(coding):
    schema = coding.get("/schema").json()
    observation = schema["observation"]
    assert set(observation["properties"]) == {"done", "reward"} | OBSERVATION_KEYS
    assert observation["additionalProperties"] is False and observation["title"] == "CodeObservation"
    assert {k: observation["properties"][k]["type"] for k in ("stdout", "stderr", "exit_code")} == {
        "stdout": "string", "stderr": "string", "exit_code": "integer"}
    assert schema["state"]["properties"]["last_exit_code"]["type"] == "integer"
    assert set(schema["state"]["properties"]) == STATE_KEYS
    assert json.dumps(schema["action"]["required"]) == '["code"]'
