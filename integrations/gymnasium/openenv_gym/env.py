"""`gymnasium.Env` over one OpenEnv `/ws` session."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

import gymnasium as gym
import numpy as np
import requests
from websockets.sync.client import connect

from .spaces import INFO_FIELDS, ActionCodec, encode, observation_space


class OpenEnvError(RuntimeError):
    """An error frame from the server."""


class Connection:
    """One `/ws` connection (with an optional query), request and reply in order."""

    def __init__(self, base_url: str, query: str = "", timeout: float = 30):
        self.ws = connect(base_url.replace("http", "ws", 1).rstrip("/") + "/ws" + query, max_size=None,
                          open_timeout=timeout, proxy=None)
        self.timeout = timeout

    def call(self, message: Dict[str, Any], expect: str) -> Dict[str, Any]:
        self.ws.send(json.dumps(message))
        frame = json.loads(self.ws.recv(timeout=self.timeout))
        if frame.get("type") == "error":
            raise OpenEnvError(frame["data"])
        assert frame.get("type") == expect, frame
        return frame["data"]

    def close(self) -> None:
        try:
            self.ws.send(json.dumps({"type": "close"}))
        finally:
            self.ws.close()


def schemas(base_url: str, timeout: float) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    body = requests.get(base_url.rstrip("/") + "/schema", timeout=timeout).json()
    return body["action"], body["observation"]


class OpenEnvGym(gym.Env):
    """Any OpenEnv server as a Gymnasium environment.

    `reset(seed=)` sends the seed (the server's seeded draws make episodes reproducible);
    `step` returns Gymnasium's five values: the observation (a `Dict` of the fields with a
    fixed space), the reward (`null` counts 0.0), `terminated` (the server's `done`),
    `truncated` (always False: OpenEnv servers end episodes with `done`) and `info` (the
    other fields, such as `legal_actions`, and the observation's `metadata`).
    """

    metadata = {"render_modes": []}

    def __init__(self, base_url: str, *, action_key: Optional[str] = None, action_n: Optional[int] = None,
                 reset_options: Optional[Dict[str, Any]] = None, timeout: float = 30):
        self.base_url = base_url
        self.reset_options = dict(reset_options or {})
        self._action_schema, self._observation_schema = schemas(base_url, timeout)
        self._connection = Connection(base_url, timeout=timeout)
        first = self._connection.call({"type": "reset", "data": {"seed": 0, **self.reset_options}}, "observation")["observation"]
        self.observation_space, self._fields = observation_space(self._observation_schema, first)
        self._codec = ActionCodec(self._action_schema, first, action_key, action_n)
        self.action_space = self._codec.space

    def _observation(self, wire: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        obs = encode(self.observation_space, {"properties": self._observation_schema["properties"]}, self._observation_schema,
                     {name: wire[name] for name in self._fields})
        info = {name: value for name, value in wire.items() if name not in self._fields and name != "metadata"}
        info["metadata"] = wire.get("metadata", {})
        for name in INFO_FIELDS & set(wire):
            info[name] = wire[name]
        return obs, info

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None):
        super().reset(seed=seed)
        data = {**self.reset_options, **(options or {})}
        if seed is not None:
            data["seed"] = seed
        elif "seed" not in data:
            data["seed"] = int(self.np_random.integers(0, 2**31 - 1))
        reply = self._connection.call({"type": "reset", "data": data}, "observation")
        return self._observation(reply["observation"])

    def step(self, action: Any):
        reply = self._connection.call({"type": "step", "data": self._codec.wire(action)}, "observation")
        obs, info = self._observation(reply["observation"])
        reward = float(reply["reward"] or 0.0)
        return obs, reward, bool(reply["done"]), False, info

    def close(self) -> None:
        connection, self._connection = getattr(self, "_connection", None), None
        if connection is not None:
            connection.close()
        super().close()
