"""Raw HTTP routes: info routes, the stateless simulation routes, error bodies, Task API."""

from __future__ import annotations

import pytest

from conftest import (
    IS_REFERENCE,
    ECHO_METADATA,
    ECHO_READY,
    ECHO_STEP_TOOLS,
    ENV_NAMES,
    GRID_MOVES,
    GRID_OBS_FIELDS,
    GRID_STATE_FIELDS,
    METADATA_KEYS,
    echo_call,
    echo_message_result,
    echo_with_length_result,
    grid_layout,
    invalid_action,
    valid_action,
)

SIMULATION_PATHS = {"/reset", "/step", "/state", "/health", "/metadata", "/schema", "/mcp"}


def http_payload(body: dict) -> dict:
    """Check the ResetResponse/StepResponse shape; return the body."""
    assert set(body) == {"observation", "reward", "done", "metadata"}, f"keys {sorted(body)}"
    assert isinstance(body["observation"], dict)
    # HTTP coerces rewards to float (or null)
    assert body["reward"] is None or type(body["reward"]) is float, f"reward {body['reward']!r} is not a float/null"
    assert isinstance(body["done"], bool)
    assert body["metadata"] is None or isinstance(body["metadata"], dict)
    return body


def detail_items(r) -> list:
    """FastAPI-style 422 body: {"detail": [{type, loc, msg, ...}, ...]}."""
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers.get("content-type")
    det = r.json().get("detail")
    assert isinstance(det, list) and det, f"detail {r.text[:300]}"
    for e in det:
        assert {"type", "loc", "msg"} <= set(e), f"detail item {e}"
        assert isinstance(e["loc"], list)
    return det


# --------------------------------------------------------------------------------------
# info routes
# --------------------------------------------------------------------------------------


def test_health(env_server):
    r = env_server.get("/health")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"status": "healthy"}


def test_metadata_has_six_keys(env_server):
    r = env_server.get("/metadata")
    assert r.status_code == 200
    d = r.json()
    assert set(d) == METADATA_KEYS
    assert isinstance(d["name"], str) and isinstance(d["description"], str)
    for k in METADATA_KEYS - {"name", "description"}:
        assert d[k] is None or isinstance(d[k], str), k
    if env_server.env == "echo":
        assert d == ECHO_METADATA
    else:
        assert d["name"] == "GridEnvironment"
        assert d["version"] == "1.0.0"


def test_schema_four_keys(env_server):
    r = env_server.get("/schema")
    assert r.status_code == 200
    d = r.json()
    assert list(d) == ["action", "observation", "state", "reset_observation"]
    for k, sch in d.items():
        assert isinstance(sch, dict) and sch.get("type") == "object", k
        assert isinstance(sch.get("properties"), dict), k
    assert {"episode_id", "step_count"} <= set(d["state"]["properties"])
    assert {"done", "reward", "metadata"} <= set(d["observation"]["properties"])
    assert d["action"].get("additionalProperties") is False
    assert "metadata" in d["action"]["properties"]


def test_schema_echo(echo_server):
    d = echo_server.get("/schema").json()
    assert d["action"]["title"] == "CallToolAction"
    assert d["action"]["required"] == ["tool_name"]
    assert {"type", "tool_name", "arguments"} <= set(d["action"]["properties"])
    assert d["observation"]["title"] == "CallToolObservation"
    assert {"tool_name", "result", "error"} <= set(d["observation"]["properties"])
    assert d["state"]["title"] == "State"


def test_schema_grid(grid_server):
    d = grid_server.get("/schema").json()
    act = d["action"]
    assert act["required"] == ["action"]
    prop = act["properties"]["action"]
    assert prop.get("type") == "string"
    assert sorted(prop.get("enum", [])) == sorted(GRID_MOVES)
    assert set(d["state"]["properties"]) == GRID_STATE_FIELDS
    assert GRID_OBS_FIELDS | {"done", "reward", "metadata"} == set(d["observation"]["properties"])
    assert set(d["reset_observation"]["properties"]) == set(d["observation"]["properties"])


def test_openapi_simulation(env_server):
    r = env_server.get("/openapi.json")
    assert r.status_code == 200
    d = r.json()
    ver = d["info"]["version"]
    assert isinstance(ver, str) and ver.startswith("1."), ver
    assert isinstance(d.get("openapi"), str)
    paths = d["paths"]
    assert SIMULATION_PATHS <= set(paths), sorted(paths)
    assert "post" in paths["/reset"] and "post" in paths["/step"] and "get" in paths["/state"]
    assert "post" in paths["/mcp"] and "get" in paths["/health"]
    assert not any(p.startswith("/ws") for p in paths), "WebSocket routes do not appear in OpenAPI"


# --------------------------------------------------------------------------------------
# POST /reset, POST /step, GET /state (stateless without a session)
# --------------------------------------------------------------------------------------


def test_reset_empty_object(env_server):
    r = env_server.post("/reset", {})
    assert r.status_code == 200, r.text
    d = http_payload(r.json())
    assert d["done"] is False
    if env_server.env == "echo":
        assert d == {"observation": {"metadata": ECHO_READY}, "reward": 0.0, "done": False, "metadata": ECHO_READY}
    else:
        assert d == {
            "observation": {"metadata": {}, "row": 0, "col": 0, "goal_row": 4, "goal_col": 4, "size": 5, "hit_wall": False},
            "reward": None, "done": False, "metadata": None,
        }


def test_reset_without_body(env_server):
    r = env_server.post("/reset")
    assert r.status_code == 200, r.text
    http_payload(r.json())


def test_reset_seed_episode_id_and_extra_keys(env_server):
    r = env_server.post("/reset", {"seed": 7, "episode_id": "http-ep", "custom_option": True})
    assert r.status_code == 200, r.text
    d = http_payload(r.json())
    if env_server.env == "grid":
        (ar, ac), (gr, gc) = grid_layout(7)
        o = d["observation"]
        assert (o["row"], o["col"], o["goal_row"], o["goal_col"]) == (ar, ac, gr, gc)


def test_step_valid(env_server):
    r = env_server.post("/step", {"action": valid_action(env_server.env, "http-step")})
    assert r.status_code == 200, r.text
    d = http_payload(r.json())
    if env_server.env == "echo":
        assert d == {
            "observation": {"metadata": {}, "tool_name": "echo_message", "result": echo_message_result("http-step"), "error": None},
            "reward": None, "done": False, "metadata": None,
        }
    else:  # a fresh env at (0,0) moves DOWN
        assert d["observation"] == {"metadata": {}, "row": 1, "col": 0, "goal_row": 4, "goal_col": 4, "size": 5, "hit_wall": False}
        assert d["reward"] == 0.0 and d["done"] is False and d["metadata"] is None


def test_step_optional_fields(env_server):
    body = {"action": valid_action(env_server.env), "timeout_s": 5.0, "request_id": "req-1"}
    r = env_server.post("/step", body)
    assert r.status_code == 200, r.text
    assert "request_id" not in r.json()


def test_step_echo_tools(echo_server):
    r = echo_server.post("/step", {"action": echo_call("abcd", "echo_with_length")})
    assert r.status_code == 200
    assert r.json()["observation"]["result"] == echo_with_length_result("abcd")
    r = echo_server.post("/step", {"action": {"type": "list_tools"}})
    assert r.status_code == 200
    assert r.json()["observation"] == {"metadata": {}, "tools": ECHO_STEP_TOOLS}


def test_step_grid_wall(grid_server):
    r = grid_server.post("/step", {"action": {"action": "UP"}})
    assert r.status_code == 200
    o = r.json()["observation"]
    assert (o["row"], o["col"], o["hit_wall"]) == (0, 0, True)


def test_http_routes_are_stateless(env_server):
    """Without a session, /reset, /step and /state each act on a fresh env."""
    assert env_server.post("/reset", {"episode_id": "stateless-ep"}).status_code == 200
    assert env_server.post("/step", {"action": valid_action(env_server.env)}).status_code == 200
    r = env_server.get("/state")
    assert r.status_code == 200
    s = r.json()
    assert s["step_count"] == 0
    assert s["episode_id"] != "stateless-ep"


def test_state_shape(env_server):
    s = env_server.get("/state").json()
    assert isinstance(s["episode_id"], str) and s["episode_id"]
    assert s["step_count"] == 0
    if env_server.env == "grid":
        assert set(s) == GRID_STATE_FIELDS
        assert (s["row"], s["col"], s["goal_row"], s["goal_col"], s["size"]) == (0, 0, 4, 4, 5)
        assert s["seed"] is None and s["reached_goal"] is False
    else:
        assert set(s) == {"episode_id", "step_count"}


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


def test_422_invalid_action(env_server):
    r = env_server.post("/step", {"action": invalid_action(env_server.env)})
    assert r.status_code == 422, r.text
    det = detail_items(r)
    assert det[0]["type"] == "extra_forbidden"
    assert det[0]["loc"] == ["bogus_field"]


def test_422_invalid_field_value(env_server):
    bad = {"tool_name": 5} if env_server.env == "echo" else {"action": "JUMP"}
    r = env_server.post("/step", {"action": bad})
    assert r.status_code == 422, r.text
    detail_items(r)


def test_422_missing_action(env_server):
    r = env_server.post("/step", {})
    assert r.status_code == 422, r.text
    det = detail_items(r)
    assert det[0]["type"] == "missing" and det[0]["loc"] == ["body", "action"]


def test_422_malformed_json(env_server):
    for path in ("/step", "/reset"):
        r = env_server.post(path, raw="{not json")
        assert r.status_code == 422, f"{path}: {r.status_code} {r.text}"
        assert detail_items(r)[0]["type"] == "json_invalid"


def test_422_negative_seed(env_server):
    r = env_server.post("/reset", {"seed": -1})
    assert r.status_code == 422, r.text
    det = detail_items(r)
    assert det[0]["type"] == "greater_than_equal" and det[0]["loc"] == ["body", "seed"]


def test_422_non_object_reset_body(env_server):
    r = env_server.post("/reset", raw="[1]")
    assert r.status_code == 422, r.text


def test_404_unknown_route(env_server):
    # "/" is 404 on the reference's plain app; the Swift server serves its web page by default
    # in simulation mode, and "/" then redirects to /web/ as the reference's web-UI app does
    # (test_web.py).
    paths = ("/definitely-not-a-route", "/", "/ws/extra") if IS_REFERENCE else ("/definitely-not-a-route", "/ws/extra")
    for path in paths:
        r = env_server.get(path)
        assert r.status_code == 404, path
        assert r.json() == {"detail": "Not Found"}, path


def test_405_wrong_method(env_server):
    for method, path in (("GET", "/step"), ("GET", "/reset"), ("POST", "/health")):
        r = env_server.http.request(method, env_server.url(path), timeout=10)
        assert r.status_code == 405, f"{method} {path}: {r.status_code}"
        assert r.json() == {"detail": "Method Not Allowed"}


# --------------------------------------------------------------------------------------
# Task API (0.10)
# --------------------------------------------------------------------------------------


def test_task_api_list_environments(env_server):
    r = env_server.get("/list_environments")
    assert r.status_code == 200
    assert r.json() == [ENV_NAMES[env_server.env]]


def test_task_api_splits_not_supported(env_server):
    name = ENV_NAMES[env_server.env]
    for path in (f"/{name}/splits", f"/{name.upper()}/splits"):
        r = env_server.get(path)
        assert r.status_code == 501, f"{path}: {r.status_code} {r.text}"
        assert r.json() == {"detail": "list_splits is not supported for this environment"}


def test_task_api_unknown_env(env_server):
    r = env_server.get("/no_such_env/splits")
    assert r.status_code == 404
    assert "no_such_env" in r.json()["detail"]
    r = env_server.post(f"/{ENV_NAMES[env_server.env]}/tasks", {"split": "train"})
    assert r.status_code == 501
    assert r.json() == {"detail": "list_tasks is not supported for this environment"}


@pytest.mark.parametrize("path", ["/reset", "/step"])
def test_content_type_json_required(echo_server, path):
    """Body routes need Content-Type: application/json: a plain-text body is a 422."""
    r = echo_server.http.post(echo_server.url(path), data=b"{}", headers={"content-type": "text/plain"}, timeout=10)
    assert r.status_code == 422, r.text
