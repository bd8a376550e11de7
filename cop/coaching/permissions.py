"""Who may see and do what with coaching logs. Used by views, API, exports, notifications
and templates: one rule, written once.

- admins: everything;
- coaches: the logs of the coalitions assigned to them (private notes included);
- a coalition's leads and members: their own coalition's logs, never the private notes;
- everyone else (other coaches, other coalitions' members, experts, guests): nothing,
  and a 404 for any id, so ids reveal nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.coaching.models import ActionItem, CoachingSession
from cop.coalitions.models import Coalition
from cop.coalitions.permissions import (
    coached_coalition_ids,
    is_assigned_coach,
    is_lead,
    is_member,
    memberships_of,
)
from cop.extensions import db


def _active(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def is_coaching_staff(user: User | None) -> bool:
    """Admins and coaches: the people who log sessions."""
    return _active(user) and user.role in (Role.ADMIN, Role.COACH)


def can_use_coaching(user: User | None) -> bool:
    """The "Coaching" navigation entry: coaches, admins and members of a coalition."""
    if not _active(user):
        return False
    return is_coaching_staff(user) or bool(memberships_of(user))


def can_view_session_log(user: User | None, coalition: Coalition) -> bool:
    """A coalition's coaching history: admins, its assigned coaches, its members."""
    if not _active(user):
        return False
    return user.is_admin or is_assigned_coach(user, coalition) or is_member(user, coalition)


def can_view_private_notes(user: User | None, coalition: Coalition) -> bool:
    return _active(user) and (user.is_admin or is_assigned_coach(user, coalition))


def can_log_for(user: User | None, coalition: Coalition) -> bool:
    """Log a session with the coalition: its assigned coaches and admins."""
    return _active(user) and (user.is_admin or is_assigned_coach(user, coalition))


def can_edit_session(user: User | None, session: CoachingSession) -> bool:
    return can_log_for(user, session.coalition)


def can_delete_session(user: User | None, session: CoachingSession) -> bool:
    return can_log_for(user, session.coalition)


def can_update_action_item(user: User | None, item: ActionItem) -> bool:
    """Mark done, drop or reopen: its owner, the coalition's leads, its coaches, admins."""
    if not _active(user):
        return False
    if item.owner_id == user.id and can_view_session_log(user, item.coalition):
        return True
    return can_log_for(user, item.coalition) or is_lead(user, item.coalition)


def can_edit_action_item(user: User | None, item: ActionItem) -> bool:
    """Change the description, owner or due date: coaches of the coalition and admins."""
    return can_log_for(user, item.coalition)


def can_view_analysis(user: User | None) -> bool:
    return is_coaching_staff(user)


def can_export(user: User | None) -> bool:
    """CSV exports are for coaches (their coalitions) and admins."""
    return is_coaching_staff(user)


def can_manage_topics(user: User | None) -> bool:
    return _active(user) and user.is_admin


def is_valid_coach_for(user: User, coalition: Coalition) -> bool:
    """May be named as a coach of one of the coalition's sessions."""
    return user.active and (user.is_admin or is_assigned_coach(user, coalition))


def is_valid_owner_for(user: User, coalition: Coalition) -> bool:
    """May own an action item: a member of the coalition or one of its coaches."""
    return user.active and (is_member(user, coalition) or is_assigned_coach(user, coalition))


def visible_coalition_ids(user: User | None) -> frozenset[int] | None:
    """The coalitions whose logs the user sees; None means all of them (admins)."""
    if not _active(user):
        return frozenset()
    if user.is_admin:
        return None
    return frozenset(memberships_of(user)) | coached_coalition_ids(user)


def staff_coalition_ids(user: User | None) -> frozenset[int] | None:
    """The coalitions whose private notes and exports the user sees; None means all."""
    if not is_coaching_staff(user):
        return frozenset()
    if user.is_admin:
        return None
    return coached_coalition_ids(user)


# ---------------------------------------------------------------- loaders that 404


def get_coalition_log_or_404(user: User | None, slug: str) -> Coalition:
    coalition = db.session.execute(
        sa.select(Coalition).where(Coalition.slug == slug)
    ).scalar_one_or_none()
    if coalition is None or not can_view_session_log(user, coalition):
        abort(404)
    return coalition


def get_session_or_404(user: User | None, session_id: int) -> CoachingSession:
    session = db.session.get(CoachingSession, session_id)
    if session is None or not can_view_session_log(user, session.coalition):
        abort(404)
    return session


def get_action_item_or_404(user: User | None, item_id: int) -> ActionItem:
    item = db.session.get(ActionItem, item_id)
    if item is None or not can_view_session_log(user, item.coalition):
        abort(404)
    return item


TEMPLATE_PREDICATES = {
    "can_use_coaching": can_use_coaching,
    "can_view_session_log": can_view_session_log,
    "can_view_private_notes": can_view_private_notes,
    "can_log_for": can_log_for,
    "can_edit_session": can_edit_session,
    "can_delete_session": can_delete_session,
    "can_update_action_item": can_update_action_item,
    "can_edit_action_item": can_edit_action_item,
    "can_view_analysis": can_view_analysis,
    "can_export": can_export,
    "can_manage_topics": can_manage_topics,
    "is_coaching_staff": is_coaching_staff,
}
