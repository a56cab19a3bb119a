"""The reference `browsergym_env`'s environment measured in process (docs/benchmarks.md, "Browser").

The reference's server cannot serve a MiniWoB episode here with openenv 0.10.0 (HTTP /reset
fails to serialize BrowserGym's numpy arrays; the /ws session calls Playwright's sync API
from another thread: "no running event loop"), so this calls its `BrowserGymEnvironment`
directly, in one thread, with no transport at all (which favours it): what a session costs
in BrowserGym 0.14.3 on Playwright 1.44.0, driving the same Debian Chromium as
`openenv serve browser` (see browsergym_reference_server.py for how).

- session start: `BrowserGymEnvironment(task_name="click-test")` + `reset(seed=i)` (the
  reference makes one environment, so one Playwright and its browsers, per session);
- click + observation: `step(click(bid))` on click-test's button, on a fresh episode each time;
- memory per session: PSS of this process and every process below it with N environments
  reset, minus none, over N.

Usage: python Benchmarks/browsergym_reference_inprocess.py --src OPENENV/envs --html MINIWOB_HTML
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Tests" / "Interop"))
sys.path.insert(0, str(HERE))

from browser_agents import first  # noqa: E402
from browser_bench import descendants, pct, pss_kib  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=os.environ.get("BROWSERGYM_ENV_SRC", "/tmp/bgref/envs"))
    ap.add_argument("--html", required=True)
    ap.add_argument("--chromium", default="/usr/lib/chromium/chromium")
    ap.add_argument("--starts", type=int, default=15)
    ap.add_argument("--clicks", type=int, default=40)
    a = ap.parse_args()

    import playwright
    browsers = json.load(open(os.path.join(os.path.dirname(playwright.__file__), "driver", "package", "browsers.json")))
    revision = next(b["revision"] for b in browsers["browsers"] if b["name"] == "chromium")
    links = tempfile.mkdtemp(prefix="pw-browsers-")
    os.makedirs(f"{links}/chromium-{revision}/chrome-linux")
    os.symlink(a.chromium, f"{links}/chromium-{revision}/chrome-linux/chrome")
    os.environ["PLAYWRIGHT_BROWSERS_PATH"] = links

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=a.html)
    files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    os.environ["MINIWOB_URL"] = f"http://127.0.0.1:{files.server_address[1]}/miniwob/"

    sys.path.insert(0, a.src)
    from browsergym_env.models import BrowserGymAction
    from browsergym_env.server.browsergym_environment import BrowserGymEnvironment

    def make():
        return BrowserGymEnvironment(benchmark="miniwob", task_name="click-test", headless=True)

    report = {"server": "reference BrowserGymEnvironment, in process"}
    warm = make()
    warm.reset(seed=0)
    warm.close()
    starts = []
    for i in range(a.starts):
        t0 = time.perf_counter()
        env = make()
        env.reset(seed=i)
        starts.append(time.perf_counter() - t0)
        env.close()
    report["session_start_s"] = {"p50": pct(starts, 50), "p99": pct(starts, 99), "n": len(starts)}

    env = make()
    clicks, rewarded = [], 0
    for i in range(a.clicks):
        obs = env.reset(seed=i)
        bid = first(obs.axtree_txt, "button", "Click Me!")
        t0 = time.perf_counter()
        obs = env.step(BrowserGymAction(action_str=f"click({bid!r})"))
        clicks.append(time.perf_counter() - t0)
        rewarded += (obs.reward or 0) > 0
    env.close()
    report["click_observation_s"] = {"p50": pct(clicks, 50), "p99": pct(clicks, 99), "n": len(clicks), "rewarded": rewarded}

    time.sleep(2)
    idle = pss_kib(descendants(os.getpid()))
    report["pss_idle_mib"] = idle / 1024
    for n in (4, 8):
        envs = [make() for _ in range(n)]
        for e in envs:
            e.reset(seed=1)
        time.sleep(1)
        report[f"pss_per_session_mib_{n}"] = (pss_kib(descendants(os.getpid())) - idle) / n / 1024
        for e in envs:
            e.close()
        time.sleep(2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
