"""Append-only audit log: who did what to whom, when (UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from cop.core.models import UTCDateTime, utcnow
from cop.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, index=True
    )
    # Plain ids, not foreign keys: the log outlives what it talks about.
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(320), default="system", nullable=False)
    action: Mapped[str] = mapped_column(sa.String(80), nullable=False, index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[int | None] = mapped_column(sa.Integer)
    target_label: Mapped[str | None] = mapped_column(sa.String(320))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)
    ip: Mapped[str | None] = mapped_column(sa.String(64))


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
def _no_update(mapper, connection, target):  # pragma: no cover - guarded by a test
    raise AuditLogIsAppendOnly("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(mapper, connection, target):
    raise AuditLogIsAppendOnly("audit events cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_change(state):
    """Bulk UPDATE/DELETE statements bypass the mapper events above: refuse them too."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")


def record(actor, action: str, target=None, *, ip: str | None = None, **details: Any) -> AuditEvent:
    """Add an audit event to the current transaction; the calling service commits."""
    entry = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        target_label=_label(target),
        details={k: v for k, v in details.items() if v is not None},
        ip=ip or _request_ip(),
    )
    db.session.add(entry)
    return entry


def _label(target) -> str | None:
    if target is None:
        return None
    for attr in ("email", "slug", "name", "title"):
        value = getattr(target, attr, None)
        if value:
            return str(value)[:320]
    return None


def _request_ip() -> str | None:
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None
