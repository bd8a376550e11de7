"""Coalition use cases: create, assign coaches, manage memberships."""

from __future__ import annotations

import sqlalchemy as sa

from cop.accounts.models import Role, User
from cop.coalitions.models import (
    STATES,
    CoachAssignment,
    Coalition,
    CoalitionSector,
    CoalitionState,
    Membership,
    Sector,
    Track,
    is_valid_slug,
)
from cop.coalitions.permissions import can_manage_coalition, forget_cached_memberships
from cop.core import audit
from cop.core.errors import Conflict, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.text import refuse_nul
from cop.extensions import db

TEXT_MAX = 200


def create_coalition(
    actor: User | None,
    *,
    slug: str,
    name: str,
    lead_organization: str,
    track: str,
    states: list[str],
    sectors: list[str],
    description: str = "",
    partners: list[str] | None = None,
    award_amount: int | None = None,
    commit: bool = True,
) -> Coalition:
    if actor is not None and not can_manage_coalition(actor):
        raise PermissionDenied("Only admins create coalitions.")
    if not is_valid_slug(slug):
        raise ServiceError("The slug uses lowercase letters, digits and dashes.", field="slug")
    name, lead_organization = (name or "").strip(), (lead_organization or "").strip()
    for label, key, text in (
        ("The name", "name", name),
        ("The lead organization", "lead_organization", lead_organization),
        ("The description", "description", description or ""),
    ):
        refuse_nul(text, label, key)
    if not name or len(name) > TEXT_MAX:
        raise ServiceError("A name of at most 200 characters is required.", field="name")
    if not lead_organization or len(lead_organization) > TEXT_MAX:
        raise ServiceError(
            "A lead organization of at most 200 characters is required.", field="lead_organization"
        )
    if track not in {t.value for t in Track}:
        raise ServiceError("The track is Development or Scaling.", field="track")
    bad_states = [s for s in states if s not in STATES]
    if bad_states or not states:
        raise ServiceError("Give at least one state, by its two-letter code.", field="states")
    bad_sectors = [s for s in sectors if s not in {x.value for x in Sector}]
    if bad_sectors or not sectors:
        raise ServiceError("Give at least one known sector.", field="sectors")
    exists = db.session.execute(sa.select(Coalition.id).where(Coalition.slug == slug)).first()
    if exists:
        raise Conflict(f"A coalition with the slug {slug!r} exists.", field="slug")
    coalition = Coalition(
        slug=slug,
        name=name,
        lead_organization=lead_organization,
        track=track,
        description=description,
        description_html=render_markdown(description),
        partners=list(partners or []),
        award_amount=award_amount,
        states=[CoalitionState(state=s) for s in sorted(set(states))],
        sectors=[CoalitionSector(sector=s) for s in sorted(set(sectors))],
    )
    db.session.add(coalition)
    db.session.flush()
    audit.record(actor, "coalition.create", coalition)
    if commit:
        db.session.commit()
    return coalition


def assign_coach(
    actor: User | None, coalition: Coalition, coach: User, commit: bool = True
) -> CoachAssignment:
    if actor is not None and not can_manage_coalition(actor, coalition):
        raise PermissionDenied("Only admins assign coaches.")
    if coach.role != Role.COACH.value:
        raise ServiceError(f"{coach.name} is not a coach.")
    existing = db.session.execute(
        sa.select(CoachAssignment).where(
            CoachAssignment.coalition_id == coalition.id, CoachAssignment.coach_id == coach.id
        )
    ).scalar_one_or_none()
    if existing:
        return existing
    assignment = CoachAssignment(coalition_id=coalition.id, coach_id=coach.id)
    db.session.add(assignment)
    audit.record(actor, "coalition.coach_assign", coach, coalition=coalition.slug)
    forget_cached_memberships(coach)
    if commit:
        db.session.commit()
    return assignment


def unassign_coach(actor: User, coalition: Coalition, coach: User) -> None:
    if not can_manage_coalition(actor, coalition):
        raise PermissionDenied("Only admins assign coaches.")
    deleted = db.session.execute(
        sa.delete(CoachAssignment).where(
            CoachAssignment.coalition_id == coalition.id, CoachAssignment.coach_id == coach.id
        )
    ).rowcount
    if deleted:
        audit.record(actor, "coalition.coach_unassign", coach, coalition=coalition.slug)
        db.session.commit()
    forget_cached_memberships(coach)


def add_member(
    actor: User | None,
    coalition: Coalition,
    user: User,
    *,
    as_lead: bool = False,
    commit: bool = True,
) -> Membership:
    if actor is not None and not can_manage_coalition(actor, coalition):
        raise PermissionDenied("Only admins change memberships.")
    existing = db.session.execute(
        sa.select(Membership).where(
            Membership.coalition_id == coalition.id, Membership.user_id == user.id
        )
    ).scalar_one_or_none()
    if existing:
        return existing
    membership = Membership(coalition_id=coalition.id, user_id=user.id, is_lead=as_lead)
    db.session.add(membership)
    if user.active:
        coalition.member_count = Coalition.member_count + 1
    audit.record(actor, "coalition.member_add", user, coalition=coalition.slug, lead=as_lead)
    forget_cached_memberships(user)
    if commit:
        db.session.commit()
    return membership


def set_lead(actor: User, membership: Membership, is_lead: bool) -> None:
    if not can_manage_coalition(actor, membership.coalition):
        raise PermissionDenied("Only admins change leads.")
    if membership.is_lead != is_lead:
        membership.is_lead = is_lead
        audit.record(
            actor,
            "coalition.lead_set" if is_lead else "coalition.lead_unset",
            membership.user,
            coalition=membership.coalition.slug,
        )
        db.session.commit()
        forget_cached_memberships(membership.user)


def remove_member(actor: User, membership: Membership) -> None:
    coalition = membership.coalition
    if not can_manage_coalition(actor, coalition):
        raise PermissionDenied("Only admins change memberships.")
    user = membership.user
    audit.record(actor, "coalition.member_remove", user, coalition=coalition.slug)
    db.session.delete(membership)
    if user.active:
        coalition.member_count = Coalition.member_count - 1
    db.session.commit()
    forget_cached_memberships(user)


def recount_members(user: User) -> None:
    """After `user` is switched on or off: the member counts of their coalitions count
    active accounts only (the caller commits)."""
    active_members = (
        sa.select(sa.func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.coalition_id == Coalition.id, User.active.is_(True))
        .scalar_subquery()
    )
    their = sa.select(Membership.coalition_id).where(Membership.user_id == user.id)
    db.session.execute(
        sa.update(Coalition).where(Coalition.id.in_(their)).values(member_count=active_members),
        execution_options={"synchronize_session": False},
    )
