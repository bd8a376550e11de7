"""The /chat Socket.IO namespace: thin handlers that parse, call one service, and ack.

Protocol: docs/chat-protocol.md. Every event re-checks the caller (the login session or
API token still valid) and their access to the room: the session seen by handlers is a
snapshot from connect time. Refusals come back in the ack as
{"ok": false, "error": {"code", "message"}} and never disconnect the client.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, join_room
from sqlalchemy.exc import OperationalError

from cop.accounts.models import ApiToken, User
from cop.chat import events, queries, services
from cop.chat.connections import (
    Connection,
    chat_state,
    enter_room,
    exit_room,
    forget,
    present_user_ids,
)
from cop.chat.permissions import can_moderate_room, can_post_in_room
from cop.chat.schemas import socket_payload
from cop.core.errors import ServiceError
from cop.core.models import utcnow
from cop.core.sockets import socket_user
from cop.extensions import db, socketio

log = logging.getLogger(__name__)
MAX_ROOMS_PER_SOCKET = 300
PRESENCE_LIST_MAX = 200


def error(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


def origin_allowed(environ: dict, allowed: list[str] | None) -> bool:
    """Same origin by default, or one of SOCKETIO_CORS_ORIGINS. Browsers always send Origin
    on a WebSocket handshake; other clients (with an API token) need not."""
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return True
    if allowed:
        return "*" in allowed or origin in allowed
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST", "")
    candidates = {f"{scheme}://{host}"}
    if environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_X_FORWARDED_PROTO"):
        fwd_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
        fwd_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
        candidates.add(f"{fwd_scheme}://{fwd_host}")
    return origin in candidates


def event_user(conn: Connection) -> User | None:
    """The connection's user if its credential is still good, for this one event."""
    if conn.session_id is not None:
        # Flask-Login reloaded the user from the connect-time cookie for this event: the
        # server-side session row must still exist (logging out deletes it).
        if (
            not current_user.is_authenticated
            or current_user.id != conn.user_id
            or current_user.current_session_id != conn.session_id
        ):
            return None
        return current_user._get_current_object()
    if conn.token_id is None:
        return None
    row = db.session.execute(
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == conn.token_id)
    ).first()
    if row is None or not row[0].is_usable(utcnow()) or row[1].id != conn.user_id:
        return None
    return row[1]


class ChatNamespace(Namespace):
    EVENTS = frozenset(
        {
            "connect",
            "disconnect",
            "join",
            "leave",
            "send",
            "edit",
            "delete",
            "typing",
            "read",
            "presence",
            "mute",
            "unmute",
        }
    )

    def trigger_event(self, event, *args):
        if event not in self.EVENTS:
            return error("unknown_event", f"There is no {str(event)[:40]!r} event in /chat.")
        return super().trigger_event(event, *args)

    # -- connection ------------------------------------------------------------------------
    def on_connect(self, auth=None):
        if not origin_allowed(request.environ, current_app.config.get("SOCKETIO_CORS_ORIGINS")):
            raise ConnectionRefusedError(
                {"code": "bad_origin", "message": "Connections from this origin are refused."}
            )
        user = socket_user(auth)
        if user is None or (user.current_session_id is None and user.current_token_id is None):
            raise ConnectionRefusedError(
                {
                    "code": "unauthorized",
                    "message": 'Log in first, or connect with auth={"token": "<API token>"}.',
                }
            )
        chat_state().add(request.sid, user)
        join_room(events.user_channel(user.id))
        if user.current_session_id is not None:
            join_room(events.login_session_channel(user.current_session_id))

    def on_disconnect(self, reason=None):
        forget(chat_state(), request.sid)

    # -- one wrapper for every event -------------------------------------------------------
    def _run(self, event: str, data, handler):
        state = chat_state()
        conn = state.get(request.sid)
        if conn is None:
            return error("unauthorized", "This connection is not signed in; connect again.")
        user = event_user(conn)
        if user is None:
            db.session.rollback()
            return error("unauthorized", "Your session ended. Log in again.")
        try:
            result = handler(user, conn, socket_payload(event, data))
            return {"ok": True, **(result or {})}
        except ServiceError as exc:
            db.session.rollback()
            return error(exc.code, exc.message)
        except OperationalError:
            db.session.rollback()
            log.exception("chat: database error in %s", event)
            return error(
                "unavailable",
                "The database is busy. Try again; re-sending with the same client_id is safe.",
            )
        except Exception:  # noqa: BLE001 - an ack, never a dropped connection
            db.session.rollback()
            log.exception("chat: error in %s", event)
            return error(
                "server_error",
                "Something went wrong. Try again; re-sending with the same client_id is safe.",
            )

    # -- events ----------------------------------------------------------------------------
    def on_join(self, data=None):
        def handle(user, conn, d):
            room = services.visible_room(user, d.get("room_id"))
            if room.id not in conn.rooms and len(conn.rooms) >= MAX_ROOMS_PER_SOCKET:
                raise ServiceError(
                    f"One connection can join at most {MAX_ROOMS_PER_SOCKET} rooms.",
                    code="too_many_rooms",
                )
            state = chat_state()
            enter_room(state, conn, room)
            present = queries.people(present_user_ids(state, room.id), PRESENCE_LIST_MAX)
            return {
                "room": events.room_payload(room, queries.room_name_for(user, room)),
                "last_seq": room.last_seq,
                "last_edit_seq": room.last_edit_seq,
                "last_read_seq": queries.last_read_seq(user, room),
                "can_post": can_post_in_room(user, room),
                "can_moderate": can_moderate_room(user, room),
                "presence": [events.person_payload(u) for u in present],
            }

        return self._run("join", data, handle)

    def on_leave(self, data=None):
        def handle(user, conn, d):
            room_id = services.check_room_id(d.get("room_id"))
            if room_id in conn.rooms:
                exit_room(chat_state(), conn, room_id)
            return {"room_id": room_id}

        return self._run("leave", data, handle)

    def on_send(self, data=None):
        def handle(user, conn, d):
            result = services.send_message(
                user, d.get("room_id"), d.get("body"), d.get("client_id")
            )
            return {"message": result.as_payload(), "duplicate": not result.created}

        return self._run("send", data, handle)

    def on_edit(self, data=None):
        def handle(user, conn, d):
            message = services.edit_message(user, d.get("message_id"), d.get("body"))
            return {"message": events.message_payload(message)}

        return self._run("edit", data, handle)

    def on_delete(self, data=None):
        def handle(user, conn, d):
            message = services.delete_message(user, d.get("message_id"))
            return {"message": events.message_payload(message)}

        return self._run("delete", data, handle)

    def on_typing(self, data=None):
        def handle(user, conn, d):
            room = services.visible_room(user, d.get("room_id"))
            state = chat_state()
            key, now = (user.id, room.id), time.monotonic()
            if now - state.typing_seen.get(key, -1e9) < current_app.config["CHAT_TYPING_INTERVAL"]:
                return {"throttled": True}
            state.typing_seen[key] = now
            if len(state.typing_seen) > 10000:
                state.typing_seen.clear()
            events.typing(room.id, user, sid=conn.sid)
            return {"throttled": False}

        return self._run("typing", data, handle)

    def on_read(self, data=None):
        def handle(user, conn, d):
            return services.mark_read(user, d.get("room_id"), d.get("seq"))

        return self._run("read", data, handle)

    def on_presence(self, data=None):
        def handle(user, conn, d):
            room = services.visible_room(user, d.get("room_id"))
            present = queries.people(present_user_ids(chat_state(), room.id), PRESENCE_LIST_MAX)
            return {"room_id": room.id, "users": [events.person_payload(u) for u in present]}

        return self._run("presence", data, handle)

    def on_mute(self, data=None):
        def handle(user, conn, d):
            mute = services.mute_user(
                user, d.get("room_id"), d.get("user_id"), d.get("minutes"), d.get("reason", "")
            )
            return {
                "room_id": mute.room_id,
                "user_id": mute.user_id,
                "until": events.iso(mute.until),
            }

        return self._run("mute", data, handle)

    def on_unmute(self, data=None):
        def handle(user, conn, d):
            services.unmute_user(user, d.get("room_id"), d.get("user_id"))
            return {"room_id": d.get("room_id"), "user_id": d.get("user_id")}

        return self._run("unmute", data, handle)


def register() -> None:
    """Register /chat once per Socket.IO server (create_app may run several times)."""
    server = socketio.server
    if server is not None:
        if events.NAMESPACE in server.namespace_handlers:
            return
    elif any(ns.namespace == events.NAMESPACE for ns in socketio.namespace_handlers):
        return
    socketio.on_namespace(ChatNamespace(events.NAMESPACE))
