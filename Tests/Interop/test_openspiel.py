"""`openenv serve openspiel` checked move for move against the real OpenSpiel engine.

The expected values come from `pyspiel` (open-spiel 2.0.2, pinned in requirements.txt),
driven the way the reference `openspiel_env` drives it (huggingface/OpenEnv
`envs/openspiel_env/server/openspiel_environment.py`, OpenEnv commit 385de5e): an
`open_spiel.python.rl_environment.Environment` per episode, the agent's player,
opponents played by a policy until it is the agent's turn, and the observation built from
the time step (`info_state`, `legal_actions`, `current_player`, the phase, the agent's
reward of the last transition, `last()`). `ReferenceEpisode` below is that wrapper, written
here from the reference's documented behaviour; the game itself (legal actions, tensors,
chance outcomes, rewards, terminal states) is pyspiel's, never ours.

Chance outcomes and random opponents are drawn from the same seeded draws on both sides:
the server documents that `reset(seed=N)` samples chance nodes as
`rl_environment.ChanceEventSampler(seed=N)` does and random opponent moves as
`random.Random(N).choice`, so the Python side simply uses those.

The agent's moves are random legal actions (its own seeded `random.Random`), so each game
is a random game; after every move the whole observation must be identical. The number of
games per game is GAMES (1,000 by default, `OPENSPIEL_GAMES` overrides it).

The reference's typed client (`envs/openspiel_env/client.py` and `models.py`) is not on
PyPI, so its models are written here from its field lists on openenv 0.10.0's own
`Action`/`Observation`/`State` bases (observations forbid extra fields) and its client's
`_parse_result`/`_parse_state` on the real `EnvClient`; it plays catch and tic_tac_toe.

swift_only: the Python reference server of this suite (reference_env.py) has no openspiel.
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

pyspiel = pytest.importorskip("pyspiel")
from open_spiel.python import rl_environment  # noqa: E402

pytestmark = pytest.mark.swift_only

GAMES = int(os.environ.get("OPENSPIEL_GAMES", "1000"))

# (game, game_params, agent_player, opponent_policy): every game served, both seats of the
# two-player games, both opponent policies, and non-default parameters.
CONFIGS = [
    ("catch", {}, 0, "random"),
    ("catch", {"rows": 6, "columns": 3}, 0, "random"),
    ("tic_tac_toe", {}, 0, "random"),
    ("tic_tac_toe", {}, 1, "random"),
    ("tic_tac_toe", {}, 1, "first"),
    ("connect_four", {}, 0, "random"),
    ("connect_four", {}, 1, "random"),
    ("kuhn_poker", {}, 0, "random"),
    ("kuhn_poker", {}, 1, "random"),
    ("cliff_walking", {}, 0, "random"),
    ("cliff_walking", {"height": 3, "width": 5, "horizon": 20}, 0, "random"),
    ("blackjack", {}, 0, "random"),
    ("2048", {}, 0, "random"),
    ("2048", {"max_tile": 64}, 0, "random"),
]


# --------------------------------------------------------------------------------------
# the reference's wrapper over pyspiel
# --------------------------------------------------------------------------------------


class ReferenceEpisode:
    """What the reference `OpenSpielEnvironment` answers, with the server's seeded draws."""

    def __init__(self, game: str, params: Dict[str, Any], agent: int, policy: str, seed: int):
        self.env = rl_environment.Environment(
            game, chance_event_sampler=rl_environment.ChanceEventSampler(seed=seed), **params)
        self.agent = agent
        self.policy = policy
        self.opponents = random.Random(seed)
        self.last_opponent: Optional[int] = None
        self.steps = 0

    def _opponent(self, legal: List[int]) -> int:
        if self.policy == "random":
            return self.opponents.choice(legal)
        return {"first": legal[0], "last": legal[-1], "middle": legal[len(legal) // 2]}[self.policy]

    def _autoplay(self, ts: Any) -> Any:
        if self.env.num_players == 1:
            return ts
        while not ts.last() and ts.observations["current_player"] != self.agent:
            player = ts.observations["current_player"]
            action = self._opponent(ts.observations["legal_actions"][player])
            self.last_opponent = action
            ts = self.env.step([action])
            self.steps += 1
        return ts

    def _payload(self, ts: Any) -> Dict[str, Any]:
        phase = "terminal" if ts.last() else "initial" if ts.first() else "playing"
        reward = None if ts.rewards is None else float(ts.rewards[self.agent])
        return {
            "observation": {
                "info_state": [float(x) for x in ts.observations["info_state"][self.agent]],
                "legal_actions": list(ts.observations["legal_actions"][self.agent]),
                "game_phase": phase,
                "current_player_id": ts.observations["current_player"],
                "opponent_last_action": self.last_opponent,
                "metadata": {},
            },
            "reward": reward,
            "done": ts.last(),
        }

    def reset(self) -> Dict[str, Any]:
        return self._payload(self._autoplay(self.env.reset()))

    def step(self, action: int) -> Dict[str, Any]:
        ts = self.env.step([action])
        self.steps += 1
        return self._payload(self._autoplay(ts))

    def returns(self) -> float:
        return float(self.env._state.returns()[self.agent])  # the engine's own end-of-game returns


@pytest.fixture(scope="module")
def openspiel():
    s = start_server("openspiel", max_sessions=8)
    yield s
    s.stop()


def _normalise(payload: Dict[str, Any]) -> Dict[str, Any]:
    payload = dict(payload)
    payload.setdefault("observation", {}).setdefault("metadata", {})
    payload.pop("metadata", None)
    return payload


def reference_episode(game: str, params: Dict[str, Any], agent: int, policy: str, seed: int, first: bool):
    """The messages of one random game and what the reference answers to each."""
    ref = ReferenceEpisode(game, params, agent, policy, seed)
    mover = random.Random(-seed - 1)
    reset = {"seed": seed, "game_name": game, "game_params": params, "agent_player": agent, "opponent_policy": policy}
    want = ref.reset()
    script = [({"type": "reset", "data": reset}, want, "reset")]
    total = 0.0
    while not want["done"]:
        action = mover.choice(want["observation"]["legal_actions"])
        want = ref.step(action)
        total += want["reward"]
        script.append(({"type": "step", "data": {"action_id": action}}, want, f"move {len(script)}: {action}"))
    assert total == ref.returns(), f"{game} seed {seed}: the engine's rewards sum to {total}, returns {ref.returns()}"
    script.append(({"type": "state"}, {"step_count": ref.steps, "game_name": game, "agent_player": agent,
                                        "opponent_policy": policy, "game_params": params,
                                        "num_players": ref.env.num_players}, "state"))
    if first:
        # A step after the end starts a new game and ignores its action (rl_environment).
        script.append(({"type": "step", "data": {"action_id": 0}}, ref.step(0), "step after the end"))
    return script, total


@pytest.mark.parametrize("game,params,agent,policy", CONFIGS,
                         ids=[f"{g}-{'-'.join(f'{k}{v}' for k, v in p.items()) or 'default'}-p{a}-{o}"
                              for g, p, a, o in CONFIGS])
def test_random_games_match_pyspiel_move_for_move(openspiel, game, params, agent, policy):
    base = {"catch": 0, "tic_tac_toe": 10_000, "connect_four": 20_000, "kuhn_poker": 30_000, "cliff_walking": 40_000,
            "blackjack": 50_000, "2048": 60_000}[game]
    base += 100_000 * agent + (7 if policy == "first" else 0) + (1_000_000 if params else 0)
    batch = 25  # games whose messages are sent before their replies are read (one socket, in order)

    async def scenario() -> Dict[str, int]:
        moves = 0
        outcomes: Dict[float, int] = {}
        async with openspiel.ws() as ws:
            for first_game in range(0, GAMES, batch):
                scripts = []
                for n in range(first_game, min(first_game + batch, GAMES)):
                    script, total = reference_episode(game, params, agent, policy, base + n, n == 0)
                    scripts.append((base + n, script))
                    outcomes[total] = outcomes.get(total, 0) + 1
                for _, script in scripts:
                    for message, _, _ in script:
                        await ws.send(json.dumps(message))
                for seed, script in scripts:
                    for message, want, what in script:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                        if message["type"] == "state":
                            got = frame_data(frame, "state")
                            assert {k: got.get(k) for k in want} == want, f"{game} seed {seed}: {what}"
                        else:
                            got = _normalise(observation(frame))
                            assert got == want, f"{game} seed {seed}: {what}"
                            moves += message["type"] == "step"
        return {"moves": moves, "outcomes": len(outcomes)}

    result = run(scenario(), timeout=600)
    assert result["moves"] >= GAMES  # every game had at least one move of the agent
    assert result["outcomes"] >= 2  # random games do not all end alike


def test_game_parameters_and_opponents_follow_the_options(start):
    server = start("openspiel", max_sessions=2, extra_args=["--game", "connect_four", "--agent-player", "1",
                                                            "--opponent-policy", "first",
                                                            "--game-params", '{"columns": 5, "rows": 4}'])
    with server.client().sync() as env:
        r = env.reset()
        # player 0 (x) opened in column 0, the first legal action: plane x, bottom row, column 0
        assert r.observation["opponent_last_action"] == 0 and r.observation["current_player_id"] == 1
        assert r.observation["legal_actions"] == [0, 1, 2, 3, 4] and len(r.observation["info_state"]) == 3 * 4 * 5
        assert r.observation["info_state"][0] == 1.0 and r.observation["game_phase"] == "playing" and r.reward == 0.0
        st = env.state()
        assert (st["game_name"], st["agent_player"], st["opponent_policy"], st["num_players"], st["step_count"]) == \
            ("connect_four", 1, "first", 2, 1)
        assert st["game_params"] == {"columns": 5, "rows": 4}


def test_illegal_actions_are_refused_and_leave_the_game_as_it_was(openspiel):
    async def scenario():
        async with openspiel.ws() as ws:
            first = observation(await rt(ws, {"type": "reset", "data": {"seed": 3, "game_name": "tic_tac_toe"}}))
            await rt(ws, {"type": "step", "data": {"action_id": 4}})
            for bad in (4, 9, -1):
                err = frame_data(await rt(ws, {"type": "step", "data": {"action_id": bad}}), "error")
                assert err["code"] == "EXECUTION_ERROR" and "Illegal action" in err["message"], err
            err = frame_data(await rt(ws, {"type": "reset", "data": {"game_name": "go"}}), "error")
            assert "Unknown game 'go'" in err["message"], err
            bad_key = frame_data(await rt(ws, {"type": "step", "data": {"action": 1}}), "error")
            assert bad_key["code"] == "VALIDATION_ERROR"
            return first

    first = run(scenario())
    assert first["observation"]["legal_actions"] == list(range(9)) and first["reward"] is None


def test_serve_refuses_unknown_games_and_options():
    for args, text in ((["--game", "go"], "Unknown game 'go'"), (["--opponent-policy", "smart", "--game", "tic_tac_toe"],
                       "Unknown opponent policy"), (["--game", "catch", "--agent-player", "1"], "agent_player=1"),
                       (["--game-params", '{"rows": "x"}'], "must be an integer"), (["--seed", "1"], "--seed")):
        bad = subprocess.run([str(OPENENV_BIN), "serve", "openspiel", *args], capture_output=True, text=True, timeout=30)
        assert bad.returncode != 0 and text in bad.stderr, (args, bad.stderr)


# --------------------------------------------------------------------------------------
# the reference's typed client
# --------------------------------------------------------------------------------------


class OpenSpielAction(Action):
    action_id: int
    game_name: str = "catch"
    game_params: Dict[str, Any] = Field(default_factory=dict)


class OpenSpielObservation(Observation):  # extra="forbid", inherited from openenv's Observation
    info_state: List[float]
    legal_actions: List[int]
    game_phase: str = "playing"
    current_player_id: int = 0
    opponent_last_action: Optional[int] = None


class OpenSpielState(State):
    game_name: str = "catch"
    agent_player: int = 0
    opponent_policy: str = "random"
    game_params: Dict[str, Any] = Field(default_factory=dict)
    num_players: int = 1


class ExactOpenSpielState(OpenSpielState):
    """Stricter than the reference client: the state has the reference's keys and no others."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    observation: OpenSpielObservation
    reward: Optional[float]
    done: bool
    metadata: Optional[Dict[str, Any]] = None


class OpenSpielEnv(EnvClient[OpenSpielAction, OpenSpielObservation, OpenSpielState]):
    """What the reference's OpenSpielEnv client does with each payload."""

    def _step_payload(self, action: OpenSpielAction) -> Dict[str, Any]:
        return {"action_id": action.action_id, "game_name": action.game_name, "game_params": action.game_params}

    def _parse_result(self, payload: Dict[str, Any]) -> StepResult[OpenSpielObservation]:
        Reply.model_validate(payload, strict=True)
        obs = payload.get("observation", {})
        observation = OpenSpielObservation(
            info_state=obs.get("info_state", []), legal_actions=obs.get("legal_actions", []),
            game_phase=obs.get("game_phase", "playing"), current_player_id=obs.get("current_player_id", 0),
            opponent_last_action=obs.get("opponent_last_action"), done=payload.get("done", False),
            reward=payload.get("reward"), metadata=obs.get("metadata", {}))
        return StepResult(observation=observation, reward=payload.get("reward"), done=payload.get("done", False))

    def _parse_state(self, payload: Dict[str, Any]) -> OpenSpielState:
        ExactOpenSpielState.model_validate(payload, strict=True)
        return OpenSpielState(
            episode_id=payload.get("episode_id"), step_count=payload.get("step_count", 0),
            game_name=payload.get("game_name", "unknown"), agent_player=payload.get("agent_player", 0),
            opponent_policy=payload.get("opponent_policy", "random"), game_params=payload.get("game_params", {}),
            num_players=payload.get("num_players", 1))


@pytest.mark.parametrize("game", ["catch", "tic_tac_toe"])
def test_the_reference_client_plays(start, game):
    server = start("openspiel", max_sessions=2, extra_args=["--game", game])
    with server.client(OpenSpielEnv).sync() as env:
        for seed in range(20):
            ref = ReferenceEpisode(game, {}, 0, "random", seed)
            want = ref.reset()
            r = env.reset(seed=seed)
            assert isinstance(r.observation, OpenSpielObservation)
            assert r.observation.info_state == want["observation"]["info_state"] and r.reward is None
            assert r.observation.game_phase == "initial"
            while not r.done:
                action = r.observation.legal_actions[0] if seed % 2 else r.observation.legal_actions[-1]
                r = env.step(OpenSpielAction(action_id=action, game_name=game))
                want = ref.step(action)
                assert r.observation.model_dump(exclude={"metadata", "done", "reward"}) == \
                    {k: v for k, v in want["observation"].items() if k != "metadata"}
                assert (r.reward, r.done) == (want["reward"], want["done"])
            assert r.observation.game_phase == "terminal" and r.observation.legal_actions == []
            st = env.state()
            assert (st.game_name, st.agent_player, st.opponent_policy, st.num_players) == \
                (game, 0, "random", 1 if game == "catch" else 2)
            assert st.step_count == ref.steps


def test_schema_and_http_routes_have_the_reference_shapes(openspiel):
    schema = openspiel.get("/schema").json()
    assert set(schema["action"]["properties"]) == {"action_id", "game_name", "game_params", "metadata"}
    assert schema["action"]["required"] == ["action_id"]
    assert set(schema["observation"]["properties"]) >= {"info_state", "legal_actions", "game_phase",
                                                        "current_player_id", "opponent_last_action", "done", "reward"}
    body = openspiel.http.post(openspiel.base + "/reset", json={"seed": 5}, timeout=TIMEOUT).json()
    Reply.model_validate(body, strict=True)
    want = ReferenceEpisode("catch", {}, 0, "random", 5).reset()
    assert body["observation"]["info_state"] == want["observation"]["info_state"]
    state = openspiel.get("/state").json()
    ExactOpenSpielState.model_validate(state, strict=True)
    assert json.loads(json.dumps(state))["game_name"] == "catch"
