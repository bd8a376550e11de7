"""Every Socket.IO event of every namespace, for every role: one table, walked through
Flask-SocketIO's test client (the app's real handlers, session cookies and API tokens).

The events come from the python-socketio server itself (its namespace handlers' `on_*`
methods and any decorator handlers), so an event added without a row here fails
`test_every_socket_event_has_a_row`. Roles are those of the route matrix plus
"other_lead" (lead of beta) and "revoked_token" (a token of `member`, revoked before
connecting). A refusal must come back in the ack and leave the socket connected.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests import factories
from tests.chat.conftest import _user_per_request, fresh_user  # noqa: F401 - fixture
from tests.conftest import login
from tests.test_permission_matrix import ROLES as BASE_ROLES

ROLES = [*BASE_ROLES, "other_lead", "revoked_token"]
REFUSED = {"anonymous", "deactivated", "revoked_token"}  # never connect
ALPHA = {"admin", "coach", "lead", "member"}  # alpha's room: its members, its coach, admins
OK = "ok"


def _expect(ok_roles, refusal: str = "not_found", **overrides) -> dict[str, str | None]:
    """ok for `ok_roles`, the error code `refusal` for the other connected roles, None for
    the roles that cannot connect."""
    row = {r: (None if r in REFUSED else OK if r in ok_roles else refusal) for r in ROLES}
    row.update(overrides)
    return row


ALL = set(ROLES) - REFUSED

# namespace -> event -> (payload builder, {role: "ok" | error code | None}).
# Payloads aim at alpha's coalition room; "connect" rows say who may connect at all.
TABLE: dict[str, dict[str, tuple]] = {
    "/": {
        "connect": (None, _expect(ALL)),
        "ping": (lambda ctx: None, _expect(ALL)),
    },
    "/chat": {
        "connect": (None, _expect(ALL)),
        "disconnect": (None, _expect(ALL)),
        "join": (lambda ctx: {"room_id": ctx.room}, _expect(ALPHA)),
        # Leaving a room one is not in is a no-op, so anyone may.
        "leave": (lambda ctx: {"room_id": ctx.room}, _expect(ALL)),
        "send": (
            lambda ctx: {"room_id": ctx.room, "body": "matrix", "client_id": uuid.uuid4().hex},
            _expect(ALPHA),
        ),
        "typing": (lambda ctx: {"room_id": ctx.room}, _expect(ALPHA)),
        "read": (lambda ctx: {"room_id": ctx.room, "seq": 0}, _expect(ALPHA)),
        "presence": (lambda ctx: {"room_id": ctx.room}, _expect(ALPHA)),
        # member's own message: only member edits it; the others of alpha may see it.
        "edit": (
            lambda ctx: {"message_id": ctx.message(), "body": "edited"},
            _expect({"member"}, admin="forbidden", coach="forbidden", lead="forbidden"),
        ),
        # Moderators (alpha's coach, admins) and the author delete; the lead may not.
        "delete": (
            lambda ctx: {"message_id": ctx.message()},
            _expect({"admin", "coach", "member"}, lead="forbidden"),
        ),
        "mute": (
            lambda ctx: {"room_id": ctx.room, "user_id": ctx.new_member(), "minutes": 5},
            _expect({"admin", "coach"}, lead="forbidden", member="forbidden"),
        ),
        "unmute": (
            lambda ctx: {"room_id": ctx.room, "user_id": ctx.new_member()},
            _expect({"admin", "coach"}, lead="forbidden", member="forbidden"),
        ),
    },
}


def registered_events() -> dict[str, set[str]]:
    """namespace -> events, from the python-socketio server this app runs."""
    from cop.extensions import socketio

    server = socketio.server
    found: dict[str, set[str]] = {}
    for namespace, handler in server.namespace_handlers.items():
        found.setdefault(namespace, set()).update(
            name[3:]
            for name in dir(handler)
            if name.startswith("on_") and callable(getattr(handler, name))
        )
        # A namespace that routes events itself (chat's allowlist) must agree with on_*.
        declared = getattr(handler, "EVENTS", None)
        if declared is not None:
            assert set(declared) == found[namespace], (namespace, declared)
    for namespace, handlers in server.handlers.items():
        found.setdefault(namespace, set()).update(handlers)
    return found


def test_every_socket_event_has_a_row(app):
    registered = registered_events()
    have = {ns: set(events) for ns, events in TABLE.items()}
    missing = {
        ns: sorted(ev - have.get(ns, set()))
        for ns, ev in registered.items()
        if ev - have.get(ns, set())
    }
    stale = {
        ns: sorted(ev - registered.get(ns, set()))
        for ns, ev in have.items()
        if ev - registered.get(ns, set())
    }
    assert not missing, f"Socket.IO events with no row in {__name__}.TABLE: {missing}"
    assert not stale, f"rows for events the server does not have: {stale}"
    for events in TABLE.values():
        for _, expect in events.values():
            assert set(expect) == set(ROLES)


class Ctx:
    def __init__(self, world, room: int):
        self.world, self.room = world, room

    def message(self) -> int:
        from flask import current_app

        from cop.chat import services

        saved = current_app.config["CHAT_SEND_RATE"]
        current_app.config["CHAT_SEND_RATE"] = ""
        try:
            return services.send_message(
                self.world["member"], self.room, "theirs", uuid.uuid4().hex
            ).message.id
        finally:
            current_app.config["CHAT_SEND_RATE"] = saved

    def new_member(self) -> int:
        return factories.make_user("member", coalition=self.world["alpha"]).id


@pytest.fixture
def socket_world(app, db, world):
    from cop.accounts.models import ApiToken, User
    from cop.accounts.services import create_api_token, revoke_api_token
    from cop.chat import services

    world["other_lead"] = factories.make_user(
        "member", email="lead.b@test.example.org", coalition=world["beta"], lead=True
    )
    token, raw = create_api_token(world["member"], name="to revoke")
    revoke_api_token(world["member"], db.session.get(ApiToken, token.id))
    world["revoked_token"] = raw
    services.ensure_default_rooms()
    from cop.chat.models import ChatRoom

    room = db.session.execute(
        sa.select(ChatRoom.id).where(ChatRoom.key == services.coalition_room_key(world["alpha"].id))
    ).scalar_one()

    def set_active(active: bool):
        db.session.execute(
            sa.update(User).where(User.id == world["deactivated"].id).values(active=active)
        )
        db.session.commit()

    return Ctx(world, room), set_active


def _connect(app, world, set_active, role: str, namespace: str):
    from cop.extensions import socketio

    fresh_user()
    if role == "revoked_token":
        return socketio.test_client(
            app, namespace=namespace, auth={"token": world["revoked_token"]}
        )
    flask_client = app.test_client()
    if role == "deactivated":
        set_active(True)
        login(flask_client, world[role])
        set_active(False)
    elif role != "anonymous":
        login(flask_client, world[role])
    fresh_user()
    return socketio.test_client(app, namespace=namespace, flask_test_client=flask_client)


@pytest.mark.parametrize("namespace", list(TABLE))
def test_every_event_for_every_role(app, socket_world, namespace):
    ctx, set_active = socket_world
    failures: list[str] = []
    checked = 0
    for role in ROLES:
        sc = _connect(app, ctx.world, set_active, role, namespace)
        connected = sc.is_connected(namespace)
        expected_connect = TABLE[namespace]["connect"][1][role]
        if connected != (expected_connect == OK):
            failures.append(f"{role:>13} {namespace} connect: connected={connected}")
        if not connected:
            continue
        for event, (payload, expect) in TABLE[namespace].items():
            if payload is None:  # connect, disconnect: lifecycle, not emitted
                continue
            fresh_user()
            ack = sc.emit(event, payload(ctx), namespace=namespace, callback=True)
            got = (
                OK
                if isinstance(ack, dict) and ack.get("ok")
                else (
                    (ack or {}).get("error", {}).get("code") if isinstance(ack, dict) else repr(ack)
                )
            )
            checked += 1
            if got != expect[role]:
                failures.append(
                    f"{role:>13} {namespace} {event}: expected {expect[role]}, got {got} ({ack})"
                )
            if not sc.is_connected(namespace):
                failures.append(f"{role:>13} {namespace} {event}: the refusal disconnected")
                break
        fresh_user()
        sc.disconnect(namespace=namespace)
    assert not failures, f"{len(failures)} of {checked} checks failed:\n" + "\n".join(failures)
    assert checked >= 5
