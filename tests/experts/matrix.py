"""The expert directory routes x roles table, for tests/experts/test_permissions.py and for
the global route matrix (tests/test_permission_matrix.py, through ENDPOINTS).

Same shape as tests/coaching/matrix.py: `CASES = {"METHOD /path": {role: status}}`,
`ENDPOINTS = {case: endpoint}`, `BODIES = {case: form data or JSON}`, `ROWS` keyed by endpoint.

Placeholders (`ids(world)` makes them through the services):
  {profile}   the world expert's own profile (apprenticeship, OH and MI)
  {outside}   a profile of someone outside cop, maintained by world["coach"]
  {request}   a request from world["member"] (alpha) to {profile}, still "requested"
  {fresh}     a NEW such request for every role (for steps that change its state)
  {alpha}     the slug of alpha

Statuses: 200/201 allowed, 303 done and redirected, 302 to the login page, 400 let through to
validation (a POST with no fields), 401 the API wants a token, 403 may see but not do this,
404 may not know it exists, 409 refused by the state machine, 422 invalid for this user.
"""

from __future__ import annotations

from tests.route_walker import ROLES  # noqa: F401 - each feature table names its roles
from tests.route_walker import row as _row

COMMUNITY = _row(200, 200, 200, 200, 200, 200, 200, 404, 302, 302)
API_COMMUNITY = COMMUNITY | {"deactivated": 401, "anonymous": 401}
STAFF = _row(200, 200, 200, 404, 404, 404, 404, 404, 302, 302)
# Who sees {request}: admin, alpha's coach, the member who asked, the expert.
SEE_REQUEST = _row(200, 200, 404, 404, 200, 404, 200, 404, 302, 302)
ASK = _row(200, 200, 403, 200, 200, 200, 403, 404, 302, 302)

CASES: dict[str, dict[str, int]] = {
    "GET /experts/": COMMUNITY,
    "GET /experts/?q=registered&topic=apprenticeship&state=OH&tag=rural": COMMUNITY,
    "GET /experts/{profile}": COMMUNITY,
    "GET /experts/987654": _row(404, 404, 404, 404, 404, 404, 404, 404, 302, 302),
    "GET /experts/profile": _row(404, 404, 404, 404, 404, 404, 200, 404, 302, 302),
    "POST /experts/profile": _row(404, 404, 404, 404, 404, 404, 400, 404, 302, 302),
    "GET /experts/new": STAFF,
    "POST /experts/new": _row(400, 400, 400, 404, 404, 404, 404, 404, 302, 302),
    "GET /experts/{profile}/edit": _row(200, 403, 403, 403, 403, 403, 200, 404, 302, 302),
    "POST /experts/{profile}/edit": _row(400, 403, 403, 403, 403, 403, 400, 404, 302, 302),
    "GET /experts/{outside}/edit": _row(200, 200, 403, 403, 403, 403, 403, 404, 302, 302),
    "GET /experts/{profile}/request": ASK,
    "POST /experts/{profile}/request": _row(400, 400, 403, 400, 400, 400, 403, 404, 302, 302),
    "GET /experts/requests": COMMUNITY,
    "GET /experts/requests/{request}": SEE_REQUEST,
    # Closing a fresh request: the requester's side (the member, alpha's coach) and admins.
    "POST /experts/requests/{fresh}/state": _row(303, 303, 404, 404, 303, 404, 403, 404, 302, 302),
    # Not completed yet: the follow-up question is refused by the state machine.
    "POST /experts/requests/{request}/follow-up": _row(
        409, 409, 404, 404, 409, 404, 409, 404, 302, 302
    ),
    "GET /experts/reports": STAFF,
    "GET /experts/reports/requests.csv": STAFF,
    # API: bearer tokens; the deactivated user cannot get one (401 like the anonymous).
    "GET /api/v1/experts": API_COMMUNITY,
    "GET /api/v1/experts?topic=apprenticeship&state=OH": API_COMMUNITY,
    "GET /api/v1/experts/{profile}": API_COMMUNITY,
    "GET /api/v1/experts/me": _row(404, 404, 404, 404, 404, 404, 200, 404, 401, 401),
    "PUT /api/v1/experts/me": _row(404, 404, 404, 404, 404, 404, 200, 404, 401, 401),
    "POST /api/v1/experts/{profile}/requests": _row(
        201, 201, 403, 201, 201, 422, 403, 404, 401, 401
    ),
    "GET /api/v1/expert-requests": API_COMMUNITY,
    "GET /api/v1/expert-requests/{request}": SEE_REQUEST | {"deactivated": 401, "anonymous": 401},
    "PATCH /api/v1/expert-requests/{fresh}": _row(200, 200, 404, 404, 200, 404, 403, 404, 401, 401),
    "POST /api/v1/expert-requests/{request}/follow-up": _row(
        409, 409, 404, 404, 409, 404, 409, 404, 401, 401
    ),
}

ENDPOINTS: dict[str, str] = {
    "GET /experts/": "experts.directory",
    "GET /experts/?q=registered&topic=apprenticeship&state=OH&tag=rural": "experts.directory",
    "GET /experts/{profile}": "experts.profile",
    "GET /experts/987654": "experts.profile",
    "GET /experts/profile": "experts.edit_own",
    "POST /experts/profile": "experts.edit_own",
    "GET /experts/new": "experts.new_outside",
    "POST /experts/new": "experts.new_outside",
    "GET /experts/{profile}/edit": "experts.edit",
    "POST /experts/{profile}/edit": "experts.edit",
    "GET /experts/{outside}/edit": "experts.edit",
    "GET /experts/{profile}/request": "experts.new_request",
    "POST /experts/{profile}/request": "experts.new_request",
    "GET /experts/requests": "experts.my_requests",
    "GET /experts/requests/{request}": "experts.request_detail",
    "POST /experts/requests/{fresh}/state": "experts.change_state",
    "POST /experts/requests/{request}/follow-up": "experts.followup",
    "GET /experts/reports": "experts.reports",
    "GET /experts/reports/requests.csv": "experts.reports_csv",
    "GET /api/v1/experts": "experts_api.Experts",
    "GET /api/v1/experts?topic=apprenticeship&state=OH": "experts_api.Experts",
    "GET /api/v1/experts/{profile}": "experts_api.ExpertItem",
    "GET /api/v1/experts/me": "experts_api.OwnProfile",
    "PUT /api/v1/experts/me": "experts_api.OwnProfile",
    "POST /api/v1/experts/{profile}/requests": "experts_api.ExpertRequests",
    "GET /api/v1/expert-requests": "experts_api.MyRequests",
    "GET /api/v1/expert-requests/{request}": "experts_api.RequestItem",
    "PATCH /api/v1/expert-requests/{fresh}": "experts_api.RequestItem",
    "POST /api/v1/expert-requests/{request}/follow-up": "experts_api.FollowUp",
}

BODIES: dict[str, dict] = {
    "POST /experts/requests/{fresh}/state": {"state": "closed_without_meeting"},
    "POST /experts/requests/{request}/follow-up": {"helped": "yes"},
    "PUT /api/v1/experts/me": {"availability": "limited", "tags": ["rural"]},
    "POST /api/v1/experts/{profile}/requests": {"coalition": "{alpha}", "need": "Advice"},
    "PATCH /api/v1/expert-requests/{fresh}": {"state": "closed_without_meeting"},
    "POST /api/v1/expert-requests/{request}/follow-up": {"helped": "yes"},
}


def body(key: str, values: dict[str, object]) -> dict:
    """The body of a case, "{placeholder}" strings filled in."""

    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return values[value[1:-1]]
        return value

    return {k: fill(v) for k, v in BODIES.get(key, {}).items()}


def new_request(world) -> int:
    from cop.experts import services
    from cop.experts.permissions import own_profile

    req = services.create_request(
        world["member"],
        own_profile(world["expert"]),
        {"coalition_id": world["alpha"].id, "need": "How do we register the program?"},
    )
    return req.id


def ids(world) -> dict[str, object]:
    from tests.experts.helpers import expert_profile, outside_profile

    profile = expert_profile(world)
    outside = outside_profile(world)
    return {
        "profile": profile.id,
        "outside": outside.id,
        "request": new_request(world),
        "alpha": world["alpha"].slug,
    }


def resolve(key: str, values: dict[str, object]) -> tuple[str, str]:
    method, path = key.split(" ", 1)
    return method, path.format(**values)


CASES_BY_ENDPOINT: dict[str, list[tuple[str, str, dict, dict[str, int]]]] = {}
for _key, _expected in CASES.items():
    _method, _path = _key.split(" ", 1)
    CASES_BY_ENDPOINT.setdefault(ENDPOINTS[_key], []).append(
        (_method, _path, BODIES.get(_key, {}), _expected)
    )
ROWS: dict[str, dict[str, int]] = {
    endpoint: cases[0][3] for endpoint, cases in CASES_BY_ENDPOINT.items()
}
