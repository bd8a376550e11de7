"""Read-side selects for account pages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cop.accounts.models import Invitation, Role, User
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.coalitions.permissions import memberships_of as membership_map
from cop.core.audit import AuditEvent
from cop.core.pagination import Page, decode_cursor, encode_cursor
from cop.extensions import db

PAGE_SIZE = 50


def memberships_of(user: User) -> list[Membership]:
    return list(
        db.session.execute(
            sa.select(Membership)
            .options(selectinload(Membership.coalition))
            .where(Membership.user_id == user.id)
        ).scalars()
    )


def coached_by(user: User) -> list[Coalition]:
    return list(
        db.session.execute(
            sa.select(Coalition)
            .join(CoachAssignment, CoachAssignment.coalition_id == Coalition.id)
            .where(CoachAssignment.coach_id == user.id)
            .order_by(Coalition.name)
        ).scalars()
    )


def invitations_visible_to(user: User) -> list[Invitation]:
    stmt = (
        sa.select(Invitation)
        .options(selectinload(Invitation.coalition), selectinload(Invitation.invited_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(200)
    )
    if not user.is_admin:
        lead_of = [cid for cid, lead in membership_map(user).items() if lead]
        stmt = stmt.where(Invitation.coalition_id.in_(lead_of))
    return list(db.session.execute(stmt).scalars())


def users_page(*, q: str = "", role: str = "", after: str | None = None) -> Page:
    stmt = sa.select(User).order_by(User.name, User.id).limit(PAGE_SIZE + 1)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            sa.or_(
                User.name.ilike(like, escape="\\"),
                User.email.ilike(like, escape="\\"),
                User.organization.ilike(like, escape="\\"),
            )
        )
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == role)
    cursor = decode_cursor(after)
    if cursor and len(cursor) == 2:
        stmt = stmt.where(sa.tuple_(User.name, User.id) > (str(cursor[0]), int(cursor[1])))
    rows = list(db.session.execute(stmt).scalars())
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = encode_cursor([rows[-1].name, rows[-1].id])
    return Page(rows, next_cursor)


def audit_page(*, before: str | None = None, action: str = "") -> Page:
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    cursor = decode_cursor(before)
    if cursor and len(cursor) == 1 and isinstance(cursor[0], int):
        stmt = stmt.where(AuditEvent.id < cursor[0])
    rows = list(db.session.execute(stmt).scalars())
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = encode_cursor([rows[-1].id])
    return Page(rows, next_cursor)


def audit_for_user(user: User, limit: int = 20) -> list[AuditEvent]:
    return list(
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.target_type == "user", AuditEvent.target_id == user.id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )
