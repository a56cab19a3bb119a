#!/usr/bin/env python3
"""Python OpenEnv server for swift-openenv's interop tests and benchmarks.

It is built only on the public API of the official `openenv` package (0.10.0 from PyPI):
`create_app`, `Environment`, `MCPEnvironment` and FastMCP. It is the "reference" side of
Tests/Interop (OPENENV_INTEROP_SERVER=reference): the suite must pass against it, and
the Swift server (`openenv serve echo|grid`) must behave the same on the wire.

    python Tests/Interop/reference_env.py --env echo|grid|qa [--host 127.0.0.1] [--port 8000]
        [--max-sessions N] [--session-timeout S] [--mode simulation|production]
        [--log-level warning]

Environments
------------
echo   An MCP environment that answers like the upstream echo_env of huggingface/OpenEnv.
       Tools: echo_message(message) -> str, echo_with_length(message) -> {message, length}.
       Actions/observations are openenv's CallToolAction/CallToolObservation, so both
       {"type":"call_tool",...} and {"type":"list_tools"} steps work. reset() returns
       reward 0.0, done false, metadata {"status":"ready","message":"Echo environment ready!"},
       honours episode_id (else a fresh UUID4) and ignores seed. Every step counts in
       step_count (tool calls that fail too); JSON-RPC tool calls (POST /mcp, WS /mcp,
       {"type":"mcp"} frames) are not steps. /metadata name "EchoEnvironment", env name
       "echo_env".

grid   A typed environment without MCP: a 5x5 grid world (env name "grid_env",
       /metadata name "GridEnvironment").
       action       {"action": "UP" | "DOWN" | "LEFT" | "RIGHT"} (UP: row-1, LEFT: col-1)
       observation  row, col, goal_row, goal_col, size, hit_wall (+ done, reward, metadata)
       state        episode_id, step_count, row, col, goal_row, goal_col, size, seed,
                    reached_goal (declared as the app's state_cls, so /schema and
                    GET /state show the fields)
       reset(seed=None)  agent (0, 0), goal (4, 4)
       reset(seed=N)     agent, goal = random.Random(N).sample(range(25), 2), each cell
                         index i being (row, col) = divmod(i, 5)
       The reset reward is null. A step into the border leaves the agent in place with
       hit_wall true and reward 0.0; reaching the goal gives reward 1.0 and done true;
       other steps give 0.0. After the goal, steps still answer: the agent stays, reward
       0.0, done true. step_count counts every step.

qa     A typed, task-backed environment (env name "qa_env", /metadata name "QAEnvironment"):
       the dataset of Sources/OpenEnvQA/Dataset/jsonl (splits train, test),
       served through the Task API (list_splits, list_tasks, num_tasks, get_task,
       get_task_range on the rows as they are). reset(split="train", index=None,
       seed=None) picks rows[split][index] (Python indexing; IndexError when out of
       range), else position 0 of the split shuffled with the seed (SplitMix64 and the
       Fisher-Yates shuffle of Sources/OpenEnvTasks/Taskset/SeededShuffle.swift), else a
       random row. One step answers: {"answer": str}; reward 1.0 when the answer equals
       the answer or an alias after normalization (trimmed, case-folded, whitespace
       collapsed, trailing .!? and surrounding quotes dropped) or, for numeric tasks, when
       its last number is within 1e-6 of the answer; else 0.0; done true.
       observation  question, task_id, split, index, correct, expected_answer
                    (correct/expected_answer null until answered)
       state        episode_id, step_count, split, index, task_id, answered

Options
-------
--max-sessions      simultaneous sessions (WebSocket sessions plus HTTP
                    `openenv/session/create` sessions). Default $MAX_CONCURRENT_ENVS, else 8.
--session-timeout   idle seconds before openenv's reaper destroys a session (default: no
                    reaper). The reaper wakes every max(S/4, 5) s.
--mode              simulation (default) or production (no HTTP /reset, /step, /state).
                    Default: $OPENENV_MODE, else simulation.

The Gradio web UI is always off (it changes the route set). One uvicorn worker, asyncio
loop, h11. Stop it with SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Tuple

if __name__ == "__main__":  # not when a test imports a helper: the setting would reach its servers
    os.environ["ENABLE_WEB_INTERFACE"] = "false"  # must be set before create_app runs

from fastmcp import FastMCP  # noqa: E402
from pydantic import Field  # noqa: E402

from openenv.core.env_server import (  # noqa: E402
    Action,
    CallToolAction,
    CallToolObservation,
    ConcurrencyConfig,
    Environment,
    MCPEnvironment,
    Observation,
    State,
    create_app,
)
from openenv.core.env_server.types import EnvironmentMetadata  # noqa: E402

# ======================================================================================
# echo
# ======================================================================================

ECHO_READY_METADATA: Dict[str, str] = {"status": "ready", "message": "Echo environment ready!"}


def _echo_tools() -> FastMCP:
    """A fresh FastMCP server named echo_env with the two echo tools.

    FastMCP takes the tool description from the first docstring paragraph and each
    argument's description from the "Args:" section, so the wording below is wire data.
    """
    mcp = FastMCP("echo_env")

    @mcp.tool
    def echo_message(message: str) -> str:
        """Echo back the provided message.

        Args:
            message: The message to echo back
        """
        return message

    @mcp.tool
    def echo_with_length(message: str) -> dict:
        """Echo back the message with its length.

        Args:
            message: The message to echo back
        """
        return {"message": message, "length": len(message)}

    return mcp


class EchoEnvironment(MCPEnvironment):
    """MCP echo environment (the class name is the /metadata name)."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self) -> None:
        super().__init__(_echo_tools())
        self._episode = State(episode_id=str(uuid.uuid4()), step_count=0)

    def reset(self, seed: Optional[int] = None, episode_id: Optional[str] = None, **_: Any) -> Observation:
        self._episode = State(episode_id=episode_id or str(uuid.uuid4()), step_count=0)
        return Observation(done=False, reward=0.0, metadata=dict(ECHO_READY_METADATA))

    # HTTP /step uses the sync path, the WebSocket handler the async one; both count.
    def step(self, action: Action, timeout_s: Optional[float] = None, **kwargs: Any) -> Observation:
        self._episode.step_count += 1
        return super().step(action, timeout_s=timeout_s, **kwargs)

    async def step_async(self, action: Action, timeout_s: Optional[float] = None, **kwargs: Any) -> Observation:
        self._episode.step_count += 1
        return await super().step_async(action, timeout_s=timeout_s, **kwargs)

    def _step_impl(self, action: Action, timeout_s: Optional[float] = None, **kwargs: Any) -> Observation:
        # Unreachable through the server: its action model only admits MCP actions.
        return Observation(done=False, reward=0.0, metadata={"error": f"unsupported action {type(action).__name__}"})

    @property
    def state(self) -> State:
        return self._episode


# ======================================================================================
# grid
# ======================================================================================

SIZE = 5
DELTAS: Dict[str, Tuple[int, int]] = {"UP": (-1, 0), "DOWN": (1, 0), "LEFT": (0, -1), "RIGHT": (0, 1)}


def grid_layout(seed: Optional[int]) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """(agent, goal) cells for a seed; the Swift server must give the same answer."""
    if seed is None:
        return (0, 0), (SIZE - 1, SIZE - 1)
    agent, goal = random.Random(seed).sample(range(SIZE * SIZE), 2)
    return divmod(agent, SIZE), divmod(goal, SIZE)


class GridAction(Action):
    """One move of the agent."""

    action: Literal["UP", "DOWN", "LEFT", "RIGHT"] = Field(..., description="Direction of the move")


class GridObservation(Observation):
    """Agent and goal positions after a reset or a step."""

    row: int = Field(..., description="Agent row (0 = top)")
    col: int = Field(..., description="Agent column (0 = left)")
    goal_row: int = Field(..., description="Goal row")
    goal_col: int = Field(..., description="Goal column")
    size: int = Field(SIZE, description="Side length of the square grid")
    hit_wall: bool = Field(False, description="The last move hit the border; the agent did not move")


class GridState(State):
    """Grid episode state."""

    row: int = Field(0, description="Agent row")
    col: int = Field(0, description="Agent column")
    goal_row: int = Field(SIZE - 1, description="Goal row")
    goal_col: int = Field(SIZE - 1, description="Goal column")
    size: int = Field(SIZE, description="Side length of the square grid")
    seed: Optional[int] = Field(None, description="Seed of the layout (null: default layout)")
    reached_goal: bool = Field(False, description="The agent reached the goal in this episode")


class GridEnvironment(Environment):
    """5x5 grid world."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self) -> None:
        super().__init__()
        self._s = self._new_state(None, None)

    @staticmethod
    def _new_state(seed: Optional[int], episode_id: Optional[str]) -> GridState:
        (row, col), (goal_row, goal_col) = grid_layout(seed)
        return GridState(
            episode_id=episode_id or str(uuid.uuid4()),
            step_count=0,
            row=row,
            col=col,
            goal_row=goal_row,
            goal_col=goal_col,
            size=SIZE,
            seed=seed,
            reached_goal=False,
        )

    def _obs(self, reward: Optional[float], hit_wall: bool = False) -> GridObservation:
        s = self._s
        return GridObservation(
            row=s.row, col=s.col, goal_row=s.goal_row, goal_col=s.goal_col, size=s.size,
            hit_wall=hit_wall, done=s.reached_goal, reward=reward,
        )

    def reset(self, seed: Optional[int] = None, episode_id: Optional[str] = None, **_: Any) -> GridObservation:
        self._s = self._new_state(seed, episode_id)
        return self._obs(reward=None)

    def step(self, action: GridAction, timeout_s: Optional[float] = None, **_: Any) -> GridObservation:
        s = self._s
        s.step_count += 1
        if s.reached_goal:
            return self._obs(reward=0.0)
        dr, dc = DELTAS[action.action]
        row, col = s.row + dr, s.col + dc
        if not (0 <= row < s.size and 0 <= col < s.size):
            return self._obs(reward=0.0, hit_wall=True)
        s.row, s.col = row, col
        if (row, col) == (s.goal_row, s.goal_col):
            s.reached_goal = True
            return self._obs(reward=1.0)
        return self._obs(reward=0.0)

    @property
    def state(self) -> GridState:
        return self._s

    def get_metadata(self) -> EnvironmentMetadata:
        return EnvironmentMetadata(
            name="GridEnvironment",
            description="5x5 grid world: move UP/DOWN/LEFT/RIGHT to reach the goal.",
            version="1.0.0",
        )


# ======================================================================================
# qa
# ======================================================================================

QA_DATA = Path(__file__).resolve().parents[2] / "Sources" / "OpenEnvQA" / "Dataset" / "jsonl"


def qa_rows() -> Dict[str, List[Dict[str, Any]]]:
    return {split: [json.loads(line) for line in (QA_DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
            for split in ("train", "test")}


def seeded_permutation(count: int, seed: int) -> List[int]:
    """SplitMix64 seeded with the seed's 64 bits driving a Fisher-Yates shuffle with
    Lemire's unbiased bounded draws: the same order as OpenEnvTasks' SeededShuffle."""
    mask = (1 << 64) - 1
    state = seed & mask

    def draw() -> int:
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    def below(bound: int) -> int:
        product = draw() * bound
        if product & mask < bound:
            threshold = ((-bound) & mask) % bound
            while product & mask < threshold:
                product = draw() * bound
        return product >> 64

    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def qa_normalize(text: str) -> str:
    text = text.strip()
    while True:
        if text and text[-1] in ".!?":
            text = text[:-1].strip()
        elif len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
            text = text[1:-1].strip()
        else:
            return " ".join(text.split()).lower()


def qa_last_number(text: str) -> Optional[float]:
    numbers = re.findall(r"-?\d(?:[\d,]*\d)?(?:\.\d+)?", text)
    return float(numbers[-1].replace(",", "")) if numbers else None


class QAAction(Action):
    """The answer to the current question."""

    answer: str = Field(..., description="The answer, as text")


class QAObservation(Observation):
    """The question; after the answer, the verdict and the reference answer."""

    question: str = Field(..., description="The question")
    task_id: str = Field(..., description="The task's id in the dataset")
    split: str = Field(..., description="The dataset split of the task")
    index: int = Field(..., description="The task's index in its split")
    correct: Optional[bool] = Field(None, description="Whether the answer was accepted")
    expected_answer: Optional[str] = Field(None, description="The reference answer")


class QAState(State):
    """Which task the episode asks and whether it was answered."""

    split: Optional[str] = None
    index: Optional[int] = None
    task_id: Optional[str] = None
    answered: bool = False


class QAEnvironment(Environment):
    """Question answering over the shipped dataset, with the Task API."""

    SUPPORTS_CONCURRENT_SESSIONS = True
    ROWS = qa_rows()

    def __init__(self) -> None:
        super().__init__()
        self._s = QAState(episode_id=str(uuid.uuid4()), step_count=0)
        self._task: Optional[Dict[str, Any]] = None

    # --- Task API ---------------------------------------------------------------------
    def list_splits(self) -> List[str]:
        return list(self.ROWS)

    def list_tasks(self, split: str) -> List[Dict[str, Any]]:
        return self.ROWS[split]

    def num_tasks(self, split: str) -> int:
        return len(self.ROWS[split])

    def get_task(self, split: str, index: int) -> Dict[str, Any]:
        return self.ROWS[split][index]

    def get_task_range(self, split: str, start: Optional[int] = None, stop: Optional[int] = None) -> List[Dict[str, Any]]:
        return self.ROWS[split][start:stop]

    # --- episode ----------------------------------------------------------------------
    def reset(self, seed: Optional[int] = None, episode_id: Optional[str] = None, split: str = "train",
              index: Optional[int] = None, **_: Any) -> QAObservation:
        rows = self.ROWS[split]
        if index is not None:
            position = range(len(rows))[index]
        elif seed is not None:
            position = seeded_permutation(len(rows), seed)[0]
        else:
            position = random.randrange(len(rows))
        self._task = rows[position]
        self._s = QAState(episode_id=episode_id or str(uuid.uuid4()), step_count=0, split=split, index=position,
                          task_id=self._task["id"], answered=False)
        return self._obs(correct=None, reward=None)

    def step(self, action: QAAction, timeout_s: Optional[float] = None, **_: Any) -> QAObservation:
        if self._task is None:
            raise RuntimeError("no question yet: reset first")
        if self._s.answered:
            raise RuntimeError("the question was answered and the episode is over: reset for the next one")
        self._s.step_count += 1
        task = self._task
        accepted = [qa_normalize(a) for a in [task["answer"], *(task.get("aliases") or [])]]
        correct = qa_normalize(action.answer) in accepted
        if not correct and task.get("kind") == "numeric":
            given = qa_last_number(action.answer)
            correct = given is not None and abs(given - float(task["answer"])) <= 1e-6
        self._s.answered = True
        return self._obs(correct=correct, reward=1.0 if correct else 0.0)

    def _obs(self, correct: Optional[bool], reward: Optional[float]) -> QAObservation:
        task, s = self._task, self._s
        return QAObservation(question=task["question"], task_id=task["id"], split=s.split, index=s.index, correct=correct,
                             expected_answer=None if correct is None else task["answer"], done=correct is not None,
                             reward=reward)

    @property
    def state(self) -> QAState:
        return self._s

    def get_metadata(self) -> EnvironmentMetadata:
        return EnvironmentMetadata(name="QAEnvironment", description="Question answering over a dataset.", version="1.0.0")


# ======================================================================================
# app
# ======================================================================================


def build_app(env: str, max_sessions: int, session_timeout: Optional[float], mode: Optional[str]):
    concurrency = ConcurrencyConfig(max_concurrent_envs=max_sessions, session_timeout=session_timeout)
    if env == "echo":
        return create_app(EchoEnvironment, CallToolAction, CallToolObservation,
                          env_name="echo_env", concurrency_config=concurrency, mode=mode)
    if env == "grid":
        return create_app(GridEnvironment, GridAction, GridObservation,
                          env_name="grid_env", concurrency_config=concurrency,
                          state_cls=GridState, mode=mode)
    if env == "qa":
        return create_app(QAEnvironment, QAAction, QAObservation,
                          env_name="qa_env", concurrency_config=concurrency,
                          state_cls=QAState, mode=mode)
    raise ValueError(f"unknown env {env!r}")


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", choices=("echo", "grid", "qa"), default="echo")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-sessions", type=int, default=int(os.environ.get("MAX_CONCURRENT_ENVS", "8")))
    p.add_argument("--session-timeout", type=float, default=None, metavar="SECONDS")
    p.add_argument("--mode", choices=("simulation", "production"),
                   default=(os.environ.get("OPENENV_MODE") or "simulation").lower())
    p.add_argument("--log-level", default="warning",
                   choices=("critical", "error", "warning", "info", "debug", "trace"))
    args = p.parse_args(argv)
    if args.max_sessions < 1:
        p.error("--max-sessions must be >= 1")
    if args.session_timeout is not None and args.session_timeout <= 0:
        p.error("--session-timeout must be > 0")

    import uvicorn

    app = build_app(args.env, args.max_sessions, args.session_timeout, args.mode)
    print(f"reference_env: {args.env} on http://{args.host}:{args.port} mode={args.mode} "
          f"max_sessions={args.max_sessions} session_timeout={args.session_timeout} pid={os.getpid()}",
          file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                loop="asyncio", http="h11", workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
