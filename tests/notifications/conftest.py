"""Fixtures for the notifications tests.

Requests run in their own app context, as in production (see tests/accounts/conftest.py
for why); the job runner pushes its own app context too, so the test's session is
refreshed with `fresh()` before reading what a request or a runner wrote.
"""

from __future__ import annotations

import contextvars
import socket
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from tests.conftest import login


class IsolatedClient(FlaskClient):
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
    def _fresh():
        db.session.rollback()
        db.session.expire_all()

    return _fresh


@pytest.fixture
def mail_config(app):
    """mail_config(KEY=value, ...): change app config for this test only."""
    saved: dict = {}

    def _set(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
        app.config.update(values)

    yield _set
    app.config.update(saved)


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on: an SMTP server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return port


@pytest.fixture
def client_for(app):
    """client_for(user) -> a test client logged in as that user."""

    def _make(user):
        client = app.test_client()
        login(client, user)
        return client

    return _make


@pytest.fixture
def token_for(app):
    """token_for(user) -> a bearer token from POST /api/v1/tokens."""
    from tests.factories import PASSWORD

    def _make(user):
        response = app.test_client().post(
            "/api/v1/tokens", json={"email": user.email, "password": PASSWORD, "name": "test"}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]

    return _make


def at(text: str, tz: str = "UTC") -> datetime:
    """at("2026-03-02 07:05", "America/Chicago") -> that wall-clock time, aware, in UTC."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
