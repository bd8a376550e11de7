"""The commitments routes x roles table, for tests/commitments/test_permissions.py and the
global route matrix (tests/test_permission_matrix.py).

- `CASES = {"METHOD /path": {role: status}}`, `ENDPOINTS = {"METHOD /path": endpoint}`,
  `ROWS = {endpoint: {role: status}}` (the first case of each endpoint).

Placeholders that `ids(world)` fills in:
  {accepted}      an accepted commitment submitted by world["lead"] (signed in)
  {pending}       a commitment sent without an account, confirmed, waiting for review
  {confirm}       the signed confirmation token of {pending}
  {edit}          the signed edit token of a commitment with changes asked for
  {report}        the signed progress-report token of {accepted}

Statuses: public pages answer everyone, with or without an account (a switched-off account
is a visitor); the signed links are the credential of their pages; 302 is the login page;
400 a POST let through to validation (only a CSRF token sent); 403 may see but not do; 404
may not know it exists. API: 401 without a (valid) bearer token.
"""

from __future__ import annotations

from tests.route_walker import ROLES  # noqa: F401 - each feature table names its roles
from tests.route_walker import row as _row


def _all(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


PUBLIC = _all(200)
ADMIN_PAGE = _row(200, 404, 404, 404, 404, 404, 404, 404, 302, 302)
OWNER_PAGE = _row(200, 403, 403, 200, 403, 403, 403, 403, 302, 302)

CASES: dict[str, dict[str, int]] = {
    "GET /commitments/": PUBLIC,
    "GET /commitments/totals": PUBLIC,
    "GET /commitments/{accepted}": PUBLIC,
    "GET /commitments/{pending}": _row(200, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "GET /commitments/new": PUBLIC,
    "POST /commitments/new": _all(400),
    "GET /commitments/thanks": PUBLIC,
    "GET /commitments/confirm/{confirm}": PUBLIC,
    "GET /commitments/edit/{edit}": PUBLIC,
    "POST /commitments/edit/{edit}": _all(400),
    "GET /commitments/progress/{report}": PUBLIC,
    "POST /commitments/progress/{report}": _all(400),
    "GET /commitments/{accepted}/progress": OWNER_PAGE,
    "POST /commitments/{accepted}/progress": OWNER_PAGE | {"admin": 400, "lead": 400},
    "GET /commitments/review": ADMIN_PAGE,
    "GET /commitments/review/{pending}": ADMIN_PAGE,
    "POST /commitments/review/{pending}": ADMIN_PAGE | {"admin": 400},
    # API: public reads need no token; a token that does not work is a 401 (cop/api).
    "GET /api/v1/commitments": PUBLIC | {"deactivated": 401},
    "GET /api/v1/commitments/totals": PUBLIC | {"deactivated": 401},
    "GET /api/v1/commitments/{accepted}": PUBLIC | {"deactivated": 401},
    "GET /api/v1/commitments/{pending}": _row(200, 404, 404, 404, 404, 404, 404, 404, 401, 404),
    "POST /api/v1/commitments": _all(201) | {"deactivated": 401, "anonymous": 401},
    "GET /api/v1/commitments/review": ADMIN_PAGE | {"deactivated": 401, "anonymous": 401},
    "POST /api/v1/commitments/{pending}/review": ADMIN_PAGE
    | {"deactivated": 401, "anonymous": 401},
    "POST /api/v1/commitments/{accepted}/progress": _row(
        201, 403, 403, 201, 403, 403, 403, 403, 401, 401
    ),
    "POST /api/v1/commitments/{accepted}/progress?with=token": _all(201) | {"deactivated": 401},
}

ENDPOINTS: dict[str, str] = {
    "GET /commitments/": "commitments.index",
    "GET /commitments/totals": "commitments.totals",
    "GET /commitments/{accepted}": "commitments.detail",
    "GET /commitments/{pending}": "commitments.detail",
    "GET /commitments/new": "commitments.new",
    "POST /commitments/new": "commitments.new",
    "GET /commitments/thanks": "commitments.thanks",
    "GET /commitments/confirm/{confirm}": "commitments.confirm",
    "GET /commitments/edit/{edit}": "commitments.edit",
    "POST /commitments/edit/{edit}": "commitments.edit",
    "GET /commitments/progress/{report}": "commitments.progress_by_link",
    "POST /commitments/progress/{report}": "commitments.progress_by_link",
    "GET /commitments/{accepted}/progress": "commitments.progress",
    "POST /commitments/{accepted}/progress": "commitments.progress",
    "GET /commitments/review": "commitments.review_queue",
    "GET /commitments/review/{pending}": "commitments.review",
    "POST /commitments/review/{pending}": "commitments.review",
    "GET /api/v1/commitments": "commitments_api.Commitments",
    "GET /api/v1/commitments/totals": "commitments_api.Totals",
    "GET /api/v1/commitments/{accepted}": "commitments_api.CommitmentItem",
    "GET /api/v1/commitments/{pending}": "commitments_api.CommitmentItem",
    "POST /api/v1/commitments": "commitments_api.Commitments",
    "GET /api/v1/commitments/review": "commitments_api.ReviewQueue",
    "POST /api/v1/commitments/{pending}/review": "commitments_api.Review",
    "POST /api/v1/commitments/{accepted}/progress": "commitments_api.Progress",
    "POST /api/v1/commitments/{accepted}/progress?with=token": "commitments_api.Progress",
}


def _submission() -> dict:
    from tests.commitments.helpers import api_body

    return api_body()


BODIES: dict[str, object] = {
    "POST /api/v1/commitments": _submission,
    "POST /api/v1/commitments/{pending}/review": {"decision": "accept"},
    "POST /api/v1/commitments/{accepted}/progress": {"trained": 7},
    "POST /api/v1/commitments/{accepted}/progress?with=token": {"token": "{report}", "trained": 7},
}


def body(key: str, values: dict[str, object]) -> dict:
    """The JSON body of a case, placeholders filled in."""
    raw = BODIES.get(key, {})
    raw = raw() if callable(raw) else raw
    return {k: v.format(**values) if isinstance(v, str) else v for k, v in raw.items()}


def ids(world) -> dict[str, object]:
    """Create what the placeholders name (through the services); return their values."""
    from cop.commitments import services
    from tests.commitments.helpers import make_input

    accepted = services.submit(world["lead"], make_input())
    services.review(world["admin"], accepted, "accept")
    pending = services.submit(None, make_input(org_name="Pending Co (test)"))
    confirm = services.make_token(pending, "confirm")
    services.confirm(confirm)
    changed = services.submit(world["member"], make_input(org_name="Changing Co (test)"))
    services.review(world["admin"], changed, "changes", "Say by when.")
    return {
        "accepted": accepted.id,
        "pending": pending.id,
        "confirm": confirm,
        "edit": services.make_token(changed, "edit"),
        "report": services.make_token(accepted, "report"),
    }


def resolve(key: str, values: dict[str, object]) -> tuple[str, str]:
    method, path = key.split(" ", 1)
    return method, path.format(**values)


ROWS: dict[str, dict[str, int]] = {}
for _key, _endpoint in ENDPOINTS.items():
    ROWS.setdefault(_endpoint, CASES[_key])
