"""This process's /chat sockets: who they are, which rooms they joined, and the watchdog
that takes them out of rooms (or disconnects them) when access ends.

Handlers re-check access on every event; the watchdog covers what a socket *receives*.
Every CHAT_ACCESS_CHECK_SECONDS each process looks whether anything access-relevant
changed (a new row in the access-change log, cop/chat/access_log.py), or whether one of
its sockets' credentials expired; only then does it sweep: it checks its sockets' login
sessions and API tokens (logout, revocation, deactivation -> disconnect) and, for users
whose access-relevant data changed, their rooms (lost membership -> removed from the room).
A full sweep also runs every CHAT_ACCESS_FULL_SWEEP_SECONDS whatever the log says.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app

from cop.accounts.models import ApiToken, User, UserSession
from cop.chat import access_log, events
from cop.chat.models import ChatRoom
from cop.chat.permissions import ROOM_KINDS, can_access_room
from cop.chat.presence import LocalPresence, make_presence
from cop.core.models import utcnow
from cop.extensions import db, socketio

log = logging.getLogger(__name__)
CHUNK = 250  # sockets per slice of a watchdog pass (and ids per IN list)


@dataclass
class Connection:
    sid: str
    user_id: int
    user_name: str
    session_id: int | None
    token_id: int | None
    rooms: dict[int, str] = field(default_factory=dict)  # room id -> kind
    connected_at: float = field(default_factory=time.monotonic)
    expires_at: datetime | None = None  # of its login session or API token


class ChatState:
    """Per app (and so per server process): connections, presence, throttles."""

    def __init__(self, app: Flask) -> None:
        self.connections: dict[str, Connection] = {}
        self.presence: LocalPresence = make_presence(
            app.config.get("REDIS_URL"), app.config.get("SOCKETIO_CHANNEL", "cop")
        )
        self.fingerprints: dict[int, Hashable] = {}
        self.typing_seen: dict[tuple[int, int], float] = {}
        self.pending_presence: dict[int, set[int]] = {}
        self.names_cache: dict[int, str] = {}
        self.lock = threading.RLock()
        self.last_presence_refresh = 0.0
        # The watchdog's gate: change-log ids seen, when the next full sweep is due, the
        # earliest credential expiry, and whether some socket sits in a room of a kind
        # without an access fingerprint (those are swept every pass).
        self.seen_changes: set[int] = set()
        self.next_full_sweep = 0.0
        self.next_expiry: datetime | None = None
        self.unfingerprinted = False
        self.last_prune = time.monotonic()

    def forget_history(self) -> None:
        """Drop what the watchdog and the throttles remember (the tests' fresh database
        reuses user ids, so remembered fingerprints would match users that are new)."""
        with self.lock:
            self.fingerprints.clear()
            self.seen_changes.clear()
            self.next_full_sweep = 0.0
            self.typing_seen.clear()
            self.pending_presence.clear()
            self.names_cache.clear()

    # -- connections -------------------------------------------------------------------
    def add(self, sid: str, user: User) -> Connection:
        conn = Connection(
            sid,
            user.id,
            user.name,
            user.current_session_id,
            None if user.current_session_id else user.current_token_id,
            expires_at=getattr(user, "current_credential_expires_at", None),
        )
        with self.lock:
            self.connections[sid] = conn
            self.names_cache[user.id] = user.name
            self.note_expiry(conn.expires_at)
        return conn

    def note_expiry(self, when: datetime | None) -> None:
        if when is not None and (self.next_expiry is None or when < self.next_expiry):
            self.next_expiry = when

    def get(self, sid: str) -> Connection | None:
        return self.connections.get(sid)

    def pop(self, sid: str) -> Connection | None:
        with self.lock:
            return self.connections.pop(sid, None)

    def snapshot(self) -> list[Connection]:
        with self.lock:
            return list(self.connections.values())


def chat_state(app: Flask | None = None) -> ChatState:
    app = app or current_app._get_current_object()
    return app.extensions["chat"]


# --- rooms of a socket ------------------------------------------------------------------


def enter_room(state: ChatState, conn: Connection, room: ChatRoom) -> None:
    socketio.server.enter_room(conn.sid, events.room_channel(room.id), namespace=events.NAMESPACE)
    with state.lock:
        conn.rooms[room.id] = room.kind
        rules = ROOM_KINDS.get(room.kind)
        if rules is None or rules.access_fingerprint is None:
            state.unfingerprinted = True
    state.presence.add(room.id, conn.sid, conn.user_id)
    presence_touched(state, room.id, conn.user_id)


def exit_room(state: ChatState, conn: Connection, room_id: int) -> None:
    socketio.server.leave_room(conn.sid, events.room_channel(room_id), namespace=events.NAMESPACE)
    with state.lock:
        conn.rooms.pop(room_id, None)
    state.presence.remove(room_id, conn.sid)
    presence_touched(state, room_id, conn.user_id)


def forget(state: ChatState, sid: str) -> None:
    """The socket disconnected: out of every room's presence."""
    conn = state.pop(sid)
    if conn is None:
        return
    for room_id in list(conn.rooms):
        state.presence.remove(room_id, sid)
        presence_touched(state, room_id, conn.user_id)


def present_user_ids(state: ChatState, room_id: int) -> set[int]:
    return state.presence.users(room_id)


# --- presence batching --------------------------------------------------------------------


def presence_touched(state: ChatState, room_id: int, user_id: int) -> None:
    """Someone came or went: tell the room, batched per CHAT_PRESENCE_INTERVAL so hundreds
    of joins at the start of an event make a few packets, not hundreds squared."""
    app = current_app._get_current_object()
    interval = app.config.get("CHAT_PRESENCE_INTERVAL", 1.0)
    with state.lock:
        first = room_id not in state.pending_presence
        state.pending_presence.setdefault(room_id, set()).add(user_id)
    if interval <= 0:
        flush_presence(state, room_id)
    elif first:
        socketio.start_background_task(_flush_later, app, state, room_id, interval)


def _flush_later(app: Flask, state: ChatState, room_id: int, interval: float) -> None:
    socketio.sleep(interval)
    with app.app_context():
        try:
            flush_presence(state, room_id)
        finally:
            db.session.remove()


def flush_presence(state: ChatState, room_id: int) -> None:
    with state.lock:
        changed = state.pending_presence.pop(room_id, set())
    if not changed:
        return
    present = state.presence.users(room_id)
    joined = [
        {"id": uid, "name": state.names_cache.get(uid, "")} for uid in sorted(changed & present)
    ]
    left = sorted(changed - present)
    events.presence_changed(room_id, joined, left)


# --- the access watchdog ------------------------------------------------------------------


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _live_credentials(
    conns: list[Connection],
) -> tuple[dict[int, datetime], dict[int, datetime], dict[int, tuple]]:
    """Session ids still open and token ids still usable (-> when they expire), and
    (role, active) per user."""
    now = utcnow()
    session_ids = sorted({c.session_id for c in conns if c.session_id is not None})
    token_ids = sorted({c.token_id for c in conns if c.token_id is not None})
    user_ids = sorted({c.user_id for c in conns})
    sessions: dict[int, datetime] = {}
    for chunk in _chunks(session_ids):
        sessions.update(
            db.session.execute(
                sa.select(UserSession.id, UserSession.expires_at).where(
                    UserSession.id.in_(chunk), UserSession.expires_at > now
                )
            ).all()
        )
    tokens: dict[int, datetime] = {}
    for chunk in _chunks(token_ids):
        tokens.update(
            db.session.execute(
                sa.select(ApiToken.id, ApiToken.expires_at).where(
                    ApiToken.id.in_(chunk), ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
                )
            ).all()
        )
    users: dict[int, tuple] = {}
    for chunk in _chunks(user_ids):
        users.update(
            {
                uid: (role, active)
                for uid, role, active in db.session.execute(
                    sa.select(User.id, User.role, User.active).where(User.id.in_(chunk))
                )
            }
        )
    return sessions, tokens, users


def credential_ok(
    conn: Connection,
    sessions: dict[int, datetime],
    tokens: dict[int, datetime],
    users: dict[int, tuple],
) -> bool:
    """Whether the socket's user and credential are still good; notes when it expires."""
    role_active = users.get(conn.user_id)
    if role_active is None or not role_active[1]:
        return False
    if conn.session_id is not None:
        conn.expires_at = sessions.get(conn.session_id)
    else:
        conn.expires_at = tokens.get(conn.token_id)
    return conn.expires_at is not None


def end_connection(state: ChatState, conn: Connection) -> None:
    """Tell the socket why, then disconnect it from /chat (this process owns it)."""
    events.session_ended(conn.sid)
    forget(state, conn.sid)
    try:
        socketio.server.disconnect(conn.sid, namespace=events.NAMESPACE)
    except Exception:  # noqa: BLE001 - it may have gone already
        log.debug("chat: disconnect of %s failed", conn.sid, exc_info=True)


def _fingerprints(conns: list[Connection], users: dict[int, tuple]) -> dict[int, tuple]:
    by_kind: dict[str, set[int]] = {}
    for conn in conns:
        for kind in list(conn.rooms.values()):
            by_kind.setdefault(kind, set()).add(conn.user_id)
    parts: dict[int, list] = {c.user_id: [users.get(c.user_id)] for c in conns}
    for kind, uids in sorted(by_kind.items()):
        rules = ROOM_KINDS.get(kind)
        if rules is None or rules.access_fingerprint is None:
            # No way to tell cheaply: these users' rooms are re-checked every sweep.
            for uid in uids:
                parts[uid].append((kind, time.monotonic()))
            continue
        ids = sorted(uids)
        values: dict[int, Hashable] = {}
        for chunk in _chunks(ids):
            values.update(rules.access_fingerprint(chunk))
        for uid in uids:
            parts[uid].append((kind, values.get(uid)))
    return {uid: tuple(p) for uid, p in parts.items()}


def _sweep_slice(state: ChatState, conns: list[Connection], result: dict[str, int]) -> dict:
    """Check one slice of sockets: credentials, then rooms of users whose access-relevant
    data changed since the last pass. Returns the slice's fingerprints."""
    sessions, tokens, users = _live_credentials(conns)
    alive = []
    for conn in conns:
        if credential_ok(conn, sessions, tokens, users):
            alive.append(conn)
        else:
            end_connection(state, conn)
            result["disconnected"] += 1
    with_rooms = [c for c in alive if c.rooms]
    prints = _fingerprints(with_rooms, users)
    by_user: dict[int, list[Connection]] = {}
    for conn in with_rooms:
        by_user.setdefault(conn.user_id, []).append(conn)
    for uid, fp in prints.items():
        if state.fingerprints.get(uid) == fp:
            continue
        user = db.session.get(User, uid)
        for conn in by_user.get(uid, ()):
            for room_id in list(conn.rooms):
                result["checked"] += 1
                room = db.session.get(ChatRoom, room_id)
                if not can_access_room(user, room):
                    exit_room(state, conn, room_id)
                    events.room_removed(conn.sid, room_id)
                    result["removed"] += 1
    return prints


def sweep(app: Flask, *, pause=None) -> dict[str, int]:
    """A full pass of the watchdog over this process's sockets. Needs an app context.

    The sockets are checked in slices of CHUNK, one user's sockets always in the same
    slice; between slices `pause()` (the watchdog passes socketio.sleep(0)) lets the
    server's other greenlets run, so a pass over thousands of sockets never holds up a
    broadcast for more than one slice's work."""
    state = chat_state(app)
    conns = sorted(state.snapshot(), key=lambda c: c.user_id)
    result = {"disconnected": 0, "removed": 0, "checked": 0}
    if not conns:
        state.fingerprints.clear()
        return result
    prints: dict[int, tuple] = {}
    start = 0
    while start < len(conns):
        stop = min(start + CHUNK, len(conns))
        while stop < len(conns) and conns[stop].user_id == conns[stop - 1].user_id:
            stop += 1
        prints.update(_sweep_slice(state, conns[start:stop], result))
        start = stop
        if pause is not None and start < len(conns):
            db.session.rollback()  # no transaction (SQLite read lock) held while paused
            pause()
    state.fingerprints = prints
    now = time.monotonic()
    if now - state.last_presence_refresh > 20:
        state.presence.refresh()
        state.last_presence_refresh = now
    return result


def _note_gate_state(state: ChatState) -> None:
    """What the gate needs after a full pass: the earliest expiry, and whether a socket
    sits in a room whose kind has no access fingerprint."""
    expiries = []
    unfingerprinted = False
    for conn in state.snapshot():
        if conn.expires_at is not None:
            expiries.append(conn.expires_at)
        for kind in list(conn.rooms.values()):
            rules = ROOM_KINDS.get(kind)
            unfingerprinted = unfingerprinted or rules is None or rules.access_fingerprint is None
    with state.lock:
        state.next_expiry = min(expiries, default=None)
        state.unfingerprinted = unfingerprinted


def watch_pass(app: Flask, *, pause=None) -> dict[str, int] | None:
    """One tick of the watchdog: a full sweep when due (returns its result), else None.

    Due when the access-change log has a row this process has not seen, a credential
    expired, a socket sits in a room whose kind cannot be fingerprinted, or
    CHAT_ACCESS_FULL_SWEEP_SECONDS passed since the last full sweep. Otherwise the pass
    costs one query that returns the few changes of the last minutes."""
    state = chat_state(app)
    if not state.connections:
        return None
    full_every = app.config.get("CHAT_ACCESS_FULL_SWEEP_SECONDS", 0.0)
    if full_every <= 0:  # the gate is off (the default): sweep on every pass
        return sweep(app, pause=pause)
    # Read the log before sweeping: a change committed during the sweep is new next time.
    changes = access_log.recent_change_ids()
    due = (
        state.unfingerprinted
        or time.monotonic() >= state.next_full_sweep
        or (state.next_expiry is not None and state.next_expiry <= utcnow())
        or not changes <= state.seen_changes
    )
    if not due:
        db.session.rollback()
        return None
    result = sweep(app, pause=pause)
    _note_gate_state(state)
    state.seen_changes = changes
    state.next_full_sweep = time.monotonic() + full_every
    if time.monotonic() - state.last_prune > 600:
        state.last_prune = time.monotonic()
        access_log.prune()
    return result


def access_watchdog(app: Flask) -> None:
    """Background task started by `cop serve` in every server process."""
    interval = app.config.get("CHAT_ACCESS_CHECK_SECONDS", 0.5)
    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                try:
                    watch_pass(app, pause=lambda: socketio.sleep(0))
                finally:
                    db.session.remove()
        except Exception:  # noqa: BLE001 - keep watching; the next pass may succeed
            log.exception("chat access watchdog pass failed")
            socketio.sleep(min(5.0, interval * 4))


def login_session_ended(session_id: int | None) -> None:
    """The hook for logout (accounts.auth.end_session): tell that session's sockets, in all
    processes, right away. Safe to call outside a socket context; never raises."""
    if session_id is not None:
        events.login_session_ended(session_id)
