"""Every events route for every role of the world fixture (tests/events/matrix.py), and
the SQL visibility rule agreeing with the Python predicate."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import route_walker as walker
from tests.events import matrix

PREFIXES = ("/events", "/api/v1/events", "/calendar")


def _shape(path: str) -> str:
    return walker.shape(re.sub(r"/calendar/[^/]+\.ics(\?.*)?$", "/calendar/*.ics", path))


def test_the_matrix_covers_every_events_route(app):
    walker.check_coverage(app, matrix, PREFIXES, _shape)


def test_the_matrix_names_the_right_endpoints(app, world):
    walker.check_endpoints(app, world, matrix)
    assert set(matrix.ROWS) == set(matrix.ENDPOINTS.values())
    events_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIXES)
    }
    assert events_endpoints == set(matrix.ROWS), "every events endpoint has a row"


def test_every_events_route_for_every_role(app, world):
    walker.walk(app, matrix, world=world)


def test_the_sql_visibility_rule_agrees_with_the_predicate(world, db):
    from cop.events.models import Event
    from cop.events.permissions import can_view_event, visible_condition
    from cop.events.services import invite
    from tests.events.conftest import make_event

    make_event(world["coach"], title="Everyone")
    make_event(world["coach"], title="Staff", audience="staff")
    make_event(
        world["coach"], title="Alpha", audience="coalitions", coalition_ids=[world["alpha"].id]
    )
    make_event(
        world["coach"], title="Beta", audience="coalitions", coalition_ids=[world["beta"].id]
    )
    spoken = make_event(
        world["coach"],
        title="Staff, expert speaks",
        audience="staff",
        speaker_ids=[world["expert"].id],
    )
    invited = make_event(world["coach"], title="Staff, guest invited", audience="staff")
    invite(world["coach"], invited, world["guest"].email)
    hosted = make_event(world["other_coach"], title="Other coach's", audience="staff")
    events = db.session.execute(sa.select(Event)).scalars().all()
    for role in matrix.ROLES[:-1]:
        user = world[role]
        by_sql = set(
            db.session.execute(sa.select(Event.id).where(visible_condition(user))).scalars()
        )
        by_rule = {e.id for e in events if can_view_event(user, e)}
        assert by_sql == by_rule, role
    expert = set(
        db.session.execute(
            sa.select(Event.title).where(visible_condition(world["expert"]))
        ).scalars()
    )
    assert expert == {"Everyone", "Staff, expert speaks"}
    guest = set(
        db.session.execute(
            sa.select(Event.title).where(visible_condition(world["guest"]))
        ).scalars()
    )
    assert guest == {"Staff, guest invited"}
    assert spoken.id and hosted.id
