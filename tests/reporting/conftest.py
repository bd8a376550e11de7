"""Local fixtures for the reporting tests: the default measures, quarters relative to today,
targets and reports made through the services, API tokens."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.factories import PASSWORD


def quarters():
    """The grant period and quarters relative to today: `last` (the last one that ended, the
    dashboards' default), `prev` (the one before), `current` (under way)."""
    from cop.reporting.periods import GrantPeriod

    period = GrantPeriod.current()
    last = period.default_as_of()
    return {
        "period": period,
        "last": last,
        "prev": last.previous,
        "current": period.clamp(period.current_quarter()),
    }


@pytest.fixture
def q(app):
    return quarters()


@pytest.fixture
def measures(app, db):
    """The default measures, by slug."""
    from cop.reporting.models import Measure
    from cop.reporting.services import ensure_default_measures

    ensure_default_measures()
    return {m.slug: m for m in db.session.execute(sa.select(Measure)).scalars()}


def set_targets(coalition, values: dict[tuple[str, int], object]) -> None:
    """set_targets(alpha, {("exiters", 0): 100}) through the service, as the system."""
    from cop.extensions import db
    from cop.reporting.models import Measure
    from cop.reporting.services import set_targets as service

    by_slug = {m.slug: m for m in db.session.execute(sa.select(Measure)).scalars()}
    service(
        None,
        coalition,
        {(by_slug[slug], period): value for (slug, period), value in values.items()},
    )


def make_report(
    coalition,
    quarter,
    figures: dict[str, object] | None = None,
    *,
    status: str = "draft",
    progress: str = "We enrolled a cohort.",
    actor=None,
):
    """A report in the given state, figures by measure slug, written straight to the
    database (the test's set-up, not what is tested)."""
    from cop.core.markdown import render_markdown
    from cop.core.models import utcnow
    from cop.extensions import db
    from cop.reporting.models import Figure, Measure, QuarterlyReport

    by_slug = {m.slug: m for m in db.session.execute(sa.select(Measure)).scalars()}
    report = QuarterlyReport(
        coalition_id=coalition.id,
        year=quarter.year,
        quarter=quarter.number,
        status=status,
        progress=progress,
        progress_html=render_markdown(progress),
    )
    if status != "draft":
        report.submitted_at = utcnow()
        report.submitted_by_id = actor.id if actor else None
    for slug, value in (figures or {}).items():
        report.figures.append(Figure(measure_id=by_slug[slug].id, value=Decimal(str(value))))
    db.session.add(report)
    db.session.commit()
    return report


@pytest.fixture
def token_for(app, world):
    """token_for("coach") -> headers with a bearer token of that world user."""

    def _token(key: str) -> dict:
        response = app.test_client().post(
            "/api/v1/tokens", json={"email": world[key].email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _token


def text(response) -> str:
    return response.get_data(as_text=True)
