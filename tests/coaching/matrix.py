"""The coaching routes x roles table, for tests/coaching/test_permissions.py and for the
global route matrix (tests/test_permission_matrix.py).

- `ROWS = {endpoint: {role: expected_status}}`: one row per Flask endpoint (its first case
  below), the shape the global matrix merges;
- `CASES_BY_ENDPOINT = {endpoint: [(method, path, body, {role: status}), ...]}`: every case,
  with the URL and JSON body to send;
- `CASES = {"METHOD /path": {role: status}}`: the same, keyed by request.

Mapping to the global matrix's expectations: 302 = its LOGIN redirect; 303 = a Redirect;
401 for "deactivated" on API rows = a token that no longer works (here: no token at all).

Paths carry placeholders that `resolve(path, ids)` fills in:
  {alpha}        the slug of the coalition `world["alpha"]` (coach, lead, member belong to it)
  {session}      the id of a session log of alpha
  {item}         the id of an action item of that session, owned by `world["lead"]`
  {topic}        the id of a coaching topic
  {lead_id}      the user id of world["lead"]
`ids(world)` creates the session, item and topic (through the services) and returns them.

Statuses: 200/201/204 allowed (303: done, redirected); 302 the anonymous are sent to the login page; 400 the request
was let through permission checks to validation (a POST with no body); 401 the API asks for a
token; 403 the user may see the thing but not do this; 404 the user may not know it exists.
HTML POST rows are sent with a valid CSRF token and no other fields. API rows send the JSON
body of BODIES (placeholders filled in too), or `{}`.
"""

from __future__ import annotations

from tests.route_walker import ROLES  # noqa: F401 - each feature table names its roles
from tests.route_walker import row as _row

# Who may see alpha's log: admin, coach, lead, member. Who may log for alpha: admin, coach.
SEE = _row(200, 200, 404, 200, 200, 404, 404, 404, 302, 302)
LOG = _row(200, 200, 404, 403, 403, 404, 404, 404, 302, 302)
STAFF_PAGE = _row(200, 200, 200, 403, 403, 403, 403, 403, 302, 302)
USE = _row(200, 200, 200, 200, 200, 200, 404, 404, 302, 302)

CASES: dict[str, dict[str, int]] = {
    "GET /coaching/": USE,
    "GET /coaching/action-items": USE,
    "GET /coaching/coalitions/{alpha}": SEE,
    "GET /coaching/coalitions/{alpha}?q=outreach&topic=apprenticeship": SEE,
    "GET /coaching/sessions/{session}": SEE,
    "GET /coaching/coalitions/{alpha}/sessions/new": LOG,
    "POST /coaching/coalitions/{alpha}/sessions/new": _row(
        400, 400, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    "GET /coaching/sessions/{session}/edit": LOG,
    "POST /coaching/sessions/{session}/edit": _row(
        400, 400, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    "GET /coaching/sessions/{session}/delete": LOG,
    "POST /coaching/sessions/{session}/delete": _row(
        303, 303, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    "GET /coaching/action-items/{item}/edit": LOG,
    "POST /coaching/action-items/{item}/edit": _row(
        400, 400, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    # The owner (lead) may mark their item done; a member who does not own it may not.
    "POST /coaching/action-items/{item}/status": _row(
        400, 400, 404, 400, 403, 404, 404, 404, 302, 302
    ),
    "GET /coaching/people/{lead_id}/action-items": _row(
        200, 200, 200, 200, 404, 404, 404, 404, 302, 302
    ),
    "GET /coaching/analysis": STAFF_PAGE,
    "GET /coaching/export/sessions.csv": STAFF_PAGE,
    "GET /coaching/export/summary.csv": STAFF_PAGE,
    "GET /coaching/export/sessions.csv?coalition={alpha}": _row(
        200, 200, 404, 403, 403, 403, 403, 403, 302, 302
    ),
    "GET /coaching/topics": _row(200, 404, 404, 404, 404, 404, 404, 404, 302, 302),
    "POST /coaching/topics": _row(400, 404, 404, 404, 404, 404, 404, 404, 302, 302),
    "POST /coaching/topics/{topic}": _row(400, 404, 404, 404, 404, 404, 404, 404, 302, 302),
    # API: bearer tokens; the deactivated user cannot get one (401 like the anonymous).
    "GET /api/v1/coaching/sessions": _row(200, 200, 200, 200, 200, 200, 404, 404, 401, 401),
    "GET /api/v1/coaching/sessions?coalition={alpha}": _row(
        200, 200, 404, 200, 200, 404, 404, 404, 401, 401
    ),
    "GET /api/v1/coaching/sessions/{session}": _row(
        200, 200, 404, 200, 200, 404, 404, 404, 401, 401
    ),
    "POST /api/v1/coaching/sessions": _row(201, 201, 404, 403, 403, 404, 404, 404, 401, 401),
    "PATCH /api/v1/coaching/sessions/{session}": _row(
        200, 200, 404, 403, 403, 404, 404, 404, 401, 401
    ),
    "POST /api/v1/coaching/sessions/{session}/action-items": _row(
        201, 201, 404, 403, 403, 404, 404, 404, 401, 401
    ),
    "GET /api/v1/coaching/action-items": _row(200, 200, 200, 200, 200, 200, 404, 404, 401, 401),
    "GET /api/v1/coaching/action-items/{item}": SEE | {"deactivated": 401, "anonymous": 401},
    # The owner (lead) may mark it done; another member may not.
    "PATCH /api/v1/coaching/action-items/{item}": _row(
        200, 200, 404, 200, 403, 404, 404, 404, 401, 401
    ),
    "GET /api/v1/coaching/summary": STAFF_PAGE | {"deactivated": 401, "anonymous": 401},
    "DELETE /api/v1/coaching/sessions/{session}": _row(
        204, 204, 404, 403, 403, 404, 404, 404, 401, 401
    ),
}


# The Flask endpoint of each case (checked against the URL map by test_permissions.py).
ENDPOINTS: dict[str, str] = {
    "GET /coaching/": "coaching.index",
    "GET /coaching/action-items": "coaching.my_items",
    "GET /coaching/coalitions/{alpha}": "coaching.history",
    "GET /coaching/coalitions/{alpha}?q=outreach&topic=apprenticeship": "coaching.history",
    "GET /coaching/sessions/{session}": "coaching.session_detail",
    "GET /coaching/coalitions/{alpha}/sessions/new": "coaching.new_session",
    "POST /coaching/coalitions/{alpha}/sessions/new": "coaching.new_session",
    "GET /coaching/sessions/{session}/edit": "coaching.edit_session",
    "POST /coaching/sessions/{session}/edit": "coaching.edit_session",
    "GET /coaching/sessions/{session}/delete": "coaching.delete_session",
    "POST /coaching/sessions/{session}/delete": "coaching.delete_session",
    "GET /coaching/action-items/{item}/edit": "coaching.edit_item",
    "POST /coaching/action-items/{item}/edit": "coaching.edit_item",
    "POST /coaching/action-items/{item}/status": "coaching.item_status",
    "GET /coaching/people/{lead_id}/action-items": "coaching.person_items",
    "GET /coaching/analysis": "coaching.analysis_page",
    "GET /coaching/export/sessions.csv": "coaching.export_sessions",
    "GET /coaching/export/summary.csv": "coaching.export_summary",
    "GET /coaching/export/sessions.csv?coalition={alpha}": "coaching.export_sessions",
    "GET /coaching/topics": "coaching.topics",
    "POST /coaching/topics": "coaching.topics",
    "POST /coaching/topics/{topic}": "coaching.update_topic",
    "GET /api/v1/coaching/sessions": "coaching_api.Sessions",
    "GET /api/v1/coaching/sessions?coalition={alpha}": "coaching_api.Sessions",
    "GET /api/v1/coaching/sessions/{session}": "coaching_api.SessionItem",
    "POST /api/v1/coaching/sessions": "coaching_api.Sessions",
    "PATCH /api/v1/coaching/sessions/{session}": "coaching_api.SessionItem",
    "POST /api/v1/coaching/sessions/{session}/action-items": "coaching_api.SessionActionItems",
    "GET /api/v1/coaching/action-items": "coaching_api.ActionItems",
    "GET /api/v1/coaching/action-items/{item}": "coaching_api.ActionItemResource",
    "PATCH /api/v1/coaching/action-items/{item}": "coaching_api.ActionItemResource",
    "GET /api/v1/coaching/summary": "coaching_api.Summary",
    "DELETE /api/v1/coaching/sessions/{session}": "coaching_api.SessionItem",
}

BODIES: dict[str, dict] = {
    "POST /api/v1/coaching/sessions": {
        "coalition": "{alpha}",
        "started_at": "2025-03-04T15:00:00+00:00",
        "duration_minutes": 30,
        "modality": "email",
        "summary": "Answered by email",
        "coach_ids": ["{coach_id}"],
    },
    "PATCH /api/v1/coaching/sessions/{session}": {"duration_minutes": 50},
    "POST /api/v1/coaching/sessions/{session}/action-items": {
        "description": "Book the site visit",
        "owner_id": "{lead_id}",
    },
    "PATCH /api/v1/coaching/action-items/{item}": {"status": "done"},
}


def body(key: str, values: dict[str, object]) -> dict:
    """The JSON body of a row, placeholders filled in (ids stay numbers)."""

    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return values[value[1:-1]]
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return {k: fill(v) for k, v in BODIES.get(key, {}).items()}


def ids(world) -> dict[str, object]:
    """Create what the placeholders name; return their values."""
    from datetime import timedelta

    from cop.coaching import services
    from cop.coaching.models import CoachingTopic
    from cop.core.models import utcnow
    from cop.extensions import db

    services.ensure_default_topics()
    session = services.log_session(
        world["coach"],
        world["alpha"],
        {
            "started_at": utcnow() - timedelta(days=1),
            "duration_minutes": 45,
            "modality": "phone",
            "initiated_by": "coalition",
            "coach_ids": [world["coach"].id],
            "attendee_ids": [],
            "other_attendees": "",
            "topics": ["apprenticeship"],
            "need": "",
            "summary": "Outreach",
            "outcome": "",
            "next_session_on": None,
            "private_notes": "notes",
        },
        items=[services.NewActionItem("Call the employer", world["lead"].id, None)],
    )
    topic = db.session.execute(db.select(CoachingTopic).limit(1)).scalar_one()
    return {
        "alpha": world["alpha"].slug,
        "session": session.id,
        "item": session.action_items[0].id,
        "topic": topic.id,
        "lead_id": world["lead"].id,
        "coach_id": world["coach"].id,
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
