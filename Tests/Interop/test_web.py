"""The web page at /web/ (Sources/OpenEnvServer/Web), driven in real headless Chromium.

Selenium (pinned in requirements.txt) drives Debian's chromium through Debian's
chromium-driver, named by an explicit path, with Selenium Manager kept offline
(SE_OFFLINE, SE_AVOID_STATS). scripts/test installs both packages when it runs as root.

Each test plays the environment through the page as a person would (clicks, typing, Enter),
then checks what the page shows against what the server answers to the same requests made
without the page (HTTP, or a /ws session of its own), checks that the browser console holds
no error, and saves a screenshot in $OPENENV_TEST_OUTPUT/web (default: <repo>/.test-output/web).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from conftest import REPO, grid_layout, rt, run, start_server

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager never downloads a driver
os.environ.setdefault("SE_AVOID_STATS", "true")  # nor reports usage

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.swift_only  # the reference serves a Gradio app at /web instead

WAIT = 30.0
OUTPUT = Path(os.environ.get("OPENENV_TEST_OUTPUT") or REPO / ".test-output") / "web"


def _binary(*names: str) -> str:
    for name in names:
        path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
        if path:
            return path
    pytest.fail(f"none of {names} found: install Debian's chromium and chromium-driver (scripts/test does as root)")


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1200,1400", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=_binary("chromedriver")), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

def open_page(browser: webdriver.Chrome, server: Any) -> None:
    """Opens the server's root (which redirects to /web/) and waits until the page is ready."""
    browser.get(server.base + "/")
    assert browser.current_url == server.base + "/web/"
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")


def console_errors(browser: webdriver.Chrome) -> List[Dict[str, Any]]:
    return [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def finish(browser: webdriver.Chrome, name: str) -> None:
    """Saves the screenshot, then checks the console (the screenshot helps when it fails)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(OUTPUT / f"{name}.png"))
    assert console_errors(browser) == []


def step_rows(browser: webdriver.Chrome) -> List[List[str]]:
    # Read in one script: the table is redrawn after every step (no stale elements).
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#steps tbody tr'), r => Array.from(r.cells, c => c.textContent))")


def wait_rows(browser: webdriver.Chrome, count: int) -> List[List[str]]:
    WebDriverWait(browser, WAIT).until(lambda d: len(step_rows(d)) >= count)
    return step_rows(browser)


def page_state(browser: webdriver.Chrome) -> Dict[str, Any]:
    """The episode as the page keeps it (what its JSON Lines export writes)."""
    lines = browser.execute_script("return window.openenvPage.exportLines()").splitlines()
    return json.loads(lines[-1])


async def ws_session(server: Any, messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The server's answers to `messages` on a /ws session of its own (no page involved)."""
    import websockets

    async with websockets.connect(server.ws_base + "/ws", max_size=None) as ws:
        return [await rt(ws, message) for message in messages]


def badge(browser: webdriver.Chrome, name: str) -> str:
    return browser.find_element(By.ID, name).text


# ----------------------------------------------------------------------------------------
# tests
# ----------------------------------------------------------------------------------------

def test_echo_tools_are_called_through_their_forms(browser, start):
    server = start("echo")
    open_page(browser, server)
    listed = server.http.post(server.base + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).json()
    names = [tool["name"] for tool in listed["result"]["tools"]]
    forms = browser.find_elements(By.CSS_SELECTOR, "#tool-list form.tool")
    assert [form.get_attribute("data-tool") for form in forms] == names

    form = browser.find_element(By.CSS_SELECTOR, 'form.tool[data-tool="echo_with_length"]')
    box = form.find_element(By.TAG_NAME, "input")
    label = browser.find_element(By.CSS_SELECTOR, f'label[for="{box.get_attribute("id")}"]')
    assert label.text.startswith("message")
    box.send_keys("héllo from selenium", Keys.ENTER)  # Enter submits the tool's form
    rows = wait_rows(browser, 1)

    expected = run(ws_session(server, [{"type": "step", "data": {
        "type": "call_tool", "tool_name": "echo_with_length", "arguments": {"message": "héllo from selenium"}}}]))[0]
    assert expected["type"] == "observation"
    shown = page_state(browser)["steps"][0]
    assert shown["action"] == {"type": "call_tool", "tool_name": "echo_with_length", "arguments": {"message": "héllo from selenium"}}
    assert shown["observation"] == expected["data"]["observation"]
    assert rows[0][1] == json.dumps(shown["action"], separators=(",", ":"), ensure_ascii=False)
    text = browser.find_element(By.CSS_SELECTOR, "#observation pre.tool-text").text
    assert json.loads(text) == expected["data"]["observation"]["result"]["structured_content"]
    assert badge(browser, "done-badge") == "not done"
    finish(browser, "echo")


def test_grid_is_played_to_the_goal_by_clicking(browser, start):
    server = start("grid")
    open_page(browser, server)
    seed = 7
    (row, col), (goal_row, goal_col) = grid_layout(seed)  # CPython's random, not the server
    browser.find_element(By.ID, "reset-seed").send_keys(str(seed))
    browser.find_element(By.ID, "reset-button").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#grid-board td.agent"))

    def cell(kind: str) -> tuple[int, int]:
        node = browser.find_element(By.CSS_SELECTOR, f"#grid-board td.{kind}")
        return int(node.get_attribute("data-row")), int(node.get_attribute("data-col"))

    assert cell("agent") == (row, col) and cell("goal") == (goal_row, goal_col)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#grid-board tr")) == 5

    moves = (["DOWN" if goal_row > row else "UP"] * abs(goal_row - row)
             + ["RIGHT" if goal_col > col else "LEFT"] * abs(goal_col - col))
    for count, move in enumerate(moves, start=1):
        browser.find_element(By.CSS_SELECTOR, f'#quick-actions button[data-value="{move}"]').click()
        wait_rows(browser, count)
    assert cell("agent") == (goal_row, goal_col)

    answers = run(ws_session(server, [{"type": "reset", "data": {"seed": seed}}]
                             + [{"type": "step", "data": {"action": move}} for move in moves]))
    expected = [(a["data"]["reward"], a["data"]["done"]) for a in answers[1:]]
    episode = page_state(browser)
    assert [(s["reward"], s["done"]) for s in episode["steps"]] == expected
    assert expected[-1] == (1.0, True)
    assert float(badge(browser, "reward-badge").removeprefix("reward ")) == 1.0
    assert badge(browser, "done-badge") == "done"
    assert episode["seed"] == seed and episode["ending"] == "done" and episode["success"] is True
    assert [row[2] for row in step_rows(browser)][-1] == "1"
    assert browser.find_elements(By.CSS_SELECTOR, "#reward-chart svg circle").__len__() == len(moves)

    # A wrong action typed as raw JSON: the server's validation error, beside nothing but shown.
    browser.find_element(By.ID, "raw-toggle").click()
    raw = browser.find_element(By.ID, "raw-action")
    raw.clear()
    raw.send_keys('{"action": "NORTH"}')
    browser.find_element(By.ID, "step-button").click()
    WebDriverWait(browser, WAIT).until(lambda d: "Input should be" in d.find_element(By.ID, "action-error").text)
    finish(browser, "grid")


def test_a_validation_error_is_shown_beside_its_field(browser, start):
    server = start("openspiel")
    open_page(browser, server)
    browser.find_element(By.ID, "reset-button").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, "done-badge"))
    field = browser.find_element(By.CSS_SELECTOR, "#action-fields input[type=number]")
    label = browser.find_element(By.CSS_SELECTOR, f'label[for="{field.get_attribute("id")}"]')
    assert label.text.startswith("action_id *")  # required, marked in the label
    field.send_keys("1.5", Keys.ENTER)
    expected = run(ws_session(server, [{"type": "reset"}, {"type": "step", "data": {"action_id": 1.5}}]))[1]["data"]
    assert expected["code"] == "VALIDATION_ERROR" and expected["errors"][0]["loc"] == ["action_id"]
    beside = browser.find_element(By.ID, field.get_attribute("aria-describedby"))
    WebDriverWait(browser, WAIT).until(lambda _: beside.text == expected["errors"][0]["msg"])
    assert field.get_attribute("aria-invalid") == "true"
    assert step_rows(browser) == []  # a refused action is no step
    field.clear()
    field.send_keys("0", Keys.ENTER)  # a legal move (catch: 0, 1, 2) clears the mark
    wait_rows(browser, 1)
    assert beside.text == "" and field.get_attribute("aria-invalid") == "false"
    finish(browser, "validation")


def test_coding_runs_code_and_shows_stdout(browser, start):
    server = start("coding", max_sessions=4)
    open_page(browser, server)
    browser.find_element(By.ID, "reset-button").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, "done-badge"))
    code = "import sys\nprint(sum(range(10)))\nprint('to stderr', file=sys.stderr)"
    area = browser.find_element(By.CSS_SELECTOR, "#action-fields textarea")
    label = browser.find_element(By.CSS_SELECTOR, f'label[for="{area.get_attribute("id")}"]')
    assert label.text.startswith("code")
    area.send_keys(code)
    area.send_keys(Keys.CONTROL, Keys.ENTER)  # Ctrl+Enter submits from a multi-line field
    wait_rows(browser, 1)
    expected = run(ws_session(server, [{"type": "reset"}, {"type": "step", "data": {"code": code}}]))[1]["data"]
    assert expected["observation"]["stdout"] == "45\n"
    stdout = browser.find_element(By.CSS_SELECTOR, '#observation pre[data-field="stdout"]')
    assert stdout.get_attribute("textContent") == expected["observation"]["stdout"]
    stderr = browser.find_element(By.CSS_SELECTOR, '#observation pre[data-field="stderr"]')
    assert stderr.get_attribute("textContent") == expected["observation"]["stderr"]
    assert page_state(browser)["steps"][0]["reward"] == expected["reward"]
    finish(browser, "coding")


def test_qa_task_is_picked_and_answered(browser, start):
    server = start("qa")
    open_page(browser, server)
    splits = server.http.get(server.base + "/qa_env/splits").json()
    options = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#task-split option")]
    assert options == [s["name"] for s in splits]
    Select(browser.find_element(By.ID, "task-split")).select_by_value("test")
    count = server.http.post(server.base + "/qa_env/num_tasks", json={"split": "test"}).json()["num_tasks"]
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "task-count").text == f"(0 to {count - 1})")
    index = browser.find_element(By.ID, "task-index")
    index.clear()
    index.send_keys("1", Keys.TAB)
    task = server.http.post(server.base + "/qa_env/task", json={"split": "test", "index": 1}).json()["task"]
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "task-preview").text.strip().startswith("{")
                                       and json.loads(d.find_element(By.ID, "task-preview").text) == task)
    browser.find_element(By.ID, "reset-button").click()
    question = WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.CSS_SELECTOR, '#observation td[data-field="question"]'))
    assert question.text == task["question"]

    answer = browser.find_element(By.CSS_SELECTOR, "#action-fields input")
    answer.send_keys(task["answer"], Keys.ENTER)
    wait_rows(browser, 1)
    expected = run(ws_session(server, [{"type": "reset", "data": {"split": "test", "index": 1}},
                                       {"type": "step", "data": {"answer": task["answer"]}}]))[1]["data"]
    assert expected["reward"] == 1.0 and expected["done"] is True
    episode = page_state(browser)
    assert episode["task"] == {"split": "test", "index": 1}
    assert episode["steps"][0]["observation"] == expected["observation"]
    assert float(badge(browser, "reward-badge").removeprefix("reward ")) == 1.0
    assert badge(browser, "done-badge") == "done"
    finish(browser, "qa")


def test_markup_from_the_environment_is_shown_as_text(browser, start, tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    hostile = '# Title <script>window.pwned = 1</script>\n\nA <img src=x onerror="window.pwned = 2"> [link](javascript:alert(1))\n'
    readme.write_text(hostile, encoding="utf-8")
    monkeypatch.setenv("ENV_README_PATH", str(readme))
    server = start("grid")
    open_page(browser, server)
    assert server.http.get(server.base + "/web/metadata").json()["readme_content"] == hostile
    shown = browser.find_element(By.ID, "readme")
    assert shown.find_element(By.TAG_NAME, "h3").text == "Title <script>window.pwned = 1</script>"
    assert '<img src=x onerror="window.pwned = 2">' in shown.text
    assert shown.find_elements(By.TAG_NAME, "script") == [] and shown.find_elements(By.TAG_NAME, "img") == []
    assert shown.find_elements(By.TAG_NAME, "a") == []  # a javascript: link stays text
    assert browser.execute_script("return window.pwned === undefined")
    finish(browser, "markup")


def test_a_refused_or_lost_session_offers_a_new_one(browser, start):
    server = start("echo", max_sessions=1)

    async def hold_and_load() -> None:
        import websockets

        async with websockets.connect(server.ws_base + "/ws") as held:
            await rt(held, {"type": "reset"})
            open_page(browser, server)  # the page's session is refused: the only slot is held
            WebDriverWait(browser, WAIT).until(lambda d: "capacity" in d.find_element(By.ID, "session-status").text)

    run(hold_and_load())
    WebDriverWait(browser, WAIT, poll_frequency=0.2).until(lambda _: server.http.get(server.base + "/ready").status_code == 200)
    button = browser.find_element(By.ID, "new-session")
    assert button.is_displayed()
    button.click()  # the held socket is gone: this one gets the slot
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "session-status").text == "Session open")
    WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tool-list form.tool")) == 2)
    ready = server.http.get(server.base + "/ready").json()
    assert ready["status"] == "full"  # the page holds the one session
    browser.get("about:blank")  # the tab leaves: its session is closed
    WebDriverWait(browser, WAIT, poll_frequency=0.2).until(lambda _: server.http.get(server.base + "/ready").status_code == 200)
    assert console_errors(browser) == []


def test_the_page_is_small_self_contained_and_fits_360_px(browser, start):
    server = start("grid")
    page = server.http.get(server.base + "/web/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert len(page.content) < 150 * 1024
    for external in ("http://", "https://", "//cdn", "@import", "<link rel=\"stylesheet\""):
        assert external not in page.text.replace("http://www.w3.org/2000/svg", ""), external
    browser.set_window_size(360, 800)
    open_page(browser, server)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360
    controls = browser.find_elements(By.CSS_SELECTOR, "input, select, textarea")
    for control in controls:
        if not control.is_displayed():
            continue
        named = browser.execute_script(
            "const c = arguments[0]; return !!(c.labels && c.labels.length) || !!c.getAttribute('aria-label');", control)
        assert named, control.get_attribute("outerHTML")
    finish(browser, "narrow")


def test_web_off_serves_no_page(start):
    server = start("grid", extra_args=["--web", "off"])
    for path in ("/", "/web", "/web/", "/web/config.json"):
        response = server.http.get(server.base + path, allow_redirects=False)
        assert response.status_code == 404 and response.json() == {"detail": "Not Found"}, path


def test_production_mode_follows_enable_web_interface(start, monkeypatch):
    server = start("grid", mode="production")
    assert server.http.get(server.base + "/web/", allow_redirects=False).status_code == 404
    server.stop()
    monkeypatch.setenv("ENABLE_WEB_INTERFACE", "Yes")
    server = start("grid", mode="production")
    response = server.http.get(server.base + "/web", allow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/web/"
    assert server.http.get(server.base + "/web/config.json").json()["mode"] == "production"


def test_with_tokens_the_page_asks_for_one_and_uses_it(browser, start, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token+/= name=browser\n", encoding="utf-8")
    server = start("echo", extra_args=["--auth-token-file", str(tokens)])
    assert server.http.get(server.base + "/web/config.json").status_code == 401
    browser.get(server.base + "/web/")
    field = WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "token") if d.find_element(By.ID, "token").is_displayed() else None)
    field.send_keys("s3cret-token+/=", Keys.ENTER)
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    assert browser.find_element(By.ID, "session-status").text == "Session open"
    form = browser.find_element(By.CSS_SELECTOR, 'form.tool[data-tool="echo_message"]')
    form.find_element(By.TAG_NAME, "input").send_keys("with a token", Keys.ENTER)
    WebDriverWait(browser, WAIT).until(lambda d: "with a token" in d.find_element(By.ID, "observation").text)
    finish(browser, "token")
