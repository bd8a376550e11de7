"""Who may read, post in and moderate which room. One rule per room kind, written once.

Each kind of room takes its audience from the predicates the rest of the app uses
(coalition rooms: `can_view_coalition_private`, moderated by `can_moderate_coalition`).
Other features add or refine kinds with `register_room_kind`: the events feature, for
example, replaces the "event" rule with "open to the event's registrants" without
editing chat.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.chat.models import (
    WITH_COALITION,
    ChatMessage,
    ChatMute,
    ChatRoom,
    ChatRoomMember,
    RoomKind,
)
from cop.coalitions.models import CoachAssignment, Membership
from cop.coalitions.permissions import (
    can_moderate_coalition,
    can_view_coalition_private,
    can_view_directory,
    unproxied,
)
from cop.coalitions.permissions import is_active_user as _active
from cop.core.models import utcnow
from cop.extensions import db

AccessPredicate = Callable[[User, ChatRoom], bool]
# user ids -> {user id: a value that changes whenever the user's access to rooms of the
# kind may have changed}. Lets the access watchdog re-check only users whose access moved.
AccessFingerprint = Callable[[list[int]], dict[int, Hashable]]


@dataclass(frozen=True)
class RoomKindRules:
    key: str
    can_access: AccessPredicate
    can_moderate: AccessPredicate
    # None: rooms of this kind are re-checked on every watchdog sweep.
    access_fingerprint: AccessFingerprint | None = None


ROOM_KINDS: dict[str, RoomKindRules] = {}


def register_room_kind(
    key: str,
    *,
    can_access: AccessPredicate,
    can_moderate: AccessPredicate,
    access_fingerprint: AccessFingerprint | None = None,
    access_models: Mapping[type, Iterable[str] | None] | None = None,
    replace: bool = False,
) -> RoomKindRules:
    """Add the rules of a room kind; `replace=True` refines a kind chat registered itself
    (the events feature replaces the placeholder "event" rule).

    `access_models` names the tables `can_access` reads besides the user and the room,
    each with the columns that matter (None: all): a deleted row, or a change to one of
    those columns, wakes the access watchdog (cop/chat/access_log.py)."""
    from cop.chat import access_log

    if key not in {k.value for k in RoomKind}:
        raise ValueError(f"unknown room kind {key!r}: add it to RoomKind and the check constraint")
    if key in ROOM_KINDS and not replace:
        raise ValueError(f"room kind {key!r} is registered already (pass replace=True)")
    for model, columns in (access_models or {}).items():
        access_log.watch(model, columns)
    rules = RoomKindRules(key, can_access, can_moderate, access_fingerprint)
    ROOM_KINDS[key] = rules
    return rules


def rules_for(room: ChatRoom) -> RoomKindRules:
    return ROOM_KINDS[room.kind]


# --- the rules of each kind -------------------------------------------------------------


def _coalition_access(user: User, room: ChatRoom) -> bool:
    return room.coalition is not None and can_view_coalition_private(user, room.coalition)


def _coalition_moderate(user: User, room: ChatRoom) -> bool:
    return room.coalition is not None and can_moderate_coalition(user, room.coalition)


def _community_access(user: User, room: ChatRoom) -> bool:
    """The lounge and the sector rooms are community-wide spaces: everyone but guests."""
    return can_view_directory(user)


def _admin_only(user: User, room: ChatRoom) -> bool:
    return _active(user) and user.is_admin


def _dm_access(user: User, room: ChatRoom) -> bool:
    return _active(user) and db.session.get(ChatRoomMember, (room.id, user.id)) is not None


def _never(user: User, room: ChatRoom) -> bool:
    return False


def _coalition_fingerprint(user_ids: list[int]) -> dict[int, Hashable]:
    found: dict[int, set] = {uid: set() for uid in user_ids}
    for uid, cid in db.session.execute(
        sa.select(Membership.user_id, Membership.coalition_id).where(
            Membership.user_id.in_(user_ids)
        )
    ):
        found[uid].add(("m", cid))
    for uid, cid in db.session.execute(
        sa.select(CoachAssignment.coach_id, CoachAssignment.coalition_id).where(
            CoachAssignment.coach_id.in_(user_ids)
        )
    ):
        found[uid].add(("c", cid))
    return {uid: frozenset(v) for uid, v in found.items()}


def _no_more(user_ids: list[int]) -> dict[int, Hashable]:
    """Access depends on the user's role and status only (which the watchdog always checks)."""
    return {}


def _dm_fingerprint(user_ids: list[int]) -> dict[int, Hashable]:
    found: dict[int, set] = {uid: set() for uid in user_ids}
    for uid, rid in db.session.execute(
        sa.select(ChatRoomMember.user_id, ChatRoomMember.room_id).where(
            ChatRoomMember.user_id.in_(user_ids)
        )
    ):
        found[uid].add(rid)
    return {uid: frozenset(v) for uid, v in found.items()}


register_room_kind(
    RoomKind.COALITION,
    can_access=_coalition_access,
    can_moderate=_coalition_moderate,
    access_fingerprint=_coalition_fingerprint,
    access_models={Membership: None, CoachAssignment: None},
)
register_room_kind(
    RoomKind.SECTOR,
    can_access=_community_access,
    can_moderate=_admin_only,
    access_fingerprint=_no_more,
)
register_room_kind(
    RoomKind.LOUNGE,
    can_access=_community_access,
    can_moderate=_admin_only,
    access_fingerprint=_no_more,
)
# Direct messages are private to their members: nobody else reads or moderates them.
register_room_kind(
    RoomKind.DM,
    can_access=_dm_access,
    can_moderate=_never,
    access_fingerprint=_dm_fingerprint,
    access_models={ChatRoomMember: None},
)
# A placeholder until the events feature registers "open to the event's registrants".
register_room_kind(
    RoomKind.EVENT, can_access=_admin_only, can_moderate=_admin_only, access_fingerprint=_no_more
)


# --- predicates the views, API, sockets and templates use -------------------------------


def can_access_room(user: User | None, room: ChatRoom | None) -> bool:
    """Read the room, join it, see who is in it."""
    return _active(user) and room is not None and rules_for(room).can_access(user, room)


def can_moderate_room(user: User | None, room: ChatRoom | None) -> bool:
    return can_access_room(user, room) and rules_for(room).can_moderate(user, room)


def active_mute(user: User, room: ChatRoom) -> ChatMute | None:
    return db.session.execute(
        sa.select(ChatMute)
        .where(ChatMute.room_id == room.id, ChatMute.user_id == user.id, ChatMute.until > utcnow())
        .order_by(ChatMute.until.desc())
        .limit(1)
    ).scalar_one_or_none()


def can_post_in_room(user: User | None, room: ChatRoom | None) -> bool:
    return (
        can_access_room(user, room) and room.archived_at is None and active_mute(user, room) is None
    )


def can_edit_message(user: User | None, message: ChatMessage, room: ChatRoom) -> bool:
    return (
        can_access_room(user, room)
        and message.author_id == user.id
        and not message.is_deleted
        and room.archived_at is None
    )


def can_delete_message(user: User | None, message: ChatMessage, room: ChatRoom) -> bool:
    if message.is_deleted or not can_access_room(user, room):
        return False
    return message.author_id == user.id or can_moderate_room(user, room)


def can_message_user(user: User | None, other: User | None) -> bool:
    """Start a direct message: both active community members (guests only chat in events)."""
    return (
        _active(user)
        and other is not None
        and other.active
        and other.id != user.id
        and user.role != Role.GUEST
        and other.role != Role.GUEST
    )


def can_use_chat(user: User | None) -> bool:
    """Whether the Chat page is offered: any active user (guests see their event rooms)."""
    return _active(user)


def get_room_or_404(user: User | None, room_id: int) -> ChatRoom:
    """The room, or 404 when it does not exist or the user may not read it."""
    room = db.session.get(ChatRoom, room_id, options=[WITH_COALITION])
    if not can_access_room(user, room):
        abort(404)
    return room


def accessible(user: User, rooms: Iterable[ChatRoom]) -> list[ChatRoom]:
    user = unproxied(user)
    return [room for room in rooms if can_access_room(user, room)]


TEMPLATE_PREDICATES = {
    "can_access_room": can_access_room,
    "can_moderate_room": can_moderate_room,
    "can_post_in_room": can_post_in_room,
    "can_edit_message": can_edit_message,
    "can_delete_message": can_delete_message,
}
