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

from cop.accounts.models import User
from cop.coaching.models import ActionItem, CoachingSession
from cop.coalitions.models import Coalition
from cop.coalitions.permissions import (
    can_moderate_coalition,
    can_view_coalition_private,
    coached_scope,
    is_assigned_coach,
    is_lead,
    is_member,
    is_staff,
    is_staff_or_member,
    private_coalition_scope,
)
from cop.coalitions.permissions import is_active_user as _active
from cop.extensions import db

# Admins and coaches: the people who log sessions.
is_coaching_staff = is_staff
# The "Coaching" navigation entry: coaches, admins and members of a coalition.
can_use_coaching = is_staff_or_member
# A coalition's coaching history: admins, its assigned coaches, its members.
can_view_session_log = can_view_coalition_private
# Private notes, and logging a session with the coalition: its assigned coaches and admins.
can_view_private_notes = can_moderate_coalition
can_log_for = can_moderate_coalition


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


# The coalitions whose logs the user sees; None means all of them (admins).
visible_coalition_ids = private_coalition_scope
# The coalitions whose private notes and exports the user sees; None means all.
staff_coalition_ids = coached_scope


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
