"""Two roles the route tables do not list, walked over every row of every table (the global
TABLE, chat's `ROWS` of Cases and the `CASES` tables of the other features):

- "other_lead", the lead of another coalition (beta): whatever alpha's content a member of
  beta gets, a lead of beta gets too (being a lead gives no reach outside one's coalition).
  The few rows where a lead differs, for their *own* coalition's business, are listed in
  OTHER_LEAD.
- "revoked_token": a token of `member`, revoked. Every /api/ row answers 401 (even those
  open without a token: a credential that is presented and bad is refused; cop/api checks
  it before routing errors, so a wrong method is a 401 too), except the rows of
  REVOKED_IGNORED.

Feature tables are found the way tests/test_permission_matrix.py finds them, so a new
feature's rows are covered as soon as it has a matrix.py.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import csrf_token, login
from tests.hardening.route_tables import feature_matrices, resolve
from tests.test_permission_matrix import TABLE, Case, Walker, outcome

# Where a lead of beta does not get other_member's answer: "<endpoint> <METHOD>" (global
# table, chat) or the CASES key -> the column whose answer it gets instead, and why.
OTHER_LEAD: dict[str, str] = {
    # A lead invites people to their own coalition (the POST rows invite to alpha: 404).
    "accounts.new_invitation GET": "lead",
    "accounts.invitations GET": "lead",
    # other_member wrote {reply}; the lead of beta did not, like alpha's lead.
    "GET /forums/p/{reply}/delete": "lead",
    "POST /forums/p/{reply}/delete": "lead",
    "POST /forums/p/{reply}/react": "lead",
    "GET /forums/p/{reply}/flag": "lead",
    "POST /forums/p/{reply}/flag": "lead",
    "PATCH /api/v1/forums/posts/{reply}": "lead",
    "DELETE /api/v1/forums/posts/{reply}": "lead",
    "PUT /api/v1/forums/posts/{reply}/reactions/helpful": "lead",
    "DELETE /api/v1/forums/posts/{reply}/reactions/helpful": "lead",
    # The objects of a table are shared by its rows here: the POST row before registered
    # the lead of beta, who then cancels like the registered member.
    "DELETE /api/v1/events/{event}/registration": "member",
}

WRITE = ("POST", "PATCH", "PUT")


class ExtraWalker(Walker):
    """The global Walker, taught the two extra roles."""

    def csrf_token(self, client, role):
        token = getattr(client, "matrix_csrf_token", None)
        if token is None:
            token = client.matrix_csrf_token = csrf_token(client, "/profile")
        return token

    def request(self, case: Case, role: str):
        if role == "other_lead" and not case.bearer:
            return super().request(case, role)
        if role == "other_lead":
            raw = case.token(self.ctx, role) if case.token else self.bearer(role)
            headers, who = {"Authorization": f"Bearer {raw}"}, role
        else:  # revoked_token: the anonymous request, with the revoked token as bearer
            headers, who = self.revoked, "anonymous"
        url, body = case.url(self.ctx, who), case.body(self.ctx, who)
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"127.2.0.{len(who)}"
        kwargs = {"json": body} if body is not None else {}
        return url, client.open(url, method=case.method, headers=headers, **kwargs)


@pytest.fixture
def extra_world(app, db, world):
    from cop.accounts.models import ApiToken
    from cop.accounts.services import create_api_token, revoke_api_token

    world["other_lead"] = factories.make_user(
        "member", email="lead.b@test.example.org", coalition=world["beta"], lead=True
    )
    token, raw = create_api_token(world["member"], name="to revoke")
    revoke_api_token(world["member"], db.session.get(ApiToken, token.id))
    return world, {"Authorization": f"Bearer {raw}"}


# API rows that read no credentials at all, so a bad one changes nothing.
REVOKED_IGNORED = {"api-docs.openapi_json GET": "the OpenAPI document is public"}


def _expected(key: str, role: str, row: dict):
    if role == "revoked_token":
        return row["anonymous"] if key in REVOKED_IGNORED else 401
    _used.add(key)
    return row[OTHER_LEAD.get(key, "other_member")]


_used: set[str] = set()


def test_other_lead_and_revoked_token_on_every_route(app, db, extra_world):
    world, revoked = extra_world
    walker = ExtraWalker(app, db, world)
    walker.revoked = revoked
    failures: list[str] = []
    checked = {"other_lead": 0, "revoked_token": 0}

    def check(role, where, expected, response):
        ok, got = outcome(response, expected)
        if (
            role == "other_lead"
            and response.status_code == 302
            and "/login" in response.headers.get("Location", "")
        ):
            ok, got = False, f"{got} (sent to log in)"
        if not ok:
            failures.append(f"{role:>13} {where}: expected {expected!r}, got {got}")
        checked[role] += 1
        response.close()

    case_rows = [(endpoint, case) for endpoint, cases in TABLE.items() for case in cases]
    modules = list(feature_matrices())
    for _, kind, module in modules:
        if kind == "rows":
            case_rows += [
                (endpoint, case) for endpoint, cases in module.ROWS.items() for case in cases
            ]
    for endpoint, case in case_rows:
        for role in ("other_lead", "revoked_token"):
            if role == "revoked_token" and not case.bearer:
                continue
            url, response = walker.request(case, role)
            check(
                role,
                f"{case.method} {url}",
                _expected(f"{endpoint} {case.method}", role, case.expect),
                response,
            )

    for name, kind, module in modules:
        if kind != "cases":
            continue
        lead_client = None
        # One set of objects per table: these two roles change little (a revoked token
        # nothing), so the cases need not each have their own.
        values = module.ids(world)
        for key, row in module.CASES.items():
            method, _ = key.split(" ", 1)
            for role in ("other_lead", "revoked_token"):
                _, path = resolve(module, key, values, world)
                api = path.startswith("/api/")
                if role == "revoked_token" and not api:
                    continue
                if api:
                    headers = revoked if role == "revoked_token" else walker_token(app, world)
                    body = module.body(key, values) if method in WRITE else None
                    response = app.test_client().open(
                        path, method=method, headers=headers, json=body
                    )
                else:
                    if lead_client is None:
                        lead_client = app.test_client()
                        login(lead_client, world["other_lead"])
                    data = (
                        {"csrf_token": csrf_token(lead_client, "/accessibility")}
                        if method == "POST"
                        else None
                    )
                    response = lead_client.open(path, method=method, data=data)
                check(role, f"[{name}] {method} {path}", _expected(key, role, row), response)
    if any("revoked_token" in f for f in failures):
        failures.append(
            "(a revoked token must get 401 on every /api/ route, public reads included, as "
            "the guard in cop/api does; or list a row in REVOKED_IGNORED "
            "with the reason it reads no credentials)"
        )
    assert not failures, f"{len(failures)} of {sum(checked.values())} checks failed:\n" + "\n".join(
        failures
    )
    assert set(OTHER_LEAD) <= _used, f"stale OTHER_LEAD rows: {set(OTHER_LEAD) - _used}"
    assert checked["other_lead"] > 100 and checked["revoked_token"] > 30, checked


_tokens: dict[int, str] = {}


def walker_token(app, world) -> dict:
    from cop.accounts.services import create_api_token

    user = world["other_lead"]
    if user.id not in _tokens:
        _tokens.clear()
        _tokens[user.id] = create_api_token(user, name="matrix")[1]
    return {"Authorization": f"Bearer {_tokens[user.id]}"}
