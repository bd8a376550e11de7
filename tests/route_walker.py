"""One walker for the per-feature route x role tables (tests/<feature>/matrix.py).

A feature's matrix module provides `ROLES`, `CASES = {"METHOD /path": {role: status}}`,
`ENDPOINTS = {"METHOD /path": endpoint}`, `ids(world)`, `resolve(key, values)` and
`body(key, values)`. Its test_permissions.py walks the whole table with `walk` (one test,
every mismatch in one message) and calls `check_coverage` and `check_endpoints` from here;
`check_case` requests a single case (same rules as `walk`).
"""

from __future__ import annotations

import re

from tests.conftest import _empty_tables, build_world, csrf_token, login
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
    """Request one case as one role (in `world`, ids made afresh) and compare, by the rules
    of `walk`; returns the response. For looking at a single case; tests use `walk`."""
    response = _send(app, matrix, _World(app, matrix, world, None), key, role)
    problem = _problem(response, role, expected, other_redirects)
    assert problem is None, f"{key} as {role}: {problem}\n{_snippet(response, 800)}"
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


def succeeds(status: int) -> bool:
    """An expected status that means the request did something (a write that changes the
    world): 2xx, or 303 (done and redirected; some refusals answer 303 too, counted here)."""
    return 200 <= status < 300 or status == 303


def _snippet(response, size: int = 240) -> str:
    """What a response says, briefly: a page's title and the text of its main part (or of the
    body); JSON and text as they are."""
    text = response.get_data(as_text=True)
    if "<html" not in text.lower():
        return repr(text[:size])
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    main = re.search(r"<main\b.*?</main>", text, re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", main.group(0) if main else text).split())
    return repr(f"[{title.group(1).strip() if title else ''}] {words}"[:size])


class _World:
    """The world a walk requests against, rebuilt on demand: its placeholder values, and per
    role a signed-in client with its CSRF token and an API bearer header, made on first use
    (one login per role and world, not per case)."""

    def __init__(self, app, matrix, world):
        self.app, self.matrix = app, matrix
        self.builds = 0
        self.dirty = False
        self._start(world if world is not None else build_world())

    def _start(self, world) -> None:
        self.world = world
        self.values = self.matrix.ids(world)
        self.builds += 1
        self.dirty = False
        self._clients: dict[str, tuple] = {}
        self._headers: dict[str, dict] = {}

    def rebuild(self) -> None:
        """Empty every table and build the world and the feature's ids again (each feature's
        `ids()` seeds what it needs); the clients and tokens of the old world are gone."""
        from cop.extensions import db

        db.session.remove()
        _empty_tables(db)
        self._start(build_world())

    def clean(self) -> None:
        """A world no write has changed yet."""
        if self.dirty:
            self.rebuild()

    def client(self, role: str):
        """The role's client and the CSRF token of its session."""
        if role not in self._clients:
            client = html_client(self.app, self.world, role)
            token_page = "/login" if role in STRANGERS else "/accessibility"
            self._clients[role] = (client, csrf_token(client, token_page))
        return self._clients[role]

    def headers(self, role: str) -> dict:
        if role not in self._headers:
            self._headers[role] = api_headers(self.app, self.world, role)
        return self._headers[role]


def _send(app, matrix, state, key: str, role: str):
    """One case's request: API paths with the role's bearer header (and the case's JSON body
    for writes), HTML with the role's client (and its CSRF token for POSTs)."""
    method, path = matrix.resolve(key, state.values)
    if path.startswith("/api/"):
        return app.test_client().open(
            path,
            method=method,
            headers=state.headers(role),
            json=matrix.body(key, state.values) if method in WRITE_METHODS else None,
        )
    client, token = state.client(role)
    data = {"csrf_token": token} if method == "POST" else None
    return client.open(path, method=method, data=data)


def _problem(response, role: str, expected: int, other_redirects: bool) -> str | None:
    """What is wrong with a response (None: nothing). A 302 must lead to the login page,
    except, with `other_redirects`, for signed-in roles (the forums send readers to a post)."""
    if response.status_code != expected:
        return f"expected {expected}, got {response.status_code}"
    if response.status_code == 302 and not (other_redirects and role not in STRANGERS):
        location = response.headers.get("Location", "")
        if "/login" not in location:
            return f"302 to {location!r}, not to the login page"
    return None


def walk(app, matrix, *, world=None, other_redirects=False, check=None):
    """Request every case of `matrix` as its role; fail once, listing every mismatch.

    API paths with the role's bearer token (the deactivated: one that does not work), HTML
    with the role's signed-in client (the deactivated tried to sign in and was refused), POSTs
    with a valid CSRF token; a 302 must lead to the login page, except, with
    `other_redirects`, for signed-in roles. `check(key, role, response)` may
    return a further problem with a response (or None).

    Worlds: GETs share the first world (`world`, else a new one). A write case expected to be
    refused (4xx, or 302 to the login page) changes nothing, so those of every write row
    share one world too; each write case expected to succeed (`succeeds`) gets a freshly built
    world, since a delete or an archive changes what the next role sees. No GET of the six
    tables changes what another case sees; one that did would have to be walked as a write.
    A case that gets an unexpected status may have changed the world: the next case gets a
    new one. Returns the number of worlds built."""
    from cop.extensions import limiter

    state = _World(app, matrix, world)
    failures: list[str] = []

    def request(key: str, role: str, expected: int) -> None:
        limiter.reset()  # as at the start of a test: every case starts with no rate-limit hits
        response = _send(app, matrix, state, key, role)
        try:
            problem = _problem(response, role, expected, other_redirects)
            if problem is None and check is not None:
                problem = check(key, role, response)
            if problem is not None:
                state.dirty = True
                failures.append(f"{key} as {role}: {problem}\n    {_snippet(response)}")
        finally:
            response.close()

    def is_write(key: str) -> bool:
        return not key.startswith("GET ")

    for key, row in matrix.CASES.items():
        if not is_write(key):
            for role, expected in row.items():
                state.clean()
                request(key, role, expected)
    for key, row in matrix.CASES.items():
        if is_write(key):
            for role, expected in row.items():
                if not succeeds(expected):
                    state.clean()
                    request(key, role, expected)
    for key, row in matrix.CASES.items():
        if is_write(key):
            for role, expected in row.items():
                if succeeds(expected):
                    state.clean()
                    request(key, role, expected)
                    state.dirty = True
    cases_run = sum(len(row) for row in matrix.CASES.values())
    assert not failures, (
        f"{len(failures)} of {cases_run} cases of {matrix.__name__} differ "
        f"({state.builds} worlds):\n" + "\n".join(failures)
    )
    return state.builds
