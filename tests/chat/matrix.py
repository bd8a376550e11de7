"""Chat's rows of the route x role permission matrix, in the global matrix's own terms.

`ROWS = {endpoint: [Case, ...]}`; tests/chat/test_permissions.py walks them with the global
Walker (every role of `world`, CSRF tokens, bearer tokens), and the global test skips these
endpoints (tests/test_permission_matrix.py: feature_matrix_endpoints).

Who is who for chat: alpha's room is open to admin, coach (assigned to alpha), lead and
member; the lounge to everyone signed in but guests; a message is `member`'s in alpha.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tests.test_permission_matrix import LOGIN, Case, Redirect, api, community, roles, signed_in

ALPHA = ("admin", "coach", "lead", "member")


def _room(ctx, key: str) -> int:
    from cop.chat import services
    from cop.chat.models import ChatRoom
    from cop.extensions import db

    services.ensure_default_rooms()
    if key == "alpha":
        key = services.coalition_room_key(ctx.world["alpha"].id)
    return db.session.execute(sa.select(ChatRoom.id).where(ChatRoom.key == key)).scalar_one()


def _message(ctx) -> int:
    """A new message of `member` in alpha's room (rate limit off for the set-up)."""
    from flask import current_app

    from cop.chat import services

    saved = current_app.config["CHAT_SEND_RATE"]
    current_app.config["CHAT_SEND_RATE"] = ""
    try:
        return services.send_message(
            ctx.world["member"], _room(ctx, "alpha"), "matrix", uuid.uuid4().hex
        ).message.id
    finally:
        current_app.config["CHAT_SEND_RATE"] = saved


def alpha_only(allowed, denied=404, **overrides):
    return signed_in(denied, **{**{r: allowed for r in ALPHA}, **overrides})


def alpha_api(allowed, denied=404, **overrides):
    return api(denied, **{**{r: allowed for r in ALPHA}, **overrides})


def _new_body(ctx, role):
    return {"body": f"matrix {role}", "client_id": uuid.uuid4().hex}


ROOM = Redirect("/chat/rooms/")

ROWS: dict[str, list[Case]] = {
    "chat.index": [Case("GET", "/chat/", signed_in(200))],
    "chat.room": [
        Case("GET", lambda ctx, role: f"/chat/rooms/{_room(ctx, 'alpha')}", alpha_only(200)),
        Case("GET", lambda ctx, role: f"/chat/rooms/{_room(ctx, 'lounge')}", community()),
        Case("GET", "/chat/rooms/987654", signed_in(404)),
    ],
    "chat.send": [
        Case(
            "POST",
            lambda ctx, role: f"/chat/rooms/{_room(ctx, 'alpha')}/messages",
            alpha_only(ROOM),
            data=_new_body,
        ),
        Case(
            "GET",
            lambda ctx, role: f"/chat/rooms/{_room(ctx, 'alpha')}/messages",
            roles(405),
            wrong_method=True,
        ),
    ],
    "chat.delete": [
        # member deletes their own; coach and admin moderate alpha; the lead may not (403).
        Case(
            "POST",
            lambda ctx, role: f"/chat/messages/{_message(ctx)}/delete",
            alpha_only(ROOM, lead=403),
        ),
        Case("POST", "/chat/messages/987654/delete", signed_in(404)),
    ],
    "chat.direct": [
        Case("GET", "/chat/direct?q=lead", signed_in(200)),
        # A conversation with the lead: guests cannot (404), the lead alone is no one (400).
        Case(
            "POST",
            "/chat/direct",
            signed_in(ROOM, guest=404, lead=400),
            data=lambda ctx, role: {"user_ids": str(ctx.world["lead"].id)},
        ),
    ],
    "chat_api.Rooms": [Case("GET", "/api/v1/rooms", api(200), bearer=True)],
    "chat_api.RoomMessages": [
        Case(
            "GET",
            lambda ctx, role: f"/api/v1/rooms/{_room(ctx, 'alpha')}/messages?after_seq=0",
            alpha_api(200),
            bearer=True,
        ),
        Case(
            "GET",
            lambda ctx, role: f"/api/v1/rooms/{_room(ctx, 'lounge')}/messages",
            api(200, guest=404),
            bearer=True,
        ),
        Case(
            "POST",
            lambda ctx, role: f"/api/v1/rooms/{_room(ctx, 'alpha')}/messages",
            alpha_api(201),
            data=_new_body,
            bearer=True,
        ),
    ],
    "chat_api.RoomRead": [
        Case(
            "POST",
            lambda ctx, role: f"/api/v1/rooms/{_room(ctx, 'alpha')}/read",
            alpha_api(200),
            data={"seq": 0},
            bearer=True,
        ),
    ],
    "chat_api.RoomMutes": [
        Case(
            "POST",
            lambda ctx, role: f"/api/v1/rooms/{_room(ctx, 'alpha')}/mutes",
            alpha_api(201, lead=403, member=403),
            bearer=True,
            data=lambda ctx, role: {"user_id": ctx.new_member().id, "minutes": 5},
        ),
    ],
    "chat_api.RoomMute": [
        Case(
            "DELETE",
            lambda ctx, role: f"/api/v1/rooms/{_room(ctx, 'alpha')}/mutes/{ctx.world['member'].id}",
            alpha_api(204, lead=403, member=403),
            bearer=True,
        ),
    ],
    "chat_api.Message": [
        Case(
            "PATCH",
            lambda ctx, role: f"/api/v1/messages/{_message(ctx)}",
            alpha_api(403, member=200),
            data={"body": "edited"},
            bearer=True,
        ),
        Case(
            "DELETE",
            lambda ctx, role: f"/api/v1/messages/{_message(ctx)}",
            alpha_api(200, lead=403),
            bearer=True,
        ),
    ],
    "chat_api.DirectMessages": [
        Case(
            "POST",
            "/api/v1/dms",
            api(200, guest=404, lead=400),
            bearer=True,
            data=lambda ctx, role: {"user_ids": [ctx.world["lead"].id]},
        ),
    ],
}

__all__ = ["ROWS", "LOGIN"]
