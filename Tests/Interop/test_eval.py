"""`openenv eval` and `openenv eval compare` against the qa environment served two ways:
by the Python reference (`reference_env.py --env qa`, the official openenv 0.10.0 Task API)
and by `openenv serve qa`. Both must give the same results file, shape and numbers (the
tasks, passes and rewards; only the url and the date differ), and pass@k is checked against
an independent Python implementation of the estimator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from math import comb
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from conftest import OPENENV_BIN, REPO, Server, free_port

pytestmark = pytest.mark.swift_only  # both sides are driven by our binary

DATASET = REPO / "Sources" / "OpenEnvQA" / "Dataset" / "jsonl"
TEST = [json.loads(line) for line in (DATASET / "test.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
K = 4

# Answers from the dataset by the observation's task_id: right for even task indices, right on
# odd samples (the episode id ends with the sample number) for indices 1 (mod 4), else wrong.
POLICY = """\
import json, sys
DATASET = __DATASET__
answers = {}
for split in ("train", "test"):
    for line in open(DATASET + "/" + split + ".jsonl", encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            answers[row["id"]] = row["answer"]
for line in sys.stdin:
    request = json.loads(line)
    o = request["observation"]
    sample = int(request["episode_id"].rsplit("-", 1)[1])
    right = o["index"] % 2 == 0 or (o["index"] % 4 == 1 and sample % 2 == 1)
    print(json.dumps({"answer": answers[o["task_id"]] if right else "no idea"}), flush=True)
""".replace("__DATASET__", repr(str(DATASET)))


def expected_passes(index: int, samples: int) -> List[bool]:
    return [index % 2 == 0 or (index % 4 == 1 and s % 2 == 1) for s in range(samples)]


def pass_at_k(n: int, c: int, k: int) -> float:
    return 1.0 - comb(n - c, k) / comb(n, k)


@pytest.fixture(scope="module")
def servers() -> Iterator[Dict[str, Server]]:
    """The reference qa server and ours, started side by side."""
    started: Dict[str, Server] = {}
    environment = {k: v for k, v in os.environ.items() if k != "OPENENV_MODE"}
    try:
        port = free_port()
        started["reference"] = Server("qa", port, [sys.executable, str(REPO / "Tests/Interop/reference_env.py"), "--env", "qa",
                                                   "--port", str(port), "--max-sessions", "16"],
                                      {**environment, "PYTHONUNBUFFERED": "1"}, {})
        port = free_port()
        started["swift"] = Server("qa", port, [str(OPENENV_BIN), "serve", "qa", "--host", "127.0.0.1", "--port", str(port),
                                               "--max-sessions", "16"], environment, {})
        for server in started.values():
            server.wait_ready(60)
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("policy") / "policy.py"
    path.write_text(POLICY)
    return f"{sys.executable} {path}"


def openenv(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(OPENENV_BIN), *args], capture_output=True, text=True, timeout=180)


def evaluate(out: Path, *args: str) -> dict:
    r = openenv("eval", "--out", str(out), "--json", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    results = json.loads(out.read_text())
    assert results["summary"] == summary
    return results


def check_results(results: dict, samples: int) -> None:
    assert results["format"] == "openenv-eval/1"
    config = results["configuration"]
    assert config["env_name"] == "qa_env" and config["split"] == "test" and config["k"] == samples
    assert config["policy"] == "scripted" and config["seed"] == 0 and config["num_tasks"] == len(TEST)
    tasks = results["tasks"]
    assert [t["index"] for t in tasks] == list(range(len(TEST)))
    for t in tasks:
        passes = expected_passes(t["index"], samples)
        assert t["task_id"] == TEST[t["index"]]["id"]
        assert t["passed"] == passes and t["n"] == samples and t["c"] == sum(passes) and t["errors"] == 0
        assert t["rewards"] == [1.0 if p else 0.0 for p in passes]
        assert t["endings"] == ["done"] * samples
        assert t["pass_at_k"] == pytest.approx({str(k): pass_at_k(samples, sum(passes), k) for k in (1, 2, 4) if k <= samples})
    summary = results["summary"]
    c = [t["c"] for t in tasks]
    assert summary["tasks"] == len(TEST) and summary["episodes"] == len(TEST) * samples and summary["errors"] == 0
    assert summary["passes"] == sum(c)
    assert summary["pass_rate"] == pytest.approx(sum(c) / (len(TEST) * samples))
    assert summary["mean_reward"] == pytest.approx(sum(c) / (len(TEST) * samples))
    for k, value in summary["pass_at_k"].items():
        assert value == pytest.approx(sum(pass_at_k(samples, ci, int(k)) for ci in c) / len(TEST))
    assert set(summary["pass_at_k"]) == {"1", "2", "4"}


def test_eval_gives_the_same_results_on_the_reference_and_on_our_server(servers, policy, tmp_path):
    results = {}
    for kind, server in servers.items():
        results[kind] = evaluate(tmp_path / f"{kind}.json", "--url", server.base, "--split", "test", "-k", str(K), "-c", "3",
                                 "--seed", "0", "--policy", "scripted", "--command", policy,
                                 "--trajectories", str(tmp_path / f"{kind}.jsonl"))
        check_results(results[kind], K)
    reference, swift = results["reference"], results["swift"]
    assert reference["tasks"] == swift["tasks"]
    drop = ("seconds",)
    assert {k: v for k, v in reference["summary"].items() if k not in drop} == {k: v for k, v in swift["summary"].items() if k not in drop}
    differ = ("url", "date")
    assert {k: v for k, v in reference["configuration"].items() if k not in differ} == \
        {k: v for k, v in swift["configuration"].items() if k not in differ}
    # The trajectories: one line per episode, with the reset options' task.
    for kind in servers:
        lines = [json.loads(l) for l in (tmp_path / f"{kind}.jsonl").read_text().splitlines()]
        assert sorted((l["task_index"], l["sample"]) for l in lines) == [(i, s) for i in range(len(TEST)) for s in range(K)]
        for l in lines:
            assert l["episode_id"] == f"test-{l['task_index']:06d}-{l['sample']:03d}" and l["seed"] == l["sample"]
            assert l["reset_observation"]["index"] == l["task_index"] and l["split"] == "test"
            assert l["passed"] == expected_passes(l["task_index"], K)[l["sample"]] == l["success"]
    # The built-in served in-process gives the same, too.
    builtin = evaluate(tmp_path / "builtin.json", "--env", "qa", "--split", "test", "-k", str(K), "--seed", "0",
                       "--policy", "scripted", "--command", policy)
    assert builtin["tasks"] == swift["tasks"]
    assert builtin["configuration"]["env"] == "qa" and builtin["configuration"]["url"] is None

    # Compare: the two servers agree; a random policy loses every task the script solved.
    r = openenv("eval", "compare", str(tmp_path / "reference.json"), str(tmp_path / "swift.json"), "--json")
    assert r.returncode == 0, r.stderr
    comparison = json.loads(r.stdout)
    assert all(m["delta"] == 0 for m in comparison["metrics"].values())
    assert comparison["gained"] == comparison["lost"] == comparison["changed"] == []
    random = evaluate(tmp_path / "random.json", "--url", servers["swift"].base, "--split", "test", "-k", str(K), "--seed", "0")
    assert random["summary"]["passes"] == 0
    r = openenv("eval", "compare", str(tmp_path / "swift.json"), str(tmp_path / "random.json"), "--json")
    assert r.returncode == 0, r.stderr
    comparison = json.loads(r.stdout)
    solved = [t["index"] for t in swift["tasks"] if t["c"] > 0]
    assert [t["index"] for t in comparison["lost"]] == solved and comparison["gained"] == []
    assert comparison["metrics"]["pass_rate"]["delta"] == pytest.approx(-swift["summary"]["pass_rate"])
    assert comparison["metrics"]["pass@4"]["b"] == 0
    assert any("policy" in note for note in comparison["notes"])
    r = openenv("eval", "compare", str(tmp_path / "swift.json"), str(tmp_path / "random.json"))
    assert r.returncode == 0 and "lost (solved in A, failed in B): 0 (test-000) 4/4 → 0/4" in r.stdout, r.stdout


def test_compare_refuses_results_of_other_tasks(servers, tmp_path):
    url = servers["swift"].base
    evaluate(tmp_path / "all.json", "--url", url, "--split", "test")
    evaluate(tmp_path / "half.json", "--url", url, "--split", "test", "--tasks", "0:4")
    evaluate(tmp_path / "train.json", "--url", url, "--split", "train", "--tasks", str(len(TEST)))
    r = openenv("eval", "compare", str(tmp_path / "all.json"), str(tmp_path / "half.json"))
    assert r.returncode != 0 and "do not evaluate the same tasks" in r.stderr and "only in A: 4, 5, 6, 7" in r.stderr, r.stderr
    r = openenv("eval", "compare", str(tmp_path / "all.json"), str(tmp_path / "train.json"))
    assert r.returncode != 0 and "split 'test', B split 'train'" in r.stderr, r.stderr
    r = openenv("eval", "compare", str(tmp_path / "all.json"), str(tmp_path / "missing.json"))
    assert r.returncode != 0 and "missing.json: no such file" in r.stderr, r.stderr
    (tmp_path / "other.json").write_text('{"results": []}')
    r = openenv("eval", "compare", str(tmp_path / "all.json"), str(tmp_path / "other.json"))
    assert r.returncode != 0 and "not an openenv eval results file" in r.stderr, r.stderr


def test_unknown_splits_and_environments_without_tasks_are_clear_errors(servers, tmp_path):
    for server in servers.values():
        r = openenv("eval", "--url", server.base, "--split", "dev", "--out", str(tmp_path / "x.json"))
        assert r.returncode != 0 and "unknown split 'dev': the environment has 'train', 'test'" in r.stderr, r.stderr
    r = openenv("eval", "--env", "grid", "--split", "test", "--out", str(tmp_path / "x.json"))
    assert r.returncode != 0 and "environment 'grid_env' serves no tasks" in r.stderr and "501" in r.stderr, r.stderr
    assert not (tmp_path / "x.json").exists()
