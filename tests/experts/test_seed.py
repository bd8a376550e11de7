"""The demo directory: every demo expert has a profile, three outside experts, requests in
several states; seeding twice adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from cop.experts.models import ExpertProfile, ExpertRequest
from tests.conftest import login


def test_demo_experts(app, db):
    from cop.experts import seed_demo_experts
    from cop.seed import DEMO_PASSWORD, EXPERTS, seed_demo

    first = seed_demo()["features"]["experts"]
    assert first == {"profiles_created": len(EXPERTS) + 3, "requests_created": 5}
    assert seed_demo_experts() == {"profiles_created": 0, "requests_created": 0}
    outside = (
        db.session.execute(sa.select(ExpertProfile).where(ExpertProfile.user_id.is_(None)))
        .scalars()
        .all()
    )
    assert len(outside) == 3 and all(p.maintainer_id for p in outside)
    states = set(db.session.execute(sa.select(ExpertRequest.state).distinct()).scalars())
    assert {"requested", "accepted", "scheduled", "completed", "declined"} <= states

    client = app.test_client()
    login(client, "member@demo.example.org", DEMO_PASSWORD)
    page = client.get("/experts/?topic=apprenticeship&state=OH").get_data(as_text=True)
    assert "Dr. Leah Morrison" in page and "Marisol Ortega" in page
