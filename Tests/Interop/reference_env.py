#!/usr/bin/env python3
"""Python OpenEnv server for swift-openenv's interop tests and benchmarks.

It is built only on the public API of the official `openenv` package (0.10.0 from PyPI):
`create_app`, `Environment`, `MCPEnvironment` and FastMCP. It is the "reference" side of
Tests/Interop (OPENENV_INTEROP_SERVER=reference): the suite must pass against it, and
the Swift server (`openenv serve echo|grid`) must behave the same on the wire.

    python Tests/Interop/reference_env.py --env echo|grid [--host 127.0.0.1] [--port 8000]
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
import os
import random
import sys
import uuid
from typing import Any, Dict, Literal, Optional, Tuple

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
    raise ValueError(f"unknown env {env!r}")


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", choices=("echo", "grid"), default="echo")
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
