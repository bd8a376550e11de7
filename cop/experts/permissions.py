"""Who may see and do what in the expert directory. Used by views, API, services and
templates: one rule, written once.

- the directory and profiles: everyone signed in but guests (the community);
- an expert user edits their own profile; coaches create profiles for experts outside the
  platform and maintain the ones they created; admins edit every profile;
- requests: coalition members ask for their coalition, coaches for the coalitions assigned to
  them, admins for any; a profile that is "not now" or at capacity takes requests only
  through a coach (or an admin);
- a request is seen by its parties (the requester, the expert or the profile's maintainer),
  the coalition's assigned coaches and admins; everyone else gets a 404.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.coalitions.models import Coalition
from cop.coalitions.permissions import (
    can_view_directory,
    coached_coalition_ids,
    is_assigned_coach,
    memberships_of,
)
from cop.experts.models import (
    Availability,
    ExpertProfile,
    ExpertRequest,
    RequestState,
)
from cop.extensions import db


def _active(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def is_staff(user: User | None) -> bool:
    return _active(user) and user.role in (Role.ADMIN, Role.COACH)


def can_browse_experts(user: User | None) -> bool:
    """The directory, the profiles and "who knows about ...": the community, not guests."""
    return can_view_directory(user)


def is_listed(profile: ExpertProfile) -> bool:
    """A profile of a switched-off account is not in the directory."""
    return profile.user is None or profile.user.active


def can_view_profile(user: User | None, profile: ExpertProfile) -> bool:
    if not can_browse_experts(user):
        return False
    return is_listed(profile) or user.is_admin or profile.user_id == user.id


def can_have_own_profile(user: User | None) -> bool:
    """Experts with an account keep their own profile."""
    return _active(user) and user.role == Role.EXPERT


def can_create_outside_profile(user: User | None) -> bool:
    return is_staff(user)


def can_edit_profile(user: User | None, profile: ExpertProfile) -> bool:
    if not _active(user):
        return False
    if user.is_admin:
        return True
    if profile.user_id is not None:
        return profile.user_id == user.id
    return user.is_coach and profile.maintainer_id == user.id


def answerers(profile: ExpertProfile) -> list[User]:
    """Who answers requests to the profile: the expert, or the coach who maintains it."""
    if profile.user is not None:
        return [profile.user] if profile.user.active else []
    if profile.maintainer is not None and profile.maintainer.active:
        return [profile.maintainer]
    return []


def is_answerer(user: User | None, profile: ExpertProfile) -> bool:
    if not _active(user):
        return False
    if profile.user_id is not None:
        return profile.user_id == user.id
    return profile.maintainer_id == user.id


def request_coalition_ids(user: User | None) -> frozenset[int] | None:
    """The coalitions the user may ask for; None means any (admins)."""
    if not _active(user):
        return frozenset()
    if user.is_admin:
        return None
    if user.is_coach:
        return coached_coalition_ids(user)
    if user.role == Role.MEMBER:
        return frozenset(memberships_of(user))
    return frozenset()


def can_request_for(user: User | None, coalition: Coalition) -> bool:
    ids = request_coalition_ids(user)
    return ids is None or coalition.id in ids


def can_request(user: User | None, profile: ExpertProfile) -> bool:
    """May ask this expert for an introduction at all (availability aside)."""
    if not can_view_profile(user, profile) or not is_listed(profile):
        return False
    if is_answerer(user, profile) or not answerers(profile):
        return False
    ids = request_coalition_ids(user)
    return ids is None or bool(ids)


def accepted_this_month(profile: ExpertProfile, now: datetime | None = None) -> int:
    from cop.experts.queries import month_load

    return month_load([profile.id], now).get(profile.id, 0)


def is_at_capacity(profile: ExpertProfile, load: int) -> bool:
    return load >= profile.monthly_capacity


def takes_member_requests(profile: ExpertProfile, load: int) -> bool:
    """Open (or limited) and under capacity: members may ask directly."""
    return profile.availability != Availability.NOT_NOW and not is_at_capacity(profile, load)


def can_request_now(user: User | None, profile: ExpertProfile, load: int) -> bool:
    """Members only while the expert takes requests; coaches and admins on their behalf."""
    if not can_request(user, profile):
        return False
    return is_staff(user) or takes_member_requests(profile, load)


def can_view_request(user: User | None, req: ExpertRequest) -> bool:
    if not _active(user) or user.role == Role.GUEST:
        return False
    return (
        user.is_admin
        or req.requester_id == user.id
        or is_answerer(user, req.profile)
        or is_assigned_coach(user, req.coalition)
    )


def is_requester_side(user: User | None, req: ExpertRequest) -> bool:
    """The requester, or a coach of the coalition (who may act on its behalf)."""
    return _active(user) and (req.requester_id == user.id or is_assigned_coach(user, req.coalition))


def is_expert_side(user: User | None, req: ExpertRequest) -> bool:
    return is_answerer(user, req.profile)


def can_change_state(user: User | None, req: ExpertRequest, to_state: str) -> bool:
    """The parties and coaches; who may take each step is in services.TRANSITIONS."""
    from cop.experts.services import TRANSITIONS

    rule = TRANSITIONS.get(RequestState(req.state), {}).get(to_state)
    if rule is None or not can_view_request(user, req):
        return False
    if user.is_admin:
        return True
    return any(
        {"expert": is_expert_side, "requester": is_requester_side}[side](user, req) for side in rule
    )


def next_states(user: User | None, req: ExpertRequest) -> list[str]:
    """The steps this user may take now, in the order of the state table."""
    from cop.experts.services import TRANSITIONS

    return [
        s for s in TRANSITIONS.get(RequestState(req.state), {}) if can_change_state(user, req, s)
    ]


def can_answer_followup(user: User | None, req: ExpertRequest) -> bool:
    return (
        _active(user)
        and req.requester_id == user.id
        and req.state == RequestState.COMPLETED
        and req.followup_at is None
    )


def can_view_reports(user: User | None) -> bool:
    return is_staff(user)


def report_scope(user: User | None) -> tuple[frozenset[int], int] | None:
    """Reports: None for admins (everything); for a coach, their coalitions and own id (the
    profiles they maintain)."""
    if user.is_admin:
        return None
    return coached_coalition_ids(user), user.id


# ---------------------------------------------------------------- loaders that 404


def get_profile_or_404(user: User | None, profile_id: int) -> ExpertProfile:
    profile = db.session.get(ExpertProfile, profile_id)
    if profile is None or not can_view_profile(user, profile):
        abort(404)
    return profile


def own_profile(user: User) -> ExpertProfile | None:
    return db.session.execute(
        sa.select(ExpertProfile).where(ExpertProfile.user_id == user.id)
    ).scalar_one_or_none()


def get_request_or_404(user: User | None, request_id: int) -> ExpertRequest:
    req = db.session.get(ExpertRequest, request_id)
    if req is None or not can_view_request(user, req):
        abort(404)
    return req


TEMPLATE_PREDICATES = {
    "can_browse_experts": can_browse_experts,
    "can_edit_expert_profile": can_edit_profile,
    "can_have_own_expert_profile": can_have_own_profile,
    "can_create_outside_profile": can_create_outside_profile,
    "can_request_expert": can_request,
    "can_request_expert_now": can_request_now,
    "can_answer_expert_followup": can_answer_followup,
    "can_view_expert_reports": can_view_reports,
    "expert_next_states": next_states,
}
