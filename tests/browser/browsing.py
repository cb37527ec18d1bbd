"""What the browser tests share: serving the real app, and a page that records problems.

The tests serve the app with ``crm serve`` (gunicorn) on a free port of 127.0.0.1 against a
migrated temporary instance and drive Debian's chromium with Playwright. Any console error,
page error, failed request or HTTP error a ``Visit`` sees fails its test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PASSWORD = "browser-test-Pw-2468"
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1366, "height": 768}},
}


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(instance: Path, site: Path | None = None, **config: str) -> dict[str, str]:
    """The environment of ``crm`` subprocesses: this instance, the admin's password, no
    proxy, and ``site`` (extra plugin distributions) on the path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.update({"CRM_INSTANCE_PATH": str(instance), "CRM_ADMIN_PASSWORD": PASSWORD,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                **config})
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return env


def crm(env: dict[str, str], *args: str) -> str:
    """Run ``crm ARGS`` in a subprocess; its output, or the test fails with it."""
    done = subprocess.run([sys.executable, "-m", "crm_core.cli", *args], check=False, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"crm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# Several commands in one process: Python, the kernel and the plugins load once (~2 s a
# command); each command still builds its own app, as `crm` does.
_STEPS = """
import json, sys
from crm_core.cli import cli
for args in json.loads(sys.argv[1]):
    cli.main(args=args, prog_name="crm", standalone_mode=False)
"""


def crm_steps(env: dict[str, str], *steps: list[str]) -> str:
    """Run ``crm STEP`` for each step in order, in one subprocess; its output, or the test
    fails with it."""
    done = subprocess.run([sys.executable, "-c", _STEPS, json.dumps(list(steps))], check=False,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"crm {steps} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def seeded_customers(instance: Path, plugins: str = "customers", customers: int = 60
                     ) -> dict[str, str]:
    """An instance with ``plugins`` migrated, the administrator, ``customers`` demo customers
    (Chinese) and their dashboard counts; the environment of its ``crm`` subprocesses."""
    env = environment(instance, CRM_PLUGINS=plugins)
    crm_steps(env, ["i18n", "compile"], ["db", "upgrade"], ["users", "ensure-admin"],
              ["seed", "--customers", str(customers)], ["customers", "refresh-stats"])
    return env


def _stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(env: dict[str, str], instance: Path, worker: bool = False) -> Iterator[str]:
    """``crm serve`` (and, with ``worker``, a Celery worker) until the block ends; yields the
    base URL once ``/healthz`` answers."""
    port = free_port()
    processes: list[subprocess.Popen[Any]] = []
    logs = []
    commands = [["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]]
    if worker:
        commands.append(["worker", "--pool=solo", "--without-gossip", "--without-mingle",
                         "--without-heartbeat"])
    for command in commands:
        log = (instance / f"{command[0]}.log").open("w")
        logs.append(log)
        processes.append(subprocess.Popen([sys.executable, "-m", "crm_core.cli", *command],
                                          env=env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with opener.open(base + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:  # not listening or not answering yet (URLError is one too)
                pass
            if processes[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n"
                            + (instance / "serve.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        for process in processes:
            _stop(process)
        for log in logs:
            log.close()


class Visit:
    """One browser page that records every problem and saves named screenshots."""

    def __init__(self, page: Any, base: str, screen: str, expected_failure: str = "") -> None:
        """``expected_failure``: a URL ending the test makes fail on purpose (not a problem)."""
        self.page, self.base, self.screen = page, base, screen
        self.expected_failure = expected_failure or "\0"
        self.problems: list[str] = []
        self.shots: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _failed(self, request: Any) -> None:
        # a tab's icon or a background check (htmx) still loading when the page moves on (a
        # form submitted, a link followed) is dropped by the browser itself (ERR_ABORTED),
        # which a person never notices; a page that fails to load, or any other failure, is
        if "ERR_ABORTED" in str(request.failure) and request.method == "GET" \
                and not request.is_navigation_request():
            return
        self.problems.append(f"request failed: {request.method} {request.url} "
                             f"({request.failure})")

    def _console(self, message: Any) -> None:
        if message.type == "error" and self.expected_failure not in message.location.get("url", ""):
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith(self.expected_failure):
            self.problems.append(f"HTTP {response.status}: {response.request.method} "
                                 f"{response.url}")

    def shot(self, name: str, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.screen}-{name}.png"),
                             full_page=full_page)
        self.shots.append(name)

    def check_page(self) -> None:
        """What every page must be: no inline scripts or handlers, nothing sticking out."""
        inline = self.page.evaluate("""() => {
            const scripts = [...document.querySelectorAll('script:not([src])')]
              .filter(s => !s.type || s.type.includes('javascript')).length;
            const handlers = [...document.querySelectorAll('*')]
              .filter(el => [...el.attributes].some(a => a.name.startsWith('on'))).length;
            return {scripts, handlers};
        }""")
        assert inline == {"scripts": 0, "handlers": 0}, f"inline JavaScript on {self.page.url}"
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{self.page.url} is {overflow}px wider than the {self.screen}"

    def switch_language(self, name: str) -> None:
        self.page.locator(".crm-lang-toggle").first.click()
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=name, exact=True).click()
        self.page.wait_for_load_state("networkidle")


def go(visit: Visit, click: Any) -> None:
    """Click (``click()``) and wait for the page it opens to settle."""
    with visit.page.expect_navigation():
        click()
    visit.page.wait_for_load_state("networkidle")


def sign_in(visit: Visit, username: str = "admin", password: str = PASSWORD) -> None:
    """Sign in on the login page as ``username``."""
    page = visit.page
    page.goto(visit.base + "/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    go(visit, page.locator("main form button[type=submit]").click)
