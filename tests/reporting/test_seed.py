"""The demo reporting data: believable, idempotent, some coalitions ahead and some behind,
reports in every state, coaching sessions tagged; the demo pages stay cheap."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from cop.reporting.models import QuarterlyReport, Target, session_measures
from tests.conftest import login
from tests.reporting.conftest import quarters


def test_demo_reporting(app, db, count_queries):
    from cop.reporting import seed_demo_reporting
    from cop.seed import DEMO_PASSWORD, seed_demo

    # Coalitions, people and (through the feature hooks) coaching logs and reporting data.
    first = seed_demo()["features"]["reporting"]
    assert first["targets"] > 34 * 14 and first["reports"] > 34 * 5
    assert first["figures"] > first["reports"] * 5 and first["session_tags"] > 50
    assert seed_demo_reporting() == {"targets": 0, "reports": 0, "figures": 0, "session_tags": 0}, (
        "idempotent"
    )
    assert (
        db.session.execute(sa.select(sa.func.count(sa.distinct(Target.coalition_id)))).scalar_one()
        == 34
    )
    last = quarters()["last"]
    states = Counter(
        db.session.execute(
            sa.select(QuarterlyReport.status).where(
                QuarterlyReport.year == last.year, QuarterlyReport.quarter == last.number
            )
        ).scalars()
    )
    assert set(states) == {"draft", "submitted", "returned", "accepted"}
    assert sum(states.values()) < 34, "some reports of the last quarter are not started"
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(session_measures)).scalar_one()
        == first["session_tags"]
    )

    admin = app.test_client()
    login(admin, "admin@demo.example.org", DEMO_PASSWORD)
    summary = admin.get("/api/v1/reporting/summary").get_json()
    statuses = Counter(p["status"] for row in summary["coalition_rows"] for p in row["progress"])
    assert statuses["behind"] > 50 and statuses["ahead"] > 50 and statuses["on_track"] > 50
    behind_coalitions = [
        row
        for row in summary["coalition_rows"]
        if sum(p["status"] == "behind" for p in row["progress"]) >= 7
    ]
    ahead_coalitions = [
        row
        for row in summary["coalition_rows"]
        if sum(p["status"] == "ahead" for p in row["progress"]) >= 7
    ]
    assert behind_coalitions and ahead_coalitions
    with count_queries() as counter:
        for page in (
            "/reporting/",
            "/reporting/coalitions/great-lakes-solar",
            "/reporting/coach",
            "/reporting/reports",
        ):
            assert admin.get(page).status_code == 200
    assert counter.count < 80, counter.count
    coach = app.test_client()
    login(coach, "coach@demo.example.org", DEMO_PASSWORD)
    page = coach.get("/reporting/coalitions/great-lakes-solar").get_data(as_text=True)
    assert "chart-coaching-title" in page and "Hours of coaching per quarter" in page
