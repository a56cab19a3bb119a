"""`openenv serve textarena` checked message for message against TextArena itself.

The expected values come from TextArena's own `Wordle-v0` (`textarena`, pinned in
requirements.txt), made with `ta.make("Wordle-v0")` (its default wrappers: the action
formatting and the LLM observation text) and driven the way the reference `textarena_env`
drives it (huggingface/OpenEnv `envs/textarena_env/server/environment.py` and `rewards.py`):
`ReferenceTextArena` (with `ReferenceWordle`) below is that wrapper, written here from the reference's code; the game
itself (parsing, validity, feedback, turn limit, messages, rewards) is TextArena's, never ours.

Two things are given to TextArena, as the server documents them:
- the word lists. TextArena loads NLTK corpora, a download not reachable here: its word list
  loader and its dictionary are replaced by the server's lists (wordle-secrets.txt,
  wordle-guesses.txt beside the Swift sources), and `nltk.download` by a no-op.
- the seed. The reference server ignores `reset(seed=)`; ours plays what TextArena's
  `env.reset(seed=N)` plays (`random.seed(N)`, then `random.choice(word_list)`), so
  TextArena is reset with the same seed and both draw the same secret word.

The agent's messages are random: dictionary words, the secret (so games are won at every
turn), repeated guesses, words of the wrong length, non-words, messages without brackets
(wrapped by the action formatting), with text around the brackets, in capitals, with role
tags, non-ASCII words; now and then a game is played on past its end. WORDLE_GAMES games:
3,000 by default.

swift_only: the Python reference server of this suite (reference_env.py) has no TextArena.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
from typing import Any, Dict, List, Optional

import pytest
from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.types import Action, Observation, State
from pydantic import BaseModel, ConfigDict, Field

from conftest import OPENENV_BIN, REPO, TIMEOUT, frame_data, observation, rt, run

nltk = pytest.importorskip("nltk")
nltk.download = lambda *args, **kwargs: False  # TextArena asks for corpora at import: no network
ta = pytest.importorskip("textarena")
wordle_module = pytest.importorskip("textarena.envs.Wordle.env")

pytestmark = pytest.mark.swift_only

GAMES = int(os.environ.get("WORDLE_GAMES", "3000"))
WORDS = REPO / "Sources" / "OpenEnvEnvironments" / "Games" / "TextArena"
SECRETS = (WORDS / "wordle-secrets.txt").read_text(encoding="utf-8").split()
GUESSES = (WORDS / "wordle-guesses.txt").read_text(encoding="utf-8").split()
GUESS_SET = frozenset(GUESSES)


class _Dictionary:
    """TextArena's EnglishDictionary, on the server's guess list."""

    def is_english_word(self, word: str) -> bool:
        return word.lower() in GUESS_SET


def _load_word_list(self: Any, hardcore: bool = False) -> None:
    self.word_list = list(SECRETS)


@pytest.fixture(scope="module", autouse=True)
def server_word_lists():
    saved = (wordle_module.WordleEnv._load_word_list, wordle_module.EnglishDictionary)
    wordle_module.WordleEnv._load_word_list = _load_word_list
    wordle_module.EnglishDictionary = lambda **kwargs: _Dictionary()
    yield
    wordle_module.WordleEnv._load_word_list, wordle_module.EnglishDictionary = saved


# --------------------------------------------------------------------------------------
# the reference's TextArenaEnvironment around TextArena's own env
# --------------------------------------------------------------------------------------

_GUESS = re.compile(r"\[[A-Za-z]{5}\]")


def _extract_guess(text: str) -> str:
    match = _GUESS.search(text)
    if match:
        return match.group(0).lower()
    cleaned = re.sub(r"[^a-z]", "", text.lower())
    return f"[{cleaned[:5]}]" if len(cleaned) >= 5 else "[dunno]"


def _feedback(messages: List[Dict[str, Any]]) -> str:
    for message in reversed(messages):
        content = message["content"].strip()
        if "Feedback:" in content:
            return content.split("Feedback:", 1)[-1].strip()
    return ""


def _counts(feedback: str) -> tuple[int, int]:
    if not feedback:
        return (0, 0)
    lines = [line.strip() for line in feedback.split("\n") if line.strip()]
    if len(lines) < 2:
        return (0, 0)
    for line in reversed(lines):
        normalized = line.replace(" ", "")
        if normalized and all(c in "GYX" for c in normalized):
            return (normalized.count("G"), normalized.count("Y"))
    return (0, 0)


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


class ReferenceTextArena:
    """What the reference `TextArenaEnvironment(env_id)` answers, reset with a seed, for a game
    without reward signals (Sudoku); ``ReferenceWordle`` adds Wordle's."""

    def __init__(self, env_id: str) -> None:
        self.env_id = env_id
        self.env = ta.make(env_id=env_id)
        self.env.reset(num_players=1)
        self.step_count = 0
        self.last_reward = 0.0
        self.last_info: Dict[str, Any] = {}
        self.raw_state: Dict[str, Any] = {}

    @property
    def game(self) -> Any:
        """The game under TextArena's default wrappers."""
        env = self.env
        while hasattr(env, "env"):
            env = env.env
        return env

    def _messages(self) -> List[Dict[str, Any]]:
        _, text = self.env.get_observation()
        # The reference's _convert_messages iterates this str: one message of it all.
        return [{"sender_id": -1, "content": text, "category": "MESSAGE"}] if text else []

    def _observation(self) -> Dict[str, Any]:
        messages = self._messages()
        turn = self.env.state.turn
        prompt = messages[0]["content"].strip() if turn == 0 and messages else self.env_id
        return {"prompt": prompt, "messages": messages, "current_player_id": 0, "legal_players": [0],
                "info": dict(self.env.state.step_info),
                "metadata": {"env_id": self.env_id, "turn": turn, "raw_messages": [dict(m) for m in messages]}}

    def _snapshot(self) -> Dict[str, Any]:
        s = self.env.state
        return {"turn": s.turn, "game_state": s.game_state, "logs": list(s.logs), "rewards": s.rewards,
                "done": s.done, "role_mapping": s.role_mapping, "game_info": s.game_info, "step_info": s.step_info}

    def _reward(self) -> float:
        rewards = self.env.state.rewards
        return float(rewards[0]) if isinstance(rewards, dict) and 0 in rewards else 0.0

    def _signals(self, message: str, obs: Dict[str, Any], reward: float, info: Dict[str, Any]) -> Dict[str, Any]:
        """The step's `last_info` (a game with reward signals adds them, to `obs` too)."""
        return info

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
        self.raw_state = _json(self._snapshot())
        return {"observation": self._observation(), "reward": 0.0, "done": False}

    def step(self, message: str) -> Dict[str, Any]:
        done, info = self.env.step(message)
        self.step_count += 1
        obs = self._observation()
        reward = self._reward()
        self.last_reward = reward
        self.last_info = self._signals(message, obs, reward, info or {})
        self.raw_state = _json(self._snapshot())
        return {"observation": obs, "reward": reward, "done": done}

    def state(self) -> Dict[str, Any]:
        return _json({"step_count": self.step_count, "env_id": self.env_id, "num_players": 1, "max_turns": None,
                      "turn": self.env.state.turn, "last_reward": self.last_reward, "last_info": self.last_info,
                      "raw_state": self.raw_state})


class ReferenceWordle(ReferenceTextArena):
    """The reference's Wordle: its reward signals (`wordle.*`) in `info`, `metadata` and the state."""

    def __init__(self) -> None:
        super().__init__("Wordle-v0")
        self.history: Dict[str, int] = {}
        self.signals: Dict[str, float] = {}

    def _snapshot(self) -> Dict[str, Any]:
        snapshot = super()._snapshot()
        if self.signals:
            snapshot["reward_signals"] = dict(self.signals)
        return snapshot

    def reset(self, seed: int) -> Dict[str, Any]:
        self.history = {}
        reply = super().reset(seed)  # its raw_state still carries the last episode's signals
        self.signals = {}
        return reply

    def _signals(self, message: str, obs: Dict[str, Any], reward: float, info: Dict[str, Any]) -> Dict[str, Any]:
        guess = _extract_guess(message)
        normalized = guess if guess and guess != "[dunno]" else ""
        previous = self.history.get(normalized, 0) if normalized else 0
        green, yellow = _counts(_feedback(obs["messages"]))
        signals = {"wordle.greens": green / 5.0, "wordle.yellows": yellow / 5.0,
                   "wordle.repetitions": 1.0 - previous, "wordle.correct": reward}
        if normalized:
            self.history[normalized] = previous + 1
        obs["info"]["reward_signals"] = dict(signals)
        obs["metadata"]["reward_signals"] = dict(signals)
        self.signals = signals
        return {**info, "reward_signals": signals}


def _message(rng: random.Random, secret: str, guessed: List[str]) -> str:
    roll = rng.random()
    word = rng.choice(GUESSES)
    if roll < 0.12:
        return f"[{secret}]"
    if roll < 0.55:
        return f"[{word}]"
    if roll < 0.60 and guessed:
        return f"[{rng.choice(guessed)}]"
    if roll < 0.65:
        return word  # no brackets: the action formatting adds them
    if roll < 0.70:
        return f"I think it is [{word.upper()}] because {rng.choice(GUESSES)}"
    if roll < 0.74:
        return f"[{word}] or [{rng.choice(GUESSES)}]"
    if roll < 0.78:
        return f"[{word[:rng.randint(0, 4)]}{'' if rng.random() < 0.5 else word + 'ab'}]"
    if roll < 0.82:
        return "[" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(5)) + "]"
    if roll < 0.85:
        return f"guess: {word}"  # wrapped whole: no \\w+ between the brackets
    if roll < 0.88:
        return rng.choice(["[Player] [" + word + "]", "[GAME]", "Player", "[" + word + "\n]", "[é" + word[1:] + "]",
                           "[ÉCLAT]", "[ab_cd]", "[12345]", "", "[]", "]" + word + "[", "[cr ane]",
                           f"[{word}]\nG G G G G\nY Y X X X"])
    if roll < 0.94:
        return f"{rng.choice(GUESSES)}{rng.choice(GUESSES)}"  # ten letters, wrapped
    return f"[{rng.choice(SECRETS)}]"


def reference_game(seed: int):
    """The messages of one random game and what TextArena (as the reference wraps it) answers."""
    ref = ReferenceWordle()
    rng = random.Random(-seed - 1)
    want = ref.reset(seed)
    secret = ref.env.state.game_state["secret_word"]
    script = [({"type": "reset", "data": {"seed": seed}}, want, "reset")]
    guessed: List[str] = []
    extra = 1 + (rng.random() < 0.3) if rng.random() < 0.05 else 0  # steps past the end
    while not want["done"] or extra > 0:
        if want["done"]:
            extra -= 1
        msg = _message(rng, secret, guessed)
        want = ref.step(msg)
        guessed = [w for w, _ in ref.env.state.game_state["guess_history"]]
        script.append(({"type": "step", "data": {"message": msg}}, want, f"step {ref.step_count}: {msg!r}"))
        if ref.step_count > 60:
            break
    script.append(({"type": "state"}, ref.state(), "state"))
    info = ref.env.state.game_info[0]
    ending = ("won" if ref.env.state.rewards == {0: 1} and not info["invalid_move"] else
              "invalid" if info["invalid_move"] else "turn limit")
    return script, ending


def _normalise(payload: Dict[str, Any]) -> Dict[str, Any]:
    payload = dict(payload)
    payload.pop("metadata", None)
    return payload


@pytest.fixture(scope="module")
def wordle_server():
    from conftest import start_server
    s = start_server("textarena", max_sessions=8)
    yield s
    s.stop()


def replay_against_reference(server, games: int, reference_game) -> Dict[str, int]:
    """Plays `reference_game(seed)`'s scripts (message, expected reply, description) for seeds
    0..games-1 through one /ws connection of `server`, 20 games pipelined at a time, and
    asserts every reply (metadata aside) and state equals the reference's. Returns the step
    count and how many games ended which way."""
    batch = 20

    async def scenario() -> Dict[str, int]:
        counts: Dict[str, int] = {"steps": 0}
        async with server.ws() as ws:
            for first in range(0, games, batch):
                scripts = []
                for seed in range(first, min(first + batch, games)):
                    script, ending = reference_game(seed)
                    scripts.append((seed, script))
                    counts[ending] = counts.get(ending, 0) + 1
                for _, script in scripts:
                    for message, _, _ in script:
                        await ws.send(json.dumps(message))
                for seed, script in scripts:
                    for message, want, what in script:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                        if message["type"] == "state":
                            got = frame_data(frame, "state")
                            assert {k: got.get(k) for k in want} == want, f"seed {seed}: {what}"
                            assert set(got) == set(want) | {"episode_id"}, f"seed {seed}: state keys {sorted(got)}"
                        else:
                            got = _normalise(observation(frame))
                            assert got == want, f"seed {seed}: {what}"
                            counts["steps"] += message["type"] == "step"
        return counts

    return run(scenario(), timeout=3600)


def test_random_wordle_games_match_textarena_message_for_message(wordle_server):
    result = replay_against_reference(wordle_server, GAMES, reference_game)
    print(f"wordle: {result}")
    assert result["steps"] >= GAMES
    if GAMES >= 200:
        assert {"won", "invalid", "turn limit"} <= set(result), result


def test_seeded_secrets_are_pythons_choice_over_the_list(wordle_server):
    async def scenario():
        async with wordle_server.ws() as ws:
            for seed in (0, 1, 42, 2**31, 10**12):
                await rt(ws, {"type": "reset", "data": {"seed": seed}})
                state = frame_data(await rt(ws, {"type": "state"}), "state")
                assert state["raw_state"]["game_state"]["secret_word"] == random.Random(seed).choice(SECRETS)

    run(scenario())


def test_serve_refuses_unknown_env_ids():
    import subprocess
    bad = subprocess.run([str(OPENENV_BIN), "serve", "textarena", "--env-id", "Chess-v0"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "Wordle-v0" in bad.stderr, bad.stderr


# --------------------------------------------------------------------------------------
# the reference's typed client
# --------------------------------------------------------------------------------------


class TextArenaMessage(BaseModel):
    sender_id: int
    content: str
    category: str


class TextArenaAction(Action):
    message: str


class TextArenaObservation(Observation):  # extra="forbid", inherited from openenv's Observation
    prompt: str
    messages: List[TextArenaMessage] = Field(default_factory=list)
    current_player_id: int = 0
    legal_players: List[int] = Field(default_factory=list)
    info: Dict[str, Any] = Field(default_factory=dict)


class TextArenaState(State):
    episode_id: Optional[str] = None
    step_count: int = 0
    env_id: str
    num_players: int
    max_turns: Optional[int] = None
    turn: int = 0
    last_reward: float = 0.0
    last_info: Dict[str, Any] = Field(default_factory=dict)
    raw_state: Dict[str, Any] = Field(default_factory=dict)


class ExactTextArenaState(TextArenaState):
    """Stricter than the reference client: the state has the reference's keys and no others."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    observation: TextArenaObservation
    reward: Optional[float]
    done: bool
    metadata: Optional[Dict[str, Any]] = None


class TextArenaEnv(EnvClient[TextArenaAction, TextArenaObservation, TextArenaState]):
    """The reference client's payload handling, on openenv 0.10.0's EnvClient."""

    def _step_payload(self, action: TextArenaAction) -> Dict[str, Any]:
        return {"message": action.message}

    def _parse_result(self, payload: Dict[str, Any]) -> StepResult[TextArenaObservation]:
        Reply.model_validate(payload)
        obs = payload.get("observation", {})
        messages = [TextArenaMessage(sender_id=m.get("sender_id", -1), content=m.get("content", ""),
                                     category=m.get("category", "MESSAGE")) for m in obs.get("messages", [])]
        observation = TextArenaObservation(
            prompt=obs.get("prompt", ""), messages=messages, current_player_id=obs.get("current_player_id", 0),
            legal_players=obs.get("legal_players", []), info=obs.get("info", {}), reward=payload.get("reward"),
            done=payload.get("done", False), metadata=obs.get("metadata", {}))
        return StepResult(observation=observation, reward=payload.get("reward"), done=payload.get("done", False))

    def _parse_state(self, payload: Dict[str, Any]) -> TextArenaState:
        ExactTextArenaState.model_validate(payload)
        return TextArenaState(**payload)


def test_the_reference_client_plays_to_the_end(start):
    server = start("textarena", max_sessions=2)
    with server.client(TextArenaEnv).sync() as env:
        for seed in range(20):
            ref = ReferenceWordle()
            want = ref.reset(seed)
            r = env.reset(seed=seed)
            assert isinstance(r.observation, TextArenaObservation) and r.observation.prompt == want["observation"]["prompt"]
            assert r.observation.prompt.startswith("[GAME] You are Playing Wordle.")
            words = random.Random(seed).sample(GUESSES, 8)
            while not r.done:
                message = f"[{words.pop()}]"
                r = env.step(TextArenaAction(message=message))
                want = ref.step(message)
                assert [m.model_dump() for m in r.observation.messages] == want["observation"]["messages"]
                assert (r.observation.prompt, r.observation.info, r.reward, r.done) == \
                    (want["observation"]["prompt"], want["observation"]["info"], want["reward"], want["done"])
            st = env.state()
            assert (st.env_id, st.turn, st.step_count, st.raw_state) == ("Wordle-v0", ref.env.state.turn, ref.step_count, ref.raw_state)
