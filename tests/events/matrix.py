"""The events routes x roles table, for tests/events/test_permissions.py and for the global
route matrix (tests/test_permission_matrix.py skips the endpoints listed in ENDPOINTS).

- `CASES = {"METHOD /path": {role: expected_status}}`: every case;
- `ENDPOINTS = {"METHOD /path": endpoint}`: the Flask endpoint each case reaches;
- `ROWS = {endpoint: {role: status}}`: the first case of each endpoint.

Placeholders, filled by `ids(world)` (a fresh set for every test, made by the services):
  {event}         hosted by world["coach"], for everyone, in two days; world["member"] has a
                  seat; it has one resource {resource} and the member's {registration}
  {staff_event}   staff only            {alpha_event}  for coalition alpha only
  {live_event}    started five minutes ago (the live page is open), for everyone; the member
                  has a seat and wrote {message} in its chat room
  {series}        a weekly series for everyone
  {token}         world["member"]'s calendar-feed token

Statuses: 200/201 allowed; 303 done (or refused with a message) and redirected; 302 the
anonymous and the deactivated are sent to log in; 400 let through the permission checks to
validation (a POST with only a CSRF token); 401 the API wants a token; 403 may see the event
but not do this; 404 may not know it exists; 409 refused by the rules (already registered,
hosts do not register). Guests see only events they are invited to: 404 everywhere else.
"""

from __future__ import annotations

from tests.route_walker import ROLES  # noqa: E402


def _html(default, **overrides) -> dict[str, int]:
    row = {role: default for role in ROLES}
    row.update({"deactivated": 302, "anonymous": 302})
    row.update(overrides)
    return row


def _api(default, **overrides) -> dict[str, int]:
    row = {role: default for role in ROLES}
    row.update({"deactivated": 401, "anonymous": 401})
    row.update(overrides)
    return row


SIGNED_IN = _html(200)
SEE = _html(200, guest=404)
MANAGE = _html(403, admin=200, coach=200, guest=404)
MANAGE_POST = _html(403, admin=303, coach=303, guest=404)
CREATE = _html(403, admin=200, coach=200, other_coach=200)
LIVE = _html(403, admin=200, coach=200, member=200, guest=404)

CASES: dict[str, dict[str, int]] = {
    "GET /events/": SIGNED_IN,
    "GET /events/?type=webinar&sector=broadband&coalition={alpha}&mine=1&when=past": SIGNED_IN,
    "GET /events/calendar": SIGNED_IN,
    "GET /events/calendar?month=2027-02&type=office_hours": SIGNED_IN,
    "GET /events/new": CREATE,
    "POST /events/new": _html(403, admin=400, coach=400, other_coach=400),
    "GET /events/{event}": SEE,
    "GET /events/{staff_event}": _html(404, admin=200, coach=200, other_coach=200),
    "GET /events/{alpha_event}": _html(
        404, admin=200, coach=200, other_coach=200, lead=200, member=200
    ),
    "GET /events/{event}/edit": MANAGE,
    "POST /events/{event}/edit": _html(403, admin=400, coach=400, guest=404),
    "GET /events/{event}/cancel": MANAGE,
    "POST /events/{event}/cancel": MANAGE_POST,
    # One click; refusals (hosts do not register, already registered) come back as a message.
    "POST /events/{event}/register": _html(303, guest=404),
    "POST /events/{staff_event}/register": _html(404, admin=303, coach=303, other_coach=303),
    "POST /events/{event}/unregister": _html(303, guest=404),
    "GET /events/{event}/registrations": MANAGE,
    "GET /events/{event}/registrations.csv": MANAGE,
    "POST /events/{event}/registrations/{registration}": _html(
        403, admin=400, coach=400, guest=404
    ),
    "POST /events/{event}/invitations": MANAGE_POST,
    "POST /events/{event}/resources": MANAGE_POST,
    "POST /events/{event}/resources/{resource}/delete": MANAGE_POST,
    "POST /events/{live_event}/chat/close": MANAGE_POST,
    "POST /events/{event}/transcript/forum": _html(403, admin=400, coach=400, guest=404),
    "GET /events/{live_event}/live": LIVE,
    "GET /events/{staff_event}/live": _html(404, admin=200, coach=200, other_coach=403),
    "GET /events/{event}.ics": SEE,
    "GET /events/series/{series}.ics": SEE,
    "GET /events/feed": SIGNED_IN,
    "POST /events/feed": _html(400),
    # The feed: no login; the secret token is the credential, whoever asks.
    "GET /calendar/{token}.ics": {role: 200 for role in ROLES},
    "GET /calendar/not-a-token.ics": {role: 404 for role in ROLES},
    # API: bearer tokens; the deactivated user cannot get one (401 like the anonymous).
    "GET /api/v1/events": _api(200),
    "GET /api/v1/events?type=webinar&start=2026-01-01T00:00:00Z&mine=true": _api(200),
    "POST /api/v1/events": _api(403, admin=201, coach=201, other_coach=201),
    "GET /api/v1/events/{event}": _api(200, guest=404),
    "GET /api/v1/events/{staff_event}": _api(404, admin=200, coach=200, other_coach=200),
    "PATCH /api/v1/events/{event}": _api(403, admin=200, coach=200, guest=404),
    "POST /api/v1/events/{event}/cancel": _api(403, admin=200, coach=200, guest=404),
    "POST /api/v1/events/{event}/registration": _api(201, coach=409, member=409, guest=404),
    "DELETE /api/v1/events/{event}/registration": _api(409, member=200, guest=404),
    "GET /api/v1/events/{event}/registrations": _api(403, admin=200, coach=200, guest=404),
    "PATCH /api/v1/events/{event}/registrations/{registration}": _api(
        403, admin=200, coach=200, guest=404
    ),
    "GET /api/v1/events/{event}/attendance": _api(403, admin=200, coach=200, guest=404),
    "GET /api/v1/events/{live_event}/chat-marks": _api(
        403, admin=200, coach=200, member=200, guest=404
    ),
    "POST /api/v1/events/{live_event}/chat-marks": _api(403, admin=200, coach=200, guest=404),
}

ENDPOINTS: dict[str, str] = {
    "GET /events/": "events.index",
    "GET /events/?type=webinar&sector=broadband&coalition={alpha}&mine=1&when=past": "events.index",
    "GET /events/calendar": "events.month",
    "GET /events/calendar?month=2027-02&type=office_hours": "events.month",
    "GET /events/new": "events.new",
    "POST /events/new": "events.new",
    "GET /events/{event}": "events.detail",
    "GET /events/{staff_event}": "events.detail",
    "GET /events/{alpha_event}": "events.detail",
    "GET /events/{event}/edit": "events.edit",
    "POST /events/{event}/edit": "events.edit",
    "GET /events/{event}/cancel": "events.cancel",
    "POST /events/{event}/cancel": "events.cancel",
    "POST /events/{event}/register": "events.register",
    "POST /events/{staff_event}/register": "events.register",
    "POST /events/{event}/unregister": "events.unregister",
    "GET /events/{event}/registrations": "events.registrations_page",
    "GET /events/{event}/registrations.csv": "events.registrations_csv",
    "POST /events/{event}/registrations/{registration}": "events.registration_action",
    "POST /events/{event}/invitations": "events.invite",
    "POST /events/{event}/resources": "events.add_resource",
    "POST /events/{event}/resources/{resource}/delete": "events.delete_resource",
    "POST /events/{live_event}/chat/close": "events.close_chat",
    "POST /events/{event}/transcript/forum": "events.transcript_to_forum",
    "GET /events/{live_event}/live": "events.live_page",
    "GET /events/{staff_event}/live": "events.live_page",
    "GET /events/{event}.ics": "events.event_ics",
    "GET /events/series/{series}.ics": "events.series_ics",
    "GET /events/feed": "events.feed",
    "POST /events/feed": "events.feed",
    "GET /calendar/{token}.ics": "event_feeds.personal_feed",
    "GET /calendar/not-a-token.ics": "event_feeds.personal_feed",
    "GET /api/v1/events": "events_api.Events",
    "GET /api/v1/events?type=webinar&start=2026-01-01T00:00:00Z&mine=true": "events_api.Events",
    "POST /api/v1/events": "events_api.Events",
    "GET /api/v1/events/{event}": "events_api.EventItem",
    "GET /api/v1/events/{staff_event}": "events_api.EventItem",
    "PATCH /api/v1/events/{event}": "events_api.EventItem",
    "POST /api/v1/events/{event}/cancel": "events_api.EventCancel",
    "POST /api/v1/events/{event}/registration": "events_api.MyRegistration",
    "DELETE /api/v1/events/{event}/registration": "events_api.MyRegistration",
    "GET /api/v1/events/{event}/registrations": "events_api.Registrations",
    "PATCH /api/v1/events/{event}/registrations/{registration}": "events_api.RegistrationItem",
    "GET /api/v1/events/{event}/attendance": "events_api.Attendance",
    "GET /api/v1/events/{live_event}/chat-marks": "events_api.ChatMarks",
    "POST /api/v1/events/{live_event}/chat-marks": "events_api.ChatMarks",
}

BODIES: dict[str, dict] = {
    "POST /api/v1/events": {
        "title": "Matrix webinar",
        "type": "webinar",
        "timezone": "America/Denver",
        "starts_at": "{future_start}",
        "ends_at": "{future_end}",
    },
    "PATCH /api/v1/events/{event}": {"location": "Hall M"},
    "POST /api/v1/events/{event}/cancel": {"reason": "Matrix"},
    "PATCH /api/v1/events/{event}/registrations/{registration}": {"action": "decline"},
    "POST /api/v1/events/{live_event}/chat-marks": {"message_id": "{message}", "kind": "pin"},
}


def body(key: str, values: dict[str, object]) -> dict:
    """The JSON body of a row, placeholders filled in (ids stay numbers)."""

    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return values[value[1:-1]]
        return value

    return {k: fill(v) for k, v in BODIES.get(key, {}).items()}


def ids(world) -> dict[str, object]:
    """Create what the placeholders name (through the services); return their values."""
    from datetime import timedelta

    from cop.core.models import utcnow
    from cop.events import chat_bridge, services
    from cop.extensions import db
    from tests.events.conftest import make_event, register

    coach, member = world["coach"], world["member"]
    event = make_event(coach, title="Matrix event")
    registration = register(member, event)
    resource = services.add_resource(
        coach, event, kind="slides", title="Slides", url="https://files.example.org/slides.pdf"
    )
    staff = make_event(coach, title="Staff event", audience="staff")
    alpha = make_event(
        coach, title="Alpha event", audience="coalitions", coalition_ids=[world["alpha"].id]
    )
    live = make_event(
        coach,
        title="Live event",
        starts_at=utcnow() + timedelta(minutes=5),
        ends_at=utcnow() + timedelta(hours=1),
    )
    register(member, live)
    live.starts_at = utcnow() - timedelta(minutes=5)  # under way
    db.session.commit()
    message = 0
    room = chat_bridge.ensure_room(live)
    if room is not None:
        from cop.chat.services import send_message

        message = send_message(member, room.id, "A matrix message", "matrix-1").message.id
    series = make_event(coach, title="Matrix series", rrule="FREQ=WEEKLY;COUNT=2")
    token = services.reset_feed_token(member)
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0, tzinfo=None)
    return {
        "event": event.id,
        "registration": registration.id,
        "resource": resource.id,
        "staff_event": staff.id,
        "alpha_event": alpha.id,
        "live_event": live.id,
        "message": message,
        "series": series.series_id,
        "token": token,
        "alpha": world["alpha"].slug,
        "future_start": start.isoformat(),
        "future_end": (start + timedelta(hours=1)).isoformat(),
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
