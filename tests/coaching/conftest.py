"""Local fixtures for the coaching tests: isolated requests, a world with coaching logs,
API tokens."""

from __future__ import annotations

import contextvars
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.conftest import login
from tests.factories import PASSWORD


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as in production (see tests/accounts/conftest.py)."""

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


def session_values(coach, **overrides) -> dict:
    """Valid values of a session log, an hour ago, by this coach."""
    from cop.core.models import utcnow

    values = {
        "started_at": utcnow() - timedelta(hours=2),
        "duration_minutes": 60,
        "modality": "video",
        "initiated_by": "coach",
        "coach_ids": [coach.id],
        "attendee_ids": [],
        "other_attendees": "",
        "topics": ["apprenticeship"],
        "need": "Enrollment is behind target.",
        "summary": "Reviewed the **outreach plan**.",
        "outcome": "Applications rose.",
        "next_session_on": None,
        "private_notes": "SECRET-NOTE lead is stretched thin",
    }
    values.update(overrides)
    return values


def log(actor, coalition, *, items=(), **overrides):
    """Log a session through the service (the test's set-up, not what is tested)."""
    from cop.coaching import services

    services.ensure_default_topics()
    coach = overrides.pop("coach", actor)
    return services.log_session(
        actor,
        coalition,
        session_values(coach, **overrides),
        items=[services.NewActionItem(*i) for i in items],
    )


@pytest.fixture
def logs(world):
    """An alpha session (by its coach, with an item for the lead) and a beta session (admin)."""
    alpha = log(
        world["coach"],
        world["alpha"],
        attendee_ids=[world["lead"].id],
        items=[("Send the outreach calendar", world["lead"].id, None)],
    )
    beta = log(
        world["admin"],
        world["beta"],
        coach=world["admin"],
        private_notes="BETA-SECRET",
        summary="Beta summary",
    )
    return {
        "alpha": alpha,
        "beta": beta,
        "alpha_item": alpha.action_items[0],
        "alpha_id": alpha.id,
        "beta_id": beta.id,
        "item_id": alpha.action_items[0].id,
    }


@pytest.fixture
def token_for(app, world):
    """token_for("coach") -> a bearer token of that world user, from POST /api/v1/tokens."""

    def _token(key: str) -> dict:
        client = app.test_client()
        response = client.post(
            "/api/v1/tokens", json={"email": world[key].email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _token


__all__ = ["login", "log", "session_values"]
