"""Every coaching route for every role of the world fixture (tests/coaching/matrix.py)."""

from __future__ import annotations

import re

import pytest

from tests.coaching import matrix
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

CASES = [(key, role, status) for key, row in matrix.CASES.items() for role, status in row.items()]


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
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path.split("?")[0])


def test_the_matrix_covers_every_coaching_route(app):
    routes = {(method, _shape(rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/coaching", "/api/v1/coaching"))
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(key.split(" ", 1)[0], _shape(key.split(" ", 1)[1])) for key in matrix.CASES}
    assert routes - covered == set(), "routes missing from tests/coaching/matrix.py"
    assert covered - routes == set(), "matrix rows that match no route"


def test_the_matrix_names_the_right_endpoints(app, world):
    values = matrix.ids(world)
    adapter = app.url_map.bind("localhost")
    for key, endpoint in matrix.ENDPOINTS.items():
        method, path = matrix.resolve(key, values)
        assert adapter.match(path.split("?")[0], method=method)[0] == endpoint, key
    assert set(matrix.ENDPOINTS) == set(matrix.CASES)
    assert set(matrix.ROWS) == {e for e in matrix.ENDPOINTS.values()}
    assert all(set(row) == set(matrix.ROLES) for row in matrix.ROWS.values())


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
