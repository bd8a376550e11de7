"""Everything events needs from chat, in one small adapter (events never edits cop/chat).

Chat offers the hooks events uses (cop/chat/permissions.py, cop/chat/services.py):
- `register_room_kind("event", can_access=..., can_moderate=..., access_fingerprint=...,
  access_models=..., replace=True)`: the event room is open to the event's participants (registrants with a
  seat, the host, speakers, admins) from the time the live page opens;
- `ensure_event_room(event_id, name)`: the room (key "event:<id>", `ref_id` = event id);
- `archive_room(room)`: read-only after the event.
Pins and "questions for the speakers" are not a chat feature: events keeps them in its own
table (`ChatMark`), keyed by chat message id.

Every function degrades to "no chat" when the chat package or its tables are missing (a
database migrated before chat's migration): the live page then shows the event without a
chat room.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Hashable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from cop.core.models import utcnow
from cop.extensions import db

log = logging.getLogger(__name__)
TRANSCRIPT_MAX_MESSAGES = 5000
_available_on: set[str] = set()


def installed() -> bool:
    return importlib.util.find_spec("cop.chat") is not None


def available() -> bool:
    """Chat is installed, set up in this app, and its tables exist in this database."""
    if not installed() or "chat" not in current_app.extensions:
        return False
    url = str(db.engine.url)
    if url in _available_on:
        return True
    try:
        present = sa.inspect(db.engine).has_table("chat_rooms")
    except sa.exc.SQLAlchemyError:
        return False
    if present:  # only "yes" is remembered: the tables may be created while we run
        _available_on.add(url)
    return present


# ---------------------------------------------------------------- the room's access rules


def _event_of(room):
    from cop.events.models import Event

    return db.session.get(Event, room.ref_id) if room.ref_id is not None else None


def _can_access(user, room) -> bool:
    from cop.events.permissions import is_participant

    event = _event_of(room)
    return (
        event is not None
        and not event.is_cancelled
        and utcnow() >= event.opens_at
        and is_participant(user, event)
    )


def _can_moderate(user, room) -> bool:
    from cop.events.permissions import can_manage_event

    event = _event_of(room)
    return event is not None and can_manage_event(user, event)


def _fingerprint(user_ids: list[int]) -> dict[int, Hashable]:
    """What event-room access depends on besides role and status: seats, invitations,
    memberships (coalition audiences). The chat watchdog re-checks a user when it changes."""
    from cop.coalitions.models import Membership
    from cop.events.models import EventInvite, Registration, RegistrationStatus

    found: dict[int, set] = {uid: set() for uid in user_ids}
    for uid, eid in db.session.execute(
        sa.select(Registration.user_id, Registration.event_id).where(
            Registration.user_id.in_(user_ids),
            Registration.status == RegistrationStatus.REGISTERED.value,
        )
    ):
        found[uid].add(("r", eid))
    for uid, eid in db.session.execute(
        sa.select(EventInvite.user_id, EventInvite.event_id).where(
            EventInvite.user_id.in_(user_ids)
        )
    ):
        found[uid].add(("i", eid))
    for uid, cid in db.session.execute(
        sa.select(Membership.user_id, Membership.coalition_id).where(
            Membership.user_id.in_(user_ids)
        )
    ):
        found[uid].add(("m", cid))
    return {uid: frozenset(v) for uid, v in found.items()}


def register_room_rules() -> bool:
    """Replace chat's placeholder rule for event rooms. False when chat is not installed."""
    if not installed():
        return False
    from cop.chat.models import RoomKind
    from cop.chat.permissions import register_room_kind
    from cop.coalitions.models import Membership
    from cop.events.models import EventInvite, Registration

    register_room_kind(
        RoomKind.EVENT.value,
        can_access=_can_access,
        can_moderate=_can_moderate,
        access_fingerprint=_fingerprint,
        access_models={
            Registration: ("status", "user_id", "event_id"),
            EventInvite: None,
            Membership: None,
        },
        replace=True,
    )
    return True


# ---------------------------------------------------------------- rooms and messages


def room_key(event_id: int) -> str:
    return f"event:{event_id}"


def find_room(event) -> Any | None:
    if not available():
        return None
    from cop.chat.models import ChatRoom

    return db.session.execute(
        sa.select(ChatRoom).where(ChatRoom.key == room_key(event.id))
    ).scalar_one_or_none()


def ensure_room(event) -> Any | None:
    """The event's room, created through chat's service (which commits if it creates it)."""
    if not available():
        return None
    from cop.chat.services import ensure_event_room

    return ensure_event_room(event.id, event.title)


def room_view(user, room) -> dict[str, Any]:
    """What the live page needs to render the room as chat's own page does."""
    from cop.chat import queries
    from cop.chat.permissions import can_moderate_room, can_post_in_room

    return {
        "room": room,
        "messages": queries.latest_messages(room, 100),
        "last_read_seq": queries.last_read_seq(user, room),
        "can_post": can_post_in_room(user, room),
        "can_moderate": can_moderate_room(user, room),
        "max_body": current_app.config.get("CHAT_MAX_BODY", 4000),
        "rooms_url": _rooms_url(),
    }


def _rooms_url() -> str:
    from flask import url_for

    return url_for("chat_api.Rooms")


def message_in_room(message_id: int, room) -> bool:
    from cop.chat.models import ChatMessage

    message = db.session.get(ChatMessage, message_id)
    return message is not None and message.room_id == room.id and message.deleted_at is None


def messages_by_id(room, ids: list[int]) -> dict[int, Any]:
    if room is None or not ids:
        return {}
    from cop.chat.models import ChatMessage

    return {
        m.id: m
        for m in db.session.execute(
            sa.select(ChatMessage).where(
                ChatMessage.room_id == room.id,
                ChatMessage.id.in_(ids),
                ChatMessage.deleted_at.is_(None),
            )
        ).scalars()
    }


def authors_between(room, start: datetime, end: datetime) -> set[int]:
    """Who wrote in the room between `start` and `end` (attendance from the chat)."""
    from cop.chat.models import ChatMessage

    return set(
        db.session.execute(
            sa.select(ChatMessage.author_id)
            .where(
                ChatMessage.room_id == room.id,
                ChatMessage.created_at >= start,
                ChatMessage.created_at <= end,
            )
            .distinct()
        ).scalars()
    )


def transcript_entries(room, marks: dict[int, set[str]]) -> list[dict[str, Any]]:
    """The room's messages as a plain, read-only record (deleted messages left out)."""
    from cop.chat.models import ChatMessage

    rows = db.session.execute(
        sa.select(ChatMessage)
        .where(ChatMessage.room_id == room.id, ChatMessage.deleted_at.is_(None))
        .order_by(ChatMessage.seq)
        .limit(TRANSCRIPT_MAX_MESSAGES)
    ).scalars()
    return [
        {
            "id": m.id,
            "seq": m.seq,
            "author": m.author.name,
            "author_id": m.author_id,
            "at": m.created_at.isoformat(timespec="seconds"),
            "body": m.body,
            "html": m.body_html,
            "question": "question" in marks.get(m.id, ()),
            "pinned": "pin" in marks.get(m.id, ()),
        }
        for m in rows
    ]


def archive(room) -> None:
    """Read-only from now on (chat's service commits)."""
    if room.archived_at is None:
        from cop.chat.services import archive_room

        archive_room(room)
