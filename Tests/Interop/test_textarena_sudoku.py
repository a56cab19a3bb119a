"""`openenv serve textarena --env-id Sudoku-v0` checked message for message against TextArena itself.

The expected values come from TextArena's own `Sudoku-v0` (`textarena`, pinned in
requirements.txt), made with `ta.make("Sudoku-v0")` (its default wrappers: the action
formatting and the LLM observation text) and driven the way the reference `textarena_env`
drives it (huggingface/OpenEnv `envs/textarena_env/server/environment.py`; the reference has
no reward provider for Sudoku): `ReferenceSudoku` below is that wrapper, written here from
the reference's code; the game itself (puzzle, parsing, validity, messages, board, rewards) is
TextArena's, never ours.

The puzzle is not given to TextArena: the server draws it as TextArena's `reset(seed=N)` does
(`random.seed(N)`, the full grid by shuffled backtracking, the cells removed in shuffled order
while the solution stays unique), so TextArena is reset with the same seed and the two must
show the same board. The reference server ignores `reset(seed=)`.

The agent's moves are random, with a per-game share of bad ones: the solution's number for an
empty cell (so games are won), a wrong number there, a clue or a filled cell overwritten,
numbers out of 1..9 (0, 10, leading zeros, long ones), other separators (two spaces, tabs,
newlines, Unicode spaces), Unicode digits, text around the move, two moves in one message,
role tags, no brackets (wrapped by the action formatting), nothing; now and then a game is
played on past its end. SUDOKU_GAMES games: 3,000 by default.

swift_only: the Python reference server of this suite (reference_env.py) has no TextArena.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any, Dict, List, Tuple

import pytest

from conftest import frame_data, rt, run
from test_textarena import TextArenaAction, TextArenaEnv, TextArenaObservation, replay_against_reference, ta  # nltk patched there

pytestmark = pytest.mark.swift_only

GAMES = int(os.environ.get("SUDOKU_GAMES", "3000"))
ENV_ID = "Sudoku-v0"


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


class ReferenceSudoku:
    """What the reference `TextArenaEnvironment("Sudoku-v0")` answers, reset with a seed."""

    def __init__(self) -> None:
        self.env = ta.make(env_id=ENV_ID)
        self.env.reset(num_players=1)
        self.step_count = 0
        self.last_reward = 0.0
        self.last_info: Dict[str, Any] = {}
        self.raw_state: Dict[str, Any] = {}

    @property
    def game(self) -> Any:
        env = self.env
        while hasattr(env, "env"):
            env = env.env
        return env

    def _observation(self) -> Dict[str, Any]:
        _, text = self.env.get_observation()
        # The reference's _convert_messages iterates this str: one message of it all.
        messages = [{"sender_id": -1, "content": text, "category": "MESSAGE"}] if text else []
        turn = self.env.state.turn
        prompt = messages[0]["content"].strip() if turn == 0 and messages else ENV_ID
        return {"prompt": prompt, "messages": messages, "current_player_id": 0, "legal_players": [0],
                "info": dict(self.env.state.step_info),
                "metadata": {"env_id": ENV_ID, "turn": turn, "raw_messages": [dict(m) for m in messages]}}

    def _snapshot(self) -> Dict[str, Any]:
        s = self.env.state
        return _json({"turn": s.turn, "game_state": s.game_state, "logs": list(s.logs), "rewards": s.rewards,
                      "done": s.done, "role_mapping": s.role_mapping, "game_info": s.game_info,
                      "step_info": s.step_info})

    def _reward(self) -> float:
        rewards = self.env.state.rewards
        return float(rewards[0]) if isinstance(rewards, dict) and 0 in rewards else 0.0

    def reset(self, seed: int) -> Dict[str, Any]:
        env = self.env
        while hasattr(env, "env"):
            if hasattr(env, "full_observations"):
                env.full_observations = {}
            env = env.env
        self.env.reset(num_players=1, seed=seed)  # (the reference passes no seed)
        self.step_count = 0
        self.last_reward = 0.0
        self.last_info = {}
        self.raw_state = self._snapshot()
        return {"observation": self._observation(), "reward": 0.0, "done": False}

    def step(self, message: str) -> Dict[str, Any]:
        done, info = self.env.step(message)
        self.step_count += 1
        obs = self._observation()
        reward = self._reward()
        self.last_reward = reward
        self.last_info = info or {}
        self.raw_state = self._snapshot()
        return {"observation": obs, "reward": reward, "done": done}

    def state(self) -> Dict[str, Any]:
        return _json({"step_count": self.step_count, "env_id": ENV_ID, "num_players": 1, "max_turns": None,
                      "turn": self.env.state.turn, "last_reward": self.last_reward, "last_info": self.last_info,
                      "raw_state": self.raw_state})


SPACES = [" ", "\t", "\n", "\u00a0", "\u2003", "\x0b", "\x1c", "\u3000", "\u200b"]  # the last is no \s
DIGITS = ["\u0660", "\u06f0", "\u0966", "\uff10", "\U0001d7ce"]  # zero of Arabic-Indic, ..., fullwidth, math bold
OTHER_NUMBERS = ["\u00b2", "\u2460", "\u00bd", "\u2163"]  # superscript 2, circled 1, one half, roman four: no \d


def _move(r: int, c: int, n: int) -> str:
    return f"[{r} {c} {n}]"


def _message(rng: random.Random, game: Any, bad: float) -> str:
    board = game.state.game_state["board"]
    solution = game.full_grid
    empty = [(r, c) for r in range(9) for c in range(9) if board[r][c] == 0]
    filled = [(r, c) for r in range(9) for c in range(9) if board[r][c] != 0]
    if empty and rng.random() >= bad:
        r, c = rng.choice(empty)
        n = solution[r][c]
        roll = rng.random()
        if roll < 0.75:
            return _move(r + 1, c + 1, n)
        if roll < 0.80:
            return f"{r + 1} {c + 1} {n}"  # wrapped by the action formatting
        if roll < 0.85:
            return f"I will play {_move(r + 1, c + 1, n)} now [{rng.randint(1, 9)} x]"
        if roll < 0.88:
            return f"[Player] {_move(r + 1, c + 1, n)}"
        if roll < 0.91:
            return f"[0{r + 1} {c + 1} 00{n}]"
        if roll < 0.94:
            return f"[{r + 1}{rng.choice(SPACES[:8])}{c + 1}{rng.choice(SPACES[:8])}{n}]"
        if roll < 0.97:
            digits = rng.choice(DIGITS)
            return "[" + " ".join(chr(ord(digits) + v) for v in (r + 1, c + 1, n)) + "]"
        return f"[9 9 0] {_move(r + 1, c + 1, n)}"  # the first match counts: out of bounds
    roll = rng.random()
    if roll < 0.25 and empty:
        r, c = rng.choice(empty)
        wrong = rng.choice([v for v in range(1, 10) if v != solution[r][c]])
        return _move(r + 1, c + 1, wrong)
    if roll < 0.45 and filled:
        r, c = rng.choice(filled)
        return _move(r + 1, c + 1, rng.randint(1, 9))
    if roll < 0.60:
        values = [rng.randint(1, 9) for _ in range(3)]
        values[rng.randrange(3)] = rng.choice([0, 10, 99, 100, 12345678901234567890, rng.randint(-9, 0)])
        return "[" + " ".join(map(str, values)) + "]"
    if roll < 0.70:
        return "[" + rng.choice(["  ", "", "_", ",", " - ", "\u200b", "x"]).join(str(rng.randint(1, 9)) for _ in range(3)) + "]"
    if roll < 0.78:
        return "[" + " ".join(rng.choice(OTHER_NUMBERS + [str(rng.randint(1, 9))]) for _ in range(3)) + "]"
    if roll < 0.86:
        return rng.choice(["", "[]", "[GAME]", "[Player]", "Player", "[1 2]", "[1 2 3 4]", "1 2 3]", "[1 2 3",
                           "](1 2 3)[", "[ 1 2 3]", "[1 2 3 ]", "[1 1 1]\n[2 2 2]", "row 1 col 1 num 1"])
    if roll < 0.93:
        return f"{rng.randint(1, 9)} {rng.randint(1, 9)}"
    return _move(rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9))


def reference_game(seed: int) -> Tuple[List[Tuple[Dict[str, Any], Dict[str, Any], str]], str]:
    """The messages of one random game and what TextArena (as the reference wraps it) answers."""
    ref = ReferenceSudoku()
    rng = random.Random(-seed - 1)
    bad = rng.choice([0.02, 0.1, 0.25, 0.5])
    want = ref.reset(seed)
    script = [({"type": "reset", "data": {"seed": seed}}, want, "reset")]
    extra = 1 + (rng.random() < 0.5) * rng.randint(1, 3) if rng.random() < 0.05 else 0  # steps past the end
    while not want["done"] or extra > 0:
        if want["done"]:
            extra -= 1
        msg = _message(rng, ref.game, bad)
        want = ref.step(msg)
        script.append(({"type": "step", "data": {"message": msg}}, want, f"step {ref.step_count}: {msg!r}"))
        if ref.step_count > 200:
            break
    script.append(({"type": "state"}, ref.state(), "state"))
    info = ref.env.state.game_info[0]
    ending = ("won" if ref.env.state.game_state["completed"] else
              "invalid" if info["invalid_move"] else "turn limit")
    return script, ending


@pytest.fixture(scope="module")
def sudoku_server():
    from conftest import start_server
    s = start_server("textarena", max_sessions=8, extra_args=["--env-id", ENV_ID])
    yield s
    s.stop()


def test_random_sudoku_games_match_textarena_message_for_message(sudoku_server):
    result = replay_against_reference(sudoku_server, GAMES, reference_game)
    print(f"sudoku: {result}")
    assert result["steps"] >= GAMES
    if GAMES >= 200:
        assert {"won", "invalid"} <= set(result), result


def test_seeded_puzzles_are_textarenas(sudoku_server):
    async def scenario():
        async with sudoku_server.ws() as ws:
            for seed in (0, 1, 42, 2**31, 10**12):
                ref = ReferenceSudoku()
                ref.reset(seed)
                await rt(ws, {"type": "reset", "data": {"seed": seed}})
                state = frame_data(await rt(ws, {"type": "state"}), "state")
                assert state["raw_state"]["game_state"]["board"] == ref.game.game_board, seed
                assert sum(v == 0 for row in ref.game.game_board for v in row) > 0

    run(scenario())


def test_the_reference_client_plays_to_the_end(start):
    server = start("textarena", max_sessions=2, extra_args=["--env-id", ENV_ID])
    with server.client(TextArenaEnv).sync() as env:
        for seed in range(8):
            ref = ReferenceSudoku()
            want = ref.reset(seed)
            r = env.reset(seed=seed)
            assert isinstance(r.observation, TextArenaObservation) and r.observation.prompt == want["observation"]["prompt"]
            assert r.observation.prompt.startswith("[GAME] You are Player 0. You are playing Sudoku.")
            rng = random.Random(seed)
            while not r.done:
                if seed % 2:
                    message = _message(rng, ref.game, 0.2)
                else:  # the solution, cell by cell: won
                    board = ref.game.state.game_state["board"]
                    r_, c_ = next((r_, c_) for r_ in range(9) for c_ in range(9) if board[r_][c_] == 0)
                    message = _move(r_ + 1, c_ + 1, ref.game.full_grid[r_][c_])
                r = env.step(TextArenaAction(message=message))
                want = ref.step(message)
                assert [m.model_dump() for m in r.observation.messages] == want["observation"]["messages"]
                assert (r.observation.prompt, r.observation.info, r.reward, r.done) == \
                    (want["observation"]["prompt"], want["observation"]["info"], want["reward"], want["done"])
            if seed % 2 == 0:
                assert r.reward == 1.0 and ref.env.state.game_state["completed"]
            st = env.state()
            assert (st.env_id, st.turn, st.step_count, st.raw_state) == (ENV_ID, ref.env.state.turn, ref.step_count, ref.raw_state)
