"""`openenv serve browser`: MiniWoB++ tasks in a real Chromium, driven by the official
openenv 0.10.0 clients.

Rewards come from the pages' own core.js; the agents (browser_agents.py) read only the goal
and the accessibility-tree text. Needs root, the Debian `chromium` package and the `miniwob`
package in the interop venv (scripts/test and scripts/interop-venv install both): the
browser environment exists only in swift-openenv, so every test is swift_only.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

import pytest
import websockets
from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.types import Action, Observation, State
from pydantic import ConfigDict

from browser_agents import first, nodes, random_action, scripted_actions
from conftest import TIMEOUT, run, start_server, wait_until

pytestmark = pytest.mark.swift_only

BROWSER_UIDS = range(209_000, 209_064)  # the default uid range of the browser
STATE_DIR = "/var/lib/openenv-browser"

# Tasks the scripted agent plays, three seeds each.
SCRIPTED_TASKS = ["click-test", "click-test-2", "click-button", "click-link", "focus-text", "enter-text",
                  "enter-password", "click-checkboxes", "click-option", "login-user", "click-dialog"]
SEEDS = [0, 1, 2]


def browser_processes() -> List[Dict[str, Any]]:
    """Processes running as a browser uid."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            st = os.stat(f"/proc/{pid}")
            if st.st_uid not in BROWSER_UIDS:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        found.append({"pid": int(pid), "uid": st.st_uid, "cmd": [c.decode(errors="replace") for c in cmd if c]})
    return found


@pytest.fixture(scope="module")
def server():
    if not os.path.exists("/usr/lib/chromium/chromium"):
        pytest.fail("Chromium is not installed: scripts/test installs the Debian package `chromium`")
    s = start_server("browser", max_sessions=8)
    yield s
    s.stop()
    assert wait_until(lambda: not browser_processes(), timeout=15), browser_processes()


# --------------------------------------------------------------------------------------
# the reference's typed client, from its documented field lists
# (envs/browsergym_env/models.py: BrowserGymAction.action_str; BrowserGymObservation text,
# url, screenshot, goal, axtree_txt, pruned_html, error, last_action_error; BrowserGymState
# benchmark, task_name, task_id, goal, current_url, max_steps, cum_reward)
# --------------------------------------------------------------------------------------


class BrowserGymAction(Action):
    action_str: str


class BrowserGymObservation(Observation):  # extra="forbid", inherited
    text: str = ""
    url: str = ""
    screenshot: Optional[List[List[List[int]]]] = None
    goal: str = ""
    axtree_txt: str = ""
    pruned_html: str = ""
    error: str = ""
    last_action_error: bool = False


class BrowserGymState(State):
    model_config = ConfigDict(extra="forbid")  # stricter than the reference: exactly its keys
    benchmark: str = ""
    task_name: str = ""
    task_id: Optional[str] = None
    goal: str = ""
    current_url: str = ""
    max_steps: Optional[int] = None
    cum_reward: float = 0.0


class BrowserGymEnv(EnvClient[BrowserGymAction, BrowserGymObservation, BrowserGymState]):
    """The reference client's parsing, strict: every observation key must be a declared field."""

    def _step_payload(self, action: BrowserGymAction) -> Dict[str, Any]:
        return {"action_str": action.action_str}

    def _parse_result(self, payload: Dict[str, Any]) -> StepResult[BrowserGymObservation]:
        obs = dict(payload["observation"])
        observation = BrowserGymObservation(**obs, done=payload.get("done", False), reward=payload.get("reward"))
        return StepResult(observation=observation, reward=payload.get("reward"), done=payload.get("done", False))

    def _parse_state(self, payload: Dict[str, Any]) -> BrowserGymState:
        return BrowserGymState(**payload)


# --------------------------------------------------------------------------------------
# the official GenericEnvClient
# --------------------------------------------------------------------------------------


def test_generic_client_click_test_earns_the_pages_reward(server):
    with server.client().sync() as env:
        r = env.reset(task_name="click-test", seed=3)
        obs = r.observation
        assert obs["goal"] == "Click the button."
        assert obs["url"].endswith("/miniwob/click-test.html")
        assert obs["last_action_error"] is False and obs["error"] == ""
        bid = first(obs["axtree_txt"], "button", "Click Me!")
        assert bid is not None, obs["axtree_txt"]
        assert f'bid="{bid}"' in obs["pruned_html"]
        assert r.reward == 0 and r.done is False
        r = env.step({"action_str": f"click('{bid}')"})
        assert r.reward == 1.0 and r.done is True
        assert r.observation["metadata"]["miniwob"]["done"] is True
        assert r.observation["metadata"]["miniwob"]["raw_reward"] > 0
        state = env.state()
        assert state["task_name"] == "click-test" and state["benchmark"] == "miniwob"
        assert state["step_count"] == 1 and state["cum_reward"] == 1.0
        assert state["goal"] == "Click the button." and state["current_url"] == obs["url"]


def test_wrong_button_ends_with_no_reward(server):
    with server.client().sync() as env:
        r = env.reset(task_name="click-button", seed=5)
        want = r.observation["goal"].split('"')[1]
        wrong = [bid for bid, role, name, _ in nodes(r.observation["axtree_txt"]) if role == "button" and name != want]
        assert wrong, r.observation["axtree_txt"]
        r = env.step({"action_str": f"click({wrong[0]!r})"})
        assert r.done is True and r.reward == 0.0


def test_same_seed_same_task_instance(server):
    with server.client().sync() as a, server.client().sync() as b:
        ra = a.reset(task_name="click-button", seed=11)
        rb = b.reset(task_name="click-button", seed=11)
        assert ra.observation["goal"] == rb.observation["goal"]
        assert ra.observation["axtree_txt"] == rb.observation["axtree_txt"]


def test_malformed_and_impossible_actions_are_observations(server):
    with server.client().sync() as env:
        r = env.reset(task_name="click-test", seed=1)
        bid = first(r.observation["axtree_txt"], "button", "Click Me!")
        for bad, fragment in [("click(", "SyntaxError"), ("launch_missiles()", "NameError"), ("click('99999')", "Could not find"),
                              ("goto('https://example.com')", "not allowed"), ("fill('%s', 'x')" % bid, "is not an <input>, <textarea> or [contenteditable] element"),
                              ("goto('javascript:WOB_REWARD_GLOBAL=1')", "not allowed")]:
            r = env.step({"action_str": bad})
            assert r.observation["last_action_error"] is True, bad
            assert fragment in r.observation["error"], (bad, r.observation["error"])
            assert r.done is False and r.reward == 0.0
        r = env.step({"action_str": f"click('{bid}')"})
        assert r.reward == 1.0 and r.done is True
        assert env.state()["step_count"] == 7


def test_unknown_task_is_an_error_and_the_session_goes_on(server):
    with server.client().sync() as env:
        with pytest.raises(Exception, match="unknown task"):
            env.reset(task_name="no-such-task")
        r = env.reset(task_name="click-test", seed=2)
        assert r.observation["goal"] == "Click the button."


def test_typed_client_with_the_references_models(server):
    async def episode():
        client = BrowserGymEnv(base_url=server.base, connect_timeout_s=TIMEOUT, message_timeout_s=30)
        async with client:
            r = await client.reset(task_name="enter-text", seed=4)
            assert isinstance(r.observation, BrowserGymObservation) and r.observation.screenshot is None
            want = r.observation.goal.split('"')[1]
            box = first(r.observation.axtree_txt, "textbox")
            r = await client.step(BrowserGymAction(action_str=f"fill({box!r}, {want!r})"))
            assert r.observation.last_action_error is False, r.observation.error
            assert f'value="{want}"' in r.observation.pruned_html
            submit = first(r.observation.axtree_txt, "button", "Submit")
            r = await client.step(BrowserGymAction(action_str=f"click({submit!r})"))
            assert r.reward == 1.0 and r.done
            state = await client.state()
            assert state.cum_reward == 1.0 and state.step_count == 2 and state.task_name == "enter-text"
    run(episode(), timeout=120)


def test_screenshot_on_request_is_the_viewport_as_the_reference_sends_it(server):
    # Expected colours from MiniWoB's core.css: #query is #FF0 at the top left, the body #555.
    async def episode():
        client = BrowserGymEnv(base_url=server.base, connect_timeout_s=TIMEOUT, message_timeout_s=60)
        async with client:
            r = await client.reset(task_name="click-test", seed=1, screenshot=True)
            shot = r.observation.screenshot
            assert (len(shot), len(shot[0]), len(shot[0][0])) == (720, 1280, 3)
            assert shot[2][150] == [255, 255, 0] and shot[400][1000] == [85, 85, 85]
            r = await client.step(BrowserGymAction(action_str="noop(0)"))
            assert len(r.observation.screenshot) == 720  # on for the whole episode
            r = await client.reset(task_name="click-test", seed=1)
            assert r.observation.screenshot is None  # off by default
    run(episode(), timeout=120)


# --------------------------------------------------------------------------------------
# agents: the scripted agent earns the pages' rewards; a random agent mostly does not
# --------------------------------------------------------------------------------------


def play(env, task: str, seed: int, policy) -> float:
    r = env.reset(task_name=task, seed=seed)
    total = 0.0
    for step, action in enumerate(policy(r.observation)):
        r = env.step({"action_str": action})
        total += r.reward or 0.0
        if r.done:
            break
    return total


def test_scripted_agent_earns_reward_on_at_least_eight_tasks(server):
    solved: Dict[str, int] = {}
    with server.client(message_timeout_s=60).sync() as env:
        for task in SCRIPTED_TASKS:
            solved[task] = sum(play(env, task, seed, lambda obs, t=task: scripted_actions(t, obs)) > 0
                               for seed in SEEDS)
    print("scripted agent, episodes rewarded per task (of %d): %s" % (len(SEEDS), json.dumps(solved)))
    assert sum(1 for n in solved.values() if n > 0) >= 8, solved


def test_random_agent_rate_is_far_below_the_scripted_agent(server):
    rng = random.Random(0)
    wins = episodes = 0
    with server.client(message_timeout_s=60).sync() as env:
        for task in SCRIPTED_TASKS:
            for seed in SEEDS[:2]:
                r = env.reset(task_name=task, seed=seed)
                for _ in range(5):
                    r = env.step({"action_str": random_action(r.observation["axtree_txt"], rng)})
                    if r.done:
                        break
                wins += (r.reward or 0) > 0
                episodes += 1
    rate = wins / episodes
    print(f"random agent: {wins}/{episodes} episodes rewarded ({rate:.0%})")
    assert rate < 0.5


# --------------------------------------------------------------------------------------
# isolation, failures, clean-up
# --------------------------------------------------------------------------------------


def devtools_url() -> str:
    """The running Chromium's DevTools browser endpoint (read as root, like any host admin)."""
    live = {str(p["uid"]) for p in browser_processes()}
    profiles = [p for p in os.listdir(f"{STATE_DIR}/profiles") if p in live]
    for p in profiles:
        try:
            port, path = open(f"{STATE_DIR}/profiles/{p}/data/DevToolsActivePort").read().split("\n")[:2]
            return f"ws://127.0.0.1:{port}{path}"
        except OSError:
            continue
    raise AssertionError("no DevToolsActivePort")


async def page_eval(url_part: str, expression: str) -> Any:
    """Evaluates `expression` in the page whose URL contains `url_part`, over raw CDP."""
    async with websockets.connect(devtools_url(), max_size=None) as ws:
        counter = iter(range(1, 1000))

        async def send(method, params=None, session=None):
            i = next(counter)
            msg = {"id": i, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            await ws.send(json.dumps(msg))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("id") == i:
                    assert "error" not in reply, reply
                    return reply["result"]

        targets = (await send("Target.getTargets"))["targetInfos"]
        target = next(t for t in targets if t["type"] == "page" and url_part in t["url"])
        session = (await send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}))["sessionId"]
        result = await send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        await send("Target.detachFromTarget", {"sessionId": session})
        return result["result"].get("value")


def test_sessions_cannot_see_each_others_cookies_or_storage(server):
    with server.client().sync() as a, server.client().sync() as b:
        a.reset(task_name="click-test", seed=1)
        b.reset(task_name="click-button", seed=1)  # same origin (the task server), another context
        run(page_eval("click-test.html", "document.cookie = 'secret=a; path=/'; localStorage.setItem('k', 'from-a'); sessionStorage.setItem('s', 'a'); 1"))
        assert run(page_eval("click-test.html", "document.cookie + '|' + localStorage.getItem('k')")) == "secret=a|from-a"
        assert run(page_eval("click-button.html", "document.cookie + '|' + localStorage.getItem('k') + '|' + sessionStorage.getItem('s')")) == "|null|null"
        # a new episode of the same session gets a new context too
        a.reset(task_name="click-test", seed=2)
        assert run(page_eval("click-test.html", "document.cookie + '|' + localStorage.getItem('k')")) == "|null"


def uids_in_use() -> set:
    """Browser uids with processes now (another server's, such as the module's)."""
    return {p["uid"] for p in browser_processes()}


def processes_outside(uids: set) -> List[Dict[str, Any]]:
    return [p for p in browser_processes() if p["uid"] not in uids]


def test_killing_a_renderer_is_a_clear_error_and_the_next_reset_works():
    others = uids_in_use()
    s = start_server("browser", max_sessions=4)
    try:
        with s.client().sync() as env:
            r = env.reset(task_name="click-test", seed=1)
            renderers = [p for p in processes_outside(others) if "--type=renderer" in " ".join(p["cmd"])]
            assert renderers, browser_processes()
            for p in renderers:
                os.kill(p["pid"], signal.SIGKILL)
            time.sleep(0.5)
            with pytest.raises(Exception, match="renderer crashed|page of this session was lost"):
                env.step({"action_str": "noop(0)"})
            r = env.reset(task_name="click-test", seed=1)
            bid = first(r.observation["axtree_txt"], "button", "Click Me!")
            r = env.step({"action_str": f"click({bid!r})"})
            assert r.reward == 1.0 and r.done
    finally:
        s.stop()
    assert wait_until(lambda: not processes_outside(others), timeout=15), processes_outside(others)


def test_no_chromium_process_remains_after_the_server_stops():
    others = uids_in_use()
    s = start_server("browser", max_sessions=4)
    with s.client().sync() as env:
        env.reset(task_name="click-test", seed=1)
        assert any("chromium" in " ".join(p["cmd"]) for p in processes_outside(others))
        mine = {p["uid"] for p in processes_outside(others)}
    s.stop()
    assert wait_until(lambda: not processes_outside(others), timeout=15), processes_outside(others)
    leftovers = [u for u in mine if os.path.exists(f"{STATE_DIR}/profiles/{u}")]
    assert not leftovers, f"profiles left behind: {leftovers}"


def test_official_validator_passes(server):
    p = subprocess.run(
        [sys.executable, "-m", "openenv.cli", "validate", "--url", server.base, "--json", "--timeout", "30"],
        capture_output=True, text=True, timeout=180, env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"},
    )
    report = json.loads(p.stdout)
    failed = {c["id"]: c for c in report.get("criteria", []) if not c.get("passed")}
    assert not failed and report["passed"] is True, json.dumps(failed)[:2000]


def test_mcp_tools_act_on_the_page(server):
    tools = {t["name"] for t in server.rpc("tools/list", {})["result"]["tools"]}
    assert {"click", "fill", "send_keys", "scroll", "noop"} <= tools
