"""The one module that builds chat payloads and calls `socketio.emit`.

Every function names its audience explicitly (a room's channel, one user's channel, one
socket); choosing the wrong audience is a security bug, so tests/chat/test_events.py pins
each of them. Services call these only after their transaction committed: what a client
receives is always already stored. Emitting never raises: with Redis down a broadcast is
lost (python-socketio logs it) and clients catch up from the database by seq.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cop.chat.models import ChatMessage, ChatRoom
from cop.extensions import socketio

NAMESPACE = "/chat"
log = logging.getLogger(__name__)


def room_channel(room_id: int) -> str:
    """Everyone who joined the room (after its access check) and still has access."""
    return f"chat:room:{room_id}"


def user_channel(user_id: int) -> str:
    """Every /chat socket of one user (all tabs and devices)."""
    return f"chat:user:{user_id}"


def login_session_channel(session_id: int) -> str:
    """Every /chat socket opened with one login session (its cookie), in any process."""
    return f"chat:session:{session_id}"


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


# --- payloads ---------------------------------------------------------------------------


def person_payload(user) -> dict[str, Any]:
    return {"id": user.id, "name": user.name}


def message_payload(message: ChatMessage) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "room_id": message.room_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "author": person_payload(message.author),
        "body": "" if deleted else message.body,
        "body_html": "" if deleted else message.body_html,
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "edit_seq": message.edit_seq,
    }


def room_payload(room: ChatRoom, name: str | None = None) -> dict[str, Any]:
    return {"id": room.id, "kind": room.kind, "name": name or room.name}


# --- emits ------------------------------------------------------------------------------


def _emit(event: str, data: dict[str, Any], *, to: str, skip_sid: str | None = None) -> None:
    try:
        socketio.emit(event, data, to=to, namespace=NAMESPACE, skip_sid=skip_sid)
    except Exception:  # noqa: BLE001 - the data is stored; clients catch up by seq
        log.exception("chat: could not emit %s to %s", event, to)


def message_created(payload: dict[str, Any]) -> None:
    """`payload` is message_payload(message), built by the service before its commit."""
    _emit("message", payload, to=room_channel(payload["room_id"]))


def message_updated(message: ChatMessage) -> None:
    _emit("message_updated", message_payload(message), to=room_channel(message.room_id))


def message_deleted(message: ChatMessage) -> None:
    _emit(
        "message_deleted",
        {
            "id": message.id,
            "room_id": message.room_id,
            "seq": message.seq,
            "edit_seq": message.edit_seq,
        },
        to=room_channel(message.room_id),
    )


def typing(room_id: int, user, *, sid: str) -> None:
    """To the room, but not back to the typing socket."""
    _emit(
        "typing",
        {"room_id": room_id, "user": person_payload(user)},
        to=room_channel(room_id),
        skip_sid=sid,
    )


def presence_changed(room_id: int, joined: Iterable[dict], left: Iterable[int]) -> None:
    joined, left = list(joined), list(left)
    if joined or left:
        _emit(
            "presence",
            {"room_id": room_id, "joined": joined, "left": left},
            to=room_channel(room_id),
        )


def read_state(user_id: int, room_id: int, last_read_seq: int, unread: int) -> None:
    """The user's other tabs update their unread badge."""
    _emit(
        "read",
        {"room_id": room_id, "last_read_seq": last_read_seq, "unread": unread},
        to=user_channel(user_id),
    )


def room_added(user_ids: Iterable[int], room: ChatRoom, names: dict[int, str]) -> None:
    """A new direct-message room: each member's sidebar shows it, named for them."""
    for uid in user_ids:
        _emit("room_added", room_payload(room, names.get(uid)), to=user_channel(uid))


def user_muted(user_id: int, room_id: int, until: datetime | None) -> None:
    """To the muted user only (until None: the mute was lifted)."""
    _emit("muted", {"room_id": room_id, "until": iso(until)}, to=user_channel(user_id))


def room_removed(sid: str, room_id: int) -> None:
    """To one socket that lost access to a room and was taken out of it."""
    _emit("room_removed", {"room_id": room_id, "reason": "access_lost"}, to=sid)


def session_ended(sid: str) -> None:
    """To one socket whose login session or token ended, just before it is disconnected."""
    _emit("session_ended", {"reason": "session_ended"}, to=sid)


def login_session_ended(session_id: int) -> None:
    """To every socket of a login session that just ended (logout), in every process: the
    client disconnects at once; the watchdog enforces it within CHAT_ACCESS_CHECK_SECONDS."""
    _emit("session_ended", {"reason": "logged_out"}, to=login_session_channel(session_id))
