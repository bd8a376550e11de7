"""Real `cop serve` processes (gevent) for the chat tests, and python-socketio clients.

The schema comes from `db.create_all()` in a small subprocess rather than `flask db upgrade`,
so these tests do not depend on a migration for the chat tables.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"  # noqa: S105 - tests.factories.PASSWORD

SETUP = r"""
import json
from cop import create_app
from cop.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
    from tests import factories
    from cop.accounts.services import create_api_token
    from cop.chat import services
    from cop.chat.models import ChatRoom
    alpha = factories.make_coalition("alpha", name="Alpha Coalition (demo)")
    beta = factories.make_coalition("beta", name="Beta Coalition (demo)")
    people = {k: factories.make_user("member", email=f"{k}@test.example.org", coalition=alpha)
              for k in ("alice", "bob", "carol")}
    people["outsider"] = factories.make_user("member", email="outsider@test.example.org",
                                             coalition=beta)
    services.ensure_default_rooms()
    room = db.session.execute(db.select(ChatRoom).where(ChatRoom.coalition_id == alpha.id)
                              ).scalar_one()
    lounge = db.session.execute(db.select(ChatRoom).where(ChatRoom.key == "lounge")).scalar_one()
    print(json.dumps({
        "room": room.id, "lounge": lounge.id,
        "users": {k: {"id": u.id, "email": u.email, "token": create_api_token(u)[1]}
                  for k, u in people.items()},
    }))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ok(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001
        return False
    return True


def need(condition: bool, reason: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def base_env(instance: Path, database_url: str, redis_url: str | None, channel: str) -> dict:
    env = dict(os.environ)
    for key in ("TEST_DATABASE_URL", "FLASK_RUN_FROM_CLI", "REDIS_URL", "SOCKETIO_ASYNC_MODE"):
        env.pop(key, None)
    env.update(
        COP_ENV="development",
        COP_INSTANCE_PATH=str(instance),
        DATABASE_URL=database_url,
        SECRET_KEY="chat-test-secret",
        SOCKETIO_CHANNEL=channel,
        RATELIMIT_KEY_PREFIX=channel,
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="1024",
        CHAT_SEND_RATE="2000 per minute",
        PYTHONPATH=str(ROOT),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def setup_database(env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text()[-4000:]


def spawn_server(env: dict, log: Path) -> Server:
    port = free_port()
    env = {**env, "BASE_URL": f"http://127.0.0.1:{port}"}
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "cop", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


def wait_until_up(server: Server, timeout: float = 30) -> Server:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.tail()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{server.tail()}")


def start_servers(env: dict, folder: Path, count: int = 2) -> list[Server]:
    """Start `count` processes at once on the same database and Redis channel."""
    started = [spawn_server(env, folder / f"server-{i}.log") for i in range(count)]
    try:
        for server in started:
            wait_until_up(server)
    except Exception:
        for server in started:
            server.stop()
        raise
    return started


class ThrowawayRedis:
    """A redis-server of our own on a free port, so a test may stop and restart it."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not redis_ok(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError("throwaway redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None


@dataclass
class Client:
    """A python-socketio client on /chat that records what it receives."""

    name: str
    sio: object = None
    messages: list = field(default_factory=list)
    events: list = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)
    disconnected_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    ws: object = None

    def on_message(self, data) -> None:
        with self.lock:
            self.messages.append(data)

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(self):
                    return True
            time.sleep(0.02)
        with self.lock:
            return predicate(self)

    def call(self, event: str, data, timeout: float = 10.0):
        return self.sio.call(event, data, namespace="/chat", timeout=timeout)

    def close(self) -> None:
        if self.sio is None:
            return
        try:
            if self.ws is not None and self.ws.connected:
                # websocket-client would wait up to 3 s for the close handshake
                self.ws.close(timeout=0.1)
        except Exception:  # noqa: BLE001
            pass
        try:
            if self.sio.connected:
                self.sio.disconnect()
        finally:
            # After a server-side disconnect python-socketio may leave the socket open.
            sock = getattr(self.ws, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()


def connect(
    server: Server, name: str, *, token: str | None = None, headers: dict | None = None
) -> Client:
    import socketio

    client = Client(name)
    sio = socketio.Client(reconnection=False)
    sio.on("message", client.on_message, namespace="/chat")

    def _disconnect(*args):
        client.disconnected_at = time.monotonic()
        client.disconnected.set()

    sio.on("disconnect", _disconnect, namespace="/chat")
    for event in ("presence", "typing", "session_ended", "room_removed"):
        sio.on(event, lambda data, e=event: client.events.append((e, data)), namespace="/chat")
    sio.connect(
        server.url,
        namespaces=["/chat"],
        transports=["websocket"],
        auth={"token": token} if token else None,
        headers=headers or {},
        wait_timeout=10,
    )
    client.sio = sio
    client.ws = sio.eio.ws
    return client


def http_json(
    server: Server, path: str, token: str, body: dict | None = None, method: str | None = None
):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read() or b"null")


def catch_up(server: Server, token: str, room_id: int, after_seq: int) -> list[dict]:
    """What the browser client does on (re)connect: every page after its last seen seq."""
    found: list[dict] = []
    while True:
        _, page = http_json(
            server, f"/api/v1/rooms/{room_id}/messages?after_seq={after_seq}&limit=500", token
        )
        found += page["messages"]
        if not page["has_more"]:
            return found
        after_seq = page["messages"][-1]["seq"]


def merged(*batches: list[dict]) -> list[dict]:
    """De-duplicate by id, order by seq: the client's view of a room."""
    by_id = {m["id"]: m for batch in batches for m in batch}
    return sorted(by_id.values(), key=lambda m: m["seq"])


def new_channel() -> str:
    return f"cop-chat-test-{uuid.uuid4().hex[:10]}"
