"""The production topology, started by `deploy/cluster.py` (what `make cluster` runs) on a
fresh PostgreSQL database: nginx (ip_hash, WebSocket upgrade, static files) in front of two
gunicorn gevent processes, one job worker, Redis as the Socket.IO queue and limiter store.

One scenario, all through nginx: ip_hash pins each client address to one of the two
processes (clients come from 127.0.N.1 source addresses: ip_hash keys on three bytes),
static files come from nginx, a login works, a chat client pinned to one process receives a
message sent by a client pinned to the other (through Redis) and the other way round, and
one user's chat rate-limit window is shared by both processes (Redis).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.conftest import IN_CI, PG_ADMIN_URL, pg_available

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "deploy" / "cluster.py"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "demo-password-2026"  # noqa: S105 - the documented demo password


def _need(ok: bool, reason: str) -> None:
    if not ok:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def _redis_ok() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CLUSTER), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = pg_available()
    _need(reason is None, reason or "")
    _need(_redis_ok(), f"Redis not reachable at {REDIS_URL}")
    _need(
        bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists()),
        "nginx is not installed (apt-get install -y nginx)",
    )
    state = tmp_path_factory.mktemp("cluster")
    database = f"cop_cluster_test_{uuid.uuid4().hex[:8]}"
    channel = f"cop-cluster-test-{uuid.uuid4().hex[:8]}"
    started = _run(
        "start",
        "--state-dir",
        str(state),
        "--database",
        database,
        "--pg-admin-url",
        PG_ADMIN_URL.replace("+psycopg", ""),
        "--redis-url",
        REDIS_URL,
        "--channel",
        channel,
        "--port",
        "0",
        "--backend-ports",
        "0,0",
        "--env",
        "ARGON2_TIME_COST=1",
        "--env",
        "ARGON2_MEMORY_COST=1024",
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        data = json.loads((state / "state.json").read_text())
        assert started.stdout.strip().splitlines()[-1] == data["url"]
        yield data
    finally:
        stopped = _run("stop", "--state-dir", str(state), "--drop-db", timeout=60)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


class _SourceAdapter(HTTPAdapter):
    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def _session(source: str) -> requests.Session:
    """Requests from one loopback source address, as from one client machine."""
    session = requests.Session()
    session.mount("http://", _SourceAdapter(source))
    return session


def _login(base: str, email: str, source: str) -> requests.Session:
    session = _session(source)
    page = session.get(base + "/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    done = session.post(
        base + "/login",
        timeout=10,
        data={"email": email, "password": PASSWORD, "csrf_token": token},
    )
    assert done.status_code == 200 and done.url.rstrip("/") == base, (done.status_code, done.url)
    return session


class ChatClient:
    def __init__(self, url: str, session: requests.Session, transports: list[str], source: str):
        import socketio

        self.messages: list[dict] = []
        self.lock = threading.Lock()
        # Polling through the session, the WebSocket on a socket from the same source.
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        sock = socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0))
        self.sio = socketio.Client(
            reconnection=False, http_session=session, websocket_extra_options={"socket": sock}
        )
        self.sio.on("message", self._on_message, namespace="/chat")
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        self.sio.connect(
            url,
            headers={"Cookie": cookie},
            namespaces=["/chat"],
            transports=transports,
            wait_timeout=10,
        )

    def _on_message(self, data) -> None:
        with self.lock:
            self.messages.append(data)

    def call(self, event: str, data: dict) -> dict:
        return self.sio.call(event, data, namespace="/chat", timeout=10)

    def wait_for(self, message_id: int, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(m["id"] == message_id for m in self.messages):
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        ws = getattr(self.sio.eio, "ws", None)
        if ws is not None:
            # websocket-client would wait 3 s for the close frame
            with contextlib.suppress(Exception):
                ws.close(timeout=0.1)
        self.sio.disconnect()


def test_cluster_serves_through_nginx_with_two_processes_sharing_chat(cluster):
    url, backends = cluster["url"], cluster["backends"]
    assert set(backends) == {"app-a", "app-b"}
    for name, backend in backends.items():
        assert requests.get(backend + "/healthz", timeout=5).headers["X-Cop-Instance"] == name

    # nginx pins each client address to one process, and both processes get clients.
    pinned: dict[str, str] = {}
    for n in range(1, 9):
        source = f"127.0.{n}.1"
        names = {
            _session(source).get(url + "/healthz", timeout=5).headers["X-Cop-Instance"]
            for _ in range(2)
        }
        assert len(names) == 1, f"{source} was not sticky: {names}"
        pinned.setdefault(names.pop(), source)
    assert set(pinned) == {"app-a", "app-b"}, pinned
    source_a, source_b = pinned["app-a"], pinned["app-b"]

    # Static files come from nginx itself, not from a Python process.
    css = requests.get(url + "/static/css/cop.css", timeout=5)
    assert css.status_code == 200 and css.headers["Server"] == "nginx"
    assert "X-Cop-Instance" not in css.headers
    assert css.headers["Content-Type"].startswith("text/css")

    # Logins through nginx, one client on each process (same coalition).
    member = _login(url, "member@demo.example.org", source_a)
    assert "Sign in" not in member.get(url + "/", timeout=10).text
    rooms = member.get(url + "/api/v1/rooms", timeout=10).json()
    room = next(r for r in rooms if r["kind"] == "coalition")["id"]
    lead = _login(url, "lead@demo.example.org", source_b)
    assert lead.get(url + "/healthz", timeout=5).headers["X-Cop-Instance"] == "app-b"

    # Socket.IO through nginx: polling then the WebSocket upgrade (needs stickiness and the
    # Upgrade headers) on app-a; a WebSocket-only client on app-b.
    near = ChatClient(url, member, ["polling", "websocket"], source_a)
    far = ChatClient(url, lead, ["websocket"], source_b)
    clients = [near, far]
    try:
        assert near.call("join", {"room_id": room})["ok"]
        assert far.call("join", {"room_id": room})["ok"]
        deadline = time.monotonic() + 5
        while near.sio.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert near.sio.transport() == "websocket"

        sent = far.call(
            "send", {"room_id": room, "body": "from app-b", "client_id": uuid.uuid4().hex}
        )
        assert sent["ok"], sent
        assert near.wait_for(sent["message"]["id"]), "no delivery from app-b to app-a"
        reply = near.call(
            "send", {"room_id": room, "body": "from app-a", "client_id": uuid.uuid4().hex}
        )
        assert reply["ok"], reply
        assert far.wait_for(reply["message"]["id"]), "no delivery from app-a to app-b"
        assert reply["message"]["seq"] == sent["message"]["seq"] + 1

        # The same user sending through the other process counts against one limit: the
        # chat rate-limit window lives in Redis, not in each process.
        member_b = ChatClient(
            url, _copy_cookies(member, _session(source_b)), ["websocket"], source_b
        )
        clients.append(member_b)
        again = member_b.call(
            "send",
            {"room_id": room, "body": "same user, from app-b", "client_id": uuid.uuid4().hex},
        )
        assert again["ok"], again
        _assert_shared_send_window(cluster["channel"], reply["message"]["author"]["id"], 2)
    finally:
        for client in clients:
            client.close()


def _copy_cookies(source: requests.Session, target: requests.Session) -> requests.Session:
    target.cookies.update(source.cookies)
    return target


def _assert_shared_send_window(channel: str, user_id: int, hits: int) -> None:
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    keys = list(store.scan_iter(match=f"*{channel}/chat-send/{user_id}/*"))
    assert keys, "no chat rate-limit window in Redis"
    if store.type(keys[0]) == b"list":  # limits' moving window: one entry per hit
        assert store.llen(keys[0]) == hits
