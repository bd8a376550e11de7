"""Browser tests: the real server (`cop serve`, gevent, Socket.IO) on a seeded SQLite
database, driven by Playwright in Debian's Chromium, every page checked with axe-core.

Outside CI a missing Chromium skips these tests with a reason; with CI=true it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import IN_CI, _free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("COP_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


def _redis_url() -> str | None:
    url = os.environ.get("COP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001
        return None
    return url


@dataclass
class LiveServer:
    url: str
    env: dict
    instance: Path
    process: subprocess.Popen
    log: Path
    redis_url: str | None = None
    extra: dict = field(default_factory=dict)

    def flask(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """Run a `flask --app wsgi ...` command against the live server's database."""
        return subprocess.run(
            [*FLASK, *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    def app(self):
        """An app object in this (test) process on the live server's database and Redis
        channel: what it emits reaches the server's clients through Redis."""
        if "app" not in self.extra:
            from cop import create_app

            saved = dict(os.environ)
            os.environ.update(self.env)
            try:
                self.extra["app"] = create_app("development")
            finally:
                os.environ.clear()
                os.environ.update(saved)
        return self.extra["app"]


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("live")
    port = _free_port()
    redis_url = _redis_url()
    tag = uuid.uuid4().hex[:8]
    env = dict(os.environ)
    for key in ("TEST_DATABASE_URL", "FLASK_RUN_FROM_CLI"):
        env.pop(key, None)
    env.update(
        COP_ENV="development",
        COP_INSTANCE_PATH=str(instance),
        DATABASE_URL=f"sqlite:///{instance / 'cop.db'}",
        BASE_URL=f"http://127.0.0.1:{port}",
        SOCKETIO_CHANNEL=f"cop-test-{tag}",
        RATELIMIT_KEY_PREFIX=f"cop-test-{tag}",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="1024",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    subprocess.run(
        [*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
    )
    subprocess.run(
        [*FLASK, "cop", "seed-demo"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = instance / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*FLASK, "cop", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", env, instance, process, log, redis_url)
    try:
        _wait_for(server.url, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Session:
    """A browser context for one user, with console and CSP errors collected."""

    def __init__(self, browser, server: LiveServer):
        self.server = server
        self.context = browser.new_context(
            base_url=server.url, locale="en-US", timezone_id="America/Chicago"
        )
        self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def login(self, email: str, password: str = DEMO_PASSWORD):
        page = self.page
        page.goto("/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return self

    def goto(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response.status}"
        return response

    def axe(self, context: str = "") -> list[dict]:
        """Run axe-core with the WCAG 2.1 A/AA tags; return the violations."""
        self.page.wait_for_load_state("load")
        result = self.page.evaluate(
            "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', "
            "values: tags}, resultTypes: ['violations']}); return r.violations.map(v => ({id: "
            "v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') "
            "+ ' :: ' + n.failureSummary)})); }",
            WCAG_TAGS,
        )
        return result

    def assert_accessible(self, label: str = ""):
        violations = self.axe()
        where = label or self.page.url
        assert not violations, (
            f"axe-core violations on {where}:\n" + json.dumps(violations, indent=2)[:6000]
        )
        csp = [e for e in self.errors if "Content Security Policy" in e]
        assert not csp, f"CSP violations on {where}: {csp}"

    def close(self):
        self.context.close()


@pytest.fixture
def session_for(browser, live_server):
    """session_for("admin@demo.example.org") -> a logged-in browser Session (or None email: anonymous)."""
    sessions: list[Session] = []

    def _make(email: str | None = None) -> Session:
        session = Session(browser, live_server)
        sessions.append(session)
        if email:
            session.login(email)
        return session

    yield _make
    for session in sessions:
        session.close()
