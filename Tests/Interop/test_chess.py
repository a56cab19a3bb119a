"""`openenv serve chess` checked move for move against python-chess.

The expected values come from python-chess (`chess`, pinned in requirements.txt) driven the
way the reference `chess_env` drives it (huggingface/OpenEnv
`envs/chess_env/server/chess_environment.py`): the agent's move, then (unless done) the
opponent's, done and reward from `_calculate_reward_and_done` (checkmate ±1; stalemate,
insufficient material, `is_fifty_moves`, `is_repetition(3)`, `max_moves` half-moves 0), the
observation from `_make_observation` (FEN, `legal_moves` in python-chess's order,
`is_check`, the result string, `fullmove_number`, `halfmove_clock` and, at the end, the
discounted rewards). `ReferenceChess` below is that wrapper, written here from the
reference's code; the chess itself (move generation, FEN, end conditions) is python-chess's,
never ours. The reference's moonfish evaluation (`metadata.evaluation`) is not served.

The random opponent is seeded on both sides: the server documents that `reset(seed=N)` draws
it as `random.Random(N).choice(list(board.legal_moves))`. The agent's moves are random
legal moves of its own seeded `random.Random`, with one illegal move now and then (which
must pay -0.1 and change nothing). Games start from the initial position and from the perft
positions (Kiwipete, positions 3 to 6 of the chess programming wiki), in both colours and in
self-play. The number of games per configuration is CHESS_GAMES: 250 by default (1,000 games
over the four configurations, about 50 s each with a debug server), more for a deeper run
(CHESS_GAMES=1000: about 13 minutes in all).

swift_only: the Python reference server of this suite (reference_env.py) has no chess.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
from typing import Any, Dict, List, Optional

import pytest
from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.types import Action, Observation, State
from pydantic import BaseModel, ConfigDict, Field

from conftest import OPENENV_BIN, TIMEOUT, frame_data, observation, rt, run, start_server

chess = pytest.importorskip("chess")

pytestmark = pytest.mark.swift_only

GAMES = int(os.environ.get("CHESS_GAMES", "250"))

START = chess.STARTING_FEN
PERFT_FENS = [
    "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
    "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
    "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
    "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
    "r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P3/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10",
]

# (agent_color, opponent, starting FENs, max_moves): the agent as white and as black against
# the seeded random opponent, self-play from the initial position (every step moves the side
# to move), and self-play from the perft positions.
CONFIGS = [
    ("white", "random", [START], 500),
    ("black", "random", [START], 500),
    ("white", "none", [START], 500),
    ("white", "none", PERFT_FENS, 500),
]


class ReferenceChess:
    """What the reference `ChessEnvironment` answers, with the server's seeded opponent."""

    def __init__(self, color: str, opponent: str, fen: str, seed: int, max_moves: int, gamma: float = 0.99):
        self.board = chess.Board(fen)
        self.agent = chess.WHITE if color == "white" else chess.BLACK
        self.opponent = None if opponent == "none" else opponent
        self.rng = random.Random(seed)
        self.max_moves = max_moves
        self.gamma = gamma
        self.step_count = 0
        self.agent_moves = 0
        self.history: List[str] = []

    def _push(self, move: Any) -> None:
        self.board.push(move)
        self.step_count += 1
        self.history.append(move.uci())

    def _opponent_move(self) -> None:
        if not any(self.board.legal_moves):
            return
        self._push(self.rng.choice(list(self.board.legal_moves)))

    def _reward_done(self) -> tuple[float, bool]:
        b = self.board
        if b.is_checkmate():
            return (1.0 if (not b.turn) == self.agent else -1.0), True
        if b.is_stalemate() or b.is_insufficient_material() or b.is_fifty_moves() or b.is_repetition(3):
            return 0.0, True
        if self.step_count >= self.max_moves:
            return 0.0, True
        return 0.0, False

    def _payload(self, reward: float, done: bool) -> Dict[str, Any]:
        b = self.board
        metadata: Dict[str, Any] = {"fullmove_number": b.fullmove_number, "halfmove_clock": b.halfmove_clock}
        if done and self.agent_moves > 0:
            t_total = self.agent_moves
            metadata["discounted_rewards"] = [self.gamma ** (t_total - 1 - t) * reward for t in range(t_total)]
            metadata["gamma"] = self.gamma
        result = None
        if done:
            result = ("1-0" if not b.turn else "0-1") if b.is_checkmate() else "1/2-1/2"
        return {
            "observation": {"fen": b.fen(), "legal_moves": [m.uci() for m in b.legal_moves], "is_check": b.is_check(),
                            "result": result, "metadata": metadata},
            "reward": reward,
            "done": done,
        }

    def reset(self) -> Dict[str, Any]:
        # (The reference lets the opponent open whenever the agent plays black; here the
        # opponent moves when the side to move is not the agent's, the same from the start.)
        if self.opponent is not None and self.board.turn != self.agent:
            self._opponent_move()
        _, done = self._reward_done()
        return self._payload(0.0, done)

    def step(self, uci: str) -> Dict[str, Any]:
        try:
            move = chess.Move.from_uci(uci)
        except ValueError:
            return self._payload(-0.1, False)
        if move not in self.board.legal_moves:
            return self._payload(-0.1, False)
        self._push(move)
        self.agent_moves += 1
        reward, done = self._reward_done()
        if not done and self.opponent is not None:
            self._opponent_move()
            reward, done = self._reward_done()
        return self._payload(reward, done)


def _normalise(payload: Dict[str, Any]) -> Dict[str, Any]:
    payload = dict(payload)
    payload.setdefault("observation", {}).setdefault("metadata", {})
    payload.pop("metadata", None)
    return payload


def reference_game(color: str, opponent: str, fen: str, seed: int, max_moves: int):
    """The messages of one random game and what the reference answers to each."""
    ref = ReferenceChess(color, opponent, fen, seed, max_moves)
    mover = random.Random(-seed - 1)
    reset = {"seed": seed, "fen": fen, "agent_color": color, "opponent": opponent}
    want = ref.reset()
    script = [({"type": "reset", "data": reset}, want, "reset")]
    while not want["done"]:
        legal = want["observation"]["legal_moves"]
        if mover.random() < 0.02:
            uci = mover.choice(["e2e5", "a1a1", "0000", "e7e8k", "h9h1", "", legal[0].upper()])
        else:
            uci = mover.choice(legal)
        want = ref.step(uci)
        script.append(({"type": "step", "data": {"move": uci}}, want, f"half-move {ref.step_count}: {uci}"))
    script.append(({"type": "state"}, {"step_count": ref.step_count, "fen": ref.board.fen(),
                                        "current_player": "white" if ref.board.turn else "black",
                                        "move_history": ref.history}, "state"))
    ending = ("checkmate" if ref.board.is_checkmate() else "stalemate" if ref.board.is_stalemate()
              else "insufficient" if ref.board.is_insufficient_material() else "fifty" if ref.board.is_fifty_moves()
              else "repetition" if ref.board.is_repetition(3) else "max_moves")
    return script, ending


@pytest.fixture(scope="module")
def chess_server():
    s = start_server("chess", max_sessions=8)
    yield s
    s.stop()


@pytest.mark.parametrize("color,opponent,fens,max_moves", CONFIGS,
                         ids=[f"{c}-{o}-{'start' if f == [START] else 'perft'}" for c, o, f, _ in CONFIGS])
def test_random_games_match_python_chess_move_for_move(chess_server, color, opponent, fens, max_moves):
    base = {("white", "random"): 0, ("black", "random"): 100_000, ("white", "none"): 200_000}[(color, opponent)]
    base += 0 if fens == [START] else 500_000
    batch = 10  # games whose messages are sent before their replies are read (one socket, in order)

    async def scenario() -> Dict[str, int]:
        moves = 0
        endings: Dict[str, int] = {}
        async with chess_server.ws() as ws:
            for first_game in range(0, GAMES, batch):
                scripts = []
                for n in range(first_game, min(first_game + batch, GAMES)):
                    script, ending = reference_game(color, opponent, fens[n % len(fens)], base + n, max_moves)
                    scripts.append((base + n, script))
                    endings[ending] = endings.get(ending, 0) + 1
                for _, script in scripts:
                    for message, _, _ in script:
                        await ws.send(json.dumps(message))
                for seed, script in scripts:
                    for message, want, what in script:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                        if message["type"] == "state":
                            got = frame_data(frame, "state")
                            assert {k: got.get(k) for k in want} == want, f"seed {seed}: {what}"
                        else:
                            got = _normalise(observation(frame))
                            assert got == want, f"seed {seed}: {what}"
                            moves += message["type"] == "step"
        return {"moves": moves, **endings}

    result = run(scenario(), timeout=1800)
    print(f"{color}-{opponent}: {result}")
    assert result["moves"] >= GAMES
    if GAMES >= 200 and fens == [START]:
        # random games end in every way the rules allow
        assert {"checkmate", "insufficient", "repetition"} <= set(result), result


def test_serve_refuses_unknown_options_and_bad_positions(chess_server):
    for args, text in ((["--opponent", "moonfish"], "no moonfish"), (["--agent-color", "red"], "white or black"),
                       (["--max-moves", "0"], "positive integer"), (["--game", "catch"], "--game")):
        bad = subprocess.run([str(OPENENV_BIN), "serve", "chess", *args], capture_output=True, text=True, timeout=30)
        assert bad.returncode != 0 and text in bad.stderr, (args, bad.stderr)

    async def scenario():
        async with chess_server.ws() as ws:
            for fen in ("8/8/8/8/8/8/8/8 w - - 0 1", "not a fen"):
                err = frame_data(await rt(ws, {"type": "reset", "data": {"fen": fen}}), "error")
                assert "FEN" in err["message"], err
            ok = observation(await rt(ws, {"type": "reset", "data": {"seed": 1}}))
            assert ok["observation"]["fen"] == START

    run(scenario())


# --------------------------------------------------------------------------------------
# the reference's typed client
# --------------------------------------------------------------------------------------


class ChessAction(Action):
    move: str


class ChessObservation(Observation):  # extra="forbid", inherited from openenv's Observation
    fen: str = ""
    legal_moves: List[str] = Field(default_factory=list)
    is_check: bool = False
    result: Optional[str] = None


class ChessState(State):
    fen: str = START
    current_player: str = "white"
    move_history: List[str] = Field(default_factory=list)
    step_count: int = 0


class ExactChessState(ChessState):
    """Stricter than the reference client: the state has the reference's keys and no others."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    observation: ChessObservation
    reward: Optional[float]
    done: bool
    metadata: Optional[Dict[str, Any]] = None


class ChessEnv(EnvClient[ChessAction, ChessObservation, ChessState]):
    """The reference client's payload handling, on openenv 0.10.0's EnvClient."""

    def _step_payload(self, action: ChessAction) -> Dict[str, Any]:
        return {"move": action.move}

    def _parse_result(self, payload: Dict[str, Any]) -> StepResult[ChessObservation]:
        Reply.model_validate(payload, strict=True)
        obs = payload.get("observation", {})
        observation = ChessObservation(
            fen=obs.get("fen", ""), legal_moves=obs.get("legal_moves", []), is_check=obs.get("is_check", False),
            result=obs.get("result"), done=payload.get("done", False), reward=payload.get("reward"),
            metadata=obs.get("metadata", {}))
        return StepResult(observation=observation, reward=payload.get("reward"), done=payload.get("done", False))

    def _parse_state(self, payload: Dict[str, Any]) -> ChessState:
        ExactChessState.model_validate(payload, strict=True)
        return ChessState(**payload)


def test_the_reference_client_plays_to_the_end(start):
    server = start("chess", max_sessions=2)
    with server.client(ChessEnv).sync() as env:
        for seed in range(10):
            ref = ReferenceChess("white", "random", START, seed, 500)
            r = env.reset(seed=seed)
            assert isinstance(r.observation, ChessObservation) and r.observation.fen == START
            while not r.done:
                move = r.observation.legal_moves[seed % len(r.observation.legal_moves)]
                r = env.step(ChessAction(move=move))
                want = ref.step(move)
                assert (r.observation.fen, r.observation.legal_moves, r.observation.result) == \
                    (want["observation"]["fen"], want["observation"]["legal_moves"], want["observation"]["result"])
                assert (r.reward, r.done) == (want["reward"], want["done"])
            st = env.state()
            assert (st.fen, st.move_history, st.step_count) == (ref.board.fen(), ref.history, ref.step_count)
