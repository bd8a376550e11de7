"""Checks shared by every service that stores user text."""

from __future__ import annotations

from cop.core.errors import ServiceError


def refuse_nul(value: str, label: str, field: str | None = None) -> str:
    """NUL cannot be stored (PostgreSQL refuses it in text columns): a 400, not a 500."""
    if "\x00" in value:
        raise ServiceError(
            f"{label} contains a NUL character, which cannot be stored.", field=field
        )
    return value


def _nul_in(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set):
        return any(_nul_in(v) for v in value)
    if isinstance(value, dict):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    return False


def _refuse_nul_on_flush(session, flush_context, instances) -> None:
    """The same rule for every feature, at the one place all writes pass: a value with NUL
    that a service did not check is refused with a ServiceError (a 400) before PostgreSQL
    would refuse it with a DataError. Only the values set since the last flush are read."""
    from sqlalchemy import inspect

    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            added = state.attrs[attr.key].history.added
            if added and any(_nul_in(v) for v in added):
                label = attr.key.replace("_", " ").capitalize()
                raise ServiceError(
                    f"{label} contains a NUL character, which cannot be stored.", field=attr.key
                )


def install_nul_guard() -> None:
    """Listen once on every ORM session (called by create_app)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _refuse_nul_on_flush):
        event.listen(Session, "before_flush", _refuse_nul_on_flush)
