"""Every reporting route for every role of the world fixture (tests/reporting/matrix.py)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.reporting import matrix

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


def test_the_matrix_covers_every_reporting_route(app):
    routes = {(method, _shape(rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/reporting", "/api/v1/reporting"))
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(key.split(" ", 1)[0], _shape(key.split(" ", 1)[1])) for key in matrix.CASES}
    # Literal segments (no-such-coalition, 2019Q1) stand for a placeholder of the route.
    covered = {(m, re.sub(r"/(no-such-[a-z]+|2019Q1)(?=/|$)", "/*", p)) for m, p in covered}
    assert routes - covered == set(), "routes missing from tests/reporting/matrix.py"
    assert covered - routes == set(), "matrix rows that match no route"


def test_the_matrix_names_the_right_endpoints(app, world):
    values = matrix.ids(world)
    adapter = app.url_map.bind("localhost")
    for key, endpoint in matrix.ENDPOINTS.items():
        method, path = matrix.resolve(key, values)
        assert adapter.match(path.split("?")[0], method=method)[0] == endpoint, key
    assert set(matrix.ENDPOINTS) == set(matrix.CASES)
    assert all(set(row) == set(matrix.ROLES) for row in matrix.CASES.values())


def test_the_global_matrix_leaves_reporting_to_this_table(app):
    from tests.test_permission_matrix import feature_matrix_endpoints

    covered = feature_matrix_endpoints()
    reporting = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith(("reporting.", "reporting_api."))}
    assert reporting and reporting <= {e for e, feature in covered.items()
                                       if feature == "reporting"}


@pytest.mark.parametrize(("key", "role", "expected"), CASES,
                         ids=[f"{k}-{r}" for k, r, _ in CASES])
def test_route_by_role(app, world, key, role, expected):
    values = matrix.ids(world)
    method, path = matrix.resolve(key, values)
    if path.startswith("/api/"):
        headers = _api_headers(app, world, role)
        response = app.test_client().open(path, method=method, headers=headers,
                                          json=matrix.body(key, values)
                                          if method in ("POST", "PATCH", "PUT") else None)
    else:
        client = _html_client(app, world, role)
        token_page = "/login" if role in ("anonymous", "deactivated") else "/accessibility"
        data = {"csrf_token": csrf_token(client, token_page)} if method == "POST" else None
        response = client.open(path, method=method, data=data)
    assert response.status_code == expected, (
        f"{key} as {role}: {response.status_code}\n{response.get_data(as_text=True)[:800]}")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
    if response.status_code in (403, 409) and not path.startswith("/api/"):
        assert "<h1>" in response.get_data(as_text=True)  # a page that says why
