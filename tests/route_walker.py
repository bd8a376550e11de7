"""One walker for the per-feature route x role tables (tests/<feature>/matrix.py).

A feature's matrix module provides `ROLES`, `CASES = {"METHOD /path": {role: status}}`,
`ENDPOINTS = {"METHOD /path": endpoint}`, `ids(world)`, `resolve(key, values)` and
`body(key, values)`. Its test_permissions.py parametrizes over `cases(matrix)` and calls
`check_case`, `check_coverage` and `check_endpoints` from here.
"""

from __future__ import annotations

import re

from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

ROLES = (
    "admin",
    "coach",
    "other_coach",
    "lead",
    "member",
    "other_member",
    "expert",
    "guest",
    "deactivated",
    "anonymous",
)
WRITE_METHODS = ("POST", "PATCH", "PUT")
STRANGERS = ("anonymous", "deactivated")


def row(*statuses: int) -> dict[str, int]:
    """The expected statuses of one case, in the order of ROLES."""
    return dict(zip(ROLES, statuses, strict=True))


def cases(matrix) -> list[tuple[str, str, int]]:
    return [
        (key, role, status) for key, row in matrix.CASES.items() for role, status in row.items()
    ]


def case_ids(matrix) -> list[str]:
    return [f"{key}-{role}" for key, role, _ in cases(matrix)]


def shape(path: str) -> str:
    """A route or a concrete path with every variable part as `*`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path.split("?")[0])


def html_client(app, world, role):
    """A test client signed in as `role` (deactivated: tried and refused; anonymous: not)."""
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


def api_headers(app, world, role) -> dict:
    """Bearer headers for `role`; a deactivated account cannot get a token."""
    if role == "anonymous":
        return {}
    response = app.test_client().post(
        "/api/v1/tokens", json={"email": world[role].email, "password": PASSWORD}
    )
    if role == "deactivated":
        assert response.status_code == 401
        return {"Authorization": "Bearer not-a-token"}
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def check_case(app, world, matrix, key, role, expected, *, other_redirects=False):
    """Request one case as one role and compare the status; returns the response.

    A 302 must lead to the login page, except, with `other_redirects`, for signed-in roles
    (the forums redirect readers to a post)."""
    values = matrix.ids(world)
    method, path = matrix.resolve(key, values)
    if path.startswith("/api/"):
        response = app.test_client().open(
            path,
            method=method,
            headers=api_headers(app, world, role),
            json=matrix.body(key, values) if method in WRITE_METHODS else None,
        )
    else:
        client = html_client(app, world, role)
        token_page = "/login" if role in ("anonymous", "deactivated") else "/accessibility"
        data = {"csrf_token": csrf_token(client, token_page)} if method == "POST" else None
        response = client.open(path, method=method, data=data)
    assert response.status_code == expected, (
        f"{key} as {role}: {response.status_code}\n{response.get_data(as_text=True)[:800]}"
    )
    if response.status_code == 302 and not (other_redirects and role not in STRANGERS):
        assert "/login" in response.headers["Location"]
    return response


def check_coverage(app, matrix, prefixes: tuple[str, ...], shape_fn=shape) -> None:
    """Every route under `prefixes` has a case, and every case matches a route."""
    routes = {
        (method, shape_fn(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefixes)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(key.split(" ", 1)[0], shape_fn(key.split(" ", 1)[1])) for key in matrix.CASES}
    assert routes - covered == set(), f"routes missing from {matrix.__name__}"
    assert covered - routes == set(), "matrix rows that match no route"


def check_endpoints(app, world, matrix) -> None:
    """Each case reaches the endpoint the matrix names, and every row has every role."""
    values = matrix.ids(world)
    adapter = app.url_map.bind("localhost")
    for key, endpoint in matrix.ENDPOINTS.items():
        method, path = matrix.resolve(key, values)
        assert adapter.match(path.split("?")[0], method=method)[0] == endpoint, key
    assert set(matrix.ENDPOINTS) == set(matrix.CASES)
    assert all(set(row) == set(matrix.ROLES) for row in matrix.CASES.values())
