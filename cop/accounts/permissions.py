"""Who may manage accounts, invite, and see profiles."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.coalitions.models import Coalition
from cop.coalitions.permissions import can_invite_to_coalition, is_lead_anywhere
from cop.extensions import db


def _active(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def can_manage_users(user: User | None) -> bool:
    return _active(user) and user.is_admin


def can_view_audit_log(user: User | None) -> bool:
    return _active(user) and user.is_admin


def can_invite(user: User | None) -> bool:
    """Admins invite anyone; coalition leads invite staff of their coalition."""
    return _active(user) and (user.is_admin or is_lead_anywhere(user))


def invitable_roles(user: User | None, coalition: Coalition | None) -> list[Role]:
    if not _active(user):
        return []
    if user.is_admin:
        return list(Role)
    if coalition is not None and can_invite_to_coalition(user, coalition):
        return [Role.MEMBER]
    return []


def can_invite_as(user: User | None, role: Role, coalition: Coalition | None) -> bool:
    return role in invitable_roles(user, coalition)


def can_view_profile(viewer: User | None, user: User) -> bool:
    """Profiles are for the community; guests see only their own."""
    if not _active(viewer):
        return False
    if viewer.id == user.id:
        return True
    return viewer.role != Role.GUEST and (user.active or viewer.is_admin)


def get_profile_or_404(viewer: User | None, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_view_profile(viewer, user):
        abort(404)
    return user


def get_user_for_admin_or_404(viewer: User | None, user_id: int) -> User:
    if not can_manage_users(viewer):
        abort(404)
    user = db.session.execute(sa.select(User).where(User.id == user_id)).scalar_one_or_none()
    if user is None:
        abort(404)
    return user


TEMPLATE_PREDICATES = {
    "can_manage_users": can_manage_users,
    "can_view_audit_log": can_view_audit_log,
    "can_invite": can_invite,
    "can_view_profile": can_view_profile,
}
