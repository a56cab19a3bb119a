"""The Task API of openenv 0.10 (spec §1.13) and task selection at reset, on the qa
environment: a typed environment whose tasks are the rows of
Sources/OpenEnvQA/Dataset (splits train and test).

Discovery goes over plain HTTP, as the official clients do it (HarborEnv's `splits`,
`num_tasks`, `get_task`, `get_task_range` are these requests under a fixed env name);
selection goes through `reset(split=..., index=...)` of the official GenericEnvClient,
which forwards the keywords in the reset frame's data.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List

import pytest

from conftest import (
    IS_REFERENCE,
    REPO,
    Server,
    frame_data,
    observation,
    rt,
    run,
    start_server,
    ws_error,
)

ENV_NAME = "qa_env"
DATASET = REPO / "Sources" / "OpenEnvQA" / "Dataset" / "jsonl"


def rows(split: str) -> List[Dict[str, Any]]:
    text = (DATASET / f"{split}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


TRAIN, TEST = rows("train"), rows("test")


@pytest.fixture(scope="module")
def qa_server() -> Iterator[Server]:
    server = start_server("qa")
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------


def test_list_environments(qa_server):
    r = qa_server.get("/list_environments")
    assert r.status_code == 200
    assert r.json() == [ENV_NAME]


def test_splits_are_normalized_and_the_env_name_is_case_insensitive(qa_server):
    for name in (ENV_NAME, ENV_NAME.upper()):
        r = qa_server.get(f"/{name}/splits")
        assert r.status_code == 200, r.text
        assert r.json() == [{"name": "train", "type": "train"}, {"name": "test", "type": "test"}]


def test_num_tasks_and_tasks(qa_server):
    r = qa_server.post(f"/{ENV_NAME}/num_tasks", {"split": "test"})
    assert r.status_code == 200
    assert r.json() == {"num_tasks": len(TEST)}
    r = qa_server.post(f"/{ENV_NAME}/tasks", {"split": "train"})
    assert r.status_code == 200
    assert r.json() == {"tasks": TRAIN, "env_name": ENV_NAME}


def test_task_by_index_with_python_semantics(qa_server):
    for index, expected in ((0, TEST[0]), (3, TEST[3]), (-1, TEST[-1]), (-len(TEST), TEST[0]), ("2", TEST[2])):
        r = qa_server.post(f"/{ENV_NAME}/task", {"split": "test", "index": index})
        assert r.status_code == 200, f"index {index!r}: {r.status_code} {r.text}"
        assert r.json() == {"task": expected}


def test_task_index_out_of_range_is_400(qa_server):
    for index in (len(TEST), -len(TEST) - 1, 10_000):
        r = qa_server.post(f"/{ENV_NAME}/task", {"split": "test", "index": index})
        assert r.status_code == 400, f"index {index}: {r.status_code} {r.text}"
        assert r.json() == {"detail": "Invalid task index"}


def test_task_range_is_a_python_slice(qa_server):
    cases = [
        ({"split": "test", "start": 1, "stop": 3}, TEST[1:3]),
        ({"split": "test", "start": -2}, TEST[-2:]),
        ({"split": "test", "stop": 2}, TEST[:2]),
        ({"split": "test", "start": None, "stop": None}, TEST),
        ({"split": "test", "start": 5, "stop": 100}, TEST[5:]),
        ({"split": "test", "start": 50, "stop": 90}, []),
        ({"split": "test", "start": 4, "stop": 1}, []),
    ]
    for body, expected in cases:
        r = qa_server.post(f"/{ENV_NAME}/task_range", body)
        assert r.status_code == 200, f"{body}: {r.status_code} {r.text}"
        assert r.json() == {"tasks": expected}, body


def test_bad_bodies_and_unknown_names(qa_server):
    r = qa_server.post(f"/{ENV_NAME}/task", {"index": 0})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "split"]
    r = qa_server.post(f"/{ENV_NAME}/num_tasks", {"split": 3})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "string_type"
    r = qa_server.post(f"/{ENV_NAME}/tasks", {"split": "test", "limit": 2})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "extra_forbidden"
    r = qa_server.get("/other_env/splits")
    assert r.status_code == 404
    assert r.json() == {"detail": "unknown environment 'other_env'"}
    r = qa_server.get(f"/{ENV_NAME}/tasks")
    assert r.status_code == 405


def test_an_unknown_split_is_a_server_error(qa_server):
    # Connection: close, since uvicorn drops the connection after an unhandled exception
    r = qa_server.post(f"/{ENV_NAME}/num_tasks", {"split": "dev"}, headers={"Connection": "close"})
    assert r.status_code == 500
    if not IS_REFERENCE:  # the reference answers plain text "Internal Server Error"
        assert r.json() == {"detail": "unknown split 'dev' (available: train, test)"}


def test_the_task_api_is_not_an_agent_tool(qa_server):
    r = qa_server.rpc("tools/list", {}, id=5)
    assert "result" not in r or not any("task" in t.get("name", "") for t in r["result"].get("tools", []))

    async def go() -> None:
        async with qa_server.ws() as ws:
            frame_data(await rt(ws, {"type": "reset", "data": {}}), "observation")
            ws_error(await rt(ws, {"type": "step", "data": {"type": "list_tools"}}), "VALIDATION_ERROR")
            ws_error(await rt(ws, {"type": "step", "data": {"type": "call_tool", "tool_name": "get_task",
                                                              "arguments": {"split": "test", "index": 0}}}),
                     "VALIDATION_ERROR")

    run(go())


# --------------------------------------------------------------------------------------
# selection at reset, through the official client
# --------------------------------------------------------------------------------------


def test_generic_client_resets_by_task_index_and_answers(qa_server):
    with qa_server.client().sync() as env:
        for index in (3, -1):
            task = TEST[index]
            r = env.reset(split="test", index=index)
            assert r.observation["question"] == task["question"]
            assert r.observation["task_id"] == task["id"]
            assert r.observation["index"] == (index % len(TEST))
            assert r.observation["correct"] is None and r.reward is None and r.done is False
            state = env.state()
            assert state["split"] == "test" and state["task_id"] == task["id"] and state["answered"] is False
            r = env.step({"answer": task["answer"]})
            assert r.reward == 1.0 and r.done is True
            assert r.observation["correct"] is True and r.observation["expected_answer"] == task["answer"]


def test_wrong_and_paraphrased_answers(qa_server):
    with qa_server.client().sync() as env:
        env.reset(split="test", index=2)  # 7 m by 4 m: 28
        r = env.step({"answer": "The area is 28 square metres."})
        assert r.reward == 1.0
        env.reset(split="train", index=10)  # Pacific Ocean, alias "the Pacific"
        assert env.step({"answer": "  the pacific. "}).reward == 1.0
        env.reset(split="test", index=7)  # Africa
        r = env.step({"answer": "Asia"})
        assert r.reward == 0.0 and r.done is True
        assert r.observation["correct"] is False and r.observation["expected_answer"] == "Africa"


async def _ws_reset(server: Server, data: Dict[str, Any]) -> Dict[str, Any]:
    async with server.ws() as ws:
        return observation(await rt(ws, {"type": "reset", "data": data}))


def test_seeded_resets_are_reproducible(qa_server):
    first = run(_ws_reset(qa_server, {"seed": 7}))["observation"]
    second = run(_ws_reset(qa_server, {"seed": 7}))["observation"]
    assert first == second
    # position 0 of the train split shuffled with seed 7 (SplitMix64 + Fisher-Yates)
    from reference_env import seeded_permutation

    assert first["index"] == seeded_permutation(len(TRAIN), 7)[0]
    assert first["task_id"] == TRAIN[first["index"]]["id"]


def test_reset_errors_are_execution_errors(qa_server):
    async def go() -> None:
        async with qa_server.ws() as ws:
            ws_error(await rt(ws, {"type": "reset", "data": {"split": "test", "index": len(TEST)}}), "EXECUTION_ERROR")
            ws_error(await rt(ws, {"type": "reset", "data": {"split": "dev"}}), "EXECUTION_ERROR")
            frame_data(await rt(ws, {"type": "reset", "data": {"split": "test", "index": 0}}), "observation")
            frame_data(await rt(ws, {"type": "step", "data": {"answer": "1000"}}), "observation")
            ws_error(await rt(ws, {"type": "step", "data": {"answer": "1000"}}), "EXECUTION_ERROR")

    run(go())


def test_http_reset_takes_the_task_index(qa_server):
    r = qa_server.post("/reset", {"split": "test", "index": 1})
    assert r.status_code == 200, r.text
    assert r.json()["observation"]["question"] == TEST[1]["question"]


@pytest.mark.swift_only
def test_rubric_components_travel_in_the_step_metadata(qa_server):
    """swift-openenv's qa grades with a rubric tree and reports its components."""

    async def go() -> Dict[str, Any]:
        async with qa_server.ws() as ws:
            observation(await rt(ws, {"type": "reset", "data": {"split": "test", "index": 2}}))
            return observation(await rt(ws, {"type": "step", "data": {"answer": "28 square metres"}}))

    data = run(go())
    assert data["reward"] == 1.0
    assert data["metadata"]["rubric"] == {"score": 1.0, "components": {"exact": 0.0, "numeric": 1.0}}
    assert data["observation"]["metadata"]["rubric"]["components"]["numeric"] == 1.0
