"""Who may see and do what with coalitions. Used by views, API, sockets and templates."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.coalitions.models import CoachAssignment, Coalition, Membership, is_valid_slug
from cop.extensions import db


def is_active_user(user: User | None) -> bool:
    """Signed in with an account that is switched on: every predicate starts here."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


_active = is_active_user


def unproxied(user):
    """The user behind Flask-Login's `current_user` proxy (anything else unchanged). Every
    attribute read through the proxy looks the user up again; a predicate applied to a
    whole list reads many, so list filters unwrap the user once."""
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


def memberships_of(user: User) -> dict[int, bool]:
    """coalition id -> is_lead, for the user's memberships (cached on the user object)."""
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        rows = db.session.execute(
            sa.select(Membership.coalition_id, Membership.is_lead).where(
                Membership.user_id == user.id
            )
        ).all()
        cache = {cid: lead for cid, lead in rows}
        user._membership_cache = cache
    return cache


def coached_coalition_ids(user: User) -> frozenset[int]:
    cache = getattr(user, "_coached_cache", None)
    if cache is None:
        if user.role != Role.COACH:
            cache = frozenset()
        else:
            cache = frozenset(
                db.session.execute(
                    sa.select(CoachAssignment.coalition_id).where(
                        CoachAssignment.coach_id == user.id
                    )
                ).scalars()
            )
        user._coached_cache = cache
    return cache


def forget_cached_memberships(user: User) -> None:
    for attr in ("_membership_cache", "_coached_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def is_member(user: User | None, coalition: Coalition) -> bool:
    return _active(user) and coalition.id in memberships_of(user)


def is_lead(user: User | None, coalition: Coalition) -> bool:
    return _active(user) and memberships_of(user).get(coalition.id, False)


def is_lead_anywhere(user: User | None) -> bool:
    return _active(user) and any(memberships_of(user).values())


def is_assigned_coach(user: User | None, coalition: Coalition) -> bool:
    return _active(user) and coalition.id in coached_coalition_ids(user)


def can_view_directory(user: User | None) -> bool:
    """The coalition directory is for the community: everyone signed in but guests."""
    return _active(user) and user.role != Role.GUEST


def can_view_coalition(user: User | None, coalition: Coalition) -> bool:
    return can_view_directory(user)


def can_view_coalition_private(user: User | None, coalition: Coalition) -> bool:
    """The coalition's private spaces: its members, its assigned coaches, admins."""
    if not _active(user):
        return False
    return user.is_admin or is_member(user, coalition) or is_assigned_coach(user, coalition)


def is_staff(user: User | None) -> bool:
    """Admins and coaches: the technical-assistance provider's people."""
    return _active(user) and user.role in (Role.ADMIN, Role.COACH)


def is_staff_or_member(user: User | None) -> bool:
    """Staff, or a member of some coalition: who uses coaching and reporting."""
    return _active(user) and (is_staff(user) or bool(memberships_of(user)))


def private_coalition_scope(user: User | None) -> frozenset[int] | None:
    """The coalitions whose private spaces the user may see; None means all (admins)."""
    if not _active(user):
        return frozenset()
    if user.is_admin:
        return None
    return frozenset(memberships_of(user)) | coached_coalition_ids(user)


def coached_scope(user: User | None) -> frozenset[int] | None:
    """Staff's coalitions (None: all, for admins); nothing for everyone else."""
    if not is_staff(user):
        return frozenset()
    return None if user.is_admin else coached_coalition_ids(user)


def can_moderate_coalition(user: User | None, coalition: Coalition) -> bool:
    return _active(user) and (user.is_admin or is_assigned_coach(user, coalition))


def can_manage_coalition(user: User | None, coalition: Coalition | None = None) -> bool:
    return _active(user) and user.is_admin


def can_invite_to_coalition(user: User | None, coalition: Coalition) -> bool:
    return _active(user) and (user.is_admin or is_lead(user, coalition))


def get_coalition_or_404(user: User | None, slug: str) -> Coalition:
    if not is_valid_slug(slug):
        abort(404)  # never a query for text no slug can be (e.g. a NUL byte PostgreSQL refuses)
    coalition = db.session.execute(
        sa.select(Coalition).where(Coalition.slug == slug)
    ).scalar_one_or_none()
    if coalition is None or not can_view_coalition(user, coalition):
        abort(404)
    return coalition


TEMPLATE_PREDICATES = {
    "can_view_directory": can_view_directory,
    "can_view_coalition_private": can_view_coalition_private,
    "can_manage_coalition": can_manage_coalition,
    "can_invite_to_coalition": can_invite_to_coalition,
    "is_lead": is_lead,
}
