"""The access-change log: one row per committed change that may have taken someone's
access to a chat room, so the access watchdog (cop/chat/connections.py) re-checks its
sockets only when there is something to re-check.

What counts is declared, not guessed: the credentials (a user's role and status, a login
session, an API token) are watched here; each room kind names the tables its rule reads
(`register_room_kind(..., access_models=...)`). For a watched table, a deleted row counts,
and an updated row counts when one of its watched columns changed (all columns when none
are named); a new row never does, since it can only add access. ORM flushes are seen by
`after_flush`, bulk `sa.update()` / `sa.delete()` statements by `do_orm_execute`; the row
is written in the same transaction, so it becomes visible exactly when the change does.
A change made outside the ORM (psql by hand) is still caught by the watchdog's full sweep
every CHAT_ACCESS_FULL_SWEEP_SECONDS.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from cop.chat.models import ChatAccessChange
from cop.core.models import utcnow
from cop.extensions import db

# How far back the watchdog looks for rows it has not seen: longer than any transaction
# between its flush and its commit is expected to take (rows are stamped at flush).
WINDOW = timedelta(minutes=10)
KEEP = timedelta(days=1)

# table name -> the columns whose change counts (None: any column)
_WATCHED: dict[str, frozenset[str] | None] = {}
_TABLE = ChatAccessChange.__table__


def watch(model, columns: Iterable[str] | None = None) -> None:
    """Count deletes of `model`'s rows, and updates of `columns` (or of any column)."""
    table = model.__table__.name
    if columns is None or _WATCHED.get(table, frozenset()) is None:
        _WATCHED[table] = None
        return
    _WATCHED[table] = frozenset(columns) | (_WATCHED.get(table) or frozenset())


def watched() -> dict[str, frozenset[str] | None]:
    return dict(_WATCHED)


def _table_of(obj) -> str | None:
    table = getattr(obj, "__table__", None)
    return getattr(table, "name", None)


def _flush_changes_access(session: Session) -> bool:
    for obj in session.deleted:
        if _table_of(obj) in _WATCHED:
            return True
    for obj in session.dirty:
        name = _table_of(obj)
        if name not in _WATCHED:
            continue
        columns = _WATCHED[name]
        if columns is None:
            if session.is_modified(obj, include_collections=False):
                return True
            continue
        attrs = sa.inspect(obj).attrs
        if any(attrs[c].history.has_changes() for c in columns if c in attrs):
            return True
    return False


def _statement_changes_access(statement) -> bool:
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in _WATCHED:
        return False
    columns = _WATCHED[name]
    if columns is None or statement.is_delete:
        return True
    # The SET clause of an UPDATE (SQLAlchemy keeps it in `_values`); when it cannot be
    # read, count the statement.
    values = getattr(statement, "_values", None)
    if not values:
        return True
    names = {getattr(k, "key", None) or getattr(k, "name", None) or str(k) for k in values}
    return bool(names & columns)


def _enabled() -> bool:
    return bool(_WATCHED) and has_app_context() and "chat" in current_app.extensions


def _record(connection) -> None:
    connection.execute(sa.insert(_TABLE).values(changed_at=utcnow()))


def _after_flush(session: Session, flush_context) -> None:
    if _enabled() and _flush_changes_access(session):
        _record(session.connection())


def _on_execute(state) -> None:
    if (
        (state.is_update or state.is_delete)
        and _enabled()
        and _statement_changes_access(state.statement)
    ):
        _record(state.session.connection())


def install() -> None:
    """Listen once on every ORM session (chat's init_app calls this)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)


def recent_change_ids() -> set[int]:
    """Ids of the changes of the last WINDOW (a handful: access rarely changes)."""
    cut = utcnow() - WINDOW
    return set(
        db.session.execute(
            sa.select(ChatAccessChange.id).where(ChatAccessChange.changed_at > cut)
        ).scalars()
    )


def prune() -> int:
    """Forget changes older than KEEP (the watchdog only looks back WINDOW)."""
    cut = utcnow() - KEEP
    old = db.session.execute(
        sa.select(ChatAccessChange.id).where(ChatAccessChange.changed_at < cut).limit(1)
    ).first()
    if old is None:
        return 0
    removed = db.session.execute(
        sa.delete(ChatAccessChange).where(ChatAccessChange.changed_at < cut)
    ).rowcount
    db.session.commit()
    return removed


def watch_credentials() -> None:
    """What every room's access rests on: the user's role and status, and the login
    session or API token the socket connected with (logout deletes the session)."""
    from cop.accounts.models import ApiToken, User, UserSession

    watch(User, ("role", "active"))
    watch(UserSession, ("user_id", "expires_at"))
    watch(ApiToken, ("user_id", "expires_at", "revoked_at"))
