"""Every route, every role: one table of expected statuses, walked by one test.

A route the app registers without a row here fails the test, so a new route cannot ship
without saying who may use it. Rows give concrete URLs (slugs, ids of `world`, real
invitation and reset tokens); state-changing routes are POSTed with a valid CSRF token
(or called with a bearer token under /api/v1), each request on objects made for it, so
the order of roles does not matter.

Roles are the users of `world` plus "anonymous". "deactivated" is a user whose account
was switched off after logging in: their old session cookie and API token must be worth
nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed

from cop.accounts import services as account_services
from cop.accounts.models import User
from tests import factories
from tests.conftest import CSRF_RE, login

ROLES = [
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
]
SIGNED_IN = ROLES[:8]
IGNORED_ENDPOINTS = {"static"}


# ---------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Redirect:
    """A redirect (302 or 303) whose Location starts with `to`."""

    to: str
    status: int = 303

    def __repr__(self):
        return f"{self.status}->{self.to}"


LOGIN = Redirect("/login?next=", 302)  # what login_required answers a stranger
HOME = Redirect("/", 302)
TO_LOGIN = Redirect("/login", 302)


def roles(default, **overrides) -> dict[str, Any]:
    """An expectation for every role: `default`, except the roles named."""
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: overrides.get(role, default) for role in ROLES}


def signed_in(default, **overrides) -> dict[str, Any]:
    """Pages behind login_required: strangers (and switched-off accounts) go to log in."""
    return roles(default, **{"anonymous": LOGIN, "deactivated": LOGIN, **overrides})


def api(default, **overrides) -> dict[str, Any]:
    """API routes: no (valid) bearer token is a 401."""
    return roles(default, **{"anonymous": 401, "deactivated": 401, **overrides})


def community(status=200) -> dict[str, Any]:
    """The coalition directory and pages: everyone signed in but guests."""
    return signed_in(status, guest=404)


def admin_only(status=200, stranger=LOGIN) -> dict[str, Any]:
    return roles(404, admin=status, anonymous=stranger, deactivated=stranger)


# ---------------------------------------------------------------- the table


@dataclass
class Case:
    method: str
    path: str | Callable[[Ctx, str], str]
    expect: dict[str, Any]
    data: dict | Callable[[Ctx, str], dict] | None = None
    bearer: bool = False  # authenticate with the role's API token instead of the cookie
    token: Callable[[Ctx, str], str | None] | None = None  # a bearer token made for the request
    fresh_client: bool = False  # the request changes who the client is (login, logout...)
    wrong_method: bool = False  # the route exists but not for this method

    def url(self, ctx: Ctx, role: str) -> str:
        return self.path(ctx, role) if callable(self.path) else self.path

    def body(self, ctx: Ctx, role: str) -> dict | None:
        return self.data(ctx, role) if callable(self.data) else self.data


_n = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_n)}@matrix.example.org"


@dataclass
class Ctx:
    world: dict
    tokens: dict[str, str] = field(default_factory=dict)

    def user(self, role: str) -> User:
        return self.world[role if role != "anonymous" else "member"]

    def new_member(self) -> User:
        return factories.make_user("member", coalition=self.world["alpha"])

    def new_assigned_coach(self) -> User:
        coach = factories.make_user("coach")
        factories.assign_coach(coach, self.world["alpha"])
        return coach

    def invitation_token(self) -> str:
        return account_services.invite(
            self.world["lead"],
            email=unique("invitee"),
            role="member",
            coalition=self.world["alpha"],
        )[1]

    def invitation_id(self) -> int:
        invitation, _ = account_services.invite(
            self.world["lead"],
            email=unique("revokee"),
            role="member",
            coalition=self.world["alpha"],
        )
        return invitation.id

    def reset_token(self) -> str:
        return account_services.password_reset_token(self.world["expert"])

    def new_token(self, role: str) -> tuple[int, str]:
        token, raw = account_services.create_api_token(self.user(role), name="matrix")
        return token.id, raw


NEW_PASSWORD = "a brand new password 77"  # noqa: S105


def own_credentials(ctx: Ctx, role: str) -> dict:
    if role == "anonymous":
        return {"email": "nobody@matrix.example.org", "password": "not the password"}
    return {"email": ctx.user(role).email, "password": factories.PASSWORD}


TABLE: dict[str, list[Case]] = {
    # ------------------------------------------------------------ core
    "core.home": [Case("GET", "/", signed_in(200, anonymous=TO_LOGIN, deactivated=TO_LOGIN))],
    "core.accessibility": [Case("GET", "/accessibility", signed_in(200))],
    "core.healthz": [
        Case("GET", "/healthz", roles(200)),
        Case("POST", "/healthz", roles(405), wrong_method=True),
    ],
    # ------------------------------------------------------------ accounts: sign-in
    "accounts.login": [
        Case("GET", "/login", roles(HOME, anonymous=200, deactivated=200)),
        # Own email and password; a stranger's guess and a switched-off account fail (200).
        Case(
            "POST",
            "/login",
            roles(Redirect("/"), anonymous=200, deactivated=200),
            data=own_credentials,
            fresh_client=True,
        ),
    ],
    "accounts.logout": [
        Case("POST", "/logout", signed_in(Redirect("/login")), fresh_client=True),
        Case("GET", "/logout", roles(405), wrong_method=True),
    ],
    "accounts.forgot_password": [
        Case("GET", "/password/forgot", roles(200)),
        Case(
            "POST",
            "/password/forgot",
            roles(Redirect("/login")),
            data=lambda ctx, role: {"email": ctx.user(role).email},
        ),
    ],
    "accounts.reset_password": [
        Case("GET", lambda ctx, role: f"/password/reset/{ctx.reset_token()}", roles(200)),
        Case("GET", "/password/reset/not-a-real-token", roles(404)),
        # Passwords that differ: the form comes back with its errors (400), nothing changes.
        Case(
            "POST",
            lambda ctx, role: f"/password/reset/{ctx.reset_token()}",
            roles(400),
            data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"},
        ),
    ],
    "accounts.accept_invitation": [
        Case("GET", lambda ctx, role: f"/invitations/accept/{ctx.invitation_token()}", roles(200)),
        Case("GET", "/invitations/accept/not-a-real-token", roles(404)),
        Case(
            "POST",
            lambda ctx, role: f"/invitations/accept/{ctx.invitation_token()}",
            roles(Redirect("/profile")),
            data={"name": "Invited Person", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            fresh_client=True,
        ),
    ],
    # ------------------------------------------------------------ accounts: profiles
    "accounts.edit_profile": [
        Case("GET", "/profile", signed_in(200)),
        Case(
            "POST",
            "/profile",
            signed_in(Redirect("/profile")),
            data=lambda ctx, role: {
                "name": f"{ctx.user(role).name}",
                "organization": "Org",
                "title": "",
                "bio": "",
                "timezone": "America/Chicago",
            },
        ),
    ],
    "accounts.change_password": [
        # A wrong current password: refused (400), nothing changes.
        Case(
            "POST",
            "/profile/password",
            signed_in(400),
            data={
                "pw-current_password": "not my password",
                "pw-password": NEW_PASSWORD,
                "pw-confirm": NEW_PASSWORD,
            },
        ),
        Case("GET", "/profile/password", roles(405), wrong_method=True),
    ],
    "accounts.profile": [
        Case("GET", lambda ctx, role: f"/people/{ctx.world['member'].id}", community()),
        Case("GET", lambda ctx, role: f"/people/{ctx.user(role).id}", signed_in(200)),
        # A switched-off account's profile: admins only.
        Case(
            "GET",
            lambda ctx, role: f"/people/{ctx.world['deactivated'].id}",
            signed_in(404, admin=200),
        ),
        Case("GET", "/people/987654", signed_in(404)),
    ],
    # ------------------------------------------------------------ accounts: invitations
    "accounts.new_invitation": [
        Case("GET", "/invitations/new", signed_in(404, admin=200, lead=200)),
        Case(
            "POST",
            "/invitations/new",
            signed_in(404, admin=200, lead=200),
            data=lambda ctx, role: {"email": unique("new"), "role": "member", "coalition": "alpha"},
        ),
    ],
    "accounts.invitations": [Case("GET", "/invitations", signed_in(404, admin=200, lead=200))],
    "accounts.revoke_invitation": [
        # An invitation the lead of alpha sent: the lead and admins may withdraw it.
        Case(
            "POST",
            lambda ctx, role: f"/invitations/{ctx.invitation_id()}/revoke",
            signed_in(404, admin=Redirect("/invitations"), lead=Redirect("/invitations")),
        ),
        Case("POST", "/invitations/987654/revoke", signed_in(404)),
    ],
    # ------------------------------------------------------------ accounts: administration
    "accounts.admin_users": [Case("GET", "/admin/users", admin_only())],
    "accounts.admin_user": [
        Case("GET", lambda ctx, role: f"/admin/users/{ctx.world['member'].id}", admin_only()),
        Case(
            "POST",
            lambda ctx, role: f"/admin/users/{ctx.new_member().id}",
            admin_only(Redirect("/admin/users/")),
            data={"role": "expert", "active": "y"},
        ),
    ],
    "accounts.audit_log": [Case("GET", "/admin/audit", admin_only())],
    # ------------------------------------------------------------ coalitions
    "coalitions.directory": [
        Case("GET", "/coalitions/", community()),
        Case("GET", "/coalitions/?state=TX&q=beta", community()),
    ],
    "coalitions.detail": [
        Case("GET", "/coalitions/alpha", community()),
        Case("GET", "/coalitions/beta", community()),
        Case("GET", "/coalitions/no-such-coalition", signed_in(404)),
    ],
    "coalitions.assign_coach": [
        Case(
            "POST",
            "/coalitions/alpha/coaches",
            admin_only(Redirect("/coalitions/alpha")),
            data=lambda ctx, role: {"coach_id": factories.make_user("coach").id},
        ),
        Case("GET", "/coalitions/alpha/coaches", roles(405), wrong_method=True),
    ],
    "coalitions.unassign_coach": [
        Case(
            "POST",
            lambda ctx, role: f"/coalitions/alpha/coaches/{ctx.new_assigned_coach().id}/remove",
            admin_only(Redirect("/coalitions/alpha")),
        ),
    ],
    "coalitions.toggle_lead": [
        Case(
            "POST",
            lambda ctx, role: f"/coalitions/alpha/members/{ctx.new_member().id}/lead",
            admin_only(Redirect("/coalitions/alpha")),
        ),
    ],
    "coalitions.remove_member": [
        Case(
            "POST",
            lambda ctx, role: f"/coalitions/alpha/members/{ctx.new_member().id}/remove",
            admin_only(Redirect("/coalitions/alpha")),
        ),
        # Someone who is not a member of alpha: nothing to remove, even for admins.
        Case(
            "POST",
            lambda ctx, role: f"/coalitions/alpha/members/{ctx.world['expert'].id}/remove",
            signed_in(404),
        ),
    ],
    # ------------------------------------------------------------ the API
    "api-docs.openapi_json": [Case("GET", "/api/v1/openapi.json", roles(200), bearer=True)],
    "accounts_api.Tokens": [
        Case(
            "POST",
            "/api/v1/tokens",
            roles(201, anonymous=401, deactivated=401),
            data=own_credentials,
            bearer=True,
        ),
        Case("GET", "/api/v1/tokens", api(200), bearer=True),
    ],
    "accounts_api.TokenItem": [
        Case(
            "DELETE",
            lambda ctx, role: f"/api/v1/tokens/{ctx.new_token(role)[0]}",
            api(204),
            bearer=True,
        ),
        # Someone else's token (the admin's): 404, whoever asks; admins revoke through the UI.
        Case(
            "DELETE",
            lambda ctx, role: f"/api/v1/tokens/{ctx.new_token('admin')[0]}",
            api(404, admin=204),
            bearer=True,
        ),
    ],
    "accounts_api.CurrentToken": [
        Case(
            "DELETE",
            "/api/v1/tokens/current",
            api(204),
            bearer=True,
            token=lambda ctx, role: ctx.new_token(role)[1] if role != "anonymous" else None,
        ),
    ],
    "accounts_api.Me": [
        Case("GET", "/api/v1/me", api(200), bearer=True),
        Case(
            "PATCH",
            "/api/v1/me",
            roles(405, deactivated=401),
            bearer=True,
            wrong_method=True,
            data={},
        ),
    ],
    "coalitions_api.Coalitions": [
        Case("GET", "/api/v1/coalitions", api(200, guest=404), bearer=True),
        Case("GET", "/api/v1/coalitions?state=TX", api(200, guest=404), bearer=True),
        Case("GET", "/api/v1/coalitions?state=ZZ", api(422, guest=404), bearer=True),
        Case(
            "POST",
            "/api/v1/coalitions",
            roles(405, deactivated=401),
            bearer=True,
            wrong_method=True,
            data={},
        ),
    ],
    "coalitions_api.CoalitionItem": [
        Case("GET", "/api/v1/coalitions/alpha", api(200, guest=404), bearer=True),
        Case("GET", "/api/v1/coalitions/no-such-coalition", api(404), bearer=True),
    ],
}


# ---------------------------------------------------------------- the walk


# Features that contribute rows to this table (rather than walking their own).
for _feature in ("notifications",):
    try:
        _module = __import__(f"tests.{_feature}.matrix", fromlist=["rows"])
    except ImportError:
        continue
    _rows = getattr(_module, f"{_feature[:-1]}_rows", None) or getattr(_module, "rows", None)
    if _rows is not None:
        TABLE.update(_rows(Case, Redirect, roles, signed_in, api, admin_only))


class Walker:
    def __init__(self, app, db, world):
        self.app, self.db, self.world = app, db, world
        self.ctx = Ctx(world)
        self.clients: dict[str, FlaskClient] = {}
        self._ip = itertools.count(10)

    def new_client(self, role: str) -> FlaskClient:
        client = self.app.test_client()
        if role == "deactivated":
            # Logged in while active, then switched off behind the session's back.
            self._set_active(role, True)
            login(client, self.world[role])
            self._set_active(role, False)
        elif role != "anonymous":
            login(client, self.world[role])
        # One address per client: rate limits of one role never hit another.
        n = next(self._ip)
        client.environ_base["REMOTE_ADDR"] = f"127.0.{n // 250}.{n % 250 + 1}"
        return client

    def _set_active(self, role: str, active: bool) -> None:
        self.db.session.execute(
            sa.update(User).where(User.id == self.world[role].id).values(active=active)
        )
        self.db.session.commit()

    def client(self, role: str, fresh: bool) -> FlaskClient:
        if fresh:
            return self.new_client(role)
        if role not in self.clients:
            self.clients[role] = self.new_client(role)
        return self.clients[role]

    def csrf_token(self, client: FlaskClient, role: str) -> str:
        token = getattr(client, "matrix_csrf_token", None)
        if token is None:
            page = "/profile" if role in SIGNED_IN else "/login"
            match = CSRF_RE.search(client.get(page).get_data(as_text=True))
            assert match, f"no CSRF token for {role} on {page}"
            token = client.matrix_csrf_token = match.group(1)
        return token

    def bearer(self, role: str) -> str | None:
        if role == "anonymous":
            return None
        if role not in self.ctx.tokens:
            self.ctx.tokens[role] = account_services.create_api_token(self.world[role])[1]
        return self.ctx.tokens[role]

    def request(self, case: Case, role: str):
        url = case.url(self.ctx, role)
        body = case.body(self.ctx, role)
        if case.bearer:
            client = self.app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"127.1.0.{ROLES.index(role) + 1}"
            raw = case.token(self.ctx, role) if case.token else self.bearer(role)
            headers = {"Authorization": f"Bearer {raw}"} if raw else {}
            kwargs = {"json": body} if body is not None else {}
            return url, client.open(url, method=case.method, headers=headers, **kwargs)
        client = self.client(role, case.fresh_client)
        kwargs = {}
        if case.method not in {"GET", "HEAD"}:
            kwargs["data"] = {**(body or {}), "csrf_token": self.csrf_token(client, role)}
        return url, client.open(url, method=case.method, **kwargs)


def outcome(response, expected) -> tuple[bool, str]:
    location = response.headers.get("Location", "")
    got = f"{response.status_code}" + (f"->{location}" if location else "")
    if isinstance(expected, Redirect):
        ok = response.status_code == expected.status and location.startswith(expected.to)
    else:
        ok = response.status_code == expected
    return ok, got


def problems(response, role: str) -> list[str]:
    """Missing security headers on any response; admin-only links shown to anyone else."""
    found = []
    policy = response.headers.get("Content-Security-Policy", "")
    script_src = next((d for d in policy.split(";") if d.split()[:1] == ["script-src"]), "")
    if not script_src or "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        found.append(f"script-src is {script_src.strip()!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("X-Frame-Options") != "DENY":
        found.append("no X-Frame-Options: DENY")
    if role != "admin" and response.status_code == 200 and response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        found += [
            f"shows {link}"
            for link in ('href="/admin/users"', 'href="/admin/audit"')
            if link in page
        ]
    return found


def _rule_methods(app) -> dict[str, set[str]]:
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        methods.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return methods


def feature_matrix_endpoints() -> dict[str, str]:
    """Endpoints whose rows live in a feature's own table, `tests/<feature>/matrix.py`
    (`ENDPOINTS` maps each case to its endpoint, or `ROWS` is keyed by endpoint), walked by that feature's
    test_permissions.py: endpoint -> the feature that covers it."""
    import importlib
    import importlib.util

    from cop import FEATURES

    covered: dict[str, str] = {}
    for name in FEATURES:
        if importlib.util.find_spec(f"tests.{name}") is None:
            continue
        if importlib.util.find_spec(f"tests.{name}.matrix") is None:
            continue
        module = importlib.import_module(f"tests.{name}.matrix")
        endpoints = getattr(module, "ENDPOINTS", None)
        if endpoints is None and not hasattr(module, "ROWS"):
            continue  # its rows are merged into TABLE above
        names = endpoints.values() if endpoints is not None else module.ROWS.keys()
        for endpoint in names:
            covered[endpoint] = name
    return covered


def test_every_route_for_every_role(app, db, world):
    registered = _rule_methods(app)
    for endpoint in feature_matrix_endpoints():
        registered.pop(endpoint, None)
    missing = sorted(set(registered) - set(TABLE))
    stale = sorted(set(TABLE) - set(registered))
    assert not missing, (
        f"routes with no row in the permission matrix: {missing}; add a row "
        "to TABLE in tests/test_permission_matrix.py for each"
    )
    assert not stale, f"rows for routes the app does not have: {stale}"
    uncovered = sorted(
        f"{endpoint} {method}"
        for endpoint, methods in registered.items()
        for method in methods
        if not any(c.method == method and not c.wrong_method for c in TABLE[endpoint])
    )
    assert not uncovered, f"methods no row exercises: {uncovered}"
    assert set(ROLES) - {"anonymous"} <= {k for k, v in world.items() if isinstance(v, User)}

    walker = Walker(app, db, world)
    adapter = app.url_map.bind("localhost")
    failures: list[str] = []
    checked = 0
    for endpoint, cases in TABLE.items():
        for case in cases:
            assert set(case.expect) == set(ROLES), f"{endpoint}: every role needs a value"
            for role in ROLES:
                url, response = walker.request(case, role)
                # The row's URL really is this route (so a typo cannot test another one).
                try:
                    matched, _ = adapter.match(url.split("?")[0], method=case.method)
                    assert not case.wrong_method, f"{endpoint}: {case.method} {url} is allowed"
                except MethodNotAllowed:
                    assert case.wrong_method, f"{endpoint}: {case.method} {url} not allowed"
                    matched, _ = (
                        adapter.match(url.split("?")[0], method="GET")
                        if ("GET" in registered[endpoint])
                        else (endpoint, None)
                    )
                assert matched == endpoint, f"{case.method} {url} is {matched}, not {endpoint}"
                expected = case.expect[role]
                ok, got = outcome(response, expected)
                if not ok:
                    failures.append(
                        f"{role:>12} {case.method:6} {url}: expected {expected!r}, got {got}"
                    )
                for problem in problems(response, role):
                    failures.append(f"{role:>12} {case.method:6} {url}: {problem}")
                response.close()
                checked += 1
    assert not failures, f"{len(failures)} of {checked} checks failed:\n" + "\n".join(failures)
    assert checked >= len(ROLES) * len(TABLE)
