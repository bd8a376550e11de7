"""Every events route for every role of the world fixture (tests/events/matrix.py), and
the SQL visibility rule agreeing with the Python predicate."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, login
from tests.events import matrix
from tests.factories import PASSWORD

CASES = [(key, role, status) for key, row in matrix.CASES.items() for role, status in row.items()]
PREFIXES = ("/events", "/api/v1/events", "/calendar")


def _html_client(app, world, role):
    client = app.test_client()
    if role == "deactivated":
        client.post("/login", data={"email": world[role].email, "password": PASSWORD,
                                    "csrf_token": csrf_token(client)})
    elif role != "anonymous":
        login(client, world[role])
    return client


def _api_headers(app, world, role) -> dict:
    if role == "anonymous":
        return {}
    response = app.test_client().post("/api/v1/tokens",
                                      json={"email": world[role].email, "password": PASSWORD})
    if role == "deactivated":
        assert response.status_code == 401
        return {"Authorization": "Bearer not-a-token"}
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _shape(path: str) -> str:
    path = path.split("?")[0]
    path = re.sub(r"/calendar/[^/]+\.ics$", "/calendar/*.ics", path)
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path)


def test_the_matrix_covers_every_events_route(app):
    routes = {(method, _shape(rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(PREFIXES)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(key.split(" ", 1)[0], _shape(key.split(" ", 1)[1])) for key in matrix.CASES}
    assert routes - covered == set(), "routes missing from tests/events/matrix.py"
    assert covered - routes == set(), "matrix rows that match no route"


def test_the_matrix_names_the_right_endpoints(app, world):
    values = matrix.ids(world)
    adapter = app.url_map.bind("localhost")
    for key, endpoint in matrix.ENDPOINTS.items():
        method, path = matrix.resolve(key, values)
        assert adapter.match(path.split("?")[0], method=method)[0] == endpoint, key
    assert set(matrix.ENDPOINTS) == set(matrix.CASES)
    assert set(matrix.ROWS) == set(matrix.ENDPOINTS.values())
    assert all(set(row) == set(matrix.ROLES) for row in matrix.CASES.values())
    events_endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                        if rule.rule.startswith(PREFIXES)}
    assert events_endpoints == set(matrix.ROWS), "every events endpoint has a row"


@pytest.mark.parametrize(("key", "role", "expected"), CASES,
                         ids=[f"{k}-{r}" for k, r, _ in CASES])
def test_route_by_role(app, world, key, role, expected):
    values = matrix.ids(world)
    method, path = matrix.resolve(key, values)
    if path.startswith("/api/"):
        headers = _api_headers(app, world, role)
        response = app.test_client().open(path, method=method, headers=headers,
                                          json=matrix.body(key, values)
                                          if method in ("POST", "PATCH") else None)
    else:
        client = _html_client(app, world, role)
        token_page = "/login" if role in ("anonymous", "deactivated") else "/accessibility"
        data = {"csrf_token": csrf_token(client, token_page)} if method == "POST" else None
        response = client.open(path, method=method, data=data)
    assert response.status_code == expected, (
        f"{key} as {role}: {response.status_code}\n{response.get_data(as_text=True)[:800]}")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


def test_the_sql_visibility_rule_agrees_with_the_predicate(world, db):
    from cop.events.models import Event
    from cop.events.permissions import can_view_event, visible_condition
    from cop.events.services import invite
    from tests.events.conftest import make_event

    make_event(world["coach"], title="Everyone")
    make_event(world["coach"], title="Staff", audience="staff")
    make_event(world["coach"], title="Alpha", audience="coalitions",
               coalition_ids=[world["alpha"].id])
    make_event(world["coach"], title="Beta", audience="coalitions",
               coalition_ids=[world["beta"].id])
    spoken = make_event(world["coach"], title="Staff, expert speaks", audience="staff",
                        speaker_ids=[world["expert"].id])
    invited = make_event(world["coach"], title="Staff, guest invited", audience="staff")
    invite(world["coach"], invited, world["guest"].email)
    hosted = make_event(world["other_coach"], title="Other coach's", audience="staff")
    events = db.session.execute(sa.select(Event)).scalars().all()
    for role in matrix.ROLES[:-1]:
        user = world[role]
        by_sql = set(db.session.execute(
            sa.select(Event.id).where(visible_condition(user))).scalars())
        by_rule = {e.id for e in events if can_view_event(user, e)}
        assert by_sql == by_rule, role
    expert = set(db.session.execute(sa.select(Event.title).where(
        visible_condition(world["expert"]))).scalars())
    assert expert == {"Everyone", "Staff, expert speaks"}
    guest = set(db.session.execute(sa.select(Event.title).where(
        visible_condition(world["guest"]))).scalars())
    assert guest == {"Staff, guest invited"}
    assert spoken.id and hosted.id
