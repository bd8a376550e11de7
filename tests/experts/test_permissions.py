"""Every expert directory route for every role of the world fixture (tests/experts/matrix.py).

One walk over the whole table (one login and one token per role), reporting every mismatch
at once: the table has ~300 checks and per-check tests would rebuild the world each time."""

from __future__ import annotations

import re

from tests.conftest import csrf_token, login
from tests.experts import matrix
from tests.factories import PASSWORD


def _shape(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}|/\d+(?=/|$)", "/*", path.split("?")[0]).replace("//", "/")


def test_the_matrix_covers_every_experts_route(app):
    routes = {
        (method, _shape(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/experts", "/api/v1/experts", "/api/v1/expert-"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(key.split(" ", 1)[0], _shape(key.split(" ", 1)[1])) for key in matrix.CASES}
    assert routes - covered == set(), "routes missing from tests/experts/matrix.py"
    assert covered - routes == set(), "matrix rows that match no route"
    assert set(matrix.ENDPOINTS) == set(matrix.CASES)
    assert all(set(row) == set(matrix.ROLES) for row in matrix.CASES.values())


def _html_client(app, world, role):
    client = app.test_client()
    if role == "deactivated":
        client.post(
            "/login",
            data={
                "email": world[role].email,
                "password": PASSWORD,
                "csrf_token": csrf_token(client),
            },
        )
    elif role != "anonymous":
        login(client, world[role])
    return client


def _bearer(app, world, role) -> dict:
    if role == "anonymous":
        return {}
    response = app.test_client().post(
        "/api/v1/tokens", json={"email": world[role].email, "password": PASSWORD}
    )
    if role == "deactivated":
        assert response.status_code == 401
        return {"Authorization": "Bearer not-a-token"}
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_every_experts_route_for_every_role(app, world):
    values = matrix.ids(world)
    adapter = app.url_map.bind("localhost")
    clients = {role: _html_client(app, world, role) for role in matrix.ROLES}
    tokens = {role: _bearer(app, world, role) for role in matrix.ROLES}
    csrf = {
        role: csrf_token(
            clients[role], "/login" if role in ("anonymous", "deactivated") else "/accessibility"
        )
        for role in matrix.ROLES
    }
    failures = []
    for key, row in matrix.CASES.items():
        for role, expected in row.items():
            if "{fresh}" in key:
                values["fresh"] = matrix.new_request(world)
            method, path = matrix.resolve(key, values)
            assert adapter.match(path.split("?")[0], method=method)[0] == matrix.ENDPOINTS[key]
            data = matrix.body(key, values)
            if path.startswith("/api/"):
                response = app.test_client().open(
                    path,
                    method=method,
                    headers=tokens[role],
                    json=data if method in ("POST", "PATCH", "PUT") else None,
                )
            else:
                form = {**data, "csrf_token": csrf[role]} if method == "POST" else None
                response = clients[role].open(path, method=method, data=form)
            if response.status_code != expected:
                failures.append(
                    f"{key} as {role}: expected {expected}, got "
                    f"{response.status_code} "
                    f"{response.get_data(as_text=True)[:200]!r}"
                )
            elif expected == 302:
                assert "/login" in response.headers["Location"]
    assert not failures, "\n".join(failures)
