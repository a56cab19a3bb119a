"""Serves the reference `browsergym_env` for Benchmarks/browser_bench.py --reference.

What the reference's server/start.sh and server/app.py do, on loopback: a static file server
for the MiniWoB++ pages (MINIWOB_URL points BrowserGym at it) and the reference's own
`BrowserGymEnvironment` behind openenv's `create_app`, with one change: Playwright launches
the Debian Chromium instead of a browser downloaded by `playwright install`, so both servers
drive the same Chromium build. BrowserGym launches two browsers per session (the task's, and
a chat window's, which takes no launch options), so rather than `executable_path` a private
PLAYWRIGHT_BROWSERS_PATH holds a link from Playwright's expected path to the Debian binary. Playwright runs it with `--no-sandbox` (its default
when launching Chromium), one browser per session, as the reference does.

Usage (from a venv with the reference's pinned server requirements and openenv 0.10.0):
  python Benchmarks/browsergym_reference_server.py --src OPENENV/envs --html MINIWOB_HTML --port 18555
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import threading


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=os.environ.get("BROWSERGYM_ENV_SRC", "/tmp/bgref/envs"),
                    help="the folder holding the reference's browsergym_env package (OpenEnv's envs/)")
    ap.add_argument("--html", default=os.environ.get("MINIWOB_HTML_DIR", ""),
                    help="the MiniWoB++ html folder (the one holding miniwob/ and core/)")
    ap.add_argument("--port", type=int, default=18555)
    ap.add_argument("--task", default="click-test")
    ap.add_argument("--chromium", default="/usr/lib/chromium/chromium")
    a = ap.parse_args()

    import json
    import tempfile
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
    from browsergym_env.models import BrowserGymAction, BrowserGymObservation
    from browsergym_env.server.browsergym_environment import BrowserGymEnvironment
    from openenv.core.env_server.http_server import create_app
    import uvicorn

    class SingleThreadBrowserGymEnvironment(BrowserGymEnvironment):
        REQUIRES_SINGLE_THREAD_EXECUTOR = True

    app = create_app(
        functools.partial(SingleThreadBrowserGymEnvironment, benchmark="miniwob", task_name=a.task, headless=True,
                          viewport_width=1280, viewport_height=720, timeout=10000.0),
        BrowserGymAction, BrowserGymObservation, env_name="browsergym_env", max_concurrent_envs=32)
    uvicorn.run(app, host="127.0.0.1", port=a.port, log_level="warning")


if __name__ == "__main__":
    main()
