"""Forum fixtures: the default categories around `world`, clients, API tokens."""

from __future__ import annotations

import contextvars

import pytest
from flask.testing import FlaskClient


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as in production (fresh `g`, fresh DB session)."""

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
def forums(world, db):
    """Categories by slug: the defaults, staff-room, coalition-alpha and coalition-beta."""
    import sqlalchemy as sa

    from cop.forums.models import Category
    from cop.forums.services import ensure_default_categories

    ensure_default_categories()
    return {c.slug: c for c in db.session.execute(sa.select(Category)).scalars()}


@pytest.fixture
def api_as(app, world):
    """api_as("member") -> a client whose requests carry that user's bearer token."""
    from tests.factories import PASSWORD

    def _make(key: str):
        client = app.test_client()
        response = client.post(
            "/api/v1/tokens", json={"email": world[key].email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {response.get_json()['token']}"
        return client

    return _make
