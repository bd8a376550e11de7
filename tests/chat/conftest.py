"""Chat fixtures: the default rooms around `world`, Socket.IO test clients per user."""

from __future__ import annotations

import pytest

from tests.conftest import login

NS = "/chat"


_G_BASELINE: set[str] = set()


def fresh_user() -> None:
    """Tests run inside one app context, which every request and socket event then shares
    (Flask reuses a pushed context); Flask-Login (the user) and Flask-WTF (the CSRF token)
    cache per-request things in `g`. Drop them, so each request and event loads its own,
    as it does in production where every request has a fresh context."""
    from flask import g

    for key in list(vars(g)):
        if key not in _G_BASELINE:
            delattr(g, key)


@pytest.fixture(autouse=True)
def _user_per_request(app):
    from flask import g, request_started

    _G_BASELINE.clear()
    _G_BASELINE.update(vars(g))

    def clear(sender, **extra):
        fresh_user()

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def rooms(world):
    """The lounge, the sector rooms and a room per coalition of `world`."""
    import sqlalchemy as sa

    from cop.chat import services
    from cop.chat.models import ChatRoom
    from cop.extensions import db

    services.ensure_default_rooms()
    by_key = {r.key: r for r in db.session.execute(sa.select(ChatRoom)).scalars()}
    return {
        "lounge": by_key["lounge"],
        "alpha": by_key[f"coalition:{world['alpha'].id}"],
        "beta": by_key[f"coalition:{world['beta'].id}"],
        "broadband": by_key["sector:broadband"],
        "renewable": by_key["sector:renewable-energy"],
    }


class ChatClient:
    """A Socket.IO test client on /chat that keeps every event it received."""

    def __init__(self, sc):
        self.sc = sc
        self.events: list[tuple[str, object]] = []

    def ack(self, event: str, data=None):
        fresh_user()
        return self.sc.emit(event, data, namespace=NS, callback=True)

    def emit(self, event: str, data=None):
        fresh_user()
        self.sc.emit(event, data, namespace=NS)

    def drain(self) -> list[tuple[str, object]]:
        # Read the queue directly: get_received refuses once the server disconnected us.
        queue = self.sc.queue
        items = [p for p in queue if p["namespace"] == NS]
        queue[:] = [p for p in queue if p["namespace"] != NS]
        for item in items:
            args = item["args"]
            # The test client unwraps the args of "message" and "json" events.
            unwrapped = item["name"] in ("message", "json")
            data = args if unwrapped else (args[0] if args else None)
            self.events.append((item["name"], data))
        return self.events

    def got(self, name: str) -> list:
        return [data for event, data in self.drain() if event == name]

    def clear(self) -> None:
        self.drain()
        self.events.clear()

    @property
    def connected(self) -> bool:
        return self.sc.is_connected(NS)

    def join(self, room) -> dict:
        ack = self.ack("join", {"room_id": room.id})
        assert ack["ok"], ack
        return ack

    def send(self, room, body: str, client_id: str | None = None) -> dict:
        import uuid

        return self.ack(
            "send", {"room_id": room.id, "body": body, "client_id": client_id or uuid.uuid4().hex}
        )


@pytest.fixture
def chat_client(app, world):
    """chat_client("member") -> a /chat client logged in (session cookie) as world[key];
    chat_client(user, token=raw) -> one authenticated by an API token instead."""
    from cop.extensions import socketio

    made: list[ChatClient] = []

    def _make(
        who, *, token: str | None = None, headers: dict | None = None, flask_client=None
    ) -> ChatClient:
        user = world[who] if isinstance(who, str) else who
        fresh_user()
        if token is not None:
            sc = socketio.test_client(app, namespace=NS, auth={"token": token}, headers=headers)
        else:
            flask_client = flask_client or app.test_client()
            if user is not None:
                login(flask_client, user)
            fresh_user()
            sc = socketio.test_client(
                app, namespace=NS, flask_test_client=flask_client, headers=headers
            )
        client = ChatClient(sc)
        client.flask = flask_client
        made.append(client)
        return client

    yield _make
    for client in made:
        if client.connected:
            client.sc.disconnect(namespace=NS)


@pytest.fixture
def api_token(world):
    from cop.accounts.services import create_api_token

    def _token(who) -> str:
        user = world[who] if isinstance(who, str) else who
        return create_api_token(user, name="chat test")[1]

    return _token
