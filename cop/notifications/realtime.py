"""The one module that pushes notification counts over Socket.IO.

Audience: a user's unread count goes to their private room `user:<id>` only (joined by
cop.core.sockets on connect). Timing: after the commit, never before, so a client never
sees a count the database does not have. Whoever changes notifications (notify, mark read,
the job runner) needs no Socket.IO code: a flush records the affected users in
`session.info`, and the commit emits.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_sqlalchemy.session import Session

from cop.extensions import socketio

log = logging.getLogger("cop.notifications")

EVENT = "notifications:count"
_USERS = "cop_notifications_users"
_OUTBOX = "cop_notifications_outbox"


def room(user_id: int) -> str:
    return f"user:{user_id}"


def touch(session, user_id: int) -> None:
    """Note that a user's count may change with this transaction (bulk updates use this)."""
    session.info.setdefault(_USERS, set()).add(user_id)


def _after_flush(session, flush_context) -> None:
    from cop.notifications.models import Notification, OutboundEmail

    for obj in session.new:
        if isinstance(obj, Notification):
            touch(session, obj.user_id)
        elif isinstance(obj, OutboundEmail):
            session.info[_OUTBOX] = True
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Notification):
            touch(session, obj.user_id)


def _after_commit(session) -> None:
    users = session.info.pop(_USERS, None)
    outbox = session.info.pop(_OUTBOX, False)
    if outbox:
        from cop.notifications.jobs import wake

        wake()
    if users:
        emit_counts(users, session.get_bind())


def _after_rollback(session) -> None:
    session.info.pop(_USERS, None)
    session.info.pop(_OUTBOX, None)


def unread_counts(user_ids, bind) -> dict[int, int]:
    from cop.notifications.models import Notification

    ids = sorted(set(user_ids))
    with bind.connect() as conn:
        rows = conn.execute(
            sa.select(Notification.user_id, sa.func.count())
            .where(Notification.user_id.in_(ids), Notification.read_at.is_(None))
            .group_by(Notification.user_id)
        ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update({uid: n for uid, n in rows})
    return counts


def emit_counts(user_ids, bind) -> None:
    """Send each user their unread count. A failure here never undoes or breaks the commit."""
    try:
        counts = unread_counts(user_ids, bind)
        for uid, count in counts.items():
            socketio.emit(EVENT, {"unread": count}, to=room(uid), namespace="/")
    except Exception:  # noqa: BLE001 - live counts are best effort; the page load is the truth
        log.warning("could not push notification counts", exc_info=True)


def register() -> None:
    """Hook the session events once per process (all apps share Flask-SQLAlchemy's class)."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not sa.event.contains(Session, name, fn):
            sa.event.listen(Session, name, fn)
