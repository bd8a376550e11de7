"""Chat tables: rooms, their messages (gapless `seq` per room), DM members, read state, mutes.

Class names carry a `Chat` prefix so they never collide with another feature's models in
the shared SQLAlchemy registry (string relationship targets are looked up by class name).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship, selectinload

from cop.accounts.models import User
from cop.coalitions.models import Coalition
from cop.core.models import UTCDateTime, utcnow
from cop.extensions import db

CLIENT_ID_MAX = 64
ROOM_NAME_MAX = 200


class RoomKind(StrEnum):
    COALITION = "coalition"
    SECTOR = "sector"
    LOUNGE = "lounge"
    DM = "dm"
    EVENT = "event"


class ChatRoom(db.Model):
    """A room. `key` names it uniquely ("lounge", "coalition:12", "sector:broadband",
    "event:7", "dm:3-9"), so creating a room twice, even concurrently, makes one row."""

    __tablename__ = "chat_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(ROOM_NAME_MAX), nullable=False)
    coalition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), index=True
    )
    sector: Mapped[str | None] = mapped_column(sa.String(32))
    # What the room belongs to in another feature, by kind: the event id for event rooms.
    # A plain id (no foreign key) so chat does not depend on that feature's tables.
    ref_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    # Counters on the row (Discourse-style): the last message seq, the last edit/delete.
    last_seq: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    last_edit_seq: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    members: Mapped[list[ChatRoomMember]] = relationship(
        back_populates="room", cascade="all, delete-orphan"
    )
    coalition: Mapped[Coalition | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('coalition', 'sector', 'lounge', 'dm', 'event')", name="kind_valid"
        ),
        sa.CheckConstraint("last_seq >= 0 AND last_edit_seq >= 0", name="counters_valid"),
    )

    def __repr__(self) -> str:
        return f"<ChatRoom {self.id} {self.key}>"


class ChatRoomMember(db.Model):
    """Explicit members, for direct-message rooms only: the other kinds take their
    audience from the permission predicates of the rest of the app."""

    __tablename__ = "chat_room_members"

    room_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    room: Mapped[ChatRoom] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class ChatMessage(db.Model):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_rooms.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    # The sender's idempotency key: a re-send with the same key returns this row.
    client_id: Mapped[str] = mapped_column(sa.String(CLIENT_ID_MAX), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The room's last_edit_seq when this message was last edited or deleted: clients that
    # were away catch up on edits with `edited_after`.
    edit_seq: Mapped[int | None] = mapped_column(sa.Integer)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("room_id", "seq"),
        sa.UniqueConstraint("author_id", "client_id"),
        sa.Index("ix_chat_messages_room_id_edit_seq", "room_id", "edit_seq"),
        sa.CheckConstraint("seq > 0", name="seq_positive"),
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __repr__(self) -> str:
        return f"<ChatMessage {self.id} room={self.room_id} seq={self.seq}>"


class ChatReadState(db.Model):
    """How far a user has read a room: unread = room.last_seq - last_read_seq."""

    __tablename__ = "chat_read_states"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_rooms.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_seq: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ChatMute(db.Model):
    """A moderator silenced a user in a room until `until`."""

    __tablename__ = "chat_mutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_rooms.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    until: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (sa.Index("ix_chat_mutes_room_id_user_id", "room_id", "user_id"),)


class ChatAccessChange(db.Model):
    """A committed change that may have taken someone's access to a room (a membership
    removed, a token revoked, a role changed ...), written by cop/chat/access_log.py in
    the same transaction. The access watchdog re-checks its sockets only when a new row
    appears (or a credential expires), instead of querying every socket's rights twice a
    second."""

    __tablename__ = "chat_access_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, index=True
    )


# The access check of a coalition room needs its coalition: load them with the rooms in one
# more query, without the coalition's states and sectors (left lazy for pages that want them).
WITH_COALITION = selectinload(ChatRoom.coalition).options(
    lazyload(Coalition.states), lazyload(Coalition.sectors)
)
