"""Events fixtures: isolated requests, events made through the services, API tokens, a
clock, and Socket.IO clients on chat's /chat namespace for the live event's room."""

from __future__ import annotations

import contextvars
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from tests.conftest import login
from tests.factories import PASSWORD

EASTERN = "America/New_York"
PACIFIC = "America/Los_Angeles"


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as in production (see tests/accounts)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(autouse=True)
def _isolated_requests(app):
    saved = app.test_client_class
    app.test_client_class = IsolatedClient
    try:
        yield
    finally:
        app.test_client_class = saved


@pytest.fixture
def fresh(db):
    """fresh() -> end the test's own transaction, so the next read sees what requests wrote."""

    def _fresh():
        db.session.rollback()
        db.session.expire_all()

    return _fresh


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, tz: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def event_values(**overrides) -> dict:
    """Valid values of an event two days from now, an hour long, in Eastern time."""
    from cop.core.models import utcnow

    start = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    values = {
        "title": "Apprenticeship ratios webinar",
        "description": "How sponsors set **mentor ratios**.",
        "type": "webinar",
        "timezone": EASTERN,
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "location": "Online",
        "join_url": "https://meet.example.org/ratios",
        "audience": "everyone",
        "capacity": None,
    }
    values.update(overrides)
    return values


def make_event(actor, **overrides):
    """Create an event through the service (the test's set-up, not what is tested)."""
    from cop.events import services

    rrule = overrides.pop("rrule", None)
    values = event_values(**overrides)
    if rrule:
        values["rrule"] = rrule
    return services.create_event(actor, values)


def register(user, event, **kwargs):
    from cop.events import registrations

    return registrations.register(user, event, **kwargs)


@pytest.fixture
def token_for(app, world):
    """token_for("coach") -> Authorization headers with a bearer token of that world user."""
    cache: dict[str, dict] = {}

    def _token(key: str) -> dict:
        if key not in cache:
            response = app.test_client().post(
                "/api/v1/tokens", json={"email": world[key].email, "password": PASSWORD}
            )
            assert response.status_code == 201, response.get_json()
            cache[key] = {"Authorization": f"Bearer {response.get_json()['token']}"}
        return cache[key]

    return _token


@pytest.fixture
def people(world):
    """Twelve more active members of alpha, for capacity and waitlist tests."""
    from tests import factories

    return [factories.make_user("member", coalition=world["alpha"]) for _ in range(12)]


# ---------------------------------------------------------------- Socket.IO on /chat

NS = "/chat"


class ChatClient:
    """A Socket.IO test client on /chat (chat's protocol, docs/chat-protocol.md)."""

    def __init__(self, sc):
        self.sc = sc

    def ack(self, event: str, data=None):
        _forget_request_state()
        return self.sc.emit(event, data, namespace=NS, callback=True)

    def received(self, name: str) -> list:
        return [
            p["args"][0] if p["args"] else None
            for p in self.sc.get_received(NS)
            if p["name"] == name
        ]

    @property
    def connected(self) -> bool:
        return self.sc.is_connected(NS)

    def send(self, room_id: int, body: str) -> dict:
        return self.ack("send", {"room_id": room_id, "body": body, "client_id": uuid.uuid4().hex})


_G_BASELINE: set[str] = set()


def _forget_request_state() -> None:
    """Socket events share the test's app context: drop what Flask-Login and Flask-WTF
    cached in `g`, so each event loads its own user, as in production."""
    from flask import g

    for key in list(vars(g)):
        if key not in _G_BASELINE:
            delattr(g, key)


@pytest.fixture
def chat_client(app, world):
    from flask import g, request_started

    from cop.extensions import socketio

    _G_BASELINE.clear()
    _G_BASELINE.update(vars(g))

    def clear(sender, **extra):
        _forget_request_state()

    request_started.connect(clear, app)
    made: list[ChatClient] = []

    def _make(who) -> ChatClient:
        user = world[who] if isinstance(who, str) else who
        flask_client = FlaskClient(app, use_cookies=True)
        login(flask_client, user)
        _forget_request_state()
        client = ChatClient(socketio.test_client(app, namespace=NS, flask_test_client=flask_client))
        made.append(client)
        return client

    yield _make
    for client in made:
        if client.connected:
            client.sc.disconnect(namespace=NS)
    request_started.disconnect(clear, app)
