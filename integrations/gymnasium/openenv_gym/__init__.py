"""Gymnasium on top of any OpenEnv server.

- `OpenEnvGym(base_url)`: a `gymnasium.Env` over one `/ws` session (the reference protocol).
- `OpenEnvVectorEnv(base_url, num_envs)`: a `gymnasium.vector.VectorEnv` over one
  `/ws?num_envs=N` connection (swift-openenv's batched stepping), next-step autoreset.

Spaces come from the server's `/schema` (see `spaces.py`): enums become `Discrete`, numbers
with both bounds `Box` (without bounds, an unbounded `Box`), booleans `Discrete(2)`, arrays of
numbers a `Box` as long as the first observation's, objects `Dict`. Fields without a fixed
space (strings, lists whose length changes such as `legal_actions`) go to `info`.
"""

from .env import OpenEnvGym
from .vector import OpenEnvVectorEnv

__all__ = ["OpenEnvGym", "OpenEnvVectorEnv"]
