"""Every forum route for every role of the world fixture (tests/forums/matrix.py)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.forums import matrix

CASES = [(key, role, status) for key, row in matrix.CASES.items() for role, status in row.items()]


def _html_client(app, world, role):
    client = app.test_client()
    if role == "deactivated":  # the account is off: logging in fails, the client stays out
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
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path.split("?")[0])


def test_the_matrix_covers_every_forum_route(app):
    routes = {(method, _shape(rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/forums", "/api/v1/forums"))
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    # Literal segments of the cases stand for route variables too.
    covered = {(key.split(" ", 1)[0], re.sub(r"/(general|staff-room|2|helpful)(?=/|$)", "/*",
                                             _shape(key.split(" ", 1)[1])))
               for key in matrix.CASES}
    assert {r for r in routes if r not in covered} == set(), "routes missing from the matrix"


def test_the_matrix_names_the_right_endpoints(app, world):
    values = matrix.ids(world)
    adapter = app.url_map.bind("localhost")
    for key, endpoint in matrix.ENDPOINTS.items():
        method, path = matrix.resolve(key, values)
        assert adapter.match(path.split("?")[0], method=method)[0] == endpoint, key
    assert set(matrix.ENDPOINTS) == set(matrix.CASES)
    assert all(set(row) == set(matrix.ROLES) for row in matrix.CASES.values())


@pytest.mark.parametrize(("key", "role", "expected"), CASES,
                         ids=[f"{k}-{r}" for k, r, _ in CASES])
def test_route_by_role(app, world, key, role, expected):
    values = matrix.ids(world)
    method, path = matrix.resolve(key, values)
    if path.startswith("/api/"):
        headers = _api_headers(app, world, role)
        payload = matrix.body(key, values) if method in ("POST", "PATCH", "PUT") else None
        response = app.test_client().open(path, method=method, headers=headers,
                                          json=payload)
    else:
        client = _html_client(app, world, role)
        token_page = "/login" if role in ("anonymous", "deactivated") else "/accessibility"
        data = {"csrf_token": csrf_token(client, token_page)} if method == "POST" else None
        response = client.open(path, method=method, data=data)
    assert response.status_code == expected, (
        f"{key} as {role}: {response.status_code}\n{response.get_data(as_text=True)[:800]}")
    if role in ("anonymous", "deactivated") and not path.startswith("/api/"):
        assert "/login" in response.headers["Location"]
