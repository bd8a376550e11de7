"""Read-side selects for coalition pages and API."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cop.accounts.models import Role, User
from cop.coalitions.models import (
    STATES,
    CoachAssignment,
    Coalition,
    CoalitionSector,
    CoalitionState,
    Membership,
)
from cop.coalitions.permissions import coached_coalition_ids, memberships_of
from cop.extensions import db


@dataclass
class DirectoryFilters:
    q: str = ""
    state: str = ""
    sector: str = ""
    track: str = ""


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def directory(filters: DirectoryFilters) -> list[Coalition]:
    stmt = sa.select(Coalition).order_by(Coalition.name)
    if filters.q:
        like = _like(filters.q)
        stmt = stmt.where(
            sa.or_(
                Coalition.name.ilike(like, escape="\\"),
                Coalition.lead_organization.ilike(like, escape="\\"),
                Coalition.slug.ilike(like, escape="\\"),
            )
        )
    if filters.state:
        stmt = stmt.where(
            Coalition.id.in_(
                sa.select(CoalitionState.coalition_id).where(CoalitionState.state == filters.state)
            )
        )
    if filters.sector:
        stmt = stmt.where(
            Coalition.id.in_(
                sa.select(CoalitionSector.coalition_id).where(
                    CoalitionSector.sector == filters.sector
                )
            )
        )
    if filters.track:
        stmt = stmt.where(Coalition.track == filters.track)
    return list(db.session.execute(stmt).scalars())


def state_counts() -> dict[str, int]:
    """state code -> number of coalitions working there (for the state grid)."""
    rows = db.session.execute(
        sa.select(CoalitionState.state, sa.func.count()).group_by(CoalitionState.state)
    ).all()
    counts = Counter({code: 0 for code in STATES})
    counts.update({state: n for state, n in rows})
    return dict(counts)


def members_of(coalition: Coalition) -> list[Membership]:
    return list(
        db.session.execute(
            sa.select(Membership)
            .join(User, User.id == Membership.user_id)
            .options(selectinload(Membership.user))
            .where(Membership.coalition_id == coalition.id, User.active.is_(True))
            .order_by(Membership.is_lead.desc(), User.name)
        ).scalars()
    )


def coaches_of(coalition: Coalition) -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(CoachAssignment, CoachAssignment.coach_id == User.id)
            .where(CoachAssignment.coalition_id == coalition.id, User.active.is_(True))
            .order_by(User.name)
        ).scalars()
    )


def assignable_coaches(coalition: Coalition) -> list[User]:
    assigned = sa.select(CoachAssignment.coach_id).where(
        CoachAssignment.coalition_id == coalition.id
    )
    return list(
        db.session.execute(
            sa.select(User)
            .where(User.role == Role.COACH.value, User.active.is_(True), User.id.not_in(assigned))
            .order_by(User.name)
        ).scalars()
    )


def my_coalitions(user: User) -> list[Coalition]:
    ids = set(memberships_of(user)) | set(coached_coalition_ids(user))
    if not ids:
        return []
    return list(
        db.session.execute(
            sa.select(Coalition).where(Coalition.id.in_(ids)).order_by(Coalition.name)
        ).scalars()
    )


def invitable_coalitions(user: User) -> list[Coalition]:
    stmt = sa.select(Coalition).order_by(Coalition.name)
    if not user.is_admin:
        lead_of = [cid for cid, lead in memberships_of(user).items() if lead]
        stmt = stmt.where(Coalition.id.in_(lead_of))
    return list(db.session.execute(stmt).scalars())


def home_summary(user: User) -> dict:
    total, states = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Coalition.id)),
            sa.func.count(sa.distinct(CoalitionState.state)),
        )
        .select_from(Coalition)
        .outerjoin(CoalitionState)
    ).one()
    return {"mine": my_coalitions(user), "coalition_count": total, "state_count": states}
