"""`gymnasium.vector.VectorEnv` over one `/ws?num_envs=N` connection (batched stepping)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array

from .env import Connection, schemas
from .spaces import ActionCodec, encode, observation_space


class OpenEnvVectorEnv(VectorEnv):
    """N environments of one OpenEnv server stepped by one message each step.

    Autoreset is next-step (`metadata["autoreset_mode"]`), as the server does it: after a
    sub-environment ends, the next step resets it and ignores its action. `reset(seed=S)`
    seeds sub-environment i with S + i; the server seeds autoresets from S as well
    (docs/compatibility.md), so a seeded run is reproducible.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, base_url: str, num_envs: int, *, action_key: Optional[str] = None, action_n: Optional[int] = None,
                 reset_options: Optional[Dict[str, Any]] = None, timeout: float = 30):
        self.num_envs = num_envs
        self.reset_options = dict(reset_options or {})
        action_schema, self._observation_schema = schemas(base_url, timeout)
        self._connection = Connection(base_url, query=f"?num_envs={num_envs}", timeout=timeout)
        first = self._connection.call({"type": "reset", "data": {"seed": 0, **self.reset_options}}, "vector_observation")
        self.single_observation_space, self._fields = observation_space(self._observation_schema, first["observations"][0])
        self._codec = ActionCodec(action_schema, first["observations"][0], action_key, action_n)
        self.single_action_space = self._codec.space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._buffer = create_empty_array(self.single_observation_space, num_envs)

    def _batch(self, reply: Dict[str, Any]):
        items = [encode(self.single_observation_space, {"properties": self._observation_schema["properties"]},
                        self._observation_schema, {name: wire[name] for name in self._fields})
                 for wire in reply["observations"]]
        observations = concatenate(self.single_observation_space, items, self._buffer)
        infos: Dict[str, Any] = {}
        if "legal_actions" in reply["observations"][0]:
            infos["legal_actions"] = [wire["legal_actions"] for wire in reply["observations"]]
        return observations, infos

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None):
        data = {**self.reset_options, **(options or {})}
        data["seed"] = seed
        reply = self._connection.call({"type": "reset", "data": data}, "vector_observation")
        return self._batch(reply)

    def step(self, actions: Any):
        wire: List[Dict[str, Any]] = [self._codec.wire(a) for a in np.asarray(actions).reshape(self.num_envs)]
        reply = self._connection.call({"type": "step", "data": {"actions": wire}}, "vector_observation")
        observations, infos = self._batch(reply)
        rewards = np.array([float(r or 0.0) for r in reply["rewards"]], dtype=np.float64)
        terminations = np.array(reply["dones"], dtype=np.bool_)
        truncations = np.zeros(self.num_envs, dtype=np.bool_)
        infos["autoreset"] = np.array(reply["autoreset"], dtype=np.bool_)
        return observations, rewards, terminations, truncations, infos

    def close_extras(self, **kwargs: Any) -> None:
        self._connection.close()
