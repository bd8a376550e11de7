"""Read-side selects for the chat pages and API: a few queries per page, keyset by seq."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cop.accounts.models import Role, User
from cop.chat.models import (
    WITH_COALITION,
    ChatMessage,
    ChatReadState,
    ChatRoom,
    ChatRoomMember,
    RoomKind,
)
from cop.chat.permissions import can_access_room, can_message_user
from cop.coalitions.permissions import unproxied
from cop.extensions import db

KIND_ORDER = {
    RoomKind.LOUNGE.value: 0,
    RoomKind.COALITION.value: 1,
    RoomKind.SECTOR.value: 2,
    RoomKind.EVENT.value: 3,
    RoomKind.DM.value: 4,
}
KIND_GROUPS = {
    RoomKind.LOUNGE.value: "Community",
    RoomKind.COALITION.value: "Coalitions",
    RoomKind.SECTOR.value: "Sectors",
    RoomKind.EVENT.value: "Live events",
    RoomKind.DM.value: "Direct messages",
}


@dataclass
class RoomRow:
    room: ChatRoom
    name: str
    last_read_seq: int

    @property
    def unread(self) -> int:
        return max(0, self.room.last_seq - self.last_read_seq)

    @property
    def group(self) -> str:
        return KIND_GROUPS.get(self.room.kind, self.room.kind)


def rooms_for(user: User) -> list[RoomRow]:
    """The rooms the user can read, with names for them and unread counts (4 queries)."""
    shared = (
        db.session.execute(
            sa.select(ChatRoom)
            .where(ChatRoom.kind != RoomKind.DM.value, ChatRoom.archived_at.is_(None))
            .options(WITH_COALITION)
        )
        .scalars()
        .all()
    )
    user = unproxied(user)
    rooms = [r for r in shared if can_access_room(user, r)]
    dms = (
        db.session.execute(
            sa.select(ChatRoom)
            .join(ChatRoomMember, ChatRoomMember.room_id == ChatRoom.id)
            .where(ChatRoom.kind == RoomKind.DM.value, ChatRoomMember.user_id == user.id)
        )
        .scalars()
        .all()
        if user.active
        else []
    )
    names = dm_names(user, dms)
    rooms += dms
    read = read_positions(user, [r.id for r in rooms])
    rows = [RoomRow(r, names.get(r.id, r.name), read.get(r.id, 0)) for r in rooms]
    rows.sort(key=lambda row: (KIND_ORDER.get(row.room.kind, 9), row.name.lower()))
    return rows


def dm_names(viewer: User, rooms: list[ChatRoom]) -> dict[int, str]:
    """Each DM room named by its other members, as the viewer sees it."""
    ids = [r.id for r in rooms if r.kind == RoomKind.DM.value]
    if not ids:
        return {}
    others: dict[int, list[str]] = {i: [] for i in ids}
    for room_id, name in db.session.execute(
        sa.select(ChatRoomMember.room_id, User.name)
        .join(User, User.id == ChatRoomMember.user_id)
        .where(ChatRoomMember.room_id.in_(ids), ChatRoomMember.user_id != viewer.id)
    ):
        others[room_id].append(name)
    return {rid: ", ".join(sorted(names)) or "Only you" for rid, names in others.items()}


def room_name_for(viewer: User, room: ChatRoom) -> str:
    return dm_names(viewer, [room]).get(room.id, room.name)


def read_positions(user: User, room_ids: list[int]) -> dict[int, int]:
    if not room_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(ChatReadState.room_id, ChatReadState.last_read_seq).where(
                ChatReadState.user_id == user.id, ChatReadState.room_id.in_(room_ids)
            )
        ).all()
    )


def last_read_seq(user: User, room: ChatRoom) -> int:
    return read_positions(user, [room.id]).get(room.id, 0)


def _messages():
    return sa.select(ChatMessage)


def messages_after(room: ChatRoom, after_seq: int, limit: int) -> list[ChatMessage]:
    """Ascending by seq, tombstones of deleted messages included (so there are no gaps)."""
    return list(
        db.session.execute(
            _messages()
            .where(ChatMessage.room_id == room.id, ChatMessage.seq > after_seq)
            .order_by(ChatMessage.seq)
            .limit(limit)
        ).scalars()
    )


def messages_before(room: ChatRoom, before_seq: int, limit: int) -> list[ChatMessage]:
    """The `limit` messages just before `before_seq`, returned ascending."""
    rows = list(
        db.session.execute(
            _messages()
            .where(ChatMessage.room_id == room.id, ChatMessage.seq < before_seq)
            .order_by(ChatMessage.seq.desc())
            .limit(limit)
        ).scalars()
    )
    rows.reverse()
    return rows


def latest_messages(room: ChatRoom, limit: int = 50) -> list[ChatMessage]:
    return messages_before(room, room.last_seq + 1, limit)


def messages_edited_after(room: ChatRoom, edit_seq: int, limit: int) -> list[ChatMessage]:
    """Messages edited or deleted after `edit_seq`, in the order of those changes."""
    return list(
        db.session.execute(
            _messages()
            .where(ChatMessage.room_id == room.id, ChatMessage.edit_seq > edit_seq)
            .order_by(ChatMessage.edit_seq)
            .limit(limit)
        ).scalars()
    )


def people(user_ids: set[int] | list[int], limit: int = 200) -> list[User]:
    ids = list(user_ids)[:limit]
    if not ids:
        return []
    return list(
        db.session.execute(sa.select(User).where(User.id.in_(ids)).order_by(User.name)).scalars()
    )


def people_to_message(viewer: User, q: str, limit: int = 30) -> list[User]:
    """Active community members matching `q` by name, organization or email."""
    q = (q or "").strip()[:100]
    stmt = sa.select(User).where(
        User.active.is_(True), User.id != viewer.id, User.role != Role.GUEST.value
    )
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.name).like(like),
                sa.func.lower(User.organization).like(like),
                sa.func.lower(User.email).like(like),
            )
        )
    users = db.session.execute(stmt.order_by(User.name).limit(limit)).scalars().all()
    viewer = unproxied(viewer)
    return [u for u in users if can_message_user(viewer, u)]
