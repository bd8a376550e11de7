"""Chat use cases. Each takes the acting user, checks, changes, commits once, then emits.

Persist, then broadcast: a message is committed (with its room-wide `seq`) before anyone
is told about it, so whatever a client was told can be fetched again by seq.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from cop.accounts.models import User
from cop.chat import events
from cop.chat.models import (
    CLIENT_ID_MAX,
    WITH_COALITION,
    ChatMessage,
    ChatMute,
    ChatReadState,
    ChatRoom,
    ChatRoomMember,
    RoomKind,
)
from cop.chat.permissions import (
    active_mute,
    can_access_room,
    can_delete_message,
    can_edit_message,
    can_message_user,
    can_moderate_room,
)
from cop.coalitions.models import SECTOR_LABELS, Coalition, Sector
from cop.core import audit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.extensions import db, limiter

log = logging.getLogger(__name__)

CLIENT_ID_RE = re.compile(rf"^[A-Za-z0-9._:-]{{1,{CLIENT_ID_MAX}}}$")
MENTION_RE = re.compile(r"@\*\*([^*\n]{1,120}?)\*\*")
MENTION_HTML_RE = re.compile(r"@<strong>([^<]{1,600})</strong>")
MAX_MENTIONS = 20
LOUNGE_KEY = "lounge"
LOUNGE_NAME = "Community lounge"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


def _no_room() -> NotFound:
    # The same answer for "no such room" and "not yours": ids reveal nothing.
    return NotFound("No such room, or you are not in it.", code="not_found")


# --- input checks (shared by the socket and HTTP entry points) ---------------------------


def check_room_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ServiceError("room_id must be a positive integer.", code="invalid", field="room_id")
    return value


def check_message_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ServiceError(
            "message_id must be a positive integer.", code="invalid", field="message_id"
        )
    return value


def check_body(body) -> str:
    if not isinstance(body, str):
        raise ServiceError("The message body must be text.", code="invalid", field="body")
    limit = current_app.config["CHAT_MAX_BODY"]
    if len(body) > limit:
        raise ServiceError(
            f"A message can be at most {limit:,} characters; this one has {len(body):,}.",
            code="body_too_long",
            field="body",
        )
    if "\x00" in body:
        raise ServiceError("The message contains a NUL character.", code="invalid", field="body")
    body = body.strip()
    if not body:
        raise ServiceError("The message is empty.", code="body_empty", field="body")
    return body


def check_client_id(client_id) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise ServiceError(
            f"client_id is required: 1 to {CLIENT_ID_MAX} letters, digits or . _ : - "
            "(a new random id per message, e.g. a UUID).",
            code="invalid",
            field="client_id",
        )
    return client_id


# --- rooms ------------------------------------------------------------------------------


def visible_room(actor: User, room_id) -> ChatRoom:
    """The room if the actor may read it; NotFound otherwise (also for bad ids)."""
    room = db.session.get(ChatRoom, check_room_id(room_id), options=[WITH_COALITION])
    if not can_access_room(actor, room):
        raise _no_room()
    return room


def _create_rooms(specs: list[dict]) -> int:
    """Insert the rooms whose key is missing; a concurrent creator wins without error."""
    if not specs:
        return 0
    keys = [s["key"] for s in specs]
    existing = set(
        db.session.execute(sa.select(ChatRoom.key).where(ChatRoom.key.in_(keys))).scalars()
    )
    missing = [s for s in specs if s["key"] not in existing]
    if not missing:
        return 0
    for spec in missing:
        db.session.add(ChatRoom(**spec))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another process created them first
        return 0
    return len(missing)


def coalition_room_key(coalition_id: int) -> str:
    return f"coalition:{coalition_id}"


def ensure_default_rooms() -> int:
    """The lounge, one room per sector, one per coalition: create those missing. Commits."""
    specs = [{"key": LOUNGE_KEY, "kind": RoomKind.LOUNGE.value, "name": LOUNGE_NAME}]
    specs += [
        {
            "key": f"sector:{s.value}",
            "kind": RoomKind.SECTOR.value,
            "sector": s.value,
            "name": f"{SECTOR_LABELS[s]} (all coalitions)",
        }
        for s in Sector
    ]
    with_room = sa.select(ChatRoom.coalition_id).where(
        ChatRoom.kind == RoomKind.COALITION.value, ChatRoom.coalition_id.is_not(None)
    )
    for cid, name in db.session.execute(
        sa.select(Coalition.id, Coalition.name).where(Coalition.id.not_in(with_room))
    ):
        specs.append(
            {
                "key": coalition_room_key(cid),
                "kind": RoomKind.COALITION.value,
                "coalition_id": cid,
                "name": name[:200],
            }
        )
    return _create_rooms(specs)


def default_rooms_missing() -> bool:
    """One cheap query: is a coalition (or the lounge) without its room?"""
    rooms = sa.select(ChatRoom.coalition_id).where(ChatRoom.coalition_id.is_not(None))
    missing_coalition = db.session.execute(
        sa.select(Coalition.id).where(Coalition.id.not_in(rooms)).limit(1)
    ).first()
    lounge = db.session.execute(sa.select(ChatRoom.id).where(ChatRoom.key == LOUNGE_KEY)).first()
    return missing_coalition is not None or lounge is None


def ensure_event_room(event_id: int, name: str) -> ChatRoom:
    """The chat room of a live event (for the events feature). Commits if it creates it."""
    key = f"event:{event_id}"
    _create_rooms(
        [{"key": key, "kind": RoomKind.EVENT.value, "ref_id": event_id, "name": name[:200]}]
    )
    return db.session.execute(sa.select(ChatRoom).where(ChatRoom.key == key)).scalar_one()


def archive_room(room: ChatRoom) -> None:
    """Read-only from now on (e.g. an event that ended). Commits."""
    room.archived_at = room.archived_at or utcnow()
    db.session.commit()


def get_or_create_dm(actor: User, user_ids) -> ChatRoom:
    """The direct-message room of the actor and these people (1:1 or a small group)."""
    if (
        not isinstance(user_ids, list | tuple)
        or not user_ids
        or not all(isinstance(u, int) and not isinstance(u, bool) for u in user_ids)
    ):
        raise ServiceError("Choose at least one person.", code="invalid", field="user_ids")
    others_ids = sorted(set(user_ids) - {actor.id})
    limit = current_app.config["CHAT_DM_MAX_MEMBERS"]
    if not others_ids:
        raise ServiceError("Choose at least one other person.", code="invalid", field="user_ids")
    if len(others_ids) + 1 > limit:
        raise ServiceError(
            f"A direct conversation has at most {limit} people.", code="invalid", field="user_ids"
        )
    others = db.session.execute(sa.select(User).where(User.id.in_(others_ids))).scalars().all()
    if len(others) != len(others_ids) or not all(can_message_user(actor, o) for o in others):
        raise NotFound(
            "You cannot start a conversation with one of these people.", code="not_found"
        )
    member_ids = sorted([actor.id, *others_ids])
    key = "dm:" + "-".join(str(i) for i in member_ids)
    room = db.session.execute(sa.select(ChatRoom).where(ChatRoom.key == key)).scalar_one_or_none()
    if room is not None:
        return room
    names = {u.id: u.name for u in [actor, *others]}
    room = ChatRoom(
        key=key, kind=RoomKind.DM.value, name=", ".join(names[i] for i in member_ids)[:200]
    )
    room.members = [ChatRoomMember(user_id=i) for i in member_ids]
    db.session.add(room)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.execute(sa.select(ChatRoom).where(ChatRoom.key == key)).scalar_one()
    events.room_added(member_ids, room, {uid: dm_name(room, uid, names) for uid in member_ids})
    return room


def dm_name(room: ChatRoom, viewer_id: int, names: dict[int, str]) -> str:
    others = [
        names[m.user_id] for m in room.members if m.user_id != viewer_id and m.user_id in names
    ]
    return ", ".join(sorted(others)) or room.name


# --- messages ---------------------------------------------------------------------------


@dataclass
class SendResult:
    message: ChatMessage
    created: bool
    payload: dict | None = None

    def as_payload(self) -> dict:
        return self.payload if self.payload is not None else events.message_payload(self.message)


def _by_client_id(author_id: int, client_id: str) -> ChatMessage | None:
    return db.session.execute(
        sa.select(ChatMessage).where(
            ChatMessage.author_id == author_id, ChatMessage.client_id == client_id
        )
    ).scalar_one_or_none()


_fallback_limiter = MovingWindowRateLimiter(MemoryStorage())


def _check_send_rate(actor: User) -> None:
    rate = current_app.config.get("CHAT_SEND_RATE")
    if not rate:
        return
    item = parse_limit(rate)
    keys = (current_app.config.get("RATELIMIT_KEY_PREFIX", "cop"), "chat-send", str(actor.id))
    try:
        allowed = MovingWindowRateLimiter(limiter.storage).hit(item, *keys)
    except Exception:  # noqa: BLE001 - shared storage (Redis) down: limit per process
        allowed = _fallback_limiter.hit(item, *keys)
    if not allowed:
        raise RateLimited(
            f"You are sending messages too quickly (limit: {rate}). "
            "Wait a few seconds and send again."
        )


def _next_seq(room_id: int, column) -> int:
    """Take the room's next number in this transaction: the row stays locked until commit
    (PostgreSQL row lock; SQLite's single writer), and a rollback gives the number back."""
    return db.session.execute(
        sa.update(ChatRoom)
        .where(ChatRoom.id == room_id)
        .values({column: column + 1})
        .returning(column)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _read_state_upsert(dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE SET last_read_seq = max(old, new): one statement on
    SQLite and PostgreSQL, built once per dialect."""
    table = ChatReadState.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(
        user_id=sa.bindparam("user_id"),
        room_id=sa.bindparam("room_id"),
        last_read_seq=sa.bindparam("seq"),
        updated_at=sa.bindparam("now", type_=table.c.updated_at.type),
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.room_id],
        set_={
            "last_read_seq": sa.case(
                (stmt.excluded.last_read_seq > table.c.last_read_seq, stmt.excluded.last_read_seq),
                else_=table.c.last_read_seq,
            ),
            "updated_at": stmt.excluded.updated_at,
        },
    )


_UPSERTS: dict[str, object] = {}


def _upsert_read_state(user_id: int, room_id: int, seq: int) -> None:
    dialect = db.session.get_bind().dialect.name
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        stmt = _UPSERTS[dialect] = _read_state_upsert(dialect)
    db.session.execute(stmt, {"user_id": user_id, "room_id": room_id, "seq": seq, "now": utcnow()})


def mentioned_users(room: ChatRoom, body: str) -> list[User]:
    """People named as @**Full Name** who can read the room."""
    names = list(dict.fromkeys(n.strip().lower() for n in MENTION_RE.findall(body)))
    names = [n for n in names if n][:MAX_MENTIONS]
    if not names:
        return []
    users = (
        db.session.execute(
            sa.select(User).where(sa.func.lower(User.name).in_(names), User.active.is_(True))
        )
        .scalars()
        .all()
    )
    return [u for u in users if can_access_room(u, room)]


def render_body(body: str, mentioned: list[User]) -> str:
    """Markdown through the forums' sanitiser; resolved @mentions become a styled span."""
    html = render_markdown(body)
    names = {u.name.lower() for u in mentioned}
    if not names:
        return html

    def _mention(match: re.Match) -> str:
        inner = match.group(1)
        if unescape(inner).strip().lower() in names:
            return f'<span class="cop-mention">@{inner}</span>'
        return match.group(0)

    return MENTION_HTML_RE.sub(_mention, html)


def _room_url(room: ChatRoom, seq: int | None = None) -> str:
    """The room page's path; works outside a request too (CLI, jobs, other features)."""
    anchor = f"#message-{seq}" if seq else ""
    if has_request_context():
        return url_for("chat.room", room_id=room.id) + anchor
    adapter = current_app.url_map.bind("localhost")
    return adapter.build("chat.room", {"room_id": room.id}) + anchor


def _notify_recipients(
    actor: User, room: ChatRoom, message: ChatMessage, mentioned: list[User]
) -> None:
    from cop.notifications.services import notify

    url = _room_url(room, message.seq)
    context = [("room", room.id)]
    notified: set[int] = set()
    for user in mentioned:
        if user.id != actor.id:
            notify(
                user,
                "mention",
                actor=actor,
                subject_type="chat_message",
                subject_id=message.id,
                url=url,
                context=context,
                text=f"{actor.name} mentioned you in {room.name}",
            )
            notified.add(user.id)
    if room.kind == RoomKind.DM.value:
        for member in room.members:
            if member.user_id in notified or member.user_id == actor.id:
                continue
            notify(
                member.user,
                "direct_message",
                actor=actor,
                subject_type="chat_message",
                subject_id=message.id,
                url=url,
                context=context,
                text=f"New direct message from {actor.name}",
            )


def _retrying(work, attempts: int = 4):
    """SQLite answers "database is locked" to a writer that lost a race across
    processes: roll back and try the whole transaction again."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as exc:
            db.session.rollback()
            if "locked" not in str(exc).lower() or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def send_message(actor: User, room_id, body, client_id) -> SendResult:
    """Store a message with the room's next seq; the same client_id again returns the stored
    message and creates nothing. Broadcasts after the commit."""
    room = visible_room(actor, room_id)
    client_id = check_client_id(client_id)
    body = check_body(body)
    existing = _by_client_id(actor.id, client_id)
    if existing is not None:
        if existing.room_id != room.id:
            raise Conflict(
                "This client_id was used for a message in another room.", code="client_id_reused"
            )
        return SendResult(existing, False)
    if room.archived_at is not None:
        raise PermissionDenied("This room is archived: it is read-only.", code="archived")
    mute = active_mute(actor, room)
    if mute is not None:
        raise PermissionDenied(
            f"A moderator muted you in this room until {events.iso(mute.until)}.", code="muted"
        )
    _check_send_rate(actor)
    mentioned = mentioned_users(room, body)
    html = render_body(body, mentioned)
    room_id, actor_id = room.id, actor.id
    notify = bool(mentioned) or room.kind == RoomKind.DM.value

    def work() -> tuple[ChatMessage, dict]:
        # The room's row stays locked from taking the seq to the commit, and every sender
        # in the room waits for it: this transaction is only the number and the insert.
        seq = _next_seq(room_id, ChatRoom.last_seq)
        message = ChatMessage(
            room_id=room_id,
            seq=seq,
            author_id=actor_id,
            author=actor,
            client_id=client_id,
            body=body,
            body_html=html,
        )
        db.session.add(message)
        db.session.flush()
        # Built before the commit expires the row: what is sent is exactly what is stored,
        # without reading it back.
        payload = events.message_payload(message)
        db.session.commit()
        return message, payload

    try:
        message, payload = _retrying(work)
    except IntegrityError:
        # The same client_id raced in on another connection: that one was stored.
        db.session.rollback()
        existing = _by_client_id(actor_id, client_id)
        if existing is None or existing.room_id != room_id:
            raise
        return SendResult(existing, False)
    events.message_created(payload)
    notification = (actor, room, message, mentioned) if notify else None
    _after_send(actor_id, room_id, payload["seq"], notification)
    return SendResult(message, True, payload)


def _after_send(actor_id: int, room_id: int, seq: int, notification) -> None:
    """The sender's read position and, when the message mentions someone or is a direct
    message, the notifications (`notification`: the arguments of _notify_recipients), in a
    transaction of their own after the message's, which they must not lengthen. Ids, not
    the objects its commit expired: reading those would reload them. The message is
    stored and acknowledged whatever happens here; a failure is logged."""

    def work() -> None:
        _upsert_read_state(actor_id, room_id, seq)
        if notification:
            _notify_recipients(*notification)
        db.session.commit()

    try:
        _retrying(work)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("chat: read state / notifications after message seq %s failed", seq)


def _message_in_visible_room(actor: User, message_id) -> tuple[ChatMessage, ChatRoom]:
    message = db.session.get(ChatMessage, check_message_id(message_id))
    room = db.session.get(ChatRoom, message.room_id) if message is not None else None
    if message is None or not can_access_room(actor, room):
        raise NotFound("No such message.", code="not_found")
    return message, room


def edit_message(actor: User, message_id, body) -> ChatMessage:
    message, room = _message_in_visible_room(actor, message_id)
    if not can_edit_message(actor, message, room):
        raise PermissionDenied("You can edit only your own messages.", code="forbidden")
    body = check_body(body)
    if body == message.body:
        return message
    html = render_body(body, mentioned_users(room, body))

    def work() -> None:
        message.edit_seq = _next_seq(room.id, ChatRoom.last_edit_seq)
        message.body, message.body_html, message.edited_at = body, html, utcnow()
        db.session.commit()

    _retrying(work)
    events.message_updated(message)
    return message


def delete_message(actor: User, message_id) -> ChatMessage:
    """Authors delete their own messages; moderators any in their rooms (audit-logged).
    The row stays as a tombstone so seq has no gaps; its text is erased."""
    message, room = _message_in_visible_room(actor, message_id)
    if message.is_deleted:
        return message
    if not can_delete_message(actor, message, room):
        raise PermissionDenied("You can delete only your own messages.", code="forbidden")
    author_id = message.author_id

    def work() -> None:
        message.edit_seq = _next_seq(room.id, ChatRoom.last_edit_seq)
        message.deleted_at, message.deleted_by_id = utcnow(), actor.id
        message.body = message.body_html = ""
        if author_id != actor.id:
            audit.record(
                actor,
                "chat.message.delete",
                message,
                room_id=room.id,
                room=room.name,
                seq=message.seq,
                author_id=author_id,
            )
        db.session.commit()

    _retrying(work)
    events.message_deleted(message)
    return message


# --- read state ------------------------------------------------------------------------


def mark_read(actor: User, room_id, seq) -> dict:
    """Advance the actor's read position (never backwards, never past the last message)."""
    room = visible_room(actor, room_id)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ServiceError("seq must be a non-negative integer.", code="invalid", field="seq")
    seq = min(seq, room.last_seq)
    room_id = room.id
    _retrying(lambda: (_upsert_read_state(actor.id, room_id, seq), db.session.commit()))
    last_read = db.session.execute(
        sa.select(ChatReadState.last_read_seq).where(
            ChatReadState.user_id == actor.id, ChatReadState.room_id == room_id
        )
    ).scalar_one()
    unread = max(0, room.last_seq - last_read)
    events.read_state(actor.id, room_id, last_read, unread)
    return {"room_id": room_id, "last_read_seq": last_read, "unread": unread}


# --- moderation -------------------------------------------------------------------------


def mute_user(actor: User, room_id, user_id, minutes, reason: str = "") -> ChatMute:
    """A moderator silences someone in a room for a time. Audit-logged."""
    room = visible_room(actor, room_id)
    if not can_moderate_room(actor, room):
        raise PermissionDenied("Only this room's moderators can mute people.", code="forbidden")
    target = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if target is None or not can_access_room(target, room):
        raise NotFound("That person is not in this room.", code="not_found", field="user_id")
    if target.id == actor.id or can_moderate_room(target, room):
        raise PermissionDenied("Moderators cannot be muted.", code="forbidden")
    limit = current_app.config["CHAT_MUTE_MAX_MINUTES"]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= limit:
        raise ServiceError(
            f"minutes must be a whole number from 1 to {limit}.", code="invalid", field="minutes"
        )
    if not isinstance(reason, str) or len(reason) > 500:
        raise ServiceError("The reason is at most 500 characters.", code="invalid", field="reason")
    mute = ChatMute(
        room_id=room.id,
        user_id=target.id,
        created_by_id=actor.id,
        until=utcnow() + timedelta(minutes=minutes),
        reason=reason.strip(),
    )
    db.session.add(mute)
    audit.record(
        actor,
        "chat.user.mute",
        target,
        room_id=room.id,
        room=room.name,
        minutes=minutes,
        reason=mute.reason or None,
    )
    db.session.commit()
    events.user_muted(target.id, room.id, mute.until)
    return mute


def unmute_user(actor: User, room_id, user_id) -> int:
    room = visible_room(actor, room_id)
    if not can_moderate_room(actor, room):
        raise PermissionDenied("Only this room's moderators can unmute people.", code="forbidden")
    target = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if target is None:
        raise NotFound("No such person.", code="not_found", field="user_id")
    now = utcnow()
    ended = db.session.execute(
        sa.update(ChatMute)
        .where(ChatMute.room_id == room.id, ChatMute.user_id == target.id, ChatMute.until > now)
        .values(until=now)
    ).rowcount
    audit.record(actor, "chat.user.unmute", target, room_id=room.id, room=room.name)
    db.session.commit()
    events.user_muted(target.id, room.id, None)
    return ended
