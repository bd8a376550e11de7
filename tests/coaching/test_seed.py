"""The demo coaching logs: believable, idempotent, and the dashboard shows warnings."""

from __future__ import annotations

import sqlalchemy as sa

from cop.coaching.models import ActionItem, CoachingSession
from cop.coalitions.models import Coalition
from tests.conftest import login


def test_demo_coaching_logs(app, db, count_queries):
    from cop.coaching import seed_demo_coaching
    from cop.seed import DEMO_PASSWORD, seed_demo

    first = seed_demo()["features"]["coaching"]  # seed-demo loads the coaching logs too
    assert first["sessions"] > 34 * 5 and first["action_items"] > 50
    assert seed_demo_coaching() == {"sessions": 0, "action_items": 0}, "idempotent"
    coalitions_with_logs = db.session.execute(
        sa.select(sa.func.count(sa.distinct(CoachingSession.coalition_id)))
    ).scalar_one()
    assert (
        coalitions_with_logs
        == db.session.execute(sa.select(sa.func.count()).select_from(Coalition)).scalar_one()
        == 34
    )
    statuses = set(db.session.execute(sa.select(ActionItem.status).distinct()).scalars())
    assert statuses == {"open", "done", "dropped"}

    client = app.test_client()
    login(client, "coach@demo.example.org", DEMO_PASSWORD)
    page = client.get("/coaching/").get_data(as_text=True)
    assert "Great Lakes Solar Workforce Coalition (demo)" in page
    assert "Upcoming sessions" in page
    admin = app.test_client()
    login(admin, "admin@demo.example.org", DEMO_PASSWORD)
    page = admin.get("/coaching/").get_data(as_text=True)
    assert "More than 30 days without a session" in page, "the quiet demo coalitions"
    with count_queries() as q:
        assert admin.get("/coaching/").status_code == 200
        assert admin.get("/coaching/analysis").status_code == 200
    assert q.count < 60, q.count
    lead = app.test_client()
    login(lead, "lead@demo.example.org", DEMO_PASSWORD)
    history = lead.get("/coaching/coalitions/great-lakes-solar").get_data(as_text=True)
    assert "What was done" in history
    assert "Private coach notes" not in history
