"""`openenv serve textarena --env-id Sudoku-v0` checked message for message against TextArena itself.

The expected values come from TextArena's own `Sudoku-v0` (`textarena`, pinned in
requirements.txt), made with `ta.make("Sudoku-v0")` (its default wrappers: the action
formatting and the LLM observation text) and driven the way the reference `textarena_env`
drives it (huggingface/OpenEnv `envs/textarena_env/server/environment.py`; the reference has
no reward provider for Sudoku): `ReferenceTextArena` of test_textarena.py is that wrapper, written here from
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

import os
import random
from typing import Any, Dict, List, Tuple

import pytest

from conftest import frame_data, rt, run
from test_textarena import (ReferenceTextArena, TextArenaAction, TextArenaEnv, TextArenaObservation,  # nltk patched there
                            replay_against_reference)

pytestmark = pytest.mark.swift_only

GAMES = int(os.environ.get("SUDOKU_GAMES", "3000"))
ENV_ID = "Sudoku-v0"


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
    ref = ReferenceTextArena(ENV_ID)
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
                ref = ReferenceTextArena(ENV_ID)
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
            ref = ReferenceTextArena(ENV_ID)
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
