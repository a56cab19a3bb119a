"""Gymnasium spaces from an OpenEnv `/schema` (JSON Schema of the action and observation)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from gymnasium import spaces

# Fields of every OpenEnv observation that are not the environment's own.
WIRE_FIELDS = {"metadata", "done", "reward"}
# Lists whose length changes from step to step: never part of the observation space.
INFO_FIELDS = {"legal_actions", "legal_moves"}


def resolve(schema: Dict[str, Any], root: Dict[str, Any]) -> Dict[str, Any]:
    """Follows `$ref` (to `#/$defs/...`) and a single-member `allOf`/`anyOf` without null."""
    while True:
        if "$ref" in schema:
            path = schema["$ref"].lstrip("#/").split("/")
            target: Any = root
            for part in path:
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            return schema


def _number_space(schema: Dict[str, Any], shape: Tuple[int, ...]) -> spaces.Box:
    low = schema.get("minimum", schema.get("exclusiveMinimum", -np.inf))
    high = schema.get("maximum", schema.get("exclusiveMaximum", np.inf))
    return spaces.Box(low=low, high=high, shape=shape, dtype=np.float64)


def field_space(schema: Dict[str, Any], root: Dict[str, Any], sample: Any) -> Optional[spaces.Space]:
    """The space of one field, or None when it has no fixed space (it then goes to info)."""
    schema = resolve(schema, root)
    if "enum" in schema:
        return spaces.Discrete(len(schema["enum"]))
    kind = schema.get("type")
    if kind == "boolean":
        return spaces.Discrete(2)
    if kind in ("integer", "number"):
        return _number_space(schema, ())
    if kind == "array" and isinstance(sample, list):
        items = resolve(schema.get("items", {}), root)
        if items.get("type") in ("integer", "number") and all(isinstance(x, (int, float)) for x in sample):
            return _number_space(items, (len(sample),))
        return None
    if kind == "object" and isinstance(sample, dict) and "properties" in schema:
        members = {}
        for name, member in schema["properties"].items():
            space = field_space(member, root, sample.get(name))
            if space is not None:
                members[name] = space
        return spaces.Dict(members) if members else None
    return None


def observation_space(schema: Dict[str, Any], first: Dict[str, Any]) -> Tuple[spaces.Dict, List[str]]:
    """The observation space and the fields it covers, from the schema and a first observation."""
    members: Dict[str, spaces.Space] = {}
    for name, member in schema.get("properties", {}).items():
        if name in WIRE_FIELDS or name in INFO_FIELDS:
            continue
        space = field_space(member, schema, first.get(name))
        if space is not None:
            members[name] = space
    return spaces.Dict(members), list(members)


def encode(space: spaces.Space, schema: Dict[str, Any], root: Dict[str, Any], value: Any) -> Any:
    """A wire value as an element of `space`."""
    schema = resolve(schema, root)
    if isinstance(space, spaces.Dict):
        return {name: encode(sub, schema["properties"][name], root, value[name]) for name, sub in space.spaces.items()}
    if isinstance(space, spaces.Discrete):
        if "enum" in schema:
            return np.int64(schema["enum"].index(value))
        return np.int64(bool(value))
    return np.asarray(value, dtype=np.float64).reshape(space.shape)


class ActionCodec:
    """The action space and the mapping from its elements to the wire's action object.

    The action is the schema's one required field (or `key`): an enum becomes `Discrete`
    over its values; an integer with bounds `Discrete(max - min + 1, start=min)`; an integer
    without bounds `Discrete(n)` with n from `n` or, failing that, one more than the largest
    legal action of the first observation (`legal_actions`).
    """

    def __init__(self, schema: Dict[str, Any], first: Dict[str, Any], key: Optional[str] = None, n: Optional[int] = None):
        required = [k for k in schema.get("required", []) if k != "metadata"]
        if key is None:
            if len(required) != 1:
                raise ValueError(f"the action has required fields {required}: name the one to act on with action_key")
            key = required[0]
        self.key = key
        field = resolve(schema["properties"][key], schema)
        self.values: Optional[List[Any]] = None
        if "enum" in field:
            self.values = list(field["enum"])
            self.space: spaces.Space = spaces.Discrete(len(self.values))
        elif field.get("type") == "integer" and "minimum" in field and "maximum" in field:
            self.space = spaces.Discrete(field["maximum"] - field["minimum"] + 1, start=field["minimum"])
        elif field.get("type") == "integer":
            if n is None:
                legal = first.get("legal_actions")
                if not legal:
                    raise ValueError(f"'{key}' has no bounds in the schema: give action_n")
                n = max(legal) + 1
            self.space = spaces.Discrete(n)
        else:
            raise ValueError(f"no Gymnasium space for the action field '{key}': {field}")

    def wire(self, action: Any) -> Dict[str, Any]:
        index = int(action)
        return {self.key: self.values[index] if self.values is not None else index}
